/** The local stack's own settings, read once from the environment (see README: Configuration). */
import { resolve } from 'node:path';
import { AUTHORIZATION_CACHE_S } from '@vigil/core/tenancy/session';
import { readableIssue } from '@vigil/core/schemas';
import { API_KEY_PATTERN } from '@vigil/core/tenancy/tenant';
import { z } from 'zod';
import { HELPER_THREAD_NICE } from './thread-priority';
import type { WebMode } from './web-app';

/** The local stack's own variables (README: Configuration lists each, config.test.ts checks it). */
export const LocalEnv = z.object({
  VIGIL_PORT: z.coerce.number().int().min(0).max(65535).default(4000),
  VIGIL_HOST: z.string().default('127.0.0.1'),
  VIGIL_DATA_DIR: z.string().default('.vigil'),
  VIGIL_DEV_API_KEY: z
    .string()
    .regex(API_KEY_PATTERN, 'must look like vgl_ followed by 43 letters or digits')
    .optional(),
  // API Gateway's authorizer cache by default (a session's answer is kept no longer than the session).
  VIGIL_AUTH_CACHE_S: z.coerce.number().min(0).max(3600).default(AUTHORIZATION_CACHE_S),
  VIGIL_SWEEP_EVERY_S: z.coerce.number().min(1).max(3600).default(60),
  /** How often expired items (finished messages past their retention, old idempotency keys) are deleted. */
  VIGIL_REAP_EVERY_S: z.coerce.number().min(1).max(3600).default(60),
  VIGIL_RATE_LIMITS: z.enum(['on', 'off']).default('on'),
  VIGIL_WEB: z.enum(['dev', 'start', 'off']).default('dev'),
  VIGIL_WEB_PORT: z.coerce.number().int().min(1).max(65535).default(3000),
  /** The nice value of the stack's threads but its main one (thread-priority.ts); 0 leaves them alone. */
  VIGIL_HELPER_THREAD_NICE: z.coerce.number().int().min(0).max(19).default(HELPER_THREAD_NICE),
  /** The chaos suite's fault layer (fault-proxy.ts): `<seed>[:<rates>]`; unset (the default) means off. */
  VIGIL_CHAOS: z.string().min(1).optional(),
});

export interface LocalConfig {
  port: number;
  host: string;
  dataDir: string;
  devApiKey?: string;
  authCacheMs: number;
  sweepEveryMs: number;
  /** DynamoDB TTL's stand-in (expiry-reaper.ts): a bounded pass over the table this often (default 60 s). */
  reapEveryMs?: number;
  /** Throttle tenants to their plan's rate and burst (as usage plans do on AWS). */
  rateLimits: boolean;
  /** The web app beside the API: `dev` (pages compiled on demand) or `start` (the production build). */
  web?: { mode: WebMode; port: number };
  /**
   * Fault injection between the handlers and the local services (`VIGIL_CHAOS`, see
   * fault-proxy.ts): for the chaos suite only, off unless set.
   */
  chaos?: string;
  /**
   * The nice value the stack gives the process's other threads (default HELPER_THREAD_NICE), so
   * that they do not preempt the thread that started it, which sends the webhooks; 0: left alone.
   */
  helperThreadNice?: number;
}

/**
 * `npm run receiver`'s signing secret: its second argument, else `VIGIL_SIGNING_SECRET` (the name
 * README's verify examples read it from). npm echoes a script's arguments (`> tsx ... 9000 whsec_...`)
 * to the terminal and to a CI job's log, never its environment.
 */
export const receiverSecretOf = (secretArgument: string | undefined, env: NodeJS.ProcessEnv = process.env) =>
  secretArgument ?? env.VIGIL_SIGNING_SECRET;

export const readLocalConfig = (env: NodeJS.ProcessEnv = process.env): LocalConfig => {
  // In the API's words for a request (VIGIL_WEB must be one of dev, start, off), not zod's.
  const parsed = LocalEnv.safeParse(env, { error: readableIssue });
  if (!parsed.success) {
    throw new Error(
      `Invalid local stack configuration: ${parsed.error.issues.map((i) => `${i.path.join('.')} ${i.message}`).join('; ')}`,
    );
  }
  const e = parsed.data;
  return {
    port: e.VIGIL_PORT,
    host: e.VIGIL_HOST,
    dataDir: resolve(e.VIGIL_DATA_DIR),
    devApiKey: e.VIGIL_DEV_API_KEY,
    authCacheMs: e.VIGIL_AUTH_CACHE_S * 1000,
    sweepEveryMs: e.VIGIL_SWEEP_EVERY_S * 1000,
    reapEveryMs: e.VIGIL_REAP_EVERY_S * 1000,
    rateLimits: e.VIGIL_RATE_LIMITS === 'on',
    ...(e.VIGIL_WEB !== 'off' && { web: { mode: e.VIGIL_WEB, port: e.VIGIL_WEB_PORT } }),
    ...(e.VIGIL_CHAOS !== undefined && { chaos: e.VIGIL_CHAOS }),
    helperThreadNice: e.VIGIL_HELPER_THREAD_NICE,
  };
};

/**
 * Defaults the handlers' configuration (libs/aws/src/config.ts) gets in the local stack, unless
 * the environment already says otherwise: loopback targets allowed, local resource names.
 */
export const LOCAL_ENGINE_DEFAULTS: Record<string, string> = {
  VIGIL_ALLOW_PRIVATE_TARGETS: 'true',
  // The embedded store is one thread (~600 conditional writes/s): a 1,000-message burst needs
  // about two seconds of takes before it is due, so the local queue surfaces messages earlier.
  VIGIL_ARM_LEAD_MS: '3000',
  VIGIL_TABLE: 'vigil-local',
  VIGIL_SCHEDULE_GROUP: 'vigil-local',
  VIGIL_PROMOTE_ARN: 'arn:aws:lambda:us-east-1:000000000000:function:vigil-local-promote',
  VIGIL_SCHEDULER_ROLE_ARN: 'arn:aws:iam::000000000000:role/vigil-local-scheduler',
  // Handed to the scheduler emulator as on AWS; it has no queue to park a given-up firing in, and logs it.
  VIGIL_SCHEDULER_DLQ_ARN: 'arn:aws:sqs:us-east-1:000000000000:vigil-local-scheduler-dlq',
  AWS_REGION: 'us-east-1',
};

/**
 * The environment the local stack's process starts with (`npm start` in package.json, the soak and
 * the e2e suite's StackProcess), under what the caller set itself: glibc's malloc (Linux; other
 * allocators ignore these) held to 2 arenas and giving freed memory back to the OS.
 * - MALLOC_ARENA_MAX: by default glibc gives each thread that allocates an arena of its own, up to 8
 *   per core, and each arena keeps what its thread freed. The stack's allocating threads are many
 *   (the main thread, dynalite's worker thread, libuv's pool running LevelDB's reads and writes,
 *   LevelDB's compaction): at a steady 10 messages/s the soak saw that kept memory grow by about
 *   2 MB a minute while every heap stayed flat, and not with 2 arenas.
 * - MALLOC_MMAP_THRESHOLD_ and MALLOC_TRIM_THRESHOLD_: by default glibc raises its mmap threshold
 *   each time a large block is freed (up to 32 MB), so later large blocks (LevelDB's table reads,
 *   Buffers) come from the arenas' heaps and stay there, fragmented; fixed at 128 KB they are mapped
 *   and unmapped each time, and a heap's free top over 256 KB goes back to the OS. Two 30-minute
 *   soaks with the main thread's young generation fixed at 64 MB (2026-12-04): native memory
 *   43 → 66 MB without them (RSS +10.5 %), 43 → 43 MB with them (RSS +0.8 %).
 */
export const LOCAL_PROCESS_ENV: Record<string, string> = {
  MALLOC_ARENA_MAX: '2',
  MALLOC_MMAP_THRESHOLD_: '131072',
  MALLOC_TRIM_THRESHOLD_: '262144',
};

/**
 * The Node flags the local stack's process starts with (`npm start` in package.json, the soak and
 * the e2e suite): the main thread's young generation at 64 MB semi-spaces from the start instead of
 * V8's 16. That thread sends every webhook the instant it is due and allocates ~25 MB/s at 10
 * messages/s (the AWS SDK's calls to the local services): with 16 MB it stops for a scavenge 100-140
 * times a minute, the longest 10-36 ms, and a send due during one goes late. With 64 MB it stops a
 * quarter as often, for pauses no longer (a scavenge copies what is live, not the space), for about
 * 80 MB more RSS. Starting at that size rather than growing to it (within the first minute at 10
 * messages/s) keeps RSS flat from the start; it makes the first scavenge a longer pause (54 ms
 * once), inside the soak's warm-up minute. The store's thread keeps the default
 * (dynalite-thread.ts). Measured with `npm run soak` (README: Soak).
 */
export const STACK_NODE_FLAGS = ['--max-semi-space-size=64', '--min-semi-space-size=64'] as const;

/**
 * A file in the data dir that another process (the admin command) touches after revoking a key:
 * the running gateway then forgets its cached authorizer answers, so the key is refused at once.
 */
export const KEYS_CHANGED_FILE = 'keys-changed';

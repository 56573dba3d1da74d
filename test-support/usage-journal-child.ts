/**
 * A process that meters through the usage journal, for usage-journal.int.test.ts: `write` journals
 * COUNT attempt events (each twice, as a re-sent attempt would) while its folder runs, then ends
 * the journal with a torn line and kills itself with SIGKILL right after the last write; `restart`
 * opens the journal again, journals EXTRA more events, folds what is left and stops cleanly.
 */
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import { DynamoUsageLedger } from '@vigil/aws';
import type { UsageEvent } from '@vigil/core';
import { attemptUsage } from '@vigil/core';
import { JournalUsageMeter, journalPaths, startUsageJournalFolder } from '@vigil/local/usage-journal';
import { appendFileSync } from 'node:fs';

const env = (name: string) => process.env[name] ?? '';
const db = DynamoDBDocumentClient.from(
  new DynamoDBClient({
    region: 'us-east-1',
    endpoint: env('DYNAMO_ENDPOINT'),
    credentials: { accessKeyId: 'x', secretAccessKey: 'x' },
  }),
);
const ledger = new DynamoUsageLedger(db, env('TABLE'));
const log = {
  info: () => {},
  warn: () => {},
  error: (message: string, fields?: Record<string, unknown>) =>
    process.stderr.write(`${JSON.stringify({ message, ...fields })}\n`),
};
const dataDir = env('DATA_DIR');
const message = { id: 'msg_journal', tenantId: env('TENANT'), dueAt: Date.now() };
const event = (n: number): UsageEvent => attemptUsage(message, n);

const main = async () => {
  const meter = new JournalUsageMeter(journalPaths(dataDir).journal, () => log);
  const folder = await startUsageJournalFolder({ dataDir, fold: (events) => ledger.fold(events), log, everyMs: 20 });
  if (env('MODE') === 'write') {
    const count = Number(env('COUNT'));
    for (let n = 1; n <= count; n += 20) {
      const batch = Array.from({ length: Math.min(20, count - n + 1) }, (_, i) => event(n + i));
      await meter.record(batch);
      await meter.record(batch);
      if (n + 20 <= count) await new Promise((resolve) => setTimeout(resolve, 10));
    }
    // A write cut short by the kill, then the kill itself: nothing after the last write ran.
    appendFileSync(journalPaths(dataDir).journal, '{"id":"att_torn","tena');
    process.kill(process.pid, 'SIGKILL');
  }
  const extra = Number(env('EXTRA'));
  const first = Number(env('COUNT')) + 1;
  await meter.record(Array.from({ length: extra }, (_, i) => event(first + i)));
  await folder.stop();
  meter.close();
  db.destroy();
};

void main();

/**
 * The stack's process starts with a large young generation for its main thread (STACK_NODE_FLAGS);
 * V8 flags reach every thread made after them, so the store's worker thread sets them back first.
 * And the thread outlives a client that goes away mid-request.
 */
import { execFileSync } from 'node:child_process';
import { mkdtemp, rm } from 'node:fs/promises';
import { connect } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { DynamoDBClient, ListTablesCommand } from '@aws-sdk/client-dynamodb';
import { localServiceClientOptions } from '@vigil/aws';
import { describe, expect, it } from 'vitest';
import { STACK_NODE_FLAGS } from './config';
import { startDynaliteThread } from './dynalite-thread';

const root = join(__dirname, '..', '..', '..');

describe("the store's worker thread", () => {
  it("keeps V8's default young generation when the process starts with the stack's larger one", () => {
    const output = execFileSync(
      process.execPath,
      // Their minimum is as large, so the sizes show at start, without a load to grow them.
      [...STACK_NODE_FLAGS, '--import', 'tsx', 'test-support/young-generations-child.ts'],
      { cwd: root, encoding: 'utf8', timeout: 30_000 },
    );
    const newSpaceMb = JSON.parse(output) as { main: number; store: number };
    expect(newSpaceMb.main).toBeGreaterThanOrEqual(64); // the flags reached the process
    expect(newSpaceMb.store).toBeLessThanOrEqual(32); // two 16 MB semi-spaces at most: V8's default
  });

  it('keeps serving when a client resets its connection halfway through sending a request', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'vigil-store-'));
    const failures: string[] = [];
    const store = await startDynaliteThread(dir, { onFailure: (reason) => failures.push(reason) });
    try {
      const socket = connect(Number(new URL(store.endpoint).port), '127.0.0.1');
      await new Promise((resolve) => socket.once('connect', resolve));
      socket.write(
        'POST / HTTP/1.1\r\nHost: store\r\nContent-Type: application/x-amz-json-1.0\r\n' +
          'X-Amz-Target: DynamoDB_20120810.ListTables\r\nContent-Length: 1000\r\n\r\n{"Limit":',
      );
      await sleep(200);
      socket.resetAndDestroy();
      await sleep(500);

      const db = new DynamoDBClient(localServiceClientOptions('us-east-1', store.endpoint));
      expect((await db.send(new ListTablesCommand({}))).TableNames).toEqual([]);
      db.destroy();
      expect(failures).toEqual([]);
    } finally {
      await store.stop();
      await rm(dir, { recursive: true, force: true });
    }
  });
});

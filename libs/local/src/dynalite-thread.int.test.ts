/**
 * The stack's process starts with a large young generation for its main thread (STACK_NODE_FLAGS);
 * V8 flags reach every thread made after them, so the store's worker thread sets them back first.
 */
import { execFileSync } from 'node:child_process';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { STACK_NODE_FLAGS } from './config';

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
});

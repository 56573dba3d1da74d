/**
 * `npm run bench:requests`: times requests at the API's limits through the local gateway and the
 * real handlers, pathological ones included (a 6 MiB body of unknown fields; a valid batch whose
 * bodies hold 1.5 million numbers a double would not write back, or 900,000 field names): wall
 * time, the main thread's CPU (where the handlers run, beside the engine that sends the webhooks)
 * and the longest the event loop was blocked meanwhile. `ONLY=<name prefix>` runs some, `RUNS=n`
 * each n times (2).
 */
import { readFileSync } from 'node:fs';
import { monitorEventLoopDelay } from 'node:perf_hooks';
import { newTenantKey, startTestStack } from '../test-support/local-stack';

const MiB = 1024 * 1024;
/** Each message's share of a 6 MiB batch, less its own fields. */
const PER_MESSAGE = Math.floor((6 * MiB) / 100) - 200;

/** A create with ~600,000 unknown fields: 6 MiB, never valid. */
const unknownFields = (url: string): string => {
  const parts: string[] = [];
  for (let i = 0, size = 0; size < 6 * MiB - 200; i++) {
    const part = `"_${i.toString(36)}":0`;
    parts.push(part);
    size += part.length + 1;
  }
  return `{"url":"${url}","delay":60,${parts.join(',')}}`;
};

/** A valid batch of 100 messages whose bodies are arrays of `token` (a number a double would not write back, or `1`). */
const inexactBatch = (url: string, token: string): string => {
  const body = `[${Array(Math.floor(PER_MESSAGE / (token.length + 1)))
    .fill(token)
    .join(',')}]`;
  return `{"messages":[${Array.from({ length: 100 }, (_, n) => `{"url":"${url}/${n}","delay":600,"body":${body}}`).join(',')}]}`;
};

/** A valid batch of 100 messages whose bodies are objects of ~9,000 fields each. */
const fieldBatch = (url: string): string => {
  const fields: string[] = [];
  for (let i = 0, size = 0; size < PER_MESSAGE; i++) {
    const field = `"${i.toString(36)}":0`;
    fields.push(field);
    size += field.length + 1;
  }
  const body = `{${fields.join(',')}}`;
  return `{"messages":[${Array.from({ length: 100 }, (_, n) => `{"url":"${url}/${n}","delay":600,"body":${body}}`).join(',')}]}`;
};

/** CPU ms the process's main thread has used (Linux: its /proc stat, 10 ms ticks). */
const mainThreadCpuMs = (): number => {
  const stat = readFileSync(`/proc/${process.pid}/task/${process.pid}/stat`, 'utf8');
  const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  return (Number(fields[11]) + Number(fields[12])) * 10;
};

const main = async () => {
  const stack = await startTestStack();
  const key = await newTenantKey(stack, 'pro');
  const url = 'http://example.com/hook';
  const plainBatch = JSON.stringify({
    messages: Array.from({ length: 100 }, (_, n) => ({ url: `${url}/${n}`, delay: 600, body: 'q'.repeat(62_000) })),
  });
  const idInEachBody = JSON.stringify({
    messages: Array.from({ length: 100 }, (_, n) => ({
      url: `${url}/${n}`,
      delay: 600,
      body: Object.fromEntries(Array.from({ length: 540 }, (_, f) => [`field${f}`, `value ${f} of ${'x'.repeat(80)}`])),
    })),
  }).replace(/"body":\{/g, '"body":{"id":12345678901234567890,');
  const cases: Array<[string, string, string, Record<string, string>?]> = [
    ['plain 6 MiB batch (text bodies)', '/v1/messages/batch', plainBatch],
    ['600k unknown fields', '/v1/messages', unknownFields(url)],
    ['an int64 id in each of 100 bodies of 540 fields', '/v1/messages/batch', idInEachBody],
    ['3M small numbers 1 in bodies', '/v1/messages/batch', inexactBatch(url, '1')],
    ['1.5M numbers 1.0 in bodies', '/v1/messages/batch', inexactBatch(url, '1.0')],
    ['1.5M numbers 1.0, Idempotency-Key', '/v1/messages/batch', inexactBatch(url, '1.0'), { 'idempotency-key': 'k1' }],
    ['1M numbers 1e400 in bodies', '/v1/messages/batch', inexactBatch(url, '1e400')],
    ['280k long decimals', '/v1/messages/batch', inexactBatch(url, '0.12345678901234567890')],
    ['900k field names in bodies', '/v1/messages/batch', fieldBatch(url)],
  ];
  const only = process.env.ONLY;
  const runs = Number(process.env.RUNS ?? 2);
  for (const [name, path, text, headers] of cases) {
    if (only && !name.startsWith(only)) continue;
    for (let run = 0; run < runs; run++) {
      const delay = monitorEventLoopDelay({ resolution: 10 });
      delay.enable();
      const cpu = mainThreadCpuMs();
      const start = performance.now();
      const response = await fetch(`${stack.url}${path}`, {
        method: 'POST',
        headers: { authorization: `Bearer ${key}`, 'content-type': 'application/json', ...headers },
        body: text,
      });
      const answer = await response.text();
      const wall = Math.round(performance.now() - start);
      delay.disable();
      console.log(
        `${name} (${(text.length / MiB).toFixed(2)} MiB): ${response.status} ${wall} ms wall, main thread ${mainThreadCpuMs() - cpu} ms CPU, event loop blocked up to ${Math.round(delay.max / 1e6)} ms${response.status >= 400 ? ` (${answer.slice(0, 120)})` : ''}`,
      );
    }
  }
  await stack.stop();
};

void main();

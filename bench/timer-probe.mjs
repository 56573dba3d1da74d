// The soak's timer probe: a process that does nothing but wait on timers and note how late each
// fires. Its lateness is the machine's (the scheduler, the hypervisor), not Vigil's: if the stack's
// sends get later over a run and the probe's timers do too, the stack is not the cause.
import process from 'node:process';
import { performance } from 'node:perf_hooks';
import { setTimeout } from 'node:timers';

const EVERY_MS = 5;
/** A tick this late counts as a stall (the soak's "late first attempt" line). */
const LATE_MS = 10;
let late = [];
const tick = (expected) => {
  late.push(performance.now() - expected);
  setTimeout(tick, EVERY_MS, performance.now() + EVERY_MS);
};
setTimeout(tick, EVERY_MS, performance.now() + EVERY_MS);
process.on('message', (message) => {
  if (message !== 'minute') return;
  const sorted = late.sort((a, b) => a - b);
  late = [];
  const at = (q) => sorted[Math.min(sorted.length - 1, Math.floor(q * sorted.length))] ?? Number.NaN;
  process.send({
    p99Ms: at(0.99),
    maxMs: sorted.at(-1) ?? Number.NaN,
    count: sorted.length,
    lateCount: sorted.filter((ms) => ms >= LATE_MS).length,
  });
});
process.on('disconnect', () => process.exit(0));

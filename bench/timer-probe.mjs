// The soak's timer probe: a process that does nothing but wait on timers and note how late each
// fires. Its lateness is the machine's (the scheduler, the hypervisor), not Vigil's: if the stack's
// sends get later over a run and the probe's timers do too, the stack is not the cause.
import process from 'node:process';
import { performance } from 'node:perf_hooks';
import { setTimeout } from 'node:timers';

const EVERY_MS = 5;
let late = [];
const tick = (expected) => {
  late.push(performance.now() - expected);
  setTimeout(tick, EVERY_MS, performance.now() + EVERY_MS);
};
setTimeout(tick, EVERY_MS, performance.now() + EVERY_MS);
// Each minute, hands over how late every timer fired (ms) and starts the next minute's list.
process.on('message', (message) => {
  if (message !== 'minute') return;
  process.send({ late });
  late = [];
});
process.on('disconnect', () => process.exit(0));

// Preloaded into the web app's process (`node --import`): it ends when the stack that started it
// is gone, however that went. A stack killed with -9 cannot stop its children, but the kernel
// closes its end of their stdin pipe, so the app sees its stdin end and exits rather than live on
// as an orphan holding its port (the next `npm start` refused it: "Port 3000 is taken").
// Only the process the stack started watches (VIGIL_END_WITH_PARENT, taken out of the environment
// here): processes the app starts in turn may be given no stdin at all.
// Plain JavaScript: Node loads it as it is, before the app.
import process from 'node:process';

if (process.env.VIGIL_END_WITH_PARENT === '1') {
  delete process.env.VIGIL_END_WITH_PARENT;
  process.stdin.once('end', () => process.exit(0));
  process.stdin.once('error', () => process.exit(0));
  process.stdin.resume();
}

/**
 * The console's composition root: Next.js calls `register` once as its server starts, before it
 * answers a request. It reads the console's settings (config.ts), so a missing or bad variable
 * stops the console at start with a message naming it, and, on a deployed console, wires the
 * session secret's adapter (libs/aws) behind the SecretSource port the app's code sees. This is the
 * one file of the app that may import an adapter (eslint.config.mjs, lint/boundaries.test.ts).
 */
export async function register(): Promise<void> {
  // Next.js's own flag (set by its build, not a setting): the Node server, not the edge proxy.
  if (process.env.NEXT_RUNTIME !== 'nodejs') return;
  const { consoleConfig, ConsoleConfigError } = await import('./lib/config');
  let deployed;
  try {
    ({ deployed } = consoleConfig());
  } catch (error) {
    if (!(error instanceof ConsoleConfigError)) throw error;
    // Next.js would log it and then answer every request with a 500: the console stops instead,
    // saying what to set (the local stack shows these last lines; on AWS the cold start fails).
    console.error(error.message);
    process.exit(1);
  }
  if (!deployed) return;
  const [{ consoleSessionSecret }, { wireSessionSecret }] = await Promise.all([
    import('@vigil/aws/wiring/console'),
    import('./lib/console-settings'),
  ]);
  wireSessionSecret(consoleSessionSecret(deployed.sessionSecretParameter));
}

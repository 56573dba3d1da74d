/** `npm run receiver`: prints every webhook that arrives, and whether its signature verifies. */
import { receiverSecretOf } from './config';
import { startReceiver } from './receiver';
import { receivedLines } from './receiver-lines';

const portText = process.argv[2] ?? '9000';
const port = Number(portText);
const secret = receiverSecretOf(process.argv[3]);

/** Says what is wrong in one line and exits 2 (a usage error) or 1. */
const fail = (message: string, code: number): never => {
  process.stderr.write(`receiver: ${message}\n`);
  process.exit(code);
};

const main = async () => {
  if (!/^\d+$/.test(portText) || port > 65_535)
    fail(`the port must be a number from 0 to 65535, not ${JSON.stringify(portText)}`, 2);
  if (secret !== undefined && !/^whsec_[A-Za-z0-9+/=]+$/.test(secret)) {
    // README's SECRET=$(curl ... | node ...) gives "undefined" when the API refused the key, and
    // nothing when no API answered: the step before went wrong, and that is what to check.
    if (secret === '' || secret === 'undefined' || secret === 'null') {
      fail(
        `no signing secret came (${JSON.stringify(secret)}): the API did not give one to the command that read it. ` +
          'Check that npm start is running and that KEY is the API key it printed: ' +
          'curl -s localhost:4000/v1/signing-secret -H "Authorization: Bearer $KEY" shows what the API answers',
        2,
      );
    }
    fail('the secret must be the whsec_... signing secret (GET /v1/signing-secret)', 2);
  }
  const receiver = await startReceiver({
    port,
    ...(secret && { secret }),
    onRequest: (r) => process.stdout.write(receivedLines(r)),
  });
  process.stdout.write(`Receiving webhooks on ${receiver.url} (Ctrl-C to stop)\n`);
  process.on('SIGINT', () => void receiver.stop().then(() => process.exit(0)));
};

main().catch((error: NodeJS.ErrnoException) =>
  fail(
    error.code === 'EADDRINUSE'
      ? `port ${port} is in use: name another, npm run receiver -- <port>`
      : `could not start: ${error.message}`,
    1,
  ),
);

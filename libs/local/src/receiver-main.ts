/** `npm run receiver`: prints every webhook that arrives, and whether its signature verifies. */
import { startReceiver } from './receiver';

const port = Number(process.argv[2] ?? 9000);
const secret = process.argv[3];

const main = async () => {
  const receiver = await startReceiver({
    port,
    ...(secret && { secret }),
    onRequest: (r) => {
      const signature =
        r.verified === undefined
          ? 'signature not checked (pass the whsec_ secret)'
          : r.verified
            ? 'signature verified'
            : 'SIGNATURE INVALID';
      const scheduled = String(r.headers['vigil-scheduled-at'] ?? '');
      const late = scheduled ? `${r.arrivedAt - Date.parse(scheduled)} ms after sendAt` : '';
      process.stdout.write(
        `${new Date(r.arrivedAt).toISOString()}  ${r.method} ${r.path}  ${String(r.headers['webhook-id'] ?? '')}  attempt ${String(r.headers['vigil-attempt'] ?? '?')}  ${late}  ${signature}\n  ${r.body.slice(0, 200)}\n`,
      );
    },
  });
  process.stdout.write(`Receiving webhooks on ${receiver.url} (Ctrl-C to stop)\n`);
  process.on('SIGINT', () => void receiver.stop().then(() => process.exit(0)));
};

void main();

/** The emulators' request bodies: read whole, as text, refused past a size. */
import type { IncomingMessage } from 'node:http';

/** Emulated AWS APIs take request bodies of at most this many bytes. */
export const MAX_EMULATED_BODY_BYTES = 1024 * 1024;

/** Reads the body; past `maxBytes` it rejects with `tooLarge()` (the emulated service's own error). */
export const readRequestBody = (
  req: IncomingMessage,
  tooLarge: () => Error,
  maxBytes = MAX_EMULATED_BODY_BYTES,
): Promise<string> =>
  new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    let size = 0;
    req.on('data', (chunk: Buffer) => {
      size += chunk.length;
      if (size > maxBytes) reject(tooLarge());
      else chunks.push(chunk);
    });
    req.on('end', () => resolve(Buffer.concat(chunks).toString('utf8')));
    req.on('error', reject);
  });

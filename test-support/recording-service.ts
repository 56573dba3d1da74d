/**
 * A stand-in AWS service endpoint on 127.0.0.1 that records each request's headers and answers
 * `{}` (a valid empty answer for the JSON protocols' list calls): for tests of how a client signs,
 * and, answering late or never (`answerAfterMs`), of how it waits.
 */
import type { IncomingHttpHeaders } from 'node:http';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';

export interface RecordingService {
  endpoint: string;
  /** The headers of every request received, in order (empty it between tests with `seen.length = 0`). */
  seen: IncomingHttpHeaders[];
  close(): Promise<void>;
}

export const startRecordingService = async (options: { answerAfterMs?: number } = {}): Promise<RecordingService> => {
  const seen: IncomingHttpHeaders[] = [];
  const server = createServer((request, response) => {
    seen.push(request.headers);
    request.resume();
    request.on('end', () => {
      const answer = () => {
        response.writeHead(200, { 'content-type': 'application/x-amz-json-1.0' });
        response.end('{}');
      };
      const after = options.answerAfterMs ?? 0;
      if (after === 0) answer();
      else if (Number.isFinite(after)) setTimeout(answer, after);
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return {
    endpoint: `http://127.0.0.1:${(server.address() as AddressInfo).port}`,
    seen,
    close: () =>
      new Promise((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
};

/**
 * A tiny SSM Parameter Store on 127.0.0.1 for tests: it speaks the SSM JSON protocol
 * (`x-amz-target: AmazonSSM.GetParameter`, errors as `__type` and `x-amzn-errortype`), so the AWS
 * SDK's own SSMClient talks to it as it would to AWS. It holds parameters by name, records every
 * request, and can be told to fail the next calls.
 */
import http from 'node:http';
import type { AddressInfo } from 'node:net';

export interface SsmRequest {
  target: string;
  body: { Name?: string; WithDecryption?: boolean };
}

export interface SsmParameterEndpoint {
  endpoint: string;
  /** Sets (or rotates) a SecureString parameter's value. */
  put(name: string, value: string): void;
  /** Removes a parameter: reads answer ParameterNotFound. */
  remove(name: string): void;
  /** The next `count` requests answer 500 InternalServerError. */
  failNext(count: number): void;
  requests: SsmRequest[];
  stop(): Promise<void>;
}

export const startSsmParameterEndpoint = async (): Promise<SsmParameterEndpoint> => {
  const parameters = new Map<string, { value: string; version: number }>();
  const requests: SsmRequest[] = [];
  let failing = 0;
  const answer = (res: http.ServerResponse, status: number, body: unknown, errorType?: string) => {
    res
      .writeHead(status, {
        'content-type': 'application/x-amz-json-1.1',
        'x-amzn-requestid': `req-${requests.length}`,
        ...(errorType && { 'x-amzn-errortype': errorType }),
      })
      .end(JSON.stringify(body));
  };
  const server = http.createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (chunk: Buffer) => chunks.push(chunk));
    req.on('end', () => {
      const target = String(req.headers['x-amz-target'] ?? '');
      const body = JSON.parse(Buffer.concat(chunks).toString('utf8') || '{}') as SsmRequest['body'];
      requests.push({ target, body });
      if (failing > 0) {
        failing -= 1;
        return answer(res, 500, { __type: 'InternalServerError', message: 'injected' }, 'InternalServerError');
      }
      if (target !== 'AmazonSSM.GetParameter') {
        return answer(res, 400, { __type: 'UnknownOperationException' }, 'UnknownOperationException');
      }
      const found = parameters.get(body.Name ?? '');
      if (!found) return answer(res, 400, { __type: 'ParameterNotFound' }, 'ParameterNotFound');
      answer(res, 200, {
        Parameter: {
          Name: body.Name,
          Type: 'SecureString',
          // Without WithDecryption, SSM answers a SecureString's ciphertext.
          Value: body.WithDecryption ? found.value : 'AQICAHh-ciphertext',
          Version: found.version,
          DataType: 'text',
        },
      });
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    endpoint: `http://127.0.0.1:${port}`,
    put: (name, value) => parameters.set(name, { value, version: (parameters.get(name)?.version ?? 0) + 1 }),
    remove: (name) => parameters.delete(name),
    failNext: (count) => {
      failing = count;
    },
    requests,
    stop: () =>
      new Promise((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
};

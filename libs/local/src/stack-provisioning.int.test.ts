/**
 * The local stack's own clients of its services (provisioning, the pollers' receives and deletes,
 * the expiry reaper) are built as the handlers' are: requests shaped as SigV4-signed but not
 * signed (the services check no signature; signing the pollers' calls cost the main thread ~4 %
 * under the soak's load), and without the SDK's logger middleware.
 */
import type { IncomingHttpHeaders } from 'node:http';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { ListTablesCommand } from '@aws-sdk/client-dynamodb';
import { ListScheduleGroupsCommand } from '@aws-sdk/client-scheduler';
import { ListQueuesCommand } from '@aws-sdk/client-sqs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { localClients } from './stack-provisioning';

const seen: IncomingHttpHeaders[] = [];
const service = createServer((request, response) => {
  seen.push(request.headers);
  request.resume();
  request.on('end', () => {
    response.writeHead(200, { 'content-type': 'application/json' });
    response.end('{}');
  });
});
let endpoint: string;

beforeAll(async () => {
  await new Promise<void>((resolve) => service.listen(0, '127.0.0.1', resolve));
  endpoint = `http://127.0.0.1:${(service.address() as AddressInfo).port}`;
});
afterAll(() => new Promise((resolve) => service.close(resolve)));

describe("the local stack's own clients", () => {
  it('send unsigned requests, without the SDK logger middleware', async () => {
    const clients = localClients({ dynamo: endpoint, sqs: endpoint, scheduler: endpoint });
    await clients.dynamo.send(new ListTablesCommand({}));
    await clients.sqs.send(new ListQueuesCommand({}));
    await clients.scheduler.send(new ListScheduleGroupsCommand({}));
    expect(seen).toHaveLength(3);
    for (const headers of seen) {
      expect(headers.authorization).toMatch(
        /^AWS4-HMAC-SHA256 Credential=local\/\d{8}\/us-east-1\/local\/aws4_request, .*Signature=local$/,
      );
      expect(headers['x-amz-content-sha256']).toBeUndefined();
    }
    for (const client of Object.values(clients)) {
      expect(client.middlewareStack.identify().some((name) => name.startsWith('loggerMiddleware'))).toBe(false);
      client.destroy();
    }
  });
});

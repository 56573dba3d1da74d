/**
 * The local stack's own clients of its services (provisioning, the pollers' receives and deletes,
 * the expiry reaper) are built as the handlers' are: requests shaped as SigV4-signed but not
 * signed (the services check no signature; signing the pollers' calls cost the main thread ~4 %
 * under the soak's load), and without the SDK's logger middleware.
 */
import { ListTablesCommand } from '@aws-sdk/client-dynamodb';
import { ListScheduleGroupsCommand } from '@aws-sdk/client-scheduler';
import { ListQueuesCommand } from '@aws-sdk/client-sqs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { RecordingService } from '../../../test-support/recording-service';
import { startRecordingService } from '../../../test-support/recording-service';
import { localClients } from './stack-provisioning';

let service: RecordingService;
beforeAll(async () => {
  service = await startRecordingService();
});
afterAll(() => service.close());

describe("the local stack's own clients", () => {
  it('send unsigned requests, without the SDK logger middleware', async () => {
    const { endpoint, seen } = service;
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

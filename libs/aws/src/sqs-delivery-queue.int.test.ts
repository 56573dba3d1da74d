/**
 * SqsDeliveryQueue against fauxqs (the local stack's SQS): many creates enqueueing at once share
 * SendMessageBatch requests, and every ticket arrives once, on the queue its placement names.
 */
import type { Message as SqsMessage } from '@aws-sdk/client-sqs';
import { CreateQueueCommand, DeleteMessageBatchCommand, ReceiveMessageCommand, SQSClient } from '@aws-sdk/client-sqs';
import type { DeliveryTicket } from '@vigil/core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { SqsDeliveryQueue } from './sqs-delivery-queue';

let server: { port: number; stop: () => Promise<void> };
let sqs: SQSClient;
/** SendMessageBatch requests made by `sqs` so far. */
let sends = 0;

beforeAll(async () => {
  const { startFauxqs } = await import('fauxqs');
  server = await startFauxqs({ port: 0, logger: false });
  sqs = new SQSClient({
    region: 'us-east-1',
    endpoint: `http://127.0.0.1:${server.port}`,
    credentials: { accessKeyId: 'x', secretAccessKey: 'x' },
  });
  sqs.middlewareStack.add(
    (next, context) => (args) => {
      if (context.commandName === 'SendMessageBatchCommand') sends += 1;
      return next(args);
    },
    { step: 'initialize', name: 'countSends' },
  );
});

afterAll(async () => {
  sqs?.destroy();
  await server?.stop();
});

const queue = async (name: string) => (await sqs.send(new CreateQueueCommand({ QueueName: name }))).QueueUrl as string;

/** Every ticket on the queue now (none is delayed), each deleted as it is read. */
const drain = async (queueUrl: string): Promise<DeliveryTicket[]> => {
  const tickets: DeliveryTicket[] = [];
  for (;;) {
    const { Messages = [] } = await sqs.send(
      new ReceiveMessageCommand({ QueueUrl: queueUrl, MaxNumberOfMessages: 10, WaitTimeSeconds: 0 }),
    );
    if (Messages.length === 0) return tickets;
    tickets.push(...Messages.map((m: SqsMessage) => JSON.parse(m.Body as string) as DeliveryTicket));
    await sqs.send(
      new DeleteMessageBatchCommand({
        QueueUrl: queueUrl,
        Entries: Messages.map((m, i) => ({ Id: String(i), ReceiptHandle: m.ReceiptHandle })),
      }),
    );
  }
};

const ticket = (i: number): DeliveryTicket => ({ tenantId: 'ten_q', messageId: `msg_${i}`, version: 0, dueAt: i });

describe('SqsDeliveryQueue', () => {
  it('sends the tickets of 200 creates at once in a few dozen requests, each ticket once', async () => {
    const delivery = await queue('coalesce-delivery');
    const prompt = await queue('coalesce-prompt');
    const tickets = new SqsDeliveryQueue(sqs, delivery, prompt);
    const before = sends;
    await Promise.all(
      Array.from({ length: 200 }, (_, i) =>
        tickets.enqueue([{ ticket: ticket(i), delaySeconds: 0, prompt: i % 4 === 0 }]),
      ),
    );
    const requests = sends - before;
    // One request per create would be 200; a full batch every time, 20.
    expect(requests).toBeGreaterThanOrEqual(20);
    expect(requests).toBeLessThanOrEqual(60);
    const onPrompt = await drain(prompt);
    const onDelivery = await drain(delivery);
    expect(onPrompt.map((t) => t.dueAt).sort((a, b) => a - b)).toEqual(Array.from({ length: 50 }, (_, i) => i * 4));
    expect(onDelivery).toHaveLength(150);
    expect(new Set(onDelivery.map((t) => t.messageId)).size).toBe(150);
    expect(onDelivery.every((t) => t.dueAt % 4 !== 0)).toBe(true);
  });

  it('sends each call’s tickets in requests of their own when told not to share (the cost bench, as on AWS)', async () => {
    const delivery = await queue('coalesce-off');
    const tickets = new SqsDeliveryQueue(sqs, delivery, delivery, { shareRequests: false });
    const before = sends;
    await Promise.all(Array.from({ length: 40 }, (_, i) => tickets.enqueue([{ ticket: ticket(i), delaySeconds: 0 }])));
    expect(sends - before).toBe(40);
    expect(await drain(delivery)).toHaveLength(40);
  });

  it('sends a lone create’s ticket in a request of its own, at once', async () => {
    const delivery = await queue('coalesce-lone');
    const tickets = new SqsDeliveryQueue(sqs, delivery);
    const before = sends;
    await tickets.enqueue([{ ticket: ticket(7), delaySeconds: 0 }]);
    expect(sends - before).toBe(1);
    expect(await drain(delivery)).toEqual([ticket(7)]);
  });

  it('fails the create whose ticket the queue refuses, not the creates whose tickets shared its request', async () => {
    const delivery = await queue('coalesce-refused');
    const tickets = new SqsDeliveryQueue(sqs, delivery);
    // SQS refuses a body with a character outside XML's (U+FFFF) in its entry; the entries beside
    // it in the request are sent.
    const outcomes = await Promise.allSettled(
      Array.from({ length: 30 }, (_, i) =>
        tickets.enqueue([
          { ticket: i === 17 ? { ...ticket(i), messageId: 'msg_\uffff' } : ticket(i), delaySeconds: 0 },
        ]),
      ),
    );
    const refused = outcomes.flatMap((o, i) => (o.status === 'rejected' ? [i] : []));
    expect(refused).toEqual([17]);
    expect((await drain(delivery)).map((t) => t.dueAt).sort((a, b) => a - b)).toEqual(
      Array.from({ length: 30 }, (_, i) => i).filter((i) => i !== 17),
    );
  });
});

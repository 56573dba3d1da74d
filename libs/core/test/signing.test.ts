import { Webhook } from 'standardwebhooks';
import { describe, expect, it } from 'vitest';
import type { Message } from '../src';
import { buildDeliveryRequest, newSigningSecret, signatureHeader, signPayload } from '../src';

describe('webhook signing', () => {
  it('produces signatures the standardwebhooks package verifies', () => {
    const secret = newSigningSecret();
    const timestamp = Math.floor(Date.now() / 1000);
    const body = JSON.stringify({ hello: 'world' });
    const headers = {
      'webhook-id': 'msg_01JABCDEFGHJKMNPQRSTVWXYZ0',
      'webhook-timestamp': String(timestamp),
      'webhook-signature': signPayload(secret, 'msg_01JABCDEFGHJKMNPQRSTVWXYZ0', timestamp, body),
    };
    expect(new Webhook(secret).verify(body, headers)).toEqual({ hello: 'world' });
  });

  it('signs with every active secret so either verifies during a rotation', () => {
    const [oldSecret, newSecret] = [newSigningSecret(), newSigningSecret()];
    const timestamp = Math.floor(Date.now() / 1000);
    const header = signatureHeader([newSecret, oldSecret], 'msg_x', timestamp, '{"ping":true}');
    const headers = {
      'webhook-id': 'msg_x',
      'webhook-timestamp': String(timestamp),
      'webhook-signature': header,
    };
    expect(header.split(' ')).toHaveLength(2);
    expect(() => new Webhook(oldSecret).verify('{"ping":true}', headers)).not.toThrow();
    expect(() => new Webhook(newSecret).verify('{"ping":true}', headers)).not.toThrow();
  });

  it('a tampered body fails verification', () => {
    const secret = newSigningSecret();
    const timestamp = Math.floor(Date.now() / 1000);
    const headers = {
      'webhook-id': 'msg_x',
      'webhook-timestamp': String(timestamp),
      'webhook-signature': signPayload(secret, 'msg_x', timestamp, '{"a":1}'),
    };
    expect(() => new Webhook(secret).verify('{"a":2}', headers)).toThrow();
  });

  it('builds the delivery request with Standard Webhooks and Vigil headers, keeping the message own headers', () => {
    const message = {
      id: 'msg_x',
      url: 'https://example.com/hook',
      method: 'PUT',
      headers: { 'x-tenant-trace': 'abc' },
      body: '{"a":1}',
      bodyKind: 'json',
      sendAt: Date.parse('2026-12-01T09:00:00Z'),
      timeoutMs: 5000,
    } as unknown as Message;
    const request = buildDeliveryRequest(message, [newSigningSecret()], 3, 1_800_000_000, 'Vigil/0.1.0');
    expect(request.method).toBe('PUT');
    expect(request.timeoutMs).toBe(5000);
    expect(request.headers).toMatchObject({
      'x-tenant-trace': 'abc',
      'content-type': 'application/json',
      'user-agent': 'Vigil/0.1.0',
      'webhook-id': 'msg_x',
      'webhook-timestamp': '1800000000',
      'vigil-attempt': '3',
      'vigil-scheduled-at': '2026-12-01T09:00:00.000Z',
    });
    expect(request.headers['webhook-signature']).toMatch(/^v1,[A-Za-z0-9+/]+=*$/);
  });
});

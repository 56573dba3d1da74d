import { describe, expect, it } from 'vitest';
import type { MessageIn, TargetPolicy } from '../src';
import {
  classifyTargetAddress,
  FixedClock,
  MessageIn as MessageInSchema,
  patchMessage,
  reservedEndpointAt,
  scheduleBatch,
  scheduleMessage,
  targetUrlProblem,
  ValidationError,
} from '../src';
import { memorySchedulingDeps } from './memory-ports';

const DYNALITE = 41234;
/** The local stack: private targets allowed, its own services reserved. */
const LOCAL: TargetPolicy = {
  allowPrivateTargets: true,
  reservedEndpoints: [
    { name: 'API (gateway)', port: 4000 },
    { name: 'DynamoDB (dynalite)', port: DYNALITE },
  ],
  localAddresses: ['192.0.2.10', 'fe80::1'],
};
/** A deployed stage: public targets only. */
const PRODUCTION: TargetPolicy = { allowPrivateTargets: false, reservedEndpoints: [] };

describe('the target policy', () => {
  describe('in production mode (private targets not allowed)', () => {
    it.each([
      ['http://169.254.169.254/latest/meta-data/', '169.254.169.254 is link-local'],
      ['http://[fd00:ec2::254]/latest/meta-data/', '[fd00:ec2::254] is unique-local'],
      ['http://10.0.0.1/hook', '10.0.0.1 is private'],
      ['http://192.168.1.20:8080/hook', '192.168.1.20 is private'],
      ['http://100.64.0.1/hook', '100.64.0.1 is carrier-grade-nat'],
      ['http://127.0.0.1:9000/hook', '127.0.0.1 is loopback'],
      ['http://[::1]:9000/hook', '[::1] is loopback'],
      ['http://0.0.0.0/hook', '0.0.0.0 is unspecified'],
      ['http://[fe80::1]/hook', '[fe80::1] is link-local'],
      ['http://[::ffff:169.254.169.254]/', '[::ffff:a9fe:a9fe] is link-local'],
      // The URL parser's spellings of 127.0.0.1: decimal, hex, short.
      ['http://2130706433/hook', '127.0.0.1 is loopback'],
      ['http://0x7f.1/hook', '127.0.0.1 is loopback'],
      ['http://localhost:9000/hook', 'localhost is loopback'],
      ['https://api.localhost/hook', 'api.localhost is loopback'],
    ])('refuses %s as written', (url, why) => {
      expect(targetUrlProblem(url, PRODUCTION)).toBe(`${why}: only public internet addresses may be targets here`);
    });

    it.each(['https://example.com/hook', 'http://8.8.8.8/hook', 'https://[2606:4700::1111]/', 'http://metadata/'])(
      'accepts %s (a name is checked on every resolution when it is sent)',
      (url) => {
        expect(targetUrlProblem(url, PRODUCTION)).toBeUndefined();
      },
    );
  });

  describe('in the local stack (private targets allowed, its own ports reserved)', () => {
    it.each([
      `http://127.0.0.1:${DYNALITE}/`,
      `http://127.0.0.2:${DYNALITE}/`,
      `http://localhost:${DYNALITE}/`,
      `http://[::1]:${DYNALITE}/`,
      `http://0.0.0.0:${DYNALITE}/`,
      `http://[::]:${DYNALITE}/`,
      `http://[::ffff:127.0.0.1]:${DYNALITE}/`,
      `http://192.0.2.10:${DYNALITE}/`,
      `http://2130706433:${DYNALITE}/`,
    ])("refuses %s: the stack's own DynamoDB", (url) => {
      expect(targetUrlProblem(url, LOCAL)).toMatch(
        new RegExp(
          `:${DYNALITE} is this local stack's own DynamoDB \\(dynalite\\): a webhook cannot target the stack itself$`,
        ),
      );
    });

    it('refuses its own API on its port', () => {
      expect(targetUrlProblem('http://127.0.0.1:4000/v1/messages', LOCAL)).toMatch(/own API \(gateway\)/);
    });

    it.each([
      'http://127.0.0.1:9000/hook', // a receiver on this machine
      'http://192.168.1.20:41234/', // the reserved port, but another machine
      'http://10.0.0.1/hook',
      'https://example.com:41234/', // a name: checked on each resolution when sent
    ])('accepts %s', (url) => {
      expect(targetUrlProblem(url, LOCAL)).toBeUndefined();
    });
  });

  it('finds the reserved service only on this host', () => {
    expect(reservedEndpointAt('::1', DYNALITE, LOCAL)?.name).toBe('DynamoDB (dynalite)');
    expect(reservedEndpointAt('fe80::1', DYNALITE, LOCAL)?.name).toBe('DynamoDB (dynalite)');
    expect(reservedEndpointAt('8.8.8.8', DYNALITE, LOCAL)).toBeUndefined();
    expect(reservedEndpointAt('127.0.0.1', 9000, LOCAL)).toBeUndefined();
  });

  it('classifies the cloud metadata addresses as outside the public internet', () => {
    expect(classifyTargetAddress('169.254.169.254')).toBe('link-local');
    expect(classifyTargetAddress('fd00:ec2::254')).toBe('unique-local');
  });
});

describe('creating and changing messages under a target policy', () => {
  const T0 = Date.parse('2026-11-23T10:00:00.000Z');
  const setup = (targets: TargetPolicy) => {
    const deps = memorySchedulingDeps(new FixedClock(T0), { targets });
    return { deps, store: deps.store };
  };
  const input = (url: string): MessageIn => MessageInSchema.parse({ url, delay: 60 });
  const fieldErrorsOf = async (promise: Promise<unknown>) => {
    const error = await promise.then(
      () => undefined,
      (e: unknown) => e,
    );
    expect(error).toBeInstanceOf(ValidationError);
    return (error as ValidationError).errors;
  };

  it("refuses a webhook to the stack's own DynamoDB at create, naming url, and stores nothing", async () => {
    const { deps, store } = setup(LOCAL);

    const errors = await fieldErrorsOf(scheduleMessage(deps, 'tnt_a', input(`http://localhost:${DYNALITE}/`)));

    expect(errors).toEqual([{ path: 'url', message: expect.stringContaining('own DynamoDB (dynalite)') }]);
    expect((await store.list('tnt_a', { limit: 10 })).items).toEqual([]);
  });

  it('refuses a batch with one such target as a whole, naming its index', async () => {
    const { deps, store } = setup(PRODUCTION);

    const errors = await fieldErrorsOf(
      scheduleBatch(deps, 'tnt_a', [input('https://example.com/a'), input('http://169.254.169.254/latest')]),
    );

    expect(errors).toEqual([{ path: 'messages.1.url', message: expect.stringContaining('is link-local') }]);
    expect((await store.list('tnt_a', { limit: 10 })).items).toEqual([]);
  });

  it('refuses a PATCH that points a waiting message at a refused target, and keeps the old URL', async () => {
    const { deps, store } = setup(PRODUCTION);
    const { message } = await scheduleMessage(deps, 'tnt_a', input('https://example.com/a'));

    const errors = await fieldErrorsOf(patchMessage(deps, 'tnt_a', message.id, { url: 'http://10.1.2.3/x' }));

    expect(errors).toEqual([{ path: 'url', message: expect.stringContaining('10.1.2.3 is private') }]);
    expect((await store.get('tnt_a', message.id))?.url).toBe('https://example.com/a');
  });
});

describe('classifyTargetAddress', () => {
  it.each([
    ['10.0.0.1', 'private'],
    ['172.16.5.4', 'private'],
    ['192.168.1.1', 'private'],
    ['169.254.169.254', 'link-local'],
    ['100.64.0.1', 'carrier-grade-nat'],
    ['127.0.0.1', 'loopback'],
    ['0.0.0.0', 'unspecified'],
    ['255.255.255.255', 'broadcast'],
    ['224.0.0.1', 'multicast'],
    ['240.0.0.1', 'reserved'],
    ['::1', 'loopback'],
    ['::', 'unspecified'],
    ['fe80::1', 'link-local'],
    ['fd00::1', 'unique-local'],
    ['::ffff:127.0.0.1', 'loopback'],
    ['::ffff:169.254.169.254', 'link-local'],
    ['::7f00:1', 'ipv4-compatible'],
    ['64:ff9b::a00:1', 'rfc6052'],
    ['not-an-ip', 'not an IP address'],
  ])('treats %s as %s', (ip, range) => {
    expect(classifyTargetAddress(ip)).toBe(range);
  });

  it.each(['8.8.8.8', '2606:4700::1111', '::ffff:8.8.8.8'])('treats %s as public', (ip) => {
    expect(classifyTargetAddress(ip)).toBe('public');
  });
});

/**
 * A request done under its Idempotency-Key is never made again, in memory at a fixed clock: once
 * what it made is removed (a notification endpoint the tenant deleted), the same request again is
 * refused, 409 `state-conflict` naming what is gone, at once and after the request's lease alike,
 * where it waited out the lease (409 `idempotency-key-in-use`) and then added the endpoint again.
 * Results nothing removes within the key's 24 h (messages) cost no write more to be told done.
 */
import { describe, expect, it } from 'vitest';
import type { IdempotentResults } from '../src';
import {
  addNotificationEndpointIdempotently,
  FixedClock,
  IDEMPOTENCY_LEASE_MS,
  IdempotentRequestDoneError,
  PROBLEMS,
  removeNotificationEndpoint,
  runIdempotently,
} from '../src';
import { MemoryEndpoints, MemoryStore, silentLog } from './memory-ports';

const T0 = Date.parse('2026-12-07T09:00:00.000Z');
const TENANT = 'tnt_a';

const setup = () => {
  const clock = new FixedClock(T0);
  const store = new MemoryStore(() => clock.now());
  const settled: string[] = [];
  const settle = store.settleIdempotentResults.bind(store);
  store.settleIdempotentResults = async (...args) => {
    settled.push(args[3]);
    return settle(...args);
  };
  return { clock, store, settled, idempotency: { store, clock, log: silentLog } };
};

/** Results kept in a map, as a use case keeps its things: `removable` or not. */
const things = (options: { removable?: boolean; failWrite?: boolean } = {}) => {
  const stored = new Map<string, string>();
  let writes = 0;
  const results: IdempotentResults<string> = {
    load: async (ids) => ids.map((id) => stored.get(id)),
    write: async (ids, found) => {
      writes += 1;
      if (options.failWrite) throw new Error('injected write failure');
      return ids.map((id, i) => {
        const thing = found[i] ?? `thing ${id}`;
        stored.set(id, thing);
        return thing;
      });
    },
    ...(options.removable && {
      removable: {
        idsOf: (found: readonly string[]) => found.map((thing) => thing.slice('thing '.length)),
        named: ([id]: readonly string[]) => `the thing it made, ${id},`,
      },
    }),
  };
  return { stored, results, writes: () => writes };
};

describe('a notification endpoint added with an Idempotency-Key and removed since', () => {
  const ops = { url: 'https://example.com/ops', events: ['message.failed' as const] };

  it('refuses the same add again, naming the endpoint removed, at once and after the lease, and adds nothing', async () => {
    const { clock, idempotency } = setup();
    const endpoints = new MemoryEndpoints();
    const deps = { clock, endpoints, idempotency };
    const first = await addNotificationEndpointIdempotently(deps, TENANT, ops, 'p1');
    expect(first.created).toBe(true);
    await removeNotificationEndpoint(deps, TENANT, first.endpoint.id);

    const atOnce = await addNotificationEndpointIdempotently(deps, TENANT, ops, 'p1').catch((e: unknown) => e);
    expect(atOnce).toBeInstanceOf(IdempotentRequestDoneError);
    expect(atOnce).toMatchObject({ status: 409, type: 'state-conflict', title: PROBLEMS.stateConflict.title });
    expect((atOnce as Error).message).toBe(
      `The request with Idempotency-Key "p1" is done: the notification endpoint it answered with, ${first.endpoint.id}, has been removed since, so nothing was made again. To make it anew, send the request with a new Idempotency-Key.`,
    );
    expect(clock.now()).toBe(T0); // told at once, not after waiting for a request that is not running

    clock.advance(IDEMPOTENCY_LEASE_MS + 1);
    await expect(addNotificationEndpointIdempotently(deps, TENANT, ops, 'p1')).rejects.toThrow(
      IdempotentRequestDoneError,
    );
    expect(await endpoints.listEndpoints(TENANT)).toEqual([]);

    // A new key is a new request: it adds the endpoint anew.
    const anew = await addNotificationEndpointIdempotently(deps, TENANT, ops, 'p2');
    expect(anew.created).toBe(true);
    expect((await endpoints.listEndpoints(TENANT)).map((e) => e.id)).toEqual([anew.endpoint.id]);
  });

  it('names the endpoint the add answered with when its URL had one already, not the id the key bound, with no write more', async () => {
    const { clock, idempotency, settled } = setup();
    const endpoints = new MemoryEndpoints();
    const deps = { clock, endpoints, idempotency };
    const unkeyed = await addNotificationEndpointIdempotently(deps, TENANT, ops, undefined);
    clock.advance(1);
    const keyed = await addNotificationEndpointIdempotently(deps, TENANT, ops, 'p1');
    expect(keyed).toEqual({ endpoint: unkeyed.endpoint, created: false });
    expect(settled).toEqual(['kept']); // the mark every keyed add makes, and no other write
    await removeNotificationEndpoint(deps, TENANT, unkeyed.endpoint.id);

    const repeat = await addNotificationEndpointIdempotently(deps, TENANT, ops, 'p1').catch((e: unknown) => e);

    expect(repeat).toBeInstanceOf(IdempotentRequestDoneError);
    expect((repeat as Error).message).toContain(
      `the notification endpoint it answered with, ${unkeyed.endpoint.id}, has been removed since`,
    );
    expect(await endpoints.listEndpoints(TENANT)).toEqual([]);
  });

  it('still answers the repeat of an add whose endpoint stays with that endpoint (200), adding none', async () => {
    const { clock, idempotency } = setup();
    const endpoints = new MemoryEndpoints();
    const deps = { clock, endpoints, idempotency };
    const first = await addNotificationEndpointIdempotently(deps, TENANT, ops, 'p1');
    clock.advance(IDEMPOTENCY_LEASE_MS + 1);
    expect(await addNotificationEndpointIdempotently(deps, TENANT, ops, 'p1')).toEqual({
      endpoint: first.endpoint,
      created: false,
    });
    expect(await endpoints.listEndpoints(TENANT)).toHaveLength(1);
  });
});

describe('runIdempotently, telling a request done from one unfinished', () => {
  it('marks the key of removable results done once they are written, with one write', async () => {
    const { store, settled, idempotency } = setup();
    const { results } = things({ removable: true });
    await runIdempotently(idempotency, TENANT, { key: 'k', fingerprint: 'f' }, ['id_1'], results);
    expect(settled).toEqual(['kept']);
    expect(await store.findIdempotencyKey(TENANT, 'k', T0)).toMatchObject({ owner: 'id_1', settled: 'kept' });
  });

  it('makes no write more for results nothing removes within 24 h (a message create): the key is left undecided', async () => {
    const { store, settled, idempotency } = setup();
    const { results } = things();
    await runIdempotently(idempotency, TENANT, { key: 'k', fingerprint: 'f' }, ['msg_1', 'msg_2'], results);
    expect(settled).toEqual([]);
    expect((await store.findIdempotencyKey(TENANT, 'k', T0))?.settled).toBeUndefined();
  });

  it('leaves a key whose write failed unmarked, so the retry finishes the request with its ids', async () => {
    const { clock, store, idempotency } = setup();
    const failing = things({ removable: true, failWrite: true });
    await expect(
      runIdempotently(idempotency, TENANT, { key: 'k', fingerprint: 'f' }, ['id_1'], failing.results),
    ).rejects.toThrow(/injected/);
    expect((await store.findIdempotencyKey(TENANT, 'k', T0))?.settled).toBeUndefined();

    const retry = things({ removable: true });
    clock.advance(1);
    const done = await runIdempotently(idempotency, TENANT, { key: 'k', fingerprint: 'f' }, ['id_2'], retry.results);
    expect(done).toEqual({ results: ['thing id_1'], created: true });
    expect(await store.findIdempotencyKey(TENANT, 'k', clock.now())).toMatchObject({ owner: 'id_2', settled: 'kept' });
  });

  it('fails a request whose key could not be marked done, and its retry answers with what it made (kept now)', async () => {
    const { clock, store, idempotency } = setup();
    const settle = store.settleIdempotentResults.bind(store);
    store.settleIdempotentResults = async () => {
      throw new Error('injected store failure');
    };
    const { results, writes } = things({ removable: true });
    await expect(
      runIdempotently(idempotency, TENANT, { key: 'k', fingerprint: 'f' }, ['id_1'], results),
    ).rejects.toThrow(/injected store failure/);
    store.settleIdempotentResults = settle;

    clock.advance(1);
    const retry = await runIdempotently(idempotency, TENANT, { key: 'k', fingerprint: 'f' }, ['id_2'], results);
    expect(retry).toEqual({ results: ['thing id_1'], created: false });
    expect(writes()).toBe(1);
    expect((await store.findIdempotencyKey(TENANT, 'k', clock.now()))?.settled).toBe('kept');
  });

  it('refuses, and never writes again, results a retry kept as its answer and that were removed since, without `removable` too', async () => {
    const { clock, idempotency } = setup();
    const { stored, results, writes } = things();
    await runIdempotently(idempotency, TENANT, { key: 'k', fingerprint: 'f' }, ['id_1'], results);
    // Another request's repeat finds them stored and keeps them as its answer.
    clock.advance(1);
    expect(await runIdempotently(idempotency, TENANT, { key: 'k', fingerprint: 'f' }, ['id_2'], results)).toEqual({
      results: ['thing id_1'],
      created: false,
    });
    stored.clear();

    clock.advance(IDEMPOTENCY_LEASE_MS + 1);
    const refused = await runIdempotently(idempotency, TENANT, { key: 'k', fingerprint: 'f' }, ['id_3'], results).catch(
      (e: unknown) => e,
    );
    expect(refused).toBeInstanceOf(IdempotentRequestDoneError);
    expect((refused as Error).message).toBe(
      'The request with Idempotency-Key "k" is done: what it made has been removed since, so nothing was made again. To make it anew, send the request with a new Idempotency-Key.',
    );
    expect(writes()).toBe(1);
    expect(stored.size).toBe(0);
  });
});

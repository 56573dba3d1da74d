/**
 * How the webhook sender finds a target's addresses, without Node's thread pool. Node's default
 * lookup is `getaddrinfo` on libuv's pool: 4 threads, shared with file reads, zlib and crypto. A
 * tenant's name whose name server never answers held a thread through getaddrinfo's own timeouts
 * (5 s a try, tries and search domains over: tens of seconds, past the message's timeout, which gave
 * up on the request but not on the thread); four at once, and every other tenant's lookups and the
 * process's file reads waited behind them, and deliveries due then went out late.
 *
 * Names are asked of the name servers here with c-ares (`dns.Resolver`: its own sockets, no pool
 * thread), A and AAAA at once, each query bounded (QUERY_TIMEOUT_MS, QUERY_TRIES) and the whole
 * by what the caller has left. Some names are answered without a query: an address as itself,
 * `localhost` and `*.localhost` as loopback (RFC 6761, as the URL check in targets.ts reads them),
 * `*.invalid` as no such name (RFC 6761), and the names in the hosts file (read once) as it says.
 * Names are asked as written: no search domain is appended. Answers are kept for their TTL, at
 * most CACHE_MAX_TTL_S, for at most CACHE_MAX_NAMES names, and a burst to one name shares one query.
 *
 * A failure is not kept, a timeout neither: a name whose name servers never answer is asked again
 * by the first send after its query failed (the sends meanwhile share that query), and each send
 * waits at most its own timeout, holding no thread, only itself. Keeping a timeout a few seconds
 * would spare those waits, but would fail, without asking, sends the name server would by then
 * answer (most timeouts are a lost datagram or a resolver restarting), a `retry` or redeliver made
 * right after the tenant fixed its DNS among them, and record for each a wait that never happened.
 *
 * This only finds addresses: the sender checks every one against the target policy, at each connect.
 */
import dns from 'node:dns';
import type { LookupAddress, RecordWithTtl } from 'node:dns';
import { readFileSync } from 'node:fs';
import { isIP } from 'node:net';
import { classifyTargetAddress } from '@vigil/core';

/** How long a name server is given to answer one query, on the first try (c-ares waits longer on later ones). */
export const QUERY_TIMEOUT_MS = 2_000;

/** How many times each query is sent before it fails (a lost UDP datagram is sent again). */
export const QUERY_TRIES = 2;

/** The longest an answer is kept, whatever its TTL: a name re-pointed is followed within a minute. */
export const CACHE_MAX_TTL_S = 60;

/** The most names whose answers are kept; past it, the oldest is dropped. */
export const CACHE_MAX_NAMES = 1_000;

/**
 * Once one family's query answered with addresses, how long the other's is waited for (RFC 8305's
 * Resolution Delay): some name servers never answer AAAA, and a delivery does not wait on that.
 */
export const RESOLUTION_DELAY_MS = 50;

/** Where hosts files are on this platform (none on Windows here: its names are all asked). */
const HOSTS_FILE = '/etc/hosts';

/** A lookup that failed: its `code` as Node's DNS errors name it (ENOTFOUND, ETIMEOUT, ESERVFAIL...). */
export class DnsLookupError extends Error {
  override readonly name = 'DnsLookupError';
  constructor(
    readonly hostname: string,
    readonly code: string,
    what: string,
  ) {
    super(`DNS lookup of ${hostname}: ${what} (${code})`);
  }
}

export interface TargetResolverOptions {
  /** The name servers to ask (`ip` or `ip:port`; default: the system's, `dns.getServers()`). */
  servers?: readonly string[];
  /** The hosts file whose names are answered from it (default /etc/hosts; missing: none). */
  hostsFile?: string;
  /** This host's addresses, whose families it can connect over (default none known: both families). */
  localAddresses?: readonly string[];
  /**
   * The operating system's resolver (`systemLookup`), asked too for a name the name servers say
   * does not exist or has no address, so names only it knows resolve: mDNS `.local` names, a VPN's
   * per-domain name servers, search domains. For a deployment that trusts its targets (one that
   * allows private targets: the local stack), never for a public one: getaddrinfo waits on the
   * thread pool, and a tenant's name server could answer the query fast and then hold its threads.
   */
  systemLookup?: (hostname: string) => Promise<LookupAddress[]>;
}

/** The operating system's resolver: getaddrinfo, on the thread pool. */
export const systemLookup = (hostname: string): Promise<LookupAddress[]> =>
  dns.promises.lookup(hostname, { all: true });

const LOOPBACK: readonly LookupAddress[] = [
  { address: '127.0.0.1', family: 4 },
  { address: '::1', family: 6 },
];

const familyOf = (address: string): 4 | 6 => (isIP(address) === 6 ? 6 : 4);

/** Ranges of an address that reaches nothing beyond this host's link (and what is no address at all). */
const ONLY_THIS_HOST = new Set(['loopback', 'link-local', 'not an IP address']);

/**
 * The families this host has an address of beyond itself (not loopback, not link-local), as
 * getaddrinfo's AI_ADDRCONFIG judges, which Node's lookup asks for; both when it has neither.
 */
const connectableFamilies = (localAddresses: readonly string[]): ReadonlySet<4 | 6> => {
  const beyond = localAddresses.filter((address) => !ONLY_THIS_HOST.has(classifyTargetAddress(address)));
  const families = new Set(beyond.map(familyOf));
  return families.size > 0 ? families : new Set([4, 6]);
};

/** The hosts file's names and their addresses, in its order; an unreadable file has none. */
const readHostsFile = (path: string): Map<string, LookupAddress[]> => {
  const names = new Map<string, LookupAddress[]>();
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch {
    return names;
  }
  for (const line of text.split('\n')) {
    const [address, ...aliases] = line.replace(/#.*/, '').trim().split(/\s+/);
    if (!address || isIP(address) === 0) continue;
    for (const alias of aliases) {
      const name = alias.toLowerCase();
      const known = names.get(name) ?? [];
      if (!known.some((a) => a.address === address)) known.push({ address, family: familyOf(address) });
      names.set(name, known);
    }
  }
  return names;
};

/** Why both queries failed, in a few words, by the code that says most (a timeout first). */
const failureOf = (hostname: string, errors: NodeJS.ErrnoException[]): DnsLookupError => {
  const codes = errors.map((e) => e.code ?? 'EUNKNOWN');
  if (codes.includes(dns.TIMEOUT)) return new DnsLookupError(hostname, dns.TIMEOUT, 'no answer from the name server');
  if (codes.includes(dns.NOTFOUND)) return new DnsLookupError(hostname, dns.NOTFOUND, 'no such name');
  if (codes.every((code) => code === dns.NODATA)) return new DnsLookupError(hostname, dns.NODATA, 'no address');
  const code = codes.find((c) => c !== dns.NODATA) ?? 'EUNKNOWN';
  return new DnsLookupError(hostname, code, 'the name server failed');
};

export class TargetResolver {
  private readonly resolver: dns.promises.Resolver;
  private readonly hosts: Map<string, LookupAddress[]>;
  private readonly families: ReadonlySet<4 | 6>;
  private readonly cache = new Map<string, { addresses: LookupAddress[]; until: number }>();
  private readonly asking = new Map<string, Promise<LookupAddress[]>>();
  private readonly systemLookup: ((hostname: string) => Promise<LookupAddress[]>) | undefined;

  constructor(options: TargetResolverOptions = {}) {
    this.resolver = new dns.promises.Resolver({ timeout: QUERY_TIMEOUT_MS, tries: QUERY_TRIES });
    if (options.servers) this.resolver.setServers(options.servers);
    this.hosts = readHostsFile(options.hostsFile ?? HOSTS_FILE);
    this.families = connectableFamilies(options.localAddresses ?? []);
    this.systemLookup = options.systemLookup;
  }

  /**
   * Of a name's addresses (each checked already), those of a family this host can connect over:
   * a host without IPv6 tries no IPv6 address (Node's connect gives each address 250 ms before the
   * next, and the last one's failure is the attempt's). All of them when none is.
   */
  connectable(addresses: readonly LookupAddress[]): LookupAddress[] {
    const usable = addresses.filter((a) => this.families.has(a.family as 4 | 6));
    return usable.length > 0 ? usable : [...addresses];
  }

  /**
   * The addresses of `hostname`, IPv4 first; rejects with a DnsLookupError, at the latest once
   * `withinMs` passed (`timedOut` says what the caller's bound was, for the error).
   */
  resolve(hostname: string, withinMs: number, timedOut = `no answer within ${Math.round(withinMs)} ms`) {
    const name = hostname.toLowerCase().replace(/\.$/, '');
    const known = this.known(name);
    if (known) return Promise.resolve(known);
    if (/(^|\.)invalid$/.test(name)) return Promise.reject(new DnsLookupError(hostname, dns.NOTFOUND, 'no such name'));
    let asked = this.asking.get(name);
    if (!asked) {
      asked = this.ask(name).catch((err: DnsLookupError) => this.askSystem(name, err));
      this.asking.set(name, asked);
      const done = () => this.asking.delete(name);
      asked.then(done, done);
    }
    return new Promise<LookupAddress[]>((resolve, reject) => {
      const timer = setTimeout(
        () => reject(new DnsLookupError(hostname, dns.TIMEOUT, timedOut)),
        Math.max(0, withinMs),
      );
      asked.then(
        (addresses) => {
          clearTimeout(timer);
          resolve(addresses);
        },
        (err: DnsLookupError) => {
          clearTimeout(timer);
          reject(err);
        },
      );
    });
  }

  /** Cancels the queries under way (each fails with ECANCELLED). */
  close(): void {
    this.resolver.cancel();
  }

  /** The addresses known without a query: the name's own, loopback's, the hosts file's, or kept from an answer. */
  private known(name: string): LookupAddress[] | undefined {
    if (isIP(name) !== 0) return [{ address: name, family: familyOf(name) }];
    if (/(^|\.)localhost$/.test(name)) return [...LOOPBACK];
    const hosts = this.hosts.get(name);
    if (hosts) return [...hosts];
    const kept = this.cache.get(name);
    if (!kept) return undefined;
    if (kept.until > performance.now()) return [...kept.addresses];
    this.cache.delete(name);
    return undefined;
  }

  /** A and AAAA at once; the answer once both came, or one with addresses and RESOLUTION_DELAY_MS more. */
  private ask(name: string): Promise<LookupAddress[]> {
    const families = [
      { family: 4 as const, query: this.resolver.resolve4(name, { ttl: true }) },
      { family: 6 as const, query: this.resolver.resolve6(name, { ttl: true }) },
    ];
    return new Promise<LookupAddress[]>((resolve, reject) => {
      const records: (RecordWithTtl[] | undefined)[] = [undefined, undefined];
      const errors: NodeJS.ErrnoException[] = [];
      let delay: NodeJS.Timeout | undefined;
      let answered = false;
      const answer = () => {
        clearTimeout(delay);
        if (answered) return;
        answered = true;
        const found = families.flatMap(({ family }, i) =>
          (records[i] ?? []).map((r) => ({ address: r.address, family, ttl: r.ttl })),
        );
        if (found.length === 0) return reject(failureOf(name, errors));
        const ttlS = Math.min(CACHE_MAX_TTL_S, ...found.map((r) => r.ttl));
        const addresses = found.map(({ address, family }) => ({ address, family }));
        this.keep(name, addresses, ttlS);
        resolve(addresses);
      };
      const settled = () => records.filter((r) => r !== undefined).length + errors.length;
      families.forEach(({ query }, i) => {
        query.then(
          (found) => {
            records[i] = found;
            if (settled() === 2) answer();
            else if (found.length > 0) delay = setTimeout(answer, RESOLUTION_DELAY_MS);
          },
          (err: NodeJS.ErrnoException) => {
            errors.push(err);
            if (settled() === 2) answer();
          },
        );
      });
    });
  }

  /**
   * For a name the name servers do not know, the operating system's answer when there is a
   * `systemLookup` (not kept: it gives no TTL); else, or when it has none either, or for another
   * failure (a timeout: asking again would wait again), the name servers' own failure.
   */
  private askSystem(name: string, failure: DnsLookupError): Promise<LookupAddress[]> {
    const lookup = this.systemLookup;
    if (!lookup || (failure.code !== dns.NOTFOUND && failure.code !== dns.NODATA)) return Promise.reject(failure);
    return lookup(name).then(
      (addresses) => (addresses.length > 0 ? addresses : Promise.reject(failure)),
      () => Promise.reject(failure),
    );
  }

  private keep(name: string, addresses: LookupAddress[], ttlS: number): void {
    if (ttlS <= 0) return;
    this.cache.delete(name);
    if (this.cache.size >= CACHE_MAX_NAMES) {
      const [oldest] = this.cache.keys();
      if (oldest !== undefined) this.cache.delete(oldest);
    }
    this.cache.set(name, { addresses, until: performance.now() + ttlS * 1000 });
  }
}

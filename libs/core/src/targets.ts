/**
 * Where a webhook may go. One classification of addresses serves both checks: the one at create
 * and PATCH (the URL as written: literal addresses and `localhost`), and the sender's at every
 * connect (the addresses a name resolves to, each time). A deployment that does not allow private
 * targets refuses every address outside the public internet; the local stack, which does allow
 * them, still refuses its own services (its API, web app, DynamoDB, SQS and emulators), so a
 * webhook can never be turned against the stack that sends it.
 */
import ipaddr from 'ipaddr.js';
import type { FieldError } from './errors';

/** One of the local stack's own listening ports, which no webhook may target. */
export interface ReservedEndpoint {
  /** What listens there, for the error message (`DynamoDB (dynalite)`, `web app`, ...). */
  name: string;
  port: number;
}

export interface TargetPolicy {
  /** Loopback, private, link-local... addresses allowed (the local stack); false on AWS. */
  allowPrivateTargets: boolean;
  /** Ports on this host that are the stack's own services (empty on AWS). */
  reservedEndpoints: readonly ReservedEndpoint[];
  /** This host's own addresses (its interfaces), which reach the reserved ports as loopback does. */
  localAddresses?: readonly string[];
}

/**
 * 'public' for a globally routable unicast address, otherwise the name of the range it falls in
 * ('loopback', 'private', 'link-local', 'unique-local', 'carrier-grade-nat', 'unspecified', ...).
 * IPv4-mapped IPv6 addresses are judged by the IPv4 address they carry. Only plain unicast is
 * public: the translation ranges (6to4, Teredo, NAT64) can reach IPv4 space and are refused too.
 * Cloud metadata addresses fall in these ranges (169.254.169.254 link-local, fd00:ec2::254
 * unique-local).
 */
export const classifyTargetAddress = (ip: string): 'public' | string => {
  if (!ipaddr.isValid(ip)) return 'not an IP address';
  const address = ipaddr.process(ip);
  const range = address.range();
  if (range !== 'unicast') return range.replace(/[A-Z]/g, (c) => `-${c.toLowerCase()}`);
  if (
    address.kind() === 'ipv6' &&
    address
      .toByteArray()
      .slice(0, 12)
      .every((b) => b === 0)
  ) {
    return 'ipv4-compatible'; // ::a.b.c.d, deprecated
  }
  return 'public';
};

const sameAddress = (a: string, b: string) =>
  ipaddr.isValid(a) && ipaddr.isValid(b) && ipaddr.process(a).toString() === ipaddr.process(b).toString();

/**
 * The stack's own service at `address:port`, if that is one: loopback, unspecified (0.0.0.0 and ::
 * reach this host) or one of this host's addresses, on a reserved port.
 */
export const reservedEndpointAt = (
  address: string,
  port: number,
  policy: Pick<TargetPolicy, 'reservedEndpoints' | 'localAddresses'>,
): ReservedEndpoint | undefined => {
  const endpoint = policy.reservedEndpoints.find((e) => e.port === port);
  if (!endpoint) return undefined;
  const range = classifyTargetAddress(address);
  const thisHost =
    range === 'loopback' ||
    range === 'unspecified' ||
    (policy.localAddresses ?? []).some((local) => sameAddress(local, address));
  return thisHost ? endpoint : undefined;
};

/** `localhost` and `*.localhost` always mean this host (RFC 6761), whatever a resolver says. */
const isLocalhostName = (host: string) => /(^|\.)localhost\.?$/i.test(host);

/**
 * Why a webhook URL may not be a target, judged as written (no name is resolved here: the sender
 * checks each resolution when it connects). Literal addresses are checked, and `localhost` as
 * loopback. Undefined when the URL may be stored.
 */
export const targetUrlProblem = (url: string, policy: TargetPolicy): string | undefined => {
  if (!URL.canParse(url)) return undefined; // the schema reports malformed URLs
  const parsed = new URL(url);
  const host = parsed.hostname.replace(/^\[(.*)\]$/, '$1');
  const port = parsed.port !== '' ? Number(parsed.port) : parsed.protocol === 'https:' ? 443 : 80;
  const addresses = ipaddr.isValid(host) ? [host] : isLocalhostName(host) ? ['127.0.0.1', '::1'] : [];
  for (const address of addresses) {
    const reserved = reservedEndpointAt(address, port, policy);
    if (reserved) {
      return `${parsed.hostname}:${port} is this local stack's own ${reserved.name}: a webhook cannot target the stack itself`;
    }
    const range = classifyTargetAddress(address);
    if (!policy.allowPrivateTargets && range !== 'public') {
      return `${parsed.hostname} is ${range}: only public internet addresses may be targets here`;
    }
  }
  return undefined;
};

/** The field error for a URL this policy refuses (none without a policy, as in pure tests). */
export const targetErrors = (policy: TargetPolicy | undefined, url: string, path: string): FieldError[] => {
  const problem = policy && targetUrlProblem(url, policy);
  return problem ? [{ path, message: problem }] : [];
};

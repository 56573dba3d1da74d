/**
 * A name server on 127.0.0.1 (UDP) for tests: it answers A and AAAA queries for the names it is
 * given, with the TTL given, never answers the names it is told to ignore (a tenant's name server
 * that hangs), and says NXDOMAIN for any other name. It counts the queries it read, by name.
 */
import dgram from 'node:dgram';
import type { AddressInfo } from 'node:net';
import { isIP } from 'node:net';
import ipaddr from 'ipaddr.js';

const TYPE_A = 1;
const TYPE_AAAA = 28;

export interface FakeDnsAnswer {
  addresses: readonly string[];
  ttlS?: number;
  /** Queries of this type for the name are never answered (some name servers drop AAAA). */
  unanswered?: 'A' | 'AAAA';
}

/** The question's name (lower-cased) and where it ends in the packet. */
const questionOf = (packet: Buffer): { name: string; end: number } => {
  const labels: string[] = [];
  let at = 12;
  while (at < packet.length && packet[at] !== 0) {
    const length = packet[at] as number;
    labels.push(packet.subarray(at + 1, at + 1 + length).toString('latin1'));
    at += 1 + length;
  }
  return { name: labels.join('.').toLowerCase(), end: at + 5 };
};

const record = (type: number, address: string, ttlS: number): Buffer => {
  const data = Buffer.from(ipaddr.parse(address).toByteArray());
  const head = Buffer.alloc(12);
  head.writeUInt16BE(0xc00c, 0); // the name: a pointer to the question's
  head.writeUInt16BE(type, 2);
  head.writeUInt16BE(1, 4); // IN
  head.writeUInt32BE(ttlS, 6);
  head.writeUInt16BE(data.length, 10);
  return Buffer.concat([head, data]);
};

export const fakeDns = () => {
  const socket = dgram.createSocket('udp4');
  const answers = new Map<string, FakeDnsAnswer>();
  const silent = new Set<string>();
  const queries = new Map<string, number>();
  socket.on('message', (packet, from) => {
    if (packet.length < 12) return;
    const { name, end } = questionOf(packet);
    queries.set(name, (queries.get(name) ?? 0) + 1);
    if ([...silent].some((ignored) => name === ignored || name.endsWith(`.${ignored}`))) return;
    const type = packet.readUInt16BE(end - 4);
    const answer = answers.get(name);
    const family = type === TYPE_A ? 4 : type === TYPE_AAAA ? 6 : 0;
    if (answer?.unanswered === (family === 4 ? 'A' : 'AAAA')) return;
    const records = (answer?.addresses ?? [])
      .filter((address) => isIP(address) === family)
      .map((address) => record(type, address, answer?.ttlS ?? 0));
    const head = Buffer.alloc(12);
    packet.copy(head, 0, 0, 2); // the query's id
    head.writeUInt16BE(answer ? 0x8180 : 0x8183, 2); // a response, recursion available; NXDOMAIN for an unknown name
    head.writeUInt16BE(1, 4);
    head.writeUInt16BE(records.length, 6);
    socket.send(Buffer.concat([head, packet.subarray(12, end), ...records]), from.port, from.address);
  });
  return {
    /** `name` answers with these addresses (replacing what it answered before). */
    answer(name: string, answer: FakeDnsAnswer) {
      answers.set(name.toLowerCase(), answer);
    },
    /** Queries for `name` and the names under it are read and never answered. */
    ignore(name: string) {
      silent.add(name.toLowerCase());
    },
    /** Queries for `name` are answered again (a name server back after an outage). */
    heed(name: string) {
      silent.delete(name.toLowerCase());
    },
    /** How many queries for `name` came (A and AAAA each count). */
    queries: (name: string) => queries.get(name.toLowerCase()) ?? 0,
    async start(): Promise<string> {
      await new Promise<void>((resolve) => socket.bind(0, '127.0.0.1', resolve));
      return `127.0.0.1:${(socket.address() as AddressInfo).port}`;
    },
    async stop() {
      await new Promise<void>((resolve) => socket.close(() => resolve()));
    },
  };
};

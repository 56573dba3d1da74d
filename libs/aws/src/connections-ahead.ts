/**
 * Connections opened ahead of the requests that will use them. A delivery is sent at an instant;
 * connecting only then (the name's lookup, TCP's handshake, TLS's: one to three round trips to
 * the receiver) puts all of that between the instant and the receiver. The worker knows each send
 * about 200 ms ahead (it takes the message then), so the sender opens the connection at the take,
 * and the request at the instant only writes on it.
 *
 * Node's agents make a socket through `createConnection` whenever a request needs a new one (a
 * method the docs invite agents to override); the agents here first hand out a connection opened
 * ahead for the request's origin. One not taken within `CONNECTION_AHEAD_KEEP_MS` is closed.
 */
import http from 'node:http';
import https from 'node:https';
import type { LookupFunction, Socket } from 'node:net';
import { isIP } from 'node:net';
import type { Duplex } from 'node:stream';

/** A connection opened ahead and not taken by then is closed (longer than a burst's take lead). */
export const CONNECTION_AHEAD_KEEP_MS = 5_000;

/** Where to connect ahead: the request's host and port, and the lookup its request will use. */
export interface ConnectionTarget {
  host: string;
  port: number;
  /** The sender's guarded lookup, so an address refused for the request is never connected to. */
  lookup?: LookupFunction;
}

interface OpenedAhead {
  socket: Socket;
  timer: NodeJS.Timeout;
}

/** `host:port`, as the agent's options for a request name it. */
const originOf = (options: { host?: string | null; hostname?: string | null; port?: number | string | null }) =>
  `${options.host ?? options.hostname ?? 'localhost'}:${options.port ?? ''}`;

/** Connections opened ahead and not yet taken, by origin, oldest first. */
class OpenedConnections {
  private readonly byOrigin = new Map<string, OpenedAhead[]>();

  constructor(private readonly keepMs: number) {}

  /** The live connections waiting for `origin` (dead ones are dropped on the way). */
  waiting(origin: string): number {
    return this.live(origin).length;
  }

  add(origin: string, socket: Socket): void {
    // A failed connect is only a connection not opened: the request will connect and meet the error itself.
    socket.on('error', () => {});
    const timer = setTimeout(() => {
      this.remove(origin, socket);
      socket.destroy();
    }, this.keepMs);
    timer.unref();
    this.byOrigin.set(origin, [...this.live(origin), { socket, timer }]);
  }

  /** The oldest live connection waiting for `origin`, now the caller's; undefined if none. */
  take(origin: string): Socket | undefined {
    const [first, ...rest] = this.live(origin);
    if (!first) return undefined;
    clearTimeout(first.timer);
    this.set(origin, rest);
    return first.socket;
  }

  closeAll(): void {
    for (const opened of this.byOrigin.values()) {
      for (const { socket, timer } of opened) {
        clearTimeout(timer);
        socket.destroy();
      }
    }
    this.byOrigin.clear();
  }

  /**
   * Those that can still carry a request: not closed by either side (a server may close an idle
   * one), and nothing read from the receiver yet. An HTTP server speaks only to answer: bytes before
   * the request are what it says as it gives up on a connection idle too long (Node's server, say,
   * writes `408 Request Timeout` and closes), and the send reading them took that for its answer: a
   * 408, an attempt spent, for a request the receiver never got. (Its close, after those bytes, is
   * only read once they are.)
   */
  private live(origin: string): OpenedAhead[] {
    const opened = this.byOrigin.get(origin) ?? [];
    const usable = ({ socket }: OpenedAhead) => !socket.destroyed && socket.writable && socket.readableLength === 0;
    const live = opened.filter(usable);
    if (live.length !== opened.length) {
      for (const dead of opened.filter((o) => !usable(o))) {
        clearTimeout(dead.timer);
        dead.socket.destroy();
      }
      this.set(origin, live);
    }
    return live;
  }

  private remove(origin: string, socket: Socket): void {
    this.set(
      origin,
      (this.byOrigin.get(origin) ?? []).filter((opened) => opened.socket !== socket),
    );
  }

  private set(origin: string, opened: OpenedAhead[]): void {
    if (opened.length === 0) this.byOrigin.delete(origin);
    else this.byOrigin.set(origin, opened);
  }
}

/**
 * How many connections to `origin` the agent has (in use or idle). Its own names for an origin
 * start with `host:port:` (then the local address, the family and, for HTTPS, the TLS options).
 */
const agentConnections = (agent: http.Agent, origin: string): { free: number; all: number } => {
  const count = (sockets: NodeJS.ReadOnlyDict<Socket[]>) =>
    Object.entries(sockets)
      .filter(([name]) => name.startsWith(`${origin}:`))
      .reduce((sum, [, list]) => sum + (list?.length ?? 0), 0);
  const free = count(agent.freeSockets);
  return { free, all: free + count(agent.sockets) };
};

/** What the agent gives each connection it makes (Node keeps it as `agent.options`; not in http.Agent's types). */
const optionsOf = (agent: http.Agent): http.AgentOptions =>
  (agent as http.Agent & { options: http.AgentOptions }).options;

/** The part both agents share: when to connect ahead, and handing the connection out. */
class ConnectAhead {
  private readonly opened: OpenedConnections;

  constructor(
    private readonly agent: http.Agent,
    keepMs: number,
  ) {
    this.opened = new OpenedConnections(keepMs);
  }

  /**
   * Opens a connection to `target` for a request to come, unless the agent has one idle there
   * already (the request will reuse it) or the origin has its `maxSockets` open or waiting.
   */
  open(target: ConnectionTarget, connect: (options: http.ClientRequestArgs) => Duplex | null | undefined): void {
    const origin = originOf(target);
    const { free, all } = agentConnections(this.agent, origin);
    if (free > 0 || all + this.opened.waiting(origin) >= this.agent.maxSockets) return;
    const socket = connect({
      host: target.host,
      port: target.port,
      ...(target.lookup && { lookup: target.lookup }),
      ...optionsOf(this.agent),
    });
    if (socket) this.opened.add(origin, socket as Socket);
  }

  take(options: http.ClientRequestArgs): Socket | undefined {
    return this.opened.take(originOf(options));
  }

  close(): void {
    this.opened.closeAll();
  }
}

/** A keep-alive HTTP agent whose new connections may have been opened ahead (`connectAhead`). */
export class HttpAgentAhead extends http.Agent {
  private readonly ahead: ConnectAhead;

  constructor(options: http.AgentOptions, keepMs = CONNECTION_AHEAD_KEEP_MS) {
    super(options);
    this.ahead = new ConnectAhead(this, keepMs);
  }

  connectAhead(target: ConnectionTarget): void {
    this.ahead.open(target, (options) => super.createConnection(options));
  }

  override createConnection(
    options: http.ClientRequestArgs,
    callback?: (err: Error | null, stream: Duplex) => void,
  ): Duplex | null | undefined {
    return this.ahead.take(options) ?? super.createConnection(options, callback);
  }

  override destroy(): void {
    this.ahead.close();
    super.destroy();
  }
}

/** The HTTPS twin: a connection opened ahead has done its TLS handshake by the time it is taken. */
export class HttpsAgentAhead extends https.Agent {
  private readonly ahead: ConnectAhead;

  constructor(options: https.AgentOptions, keepMs = CONNECTION_AHEAD_KEEP_MS) {
    super(options);
    this.ahead = new ConnectAhead(this, keepMs);
  }

  connectAhead(target: ConnectionTarget): void {
    this.ahead.open(target, (options) => {
      // As the agent itself would: SNI and the certificate's check by the host name (none for an
      // address), and its TLS session cache under the origin's name.
      const tlsOptions: https.RequestOptions = {
        ...options,
        ...(isIP(target.host) === 0 && { servername: target.host }),
      };
      return super.createConnection({ ...tlsOptions, _agentKey: this.getName(tlsOptions) } as https.RequestOptions);
    });
  }

  override createConnection(
    options: https.RequestOptions,
    callback?: (err: Error | null, stream: Duplex) => void,
  ): Duplex | null | undefined {
    return this.ahead.take(options) ?? super.createConnection(options, callback);
  }

  override destroy(): void {
    this.ahead.close();
    super.destroy();
  }
}

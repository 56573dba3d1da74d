/**
 * An HTTP server's bounds on a connection, kept in the process's own time: how long a request may
 * take to arrive (its head, and the whole of it) and how long a kept-alive connection may sit idle
 * between requests. Node keeps both by the clock (headersTimeout and requestTimeout, checked by an
 * interval; keepAliveTimeout, a socket timer), and after a stall of the process (SIGSTOP, a paused
 * VM) its timers run before its sockets are read: a request that had fully arrived meanwhile was
 * answered 408 as if its client were slow, and a connection idle across the stall was closed at
 * once, so the client that sent its next request on it (during the stall, or just after) had it
 * reset. These bounds are stallAwareDeadline's instead: a stall is given back, up to the bound
 * again, and the sockets are read first.
 */
import type { IncomingMessage, Server, ServerResponse } from 'node:http';
import type { Socket } from 'node:net';
import type { StallAwareDeadline } from '@vigil/aws/stall-aware-deadline';
import { stallAwareDeadline } from '@vigil/aws/stall-aware-deadline';

/**
 * Node waits this much longer than the keep-alive timeout it advertises (Keep-Alive: timeout=N)
 * before it closes an idle connection, so a client that reuses one at N has its request read
 * (HTTP_SERVER_KEEP_ALIVE_TIMEOUT_BUFFER in Node's http server); kept here too.
 */
const KEEP_ALIVE_BUFFER_MS = 1_000;

export interface ArrivalBounds {
  /** How long a request's head may take to arrive, from its first byte (a new connection's: from the connection). */
  headMs: number;
  /** How long the whole request, head and body, may take to arrive. */
  requestMs: number;
  /**
   * A request did not arrive in time: answer it (408) and close the connection. `answering` when a
   * response to it has begun already (its body came too slowly after an early answer), when only
   * closing is left. `req` when its head arrived (its body is what came too slowly).
   */
  late(socket: Socket, answering: boolean, req: IncomingMessage | undefined): void;
}

/**
 * Bounds `server`'s connections in the process's own time: a connection idle after its last answer
 * is closed after the server's keepAliveTimeout (as advertised, plus Node's second of grace), and,
 * with `arrival`, a request that takes longer than its bounds to arrive is `late`. Node's own
 * arrival bounds must be off (headersTimeout and requestTimeout 0); its keep-alive timer is
 * replaced by this one on each idle connection, and the server's keepAliveTimeout stays what it
 * advertises.
 */
export const boundConnectionsInProcessTime = (server: Server, arrival?: ArrivalBounds): void => {
  const connections = new WeakMap<Socket, ConnectionBounds>();
  server.on('connection', (socket: Socket) => connections.set(socket, new ConnectionBounds(server, socket, arrival)));
  server.on('request', (req: IncomingMessage, res: ServerResponse) => connections.get(req.socket)?.request(req, res));
};

/**
 * Node's parser of a connection (undocumented; since Node 18, for its own request timeouts):
 * `duration()` is above 0 from the first byte of a request until it has arrived whole.
 */
interface RequestParser {
  duration?(): number;
}

/** A request is arriving on `socket`: its first byte has come, not yet all of it (by Node's parser). */
const requestArriving = (socket: Socket): boolean =>
  ((socket as Socket & { parser?: RequestParser | null }).parser?.duration?.() ?? 0) > 0;

/** The request whose arrival a pair of bounds is for: the next one until its head has arrived. */
interface Arriving {
  req?: IncomingMessage;
}

class ConnectionBounds {
  /** Requests whose answers are not yet finished. */
  private answering = 0;
  /** The latest request (its head arrived). */
  private latest: { req: IncomingMessage; res: ServerResponse } | undefined;
  /** The request being bounded now (its head, then the whole of it). */
  private arriving: Arriving | undefined;
  private head: StallAwareDeadline | undefined;
  private whole: StallAwareDeadline | undefined;
  /** The connection is idle between requests: its last one arrived whole and was answered. */
  private waiting = false;
  /** Closes it once idle for the keep-alive timeout. */
  private idle: StallAwareDeadline | undefined;
  /**
   * A request that did not arrive in time, behind requests still being answered (pipelined): it is
   * answered once they are, in their order, when no more than this many answers are under way.
   */
  private lateOnceAnswered: number | undefined;
  /** That request, when its head arrived. */
  private lateRequest: IncomingMessage | undefined;

  constructor(
    private readonly server: Server,
    private readonly socket: Socket,
    private readonly arrival: ArrivalBounds | undefined,
  ) {
    socket.on('close', () => this.cancelAll());
    if (!arrival) return;
    // The first request arrives from the connection on (a connection that sends nothing is held
    // no longer than a head may take).
    this.arrive(arrival);
    // Bytes on an idle connection begin its next request; seen before Node's parser reads them
    // (prependListener). A 'data' listener makes Node hand the socket's bytes to its parser
    // through the stream, not straight from the handle.
    socket.prependListener('data', () => {
      if (!this.waiting) return;
      this.waiting = false;
      this.idle?.cancel();
      this.idle = undefined;
      this.arrive(arrival);
    });
    // Once Node's parser has read them: a request begun behind one that arrived whole, in the same
    // bytes or while that one is answered (pipelined), arrives within the bounds too. Unbounded, a
    // client that sent half of it held the connection for good.
    socket.on('data', () => {
      const bounded = this.arriving;
      if (bounded && !bounded.req?.complete) return;
      if (requestArriving(socket)) this.arrive(arrival);
    });
  }

  /** A request's head has arrived: its body may still be arriving; an answer is under way. */
  request(req: IncomingMessage, res: ServerResponse): void {
    this.waiting = false;
    this.head?.cancel();
    this.head = undefined;
    this.idle?.cancel();
    this.idle = undefined;
    this.answering += 1;
    this.latest = { req, res };
    if (this.arrival) {
      if (this.arriving && !this.arriving.req) this.arriving.req = req;
      // Its head came with the end of the request before, while no bound was kept: its body
      // arrives within the bound from now.
      else this.arriveWhole(this.arrival.requestMs, { req });
    }
    const whole = this.whole;
    req.once('end', () => whole?.cancel());
    res.once('close', () => {
      this.answering -= 1;
      if (this.lateOnceAnswered !== undefined && this.answering <= this.lateOnceAnswered) {
        this.lateOnceAnswered = undefined;
        this.arrival?.late(this.socket, false, this.lateRequest);
        return;
      }
      if (this.answering > 0 || this.latest?.res !== res) return;
      // Idle once the request has arrived whole too (the rest of a body answered early is read
      // and dropped first).
      if (req.complete) this.keepIdle();
      else req.once('end', () => this.answering === 0 && this.latest?.res === res && this.keepIdle());
    });
  }

  /** A request begins to arrive: its head and the whole of it must arrive in time. */
  private arrive({ headMs, requestMs }: ArrivalBounds) {
    // The request before, if any, has arrived whole: its bounds are done.
    this.head?.cancel();
    this.head = stallAwareDeadline(performance.now() + headMs, headMs, () => this.late());
    this.arriveWhole(requestMs, {});
  }

  private arriveWhole(requestMs: number, arriving: Arriving) {
    this.whole?.cancel();
    this.arriving = arriving;
    this.whole = stallAwareDeadline(performance.now() + requestMs, requestMs, () => {
      // Its head arrived and its body is whole: it arrived, though not all read yet.
      if (arriving.req?.complete) return;
      this.late();
    });
  }

  private late() {
    this.cancelAll();
    const req = this.arriving?.req;
    // A response begun: to the request whose body is late (not to the one before a late head).
    const answering = req !== undefined && this.latest?.req === req && this.latest.res.headersSent;
    // Answers to the requests before it still under way (pipelined): they go first, in order.
    const own = req === undefined ? 0 : 1;
    if (!answering && this.answering > own) {
      this.lateOnceAnswered = own;
      this.lateRequest = req;
      return;
    }
    this.arrival?.late(this.socket, answering, req);
  }

  /**
   * The connection is idle after an answer: closed after the keep-alive timeout unless its next
   * request has begun to arrive, in place of Node's timer. One closing after its answer is left
   * to close; one whose next request is arriving (pipelined) is bounded by that request's bounds.
   */
  private keepIdle() {
    const { socket, server } = this;
    if (socket.destroyed || !socket.writable) return;
    if (this.arrival && requestArriving(socket)) return;
    this.waiting = true;
    if (!server.keepAliveTimeout) return;
    // Node's timer, set once the answer finished, would close it by the clock.
    socket.setTimeout(0);
    const idleMs = server.keepAliveTimeout + KEEP_ALIVE_BUFFER_MS;
    const bytesRead = socket.bytesRead;
    this.idle = stallAwareDeadline(performance.now() + idleMs, idleMs, () => {
      this.idle = undefined;
      // Part of a next request came meanwhile: idle from now on, as Node's timer is kept by reads.
      if (socket.bytesRead !== bytesRead) this.keepIdle();
      else socket.destroy();
    });
  }

  private cancelAll() {
    for (const deadline of [this.head, this.whole, this.idle]) deadline?.cancel();
    this.idle = undefined;
  }
}

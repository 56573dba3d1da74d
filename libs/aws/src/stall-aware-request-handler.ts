/**
 * The AWS SDK clients' HTTP handler: the SDK's own (NodeHttpHandler), with its request timeout kept
 * by a deadline that knows a stall of the process (stall-aware-deadline.ts) instead of its plain
 * timer. After a stall (SIGSTOP, a VM paused) Node runs timers before it reads sockets, so the SDK's
 * timer called a call answered during the stall a TimeoutError, and the SDK sent it again: a store
 * write made twice, a take that lost to itself, a queue send repeated.
 */
import { NodeHttpHandler } from '@smithy/node-http-handler';
import { stallAwareDeadline } from './stall-aware-deadline';

export interface StallAwareRequestHandlerOptions {
  /**
   * How long a call may wait for its answer's head, from the moment it is handed to the handler (a
   * wait for one of the client's sockets included). A stall of the process is given back, up to
   * this much again.
   */
  requestTimeout: number;
  /**
   * How long a connection may take to open, by the SDK's own timer (0: none; the request timeout
   * bounds it too).
   */
  connectionTimeout: number;
}

type HandleRequest = Parameters<NodeHttpHandler['handle']>[0];
type HttpHandlerOptions = NonNullable<Parameters<NodeHttpHandler['handle']>[1]>;

/** The SDK's timeout error, as its retry strategy and isDependencyUnavailable read it (a transient error). */
const requestTimeoutError = (timeoutMs: number, givenBackMs: number) =>
  Object.assign(
    new Error(
      `the request had no answer within its ${timeoutMs} ms requestTimeout` +
        (givenBackMs > 0 ? ` (and ${Math.round(givenBackMs)} ms given back for a stall of this process)` : ''),
    ),
    { name: 'TimeoutError', code: 'ETIMEDOUT' },
  );

export class StallAwareRequestHandler extends NodeHttpHandler {
  readonly requestTimeoutMs: number;

  constructor(options: StallAwareRequestHandlerOptions) {
    // The SDK's own request timer is off (0): the deadline below keeps it.
    super({ connectionTimeout: options.connectionTimeout, requestTimeout: 0 });
    this.requestTimeoutMs = options.requestTimeout;
  }

  override async handle(request: HandleRequest, options: HttpHandlerOptions = {}) {
    const timeoutMs = options.requestTimeout || this.requestTimeoutMs;
    const caller = options.abortSignal;
    if (!timeoutMs || caller?.aborted) return super.handle(request, { ...options, requestTimeout: 0 });
    const controller = new AbortController();
    let timedOut: Error | undefined;
    const deadline = stallAwareDeadline(performance.now() + timeoutMs, timeoutMs, (givenBackMs) => {
      timedOut = requestTimeoutError(timeoutMs, givenBackMs);
      controller.abort(timedOut);
    });
    // The caller's own abort still ends the call, through the one signal the SDK's handler takes.
    const forwardAbort = () => controller.abort((caller as { reason?: unknown } | undefined)?.reason);
    const listens = caller !== undefined && 'addEventListener' in caller;
    if (listens) caller.addEventListener('abort', forwardAbort, { once: true });
    else if (caller) {
      const theirs = caller.onabort;
      caller.onabort = function (this: unknown, ...args: unknown[]) {
        forwardAbort();
        if (typeof theirs === 'function') (theirs as (...a: unknown[]) => unknown).apply(this, args);
      };
    }
    try {
      return await super.handle(request, { abortSignal: controller.signal, requestTimeout: 0 });
    } catch (error) {
      throw timedOut ?? error;
    } finally {
      deadline.cancel();
      if (listens) caller.removeEventListener('abort', forwardAbort);
    }
  }
}

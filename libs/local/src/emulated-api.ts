/**
 * The HTTP side every local emulator of an AWS JSON API shares: read the body (refused past a
 * size), route it, and answer as the service does: JSON, `x-amzn-requestid`, and for errors the
 * code in `x-amzn-errortype` with the message in the body, which the SDK clients turn back into
 * their own exception classes.
 */
import { randomUUID } from 'node:crypto';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import type { z } from 'zod';
import { boundConnectionsInProcessTime } from './connection-deadlines';

/** Emulated AWS APIs take request bodies of at most this many bytes. */
const MAX_BODY_BYTES = 1024 * 1024;

/** An error the emulator answers with, as the service does: a code, a status and a message. */
export class EmulatedApiError<Code extends string = string> extends Error {
  constructor(
    readonly code: Code,
    readonly status: number,
    message: string,
  ) {
    super(message);
  }
}

/** A schema's refusal as the emulated services word it: `path: message; ...`. */
export const describeIssues = (error: z.ZodError): string =>
  error.issues.map((issue) => `${issue.path.join('.') || 'body'}: ${issue.message}`).join('; ');

/** A request's JSON body ({} when empty); one that is not JSON is refused with the service's own error. */
export const parseJsonBody = (body: string, refuse: (message: string) => EmulatedApiError): unknown => {
  if (body.trim() === '') return {};
  try {
    return JSON.parse(body);
  } catch {
    throw refuse('The request body is not valid JSON.');
  }
};

export interface EmulatedAnswer {
  status: number;
  /** Absent: an empty response. */
  body?: unknown;
}

export interface EmulatedApiOptions {
  /** In log lines: "scheduler emulator", ... */
  name: string;
  host: string;
  /** 0 or absent picks a free port. */
  port?: number;
  /** How the service names the message in an error body (`message`, `Message`). */
  messageMember: 'message' | 'Message';
  /** The service's code for a malformed request (a body too large, a path that does not decode). */
  badRequestCode: string;
  /** The service's code for an internal failure. */
  internalErrorCode: string;
  route: (method: string, url: URL, body: string) => EmulatedAnswer | Promise<EmulatedAnswer>;
  log: (entry: Record<string, unknown>) => void;
}

export interface EmulatedApiServer {
  server: http.Server;
  port: number;
  endpoint: string;
}

const readBody = (req: http.IncomingMessage, tooLarge: () => Error): Promise<string> =>
  new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    let size = 0;
    req.on('data', (chunk: Buffer) => {
      size += chunk.length;
      if (size > MAX_BODY_BYTES) reject(tooLarge());
      else chunks.push(chunk);
    });
    req.on('end', () => resolve(Buffer.concat(chunks).toString('utf8')));
    req.on('error', reject);
  });

export const serveEmulatedApi = async (options: EmulatedApiOptions): Promise<EmulatedApiServer> => {
  const { messageMember, log } = options;
  const send = (res: http.ServerResponse, status: number, payload: unknown, errorType?: string) => {
    const headers: http.OutgoingHttpHeaders = { 'x-amzn-requestid': randomUUID() };
    if (errorType) headers['x-amzn-errortype'] = errorType;
    if (payload === undefined) {
      res.writeHead(status, headers).end();
      return;
    }
    headers['content-type'] = 'application/json';
    res.writeHead(status, headers).end(JSON.stringify(payload));
  };
  const fail = (res: http.ServerResponse, status: number, code: string, message: string) =>
    send(res, status, { [messageMember]: message }, code);

  const handle = async (req: http.IncomingMessage, res: http.ServerResponse) => {
    try {
      const tooLarge = () => new EmulatedApiError(options.badRequestCode, 400, 'The request body is too large.');
      const body = await readBody(req, tooLarge);
      const answer = await options.route(req.method ?? 'GET', new URL(req.url ?? '/', 'http://emulator'), body);
      send(res, answer.status, answer.body);
    } catch (error) {
      if (error instanceof EmulatedApiError) return fail(res, error.status, error.code, error.message);
      if (error instanceof URIError) return fail(res, 400, options.badRequestCode, 'The request path is not valid.');
      log({ level: 'error', msg: `${options.name} request failed`, method: req.method, error: String(error) });
      fail(res, 500, options.internalErrorCode, 'Internal error.');
    }
  };

  // No bound of Node's own on how long a request may take to arrive (headersTimeout, 60 s, and
  // requestTimeout): an emulator's clients are the stack's, whose deadlines know a stall of the
  // process, and Node judges its bound by the clock, before the sockets are read, so after a stall
  // of over 60 s (SIGSTOP) a request whose head was arriving was answered 408.
  const server = http.createServer({ headersTimeout: 0, requestTimeout: 0 }, (req, res) => void handle(req, res));
  // An idle connection is closed after Node's 5 s keep-alive timeout, in the process's own time: by
  // Node's timer a connection idle across a stall was closed as the process resumed, under the
  // next request a client had sent on it.
  boundConnectionsInProcessTime(server);
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(options.port ?? 0, options.host, () => resolve());
  });
  const { port } = server.address() as AddressInfo;
  const endpoint = `http://${options.host.includes(':') ? `[${options.host}]` : options.host}:${port}`;
  return { server, port, endpoint };
};

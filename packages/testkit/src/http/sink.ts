import { createServer, type IncomingHttpHeaders, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { type CloudEvent, CloudEventDecodeError, decodeHttp, encodeHttp } from '@tributary/core';
import { TestkitTimeoutError } from '../errors.js';

/** One request the sink received. */
export interface RecordedRequest {
  readonly method: string;
  /** Request target as sent (path and query). */
  readonly url: string;
  readonly headers: IncomingHttpHeaders;
  readonly body: Uint8Array;
  /** Events decoded with `decodeHttp` (empty when the body is not a CloudEvent). */
  readonly events: CloudEvent[];
  /** Why decoding failed, when it did. */
  readonly decodeError?: string;
  /** The status the sink answered with. */
  readonly status: number;
  /** 0-based position among all requests the sink received. */
  readonly index: number;
}

/** How the sink answers one request. */
export interface SinkResponse {
  readonly status: number;
  readonly headers?: Readonly<Record<string, string>>;
  /** A raw body (a string is sent as UTF-8). Ignored when `event` is set. */
  readonly body?: string | Uint8Array;
  /** Reply with this CloudEvent (binary mode unless `mode` says structured). */
  readonly event?: CloudEvent;
  readonly mode?: 'binary' | 'structured';
  /** Wait this long before answering (e.g. to trigger a timeout). */
  readonly delayMs?: number;
}

/** Answers request number `index` (0-based); undefined falls back to the default response. */
export type SinkScript = (
  request: Omit<RecordedRequest, 'status'>,
  index: number,
) => SinkResponse | undefined;

export interface HttpSinkOptions {
  /**
   * Scripted answers: an array is consumed one entry per request (then `defaultResponse`), a
   * function decides per request.
   */
  readonly script?: readonly SinkResponse[] | SinkScript;
  /** Answer to the first `count` requests with `status` (e.g. 409), then the default. */
  readonly failFirst?: { readonly count: number; readonly status: number; readonly body?: string };
  /** @default { status: 202 } */
  readonly defaultResponse?: SinkResponse;
  /** @default '127.0.0.1' */
  readonly host?: string;
}

/** A real HTTP server that records what it receives. */
export interface HttpSink {
  /** `http://127.0.0.1:<port>` (no trailing slash). */
  readonly url: string;
  readonly port: number;
  /** Every request so far, in arrival order. */
  readonly requests: readonly RecordedRequest[];
  /** Every event decoded so far, in arrival order. */
  readonly events: readonly CloudEvent[];
  /** Resolves with the requests once at least `n` arrived; rejects after `timeoutMs` naming how many did. */
  waitFor(n: number, timeoutMs?: number): Promise<RecordedRequest[]>;
  /** Resolves with the first request (already received or still to come) that satisfies `predicate`. */
  waitForRequest(
    predicate: (r: RecordedRequest) => boolean,
    timeoutMs?: number,
  ): Promise<RecordedRequest>;
  /** Resolves with the first event (already received or still to come) that satisfies `predicate`. */
  waitForEvent(predicate: (e: CloudEvent) => boolean, timeoutMs?: number): Promise<CloudEvent>;
  /** Stops the server and drops open connections. */
  close(): Promise<void>;
}

/** Starts an {@link HttpSink} on 127.0.0.1 and an OS-chosen port. */
export async function startHttpSink(options: HttpSinkOptions = {}): Promise<HttpSink> {
  const requests: RecordedRequest[] = [];
  const events: CloudEvent[] = [];
  const waiters = new Set<{ n: number; resolve: (r: RecordedRequest[]) => void }>();
  const watchers = new Set<(r: RecordedRequest) => void>();
  const fallback = options.defaultResponse ?? { status: 202 };

  const choose = (req: Omit<RecordedRequest, 'status'>, index: number): SinkResponse => {
    const s = options.script;
    let r: SinkResponse | undefined;
    if (typeof s === 'function') r = s(req, index);
    else if (s) r = s[index];
    if (!r && options.failFirst && index < options.failFirst.count) {
      r = { status: options.failFirst.status, body: options.failFirst.body };
    }
    return r ?? fallback;
  };

  const server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      const body = Buffer.concat(chunks);
      let decoded: CloudEvent[] = [];
      let decodeError: string | undefined;
      try {
        decoded = decodeHttp(req.headers, body).events;
      } catch (err) {
        decodeError = err instanceof CloudEventDecodeError ? err.message : String(err);
      }
      const index = requests.length;
      const partial = {
        method: req.method ?? '',
        url: req.url ?? '',
        headers: req.headers,
        body,
        events: decoded,
        decodeError,
        index,
      };
      const response = choose(partial, index);
      requests.push({ ...partial, status: response.status });
      events.push(...decoded);
      for (const w of watchers) w(requests[requests.length - 1]!);
      for (const w of waiters) {
        if (requests.length >= w.n) {
          waiters.delete(w);
          w.resolve(requests.slice());
        }
      }
      const send = (): void => respond(res, response);
      if (response.delayMs) setTimeout(send, response.delayMs);
      else send();
    });
  });

  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(0, options.host ?? '127.0.0.1', () => resolve());
  });
  const { port, address } = server.address() as AddressInfo;

  const waitForRequest = (
    predicate: (r: RecordedRequest) => boolean,
    timeoutMs = 10_000,
  ): Promise<RecordedRequest> => {
    const found = requests.find(predicate);
    if (found) return Promise.resolve(found);
    return new Promise((resolve, reject) => {
      const watch = (r: RecordedRequest) => {
        if (!predicate(r)) return;
        watchers.delete(watch);
        clearTimeout(timer);
        resolve(r);
      };
      const timer = setTimeout(() => {
        watchers.delete(watch);
        reject(
          new TestkitTimeoutError(
            `HTTP sink received ${requests.length} request(s) within ${timeoutMs} ms, none matching`,
          ),
        );
      }, timeoutMs);
      watchers.add(watch);
    });
  };

  return {
    url: `http://${address}:${port}`,
    port,
    requests,
    events,
    waitFor(n, timeoutMs = 5_000) {
      if (requests.length >= n) return Promise.resolve(requests.slice());
      return new Promise((resolve, reject) => {
        const w = { n, resolve: (r: RecordedRequest[]) => (clearTimeout(timer), resolve(r)) };
        const timer = setTimeout(() => {
          waiters.delete(w);
          reject(
            new TestkitTimeoutError(
              `HTTP sink received ${requests.length} request(s) within ${timeoutMs} ms, expected ${n}`,
            ),
          );
        }, timeoutMs);
        waiters.add(w);
      });
    },
    waitForRequest,
    async waitForEvent(predicate, timeoutMs = 10_000) {
      const r = await waitForRequest((req) => req.events.some(predicate), timeoutMs);
      return r.events.find(predicate)!;
    },
    close: () =>
      new Promise<void>((resolve) => {
        server.close(() => resolve());
        server.closeAllConnections();
      }),
  };
}

function respond(res: ServerResponse, r: SinkResponse): void {
  if (res.destroyed) return;
  let headers: Record<string, string> = { ...r.headers };
  let body: Uint8Array | string | undefined = r.body;
  if (r.event) {
    const enc = encodeHttp(r.event, r.mode ?? 'binary');
    headers = { ...enc.headers, ...headers };
    body = enc.body;
  }
  res.writeHead(r.status, headers);
  res.end(body === undefined ? undefined : body);
}

/**
 * A subscriber for the fault suite whose behaviour can be switched while it runs (docs/reliability.md).
 *
 * Unlike testkit's HttpSink it counts an event as delivered only once a 2xx answer was written in
 * full, so a request that was cut by a crash is not mistaken for a delivery.
 */
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { decodeHttp } from '@tributary/core';

/** How the sink answers right now. */
export type SinkMode =
  /** 202 to everything. */
  | { kind: 'accept' }
  /** Keeps every request open without an answer until the mode changes (then answers as the new mode). */
  | { kind: 'hold' }
  /** Resets the connection as soon as a request arrives: the subscriber is down. */
  | { kind: 'down' }
  /** Answers this status (with these headers) to every request. */
  | { kind: 'status'; status: number; headers?: Record<string, string> };

/** Per request path prefix, what to answer to the first attempts of each event id. */
export interface FirstAttempts {
  /** The first `count` attempts of every event id get `status` (and `headers`), then the mode applies. */
  readonly count: number;
  readonly status: number;
  readonly headers?: Record<string, string>;
}

export interface FaultSink {
  /** `http://127.0.0.1:<port>`. */
  readonly url: string;
  /** Attempts (requests that carried an event) per event id, whatever their outcome. */
  readonly attempts: Map<string, number>;
  /** Completed 2xx answers per event id. */
  readonly delivered: Map<string, number>;
  /** Requests held open right now. */
  heldCount(): number;
  setMode(mode: SinkMode): void;
  /** Resets every held request (its sender died): none of them counts as delivered. */
  dropHeld(): void;
  /** Answers requests whose path starts with `prefix` as `mode` (overrides the mode). */
  setPathMode(prefix: string, mode: SinkMode): void;
  /** Answers `first.status` to the first attempts of every event id (then the mode). */
  failFirst(first: FirstAttempts | undefined): void;
  /** Resolves once `pred` holds (checked every 50 ms); rejects with `what` after `timeoutMs`. */
  until(pred: () => boolean, what: string, timeoutMs: number): Promise<void>;
  close(): Promise<void>;
}

/** Starts a {@link FaultSink} on 127.0.0.1 and an OS-chosen port. */
export async function startFaultSink(initial: SinkMode = { kind: 'accept' }): Promise<FaultSink> {
  let mode: SinkMode = initial;
  let first: FirstAttempts | undefined;
  const pathModes = new Map<string, SinkMode>();
  const modeOf = (url: string): SinkMode => {
    for (const [prefix, m] of pathModes) if (url.startsWith(prefix)) return m;
    return mode;
  };
  const attempts = new Map<string, number>();
  const delivered = new Map<string, number>();
  const held = new Set<() => void>();
  const drops = new WeakMap<() => void, () => void>();

  const answer = (res: ServerResponse, id: string | undefined, m: SinkMode, url: string): void => {
    if (res.destroyed) return;
    if (m.kind === 'down') {
      res.socket?.destroy();
      return;
    }
    if (m.kind === 'hold') {
      const release = (): void => {
        held.delete(release);
        answer(res, id, modeOf(url), url);
      };
      held.add(release);
      res.on('close', () => held.delete(release));
      drops.set(release, () => res.socket?.destroy());
      return;
    }
    const status = m.kind === 'accept' ? 202 : m.status;
    const headers = m.kind === 'status' ? (m.headers ?? {}) : {};
    res.writeHead(status, headers);
    res.end(() => {
      if (id !== undefined && status >= 200 && status < 300)
        delivered.set(id, (delivered.get(id) ?? 0) + 1);
    });
  };

  const server = createServer((req: IncomingMessage, res: ServerResponse) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('error', () => {});
    req.on('end', () => {
      let id: string | undefined;
      try {
        id = decodeHttp(req.headers, Buffer.concat(chunks)).events[0]?.attributes['id'];
      } catch {
        id = undefined;
      }
      const n = id === undefined ? 0 : (attempts.get(id) ?? 0) + 1;
      if (id !== undefined) attempts.set(id, n);
      const url = req.url ?? '/';
      const m = modeOf(url);
      if (first && id !== undefined && n <= first.count && m.kind !== 'down') {
        res.writeHead(first.status, first.headers ?? {});
        res.end();
        return;
      }
      answer(res, id, m, url);
    });
  });
  server.on('clientError', (_err, socket) => socket.destroy());
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => resolve());
  });
  const { port } = server.address() as AddressInfo;

  return {
    url: `http://127.0.0.1:${port}`,
    attempts,
    delivered,
    heldCount: () => held.size,
    setMode(next) {
      mode = next;
      for (const release of [...held]) release();
    },
    dropHeld() {
      for (const release of [...held]) {
        held.delete(release);
        drops.get(release)?.();
      }
    },
    setPathMode(prefix, next) {
      pathModes.set(prefix, next);
      for (const release of [...held]) release();
    },
    failFirst(f) {
      first = f;
    },
    async until(pred, what, timeoutMs) {
      const deadline = Date.now() + timeoutMs;
      while (!pred()) {
        if (Date.now() > deadline) throw new Error(`timed out after ${timeoutMs} ms: ${what}`);
        await new Promise((r) => setTimeout(r, 50));
      }
    },
    close: () =>
      new Promise<void>((resolve) => {
        for (const release of [...held]) held.delete(release);
        server.close(() => resolve());
        server.closeAllConnections();
      }),
  };
}

import type { IncomingMessage, ServerResponse } from 'node:http';
import type { EventTapSource, TapRecord } from '@tributary/broker';
import type { CloudEvent } from '@tributary/core';
import { compileCesql, type CompiledCesql } from '@tributary/filter';
import { ConsoleFilterError } from './errors.js';

/**
 * The live tail's stream (docs/console.md): `GET /console/api/stream?filter=<CESQL>` answers with
 * server-sent events, one `data:` line of JSON per record (`accepted`, `attempt`, `outcome`). The
 * filter is evaluated here with the project's CESQL engine; `attempt` and `outcome` records follow
 * the events the filter passed at acceptance. Each client has a bounded queue: when its socket
 * does not keep up, records are dropped and counted, and the next record carries `dropped`.
 */

/** Records queued per client before dropping. */
export const CLIENT_QUEUE_LIMIT = 500;
/** Bytes written to a client's socket before it counts as slow. */
const SOCKET_HIGH_WATER = 256 * 1024;
/** Keeps proxies and the browser from timing the stream out. */
const HEARTBEAT_MS = 15_000;
/** Ids of events that passed the filter, kept to follow their attempts and outcomes. */
const FOLLOWED_LIMIT = 5_000;

/** JSON form of a CloudEvent: attributes, data as UTF-8 text or base64. */
export interface EventJson {
  readonly attributes: Record<string, string>;
  readonly data?: string | undefined;
  readonly dataEncoding?: 'utf8' | 'base64' | undefined;
}

export function eventToJson(e: CloudEvent): EventJson {
  if (e.data === undefined || e.data.length === 0) return { attributes: { ...e.attributes } };
  const text = Buffer.from(e.data.buffer, e.data.byteOffset, e.data.byteLength).toString('utf8');
  const utf8 = !text.includes('\uFFFD');
  return {
    attributes: { ...e.attributes },
    data: utf8 ? text : Buffer.from(e.data).toString('base64'),
    dataEncoding: utf8 ? 'utf8' : 'base64',
  };
}

/** Compiles the tail's filter; an empty filter passes everything. */
export function compileTailFilter(expression: string | null): CompiledCesql | undefined {
  if (!expression || expression.trim() === '') return undefined;
  try {
    return compileCesql(expression, { filterData: true });
  } catch (err) {
    throw new ConsoleFilterError(expression, (err as Error).message);
  }
}

function toWire(r: TapRecord, dropped: number): string {
  const base = dropped > 0 ? { dropped } : {};
  switch (r.kind) {
    case 'accepted':
      return JSON.stringify({ ...base, ...r, event: eventToJson(r.event) });
    case 'attempt':
      return JSON.stringify({ ...base, ...r, event: undefined });
    case 'outcome':
      return JSON.stringify({ ...base, ...r });
  }
}

/** Serves one SSE client until it disconnects. */
export function serveStream(
  req: IncomingMessage,
  res: ServerResponse,
  tap: EventTapSource,
  filter: CompiledCesql | undefined,
): void {
  res.writeHead(200, {
    'content-type': 'text/event-stream; charset=utf-8',
    'cache-control': 'no-store',
    connection: 'keep-alive',
    'x-accel-buffering': 'no',
  });
  res.write(': tributary live tail\n\n');
  const queue: TapRecord[] = [];
  const followed = new Set<string>();
  let dropped = 0;
  let scheduled = false;

  const flush = () => {
    scheduled = false;
    while (queue.length > 0 && res.writableLength < SOCKET_HIGH_WATER) {
      const r = queue.shift()!;
      res.write(`data: ${toWire(r, dropped)}\n\n`);
      dropped = 0;
    }
  };
  const onRecord = (r: TapRecord) => {
    // A trigger whose filter did not pass the event did nothing with it: not shown.
    if (r.kind === 'outcome' && r.outcome === 'filtered') return;
    if (r.kind === 'accepted') {
      if (filter && !filter.test(r.event)) return;
      if (filter) {
        if (followed.size >= FOLLOWED_LIMIT) followed.clear();
        followed.add(r.event.attributes['id'] ?? '');
      }
    } else if (filter) {
      const passes = r.kind === 'attempt' ? filter.test(r.event) : followed.has(r.eventId);
      if (!passes) return;
    }
    if (queue.length >= CLIENT_QUEUE_LIMIT) {
      dropped++;
      return;
    }
    queue.push(r);
    if (!scheduled) {
      scheduled = true;
      setImmediate(flush);
    }
  };
  const stop = tap.listen(onRecord);
  res.on('drain', flush);
  const heartbeat = setInterval(() => res.write(': keep-alive\n\n'), HEARTBEAT_MS);
  heartbeat.unref();
  const close = () => {
    stop();
    clearInterval(heartbeat);
  };
  req.on('close', close);
  res.on('close', close);
}

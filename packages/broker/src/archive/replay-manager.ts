import { randomUUID } from 'node:crypto';
import { Counter, Gauge, type Registry } from '../observability/prom-client.js';
import {
  type CloudEvent,
  type Filter,
  type Logger,
  silentLogger,
  withAttributes,
} from '@tributary/core';
import { compileTriggerFilter } from '@tributary/filter';
import { HttpError } from '../http/http-error.js';
import type { EventArchive, ReplayRecord, ReplayStore } from './archive-types.js';

/**
 * Runs replays (docs/failed-deliveries.md, "Archive and replay"): reads the archived window in
 * order, delivers each event (with extension {@link REPLAY_EXTENSION}) one at a time and saves the
 * progress after each one, so a replay interrupted by a crash resumes after the last event it
 * finished: an event may be delivered twice, never skipped.
 */

/** The extension every replayed event carries: the replay's id. */
export const REPLAY_EXTENSION = 'tributaryreplay';

/** What delivering one replayed event to one trigger came to. */
export type ReplayDelivery = 'delivered' | 'failed' | 'skipped';

/** The runtime side of a replay. */
export interface ReplayHost {
  /** Whether `broker` ("ns/name") runs with an archive; an error message when not. */
  checkBroker(broker: string): string | undefined;
  /** Whether trigger `name` runs on `broker`; an error message when not. */
  checkTrigger(broker: string, name: string): string | undefined;
  /**
   * Delivers `event` to `trigger` (or every trigger of the broker) through the trigger's
   * delivery spec and flow control. Rejects when the replay must stop and retry this event later
   * (closing, trigger restarting).
   */
  deliver(
    broker: string,
    trigger: string | undefined,
    event: CloudEvent,
    signal: AbortSignal,
  ): Promise<ReplayDelivery[]>;
}

/** A replay as asked for by `POST /admin/v1/replays`. */
export interface ReplayRequest {
  broker?: unknown;
  from?: unknown;
  to?: unknown;
  trigger?: unknown;
  filter?: unknown;
}

const RFC3339 = /^\d{4}-\d{2}-\d{2}[Tt ]\d{2}:\d{2}:\d{2}(?:\.\d+)?(?:[Zz]|[+-]\d{2}:\d{2})$/;
const BATCH = 100;

export class ReplayManager {
  readonly #records = new Map<string, ReplayRecord>();
  readonly #running = new Map<string, AbortController>();
  readonly #loops = new Set<Promise<void>>();
  readonly #log: Logger;
  readonly #replayed: Counter;
  #closed = false;
  private readonly archive: EventArchive;
  private readonly store: ReplayStore;
  private readonly host: ReplayHost;

  constructor(
    archive: EventArchive,
    store: ReplayStore,
    host: ReplayHost,
    deps: { registry: Registry; logger?: Logger },
  ) {
    this.archive = archive;
    this.store = store;
    this.host = host;
    this.#log = deps.logger ?? silentLogger;
    for (const r of store.list()) this.#records.set(r.id, r);
    const running = this.#running;
    new Gauge({
      name: 'tributary_replays_running',
      help: 'Replays running now.',
      registers: [deps.registry],
      collect() {
        this.set(running.size);
      },
    });
    this.#replayed = new Counter({
      name: 'tributary_replayed_events_total',
      help: 'Replayed deliveries, by broker and result (delivered, failed).',
      labelNames: ['kn_broker', 'result'],
      registers: [deps.registry],
    });
  }

  /** Resumes the replays a previous process left running. */
  resume(): void {
    for (const r of this.#records.values()) if (r.state === 'running') this.#run(r);
  }

  /** Validates and starts a replay; throws HttpError 400/404 naming the field, value and fix. */
  async start(req: ReplayRequest): Promise<ReplayRecord> {
    if (this.#closed) throw new HttpError(503, 'the runtime is stopping');
    const broker = req.broker;
    if (typeof broker !== 'string' || !/^[^/]+\/[^/]+$/.test(broker))
      throw new HttpError(
        400,
        `broker ${JSON.stringify(broker)} is invalid: write "<namespace>/<name>", e.g. "default/default"`,
      );
    const brokerProblem = this.host.checkBroker(broker);
    if (brokerProblem) throw new HttpError(404, brokerProblem);
    const time = (field: 'from' | 'to') => {
      const v = req[field];
      if (typeof v !== 'string' || !RFC3339.test(v) || Number.isNaN(Date.parse(v)))
        throw new HttpError(
          400,
          `${field} ${JSON.stringify(v)} is invalid: write an RFC 3339 time, e.g. "2026-01-31T12:00:00Z"`,
        );
      return v;
    };
    const from = time('from');
    const to = time('to');
    if (Date.parse(from) > Date.parse(to))
      throw new HttpError(400, `from '${from}' is after to '${to}': swap them`);
    const trigger = req.trigger;
    if (trigger !== undefined && (typeof trigger !== 'string' || trigger === ''))
      throw new HttpError(
        400,
        `trigger ${JSON.stringify(trigger)} is invalid: give a trigger name or leave it out`,
      );
    if (trigger !== undefined) {
      const p = this.host.checkTrigger(broker, trigger);
      if (p) throw new HttpError(404, p);
    }
    const filter = req.filter;
    if (filter !== undefined) {
      if (typeof filter !== 'string' || filter === '')
        throw new HttpError(
          400,
          `filter ${JSON.stringify(filter)} is invalid: give a CESQL expression, e.g. "type = 'order.created'"`,
        );
      compileReplayFilter(filter);
    }
    const startedAt = new Date().toISOString();
    let total: number;
    try {
      total = await this.archive.count(
        broker,
        Date.parse(from),
        Math.min(Date.parse(to), Date.parse(startedAt)),
      );
    } catch (err) {
      throw new HttpError(
        503,
        `the archive of '${broker}' cannot be read now: ${(err as Error).message}`,
      );
    }
    const record: ReplayRecord = {
      id: randomUUID(),
      broker,
      ...(trigger !== undefined ? { trigger } : {}),
      from,
      to,
      ...(filter !== undefined ? { filter } : {}),
      state: 'running',
      total,
      delivered: 0,
      failed: 0,
      startedAt,
      cursor: 0,
    };
    this.#records.set(record.id, record);
    this.store.save(record);
    this.#log.info(
      { replay: record.id, broker, trigger, from, to, total: record.total },
      'replay started',
    );
    this.#run(record);
    return { ...record };
  }

  list(): ReplayRecord[] {
    return [...this.#records.values()].map((r) => ({ ...r }));
  }

  /** Cancels a running replay (404 when unknown; a finished one is left as it is). */
  cancel(id: string): ReplayRecord {
    const r = this.#records.get(id);
    if (!r) throw new HttpError(404, `replay '${id}' not found (see \`tributary replay list\`)`);
    if (r.state === 'running') {
      r.state = 'cancelled';
      r.finishedAt = new Date().toISOString();
      this.store.save(r);
      this.#running.get(id)?.abort();
      this.#log.info({ replay: id }, 'replay cancelled');
    }
    return { ...r };
  }

  /** Stops the loops; running replays stay `running` in the store and resume on the next start. */
  async close(): Promise<void> {
    this.#closed = true;
    for (const c of this.#running.values()) c.abort();
    await Promise.all(this.#loops);
  }

  #run(r: ReplayRecord): void {
    const ctl = new AbortController();
    this.#running.set(r.id, ctl);
    const loop = this.#loop(r, ctl.signal)
      .catch((err: unknown) => {
        if (ctl.signal.aborted) return;
        r.state = 'failed';
        r.error = (err as Error).message;
        r.finishedAt = new Date().toISOString();
        this.store.save(r);
        this.#log.error({ replay: r.id, err }, 'replay failed');
      })
      .finally(() => {
        this.#running.delete(r.id);
        this.#loops.delete(loop);
      });
    this.#loops.add(loop);
  }

  async #loop(r: ReplayRecord, signal: AbortSignal): Promise<void> {
    const filter = r.filter !== undefined ? compileReplayFilter(r.filter) : undefined;
    const fromMs = Date.parse(r.from);
    // Only what was archived when the replay started: its own deliveries' replies (archived again
    // as they re-enter the broker) must not feed the replay.
    const toMs = Math.min(Date.parse(r.to), Date.parse(r.startedAt));
    for (;;) {
      const batch = await this.#readRetrying(r, fromMs, toMs, signal);
      if (batch === undefined) return;
      if (batch.length === 0) break;
      for (const a of batch) {
        if (signal.aborted) return;
        if (!filter || filter.match(a.event) !== 'fail') {
          const event = withAttributes(a.event, { [REPLAY_EXTENSION]: r.id });
          const results = await this.#deliverRetrying(r, event, signal);
          if (results === undefined) return;
          for (const x of results) {
            if (x === 'delivered') r.delivered++;
            else if (x === 'failed') r.failed++;
            if (x !== 'skipped') this.#replayed.inc({ kn_broker: r.broker, result: x });
          }
        }
        r.cursor = a.seq;
        this.store.save(r);
      }
    }
    if (signal.aborted) return;
    r.state = 'done';
    r.finishedAt = new Date().toISOString();
    this.store.save(r);
    this.#log.info({ replay: r.id, delivered: r.delivered, failed: r.failed }, 'replay done');
  }

  /** Reads the next batch, retrying every second while the archive cannot answer; undefined = stopped. */
  async #readRetrying(r: ReplayRecord, fromMs: number, toMs: number, signal: AbortSignal) {
    for (;;) {
      try {
        return await this.archive.read(r.broker, fromMs, toMs, r.cursor, BATCH);
      } catch (err) {
        if (signal.aborted) return undefined;
        this.#log.warn(
          { replay: r.id, err: (err as Error).message },
          'archive read failed; retrying in 1 s',
        );
        await pause(1000, signal);
        if (signal.aborted) return undefined;
      }
    }
  }

  /** Delivers one event, retrying every second while the trigger is not running; undefined = stopped. */
  async #deliverRetrying(r: ReplayRecord, event: CloudEvent, signal: AbortSignal) {
    for (;;) {
      try {
        return await this.host.deliver(r.broker, r.trigger, event, signal);
      } catch (err) {
        if (signal.aborted) return undefined;
        this.#log.warn(
          { replay: r.id, err: (err as Error).message },
          'replay delivery interrupted; retrying in 1 s',
        );
        await pause(1000, signal);
        if (signal.aborted) return undefined;
      }
    }
  }
}

function pause(ms: number, signal: AbortSignal): Promise<void> {
  return new Promise<void>((resolve) => {
    const t = setTimeout(resolve, ms);
    signal.addEventListener('abort', () => (clearTimeout(t), resolve()), { once: true });
  });
}

/** Compiles a replay's `filter` (CESQL); throws HttpError 400 with the parser's message. */
export function compileReplayFilter(text: string): Filter {
  try {
    return compileTriggerFilter({ filters: [{ cesql: text }] }, {});
  } catch (err) {
    throw new HttpError(400, `filter '${text}' is not valid CESQL: ${(err as Error).message}`);
  }
}

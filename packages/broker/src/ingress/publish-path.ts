/**
 * The one publish path (docs/architecture.md, "Data path"): every event that enters Tributary, at a
 * Broker's ingress or a Channel's (and so a Sequence's or Parallel's), is validated, handed to its
 * backend and answered here, and every accepted one is reported through one hook (metrics,
 * archive, catalog, the event tap). The broker ingress adds the TTL and arrival time before it.
 */
import { performance } from 'node:perf_hooks';
import {
  type BackendUnavailableError,
  type CloudEvent,
  type Logger,
  hasErrorCode,
  silentLogger,
  validateCloudEvent,
} from '@tributary/core';

/** Outcome of ingesting events, as the HTTP ingress would answer. */
export interface IngestResult {
  readonly status: number;
  readonly error?: string;
  /** Set with 503: seconds after which trying again makes sense. */
  readonly retryAfterSeconds?: number;
}

/** What publishes: a Broker or a Channel. */
export interface PublishResource {
  readonly kind: 'Broker' | 'Channel';
  readonly namespace: string;
  readonly name: string;
}

/** Where events go: a resource and how its backend takes them. */
export interface PublishDestination {
  readonly resource: PublishResource;
  /**
   * Resolves once the backend holds every event (`backend.publish(topic, …)`, then a broker's
   * archive append); rejects with BackendUnavailableError when full or not connected.
   */
  publish(events: CloudEvent[]): Promise<void>;
}

/** What the accepted and refused hooks receive. */
export interface PublishReport {
  readonly resource: PublishResource;
  readonly events: readonly CloudEvent[];
  readonly status: number;
  readonly durationMs: number;
  /** `http` for a POST to the ingress, `in-process` for replies, flows and `publish`. */
  readonly via: 'http' | 'in-process';
}

export interface PublishPathOptions {
  readonly logger?: Logger | undefined;
  /** Called with every publish that got an answer (202 or a refusal); the metrics/tap hook. */
  readonly onPublished?: ((r: PublishReport) => void) | undefined;
}

/** 400 naming the first invalid event, or undefined when every event is valid. */
export function invalidEvents(events: readonly CloudEvent[]): IngestResult | undefined {
  if (events.length === 0) return { status: 400, error: 'no event in the request' };
  for (const [i, e] of events.entries()) {
    const problems = validateCloudEvent(e.attributes);
    if (problems.length > 0)
      return {
        status: 400,
        error: `${events.length > 1 ? `event[${i}]: ` : ''}${problems.join('; ')}`,
      };
  }
  return undefined;
}

/** `broker 'ns/name'` / `channel 'ns/name'`, as error messages name the resource. */
export function describeResource(r: PublishResource): string {
  return `${r.kind === 'Broker' ? 'broker' : 'channel'} '${r.namespace}/${r.name}'`;
}

/** Log fields naming the resource as before the paths were one: `broker` or `channel`: `ns/name`. */
function logFields(r: PublishResource): Record<string, string> {
  return { [r.kind === 'Broker' ? 'broker' : 'channel']: `${r.namespace}/${r.name}` };
}

/**
 * The answer to a failed publish, told apart by error code (docs/errors.md): a batch the backend
 * could never hold → 413, an event it can never hold as written → 400, a backend that cannot take
 * events now → 503 with Retry-After, anything else → 500.
 */
export function publishFailure(err: unknown, resource: PublishResource, log: Logger): IngestResult {
  const what = describeResource(resource);
  if (hasErrorCode(err, 'TRIB_ERR_BATCH_TOO_LARGE'))
    return { status: 413, error: `${what} cannot take the request: ${err.message}` };
  if (hasErrorCode(err, 'TRIB_ERR_EVENT_UNSUPPORTED'))
    return { status: 400, error: `${what} cannot hold the event: ${err.message}` };
  if (hasErrorCode(err, 'TRIB_ERR_BACKEND_UNAVAILABLE')) {
    const seconds = (err as BackendUnavailableError).retryAfterSeconds ?? 1;
    log.debug({ ...logFields(resource), err: err.message }, 'backend unavailable; answering 503');
    return {
      status: 503,
      error: `${what} cannot take events now: ${err.message}`,
      retryAfterSeconds: Math.max(0, Math.ceil(seconds)),
    };
  }
  log.warn({ ...logFields(resource), err }, 'publishing to the backend failed');
  const message = err instanceof Error ? err.message : String(err);
  return { status: 500, error: `${what} failed to store the event(s): ${message}` };
}

/** Publishes validated events to a destination and reports the answer. */
export class PublishPath {
  readonly #log: Logger;
  readonly #onPublished: ((r: PublishReport) => void) | undefined;

  constructor(options: PublishPathOptions = {}) {
    this.#log = options.logger ?? silentLogger;
    this.#onPublished = options.onPublished;
  }

  /**
   * Validates (unless `validated`: the HTTP decoder did), publishes and reports. `started` is when
   * the ingest began (`performance.now()`), for the duration reported.
   */
  async publish(
    dest: PublishDestination,
    events: readonly CloudEvent[],
    o: {
      validated?: boolean;
      via?: 'http' | 'in-process';
      started?: number;
      /** The events the report names, when they differ from those stored (before the TTL). */
      reported?: readonly CloudEvent[];
    } = {},
  ): Promise<IngestResult> {
    const started = o.started ?? performance.now();
    const invalid = o.validated ? undefined : invalidEvents(events);
    // Awaited here rather than in a second async method: one promise and its jobs less per request.
    let r = invalid;
    if (!r) {
      try {
        await dest.publish(events as CloudEvent[]);
      } catch (err) {
        r = publishFailure(err, dest.resource, this.#log);
      }
      r ??= this.#accepted(dest, events);
    }
    this.report({
      resource: dest.resource,
      events: o.reported ?? events,
      status: r.status,
      durationMs: performance.now() - started,
      via: o.via ?? (o.validated ? 'http' : 'in-process'),
    });
    return r;
  }

  /** Hands a report to the hook (also for refusals decided before a destination was found). */
  report(r: PublishReport): void {
    try {
      this.#onPublished?.(r);
    } catch (err) {
      this.#log.error({ err }, 'publish hook threw');
    }
  }

  /** The 202 of events the backend holds (with a debug line each when debug is on). */
  #accepted(dest: PublishDestination, events: readonly CloudEvent[]): IngestResult {
    if (this.#log.isLevelEnabled?.('debug') ?? true) {
      const fields = logFields(dest.resource);
      for (const e of events)
        this.#log.debug(
          { ...fields, id: e.attributes['id'], type: e.attributes['type'] },
          'event accepted',
        );
    }
    return ACCEPTED;
  }
}

const ACCEPTED: IngestResult = Object.freeze({ status: 202 });

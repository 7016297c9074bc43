/**
 * One RequestReply in one process (docs/request-reply.md): seals a correlation id into the
 * request (`<id>:<sealed id>:<process index>`), holds the request, publishes it to the broker,
 * and settles it when a reply whose reply attribute carries that id comes back through this
 * process's reply subscription, or after the timeout.
 */
import type { DeliveryTarget, SendOutcome } from '@tributary/broker';
import { type CloudEvent, type Logger, withAttributes } from '@tributary/core';
import { parseCorrelationId, sealCorrelationId } from '@tributary/filter';
import { HeldRequests } from './held-requests.js';
import type { RequestReplyKeys } from './keys.js';
import { MAX_HELD_REQUESTS_ANNOTATION } from '../resources.js';

/** What a request resolved to, in HTTP terms. */
export type RequestResult =
  | { readonly status: 200; readonly event: CloudEvent }
  | { readonly status: number; readonly error: string; readonly retryAfterSeconds?: number };

/** Settings of one RequestReply. */
export interface RunnerOptions {
  readonly namespace: string;
  readonly name: string;
  readonly correlationAttribute: string;
  readonly replyAttribute: string;
  readonly timeoutMs: number;
  readonly maxHeld: number;
  /** This process's index, sealed into every correlation id. */
  readonly processIndex: number;
  readonly keys: RequestReplyKeys;
  /** Publishes into the RequestReply's broker (ingress semantics). */
  readonly publish: (event: CloudEvent) => Promise<{ status: number; error?: string }>;
  readonly logger: Logger;
}

export class RequestReplyRunner {
  readonly held: HeldRequests;

  constructor(readonly o: RunnerOptions) {
    this.held = new HeldRequests(o.maxHeld);
  }

  get resource(): string {
    return `${this.o.namespace}/${this.o.name}`;
  }

  /** Publishes `event` with a correlation id and waits for its reply (at most `timeoutMs`). */
  async request(
    event: CloudEvent,
    options: { timeoutMs?: number | undefined; signal?: AbortSignal | undefined } = {},
  ): Promise<RequestResult> {
    const id = event.attributes['id'] ?? '';
    if (id.includes(':'))
      return {
        status: 400,
        error: `event id '${id}' contains ':': a RequestReply correlation id is '<id>:<sealed id>:<index>', so request ids must not contain ':'`,
      };
    const timeoutMs = Math.min(options.timeoutMs ?? this.o.timeoutMs, this.o.timeoutMs);
    const waiting = this.held.hold(id, timeoutMs, options.signal);
    if ('refused' in waiting)
      return waiting.refused === 'full'
        ? {
            status: 503,
            error: `RequestReply '${this.resource}' holds ${this.held.max} requests already (its ${MAX_HELD_REQUESTS_ANNOTATION} limit); try again later`,
            retryAfterSeconds: 1,
          }
        : {
            status: 409,
            error: `a request with id '${id}' is already waiting for its reply on RequestReply '${this.resource}'; give each request its own id`,
          };
    const correlation = sealCorrelationId(id, this.o.keys.current, this.o.processIndex);
    const published = await this.o.publish(
      withAttributes(event, { [this.o.correlationAttribute]: correlation }),
    );
    if (published.status !== 202) {
      this.held.release(id);
      void waiting.catch(() => undefined);
      return {
        status: published.status,
        error: `publishing the request to the broker failed: ${published.error ?? `status ${published.status}`}`,
      };
    }
    const outcome = await waiting;
    if (outcome.kind === 'reply') return { status: 200, event: outcome.event };
    if (outcome.kind === 'timeout') {
      this.o.logger.info({ requestId: id, timeoutMs }, 'request timed out without a reply');
      return {
        status: 504,
        error: `no reply to request '${id}' arrived within ${outcome.afterMs} ms (RequestReply '${this.resource}' timeout)`,
      };
    }
    return { status: 503, error: `RequestReply '${this.resource}' stopped before a reply arrived` };
  }

  /** The subscriber of this process's reply subscription: settles the matching held request. */
  replyTarget(): DeliveryTarget {
    const url = `requestreply://${this.resource}/reply`;
    return {
      url,
      send: async (event): Promise<SendOutcome> => {
        const value = event.attributes[this.o.replyAttribute] ?? '';
        const parsed = parseCorrelationId(value);
        const handed = parsed ? this.held.reply(parsed.id, event) : false;
        if (!handed)
          this.o.logger.debug(
            { requestId: parsed?.id, eventId: event.attributes['id'] },
            'reply without a waiting request (late, duplicate or answered already): dropped',
          );
        return { kind: 'response', status: 202, headers: {}, body: new Uint8Array() };
      },
    };
  }

  close(): void {
    this.held.close();
  }
}

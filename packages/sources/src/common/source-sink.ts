/**
 * The Sink a source emits to: one resolved DeliveryTarget, retried with backoff until the target
 * accepts (2xx), using the broker's retry classification. Resolves when accepted; rejects with
 * {@link SinkDeliveryError} after a non-retryable answer or when the retries ran out.
 */
import type { DeliveryPolicy, DeliveryTarget, SendOutcome } from '@tributary/broker';
import { isRetryable, retryDelayMs } from '@tributary/broker';
import type { CloudEvent, Logger, Sink } from '@tributary/core';
import { setTimeout as sleep } from 'node:timers/promises';
import { SinkDeliveryError } from '../errors.js';
import { type CeOverrides, SPEC_ATTRIBUTES } from '../resources/common.js';

/**
 * Default delivery of sources: 5 retries, exponential from 50 ms (Knative's source adapters:
 * 50 ms·2^k, about 3 s in all), 30 s per attempt. Short enough that a webhook provider waiting for
 * its answer does not time out first.
 */
export const DEFAULT_SOURCE_DELIVERY: DeliveryPolicy = {
  retry: 5,
  backoffPolicy: 'exponential',
  backoffDelayMs: 50,
  timeoutMs: 30_000,
  retryAfterMaxMs: 5_000,
};

export interface SourceSinkOptions {
  readonly target: DeliveryTarget;
  readonly policy?: DeliveryPolicy;
  /** Logger carrying the source's name. */
  readonly logger: Logger;
  /** Aborts waiting and sending on shutdown. */
  readonly signal?: AbortSignal;
  /** Applied to every event before it is sent. */
  readonly ceOverrides?: CeOverrides | undefined;
}

/** Creates the retrying {@link Sink} of one source. */
export function createSourceSink(options: SourceSinkOptions): Sink {
  const policy = options.policy ?? DEFAULT_SOURCE_DELIVERY;
  const { target, logger, signal } = options;
  return async (input: CloudEvent) => {
    const event = applyCeOverrides(input, options.ceOverrides);
    let last: SendOutcome | undefined;
    for (let attempt = 0; attempt <= policy.retry; attempt++) {
      if (attempt > 0) {
        const wait = retryDelayMs(policy, attempt, last!);
        logger.debug(
          { id: event.attributes['id'], attempt, waitMs: wait, sink: target.url },
          'retrying sink delivery',
        );
        await sleep(wait, undefined, { signal }).catch(() => undefined);
      }
      if (signal?.aborted)
        throw new SinkDeliveryError(`delivery to ${target.url} aborted: shutting down`);
      last = await target.send(event, {
        format: 'binary',
        expectReply: false,
        timeoutMs: policy.timeoutMs,
        signal,
      });
      if (last.kind === 'response' && last.status >= 200 && last.status <= 299) return;
      if (!isRetryable(last)) break;
    }
    throw new SinkDeliveryError(
      describe(target.url, last!, policy.retry),
      last?.kind === 'response' ? last.status : undefined,
    );
  };
}

function describe(url: string, outcome: SendOutcome, retry: number): string {
  if (outcome.kind === 'error')
    return `sink ${url} failed after ${retry} retries: ${outcome.message}`;
  const body = Buffer.from(outcome.body).toString('utf8').slice(0, 200);
  const retried = isRetryable(outcome) ? ` after ${retry} retries` : ' (not retryable)';
  return `sink ${url} answered ${outcome.status}${retried}${body ? `: ${body}` : ''}`;
}

/**
 * Adds `ceOverrides.extensions` to an event (Knative `SetExtension`): names lower-cased; spec
 * attributes (type, source, id, …) are never overridden.
 */
export function applyCeOverrides(
  event: CloudEvent,
  overrides: CeOverrides | undefined,
): CloudEvent {
  const ext = overrides?.extensions;
  if (!ext) return event;
  const attributes = { ...event.attributes };
  for (const [key, value] of Object.entries(ext)) {
    const name = key.toLowerCase();
    if (SPEC_ATTRIBUTES.has(name)) continue;
    attributes[name] = value;
  }
  return { ...event, attributes };
}

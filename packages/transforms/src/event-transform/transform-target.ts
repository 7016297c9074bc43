/**
 * An EventTransform as a delivery target (docs/transforms.md): the expression maps the event to
 * a new one; without a sink the new event is the reply (a Trigger puts it back into its broker),
 * with a sink it is delivered there and the sink's answer comes back, its reply transformed by
 * `reply.jsonata`, dropped by `reply.discard`, or passed through.
 *
 * An expression that fails, or whose result is not a valid CloudEvent, answers 422 with the
 * reason: not retried (the same event gives the same result), so the dead-letter sink receives
 * the event with the reason in `knativeerrordata`.
 */
import type { DeliveryTarget, SendOptions, SendOutcome } from '@tributary/broker';
import type { CloudEvent, Logger } from '@tributary/core';
import { TransformsError } from '../errors.js';
import type { CompiledExpression } from './jsonata-expression.js';
import { eventToJson, jsonToEvent } from './json-form.js';

/** Status of a delivery whose transformation failed (not retried). */
export const TRANSFORM_FAILED_STATUS = 422;

/** What one EventTransform runs with. */
export interface TransformTargetOptions {
  /** `namespace/name`, in messages. */
  readonly resource: string;
  /** The address (`…/<ns>/eventtransforms/<name>`), in logs and `knativeerrordest`. */
  readonly url: () => string;
  readonly expression: CompiledExpression;
  readonly sink?: DeliveryTarget | undefined;
  readonly replyExpression?: CompiledExpression | undefined;
  readonly discardReply?: boolean;
  readonly logger: Logger;
}

const json = (value: unknown): Uint8Array => Buffer.from(JSON.stringify(value), 'utf8');

function failed(err: TransformsError): SendOutcome {
  return {
    kind: 'response',
    status: TRANSFORM_FAILED_STATUS,
    headers: { 'content-type': 'application/json' },
    body: json({ error: err.message, code: err.code }),
  };
}

const empty = (status: number): SendOutcome => ({
  kind: 'response',
  status,
  headers: {},
  body: new Uint8Array(),
});

/** Creates the target. */
export function createTransformTarget(o: TransformTargetOptions): DeliveryTarget {
  async function apply(
    expr: CompiledExpression,
    event: CloudEvent,
    what: string,
  ): Promise<CloudEvent> {
    return jsonToEvent(await expr.evaluate(eventToJson(event)), what);
  }

  return {
    get url() {
      return o.url();
    },
    async send(event: CloudEvent, options: SendOptions): Promise<SendOutcome> {
      let out: CloudEvent;
      try {
        out = await apply(o.expression, event, `EventTransform '${o.resource}': the result`);
      } catch (err) {
        if (!(err instanceof TransformsError)) throw err;
        o.logger.warn(
          { eventId: event.attributes['id'], code: err.code, reason: err.message },
          'event transformation failed',
        );
        return failed(err);
      }
      if (!o.sink) {
        if (!options.expectReply) return empty(200);
        return { kind: 'response', status: 200, headers: {}, body: new Uint8Array(), reply: out };
      }
      const wantReply = options.expectReply && o.discardReply !== true;
      const outcome = await o.sink.send(out, { ...options, expectReply: wantReply });
      if (outcome.kind === 'error' || outcome.status < 200 || outcome.status > 299) return outcome;
      if (o.discardReply === true) return empty(outcome.status);
      if (!o.replyExpression || !outcome.reply || outcome.replyError) return outcome;
      try {
        const reply = await apply(
          o.replyExpression,
          outcome.reply,
          `EventTransform '${o.resource}': the reply transformation's result`,
        );
        return { ...outcome, status: 200, reply };
      } catch (err) {
        if (!(err instanceof TransformsError)) throw err;
        o.logger.warn(
          { eventId: event.attributes['id'], code: err.code, reason: err.message },
          'reply transformation failed',
        );
        return failed(err);
      }
    },
  };
}

import {
  type CloudEvent,
  CloudEventDecodeError,
  type HeaderMap,
  type Logger,
  decodeHttp,
  encodeBatch,
  encodeHttp,
} from '@tributary/core';
import { fromFunctionResult, toFunctionEvent } from './convert.js';
import { InvalidFunctionResultError, NonRetryableError, isForeignNonRetryable } from './errors.js';
import type { FunctionContext, FunctionHandler } from './types.js';

/**
 * Turns one HTTP request carrying CloudEvents into the HTTP response Knative's reply rules ask for.
 * Pure with respect to the transport: `serve` feeds it headers and body and writes what it returns.
 */

/** The response to write. */
export interface FunctionResponse {
  readonly status: number;
  readonly headers: Record<string, string>;
  readonly body?: Uint8Array | undefined;
}

/** The header a sender may set to tell the function when the delivery attempt times out. */
export const DEADLINE_HEADER = 'x-tributary-deadline';

/** Parses the deadline header: an RFC 3339 timestamp or milliseconds since the epoch. */
export function parseDeadline(value: string | string[] | undefined): Date | undefined {
  const v = Array.isArray(value) ? value[0] : value;
  if (v === undefined || v.trim() === '') return undefined;
  const d = /^\d+$/.test(v.trim()) ? new Date(Number(v.trim())) : new Date(v);
  return Number.isNaN(d.getTime()) ? undefined : d;
}

function json(status: number, value: unknown): FunctionResponse {
  return {
    status,
    headers: { 'content-type': 'application/json' },
    body: Buffer.from(JSON.stringify(value), 'utf8'),
  };
}

/** A JSON `{ error }` response. */
export function errorResponse(status: number, message: string): FunctionResponse {
  return json(status, { error: message });
}

/** instanceof, or the same shape by name (a module may bundle its own copy of this package). */
function nonRetryableStatus(err: unknown): number | undefined {
  if (err instanceof NonRetryableError) return err.status;
  if (!isForeignNonRetryable(err)) return undefined;
  const status = (err as { status?: unknown }).status;
  return typeof status === 'number' && status >= 400 && status <= 499 ? status : undefined;
}

type Outcome =
  { ok: true; reply: CloudEvent | undefined } | { ok: false; response: FunctionResponse };

async function runOne(
  handler: FunctionHandler,
  event: CloudEvent,
  base: Omit<FunctionContext, 'logger'>,
  logger: Logger,
): Promise<Outcome> {
  const log = logger.child({ eventId: event.attributes['id'], type: event.attributes['type'] });
  let result;
  try {
    result = await handler(toFunctionEvent(event), { ...base, logger: log });
  } catch (err) {
    const message = err instanceof Error ? err.message : String(err);
    const status = nonRetryableStatus(err);
    if (status !== undefined) {
      log.warn({ status, reason: message }, 'handler refused the event (not retried)');
      return { ok: false, response: errorResponse(status, message) };
    }
    log.error({ err }, 'handler failed (retryable)');
    return { ok: false, response: errorResponse(500, message) };
  }
  try {
    const reply = fromFunctionResult(result, event);
    log.debug({ reply: reply?.attributes['type'] }, reply ? 'replied' : 'handled without reply');
    return { ok: true, reply };
  } catch (err) {
    const message = err instanceof InvalidFunctionResultError ? err.message : String(err);
    log.error({ reason: message }, 'handler returned an invalid reply');
    return { ok: false, response: errorResponse(500, message) };
  }
}

/**
 * Decodes the request (binary, structured or batch mode), calls the handler per event, and builds
 * the response: a reply → 200 with the reply (binary mode, structured if the request was
 * structured, a batch if the request was a batch); no reply → 202; a thrown
 * {@link NonRetryableError} → its 4xx with `{ error }`; any other throw or an invalid reply → 500
 * with `{ error }`. A batch is handled event by event in order and stops at the first failure,
 * whose status answers the whole request (the sender retries the batch).
 */
export async function handleCloudEventRequest(
  handler: FunctionHandler,
  headers: HeaderMap,
  body: Uint8Array,
  context: Omit<FunctionContext, 'logger'>,
  logger: Logger,
): Promise<FunctionResponse> {
  let decoded;
  try {
    decoded = decodeHttp(headers, body);
  } catch (err) {
    if (err instanceof CloudEventDecodeError) return errorResponse(400, err.message);
    throw err;
  }
  const replies: CloudEvent[] = [];
  for (const event of decoded.events) {
    const outcome = await runOne(handler, event, context, logger);
    if (!outcome.ok) return outcome.response;
    if (outcome.reply) replies.push(outcome.reply);
  }
  if (replies.length === 0) return { status: 202, headers: {} };
  if (decoded.mode === 'batch') return { status: 200, ...encodeBatch(replies) };
  const encoded = encodeHttp(replies[0]!, decoded.mode === 'structured' ? 'structured' : 'binary');
  return { status: 200, headers: encoded.headers, body: encoded.body };
}

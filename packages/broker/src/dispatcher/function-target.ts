import { type CloudEvent, type Logger, silentLogger } from '@tributary/core';
import {
  type FunctionHandler,
  InvalidFunctionResultError,
  NonRetryableError,
  isForeignNonRetryable,
  fromFunctionResult,
  toFunctionEvent,
} from '@tributary/function';
import {
  type DeliveryTarget,
  type SendOptions,
  type SendOutcome,
  attemptSignal,
} from './delivery-target.js';

export { loadFunctionModule } from '@tributary/function';

/** Options of {@link createFunctionTarget}. */
export interface FunctionTargetOptions {
  /** The Function's namespace; when omitted, `name` may be given as `<namespace>/<name>`. @default 'default' */
  readonly namespace?: string;
  readonly logger?: Logger;
}

/** The address of an in-process function, as used in logs and `knativeerrordest`. */
export function functionUrl(namespace: string, name: string): string {
  return `function://${namespace}/${name}`;
}

/**
 * A {@link DeliveryTarget} that calls an in-process handler with HTTP semantics, so retries and
 * dead-lettering behave exactly as for an HTTP function:
 *
 * - returns a reply → `200` with `reply` set; returns nothing → `202` (without `expectReply` the
 *   return value is ignored: `200`/`202`, never a reply or `replyError`);
 * - throws {@link NonRetryableError} → its 4xx status, the message as body (not retried → DLS);
 * - throws anything else → `500` with the message as body (retried);
 * - returns something that is not a valid event → `200` with `replyError` (retried like Knative's 502);
 * - the attempt's timeout elapses or the caller aborts → `{ kind: 'error' }` (the handler's
 *   `context.signal` is aborted; its eventual result is ignored).
 *
 * The url is `function://<namespace>/<name>`.
 */
export function createFunctionTarget(
  name: string,
  handler: FunctionHandler,
  options: FunctionTargetOptions = {},
): DeliveryTarget {
  let ns = options.namespace;
  let fnName = name;
  if (ns === undefined) {
    const slash = name.indexOf('/');
    ns = slash === -1 ? 'default' : name.slice(0, slash);
    fnName = slash === -1 ? name : name.slice(slash + 1);
  }
  const url = functionUrl(ns, fnName);
  const baseLog = (options.logger ?? silentLogger).child({ function: `${ns}/${fnName}` });

  async function send(event: CloudEvent, opts: SendOptions): Promise<SendOutcome> {
    const attempt = attemptSignal(opts.signal, opts.timeoutMs);
    const signal = attempt.signal;
    const ac = new AbortController();
    const onAbort = () => ac.abort(signal?.reason);
    if (signal?.aborted) onAbort();
    else signal?.addEventListener('abort', onAbort, { once: true });
    const aborted = new Promise<'aborted'>((resolve) => {
      if (ac.signal.aborted) resolve('aborted');
      else ac.signal.addEventListener('abort', () => resolve('aborted'), { once: true });
    });
    const context = {
      logger: baseLog.child({ eventId: event.attributes['id'], type: event.attributes['type'] }),
      signal: ac.signal,
      deadline:
        opts.timeoutMs !== undefined && opts.timeoutMs > 0
          ? new Date(Date.now() + opts.timeoutMs)
          : undefined,
    };
    const run = (async () => {
      try {
        return { ok: true as const, value: await handler(toFunctionEvent(event), context) };
      } catch (err) {
        return { ok: false as const, err };
      }
    })();
    try {
      const r = await Promise.race([run, aborted]);
      if (r === 'aborted') {
        if (attempt.timedOut())
          return { kind: 'error', message: `timeout after ${opts.timeoutMs} ms`, timedOut: true };
        return { kind: 'error', message: 'delivery aborted', aborted: true };
      }
      if (!r.ok) return failure(r.err);
      if (!opts.expectReply) {
        // dead-letter / reply legs want no reply: whatever the function returned is ignored
        const status = r.value === undefined || r.value === null ? 202 : 200;
        return { kind: 'response', status, headers: {}, body: new Uint8Array() };
      }
      try {
        const reply = fromFunctionResult(r.value, event);
        if (reply === undefined)
          return { kind: 'response', status: 202, headers: {}, body: new Uint8Array() };
        return { kind: 'response', status: 200, headers: {}, body: new Uint8Array(), reply };
      } catch (err) {
        const message = err instanceof InvalidFunctionResultError ? err.message : String(err);
        return {
          kind: 'response',
          status: 200,
          headers: {},
          body: utf8(message),
          replyError: message,
        };
      }
    } finally {
      signal?.removeEventListener('abort', onAbort);
      attempt.done();
    }
  }

  return { url, send };
}

function failure(err: unknown): SendOutcome {
  if (isNonRetryable(err))
    return { kind: 'response', status: err.status, headers: {}, body: utf8(err.message) };
  const message = err instanceof Error ? err.message : String(err);
  return { kind: 'response', status: 500, headers: {}, body: utf8(message) };
}

/**
 * instanceof, or the same shape by name: a function module may bundle its own copy of
 * @tributary/function, whose class is then a different object.
 */
function isNonRetryable(err: unknown): err is NonRetryableError {
  if (err instanceof NonRetryableError) return true;
  if (!isForeignNonRetryable(err)) return false;
  const status = (err as { status?: unknown }).status;
  return typeof status === 'number' && status >= 400 && status <= 499;
}

function utf8(s: string): Uint8Array {
  return Buffer.from(s, 'utf8');
}

import type { Logger } from '@tributary/core';

/**
 * The contract of an in-process function: a handler receives a friendly view of the CloudEvent and
 * may return a reply event. Throwing {@link NonRetryableError} fails the delivery without retries;
 * any other throw fails it retryably.
 */

/** The event as a function sees it. */
export interface FunctionEvent {
  readonly id: string;
  readonly type: string;
  readonly source: string;
  readonly specversion: string;
  readonly subject?: string | undefined;
  readonly time?: string | undefined;
  readonly datacontenttype?: string | undefined;
  readonly dataschema?: string | undefined;
  /**
   * The data: parsed JSON when the content type is JSON (or absent) and the bytes parse; a string
   * for `text/*`; otherwise (or when JSON does not parse) the raw bytes. Undefined when the event has
   * no data.
   */
  readonly data: unknown;
  /** Extension attributes only (everything that is not a spec attribute), lower-case names. */
  readonly extensions: Readonly<Record<string, string>>;
  /** Every context attribute exactly as carried (lower-case names, string values). */
  readonly attributes: Readonly<Record<string, string>>;
}

/** What a handler may return: nothing (no reply) or the reply event to emit. */
export type FunctionResult = undefined | void | FunctionReply;

/** A reply event. `id` defaults to a fresh UUID, `source` to the input event's source. */
export interface FunctionReply {
  readonly type: string;
  readonly source?: string;
  readonly id?: string;
  readonly subject?: string;
  readonly time?: string;
  /**
   * The data: a Uint8Array is sent as-is, a string as UTF-8, anything else is JSON-encoded
   * (`datacontenttype` then defaults to `application/json` and must be a JSON media type if given).
   */
  readonly data?: unknown;
  readonly datacontenttype?: string;
  readonly dataschema?: string;
  /** Extension attributes; names are lower-case ASCII letters and digits. */
  readonly extensions?: Readonly<Record<string, string | number | boolean>>;
}

/** What a handler gets besides the event. */
export interface FunctionContext {
  /** A logger bound to the function (and the event's id and type). */
  readonly logger: Logger;
  /** Aborted when the delivery attempt times out or the runtime shuts down. */
  readonly signal: AbortSignal;
  /** When the current attempt times out, if the delivery has a timeout. */
  readonly deadline?: Date | undefined;
}

/** An in-process function. */
export type FunctionHandler = (
  event: FunctionEvent,
  context: FunctionContext,
) => Promise<FunctionResult> | FunctionResult;

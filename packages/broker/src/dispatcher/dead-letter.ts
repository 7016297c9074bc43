import { type CloudEvent, KnativeExtensions, withAttributes } from '@tributary/core';
import type { SendOutcome } from './delivery-target.js';

/**
 * The extensions a dead-lettered event carries (docs/decisions.md D6, docs/knative-behaviour.md §3.4, MT broker).
 */

/** Longest `knativeerrordata` value (base64 characters), as Knative's `KnativeErrorDataExtensionMaxLength`. */
export const ERROR_DATA_MAX_CHARS = 1024;

/** Body bytes that fill {@link ERROR_DATA_MAX_CHARS} base64 characters exactly (768 = 1024 / 4 · 3). */
export const ERROR_DATA_MAX_BYTES = (ERROR_DATA_MAX_CHARS / 4) * 3;

/** Why a delivery failed, as it is reported to the dead-letter sink. */
export interface DeliveryFailure {
  /** The address that failed: the subscriber URL, or the reply URL when the reply leg failed. */
  readonly destination: string;
  /** The HTTP status of the final attempt; 500 for a network error or timeout. */
  readonly status: number;
  /** The final response body, or for a network error the bytes of `dispatch error: <message>`. */
  readonly body: Uint8Array;
}

/**
 * The failure a final attempt stands for. A transport error becomes status 500 with the body text
 * `dispatch error: <message>` (as Knative's dispatcher writes it); that text is then base64-encoded
 * like any response body, so `knativeerrordata` is always base64.
 */
export function failureOf(
  destination: string,
  outcome: SendOutcome,
  statusOverride?: number,
): DeliveryFailure {
  if (outcome.kind === 'error') {
    return {
      destination,
      status: 500,
      body: Buffer.from(`dispatch error: ${outcome.message}`, 'utf8'),
    };
  }
  return { destination, status: statusOverride ?? outcome.status, body: outcome.body };
}

/**
 * Base64 (standard, padded) of a body, truncated to at most 1024 characters. Only the first 768 bytes
 * are encoded (their base64 is exactly the first 1024 characters of the whole body's base64), so a
 * huge body costs nothing. Empty body ⇒ empty string.
 */
export function errorData(body: Uint8Array): string {
  const head =
    body.byteLength > ERROR_DATA_MAX_BYTES ? body.subarray(0, ERROR_DATA_MAX_BYTES) : body;
  return Buffer.from(head.buffer, head.byteOffset, head.byteLength).toString('base64');
}

/**
 * The event to send to the dead-letter sink: the ORIGINAL event (as the backend held it, still
 * carrying `knativebrokerttl` and `knativearrivaltime`) plus `knativeerrordest`, `knativeerrorcode`
 * and `knativeerrordata` (always set, empty when the body was empty — as Knative does).
 */
export function withDeadLetterExtensions(
  original: CloudEvent,
  failure: DeliveryFailure,
): CloudEvent {
  return withAttributes(original, {
    [KnativeExtensions.errorDest]: failure.destination,
    [KnativeExtensions.errorCode]: String(failure.status),
    [KnativeExtensions.errorData]: errorData(failure.body),
  });
}

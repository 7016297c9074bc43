/**
 * HTTP helpers shared by the EventTransform and RequestReply addresses: method handling as the
 * broker ingress does it, reading exactly one event, and writing an event back in binary mode.
 */
import type { IncomingMessage, ServerResponse } from 'node:http';
import {
  INGRESS_ALLOW,
  type RouteContext,
  type SendOutcome,
  readCloudEvents,
  sendError,
} from '@tributary/broker';
import { type CloudEvent, type IngressResource, type Logger, encodeHttp } from '@tributary/core';

/** Percent-decodes a path segment; a malformed escape is kept as written. */
export function pathSegment(segment: string | undefined): string {
  try {
    return decodeURIComponent(segment ?? '');
  } catch {
    return segment ?? '';
  }
}

/**
 * Answers OPTIONS (200, webhook headers) and methods other than POST (405); resolves the one
 * event of a POST, or undefined when it answered the request itself (bad event 400, batch 400,
 * too large 413). With `resource` the request is authorized like every ingress (401/403 with an
 * Authentication resource, docs/security.md).
 */
export async function readOneEvent(
  req: IncomingMessage,
  res: ServerResponse,
  ctx: RouteContext,
  what: string,
  log: Logger,
  resource?: IngressResource,
): Promise<CloudEvent | undefined> {
  res.setHeader('allow', INGRESS_ALLOW);
  const method = (req.method ?? '').toUpperCase();
  if (method === 'OPTIONS') {
    res.writeHead(200, {
      'webhook-allowed-origin': '*',
      'webhook-allowed-rate': '*',
      'content-length': '0',
    });
    res.end();
    return undefined;
  }
  if (method !== 'POST') {
    sendError(res, 405, `method ${method} is not allowed: ${what} accepts POST`);
    return undefined;
  }
  const events = await readCloudEvents(req, res, ctx, log, resource);
  if (!events) return undefined;
  if (events.length !== 1) {
    sendError(res, 400, `${what} takes one event per request, got a batch of ${events.length}`);
    return undefined;
  }
  return events[0];
}

/** Writes `event` as a binary-mode response with `status`. */
export function writeEvent(res: ServerResponse, status: number, event: CloudEvent): void {
  const { headers, body } = encodeHttp(event, 'binary');
  const bytes = body ?? new Uint8Array();
  res.writeHead(status, { ...headers, 'content-length': String(bytes.byteLength) });
  res.end(bytes);
}

/** Writes a delivery outcome: its reply event (binary mode), or its status and body. */
export function writeOutcome(res: ServerResponse, outcome: SendOutcome): void {
  if (outcome.kind === 'error') {
    sendError(res, 502, `delivery failed: ${outcome.message}`);
    return;
  }
  if (outcome.reply) {
    writeEvent(res, outcome.status, outcome.reply);
    return;
  }
  const body = outcome.body;
  const headers: Record<string, string> = { 'content-length': String(body.byteLength) };
  const ct = outcome.headers['content-type'];
  if (ct && body.byteLength > 0) headers['content-type'] = ct;
  res.writeHead(outcome.status, headers);
  res.end(body);
}

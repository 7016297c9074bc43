import type { ServerResponse } from 'node:http';
import { redactUrlsInText } from '@tributary/core';

export { HttpError } from '../errors.js';

/** Sends `body` as JSON with the given status (no-op if the response was already sent). */
export function sendJson(
  res: ServerResponse,
  status: number,
  body: unknown,
  headers: Readonly<Record<string, string>> = {},
): void {
  if (res.headersSent || res.writableEnded) return;
  const text = JSON.stringify(body);
  res.writeHead(status, {
    ...headers,
    'content-type': 'application/json; charset=utf-8',
    'content-length': Buffer.byteLength(text),
  });
  res.end(text);
}

/** Sends `{"error": message}` with the given status. */
export function sendError(
  res: ServerResponse,
  status: number,
  message: string,
  headers: Readonly<Record<string, string>> = {},
): void {
  // Credentials written in URLs (user:pass@, ?token=) never leave in an error (docs/security.md).
  sendJson(res, status, { error: redactUrlsInText(message) }, headers);
}

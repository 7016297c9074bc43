import { HttpError, sendJson } from '../http/http-error.js';
import type { HttpServer } from '../http/http-server.js';
import { readBody } from '../http/read-body.js';
import type { ReplayManager, ReplayRequest } from './replay-manager.js';

/** Path of the replay admin API (docs/operations.md). */
export const ADMIN_REPLAYS_PATH = '/admin/v1/replays';

/** `POST /admin/v1/replays`, `GET /admin/v1/replays`, `DELETE /admin/v1/replays/<id>`. */
export function registerReplayRoutes(server: HttpServer, replays: ReplayManager): void {
  server.route('POST', ADMIN_REPLAYS_PATH, async (req, res) => {
    const body = await readBody(req, 64 * 1024);
    let parsed: unknown;
    try {
      parsed = JSON.parse(body.toString('utf8'));
    } catch {
      throw new HttpError(
        400,
        'the body is not JSON: send {"broker":"ns/name","from":"<RFC 3339>","to":"<RFC 3339>"}',
      );
    }
    if (typeof parsed !== 'object' || parsed === null || Array.isArray(parsed))
      throw new HttpError(
        400,
        'the body must be a JSON object: {"broker":"ns/name","from":…,"to":…}',
      );
    sendJson(res, 201, toWire(replays.start(parsed as ReplayRequest)));
  });
  server.route('GET', ADMIN_REPLAYS_PATH, (_req, res) => {
    sendJson(res, 200, { items: replays.list().map(toWire) });
  });
  server.route('DELETE', /^\/admin\/v1\/replays\/(?<id>[^/]+)$/, (_req, res, ctx) => {
    sendJson(res, 200, toWire(replays.cancel(decodeURIComponent(ctx.params['id']!))));
  });
}

/** The record without its internal cursor. */
function toWire<T extends { cursor: number }>(r: T): Omit<T, 'cursor'> {
  const { cursor: _cursor, ...rest } = r;
  return rest;
}

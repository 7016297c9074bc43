import type { RuntimePlugin } from '@tributary/broker';
import { HttpError, sendJson } from '@tributary/broker';
import { ConsoleAssetsMissingError } from './errors.js';
import { buildGraph } from './graph.js';
import { compileTailFilter, serveStream } from './live-stream.js';
import { assetsBuilt, DEFAULT_ASSETS_DIR, sendAsset, sendIndex } from './static-files.js';
import { readTriggerStats } from './stats.js';

/**
 * The console as a runtime plugin (docs/console.md): `tributary run` adds it unless
 * `--no-console`. It registers, on the runtime's one HTTP server:
 * - `GET /console/api/graph`: the topology as nodes and edges (see graph.ts);
 * - `GET /console/api/stats`: per-trigger totals from the metrics registry (see stats.ts);
 * - `GET /console/api/stream?filter=`: the live tail over server-sent events (see live-stream.ts);
 * - `GET /console/…`: the front end, with client-side routes answered by index.html.
 * Resources, dead letters, pause/resume and replays are the admin API's (`/admin/v1/…`); the
 * console only calls it, so it can do nothing the CLI cannot.
 */

/** Where the console is served. */
export const CONSOLE_PATH = '/console/';

export interface ConsolePluginOptions {
  /** Directory of the built front end. @default this package's `web-dist/` */
  readonly assetsDir?: string | undefined;
}

export function createConsolePlugin(options: ConsolePluginOptions = {}): RuntimePlugin {
  const dir = options.assetsDir ?? DEFAULT_ASSETS_DIR;
  return {
    name: 'console',
    register(ctx) {
      if (!assetsBuilt(dir))
        ctx.logger.warn(
          { code: 'TRIB_ERR_CONSOLE_ASSETS_MISSING', dir },
          new ConsoleAssetsMissingError(dir).message,
        );
      const server = ctx.server;
      server.route('GET', '/console', (_req, res) => {
        res.writeHead(308, { location: CONSOLE_PATH });
        res.end();
      });
      server.route('GET', '/console/api/graph', (_req, res) => {
        sendJson(res, 200, buildGraph(ctx.topology));
      });
      server.route('GET', '/console/api/stats', async (_req, res) => {
        sendJson(res, 200, await readTriggerStats(ctx.metricsRegistry));
      });
      server.route('GET', '/console/api/stream', (req, res, rc) => {
        let filter;
        try {
          filter = compileTailFilter(rc.query.get('filter'));
        } catch (err) {
          throw new HttpError(400, (err as Error).message);
        }
        serveStream(req, res, ctx.eventTap, filter);
      });
      server.route(
        'GET',
        (p) => p.startsWith(CONSOLE_PATH) && !p.startsWith('/console/api/'),
        (_req, res, rc) => {
          if (!assetsBuilt(dir))
            throw new HttpError(503, new ConsoleAssetsMissingError(dir).message);
          const rel = rc.path.slice(CONSOLE_PATH.length);
          if (sendAsset(res, dir, rel)) return;
          if (rel.startsWith('assets/')) throw new HttpError(404, `no console asset '${rel}'`);
          sendIndex(res, dir);
        },
      );
    },
  };
}

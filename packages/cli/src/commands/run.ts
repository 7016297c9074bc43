import { readFileSync } from 'node:fs';
import path from 'node:path';
import { isLoopback } from '@tributary/broker';
import { ConfigError, SecretScrubber, formatProblem } from '@tributary/core';
import { createConsolePlugin } from '@tributary/console';
import { startupFinished } from '../startup-heap.js';
import { createMesh } from '../mesh.js';
import { setupTracing } from '../tracing.js';
import { watchManifests } from './watch.js';
import { createRunLogger, type LogFormat } from '../logger.js';

export interface RunOptions {
  filename: string[];
  port: string;
  host: string;
  logLevel: string;
  /** json, pretty, or auto (pretty on a terminal). */
  logFormat?: LogFormat;
  /** Apply edits to the manifest files while running. */
  watch?: boolean;
  tlsCert?: string;
  tlsKey?: string;
  tlsClientCa?: string;
  tlsMinVersion?: 'TLSv1.2' | 'TLSv1.3';
  adminTokenFile?: string;
  keysDir?: string;
  publicUrl?: string;
  requestTimeout?: string;
  headersTimeout?: string;
  /** Keep the default broker class's and InMemoryChannel's events in this directory. */
  dataDir?: string;
  /** With dataDir: `process-crash` (default) or `power-loss`. */
  durability?: string;
  /**
   * `--console` / `--no-console`: serve the console at /console/ (docs/console.md). Unset: on
   * when the server listens on loopback only or an admin token guards it.
   */
  console?: boolean;
}

/**
 * The keys directory: `--keys-dir`, else `<--data-dir>/keys`, else `$TRIBUTARY_DATA_DIR/keys`
 * (docs/security.md).
 */
export function keysDirOf(
  opts: Pick<RunOptions, 'keysDir' | 'dataDir'>,
  env = process.env,
): string | undefined {
  if (opts.keysDir) return opts.keysDir;
  const data = opts.dataDir || env['TRIBUTARY_DATA_DIR'];
  return data ? path.join(data, 'keys') : undefined;
}

function positiveMs(name: string, v: string | undefined): number | string {
  const n = Number(v);
  return Number.isInteger(n) && n > 0
    ? n
    : `${name} '${v}' must be a positive whole number of milliseconds`;
}

/** How long SIGTERM waits for deliveries in flight before exiting. */
const DRAIN_MS = 10_000;
/** How long the process may take to exit after the shutdown finished. */
const EXIT_GRACE_MS = 2_000;

/** `tributary run`: a mesh (see createMesh) on the given port until SIGTERM/SIGINT. */
export async function runCommand(opts: RunOptions): Promise<number> {
  const port = Number(opts.port);
  if (!Number.isInteger(port) || port < 0 || port > 65535) {
    process.stderr.write(`--port '${opts.port}' must be a whole number from 0 to 65535\n`);
    return 1;
  }
  const durability = opts.durability ?? 'process-crash';
  if (durability !== 'process-crash' && durability !== 'power-loss') {
    process.stderr.write(
      `--durability '${durability}' is not known; use process-crash (the default) or power-loss\n`,
    );
    return 1;
  }
  if (Boolean(opts.tlsCert) !== Boolean(opts.tlsKey)) {
    process.stderr.write('--tls-cert and --tls-key go together: give both or neither\n');
    return 1;
  }
  const requestTimeoutMs = positiveMs('--request-timeout', opts.requestTimeout ?? '30000');
  const headersTimeoutMs = positiveMs('--headers-timeout', opts.headersTimeout ?? '10000');
  for (const v of [requestTimeoutMs, headersTimeoutMs])
    if (typeof v === 'string') {
      process.stderr.write(`${v}\n`);
      return 1;
    }
  let adminToken: string | undefined;
  if (opts.adminTokenFile) {
    try {
      adminToken = readFileSync(opts.adminTokenFile, 'utf8').trim();
    } catch (err) {
      process.stderr.write(`--admin-token-file: ${(err as Error).message}\n`);
      return 1;
    }
    if (adminToken.length < 16) {
      process.stderr.write('--admin-token-file: the token must be at least 16 characters\n');
      return 1;
    }
  }
  // One scrubber for every log line: Secret values and URL credentials never reach the output.
  const scrubber = new SecretScrubber();
  if (adminToken) scrubber.add(adminToken);
  const logger = await createRunLogger(opts.logLevel, opts.logFormat ?? 'auto', (line) =>
    scrubber.scrub(line),
  );
  const consoleOn = opts.console ?? (isLoopback(opts.host) || adminToken !== undefined);
  if (opts.console === undefined && !consoleOn)
    logger.info(
      { host: opts.host },
      'console off: the server listens beyond loopback and has no admin token; pass --console to serve it',
    );
  let mesh;
  try {
    mesh = await createMesh(
      { files: opts.filename },
      {
        port,
        host: opts.host,
        logger,
        drainMs: DRAIN_MS,
        ...(consoleOn ? { extraPlugins: () => [createConsolePlugin()] } : {}),
        ...(opts.dataDir ? { dataDir: opts.dataDir, durability } : {}),
        security: {
          scrubber,
          keysDir: keysDirOf(opts),
          publicUrl: opts.publicUrl,
          admin: { token: adminToken },
          limits: {
            requestTimeoutMs: requestTimeoutMs as number,
            headersTimeoutMs: headersTimeoutMs as number,
          },
          ...(opts.tlsCert && opts.tlsKey
            ? {
                tls: {
                  certFile: opts.tlsCert,
                  keyFile: opts.tlsKey,
                  clientCaFile: opts.tlsClientCa,
                  minVersion: opts.tlsMinVersion ?? 'TLSv1.2',
                },
              }
            : {}),
        },
      },
    );
  } catch (err) {
    if (!(err instanceof ConfigError)) throw err;
    for (const p of err.problems) process.stderr.write(`${formatProblem(p)}\n`);
    process.stderr.write(`${err.problems.length} problem(s) found; nothing started\n`);
    return 1;
  }
  const tracing = await setupTracing();
  if (tracing) logger.info({ endpoint: tracing.endpoint }, 'exporting traces over OTLP');
  // Signals are handled from the start: a SIGTERM while backends are still connecting stops
  // everything too (docs/operations.md, "Start and stop").
  let unwatch: (() => void) | undefined;
  let stopping = false;
  const done = new Promise<number>((resolve) => {
    const stop = (signal: string) => {
      if (stopping) return;
      stopping = true;
      logger.info({ signal }, 'shutting down');
      unwatch?.();
      // Backstop: whatever a client library still holds, the process ends soon after the drain.
      setTimeout(() => {
        logger.error({ drainMs: DRAIN_MS }, 'shutdown did not finish in time; exiting');
        process.exit(1);
      }, DRAIN_MS + EXIT_GRACE_MS).unref();
      mesh
        .stop({ drainMs: DRAIN_MS })
        .then(() => tracing?.shutdown())
        .then(
          () => {
            logger.info({}, 'stopped');
            exitSoon(0);
            resolve(0);
          },
          (err: unknown) => {
            logger.error({ err }, 'shutdown failed');
            exitSoon(1);
            resolve(1);
          },
        );
    };
    process.once('SIGTERM', () => stop('SIGTERM'));
    process.once('SIGINT', () => stop('SIGINT'));
  });
  try {
    await mesh.start();
  } catch (err) {
    if (stopping) return done;
    // A data directory owned by another process, or not Tributary's: say so and exit non-zero.
    const code = (err as { code?: unknown }).code;
    if (typeof code !== 'string' || !code.startsWith('TRIB_ERR_DATA_DIR')) throw err;
    logger.fatal({ err: (err as Error).message, code }, 'cannot use the data directory');
    process.stderr.write(`${(err as Error).message}\n`);
    await tracing?.shutdown();
    return 1;
  }
  startupFinished();
  if (!isLoopback(opts.host)) {
    const authenticated = mesh.topology.byKind('Authentication').length > 0;
    logger.warn(
      {
        host: opts.host,
        ingress: authenticated ? 'bearer token required' : 'open to anyone who can reach the port',
        admin: adminToken
          ? '/admin/*, /metrics and /console require the admin token'
          : '/admin/*, /metrics and /console answer loopback clients only (set --admin-token-file)',
        tls: opts.tlsCert ? 'https' : 'none: traffic is in clear (set --tls-cert and --tls-key)',
      },
      `listening on a non-loopback address (${opts.host}): exposed to the network`,
    );
  }
  if (!stopping && opts.watch) unwatch = watchManifests(mesh, opts.filename, logger);
  return done;
}

/** After a clean stop: exit once stdout is flushed, even if a library left a handle open. */
function exitSoon(code: number): void {
  setTimeout(() => process.exit(code), EXIT_GRACE_MS).unref();
}

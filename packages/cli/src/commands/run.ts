import { ConfigError, formatProblem } from '@tributary/core';
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
}

/** How long SIGTERM waits for deliveries in flight before exiting. */
const DRAIN_MS = 10_000;

/** `tributary run`: a mesh (see createMesh) on the given port until SIGTERM/SIGINT. */
export async function runCommand(opts: RunOptions): Promise<number> {
  const port = Number(opts.port);
  if (!Number.isInteger(port) || port < 0 || port > 65535) {
    process.stderr.write(`--port '${opts.port}' must be a whole number from 0 to 65535\n`);
    return 1;
  }
  const logger = await createRunLogger(opts.logLevel, opts.logFormat ?? 'auto');
  let mesh;
  try {
    mesh = await createMesh(
      { files: opts.filename },
      { port, host: opts.host, logger, drainMs: DRAIN_MS },
    );
  } catch (err) {
    if (!(err instanceof ConfigError)) throw err;
    for (const p of err.problems) process.stderr.write(`${formatProblem(p)}\n`);
    process.stderr.write(`${err.problems.length} problem(s) found; nothing started\n`);
    return 1;
  }
  const tracing = await setupTracing();
  if (tracing) logger.info({ endpoint: tracing.endpoint }, 'exporting traces over OTLP');
  await mesh.start();
  const unwatch = opts.watch ? watchManifests(mesh, opts.filename, logger) : undefined;
  return new Promise<number>((resolve) => {
    let stopping = false;
    const stop = (signal: string) => {
      if (stopping) return;
      stopping = true;
      logger.info({ signal }, 'shutting down');
      unwatch?.();
      mesh
        .stop({ drainMs: DRAIN_MS })
        .then(() => tracing?.shutdown())
        .then(
          () => {
            logger.info({}, 'stopped');
            resolve(0);
          },
          (err: unknown) => {
            logger.error({ err }, 'shutdown failed');
            resolve(1);
          },
        );
    };
    process.once('SIGTERM', () => stop('SIGTERM'));
    process.once('SIGINT', () => stop('SIGINT'));
  });
}

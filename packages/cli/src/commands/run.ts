import { pino } from 'pino';
import { formatProblem } from '@tributary/core';
import { createRuntime } from '@tributary/broker';
import { loadAll } from './manifests.js';
import { defaultPlugins } from '../plugins.js';

export interface RunOptions {
  filename: string[];
  port: string;
  host: string;
  logLevel: string;
}

/** How long SIGTERM waits for deliveries in flight before exiting. */
const DRAIN_MS = 10_000;

export async function runCommand(opts: RunOptions): Promise<number> {
  const port = Number(opts.port);
  if (!Number.isInteger(port) || port < 0 || port > 65535) {
    process.stderr.write(`--port '${opts.port}' must be a whole number from 0 to 65535\n`);
    return 1;
  }
  const logger = pino({ level: opts.logLevel, base: { service: 'tributary' } });
  const { topology, problems } = await loadAll(opts.filename);
  if (problems.length > 0) {
    for (const p of problems) process.stderr.write(`${formatProblem(p)}\n`);
    process.stderr.write(`${problems.length} problem(s) found; nothing started\n`);
    return 1;
  }
  const runtime = createRuntime({
    topology,
    logger,
    host: opts.host,
    port,
    plugins: defaultPlugins(),
  });
  await runtime.start();
  return new Promise<number>((resolve) => {
    let stopping = false;
    const stop = (signal: string) => {
      if (stopping) return;
      stopping = true;
      logger.info({ signal }, 'shutting down');
      runtime.stop({ drainMs: DRAIN_MS }).then(
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

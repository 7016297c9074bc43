/**
 * The logger of `tributary run`: JSON lines (pino) for machines, or pino-pretty's coloured lines when
 * stdout is a terminal. `--log-format` (or `LOG_FORMAT`) overrides the choice; see docs/operations.md.
 */
import { pino, type Logger } from 'pino';

export type LogFormat = 'json' | 'pretty' | 'auto';

/** `auto` is pretty on a terminal and JSON anywhere else (pipes, files, log collectors). */
export function resolveLogFormat(
  format: LogFormat,
  isTTY = process.stdout.isTTY,
): 'json' | 'pretty' {
  if (format === 'auto') return isTTY ? 'pretty' : 'json';
  return format;
}

/**
 * A pino logger at `level` on stdout in the resolved format; pino-pretty is loaded only when used.
 * `scrub` rewrites every serialized line before it is written (Secret values and URL credentials
 * never reach the output, docs/security.md).
 */
export async function createRunLogger(
  level: string,
  format: LogFormat,
  scrub?: (line: string) => string,
): Promise<Logger> {
  const options = {
    level,
    base: { service: 'tributary' },
    ...(scrub ? { hooks: { streamWrite: scrub } } : {}),
  };
  if (resolveLogFormat(format) === 'json') return pino(options);
  const { default: pretty } = await import('pino-pretty');
  // sync: lines reach the terminal in order with process exit; the cost does not matter on a terminal.
  return pino(
    options,
    pretty({ sync: true, colorize: true, singleLine: true, ignore: 'pid,hostname,service' }),
  );
}

/**
 * The logging surface libraries use (pino's, structurally), so that only entry points depend on
 * pino. Fields first, message second: `log.info({ broker }, 'broker ready')`.
 */
export interface Logger {
  child(bindings: Record<string, unknown>): Logger;
  trace(obj: object, msg?: string): void;
  debug(obj: object, msg?: string): void;
  info(obj: object, msg?: string): void;
  warn(obj: object, msg?: string): void;
  error(obj: object, msg?: string): void;
  isLevelEnabled?(level: string): boolean;
}

/** A logger that drops everything (for tests and embedding without logs). */
export const silentLogger: Logger = {
  child: () => silentLogger,
  trace: () => {},
  debug: () => {},
  info: () => {},
  warn: () => {},
  error: () => {},
  isLevelEnabled: () => false,
};

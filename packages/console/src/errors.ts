/** Errors of @tributary/console, each with a stable `code`. */

export type ConsoleErrorCode = 'TRIB_ERR_CONSOLE_ASSETS_MISSING' | 'TRIB_ERR_CONSOLE_FILTER';

export class ConsoleError extends Error {
  constructor(
    readonly code: ConsoleErrorCode,
    message: string,
  ) {
    super(message);
    this.name = 'ConsoleError';
  }
}

/** The built front end is not where the server looks for it (run `pnpm build`). */
export class ConsoleAssetsMissingError extends ConsoleError {
  constructor(readonly dir: string) {
    super(
      'TRIB_ERR_CONSOLE_ASSETS_MISSING',
      `the console's assets are not built (looked in ${dir}); run \`pnpm build\` in the repository`,
    );
  }
}

/** The live tail's CESQL filter does not parse. */
export class ConsoleFilterError extends ConsoleError {
  constructor(expression: string, reason: string) {
    super('TRIB_ERR_CONSOLE_FILTER', `filter '${expression}' is not valid CESQL: ${reason}`);
  }
}

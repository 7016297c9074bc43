/** Errors of @tributary/redis. */

/** A Redis broker ConfigMap or RedisStreamSource that cannot be used as written. */
export class RedisConfigError extends Error {
  constructor(message: string, options?: ErrorOptions) {
    super(message, options);
    this.name = 'RedisConfigError';
  }
}

/** A stream entry whose fields are not an event this package wrote. */
export class RedisEntryDecodeError extends Error {
  constructor(
    message: string,
    /** The stream entry ID. */
    readonly entryId: string,
  ) {
    super(message);
    this.name = 'RedisEntryDecodeError';
  }
}

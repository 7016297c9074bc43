/** Errors of @tributary/redis (codes in docs/errors.md). */
import { TributaryError } from '@tributary/core';

/** Codes of this package's errors. */
export const redisErrorCodes = {
  TRIB_ERR_REDIS_CONFIG: 'a Redis broker ConfigMap or RedisStreamSource cannot be used as written',
  TRIB_ERR_REDIS_ENTRY_DECODE: 'a stream entry is not an event this package wrote',
} as const;

export type RedisErrorCode = keyof typeof redisErrorCodes;

/** A Redis broker ConfigMap or RedisStreamSource that cannot be used as written. */
export class RedisConfigError extends TributaryError<RedisErrorCode> {
  constructor(message: string, options?: ErrorOptions) {
    super('TRIB_ERR_REDIS_CONFIG', message, options);
  }
}

/** A stream entry whose fields are not an event this package wrote. */
export class RedisEntryDecodeError extends TributaryError<RedisErrorCode> {
  constructor(
    message: string,
    /** The stream entry ID. */
    readonly entryId: string,
  ) {
    super('TRIB_ERR_REDIS_ENTRY_DECODE', message);
  }
}

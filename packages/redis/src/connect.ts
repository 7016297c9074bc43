/** Bounded connect and quit for ioredis clients: nothing waits on a Redis that does not answer. */
import { BackendUnavailableError } from '@tributary/core';
import type { Redis } from 'ioredis';

/** Connects `redis` within `ms`; on failure disconnects it (no reconnecting in the background). */
export async function connectWithin(redis: Redis, ms: number, what: string): Promise<void> {
  let timer: NodeJS.Timeout | undefined;
  try {
    await Promise.race([
      redis.connect(),
      new Promise<never>((_, reject) => {
        timer = setTimeout(() => reject(new Error(`no answer within ${ms} ms`)), ms);
      }),
    ]);
  } catch (err) {
    redis.disconnect();
    throw new BackendUnavailableError(`${what} is not reachable: ${(err as Error).message}`, 5, {
      cause: err,
    });
  } finally {
    clearTimeout(timer);
  }
}

/** QUIT, bounded: a Redis that does not answer gets its socket closed instead. */
export async function quitWithin(redis: Redis, ms: number): Promise<void> {
  let timer: NodeJS.Timeout | undefined;
  await Promise.race([
    redis.quit().catch(() => undefined),
    new Promise((r) => (timer = setTimeout(r, ms))),
  ]);
  clearTimeout(timer);
  redis.disconnect();
}

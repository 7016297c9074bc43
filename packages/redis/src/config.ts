import { type ProviderContext, type Topology, resolveSecretKeyRef } from '@tributary/core';
import type { RedisOptions } from 'ioredis';
import { z } from 'zod';
import { RedisConfigError } from './errors.js';

const bool = z
  .union([z.boolean(), z.enum(['true', 'false'])])
  .transform((v) => v === true || v === 'true');

/**
 * The Redis broker's configuration: the data of the ConfigMap named by the Broker's `spec.config`
 * (all values strings). See docs/redis.md.
 */
export const redisBackendConfigSchema = z.object({
  /** `redis://host:port[/db]`, `rediss://…` (TLS) or `host:port`. */
  address: z.string().min(1).default('redis://127.0.0.1:6379'),
  /** Name of a v1 Secret (Broker's namespace) with `password` and optionally `username`. */
  'credentials.secret': z.string().min(1).optional(),
  /** Approximate cap on stream length (XADD MAXLEN ~). 0 = no cap. */
  'stream.maxlen': z.coerce.number().int().nonnegative().default(0),
  /** Interval of trimming entries every consumer group acknowledged (XTRIM MINID). 0 = never. */
  'stream.trim.interval.ms': z.coerce.number().int().nonnegative().default(10_000),
  /** An entry pending this long in a consumer is claimed by another (XAUTOCLAIM min idle). */
  'claim.min.idle.ms': z.coerce.number().int().positive().default(30_000),
  /** How often each consumer looks for entries to claim. Defaults to a third of the min idle. */
  'claim.interval.ms': z.coerce.number().int().positive().optional(),
  /** Persist long backoffs as BullMQ delayed jobs (unordered subscriptions). */
  'retry.durable': bool.default(true),
  /** Backoffs at least this long are persisted as BullMQ delayed jobs (durable retries). */
  'retry.durable.min.delay.ms': z.coerce.number().int().nonnegative().default(1_000),
  /** Entries read per XREADGROUP. */
  'read.count': z.coerce.number().int().positive().default(100),
  /** Prefix of BullMQ keys. */
  'bullmq.prefix': z.string().min(1).default('tributary'),
  tls: bool.optional(),
});

/** Validated Redis broker configuration. */
export type RedisBackendConfig = z.output<typeof redisBackendConfigSchema>;

/** Credentials and address in the shape ioredis takes. */
export function connectionOptions(
  address: string,
  extra: {
    username?: string | undefined;
    password?: string | undefined;
    tls?: boolean | undefined;
  },
  field = 'address',
): RedisOptions {
  const withScheme = /^[a-z]+:\/\//i.test(address) ? address : `redis://${address}`;
  let url: URL;
  try {
    url = new URL(withScheme);
  } catch {
    throw new RedisConfigError(
      `${field} '${address}' is not a Redis address; write it as redis://host:port or host:port`,
    );
  }
  if (url.protocol !== 'redis:' && url.protocol !== 'rediss:')
    throw new RedisConfigError(
      `${field} '${address}' has scheme '${url.protocol}'; use redis:// or rediss:// (TLS)`,
    );
  const db = url.pathname.replace(/^\//, '');
  const opts: RedisOptions = {
    host: url.hostname || '127.0.0.1',
    port: url.port ? Number(url.port) : 6379,
    ...(db ? { db: Number(db) } : {}),
  };
  const username = extra.username ?? (url.username ? decodeURIComponent(url.username) : undefined);
  const password = extra.password ?? (url.password ? decodeURIComponent(url.password) : undefined);
  if (username) opts.username = username;
  if (password) opts.password = password;
  if (url.protocol === 'rediss:' || extra.tls) opts.tls = {};
  return opts;
}

/** Resolves a broker config (Secret included) into ioredis options. */
export function brokerConnection(
  config: RedisBackendConfig,
  ctx: Pick<ProviderContext, 'topology' | 'namespace'>,
  env: Readonly<Record<string, string | undefined>> = process.env,
): RedisOptions {
  let username: string | undefined;
  let password: string | undefined;
  const secret = config['credentials.secret'];
  if (secret) {
    const ns = ctx.namespace ?? 'default';
    const topo = ctx.topology ?? emptyTopology;
    try {
      password = resolveSecretKeyRef(topo, ns, { name: secret, key: 'password' }, env);
    } catch (err) {
      throw new RedisConfigError(`credentials.secret '${secret}': ${(err as Error).message}`, {
        cause: err,
      });
    }
    try {
      username = resolveSecretKeyRef(topo, ns, { name: secret, key: 'username' }, env);
    } catch {
      username = undefined; // username is optional (Redis default user)
    }
  }
  return connectionOptions(config.address, { username, password, tls: config.tls });
}

const emptyTopology = { get: () => undefined } as unknown as Topology;

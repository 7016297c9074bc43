import type { PluginContext, RuntimePlugin } from '@tributary/broker';
import { type Sink, clientName, resolveSecretKeyRef } from '@tributary/core';
import { createSourceSink } from '@tributary/sources';
import type { Redis } from 'ioredis';
import { connectionOptions } from '../config.js';
import { connectWithin } from '../connect.js';
import type { RedisStreamSource } from './resource.js';
import { streamEntryEvent } from './stream-event.js';

/** Options of {@link createRedisPlugin}. */
export interface RedisPluginOptions {
  /** Environment for secretKeyRef fallbacks. @default process.env */
  readonly env?: Readonly<Record<string, string | undefined>>;
}

/**
 * Runs every RedisStreamSource: a consumer group (created at `$` with MKSTREAM), `consumers`
 * consumers reading one entry at a time, XACK only after the sink accepted the event (unlike
 * Knative, nothing is acknowledged after a failure: the entry is read again from the pending list).
 */
export function createRedisPlugin(options: RedisPluginOptions = {}): RuntimePlugin {
  const abort = new AbortController();
  const connections: Redis[] = [];
  const loops: Promise<void>[] = [];

  async function startSource(ctx: PluginContext, src: RedisStreamSource): Promise<void> {
    const { namespace, name } = src.metadata;
    const logger = ctx.logger.child({ redisstreamsource: name, namespace });
    const status = (ready: boolean, reason: string, message?: string) =>
      ctx.statuses.set('RedisStreamSource', namespace, name, ready, reason, message);
    const resolved = await ctx.resolve(src.spec.sink, namespace, {
      // The source is the sender EventPolicies name (docs/security.md).
      owner: { apiVersion: src.apiVersion, kind: 'RedisStreamSource', namespace, name },
    });
    if ('error' in resolved) return status(false, 'SinkNotFound', resolved.error);
    const sink = createSourceSink({
      target: resolved.target,
      logger,
      signal: abort.signal,
      ceOverrides: src.spec.ceOverrides,
    });
    let conn;
    try {
      const d = src.spec.dialOptions;
      const password = d?.password
        ? resolveSecretKeyRef(ctx.topology, namespace, d.password.secretKeyRef, options.env)
        : undefined;
      conn = connectionOptions(
        src.spec.address,
        { username: d?.username, password, tls: d?.tls },
        'spec.address',
      );
    } catch (err) {
      return status(false, 'InvalidConfig', (err as Error).message);
    }
    const group = src.spec.group ?? `tributary-${namespace}-${name}`;
    const connectionName = clientName(`source-${namespace}-${name}`);
    // ioredis loads only when a RedisStreamSource exists (docs/architecture.md).
    const { Redis } = await import('ioredis');
    const admin = new Redis({
      ...conn,
      lazyConnect: true,
      maxRetriesPerRequest: 2,
      connectionName,
    });
    connections.push(admin);
    try {
      await connectWithin(admin, 10_000, `Redis at ${src.spec.address}`);
      await admin.xgroup('CREATE', src.spec.stream, group, '$', 'MKSTREAM').catch((err: Error) => {
        if (!err.message.includes('BUSYGROUP')) throw err;
      });
    } catch (err) {
      return status(false, 'RedisUnavailable', `${src.spec.address}: ${(err as Error).message}`);
    }
    for (let i = 0; i < src.spec.consumers; i++) {
      const r = new Redis({
        ...conn,
        maxRetriesPerRequest: null,
        connectionName: `${connectionName}-consumer`,
      });
      r.on('error', (err) => logger.debug({ err: err.message }, 'redis connection error'));
      connections.push(r);
      const consumer = `${group}-${i}`;
      loops.push(consume(r, src, group, consumer, sink, logger));
    }
    status(true, 'Ready', `reading ${src.spec.stream} as group ${group}`);
    logger.info(
      { stream: src.spec.stream, group, sink: resolved.target.url },
      'redis stream source started',
    );
  }

  async function consume(
    r: Redis,
    src: RedisStreamSource,
    group: string,
    consumer: string,
    sink: Sink,
    logger: PluginContext['logger'],
  ): Promise<void> {
    // Start with our own pending list (entries read before a crash or a failed delivery).
    let from = '0';
    while (!abort.signal.aborted) {
      let reply: [string, [string, string[] | null][]][] | null;
      try {
        reply = (await r.xreadgroup(
          'GROUP',
          group,
          consumer,
          'COUNT',
          1,
          'BLOCK',
          5000,
          'STREAMS',
          src.spec.stream,
          from,
        )) as typeof reply;
      } catch (err) {
        if (abort.signal.aborted) return;
        logger.warn({ err: (err as Error).message }, 'XREADGROUP failed; retrying');
        await new Promise((res) => setTimeout(res, 1000));
        continue;
      }
      const entries = reply?.[0]?.[1] ?? [];
      if (from === '0' && entries.length === 0) from = '>';
      let failed = false;
      for (const [id, fields] of entries) {
        if (fields === null) {
          await r.xack(src.spec.stream, group, id); // trimmed away: nothing to deliver
          continue;
        }
        try {
          await sink(streamEntryEvent(src.spec.address, src.spec.stream, id, fields));
          await r.xack(src.spec.stream, group, id);
          logger.debug({ entryId: id }, 'entry delivered and acknowledged');
        } catch (err) {
          if (abort.signal.aborted) return;
          logger.warn(
            { entryId: id, err: (err as Error).message },
            'sink did not accept the entry; it stays pending and is read again',
          );
          failed = true;
          await new Promise((res) => setTimeout(res, 1000));
        }
      }
      // Past a pending entry: continue with the next pending one after it.
      if (failed) from = '0';
      else if (from !== '>' && entries.length > 0) from = entries[entries.length - 1]![0];
    }
  }

  return {
    name: 'redis',
    async start(ctx) {
      for (const src of ctx.topology.byKind('RedisStreamSource')) await startSource(ctx, src);
    },
    async stop() {
      abort.abort();
      for (const c of connections) c.disconnect();
      await Promise.allSettled(loops);
    },
  };
}

/**
 * A mesh's data directory (`dataDir`, docs/embedded-durable.md): the embedded durable backend of
 * the default broker class and InMemoryChannel, the archive, replay progress and pause state.
 */
import { join } from 'node:path';
import type { BackendProvider, Logger } from '@tributary/core';
import { type ReplayRecord, type RuntimeOptions, flowStateFile } from '@tributary/broker';
import type { MeshOptions } from './mesh-types.js';

/** Opens the data directory; @tributary/sqlite (and better-sqlite3) load only here. */
export async function openDurableBackend(
  dir: string,
  durability: MeshOptions['durability'],
  logger: Logger,
): Promise<{
  store: { close(): void };
  provider: BackendProvider<unknown>;
  runtimeParts: DurableRuntimeParts;
}> {
  const sqlite = await import('@tributary/sqlite');
  const store = await sqlite.openDataStore({
    dir,
    ...(durability ? { durability } : {}),
    logger: logger.child({ component: 'data-store' }),
  });
  // The archive, replay progress and pause overrides live in the data directory too
  // (docs/failed-deliveries.md).
  const archive = await sqlite.openArchiveStore(dir, durability);
  return {
    store,
    provider: sqlite.sqliteBackendProvider(store) as BackendProvider<unknown>,
    runtimeParts: {
      // archive.db answers synchronously; the runtime's archive contract is async.
      archive: {
        append: async (broker, events, retentionMs) => archive.append(broker, events, retentionMs),
        read: async (broker, fromMs, toMs, afterSeq, limit) =>
          archive.read(broker, fromMs, toMs, afterSeq, limit),
        count: async (broker, fromMs, toMs) => archive.count(broker, fromMs, toMs),
        close: () => archive.close(),
      },
      replayStore: {
        list: () => archive.replays.list<ReplayRecord>(),
        save: (r) => archive.replays.save(r),
      },
      flowState: flowStateFile(join(dir, 'flow-control.json')),
    },
  };
}

/** What a data directory adds to the runtime: durable archive, replay progress and pause state. */
export type DurableRuntimeParts = Pick<RuntimeOptions, 'archive' | 'replayStore' | 'flowState'>;

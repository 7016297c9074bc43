/**
 * What a runtime does over its life, on its named parts: apply a changed topology (triggers one
 * by one, brokers, the plugin generation) and stop everything in order within a drain bound.
 */
import type { Logger, Topology } from '@tributary/core';
import type { Agent } from 'undici';
import type { RoutedArchive } from '../archive/routed-archive.js';
import type { ReplayManager } from '../archive/replay-manager.js';
import type { EventCatalog } from '../catalog/event-catalog.js';
import type { DeadLetterService } from '../deadletters/dead-letter-service.js';
import type { HttpServer } from '../http/http-server.js';
import type { TriggerSet } from '../subscriptions/trigger-set.js';
import type { BrokerSet } from './broker-set.js';
import type { FlowControl } from './flow-control.js';
import type { PluginHost } from './plugin-host.js';
import type { PluginSubscriptions } from './plugin-subscriptions.js';
import type { StatusBoard } from './resource-status.js';
import type { ApplyReport } from './runtime-types.js';
import { diffTopology, keyOf, triggerFingerprint } from './topology-diff.js';

/** The parts of a runtime. */
export interface RuntimeParts {
  readonly logger: Logger;
  readonly statuses: StatusBoard;
  readonly server: HttpServer;
  readonly brokers: BrokerSet;
  readonly triggers: TriggerSet;
  readonly plugins: PluginHost;
  readonly pluginSubscriptions: PluginSubscriptions;
  readonly deadLetters: DeadLetterService;
  readonly archive: RoutedArchive;
  readonly replays: ReplayManager;
  readonly flow: FlowControl;
  readonly catalog: EventCatalog;
  readonly agent: Agent;
  /** Rebuilds the brokers' routing indexes, leaving out the triggers in `except`. */
  updateRouting(except?: ReadonlySet<string>): void;
}

/** Marks the topology's Functions Ready (they have no start of their own). */
export function markFunctions(
  parts: RuntimeParts,
  prev: Topology | undefined,
  next: Topology,
): void {
  for (const f of prev?.functions ?? [])
    if (!next.get('Function', f.metadata.namespace, f.metadata.name))
      parts.statuses.delete('Function', f.metadata.namespace, f.metadata.name);
  for (const f of next.functions)
    parts.statuses.set('Function', f.metadata.namespace, f.metadata.name, true, 'Ready');
}

/** Applies `next` over `prev`, which the runtime already replaced by `next`. */
export async function applyTopology(
  parts: RuntimeParts,
  prev: Topology,
  next: Topology,
  drainMs: number,
): Promise<ApplyReport> {
  const { brokers, triggers, statuses } = parts;
  const diff = diffTopology(prev, next);
  parts.catalog.setTopology(next);
  markFunctions(parts, prev, next);
  for (const k of diff.brokersAdded) {
    const b = next.brokers.find((x) => keyOf(x) === k);
    if (b) await brokers.start(b);
  }
  for (const k of diff.brokersChanged)
    parts.logger.warn({ broker: k }, 'broker class or config changed: restart to apply it');
  const wanted = new Map(next.triggers.map((t) => [keyOf(t), t]));
  const removed = triggers.keys().filter((k) => !wanted.has(k));
  const changed = triggers
    .keys()
    .filter(
      (k) =>
        wanted.has(k) && triggers.get(k)!.fingerprint !== triggerFingerprint(next, wanted.get(k)!),
    );
  const added = [...wanted.keys()].filter((k) => !triggers.has(k));
  // Stop routing to removed triggers first, then drain them; changed ones keep their
  // subscription (and what it holds) and get a new dispatcher.
  if (removed.length > 0) parts.updateRouting(new Set(removed));
  await Promise.all([
    ...removed.map((k) => triggers.stop(k, drainMs, true)),
    ...changed.map((k) => triggers.stop(k, drainMs, false)),
  ]);
  for (const k of removed) {
    const [ns, name] = k.split('/') as [string, string];
    statuses.delete('Trigger', ns, name);
    parts.flow.removed(k);
  }
  for (const k of [...changed, ...added]) await triggers.start(wanted.get(k)!);
  for (const k of diff.brokersRemoved) await brokers.remove(k, drainMs);
  parts.updateRouting();
  if (diff.pluginsChanged) await parts.plugins.reload(drainMs);
  const report: ApplyReport = {
    triggersAdded: added,
    triggersChanged: changed,
    triggersRemoved: removed,
    brokersAdded: diff.brokersAdded,
    brokersRemoved: diff.brokersRemoved,
    brokersNeedingRestart: diff.brokersChanged,
    pluginsRestarted: diff.pluginsChanged,
  };
  parts.logger.info(report, 'configuration applied');
  return report;
}

/** Stops everything within about `drainMs`, whatever state the backends are in. */
export async function stopRuntime(
  parts: RuntimeParts,
  applying: Promise<unknown>,
  drainMs: number,
): Promise<void> {
  parts.triggers.cancelRetries();
  parts.brokers.cancelAll();
  let timer: NodeJS.Timeout | undefined;
  await Promise.race([
    applying.catch(() => undefined),
    new Promise((r) => (timer = setTimeout(r, drainMs))),
  ]);
  clearTimeout(timer);
  const closing = parts.server.close({ drainMs });
  await parts.plugins.stop(drainMs);
  await parts.pluginSubscriptions.closeAll(drainMs);
  await parts.plugins.closeCarriedOver(drainMs);
  await parts.replays.close();
  await parts.triggers.closeAll(drainMs);
  await parts.deadLetters.close();
  await parts.brokers.closeAll(drainMs);
  await parts.archive.close();
  await closing;
  await parts.plugins.resolver.close();
  await parts.agent.close();
}

/**
 * The runtime's two data paths and what they report to (docs/architecture.md, "Data path"): the
 * publish path, whose hook counts accepted and refused events per Broker or Channel, feeds the
 * event catalog and the event tap; and the subscribe path, whose dispatcher hooks report each
 * Trigger's and each channel Subscription's attempts and outcomes.
 */
import type { Logger } from '@tributary/core';
import type { EventCatalog } from '../catalog/event-catalog.js';
import type { DispatchOutcome } from '../dispatcher/dispatcher-types.js';
import { PublishPath, type PublishReport } from '../ingress/publish-path.js';
import type { EventTap } from '../observability/event-tap.js';
import type { RuntimeMetrics } from '../observability/metrics.js';
import { SubscriptionMetrics } from '../observability/subscription-metrics.js';
import { SubscribePath } from '../subscriptions/subscribe-path.js';

export interface DataPaths {
  readonly publishPath: PublishPath;
  readonly subscribePath: SubscribePath;
  readonly subscriptionMetrics: SubscriptionMetrics;
}

export function createDataPaths(o: {
  metrics: RuntimeMetrics;
  catalog: () => EventCatalog;
  tap: EventTap;
  logger: Logger;
  onTriggerOutcome?: ((o: DispatchOutcome & { trigger: string }) => void) | undefined;
}): DataPaths {
  const { metrics, tap } = o;
  const subscriptionMetrics = new SubscriptionMetrics(metrics.registry);
  const accepted = (r: PublishReport): void => {
    const { kind, namespace, name } = r.resource;
    if (kind === 'Channel') {
      subscriptionMetrics.ingested(namespace, name, r.events, r.status);
      if (r.status !== 202 || !tap.active) return;
      const channel = { namespace, name };
      const time = Date.now();
      for (const event of r.events)
        tap.emit({ kind: 'accepted', time, broker: channel, channel, via: r.via, event });
      return;
    }
    if (r.status === 202) {
      metrics.ingested(namespace, name, r.events, r.status, r.durationMs);
      o.catalog().observe(namespace, name, r.events);
      if (!tap.active) return;
      const broker = { namespace, name };
      const time = Date.now();
      for (const event of r.events) tap.emit({ kind: 'accepted', time, broker, via: r.via, event });
    }
    // HTTP refusals are counted by the route (they include requests that never decoded).
    else if (r.via === 'in-process') metrics.rejected(namespace, name, r.status);
  };
  const onTrigger = o.onTriggerOutcome;
  return {
    subscriptionMetrics,
    publishPath: new PublishPath({ logger: o.logger, onPublished: accepted }),
    subscribePath: new SubscribePath({
      metrics,
      subscriptionMetrics,
      tap,
      onOutcome: onTrigger
        ? (out, id) => {
            if (id.kind === 'Trigger') onTrigger({ ...out, trigger: `${id.namespace}/${id.name}` });
          }
        : undefined,
    }),
  };
}

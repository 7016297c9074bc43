import type { CloudEvent } from '@tributary/core';
import {
  DeadLetterFailedError,
  type DispatchOutcome,
  type TriggerDispatcherOptions,
  createTriggerDispatcher,
} from '../dispatcher/dispatcher.js';
import type { ReplayDelivery, ReplayHost } from '../archive/replay-manager.js';

/** What the replay host needs of a running Trigger. */
export interface ReplayableTrigger {
  readonly namespace: string;
  readonly name: string;
  /** "ns/name" of its broker. */
  readonly broker: string;
  /** The options its dispatcher was built with (target, policy, filter, flow-control gate). */
  readonly dispatcherOptions: TriggerDispatcherOptions;
}

/**
 * The runtime side of replays (archive/replay-manager.ts): each replayed event goes through a
 * dispatcher built from the running trigger's own options (same filter, delivery spec, dead-letter
 * sink and flow-control gate), so a replay honours pause, rate limit and circuit breaker.
 */
export function createReplayHost(deps: {
  triggers: () => Iterable<ReplayableTrigger>;
  archived: (broker: string) => boolean | undefined;
  /** Names of the triggers the topology puts on `broker` (running or still starting). */
  expected: (broker: string) => string[];
}): ReplayHost {
  const running = (broker: string) => [...deps.triggers()].filter((t) => t.broker === broker);
  return {
    checkBroker(broker) {
      const a = deps.archived(broker);
      if (a === undefined)
        return `broker '${broker}' is not running (check \`tributary get brokers\`)`;
      if (!a)
        return `broker '${broker}' has no archive: set the annotation tributary.dev/archive-retention (e.g. "72h") on it`;
      return undefined;
    },
    checkTrigger(broker, name) {
      return running(broker).some((t) => t.name === name)
        ? undefined
        : `trigger '${name}' is not running on broker '${broker}' (check \`tributary get triggers\`)`;
    },
    async deliver(broker, trigger, event, signal) {
      const targets = running(broker).filter((t) => trigger === undefined || t.name === trigger);
      // A trigger the topology has that is not running yet (backend connecting, restarting)
      // makes the replay wait and retry this event rather than skip it.
      const names = new Set(targets.map((t) => t.name));
      const waiting = deps
        .expected(broker)
        .filter((n) => (trigger === undefined || n === trigger) && !names.has(n));
      if (waiting.length > 0 || (trigger !== undefined && targets.length === 0))
        throw new Error(
          `trigger ${waiting.join(', ') || trigger} of '${broker}' is not running yet`,
        );
      const results: ReplayDelivery[] = [];
      for (const t of targets) results.push(await deliverOne(t, event, signal));
      return results;
    },
  };
}

async function deliverOne(
  t: ReplayableTrigger,
  event: CloudEvent,
  signal: AbortSignal,
): Promise<ReplayDelivery> {
  let outcome: DispatchOutcome['kind'] | undefined;
  const o = t.dispatcherOptions;
  const dispatcher = createTriggerDispatcher({
    ...o,
    onOutcome: (x) => {
      outcome = x.kind;
      o.onOutcome?.(x);
    },
  });
  const onAbort = () => dispatcher.close();
  signal.addEventListener('abort', onAbort, { once: true });
  try {
    await dispatcher.handle(event, { deliveryCount: 1 });
  } catch (err) {
    if (!(err instanceof DeadLetterFailedError)) throw err;
  } finally {
    signal.removeEventListener('abort', onAbort);
    dispatcher.close();
  }
  if (outcome === 'delivered') return 'delivered';
  if (outcome === 'filtered') return 'skipped';
  return 'failed';
}

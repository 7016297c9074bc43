/**
 * Wires subscriptions per docs/knative-behaviour.md §5 and §6: a Subscription (or an InMemoryChannel's inline
 * subscriber) is a dispatcher on its channel; a Sequence chains its channels (step i's reply goes
 * into channel i+1, the last one's to `spec.reply`); a Parallel fans its ingress channel out to one
 * filter subscription per branch, whose reply (or the event itself) enters the branch channel.
 */
import type { DeliveryTarget, PluginContext } from '@tributary/broker';
import {
  type CompiledDelivery,
  type DeliverySpec,
  type Destination,
  type Loaded,
  type Logger,
  compileDelivery,
  refTarget,
} from '@tributary/core';
import { compileTriggerFilter } from '@tributary/filter';
import { WiringError } from './errors.js';
import type { ChannelFabric, FabricChannel, FabricSubscription } from './channel-fabric.js';
import type { FlowChannels } from './flows-plugin.js';
import {
  parallelBranchChannelName,
  parallelFilterSubscriptionName,
  sequenceChannelName,
} from './naming.js';
import type { Channel, InMemoryChannel, Parallel, Sequence, Subscription } from './resources.js';

/** What the wiring functions share. */
export interface FlowWiring {
  readonly ctx: PluginContext;
  readonly fabric: ChannelFabric;
  readonly log: Logger;
}

type Wired = { ok: true } | { ok: false; reason: string; message: string };

/** Resolves a Destination, naming its role in the error. */
async function resolveAs(
  w: FlowWiring,
  dest: Destination,
  ns: string,
  role: string,
  /** The Subscription delivering (Knative names a flow's subscriptions): the token's subject. */
  subscription?: string,
): Promise<DeliveryTarget> {
  const owner = subscription
    ? {
        apiVersion: 'messaging.knative.dev/v1',
        kind: 'Subscription',
        namespace: ns,
        name: subscription,
      }
    : undefined;
  const r = await w.ctx.resolve(dest, ns, { owner });
  if ('error' in r) throw new WiringError(`${role}: ${r.error}`);
  return r.target;
}

/**
 * The delivery of a subscription: its own `delivery` merged field by field over the channel's,
 * with Knative's channel default of retry 0 (no broker defaults), and its dead-letter target.
 */
async function deliveryOf(
  w: FlowWiring,
  own: DeliverySpec | undefined,
  channel: FabricChannel,
  ns: string,
  role: string,
): Promise<{ policy: CompiledDelivery; deadLetter?: DeliveryTarget | undefined }> {
  const policy = compileDelivery(own, channel.delivery ?? {});
  const deadLetter = policy.deadLetterSink
    ? await resolveAs(w, policy.deadLetterSink, ns, `${role} deadLetterSink`)
    : undefined;
  return { policy, deadLetter };
}

/** Builds every subscription first, then starts them all, so a resource is wired wholly or not at all. */
async function wireAll(
  w: FlowWiring,
  kind: string,
  ns: string,
  name: string,
  build: () => Promise<FabricSubscription[]>,
  readyMessage: string,
  entry?: FabricChannel,
): Promise<Wired> {
  let subs: FabricSubscription[];
  try {
    subs = await build();
  } catch (err) {
    if (!(err instanceof WiringError)) throw err;
    const reason = /deadLetterSink/.test(err.message)
      ? 'DeadLetterSinkResolveFailed'
      : 'ReferenceResolveFailed';
    w.ctx.statuses.set(kind, ns, name, false, reason, err.message);
    if (entry) w.fabric.block(entry, `${kind} '${ns}/${name}' is not Ready: ${err.message}`);
    w.log.warn(
      { kind, namespace: ns, name, reason: err.message },
      `${kind.toLowerCase()} not ready`,
    );
    return { ok: false, reason, message: err.message };
  }
  for (const s of subs) await w.fabric.subscribe(s);
  w.ctx.statuses.set(kind, ns, name, true, 'Ready', readyMessage);
  w.log.info(
    { kind, namespace: ns, name, subscriptions: subs.length },
    `${kind.toLowerCase()} ready`,
  );
  return { ok: true };
}

/** Wires `spec.subscribers` written directly on a Channel / InMemoryChannel (uri-only, as Knative stores them). */
export async function wireChannelSubscribers(
  w: FlowWiring,
  c: Loaded<Channel> | Loaded<InMemoryChannel>,
): Promise<void> {
  const { namespace: ns, name } = c.metadata;
  const channel = w.fabric.get(ns, name);
  const subscribers = c.spec.subscribers ?? [];
  if (!channel || subscribers.length === 0) return;
  await wireAll(
    w,
    c.kind,
    ns,
    name,
    async () =>
      Promise.all(
        subscribers.map(async (s, i) => {
          const role = `subscribers[${i}]`;
          if (!s.subscriberUri)
            throw new WiringError(`${role}: subscriberUri is required to deliver`);
          const { policy, deadLetter } = await deliveryOf(w, s.delivery, channel, ns, role);
          return {
            namespace: ns,
            name: `${name}-subscriber-${s.name ?? s.uid ?? i}`,
            channel,
            subscriber: await resolveAs(w, { uri: s.subscriberUri }, ns, role),
            reply: s.replyUri
              ? await resolveAs(w, { uri: s.replyUri }, ns, `${role} replyUri`)
              : undefined,
            deadLetter,
            policy,
          };
        }),
      ),
    `${channel.channelKind} on the ${channel.backendKind} backend, ${subscribers.length} inline subscriber(s)`,
  );
}

/** Wires a Subscription: channel → subscriber, reply → `reply`, DLS from its delivery or the channel's. */
export async function wireSubscription(w: FlowWiring, s: Loaded<Subscription>): Promise<void> {
  const { namespace: ns, name } = s.metadata;
  const ref = refTarget(s.spec.channel, ns);
  const channel = w.fabric.get(ref.namespace, ref.name);
  if (!channel) {
    const message = `channel ref ${s.spec.channel.kind} '${ref.namespace}/${ref.name}' (${s.spec.channel.apiVersion}) does not exist or is not ready`;
    w.ctx.statuses.set('Subscription', ns, name, false, 'ChannelNotReady', message);
    w.log.warn({ subscription: name, namespace: ns, reason: message }, 'subscription not ready');
    return;
  }
  let subscriberUrl = '';
  await wireAll(
    w,
    'Subscription',
    ns,
    name,
    async () => {
      const subscriber = await resolveAs(w, s.spec.subscriber, ns, 'subscriber', name);
      subscriberUrl = subscriber.url;
      const reply = s.spec.reply ? await resolveAs(w, s.spec.reply, ns, 'reply', name) : undefined;
      return [
        {
          namespace: ns,
          name,
          channel,
          subscriber,
          reply,
          ...(await deliveryOf(w, s.spec.delivery, channel, ns, 'subscription')),
        },
      ];
    },
    `channel ${ref.namespace}/${ref.name}`,
  );
  if (subscriberUrl)
    w.log.debug({ subscription: name, subscriber: subscriberUrl }, 'subscription wired');
}

/** Wires a Sequence over its channels `<seq>-kn-sequence-<i>` (docs/knative-behaviour.md §5.1). */
export async function wireSequence(
  w: FlowWiring,
  s: Loaded<Sequence>,
  flow: FlowChannels | undefined,
): Promise<void> {
  const { namespace: ns, name } = s.metadata;
  if (!flow || flow.error) return;
  const channels = flow.channels;
  const steps = s.spec.steps;
  await wireAll(
    w,
    'Sequence',
    ns,
    name,
    async () => {
      const subs: FabricSubscription[] = [];
      for (const [i, step] of steps.entries()) {
        const channel = channels[i] as FabricChannel;
        const { delivery, ...destination } = step;
        const subName = sequenceChannelName(name, i);
        const subscriber = await resolveAs(w, destination, ns, `steps[${i}]`, subName);
        const reply =
          i < steps.length - 1
            ? (channels[i + 1] as FabricChannel).target
            : s.spec.reply
              ? await resolveAs(w, s.spec.reply, ns, 'reply', subName)
              : undefined;
        const d = await deliveryOf(w, delivery, channel, ns, `steps[${i}]`);
        subs.push({
          namespace: ns,
          name: sequenceChannelName(name, i),
          channel,
          subscriber,
          reply,
          ...d,
        });
      }
      return subs;
    },
    `${steps.length} step(s) on ${channels[0]?.channelKind}`,
    channels[0],
  );
}

/** Wires a Parallel over `<p>-kn-parallel` and `<p>-kn-parallel-<i>` (docs/knative-behaviour.md §5.2). */
export async function wireParallel(
  w: FlowWiring,
  p: Loaded<Parallel>,
  flow: FlowChannels | undefined,
): Promise<void> {
  const { namespace: ns, name } = p.metadata;
  if (!flow || flow.error) return;
  const [ingress, ...branchChannels] = flow.channels as [FabricChannel, ...FabricChannel[]];
  await wireAll(
    w,
    'Parallel',
    ns,
    name,
    async () => {
      const subs: FabricSubscription[] = [];
      for (const [i, b] of p.spec.branches.entries()) {
        const branchChannel = branchChannels[i] as FabricChannel;
        const role = `branches[${i}]`;
        const noDelivery = await deliveryOf(w, undefined, ingress, ns, `${role}.filter`);
        if (b.filter) {
          // Knative: the filter is a service; its reply (not the original) enters the branch.
          const filter = await resolveAs(
            w,
            b.filter,
            ns,
            `${role}.filter`,
            parallelFilterSubscriptionName(name, i),
          );
          subs.push({
            namespace: ns,
            name: parallelFilterSubscriptionName(name, i),
            channel: ingress,
            subscriber: filter,
            reply: branchChannel.target,
            ...noDelivery,
          });
        } else {
          // No filter, or Tributary's in-process `filters` extension: the event itself enters the branch.
          const filter = b.filters ? compileTriggerFilter({ filters: b.filters }) : undefined;
          subs.push({
            namespace: ns,
            name: parallelFilterSubscriptionName(name, i),
            channel: ingress,
            subscriber: branchChannel.target,
            filter,
            ...noDelivery,
          });
        }
        const branchSub = parallelBranchChannelName(name, i);
        const subscriber = await resolveAs(w, b.subscriber, ns, `${role}.subscriber`, branchSub);
        const replyDest = b.reply ?? p.spec.reply;
        const reply = replyDest
          ? await resolveAs(w, replyDest, ns, b.reply ? `${role}.reply` : 'reply', branchSub)
          : undefined;
        const d = await deliveryOf(w, b.delivery, branchChannel, ns, role);
        subs.push({
          namespace: ns,
          name: parallelBranchChannelName(name, i),
          channel: branchChannel,
          subscriber,
          reply,
          ...d,
        });
      }
      return subs;
    },
    `${p.spec.branches.length} branch(es) on ${ingress.channelKind}`,
    ingress,
  );
}

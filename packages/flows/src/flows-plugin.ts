/**
 * The flows runtime plugin: declares every channel (user Channels and InMemoryChannels, and the
 * internal channels of Sequences and Parallels) and their ingresses in `register`, wires the
 * subscriptions in `start`, and reports Ready per resource.
 */
import type { DispatchOutcome, PluginContext, RuntimePlugin } from '@tributary/broker';
import { type DeliverySpec, KNOWN_CHANNEL_KINDS, type Loaded } from '@tributary/core';
import { DEFAULT_CHANNEL_TEMPLATE, templateDelivery } from './channel-kinds.js';
import { ChannelFabric, type FabricChannel, type InheritedChannels } from './channel-fabric.js';
import { FLOW_INGRESS_PATH, type FlowIngress, createFlowIngressHandler } from './ingress-route.js';
import {
  PATH_SEGMENT,
  parallelBranchChannelName,
  parallelIngressChannelName,
  sequenceChannelName,
} from './naming.js';
import type { Channel, ChannelTemplate, InMemoryChannel, Parallel, Sequence } from './resources.js';
import {
  type FlowWiring,
  wireChannelSubscribers,
  wireParallel,
  wireSequence,
  wireSubscription,
} from './wiring.js';

export interface FlowsPluginOptions {
  /** Called with every dispatch outcome of a channel subscription (metrics, tests). */
  readonly onOutcome?: (o: DispatchOutcome) => void;
}

/** The internal channels a flow got in `register`. */
export interface FlowChannels {
  readonly channels: FabricChannel[];
  readonly error?: string;
}

/**
 * The channels the manifests declare: every resource of a registered channel kind
 * (InMemoryChannel, or a kind a technology's provider carries) and every Channel.
 */
function userChannels(ctx: PluginContext): Array<Loaded<Channel> | Loaded<InMemoryChannel>> {
  const kinds = [
    ...new Set([...ctx.backends.channelKinds(), ...Object.keys(KNOWN_CHANNEL_KINDS)]),
  ].flatMap((k) => ctx.topology.byKind<InMemoryChannel>(k));
  return [...kinds, ...ctx.topology.byKind('Channel')];
}

/**
 * Creates the plugin that runs `messaging.knative.dev/v1` Channel, InMemoryChannel, Subscription and
 * `flows.knative.dev/v1` Sequence, Parallel. Add it to the runtime's `plugins`.
 */
/** The `PluginContext.carryOver` entry of the flows plugin's memory channels. */
const CARRY_OVER_KEY = 'flows/memory-channels';

export function createFlowsPlugin(options: FlowsPluginOptions = {}): RuntimePlugin {
  let fabric: ChannelFabric | undefined;
  let context: PluginContext | undefined;
  const flows = new Map<string, FlowChannels>();

  return {
    name: 'flows',
    async register(ctx: PluginContext) {
      const log = ctx.logger.child({ component: 'flows' });
      // A reload's previous generation left its memory channels, events included (docs/operations.md).
      const inherited = ctx.carryOver.get(CARRY_OVER_KEY) as InheritedChannels | undefined;
      ctx.carryOver.delete(CARRY_OVER_KEY);
      const f = new ChannelFabric({
        backends: ctx.backends,
        topology: ctx.topology,
        logger: log,
        baseUrl: () => ctx.baseUrl,
        onOutcome: options.onOutcome,
        inherited,
        deadLetters: ctx.deadLetters,
        publishPath: ctx.publishPath,
        subscribePath: ctx.subscribePath,
      });
      fabric = f;
      context = ctx;
      const ingresses = new Map<string, FlowIngress>();
      const address = (kind: keyof typeof PATH_SEGMENT, ns: string, name: string) => () =>
        `${ctx.baseUrl}/${ns}/${PATH_SEGMENT[kind]}/${name}`;
      const expose = (
        kind: keyof typeof PATH_SEGMENT,
        ns: string,
        name: string,
        channel: FabricChannel,
      ) => {
        const url = address(kind, ns, name);
        const hop = {
          get url() {
            return url();
          },
          ingest: channel.ingest,
        };
        ingresses.set(`${kind}/${ns}/${name}`, hop);
        ctx.registerIngress(kind, ns, name, hop);
      };
      /** A resource that could not get its channels still has an address: it answers 503 with why. */
      const exposeBroken = (
        kind: keyof typeof PATH_SEGMENT,
        ns: string,
        name: string,
        resource: string,
        why: string,
      ) => {
        const url = address(kind, ns, name);
        const error = `${resource} '${ns}/${name}' is not Ready: ${why}`;
        const hop = {
          get url() {
            return url();
          },
          ingest: async () => ({ status: 503, error, retryAfterSeconds: 5 }),
        };
        ingresses.set(`${kind}/${ns}/${name}`, hop);
        ctx.registerIngress(kind, ns, name, hop);
      };

      for (const c of userChannels(ctx)) {
        const { namespace, name } = c.metadata;
        const template: ChannelTemplate =
          c.kind === 'Channel'
            ? (c.spec.channelTemplate ?? DEFAULT_CHANNEL_TEMPLATE)
            : { apiVersion: c.apiVersion, kind: c.kind, spec: c.spec };
        const delivery = c.spec.delivery ?? templateDelivery(template);
        const r = await f.addChannel({
          namespace,
          name,
          channelKind: template.kind,
          delivery,
          spec: template.spec,
          url: address('channel', namespace, name),
        });
        if ('error' in r) {
          ctx.statuses.set(c.kind, namespace, name, false, 'ChannelUnavailable', r.error);
          exposeBroken('channel', namespace, name, c.kind, r.error);
          log.warn({ channel: name, namespace, reason: r.error }, 'channel not ready');
          continue;
        }
        expose('channel', namespace, name, r);
        ctx.statuses.set(
          c.kind,
          namespace,
          name,
          true,
          'Ready',
          `${template.kind} on the ${r.backendKind} backend`,
        );
      }

      const addFlow = async (
        kind: 'Sequence' | 'Parallel',
        ns: string,
        name: string,
        template: ChannelTemplate | undefined,
        names: string[],
      ) => {
        const t = template ?? DEFAULT_CHANNEL_TEMPLATE;
        const delivery: DeliverySpec | undefined = templateDelivery(t);
        const channels: FabricChannel[] = [];
        for (const n of names) {
          const r = await f.addChannel({
            namespace: ns,
            name: n,
            channelKind: t.kind,
            delivery,
            spec: t.spec,
            url: address('channel', ns, n),
          });
          if ('error' in r) {
            flows.set(`${kind}/${ns}/${name}`, { channels, error: r.error });
            ctx.statuses.set(kind, ns, name, false, 'ChannelsNotReady', r.error);
            exposeBroken(kind === 'Sequence' ? 'sequence' : 'parallel', ns, name, kind, r.error);
            return;
          }
          channels.push(r);
          ingresses.set(`channel/${ns}/${n}`, r);
        }
        flows.set(`${kind}/${ns}/${name}`, { channels });
        expose(
          kind === 'Sequence' ? 'sequence' : 'parallel',
          ns,
          name,
          channels[0] as FabricChannel,
        );
      };
      for (const s of ctx.topology.byKind('Sequence')) {
        const { namespace, name } = s.metadata;
        const names = s.spec.steps.map((_, i) => sequenceChannelName(name, i));
        await addFlow('Sequence', namespace, name, s.spec.channelTemplate, names);
      }
      for (const p of ctx.topology.byKind('Parallel')) {
        const { namespace, name } = p.metadata;
        const names = [
          parallelIngressChannelName(name),
          ...p.spec.branches.map((_, i) => parallelBranchChannelName(name, i)),
        ];
        await addFlow('Parallel', namespace, name, p.spec.channelTemplate, names);
      }

      ctx.server.route(
        '*',
        FLOW_INGRESS_PATH,
        createFlowIngressHandler((kind, ns, name) => ingresses.get(`${kind}/${ns}/${name}`), log),
      );
    },

    async start(ctx: PluginContext) {
      if (!fabric) throw new Error('flows plugin: start called before register');
      const log = ctx.logger.child({ component: 'flows' });
      const w: FlowWiring = { ctx, fabric, log };
      try {
        for (const c of userChannels(ctx)) await wireChannelSubscribers(w, c);
        for (const s of ctx.topology.byKind('Subscription')) await wireSubscription(w, s);
        for (const s of ctx.topology.byKind('Sequence') as readonly Loaded<Sequence>[])
          await wireSequence(
            w,
            s,
            flows.get(`Sequence/${s.metadata.namespace}/${s.metadata.name}`),
          );
        for (const p of ctx.topology.byKind('Parallel') as readonly Loaded<Parallel>[])
          await wireParallel(
            w,
            p,
            flows.get(`Parallel/${p.metadata.namespace}/${p.metadata.name}`),
          );
      } finally {
        fabric.open();
        await fabric.releaseInherited();
        // Channels a reload removed lose their store here (durable entries stay on the backend).
        await ctx.deadLetters?.retainChannels(fabric.channels());
      }
    },

    async stop({ drainMs, reload }) {
      if (!fabric) return;
      if (reload && context)
        context.carryOver.set(CARRY_OVER_KEY, await fabric.handOver({ drainMs }));
      else await fabric.close({ drainMs });
    },
  };
}

/**
 * The kind definitions of Channel, InMemoryChannel, Subscription (messaging.knative.dev/v1),
 * Sequence and Parallel (flows.knative.dev/v1), as the value {@link flowsKinds} a program passes
 * to the manifest loader (docs/embedding.md, "Wiring").
 */
import {
  type KindDefinition,
  type DeliverySpec,
  type Dependency,
  type KnativeDefaults,
  type Destination,
  type ResourceProblem,
  destinationDependency,
  refDependency,
  refTarget,
  defineKind,
} from '@tributary/core';
import { validateTriggerFilters } from '@tributary/filter';
import { validateChannelTemplate } from './channel-kinds.js';
import {
  type Channel,
  ChannelSchema,
  type ChannelTemplate,
  FLOWS_V1,
  type InMemoryChannel,
  InMemoryChannelSchema,
  MESSAGING_V1,
  type Parallel,
  ParallelSchema,
  type Sequence,
  SequenceSchema,
  type Subscription,
  SubscriptionSchema,
} from './resources.js';

declare module '@tributary/core' {
  interface KindMap {
    Channel: Channel;
    InMemoryChannel: InMemoryChannel;
    Subscription: Subscription;
    Sequence: Sequence;
    Parallel: Parallel;
  }
}

type Path = (string | number)[];

/** `path` is where the delivery spec is written. */
const dls = (d: DeliverySpec | undefined, ns: string, role: string, path: Path): Dependency[] =>
  destinationDependency(
    d?.deadLetterSink,
    ns,
    `${role} deadLetterSink`,
    'DeadLetterSinkResolveFailed',
    [...path, 'deadLetterSink'],
  );

const dest = (
  d: Destination | undefined,
  ns: string,
  role: string,
  reason: string,
  path: Path,
): Dependency[] => destinationDependency(d, ns, role, reason, path);

/** default-ch-webhook: the channel template of a Channel, Sequence or Parallel that sets none. */
function withDefaultTemplate<
  T extends {
    metadata: { namespace: string };
    spec: { channelTemplate?: ChannelTemplate | undefined };
  },
>(r: T, knative: KnativeDefaults): T {
  if (r.spec.channelTemplate) return r;
  const template = knative.channel(r.metadata.namespace);
  return template ? { ...r, spec: { ...r.spec, channelTemplate: template } } : r;
}

function templateProblems(
  template: ChannelTemplate | undefined,
  path: (string | number)[],
): ResourceProblem[] {
  if (!template) return [];
  return validateChannelTemplate(template).map((p) => ({
    path: [...path, ...p.path],
    message: p.message,
  }));
}

/** The flows kinds, for `createKindSet(coreKinds, flowsKinds, …)`. */
export const flowsKinds: readonly KindDefinition[] = Object.freeze([
  defineKind({
    apiVersion: MESSAGING_V1,
    kind: 'InMemoryChannel',
    schema: InMemoryChannelSchema,
    dependencies: (c) =>
      dls(c.spec.delivery, c.metadata.namespace, 'channel', ['spec', 'delivery']),
  }),

  defineKind({
    apiVersion: MESSAGING_V1,
    kind: 'Channel',
    schema: ChannelSchema,
    validate: (c) => templateProblems(c.spec.channelTemplate, ['spec', 'channelTemplate']),
    dependencies: (c) =>
      dls(c.spec.delivery, c.metadata.namespace, 'channel', ['spec', 'delivery']),
    defaults: withDefaultTemplate,
  }),

  defineKind({
    apiVersion: MESSAGING_V1,
    kind: 'Subscription',
    schema: SubscriptionSchema,
    validate: (s) => {
      const t = refTarget(s.spec.channel, s.metadata.namespace);
      return t.kind === 'channel'
        ? []
        : [
            {
              path: ['spec', 'channel', 'kind'],
              message: `channel ref ${s.spec.channel.kind} (${s.spec.channel.apiVersion}) is not a channel; use messaging.knative.dev/v1 Channel or InMemoryChannel, or messaging.knative.dev/v1beta1 KafkaChannel`,
            },
          ];
    },
    dependencies: (s) => {
      const ns = s.metadata.namespace;
      return [
        refDependency(s.spec.channel, ns, 'channel', 'ChannelDoesNotExist', [
          'spec',
          'channel',
          'name',
        ]),
        ...dest(s.spec.subscriber, ns, 'subscriber', 'SubscriberResolveFailed', [
          'spec',
          'subscriber',
        ]),
        ...dest(s.spec.reply, ns, 'reply', 'ReplyResolveFailed', ['spec', 'reply']),
        ...dls(s.spec.delivery, ns, 'subscription', ['spec', 'delivery']),
      ];
    },
  }),

  defineKind({
    apiVersion: FLOWS_V1,
    kind: 'Sequence',
    schema: SequenceSchema,
    validate: (s) => templateProblems(s.spec.channelTemplate, ['spec', 'channelTemplate']),
    dependencies: (s) => {
      const ns = s.metadata.namespace;
      return [
        ...s.spec.steps.flatMap((step, i) => [
          ...dest(step, ns, `steps[${i}]`, 'StepResolveFailed', ['spec', 'steps', i]),
          ...dls(step.delivery, ns, `steps[${i}]`, ['spec', 'steps', i, 'delivery']),
        ]),
        ...dest(s.spec.reply, ns, 'reply', 'ReplyResolveFailed', ['spec', 'reply']),
      ];
    },
    defaults: withDefaultTemplate,
  }),

  defineKind({
    apiVersion: FLOWS_V1,
    kind: 'Parallel',
    schema: ParallelSchema,
    validate: (p) => {
      const problems = templateProblems(p.spec.channelTemplate, ['spec', 'channelTemplate']);
      p.spec.branches.forEach((b, i) => {
        if (!b.filters) return;
        for (const fp of validateTriggerFilters({ filters: b.filters }))
          problems.push({ path: ['spec', 'branches', i, ...fp.path], message: fp.message });
      });
      return problems;
    },
    dependencies: (p) => {
      const ns = p.metadata.namespace;
      return [
        ...p.spec.branches.flatMap((b, i) => {
          const at = (f: string): Path => ['spec', 'branches', i, f];
          return [
            ...dest(b.filter, ns, `branches[${i}].filter`, 'FilterResolveFailed', at('filter')),
            ...dest(
              b.subscriber,
              ns,
              `branches[${i}].subscriber`,
              'SubscriberResolveFailed',
              at('subscriber'),
            ),
            ...dest(b.reply, ns, `branches[${i}].reply`, 'ReplyResolveFailed', at('reply')),
            ...dls(b.delivery, ns, `branches[${i}]`, at('delivery')),
          ];
        }),
        ...dest(p.spec.reply, ns, 'reply', 'ReplyResolveFailed', ['spec', 'reply']),
      ];
    },
    defaults: withDefaultTemplate,
  }),
]);

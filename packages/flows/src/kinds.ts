/**
 * Registers Channel, InMemoryChannel, Subscription (messaging.knative.dev/v1), Sequence and
 * Parallel (flows.knative.dev/v1) with the manifest loader. Runs at import of `@tributary/flows`.
 */
import {
  type BaseResource,
  type KindDefinition,
  type DeliverySpec,
  type Dependency,
  type Destination,
  type ResourceProblem,
  destinationDependency,
  refDependency,
  refTarget,
  registerKind,
  getKind,
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

const dls = (d: DeliverySpec | undefined, ns: string, role: string): Dependency[] =>
  destinationDependency(
    d?.deadLetterSink,
    ns,
    `${role} deadLetterSink`,
    'DeadLetterSinkResolveFailed',
  );

const dest = (d: Destination | undefined, ns: string, role: string, reason: string): Dependency[] =>
  destinationDependency(d, ns, role, reason);

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

/** Registers the kinds unless something registered them already (tests may import twice). */
function register<T extends BaseResource>(def: KindDefinition<T>): void {
  if (!getKind(def.apiVersion, def.kind)) registerKind(def);
}

register({
  apiVersion: MESSAGING_V1,
  kind: 'InMemoryChannel',
  schema: InMemoryChannelSchema,
  dependencies: (c) => dls(c.spec.delivery, c.metadata.namespace, 'channel'),
});

register({
  apiVersion: MESSAGING_V1,
  kind: 'Channel',
  schema: ChannelSchema,
  validate: (c) => templateProblems(c.spec.channelTemplate, ['spec', 'channelTemplate']),
  dependencies: (c) => dls(c.spec.delivery, c.metadata.namespace, 'channel'),
});

register({
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
            message: `channel ref ${s.spec.channel.kind} (${s.spec.channel.apiVersion}) is not a channel; use messaging.knative.dev/v1 Channel or InMemoryChannel`,
          },
        ];
  },
  dependencies: (s) => {
    const ns = s.metadata.namespace;
    return [
      refDependency(s.spec.channel, ns, 'channel', 'ChannelDoesNotExist'),
      ...dest(s.spec.subscriber, ns, 'subscriber', 'SubscriberResolveFailed'),
      ...dest(s.spec.reply, ns, 'reply', 'ReplyResolveFailed'),
      ...dls(s.spec.delivery, ns, 'subscription'),
    ];
  },
});

register({
  apiVersion: FLOWS_V1,
  kind: 'Sequence',
  schema: SequenceSchema,
  validate: (s) => templateProblems(s.spec.channelTemplate, ['spec', 'channelTemplate']),
  dependencies: (s) => {
    const ns = s.metadata.namespace;
    return [
      ...s.spec.steps.flatMap((step, i) => [
        ...dest(step, ns, `steps[${i}]`, 'StepResolveFailed'),
        ...dls(step.delivery, ns, `steps[${i}]`),
      ]),
      ...dest(s.spec.reply, ns, 'reply', 'ReplyResolveFailed'),
    ];
  },
});

register({
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
      ...p.spec.branches.flatMap((b, i) => [
        ...dest(b.filter, ns, `branches[${i}].filter`, 'FilterResolveFailed'),
        ...dest(b.subscriber, ns, `branches[${i}].subscriber`, 'SubscriberResolveFailed'),
        ...dest(b.reply, ns, `branches[${i}].reply`, 'ReplyResolveFailed'),
        ...dls(b.delivery, ns, `branches[${i}]`),
      ]),
      ...dest(p.spec.reply, ns, 'reply', 'ReplyResolveFailed'),
    ];
  },
});

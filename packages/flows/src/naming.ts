/** Names of the topics, subscriptions and internal channels flows create (docs/knative-behaviour.md §5). */

/** One topic per channel. */
export function channelTopic(namespace: string, name: string): string {
  return `knative-messaging-${namespace}-${name}`;
}

/** One backend subscription (consumer group / queue) per channel subscription. */
export function subscriptionName(namespace: string, name: string): string {
  return `knative-subscription-${namespace}-${name}`;
}

/** Channel (and subscription) `i` of Sequence `seq`: `<seq>-kn-sequence-<i>`. */
export function sequenceChannelName(seq: string, i: number): string {
  return `${seq}-kn-sequence-${i}`;
}

/** The ingress channel of Parallel `p`: `<p>-kn-parallel`. */
export function parallelIngressChannelName(p: string): string {
  return `${p}-kn-parallel`;
}

/** Branch `i`'s channel (and its subscriber subscription) of Parallel `p`: `<p>-kn-parallel-<i>`. */
export function parallelBranchChannelName(p: string, i: number): string {
  return `${p}-kn-parallel-${i}`;
}

/** Branch `i`'s filter subscription on the ingress channel: `<p>-kn-parallel-filter-<i>`. */
export function parallelFilterSubscriptionName(p: string, i: number): string {
  return `${p}-kn-parallel-filter-${i}`;
}

/** URL path segment of each addressable flow kind (docs/architecture.md). */
export const PATH_SEGMENT = {
  channel: 'channels',
  sequence: 'sequences',
  parallel: 'parallels',
} as const;

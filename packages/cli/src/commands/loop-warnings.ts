import {
  type Destination,
  type LoadedResource,
  type Topology,
  type ValidationProblem,
  refTarget,
} from '@tributary/core';

/**
 * Finds loops in the manifests: Triggers, Subscriptions and flows whose destinations lead back into
 * the same Broker or Channel. They are warnings, not errors (a loop may be intended, and the
 * broker TTL ends each event's passes through Brokers; see docs/architecture.md, loops).
 */

/** An addressable an event can enter: `broker|channel|sequence|parallel/<ns>/<name>`. */
type Node = string;

interface Edge {
  readonly from: Node;
  readonly to: Node;
  /** The resource whose field makes the hop, e.g. `Trigger v/self`. */
  readonly via: string;
  readonly resource: LoadedResource;
  readonly path: string;
}

interface Flowish {
  readonly spec: {
    readonly steps?: readonly Destination[];
    readonly branches?: ReadonlyArray<{
      readonly filter?: Destination;
      readonly subscriber: Destination;
      readonly reply?: Destination;
    }>;
    readonly reply?: Destination;
    readonly channel?: {
      readonly apiVersion: string;
      readonly kind: string;
      readonly name: string;
      readonly namespace?: string;
    };
    readonly subscriber?: Destination;
  };
}

const CHANNEL_KINDS = ['InMemoryChannel', 'Channel', 'KafkaChannel'];
const URI_SEGMENT: Record<string, 'channel' | 'sequence' | 'parallel'> = {
  channels: 'channel',
  sequences: 'sequence',
  parallels: 'parallel',
};

/** Every loop in the topology, one warning per loop, located at its first hop. */
export function loopWarnings(topology: Topology): ValidationProblem[] {
  const labels = new Map<Node, string>();
  for (const r of topology.resources) {
    const kind = nodeKindOf(r.kind);
    if (kind)
      labels.set(
        `${kind}/${r.metadata.namespace}/${r.metadata.name}`,
        `${r.kind} ${r.metadata.namespace}/${r.metadata.name}`,
      );
  }
  const edges: Edge[] = [];
  const add = (from: Node, dest: Destination | undefined, r: LoadedResource, path: string) => {
    const to = dest && nodeOf(dest, r.metadata.namespace, labels);
    if (to && labels.has(from))
      edges.push({
        from,
        to,
        via: `${r.kind} ${r.metadata.namespace}/${r.metadata.name}`,
        resource: r,
        path,
      });
  };
  for (const r of topology.resources) {
    const ns = r.metadata.namespace;
    const spec = (r as unknown as Flowish).spec;
    if (r.kind === 'Trigger') {
      const broker = r.spec.broker ?? r.spec.brokerRef?.name ?? '';
      add(`broker/${ns}/${broker}`, r.spec.subscriber, r, 'spec.subscriber');
    } else if (r.kind === 'Subscription' && spec.channel) {
      const from = `channel/${spec.channel.namespace ?? ns}/${spec.channel.name}`;
      add(from, spec.subscriber, r, 'spec.subscriber');
      add(from, spec.reply, r, 'spec.reply');
    } else if (r.kind === 'Sequence') {
      const self = `sequence/${ns}/${r.metadata.name}`;
      spec.steps?.forEach((s, i) => add(self, s, r, `spec.steps[${i}]`));
      add(self, spec.reply, r, 'spec.reply');
    } else if (r.kind === 'Parallel') {
      const self = `parallel/${ns}/${r.metadata.name}`;
      spec.branches?.forEach((b, i) => {
        add(self, b.filter, r, `spec.branches[${i}].filter`);
        add(self, b.subscriber, r, `spec.branches[${i}].subscriber`);
        add(self, b.reply, r, `spec.branches[${i}].reply`);
      });
      add(self, spec.reply, r, 'spec.reply');
    }
  }
  const warnings: ValidationProblem[] = [];
  const reported = new Set<Node>();
  for (const edge of edges) {
    if (reported.has(edge.from)) continue;
    const loop = loopFrom(edge, edges);
    if (!loop) continue;
    const nodes = [edge.from, ...loop.map((e) => e.to)];
    for (const n of nodes) reported.add(n);
    const text = [
      labels.get(edge.from)!,
      ...loop.flatMap((e) =>
        // A flow's own hop (Sequence → its reply) needs no 'via'.
        e.via === labels.get(e.from) ? [labels.get(e.to)!] : [e.via, labels.get(e.to)!],
      ),
    ];
    const throughBroker = nodes.some((n) => n.startsWith('broker/'));
    const consequence = throughBroker
      ? 'every pass through a Broker lowers knativebrokerttl, so each event ends up refused (400) and dead-lettered or dropped after 255 passes'
      : 'no Broker is in the loop to lower knativebrokerttl, so events circulate until the loop is broken';
    warnings.push({
      file: edge.resource.source.file,
      line: edge.resource.source.line,
      col: edge.resource.source.col,
      resource: `${edge.resource.kind}/${edge.resource.metadata.name}`,
      path: edge.path,
      message: `warning: events loop: ${text.join(' → ')}; ${consequence}. Check that the loop is intended`,
    });
  }
  return warnings;
}

/** The edges of a loop that starts with `first` and returns to `first.from`, or undefined. */
function loopFrom(first: Edge, edges: readonly Edge[]): Edge[] | undefined {
  if (first.to === first.from) return [first];
  const reachedBy = new Map<Node, Edge>([[first.to, first]]);
  const queue: Node[] = [first.to];
  while (queue.length > 0) {
    const node = queue.shift()!;
    for (const e of edges) {
      if (e.from !== node) continue;
      if (e.to === first.from) {
        const loop: Edge[] = [e];
        for (let at = e.from; at !== first.to;) {
          const by = reachedBy.get(at)!;
          loop.unshift(by);
          at = by.from;
        }
        return [first, ...loop];
      }
      if (reachedBy.has(e.to)) continue;
      reachedBy.set(e.to, e);
      queue.push(e.to);
    }
  }
  return undefined;
}

function nodeKindOf(kind: string): string | undefined {
  if (kind === 'Broker') return 'broker';
  if (CHANNEL_KINDS.includes(kind)) return 'channel';
  if (kind === 'Sequence') return 'sequence';
  if (kind === 'Parallel') return 'parallel';
  return undefined;
}

/** The addressable a Destination enters, when it is one in the manifests. */
function nodeOf(
  dest: Destination,
  namespace: string,
  known: ReadonlyMap<Node, string>,
): Node | undefined {
  if (dest.ref) {
    const t = refTarget(dest.ref, namespace);
    if (t.kind === 'function' || t.kind === 'unknown') return undefined;
    const node = `${t.kind}/${t.namespace}/${t.name}`;
    return known.has(node) ? node : undefined;
  }
  if (!dest.uri) return undefined;
  let parts: string[];
  try {
    parts = new URL(dest.uri).pathname.split('/').filter((p) => p !== '');
  } catch {
    return undefined;
  }
  // Tributary's ingress paths: /<ns>/<broker> and /<ns>/channels|sequences|parallels/<name>.
  const node =
    parts.length === 2
      ? `broker/${parts[0]}/${parts[1]}`
      : parts.length === 3 && URI_SEGMENT[parts[1]!]
        ? `${URI_SEGMENT[parts[1]!]}/${parts[0]}/${parts[2]}`
        : undefined;
  return node && known.has(node) ? node : undefined;
}

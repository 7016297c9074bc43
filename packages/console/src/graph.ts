import type { Topology } from '@tributary/core';

/**
 * The topology graph the console draws (docs/console.md): one node per resource of the running
 * topology (plus URI targets and refs to resources that are not loaded) and edges for delivery
 * (broker → trigger → subscriber, source → sink, channel → subscription, sequence steps, parallel
 * branches), replies and dead-letter sinks. Edges come from the resources' specs alone.
 */

export type EdgeKind = 'delivery' | 'reply' | 'dead-letter' | 'filter';

export interface GraphNode {
  /** `Kind/namespace/name`, or `URI//<uri>` for a URI target. */
  readonly id: string;
  readonly kind: string;
  readonly namespace: string;
  readonly name: string;
  /** False for a ref whose target is not in the topology, and for URIs. */
  readonly loaded: boolean;
}

export interface GraphEdge {
  readonly from: string;
  readonly to: string;
  readonly kind: EdgeKind;
  readonly label?: string | undefined;
}

export interface TopologyGraph {
  readonly nodes: GraphNode[];
  readonly edges: GraphEdge[];
}

type Json = Record<string, unknown>;

const isObject = (v: unknown): v is Json =>
  typeof v === 'object' && v !== null && !Array.isArray(v);

/** Spec keys whose value is a Destination, and the kind of edge they stand for. */
const DESTINATION_KEYS: Record<string, EdgeKind> = {
  subscriber: 'delivery',
  sink: 'delivery',
  reply: 'reply',
  deadLetterSink: 'dead-letter',
  filter: 'filter',
};

export function nodeId(kind: string, namespace: string, name: string): string {
  return `${kind}/${namespace}/${name}`;
}

/** Builds the graph of a topology. */
export function buildGraph(topology: Topology): TopologyGraph {
  const nodes = new Map<string, GraphNode>();
  const edges: GraphEdge[] = [];
  for (const r of topology.resources)
    nodes.set(nodeId(r.kind, r.metadata.namespace, r.metadata.name), {
      id: nodeId(r.kind, r.metadata.namespace, r.metadata.name),
      kind: r.kind,
      namespace: r.metadata.namespace,
      name: r.metadata.name,
      loaded: true,
    });

  const target = (dest: unknown, namespace: string): string | undefined => {
    if (!isObject(dest)) return undefined;
    const ref = dest['ref'];
    if (isObject(ref) && typeof ref['kind'] === 'string' && typeof ref['name'] === 'string') {
      const ns = typeof ref['namespace'] === 'string' ? ref['namespace'] : namespace;
      const id = nodeId(ref['kind'], ns, ref['name']);
      if (!nodes.has(id))
        nodes.set(id, { id, kind: ref['kind'], namespace: ns, name: ref['name'], loaded: false });
      return id;
    }
    if (typeof dest['uri'] === 'string') {
      const id = `URI//${dest['uri']}`;
      if (!nodes.has(id))
        nodes.set(id, { id, kind: 'URI', namespace: '', name: dest['uri'], loaded: false });
      return id;
    }
    return undefined;
  };

  for (const r of topology.resources) {
    const ns = r.metadata.namespace;
    const self = nodeId(r.kind, ns, r.metadata.name);
    const spec = (r as { spec?: unknown }).spec;
    if (!isObject(spec)) continue;
    if (r.kind === 'Trigger' && typeof spec['broker'] === 'string') {
      const broker = nodeId('Broker', ns, spec['broker']);
      edges.push({ from: broker, to: self, kind: 'delivery' });
      // A subscriber's reply re-enters the broker.
      const sub = target(spec['subscriber'], ns);
      if (sub) edges.push({ from: sub, to: broker, kind: 'reply', label: 'reply' });
    }
    if ((r.kind as string) === 'Subscription' && isObject(spec['channel'])) {
      const ch = spec['channel'];
      if (typeof ch['kind'] === 'string' && typeof ch['name'] === 'string')
        edges.push({ from: nodeId(ch['kind'], ns, ch['name']), to: self, kind: 'delivery' });
    }
    walk(spec, (key, value, index) => {
      if (key === 'steps' && index !== undefined) {
        const to = target(value, ns);
        if (to) edges.push({ from: self, to, kind: 'delivery', label: `step ${index + 1}` });
        return;
      }
      const kind = DESTINATION_KEYS[key];
      if (!kind) return;
      const to = target(value, ns);
      if (to) edges.push({ from: self, to, kind });
    });
  }
  const seen = new Set<string>();
  const unique = edges.filter((e) => {
    const k = `${e.from}|${e.to}|${e.kind}|${e.label ?? ''}`;
    if (seen.has(k) || !nodes.has(e.from) || !nodes.has(e.to)) return false;
    seen.add(k);
    return true;
  });
  return { nodes: [...nodes.values()], edges: unique };
}

/** Visits every key of a spec (arrays report their items with the array's key and an index). */
function walk(
  value: unknown,
  visit: (key: string, value: unknown, index?: number) => void,
  depth = 0,
): void {
  if (depth > 8 || !isObject(value)) return;
  for (const [key, v] of Object.entries(value)) {
    if (Array.isArray(v)) {
      v.forEach((item, i) => {
        visit(key, item, i);
        walk(item, visit, depth + 1);
      });
      continue;
    }
    visit(key, v);
    // A Destination's own ref is not walked further; anything else may hold more destinations.
    if (!(key in DESTINATION_KEYS)) walk(v, visit, depth + 1);
  }
}

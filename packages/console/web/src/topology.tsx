import ELK, { type ElkExtendedEdge, type ElkNode } from 'elkjs/lib/elk-api';
// The layout engine runs in a Web Worker; Vite copies the prebuilt file as an asset (no bundling).
import elkWorkerUrl from 'elkjs/lib/elk-worker.min.js?url';
import { useEffect, useMemo, useState } from 'preact/hooks';
import { get, resourcePath, type Graph, type GraphEdge, type ResourceRow } from './api';
import { useLiveStatus } from './live';
import { formatRates, type TriggerRates } from './rates';
import { linkClick } from './router';

/** The topology view: every resource as a node, laid out by ELK (layered), live status on top. */

const W = 230;
const H = 64;

interface Placed {
  nodes: Array<{ id: string; x: number; y: number }>;
  edges: Array<{
    id: string;
    edge: GraphEdge;
    points: Array<{ x: number; y: number }>;
    curve: boolean;
  }>;
  width: number;
  height: number;
}

const elk = new ELK({ workerUrl: elkWorkerUrl });

/**
 * Lays out the graph without its reply edges (they point back into the broker and would turn
 * the left-to-right flow into a cycle), then draws replies as curves under the nodes.
 */
async function layout(graph: Graph): Promise<Placed> {
  const flow = graph.edges.filter((e) => e.kind !== 'reply');
  const input: ElkNode = {
    id: 'root',
    layoutOptions: {
      'elk.algorithm': 'layered',
      'elk.direction': 'RIGHT',
      'elk.spacing.nodeNode': '24',
      'elk.layered.spacing.nodeNodeBetweenLayers': '60',
    },
    children: graph.nodes.map((n) => ({ id: n.id, width: W, height: H })),
    edges: flow.map((e, i) => ({ id: `e${i}`, sources: [e.from], targets: [e.to] })),
  };
  const res = await elk.layout(input);
  const nodes = (res.children ?? []).map((c) => ({ id: c.id, x: c.x ?? 0, y: c.y ?? 0 }));
  const at = new Map(nodes.map((n) => [n.id, n]));
  const edges: Placed['edges'] = ((res.edges ?? []) as ElkExtendedEdge[]).map((e, i) => {
    const s = e.sections?.[0];
    const points = s ? [s.startPoint, ...(s.bendPoints ?? []), s.endPoint] : [];
    return { id: e.id, edge: flow[i]!, points, curve: false };
  });
  graph.edges.forEach((e, i) => {
    if (e.kind !== 'reply') return;
    const a = at.get(e.from);
    const b = at.get(e.to);
    if (!a || !b) return;
    const start = { x: a.x + W / 2, y: a.y + H };
    const end = { x: b.x + W / 2, y: b.y + H };
    const dip = Math.max(start.y, end.y) + 40;
    edges.push({
      id: `r${i}`,
      edge: e,
      points: [start, { x: start.x, y: dip }, { x: end.x, y: dip }, end],
      curve: true,
    });
  });
  const bottom = Math.max(0, ...edges.map((e) => Math.max(...e.points.map((p) => p.y))));
  return {
    nodes,
    edges,
    width: (res.width ?? 0) + 20,
    height: Math.max(res.height ?? 0, bottom) + 20,
  };
}

export function TopologyView() {
  const [graph, setGraph] = useState<Graph>();
  const [placed, setPlaced] = useState<Placed>();
  const [error, setError] = useState<string>();
  const { resources, rates, error: liveError } = useLiveStatus();

  useEffect(() => {
    get<Graph>('/console/api/graph').then(setGraph, (e: Error) => setError(e.message));
  }, []);
  useEffect(() => {
    if (graph) layout(graph).then(setPlaced, (e: Error) => setError(e.message));
  }, [graph]);

  const status = useMemo(
    () => new Map((resources ?? []).map((r) => [`${r.kind}/${r.namespace}/${r.name}`, r])),
    [resources],
  );
  const byId = useMemo(() => new Map(graph?.nodes.map((n) => [n.id, n])), [graph]);

  return (
    <section aria-labelledby="topology-title">
      <h1 id="topology-title">Topology</h1>
      {error && <p class="error">{error}</p>}
      {liveError && <p class="error">status: {liveError}</p>}
      <p class="legend">
        <span class="edge-key delivery">delivery</span>
        <span class="edge-key reply">reply</span>
        <span class="edge-key dead-letter">dead-letter sink</span>
        <span class="edge-key filter">filter</span>
      </p>
      <div class="graph-scroll">
        {!placed && !error && <p>Laying out…</p>}
        {placed && (
          <svg
            class="graph"
            width={placed.width}
            height={placed.height}
            viewBox={`-10 -10 ${placed.width} ${placed.height}`}
            role="img"
            aria-label="topology graph"
          >
            <defs>
              {['delivery', 'reply', 'dead-letter', 'filter'].map((k) => (
                <marker
                  key={k}
                  id={`arrow-${k}`}
                  viewBox="0 0 10 10"
                  refX="9"
                  refY="5"
                  markerWidth="7"
                  markerHeight="7"
                  orient="auto"
                >
                  <path d="M0,0 L10,5 L0,10 z" class={`arrow ${k}`} />
                </marker>
              ))}
            </defs>
            {placed.edges.map((e) => (
              <path
                key={e.id}
                class={`edge ${e.edge.kind}`}
                data-edge={`${e.edge.from}->${e.edge.to}`}
                marker-end={`url(#arrow-${e.edge.kind})`}
                d={pathOf(e.points, e.curve)}
              >
                <title>
                  {e.edge.kind}
                  {e.edge.label ? ` (${e.edge.label})` : ''}
                </title>
              </path>
            ))}
            {placed.nodes.map((p) => {
              const n = byId.get(p.id)!;
              const s = status.get(p.id);
              const trig = n.kind === 'Trigger' ? rates.get(`${n.namespace}/${n.name}`) : undefined;
              return (
                <NodeBox
                  key={p.id}
                  x={p.x}
                  y={p.y}
                  node={n}
                  status={s}
                  rates={n.kind === 'Trigger' ? (trig ?? null) : undefined}
                />
              );
            })}
          </svg>
        )}
      </div>
      <ResourceTable resources={resources} rates={rates} />
    </section>
  );
}

function NodeBox(props: {
  x: number;
  y: number;
  node: Graph['nodes'][number];
  status: ResourceRow | undefined;
  rates: TriggerRates | null | undefined;
}) {
  const { node, status } = props;
  const ready = status ? status.ready : undefined;
  const state = !node.loaded ? 'external' : ready === false ? 'not-ready' : 'ready';
  const label = node.kind === 'URI' ? node.name : `${node.namespace}/${node.name}`;
  const line2 =
    props.rates !== undefined
      ? formatRates(props.rates ?? undefined)
      : ready === false
        ? `${status!.reason}: ${status!.message}`
        : (status?.reason ?? (node.loaded ? '' : 'not in the manifests'));
  const body = (
    <g
      transform={`translate(${props.x},${props.y})`}
      class={`node ${state}`}
      data-node-id={node.id}
    >
      <rect width={W} height={H} rx="8" />
      <circle cx="14" cy="16" r="5" class="dot" />
      <text x="26" y="20" class="kind">
        {node.kind}
      </text>
      <text x="10" y="38" class="name">
        {clip(label, 30)}
      </text>
      <text x="10" y="55" class="sub">
        {clip(line2, 38)}
      </text>
      <title>{`${node.kind} ${label}${ready === false ? ` — not ready: ${status!.reason}: ${status!.message}` : ''}`}</title>
    </g>
  );
  if (!node.loaded) return body;
  return (
    <a
      href={resourcePath(node.kind, node.namespace, node.name)}
      onClick={linkClick}
      aria-label={`${node.kind} ${label}${ready === false ? ', not ready' : ''}`}
    >
      {body}
    </a>
  );
}

function pathOf(points: Array<{ x: number; y: number }>, curve: boolean): string {
  if (curve && points.length === 4) {
    const [a, b, c, d] = points as [
      (typeof points)[0],
      (typeof points)[0],
      (typeof points)[0],
      (typeof points)[0],
    ];
    return `M${a.x},${a.y} C${b.x},${b.y} ${c.x},${c.y} ${d.x},${d.y}`;
  }
  return points.map((p, i) => `${i === 0 ? 'M' : 'L'}${p.x},${p.y}`).join(' ');
}

const clip = (s: string, n: number) => (s.length > n ? `${s.slice(0, n - 1)}…` : s);

function ResourceTable(props: {
  resources: ResourceRow[] | undefined;
  rates: Map<string, TriggerRates>;
}) {
  if (!props.resources) return null;
  return (
    <table class="resources">
      <caption>Resources</caption>
      <thead>
        <tr>
          <th scope="col">Kind</th>
          <th scope="col">Name</th>
          <th scope="col">Ready</th>
          <th scope="col">Reason</th>
          <th scope="col">Traffic</th>
        </tr>
      </thead>
      <tbody>
        {props.resources.map((r) => (
          <tr key={`${r.kind}/${r.namespace}/${r.name}`} class={r.ready ? '' : 'not-ready'}>
            <td>{r.kind}</td>
            <td>
              <a href={resourcePath(r.kind, r.namespace, r.name)} onClick={linkClick}>
                {r.namespace}/{r.name}
              </a>
            </td>
            <td>{r.ready ? 'Ready' : 'Not ready'}</td>
            <td title={r.message}>
              {r.reason}
              {r.ready ? '' : `: ${r.message}`}
            </td>
            <td>
              {r.kind === 'Trigger' ? formatRates(props.rates.get(`${r.namespace}/${r.name}`)) : ''}
            </td>
          </tr>
        ))}
      </tbody>
    </table>
  );
}

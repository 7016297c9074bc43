import { useEffect, useState } from 'preact/hooks';
import { del, get, NotAvailable, post, resourcePath, type Graph } from './api';
import { useLiveStatus } from './live';
import { formatRates } from './rates';
import { linkClick } from './router';

/**
 * One resource: its Ready condition, live figures (triggers), its connections in the graph,
 * pause/resume (triggers) and replay (brokers and triggers), through the admin API only.
 */

interface Replay {
  id: string;
  [k: string]: unknown;
}

export function ResourceView(props: { kind: string; namespace: string; name: string }) {
  const { kind, namespace, name } = props;
  const id = `${kind}/${namespace}/${name}`;
  const { resources, rates } = useLiveStatus();
  const [graph, setGraph] = useState<Graph>();
  useEffect(() => {
    get<Graph>('/console/api/graph').then(setGraph, () => undefined);
  }, []);
  const row = resources?.find(
    (r) => r.kind === kind && r.namespace === namespace && r.name === name,
  );
  const nodes = new Map(graph?.nodes.map((n) => [n.id, n]));
  const out = graph?.edges.filter((e) => e.from === id) ?? [];
  const inc = graph?.edges.filter((e) => e.to === id) ?? [];
  const brokerOfTrigger =
    kind === 'Trigger'
      ? inc.find((e) => e.from.startsWith('Broker/'))?.from.split('/')[2]
      : undefined;

  return (
    <section aria-labelledby="res-title">
      <h1 id="res-title">
        {kind} {namespace}/{name}
      </h1>
      {resources && !row && <p class="error">No such resource in the running topology.</p>}
      {row && (
        <p class={row.ready ? 'ready-line' : 'ready-line not-ready'}>
          <strong>{row.ready ? 'Ready' : 'Not ready'}</strong> — {row.reason}
          {row.message ? `: ${row.message}` : ''}
        </p>
      )}
      {kind === 'Trigger' && <p>Traffic: {formatRates(rates.get(`${namespace}/${name}`))}</p>}
      <h2>Connections</h2>
      <ul class="connections">
        {inc.map((e, i) => (
          <li key={`i${i}`}>
            from <NodeLink id={e.from} nodes={nodes} /> ({e.kind}
            {e.label ? `, ${e.label}` : ''})
          </li>
        ))}
        {out.map((e, i) => (
          <li key={`o${i}`}>
            to <NodeLink id={e.to} nodes={nodes} /> ({e.kind}
            {e.label ? `, ${e.label}` : ''})
          </li>
        ))}
        {inc.length + out.length === 0 && <li>None.</li>}
      </ul>
      {kind === 'Trigger' && <PauseResume namespace={namespace} name={name} />}
      {(kind === 'Broker' || (kind === 'Trigger' && brokerOfTrigger)) && (
        <Replays
          broker={`${namespace}/${kind === 'Broker' ? name : brokerOfTrigger}`}
          trigger={kind === 'Trigger' ? name : undefined}
        />
      )}
    </section>
  );
}

function NodeLink(props: { id: string; nodes: Map<string, Graph['nodes'][number]> }) {
  const n = props.nodes.get(props.id);
  if (!n || !n.loaded) return <code>{n?.name ?? props.id}</code>;
  return (
    <a href={resourcePath(n.kind, n.namespace, n.name)} onClick={linkClick}>
      {n.kind} {n.namespace}/{n.name}
    </a>
  );
}

function PauseResume(props: { namespace: string; name: string }) {
  const [msg, setMsg] = useState<string>();
  const [missing, setMissing] = useState(false);
  const act = async (verb: 'pause' | 'resume') => {
    try {
      await post(
        `/admin/v1/triggers/${encodeURIComponent(props.namespace)}/${encodeURIComponent(props.name)}/${verb}`,
      );
      setMsg(verb === 'pause' ? 'Paused.' : 'Resumed.');
    } catch (err) {
      if (err instanceof NotAvailable) setMissing(true);
      else setMsg((err as Error).message);
    }
  };
  return (
    <div class="box">
      <h2>Delivery</h2>
      {missing ? (
        <p class="unavailable">Pause and resume are not available on this server.</p>
      ) : (
        <div class="toolbar">
          <button type="button" onClick={() => void act('pause')}>
            Pause
          </button>
          <button type="button" onClick={() => void act('resume')}>
            Resume
          </button>
        </div>
      )}
      <p aria-live="polite">{msg}</p>
    </div>
  );
}

function Replays(props: { broker: string; trigger?: string | undefined }) {
  const [list, setList] = useState<Replay[]>();
  const [missing, setMissing] = useState(false);
  const [msg, setMsg] = useState<string>();
  const [from, setFrom] = useState(() => new Date(Date.now() - 3600_000).toISOString());
  const [to, setTo] = useState(() => new Date().toISOString());
  const [filter, setFilter] = useState('');
  const refresh = async () => {
    try {
      const r = await get<{ items?: Replay[] } | Replay[]>('/admin/v1/replays');
      setList(Array.isArray(r) ? r : (r.items ?? []));
    } catch (err) {
      if (err instanceof NotAvailable) setMissing(true);
      else setMsg((err as Error).message);
    }
  };
  useEffect(() => {
    void refresh();
  }, []);
  if (missing)
    return (
      <div class="box">
        <h2>Replay</h2>
        <p class="unavailable">Replay is not available on this server.</p>
      </div>
    );
  const start = async (e: Event) => {
    e.preventDefault();
    try {
      const r = await post<Replay>('/admin/v1/replays', {
        broker: props.broker,
        from,
        to,
        ...(props.trigger ? { trigger: props.trigger } : {}),
        ...(filter ? { filter } : {}),
      });
      setMsg(`Replay ${r.id ?? ''} started.`);
      await refresh();
    } catch (err) {
      if (err instanceof NotAvailable) setMissing(true);
      else setMsg((err as Error).message);
    }
  };
  return (
    <div class="box">
      <h2>Replay</h2>
      <form class="form" onSubmit={(e) => void start(e)}>
        <label>
          From <input value={from} onInput={(e) => setFrom((e.target as HTMLInputElement).value)} />
        </label>
        <label>
          To <input value={to} onInput={(e) => setTo((e.target as HTMLInputElement).value)} />
        </label>
        <label>
          CESQL filter{' '}
          <input value={filter} onInput={(e) => setFilter((e.target as HTMLInputElement).value)} />
        </label>
        <button type="submit">Replay</button>
      </form>
      <p aria-live="polite">{msg}</p>
      <ul>
        {list?.map((r) => (
          <li key={r.id}>
            <code>{r.id}</code> {String(r['state'] ?? '')} — {String(r['from'] ?? '')} →{' '}
            {String(r['to'] ?? '')}
            {r['trigger'] ? ` (trigger ${String(r['trigger'])})` : ''}: delivered{' '}
            {String(r['delivered'] ?? 0)}, failed {String(r['failed'] ?? 0)}
            {r['error'] ? ` — ${String(r['error'])}` : ''}{' '}
            <button
              type="button"
              onClick={() =>
                void del(`/admin/v1/replays/${encodeURIComponent(r.id)}`).then(
                  refresh,
                  (err: Error) => setMsg(err.message),
                )
              }
            >
              Cancel
            </button>
          </li>
        ))}
      </ul>
    </div>
  );
}

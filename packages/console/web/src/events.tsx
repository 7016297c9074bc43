import { useEffect, useRef, useState } from 'preact/hooks';
import { prettyData, type EventJson } from './api';

/**
 * The live tail: `GET /console/api/stream?filter=` over server-sent events. The CESQL filter is
 * evaluated on the server. Pause stops rendering new records (they are counted, not kept).
 */

interface Accepted {
  kind: 'accepted';
  time: number;
  broker: { namespace: string; name: string };
  via: string;
  event: EventJson;
  dropped?: number;
}
interface Attempt {
  kind: 'attempt';
  time: number;
  trigger: { namespace: string; broker: string; name: string };
  eventId: string;
  leg: string;
  target: string;
  attempt: number;
  status?: number;
  ok: boolean;
  willRetry: boolean;
  durationMs: number;
  dropped?: number;
}
interface Outcome {
  kind: 'outcome';
  time: number;
  trigger: { namespace: string; broker: string; name: string };
  eventId: string;
  eventType: string;
  outcome: string;
  attempts: number;
  status?: number;
  dropped?: number;
}
type TapRecord = Accepted | Attempt | Outcome;

interface Row {
  seq: number;
  record: TapRecord;
}

const KEEP = 500;

export function EventsView() {
  const [draft, setDraft] = useState('');
  const [filter, setFilter] = useState('');
  const [paused, setPaused] = useState(false);
  const [rows, setRows] = useState<Row[]>([]);
  const [selected, setSelected] = useState<string>();
  const [state, setState] = useState<'connecting' | 'live' | 'error'>('connecting');
  const [error, setError] = useState<string>();
  const [missed, setMissed] = useState({ paused: 0, dropped: 0 });
  const pausedRef = useRef(paused);
  pausedRef.current = paused;
  const seq = useRef(0);

  useEffect(() => {
    setError(undefined);
    setState('connecting');
    const url = `/console/api/stream${filter ? `?filter=${encodeURIComponent(filter)}` : ''}`;
    // A 400 (bad filter) is read first so its message can be shown; EventSource hides it.
    let source: EventSource | undefined;
    let closed = false;
    const ctl = new AbortController();
    fetch(url, { signal: ctl.signal })
      .then(async (res) => {
        if (res.status !== 200) {
          const body = (await res.json().catch(() => ({}))) as { error?: string };
          setError(body.error ?? `stream answered ${res.status}`);
          setState('error');
          return;
        }
        ctl.abort();
        if (closed) return;
        source = new EventSource(url);
        source.onopen = () => setState('live');
        source.onerror = () => setState('connecting');
        source.onmessage = (m) => {
          const record = JSON.parse(m.data as string) as TapRecord;
          if (record.dropped) setMissed((x) => ({ ...x, dropped: x.dropped + record.dropped! }));
          if (pausedRef.current) {
            setMissed((x) => ({ ...x, paused: x.paused + 1 }));
            return;
          }
          const row = { seq: ++seq.current, record };
          setRows((r) => [row, ...r].slice(0, KEEP));
        };
      })
      .catch(() => undefined);
    return () => {
      closed = true;
      ctl.abort();
      source?.close();
    };
  }, [filter]);

  const accepted = rows.filter((r) => r.record.kind === 'accepted');
  const detail = selected
    ? rows.filter((r) => idOf(r.record) === selected).map((r) => r.record)
    : [];

  return (
    <section aria-labelledby="events-title" class="split">
      <div class="pane">
        <h1 id="events-title">Live events</h1>
        <form
          class="toolbar"
          onSubmit={(e) => {
            e.preventDefault();
            setFilter(draft.trim());
          }}
        >
          <label for="filter">CESQL filter</label>
          <input
            id="filter"
            name="filter"
            value={draft}
            placeholder="type LIKE 'com.example.%'"
            onInput={(e) => setDraft((e.target as HTMLInputElement).value)}
            spellcheck={false}
          />
          <button type="submit">Apply</button>
          <button type="button" aria-pressed={paused} onClick={() => setPaused(!paused)}>
            {paused ? 'Resume' : 'Pause'}
          </button>
          <button type="button" onClick={() => setRows([])}>
            Clear
          </button>
        </form>
        <p class="status-line" aria-live="polite">
          {state === 'live' ? 'Live' : state === 'connecting' ? 'Connecting…' : 'Stopped'}
          {filter && ` · filter: ${filter}`}
          {paused && ` · paused (${missed.paused} not shown)`}
          {missed.dropped > 0 && ` · ${missed.dropped} dropped by the server (client too slow)`}
        </p>
        {error && (
          <p class="error" role="alert">
            {error}
          </p>
        )}
        <ol class="tail" aria-label="events">
          {rows.map(({ seq: s, record: r }) => (
            <li key={s} class={`rec ${r.kind}`}>
              <button
                type="button"
                class={selected === idOf(r) ? 'selected' : ''}
                data-event-id={idOf(r)}
                onClick={() => setSelected(idOf(r))}
              >
                <time>{new Date(r.time).toLocaleTimeString()}</time> {summary(r)}
              </button>
            </li>
          ))}
        </ol>
        {rows.length === 0 && <p class="empty">Waiting for events…</p>}
        <p class="count">{accepted.length} accepted shown</p>
      </div>
      <aside class="pane detail" aria-label="event detail">
        {selected ? <Detail id={selected} records={detail} /> : <p>Select an event to see it.</p>}
      </aside>
    </section>
  );
}

function idOf(r: TapRecord): string {
  return r.kind === 'accepted' ? (r.event.attributes['id'] ?? '') : r.eventId;
}

function summary(r: TapRecord): string {
  switch (r.kind) {
    case 'accepted':
      return `accepted by ${r.broker.namespace}/${r.broker.name}: ${r.event.attributes['type']} (${r.event.attributes['id']})`;
    case 'attempt':
      return `${r.trigger.name}: ${r.leg} attempt ${r.attempt} → ${r.status ?? 'no answer'}${r.willRetry ? ', will retry' : ''} (${r.eventId})`;
    case 'outcome':
      return `${r.trigger.name}: ${r.outcome} after ${r.attempts} attempt(s) (${r.eventId})`;
  }
}

function Detail(props: { id: string; records: TapRecord[] }) {
  const acc = props.records.find((r): r is Accepted => r.kind === 'accepted');
  const attempts = props.records.filter((r): r is Attempt => r.kind === 'attempt').reverse();
  const outcomes = props.records.filter((r): r is Outcome => r.kind === 'outcome').reverse();
  return (
    <div>
      <h2>Event {props.id}</h2>
      {acc ? (
        <>
          <h3>Attributes</h3>
          <table class="attrs">
            <tbody>
              {Object.entries(acc.event.attributes).map(([k, v]) => (
                <tr key={k}>
                  <th scope="row">{k}</th>
                  <td>{v}</td>
                </tr>
              ))}
            </tbody>
          </table>
          <h3>Data{acc.event.dataEncoding === 'base64' ? ' (base64)' : ''}</h3>
          <pre class="data">{prettyData(acc.event) || '(none)'}</pre>
        </>
      ) : (
        <p>Accepted before the tail started (or not shown).</p>
      )}
      <h3>Delivery attempts</h3>
      {attempts.length === 0 ? (
        <p>None yet.</p>
      ) : (
        <table class="attempts">
          <thead>
            <tr>
              <th scope="col">Trigger</th>
              <th scope="col">Leg</th>
              <th scope="col">#</th>
              <th scope="col">Status</th>
              <th scope="col">ms</th>
              <th scope="col">Target</th>
            </tr>
          </thead>
          <tbody>
            {attempts.map((a, i) => (
              <tr key={i} class={a.ok ? '' : 'failed'}>
                <td>{a.trigger.name}</td>
                <td>{a.leg}</td>
                <td>{a.attempt}</td>
                <td>{a.status ?? 'no answer'}</td>
                <td>{a.durationMs.toFixed(1)}</td>
                <td class="target">{a.target}</td>
              </tr>
            ))}
          </tbody>
        </table>
      )}
      <h3>Outcomes</h3>
      <ul>
        {outcomes.map((o, i) => (
          <li key={i}>
            {o.trigger.namespace}/{o.trigger.name}: <strong>{o.outcome}</strong>
          </li>
        ))}
      </ul>
    </div>
  );
}

import { useEffect, useState } from 'preact/hooks';
import {
  get,
  NotAvailable,
  post,
  prettyData,
  type DeadLetterEntry,
  type RedriveResult,
} from './api';

/**
 * Dead letters: the admin API's dead-letter store (`/admin/v1/deadletters`, the same as
 * `tributary dlq`): list, inspect, Redrive and Purge per entry or for a selection.
 */

type Result = { kind: 'redrive'; results: RedriveResult[] } | { kind: 'purge'; purged: number };

export function DeadLettersView() {
  const [items, setItems] = useState<DeadLetterEntry[]>();
  const [next, setNext] = useState<string>();
  const [missing, setMissing] = useState(false);
  const [error, setError] = useState<string>();
  const [checked, setChecked] = useState<Set<string>>(new Set());
  const [open, setOpen] = useState<string>();
  const [result, setResult] = useState<Result>();
  const [busy, setBusy] = useState(false);

  const load = async (cursor?: string) => {
    try {
      const q = new URLSearchParams({ limit: '100', ...(cursor ? { cursor } : {}) });
      const r = await get<{ items: DeadLetterEntry[]; next?: string }>(
        `/admin/v1/deadletters?${q}`,
      );
      setItems((old) => (cursor ? [...(old ?? []), ...r.items] : r.items));
      setNext(r.next);
      setError(undefined);
    } catch (err) {
      if (err instanceof NotAvailable) setMissing(true);
      else setError((err as Error).message);
    }
  };
  useEffect(() => {
    void load();
  }, []);

  const act = async (kind: 'redrive' | 'purge', ids: string[]) => {
    if (ids.length === 0) return;
    setBusy(true);
    try {
      if (kind === 'redrive') {
        const r = await post<{ results: RedriveResult[] }>('/admin/v1/deadletters/redrive', {
          ids,
        });
        setResult({ kind, results: r.results });
      } else {
        const r = await post<{ purged: number }>('/admin/v1/deadletters/purge', { ids });
        setResult({ kind, purged: r.purged });
      }
      setChecked(new Set());
      await load();
    } catch (err) {
      setError((err as Error).message);
    } finally {
      setBusy(false);
    }
  };

  if (missing)
    return (
      <section aria-labelledby="dl-title">
        <h1 id="dl-title">Dead letters</h1>
        <p class="unavailable" role="status">
          Dead letters are not available on this server (it has no dead-letter store API).
        </p>
      </section>
    );

  const toggle = (id: string) => {
    const s = new Set(checked);
    if (s.has(id)) s.delete(id);
    else s.add(id);
    setChecked(s);
  };

  return (
    <section aria-labelledby="dl-title">
      <h1 id="dl-title">Dead letters</h1>
      <div class="toolbar">
        <button type="button" onClick={() => void load()} disabled={busy}>
          Refresh
        </button>
        <button
          type="button"
          disabled={busy || checked.size === 0}
          onClick={() => void act('redrive', [...checked])}
        >
          Redrive selected ({checked.size})
        </button>
        <button
          type="button"
          disabled={busy || checked.size === 0}
          onClick={() => void act('purge', [...checked])}
        >
          Purge selected ({checked.size})
        </button>
      </div>
      <div aria-live="polite" class="result">
        {result?.kind === 'purge' && (
          <p>
            Purged {result.purged} entr{result.purged === 1 ? 'y' : 'ies'}.
          </p>
        )}
        {result?.kind === 'redrive' && (
          <ul class="redrive-results">
            {result.results.map((r) => (
              <li key={r.id} data-outcome={r.outcome}>
                {r.id}: <strong>{r.outcome}</strong>
                {r.error ? ` — ${r.error}` : ''}
              </li>
            ))}
          </ul>
        )}
      </div>
      {error && (
        <p class="error" role="alert">
          {error}
        </p>
      )}
      {items === undefined ? (
        <p>Loading…</p>
      ) : items.length === 0 ? (
        <p class="empty">No dead letters.</p>
      ) : (
        <table class="deadletters">
          <thead>
            <tr>
              <th scope="col">
                <input
                  type="checkbox"
                  aria-label="select all"
                  checked={items.length > 0 && checked.size === items.length}
                  onChange={() =>
                    setChecked(
                      checked.size === items.length ? new Set() : new Set(items.map((i) => i.id)),
                    )
                  }
                />
              </th>
              <th scope="col">Event</th>
              <th scope="col">Owner</th>
              <th scope="col">Error</th>
              <th scope="col">Dead-lettered</th>
              <th scope="col">Actions</th>
            </tr>
          </thead>
          <tbody>
            {items.map((e) => (
              <>
                <tr key={e.id} data-entry-id={e.id} data-event-id={e.event.attributes['id']}>
                  <td>
                    <input
                      type="checkbox"
                      aria-label={`select ${e.id}`}
                      checked={checked.has(e.id)}
                      onChange={() => toggle(e.id)}
                    />
                  </td>
                  <td>
                    <button
                      type="button"
                      class="linkish"
                      aria-expanded={open === e.id}
                      onClick={() => setOpen(open === e.id ? undefined : e.id)}
                    >
                      {e.event.attributes['type']} ({e.event.attributes['id']})
                    </button>
                  </td>
                  <td>
                    {e.owner.kind} {e.owner.namespace}/{e.owner.name}
                  </td>
                  <td>{e.errorExtensions['knativeerrorcode'] ?? ''}</td>
                  <td>{new Date(e.deadLetteredAt).toLocaleString()}</td>
                  <td class="actions">
                    <button
                      type="button"
                      disabled={busy}
                      onClick={() => void act('redrive', [e.id])}
                    >
                      Redrive
                    </button>
                    <button type="button" disabled={busy} onClick={() => void act('purge', [e.id])}>
                      Purge
                    </button>
                  </td>
                </tr>
                {open === e.id && (
                  <tr key={`${e.id}-detail`} class="entry-detail">
                    <td colSpan={6}>
                      <EntryDetail entry={e} />
                    </td>
                  </tr>
                )}
              </>
            ))}
          </tbody>
        </table>
      )}
      {next && (
        <button type="button" onClick={() => void load(next)}>
          Load more
        </button>
      )}
    </section>
  );
}

function EntryDetail({ entry }: { entry: DeadLetterEntry }) {
  return (
    <div class="entry">
      <h3>Attributes</h3>
      <table class="attrs">
        <tbody>
          {Object.entries(entry.event.attributes).map(([k, v]) => (
            <tr key={k}>
              <th scope="row">{k}</th>
              <td>{v}</td>
            </tr>
          ))}
        </tbody>
      </table>
      <h3>Data{entry.event.dataEncoding === 'base64' ? ' (base64)' : ''}</h3>
      <pre class="data">{prettyData(entry.event) || '(none)'}</pre>
      <h3>Delivery attempts</h3>
      <ol>
        {entry.attempts.map((a, i) => (
          <li key={i}>
            {a.time}: {a.status ?? 'no answer'}
            {a.error ? ` — ${a.error}` : ''}
          </li>
        ))}
      </ol>
      {entry.lastResponseBody && (
        <>
          <h3>Last response body</h3>
          <pre class="data">{entry.lastResponseBody}</pre>
        </>
      )}
      <p>
        Failed destination: <code>{entry.errorExtensions['knativeerrordest']}</code>
      </p>
    </div>
  );
}

/**
 * The fault suite (docs/reliability.md): every scenario of scenarios.ts on every backend of
 * backends.ts. Each run counts `accepted = delivered + dead-lettered (+ held)` and appends a row to
 * the results file that `node test/faults/report.mjs` turns into the table.
 *
 * Durable backends must lose nothing in any scenario; the memory backend must lose nothing unless
 * the process is killed (what it held in memory is then lost by design, and the count is reported).
 *
 * `FAULTS_BACKENDS=redis,kafka` runs some backends; `FAULTS_CONCURRENCY` (default 4) is how many
 * scenario runs go at once.
 */
import { afterAll, describe, expect, it } from 'vitest';
import { type BackendHandle, type FaultBackend, selectedBackends } from './backends.js';
import { missing, recordResult, ScenarioRun, tally } from './harness.js';
import { SCENARIOS, type Scenario } from './scenarios.js';
import { type FaultSink, startFaultSink } from './sink.js';

const slots = Number(process.env['FAULTS_CONCURRENCY'] ?? 4);
let running = 0;
const queue: Array<() => void> = [];
async function withSlot<T>(fn: () => Promise<T>): Promise<T> {
  if (running >= slots) await new Promise<void>((r) => queue.push(r));
  running++;
  try {
    return await fn();
  } finally {
    running--;
    queue.shift()?.();
  }
}

const handles = new Map<string, Promise<BackendHandle>>();
const handleOf = (b: FaultBackend): Promise<BackendHandle> => {
  let h = handles.get(b.name);
  if (!h) handles.set(b.name, (h = b.setup()));
  return h;
};
afterAll(async () => {
  for (const h of handles.values()) await (await h).close();
});

async function runScenario(backend: FaultBackend, scenario: Scenario): Promise<void> {
  const run = new ScenarioRun(backend, await handleOf(backend));
  const lossAllowed = scenario.crash && !backend.durable;
  run.lossByDesign = lossAllowed;
  const sinks: FaultSink[] = [];
  const started = Date.now();
  let error: Error | undefined;
  let note: string | undefined;
  let extra = { accepted: 0, delivered: 0 };
  try {
    const result = await scenario.run(run, async (mode) => {
      const s = await startFaultSink(mode);
      sinks.push(s);
      return s;
    });
    note = result.note;
    extra = result.extra ?? extra;
  } catch (err) {
    error = err as Error;
  } finally {
    await run.dispose();
    await Promise.all(sinks.map((s) => s.close()));
  }
  const t = tally(run.lanes);
  if (run.lanes.length === 0) t.accepted = t.lost = run.accepted.size;
  t.accepted += extra.accepted;
  t.delivered += extra.delivered;
  t.lost = t.accepted - t.delivered - t.deadLettered - t.held;
  if (t.lost > 0 && !lossAllowed) {
    const per = run.lanes.map(
      (l, i) =>
        `${l.name ?? `lane ${i + 1}`}: ${missing([l]).length} (e.g. ${missing([l]).slice(0, 4).join(' ')})`,
    );
    note = `${note ? `${note}; ` : ''}missing ${per.join(', ')}`;
  }
  const failed = error !== undefined || (t.lost > 0 && !lossAllowed);
  const logs = failed ? run.saveLogs(`${backend.name} ${scenario.name}`) : undefined;
  recordResult({
    scenario: scenario.name,
    backend: backend.name,
    order: SCENARIOS.indexOf(scenario),
    ...t,
    outcome: failed ? 'fail' : t.lost > 0 ? 'loss by design' : 'pass',
    note: error ? `${error.message}${note ? `; ${note}` : ''}` : note,
    seconds: Math.round((Date.now() - started) / 1000),
  });
  if (error) throw new Error(`${error.message} (logs: ${logs})`, { cause: error });
  if (!lossAllowed) {
    const gone = missing(run.lanes);
    expect(
      { lost: t.lost, example: gone.slice(0, 5) },
      `${backend.name}: accepted ${t.accepted}, delivered ${t.delivered}, dead-lettered ${t.deadLettered} (logs: ${logs})`,
    ).toEqual({ lost: 0, example: [] });
  }
}

describe.concurrent('fault suite', () => {
  for (const backend of selectedBackends()) {
    describe(backend.name, () => {
      for (const scenario of SCENARIOS) {
        if (scenario.needsConnections && !backend.remote) continue;
        it(scenario.name, () => withSlot(() => runScenario(backend, scenario)), 300_000);
      }
    });
  }
});

/**
 * Archive and replay (docs/failed-deliveries.md, "Archive and replay") as a user runs it:
 * `tributary run` subprocesses with `tributary.dev/archive-retention` on the memory backend and on
 * the embedded durable one (`--data-dir`, replay across a restart and across kill -9 mid-replay).
 */
import { request } from 'undici';
import { afterAll, afterEach, describe, expect, it } from 'vitest';
import { type HttpSink, startHttpSink } from '@tributary/testkit';
import {
  runCli,
  startTributary,
  writeManifests,
  type TributaryProcess,
} from './support/tributary-process.js';
import { getJson, metricsText, postEvent, sleep, tempDirs, until } from './support/flow-helpers.js';

const procs: TributaryProcess[] = [];
const sinks: HttpSink[] = [];
const dirs = tempDirs();

afterEach(async () => {
  for (const p of procs.splice(0)) await p.stop('SIGKILL');
  for (const s of sinks.splice(0)) await s.close();
});
afterAll(() => dirs.cleanup());

async function start(manifests: string, args: string[] = []): Promise<TributaryProcess> {
  const p = await startTributary(manifests, args);
  procs.push(p);
  return p;
}
async function kill(p: TributaryProcess): Promise<void> {
  await p.stop('SIGKILL');
  procs.splice(procs.indexOf(p), 1);
}
async function sink(options: Parameters<typeof startHttpSink>[0] = {}): Promise<HttpSink> {
  const s = await startHttpSink(options);
  sinks.push(s);
  return s;
}

function manifests(a: string, b: string, retention = '72h', aAnnotations = ''): string {
  return writeManifests({
    'm.yaml': `
apiVersion: eventing.knative.dev/v1
kind: Broker
metadata:
  name: default
  annotations: { tributary.dev/archive-retention: "${retention}" }
---
apiVersion: eventing.knative.dev/v1
kind: Broker
metadata: { name: plain }
---
apiVersion: eventing.knative.dev/v1
kind: Trigger
metadata: { name: a${aAnnotations ? `, annotations: { ${aAnnotations} }` : ''} }
spec:
  broker: default
  filter: { attributes: { type: a } }
  subscriber: { uri: ${a} }
---
apiVersion: eventing.knative.dev/v1
kind: Trigger
metadata: { name: b }
spec:
  broker: default
  filter: { attributes: { type: b } }
  subscriber: { uri: ${b} }
`,
  });
}

interface Replay {
  id: string;
  state: string;
  delivered: number;
  failed: number;
  total?: number;
  trigger?: string;
  broker: string;
}
const replays = (trib: TributaryProcess) =>
  getJson<{ items: Replay[] }>(`${trib.baseUrl}/admin/v1/replays`).then((r) => r.items);
const replayed = (s: HttpSink, id?: string) =>
  s.events.filter((e) =>
    id === undefined
      ? e.attributes['tributaryreplay'] !== undefined
      : e.attributes['tributaryreplay'] === id,
  );
async function postReplay(trib: TributaryProcess, body: unknown) {
  const res = await request(`${trib.baseUrl}/admin/v1/replays`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify(body),
  });
  return { status: res.statusCode, body: (await res.body.json()) as Replay & { error?: string } };
}

describe('replay on the memory backend', () => {
  it('re-delivers the window to one trigger in order with tributaryreplay, shows progress, lists it', async () => {
    const a = await sink();
    const b = await sink();
    const trib = await start(manifests(a.url, b.url));
    const url = `${trib.baseUrl}/default/default`;
    const from = new Date(Date.now() - 1000).toISOString();
    for (let i = 0; i < 5; i++) expect(await postEvent(url, `a-${i}`, 'a')).toBe(202);
    for (let i = 0; i < 2; i++) expect(await postEvent(url, `b-${i}`, 'b')).toBe(202);
    await a.waitFor(5, 30_000);
    await b.waitFor(2, 30_000);
    const to = new Date(Date.now() + 1000).toISOString();

    const r = await runCli([
      'replay',
      '--broker',
      'default/default',
      '--from',
      from,
      '--to',
      to,
      '--trigger',
      'a',
      '--server',
      trib.baseUrl,
    ]);
    expect(r.code).toBe(0);
    expect(r.stdout).toMatch(/replay \S+ started: 7 archived events in the window/);
    expect(r.stderr).toMatch(/done, 5 delivered, 0 failed \(of 7 events\)/);
    await a.waitFor(10, 30_000);
    const again = a.events.slice(5);
    expect(again.map((e) => e.attributes['id'])).toEqual(['a-0', 'a-1', 'a-2', 'a-3', 'a-4']);
    const id = again[0]!.attributes['tributaryreplay'];
    expect(id).toMatch(/^[0-9a-f-]{36}$/);
    expect(again.every((e) => e.attributes['tributaryreplay'] === id)).toBe(true);
    expect(b.events.length).toBe(2);

    // Every matching trigger, narrowed with a CESQL filter.
    const f = await runCli([
      'replay',
      '--broker',
      'default/default',
      '--from',
      from,
      '--to',
      to,
      '--filter',
      "type = 'b'",
      '--server',
      trib.baseUrl,
    ]);
    expect(f.code).toBe(0);
    await b.waitFor(4, 30_000);
    expect(replayed(b).map((e) => e.attributes['id'])).toEqual(['b-0', 'b-1']);
    expect(replayed(a).length).toBe(5);

    const list = await runCli(['replay', 'list', '-o', 'json', '--server', trib.baseUrl]);
    const items = (JSON.parse(list.stdout) as { items: Replay[] }).items;
    expect(items.map((x) => [x.trigger ?? '*', x.state, x.delivered, x.failed])).toEqual([
      ['a', 'done', 5, 0],
      ['*', 'done', 2, 0],
    ]);
    expect(await metricsText(trib.baseUrl)).toMatch(
      /tributary_replayed_events_total\{[^}]*result="delivered"[^}]*\} 7/,
    );
  }, 90_000);

  it('answers 4xx naming the field for bad requests; cancel stops a replay held by a paused trigger', async () => {
    const a = await sink();
    const b = await sink();
    const trib = await start(manifests(a.url, b.url, 'PT1H', 'tributary.dev/paused: "true"'));
    const now = new Date().toISOString();
    const plain = await postReplay(trib, { broker: 'default/plain', from: now, to: now });
    expect(plain.status).toBe(404);
    expect(plain.body.error).toContain('tributary.dev/archive-retention');
    const bad = await postReplay(trib, { broker: 'default/default', from: 'yesterday', to: now });
    expect(bad.status).toBe(400);
    expect(bad.body.error).toContain('from "yesterday" is invalid: write an RFC 3339 time');
    const badFilter = await postReplay(trib, {
      broker: 'default/default',
      from: now,
      to: now,
      filter: 'type =',
    });
    expect(badFilter.status).toBe(400);
    expect(badFilter.body.error).toContain("filter 'type =' is not valid CESQL");
    const noTrigger = await postReplay(trib, {
      broker: 'default/default',
      from: now,
      to: now,
      trigger: 'zz',
    });
    expect(noTrigger.status).toBe(404);

    const from = new Date(Date.now() - 1000).toISOString();
    expect(await postEvent(`${trib.baseUrl}/default/default`, 'a-0', 'a')).toBe(202);
    const started = await postReplay(trib, {
      broker: 'default/default',
      from,
      to: new Date(Date.now() + 1000).toISOString(),
      trigger: 'a',
    });
    expect(started.status).toBe(201);
    expect((await replays(trib))[0]!.state).toBe('running');
    const c = await runCli(['replay', 'cancel', started.body.id, '--server', trib.baseUrl]);
    expect(c.code).toBe(0);
    expect(c.stdout).toContain('cancelled');
    expect((await replays(trib))[0]).toMatchObject({ state: 'cancelled', delivered: 0 });
    expect(await metricsText(trib.baseUrl)).toMatch(/tributary_replays_running 0/);
  }, 60_000);
});

describe('replay on the embedded durable backend', () => {
  it('replays what was archived before kill -9 and a restart', async () => {
    const a = await sink();
    const b = await sink();
    const dir = manifests(a.url, b.url);
    const data = dirs.dataDir();
    let trib = await start(dir, ['--data-dir', data]);
    const from = new Date(Date.now() - 1000).toISOString();
    for (let i = 0; i < 10; i++)
      expect(await postEvent(`${trib.baseUrl}/default/default`, `a-${i}`, 'a')).toBe(202);
    await a.waitFor(10, 30_000);
    await kill(trib);
    trib = await start(dir, ['--data-dir', data]);
    const r = await runCli([
      'replay',
      '--broker',
      'default/default',
      '--from',
      from,
      '--to',
      new Date(Date.now() + 1000).toISOString(),
      '--server',
      trib.baseUrl,
    ]);
    expect(r.code).toBe(0);
    await until(
      () => replayed(a).length >= 10,
      30_000,
      () => `${replayed(a).length} replayed`,
    );
    expect(replayed(a).map((e) => e.attributes['id'])).toEqual(
      Array.from({ length: 10 }, (_, i) => `a-${i}`),
    );
  }, 90_000);

  it('a replay interrupted by kill -9 resumes after the restart: no archived event is lost', async () => {
    const a = await sink({ defaultResponse: { status: 202, delayMs: 50 } });
    const b = await sink();
    const dir = manifests(a.url, b.url);
    const data = dirs.dataDir();
    let trib = await start(dir, ['--data-dir', data]);
    const from = new Date(Date.now() - 1000).toISOString();
    const ids = Array.from({ length: 60 }, (_, i) => `a-${i}`);
    for (const id of ids)
      expect(await postEvent(`${trib.baseUrl}/default/default`, id, 'a')).toBe(202);
    await a.waitFor(60, 60_000);
    const started = await postReplay(trib, {
      broker: 'default/default',
      from,
      to: new Date(Date.now() + 1000).toISOString(),
      trigger: 'a',
    });
    expect(started.status).toBe(201);
    await until(
      () => replayed(a).length >= 10,
      60_000,
      () => `${replayed(a).length} replayed`,
    );
    await kill(trib);
    const before = replayed(a).length;
    expect(before).toBeLessThan(60);

    trib = await start(dir, ['--data-dir', data]);
    await until(
      async () => (await replays(trib))[0]?.state === 'done',
      60_000,
      () => `${replayed(a).length} replayed`,
    );
    const seen = new Set(replayed(a, started.body.id).map((e) => e.attributes['id']));
    expect(ids.filter((id) => !seen.has(id))).toEqual([]);
    const dup = replayed(a).length - seen.size;
    console.log(
      `replay kill -9 test: ${before} replayed before the kill, 60 after the restart, ${dup} duplicates`,
    );
    expect(dup).toBeLessThanOrEqual(1);
    await sleep(100);
  }, 120_000);
});

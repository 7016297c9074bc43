/**
 * Flow control per Trigger (docs/failed-deliveries.md, "Flow control") as a user runs it:
 * `tributary run` subprocesses on the memory backend and on the embedded durable one
 * (`--data-dir`), driven by annotations and by `tributary pause|resume trigger`.
 */
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
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
const servers: Server[] = [];
const dirs = tempDirs();

afterEach(async () => {
  for (const p of procs.splice(0)) await p.stop('SIGKILL');
  for (const s of sinks.splice(0)) await s.close();
  for (const s of servers.splice(0)) await new Promise((r) => s.close(r));
});
afterAll(() => dirs.cleanup());

async function start(manifests: string, args: string[] = []): Promise<TributaryProcess> {
  const p = await startTributary(manifests, args);
  procs.push(p);
  return p;
}
async function sink(options: Parameters<typeof startHttpSink>[0] = {}): Promise<HttpSink> {
  const s = await startHttpSink(options);
  sinks.push(s);
  return s;
}

function manifests(subscriber: string, annotations: Record<string, string>, extra = ''): string {
  const ann = Object.entries(annotations)
    .map(([k, v]) => `    ${k}: "${v}"`)
    .join('\n');
  return writeManifests({
    'm.yaml': `
apiVersion: eventing.knative.dev/v1
kind: Broker
metadata: { name: default }
---
apiVersion: eventing.knative.dev/v1
kind: Trigger
metadata:
  name: t
${ann ? `  annotations:\n${ann}` : ''}
spec:
  broker: default
  subscriber: { uri: ${subscriber} }
${extra}
`,
  });
}

const cli = (trib: TributaryProcess, ...args: string[]) =>
  runCli([...args, '--server', trib.baseUrl]);

describe('pause and resume', () => {
  it('memory: a paused trigger delivers nothing, get shows Paused, resume delivers what was held', async () => {
    const s = await sink();
    const trib = await start(manifests(s.url, { 'tributary.dev/paused': 'true' }));
    const url = `${trib.baseUrl}/default/default`;
    for (let i = 0; i < 3; i++) expect(await postEvent(url, `p-${i}`, 'x')).toBe(202);
    const got = await cli(trib, 'get', 'triggers');
    expect(got.stdout).toMatch(/^t\s+default\s+True\s+Paused\s/m);
    expect(await metricsText(trib.baseUrl)).toMatch(
      /tributary_trigger_paused\{[^}]*kn_trigger_name="t"[^}]*\} 1/,
    );
    await sleep(1000);
    expect(s.requests.length).toBe(0);

    const resumed = await cli(trib, 'resume', 'trigger', 't', '-n', 'default');
    expect(resumed.code).toBe(0);
    expect(resumed.stdout).toContain('resumed');
    await s.waitFor(3, 30_000);
    expect(new Set(s.events.map((e) => e.attributes['id']))).toEqual(
      new Set(['p-0', 'p-1', 'p-2']),
    );
    expect((await cli(trib, 'get', 'trigger', 't')).stdout).toMatch(/True\s+Ready/);

    expect((await cli(trib, 'pause', 'trigger', 't')).code).toBe(0);
    expect(await postEvent(url, 'p-3', 'x')).toBe(202);
    await sleep(1000);
    expect(s.requests.length).toBe(3);
    const unknown = await cli(trib, 'pause', 'trigger', 'nope');
    expect(unknown.code).toBe(1);
    expect(unknown.stderr).toContain("trigger 'default/nope' is not running");
  }, 90_000);

  it('embedded durable: a pause set with the CLI holds across kill -9 and a restart; resume delivers', async () => {
    const s = await sink();
    const dir = manifests(s.url, {});
    const data = dirs.dataDir();
    let trib = await start(dir, ['--data-dir', data]);
    expect((await cli(trib, 'pause', 'trigger', 't')).code).toBe(0);
    const url = `${trib.baseUrl}/default/default`;
    for (let i = 0; i < 5; i++) expect(await postEvent(url, `d-${i}`, 'x')).toBe(202);
    await sleep(500);
    await trib.stop('SIGKILL');
    procs.splice(procs.indexOf(trib), 1);

    trib = await start(dir, ['--data-dir', data]);
    expect((await cli(trib, 'get', 'trigger', 't')).stdout).toMatch(/True\s+Paused/);
    await sleep(1000);
    expect(s.requests.length).toBe(0);
    expect((await cli(trib, 'resume', 'trigger', 't')).code).toBe(0);
    await until(
      () => new Set(s.events.map((e) => e.attributes['id'])).size === 5,
      30_000,
      () => `${s.events.length} delivered`,
    );
  }, 90_000);
});

/** The memory backend, and the embedded durable one on a fresh data directory. */
const backends = [
  { backend: 'memory', args: (): string[] => [] },
  { backend: 'embedded durable', args: (): string[] => ['--data-dir', dirs.dataDir()] },
];

describe.each(backends)('circuit breaker ($backend)', ({ args }) => {
  it('opens after n consecutive failures, holds attempts (no retry burnt, nothing dead-lettered), probes after the cool-down', async () => {
    const dls = await sink();
    const s = await sink({ failFirst: { count: 2, status: 503 } });
    const trib = await start(
      manifests(
        s.url,
        { 'tributary.dev/circuit-breaker': '2/10s' },
        `  delivery: { retry: 3, backoffPolicy: linear, backoffDelay: PT0.1S, deadLetterSink: { uri: ${dls.url} } }`,
      ),
      args(),
    );
    const url = `${trib.baseUrl}/default/default`;
    expect(await postEvent(url, 'c-0', 'x')).toBe(202);
    await s.waitFor(2, 30_000);
    const opened = await trib.waitForLog(
      (l) => String(l['msg']).startsWith('circuit opened'),
      30_000,
    );
    expect(opened['trigger']).toBe('t');
    expect(await postEvent(url, 'c-1', 'x')).toBe(202);
    // Read straight from the admin API (what `tributary get` prints) while the circuit is open.
    const rows = await getJson<{ items: Array<{ name: string; ready: boolean; reason: string }> }>(
      `${trib.baseUrl}/admin/v1/resources?kind=trigger&name=t`,
    );
    expect(rows.items[0]).toMatchObject({ ready: true, reason: 'CircuitOpen' });
    expect(await metricsText(trib.baseUrl)).toMatch(
      /tributary_trigger_circuit_open\{[^}]*kn_trigger_name="t"[^}]*\} 1/,
    );
    await until(
      () => new Set(s.events.slice(2).map((e) => e.attributes['id'])).size === 2,
      30_000,
      () => `${s.requests.length} requests`,
    );
    expect(s.requests.length).toBe(4);
    // The third attempt waited for the cool-down (10 s), although its retry backoff was 0.1 s.
    const at = (await trib.waitForLog((l) => l['msg'] === 'circuit closed', 30_000))['time'];
    expect(Number(at) - Number(opened['time'])).toBeGreaterThanOrEqual(9_900);
    await sleep(300);
    expect(dls.requests.length).toBe(0);
  }, 90_000);
});

describe.each(backends)('rate limit and max in flight ($backend)', ({ args }) => {
  it('rate-limit "2/s": bursts of at most 2, then 2 per second; waits are counted', async () => {
    const s = await sink();
    const trib = await start(manifests(s.url, { 'tributary.dev/rate-limit': '2/s' }), args());
    const url = `${trib.baseUrl}/default/default`;
    const t0 = Date.now();
    for (let i = 0; i < 6; i++) expect(await postEvent(url, `r-${i}`, 'x')).toBe(202);
    await s.waitFor(6, 30_000);
    // 2 tokens at once, then one per 500 ms: the 6th delivery cannot come before ~2 s.
    expect(Date.now() - t0).toBeGreaterThanOrEqual(1_900);
    expect(await metricsText(trib.baseUrl)).toMatch(
      /tributary_trigger_rate_limited_waits_total\{[^}]*kn_trigger_name="t"[^}]*\} [1-9]/,
    );
  }, 60_000);

  it('max-in-flight "2": never more than 2 deliveries at the subscriber at once', async () => {
    let now = 0;
    let max = 0;
    let done = 0;
    const slow = createServer((req, res) => {
      now++;
      max = Math.max(max, now);
      req.resume();
      setTimeout(() => {
        now--;
        done++;
        res.writeHead(202).end();
      }, 200);
    });
    servers.push(slow);
    await new Promise<void>((r) => slow.listen(0, '127.0.0.1', r));
    const port = (slow.address() as AddressInfo).port;
    const trib = await start(
      manifests(`http://127.0.0.1:${port}`, { 'tributary.dev/max-in-flight': '2' }),
      args(),
    );
    const url = `${trib.baseUrl}/default/default`;
    await Promise.all(Array.from({ length: 8 }, (_, i) => postEvent(url, `m-${i}`, 'x')));
    await until(
      () => done === 8,
      30_000,
      () => `${done} done`,
    );
    expect(max).toBe(2);
  }, 60_000);
});

describe('validation', () => {
  it('refuses invalid flow-control values naming the annotation, the value and the fix', async () => {
    const dir = manifests('http://127.0.0.1:9', {
      'tributary.dev/rate-limit': 'fast',
      'tributary.dev/max-in-flight': '0',
      'tributary.dev/circuit-breaker': '5',
      'tributary.dev/paused': 'yes',
    });
    const r = await runCli(['validate', '-f', dir]);
    expect(r.code).not.toBe(0);
    const out = r.stdout + r.stderr;
    expect(out).toContain(`tributary.dev/rate-limit 'fast' is invalid: write "<n>/s" or "<n>/m"`);
    expect(out).toContain(`tributary.dev/max-in-flight '0' is invalid`);
    expect(out).toContain(`tributary.dev/circuit-breaker '5' is invalid`);
    expect(out).toContain(`tributary.dev/paused 'yes' is invalid`);
  }, 30_000);
});

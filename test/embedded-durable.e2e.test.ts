/**
 * The embedded durable backend (`tributary run --data-dir`, docs/embedded-durable.md) as a user
 * runs it: a subprocess killed with SIGKILL and started again on the same directory.
 */
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { request } from 'undici';
import { afterAll, afterEach, describe, expect, it } from 'vitest';
import { type HttpSink, startHttpSink } from '@tributary/testkit';
import {
  runCli,
  startTributary,
  writeManifests,
  type TributaryProcess,
} from './support/tributary-process.js';

const procs: TributaryProcess[] = [];
const sinks: HttpSink[] = [];
const dataDirs: string[] = [];

afterEach(async () => {
  for (const p of procs.splice(0)) await p.stop('SIGKILL');
  for (const s of sinks.splice(0)) await s.close();
});
afterAll(() => {
  for (const d of dataDirs) rmSync(d, { recursive: true, force: true });
});

function dataDir(): string {
  const d = mkdtempSync(path.join(os.tmpdir(), 'tributary-data-'));
  dataDirs.push(d);
  return path.join(d, 'data'); // created by tributary
}
async function start(manifests: string, data: string): Promise<TributaryProcess> {
  const p = await startTributary(manifests, ['--data-dir', data]);
  procs.push(p);
  return p;
}
async function sink(options: Parameters<typeof startHttpSink>[0] = {}): Promise<HttpSink> {
  const s = await startHttpSink(options);
  sinks.push(s);
  return s;
}
async function post(
  url: string,
  id: string,
  type = 'bulk',
): Promise<{ status: number; retryAfter?: string }> {
  try {
    const res = await request(url, {
      method: 'POST',
      headers: {
        'ce-specversion': '1.0',
        'ce-id': id,
        'ce-source': '/e2e',
        'ce-type': type,
        'content-type': 'application/json',
      },
      body: JSON.stringify({ id }),
    });
    await res.body.dump();
    const ra = res.headers['retry-after'];
    return { status: res.statusCode, ...(typeof ra === 'string' ? { retryAfter: ra } : {}) };
  } catch {
    return { status: 0 }; // the process died mid-request: not accepted
  }
}
/** Whether a process has better-sqlite3's native addon mapped (Linux /proc). */
const loadsSqlite = (pid: number | undefined): boolean =>
  readFileSync(`/proc/${pid}/maps`, 'utf8').includes('better_sqlite3.node');
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
async function until(pred: () => boolean, ms: number, what: () => string): Promise<void> {
  const end = Date.now() + ms;
  while (!pred()) {
    if (Date.now() > end) throw new Error(`timed out: ${what()}`);
    await sleep(50);
  }
}

function brokerManifests(bulk: string, slow?: string): string {
  return `
apiVersion: eventing.knative.dev/v1
kind: Broker
metadata: { name: default }
---
apiVersion: eventing.knative.dev/v1
kind: Trigger
metadata: { name: bulk }
spec:
  broker: default
  filter: { attributes: { type: bulk } }
  subscriber: { uri: ${bulk} }
${
  slow
    ? `---
apiVersion: eventing.knative.dev/v1
kind: Trigger
metadata: { name: slow }
spec:
  broker: default
  filter: { attributes: { type: slow } }
  subscriber: { uri: ${slow} }
  delivery: { retry: 2, backoffPolicy: linear, backoffDelay: PT3S }
`
    : ''
}`;
}

describe('tributary run --data-dir', () => {
  it('delivers every 202-accepted event after kill -9 mid-stream and a restart on the same directory', async () => {
    const bulk = await sink();
    const dir = writeManifests({ 'm.yaml': brokerManifests(bulk.url) });
    const data = dataDir();
    let trib = await start(dir, data);
    const accepted: string[] = [];
    // Four producers at once (their publishes share commits), killed mid-stream.
    let next = 0;
    let stopped = false;
    const producer = async (url: string) => {
      while (!stopped && next < 600) {
        const id = `e-${next++}`;
        if ((await post(url, id)).status === 202) accepted.push(id);
        else stopped = true;
      }
    };
    const url = `${trib.baseUrl}/default/default`;
    const sending = Promise.all([producer(url), producer(url), producer(url), producer(url)]);
    await bulk.waitFor(200, 60_000);
    await trib.stop('SIGKILL');
    await sending;
    expect(accepted.length).toBeGreaterThanOrEqual(200);

    trib = await start(dir, data);
    for (let i = 1000; i < 1020; i++)
      if ((await post(`${trib.baseUrl}/default/default`, `e-${i}`)).status === 202)
        accepted.push(`e-${i}`);
    const seen = (): Set<string> => new Set(bulk.events.map((e) => e.attributes['id']!));
    await until(
      () => accepted.every((id) => seen().has(id)),
      60_000,
      () => `missing ${accepted.filter((id) => !seen().has(id)).length} of ${accepted.length}`,
    );
    const duplicates = bulk.events.length - seen().size;
    console.log(
      `embedded durable crash test: ${accepted.length} accepted, all delivered, ${duplicates} duplicates`,
    );
    expect(accepted.filter((id) => !seen().has(id))).toEqual([]);
  }, 120_000);

  it('keeps a retry waiting out a 3 s backoff across kill -9: it fires after the restart, not before it is due', async () => {
    const bulk = await sink();
    const at: number[] = [];
    const slow = await sink({
      script: (_req, index) => {
        at[index] = Date.now();
        return index === 0 ? { status: 503 } : undefined;
      },
    });
    const dir = writeManifests({ 'm.yaml': brokerManifests(bulk.url, slow.url) });
    const data = dataDir();
    let trib = await start(dir, data);
    expect((await post(`${trib.baseUrl}/default/default`, 'slow-1', 'slow')).status).toBe(202);
    await slow.waitFor(1, 15_000);
    // The dispatcher handed the 3 s backoff to the backend; give the group commit a moment to store it.
    await trib.waitForLog(
      (l) => l['msg'] === 'retry handed to the backend for durable redelivery',
      15_000,
    );
    await sleep(300);
    await trib.stop('SIGKILL');
    const restartedAt = Date.now();
    trib = await start(dir, data);
    await slow.waitFor(2, 30_000);
    expect(slow.requests[1]!.status).toBe(202);
    expect(slow.events[1]!.attributes['id']).toBe('slow-1');
    expect(at[1]!).toBeGreaterThan(restartedAt);
    expect(at[1]! - at[0]!).toBeGreaterThanOrEqual(3_000);
  }, 90_000);

  it('a Sequence keeps the events waiting between its steps across kill -9', async () => {
    let healthy = false;
    const step1 = await sink({
      script: (req) => ({
        status: 200,
        event: {
          attributes: {
            specversion: '1.0',
            id: `r-${req.events[0]?.attributes['id'] ?? 'x'}`,
            source: '/step1',
            type: 'step1.done',
          },
        },
      }),
    });
    const step2 = await sink({
      script: () => (healthy ? undefined : { status: 503 }),
    });
    const dir = writeManifests({
      'seq.yaml': `
apiVersion: flows.knative.dev/v1
kind: Sequence
metadata: { name: pipeline }
spec:
  channelTemplate: { apiVersion: messaging.knative.dev/v1, kind: InMemoryChannel }
  steps:
    - uri: ${step1.url}
    - uri: ${step2.url}
      delivery: { retry: 100, backoffPolicy: linear, backoffDelay: PT0.2S }
`,
    });
    const data = dataDir();
    let trib = await start(dir, data);
    const ids = Array.from({ length: 20 }, (_, i) => `s-${i}`);
    for (const id of ids)
      expect((await post(`${trib.baseUrl}/default/sequences/pipeline`, id, 'order')).status).toBe(
        202,
      );
    // Every event went through step 1 and is now held between the steps (step 2 answers 503).
    const firstIds = () => new Set(step1.events.map((e) => e.attributes['id']));
    await until(
      () => ids.every((id) => firstIds().has(id)),
      30_000,
      () => `step 1 saw ${firstIds().size}/20`,
    );
    await step2.waitFor(1, 15_000);
    await sleep(300);
    await trib.stop('SIGKILL');
    healthy = true;
    trib = await start(dir, data);
    const delivered = () =>
      new Set(
        step2.requests.filter((r) => r.status === 202).map((r) => r.events[0]?.attributes['id']),
      );
    await until(
      () => ids.every((id) => delivered().has(`r-${id}`)),
      60_000,
      () => `step 2 accepted ${delivered().size}/20`,
    );
  }, 120_000);

  it('refuses a second process on the same directory, naming it and the owner pid; the first keeps running', async () => {
    const bulk = await sink();
    const dir = writeManifests({ 'm.yaml': brokerManifests(bulk.url) });
    const data = dataDir();
    const first = await start(dir, data);
    const second = await runCli(['run', '-f', dir, '--port', '0', '--data-dir', data]);
    expect(second.code).not.toBe(0);
    expect(second.stderr).toContain(data);
    expect(second.stderr).toContain(`process ${first.child.pid}`);
    expect(first.child.exitCode).toBeNull();
    const get = await runCli(['get', 'brokers', '--server', first.baseUrl, '-o', 'json']);
    expect(get.stdout).toContain('backend sqlite');
    expect(loadsSqlite(first.child.pid)).toBe(true);
    expect((await post(`${first.baseUrl}/default/default`, 'after-refusal')).status).toBe(202);
    await bulk.waitForEvent((e) => e.attributes['id'] === 'after-refusal', 15_000);
  }, 60_000);

  it('loads better-sqlite3 only when a data directory is given', async () => {
    const bulk = await sink();
    const plain = await startTributary(writeManifests({ 'm.yaml': brokerManifests(bulk.url) }));
    procs.push(plain);
    expect((await post(`${plain.baseUrl}/default/default`, 'mem-1')).status).toBe(202);
    await bulk.waitFor(1, 15_000);
    expect(loadsSqlite(plain.child.pid)).toBe(false);
  }, 60_000);

  it('takes the data directory from TRIBUTARY_DATA_DIR when --data-dir is not given', async () => {
    const bulk = await sink();
    const data = dataDir();
    process.env['TRIBUTARY_DATA_DIR'] = data;
    let trib: TributaryProcess;
    try {
      trib = await startTributary(writeManifests({ 'm.yaml': brokerManifests(bulk.url) }));
    } finally {
      delete process.env['TRIBUTARY_DATA_DIR'];
    }
    procs.push(trib);
    expect(readFileSync(path.join(data, 'LOCK'), 'utf8').split('\n')[0]).toBe(
      String(trib.child.pid),
    );
    expect(loadsSqlite(trib.child.pid)).toBe(true);
  }, 60_000);

  it('delivers an ordered Trigger one event at a time per partitionkey, retrying before later events', async () => {
    const s = await sink({ failFirst: { count: 2, status: 503 } });
    const dir = writeManifests({
      'm.yaml': `
apiVersion: eventing.knative.dev/v1
kind: Broker
metadata: { name: default }
---
apiVersion: eventing.knative.dev/v1
kind: Trigger
metadata:
  name: ordered
  annotations: { kafka.eventing.knative.dev/delivery.order: ordered }
spec:
  broker: default
  subscriber: { uri: ${s.url} }
  delivery: { retry: 5, backoffPolicy: linear, backoffDelay: PT0.1S }
`,
    });
    const trib = await start(dir, dataDir());
    const ids = ['o-1', 'o-2', 'o-3', 'o-4', 'o-5'];
    for (const id of ids) {
      const res = await request(`${trib.baseUrl}/default/default`, {
        method: 'POST',
        headers: {
          'ce-specversion': '1.0',
          'ce-id': id,
          'ce-source': '/e2e',
          'ce-type': 'ordered',
          'ce-partitionkey': 'customer-1',
        },
        body: '{}',
      });
      await res.body.dump();
      expect(res.statusCode).toBe(202);
    }
    await s.waitFor(7, 30_000);
    expect(s.requests.map((r) => r.events[0]?.attributes['id'])).toEqual([
      'o-1',
      'o-1',
      'o-1',
      'o-2',
      'o-3',
      'o-4',
      'o-5',
    ]);
  }, 60_000);

  it('answers 503 with Retry-After beyond a Broker tributary.dev/max-events cap', async () => {
    const dir = writeManifests({
      'm.yaml': `
apiVersion: eventing.knative.dev/v1
kind: Broker
metadata:
  name: capped
  annotations: { tributary.dev/max-events: "3" }
---
apiVersion: eventing.knative.dev/v1
kind: Trigger
metadata: { name: nowhere }
spec:
  broker: capped
  subscriber: { uri: "http://127.0.0.1:9/" }
  delivery: { retry: 5, backoffPolicy: linear, backoffDelay: PT30S }
`,
    });
    const trib = await start(dir, dataDir());
    const url = `${trib.baseUrl}/default/capped`;
    for (let i = 0; i < 3; i++) expect((await post(url, `c-${i}`)).status).toBe(202);
    const refused = await post(url, 'c-3');
    expect(refused.status).toBe(503);
    expect(Number(refused.retryAfter)).toBeGreaterThan(0);
  }, 60_000);
});

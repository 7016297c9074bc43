import { spawn } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { request } from 'undici';
import { afterAll, afterEach, describe, expect, it } from 'vitest';
import { type HttpSink, startHttpSink } from '@tributary/testkit';
import {
  startTributary,
  writeManifests,
  type TributaryProcess,
} from './support/tributary-process.js';

/** Runs redis-cli (an independent client) and resolves with its trimmed output. */
function redisCli(...args: string[]): Promise<string> {
  return new Promise((resolve, reject) => {
    const cli = spawn('redis-cli', args);
    let out = '';
    cli.stdout.on('data', (d) => (out += d));
    cli.on('error', (err) =>
      reject(new Error(`redis-cli: ${err.message} (apt-get install redis-tools)`)),
    );
    cli.on('exit', (code) =>
      code === 0 ? resolve(out.trim()) : reject(new Error(`redis-cli exited ${code}`)),
    );
  });
}
const procs: TributaryProcess[] = [];
const sinks: HttpSink[] = [];
const streams: string[] = [];

afterEach(async () => {
  for (const p of procs.splice(0)) await p.stop('SIGKILL');
  for (const s of sinks.splice(0)) await s.close();
});
afterAll(async () => {
  for (const s of streams) await redisCli('DEL', s);
  const jobs = (await redisCli('--scan', '--pattern', 'tributary:knative-broker-default-rb*'))
    .split('\n')
    .filter(Boolean);
  if (jobs.length > 0) await redisCli('DEL', ...jobs);
});

async function start(dir: string): Promise<TributaryProcess> {
  const p = await startTributary(dir);
  procs.push(p);
  return p;
}
async function sink(options: Parameters<typeof startHttpSink>[0] = {}): Promise<HttpSink> {
  const s = await startHttpSink(options);
  sinks.push(s);
  return s;
}
async function post(base: string, broker: string, id: string, type = 'bulk'): Promise<number> {
  try {
    const res = await request(`${base}/default/${broker}`, {
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
    return res.statusCode;
  } catch {
    return 0; // the process died mid-request: not accepted
  }
}

function manifests(broker: string, bulk: string, slow?: string): string {
  streams.push(`knative-broker-default-${broker}`);
  return `
apiVersion: v1
kind: ConfigMap
metadata: { name: ${broker}-config }
data:
  address: redis://127.0.0.1:6379
  claim.min.idle.ms: "1500"
  claim.interval.ms: "300"
  retry.durable.min.delay.ms: "1000"
---
apiVersion: eventing.knative.dev/v1
kind: Broker
metadata:
  name: ${broker}
  annotations: { eventing.knative.dev/broker.class: Redis }
spec:
  config: { apiVersion: v1, kind: ConfigMap, name: ${broker}-config }
---
apiVersion: eventing.knative.dev/v1
kind: Trigger
metadata: { name: bulk }
spec:
  broker: ${broker}
  filter: { attributes: { type: bulk } }
  subscriber: { uri: ${bulk} }
${
  slow
    ? `---
apiVersion: eventing.knative.dev/v1
kind: Trigger
metadata: { name: slow }
spec:
  broker: ${broker}
  filter: { attributes: { type: slow } }
  subscriber: { uri: ${slow} }
  delivery: { retry: 2, backoffPolicy: linear, backoffDelay: PT3S }
`
    : ''
}`;
}

const delivered = (p: TributaryProcess): number =>
  p.logs.filter((l) => l['msg'] === 'event delivered').length;

describe('Redis broker with tributary run', () => {
  it('delivers every 202-accepted event after kill -9 mid-stream, and a pending 3 s retry fires after a kill -9 not before it is due', async () => {
    const bulk = await sink();
    const slow = await sink({ failFirst: { count: 1, status: 503 } });
    const broker = `rb${randomUUID().slice(0, 8)}`;
    const dir = writeManifests({ 'm.yaml': manifests(broker, bulk.url, slow.url) });
    let trib = await start(dir);
    const accepted: string[] = [];
    // Mid-stream: keep posting while the process is killed.
    const sending = (async () => {
      for (let i = 0; i < 300; i++) {
        const id = `e-${i}`;
        if ((await post(trib.baseUrl, broker, id)) === 202) accepted.push(id);
        else break;
      }
    })();
    await bulk.waitFor(20, 15_000);
    await trib.stop('SIGKILL');
    await sending;
    expect(accepted.length).toBeGreaterThan(0);

    trib = await start(dir);
    for (let i = 300; i < 320; i++)
      if ((await post(trib.baseUrl, broker, `e-${i}`)) === 202) accepted.push(`e-${i}`);
    const seen = (): Set<string> => new Set(bulk.events.map((e) => e.attributes['id']!));
    const deadline = Date.now() + 30_000;
    while (accepted.some((id) => !seen().has(id)) && Date.now() < deadline)
      await new Promise((r) => setTimeout(r, 100));
    const missing = accepted.filter((id) => !seen().has(id));
    expect(missing).toEqual([]);
    const duplicates = bulk.events.length - seen().size;
    console.log(`redis crash test: ${accepted.length} accepted, ${duplicates} duplicates`);

    // A retry waiting out a 3 s backoff survives kill -9 and fires no earlier than due.
    expect(await post(trib.baseUrl, broker, 'slow-1', 'slow')).toBe(202);
    await slow.waitFor(1, 10_000);
    const failedAt = Date.now();
    await new Promise((r) => setTimeout(r, 300));
    await trib.stop('SIGKILL');
    trib = await start(dir);
    await slow.waitFor(2, 30_000);
    const retriedAt = Date.now();
    expect(slow.requests[1]!.status).toBe(202);
    expect(slow.events[1]!.attributes['id']).toBe('slow-1');
    expect(retriedAt - failedAt).toBeGreaterThanOrEqual(3_000 - 100);
  }, 90_000);

  it('shares a trigger between two tributary run processes: both deliver some, together all', async () => {
    const bulk = await sink();
    const broker = `rb${randomUUID().slice(0, 8)}`;
    const dir = writeManifests({ 'm.yaml': manifests(broker, bulk.url) });
    const a = await start(dir);
    const b = await start(dir);
    const ids: string[] = [];
    for (let i = 0; i < 100; i++) {
      const id = `s-${i}`;
      expect(await post((i % 2 ? a : b).baseUrl, broker, id)).toBe(202);
      ids.push(id);
      if (i % 10 === 0) await new Promise((r) => setTimeout(r, 20));
    }
    await bulk.waitFor(100, 20_000);
    expect(new Set(bulk.events.map((e) => e.attributes['id'])).size).toBe(100);
    expect(delivered(a)).toBeGreaterThan(0);
    expect(delivered(b)).toBeGreaterThan(0);
  }, 60_000);

  it('RedisStreamSource delivers an entry added by redis-cli XADD and acknowledges it', async () => {
    const s = await sink();
    const stream = `src-${randomUUID()}`;
    streams.push(stream);
    const dir = writeManifests({
      'm.yaml': `
apiVersion: sources.knative.dev/v1alpha1
kind: RedisStreamSource
metadata: { name: orders }
spec:
  address: 127.0.0.1:6379
  stream: ${stream}
  group: g1
  sink: { uri: ${s.url} }
  ceOverrides: { extensions: { origin: redis } }
`,
    });
    await start(dir);
    const id = await redisCli('XADD', stream, '*', 'f1', 'v1', 'f2', 'v2');
    await s.waitFor(1, 15_000);
    const e = s.events[0]!;
    expect(e.attributes).toMatchObject({
      id,
      type: 'dev.knative.sources.redisstream',
      source: `127.0.0.1:6379/${stream}`,
      origin: 'redis',
    });
    expect(JSON.parse(Buffer.from(e.data!).toString())).toEqual(['f1', 'v1', 'f2', 'v2']);
    const deadline = Date.now() + 5_000;
    let pending = 1;
    while (pending > 0 && Date.now() < deadline) {
      pending = Number((await redisCli('XPENDING', stream, 'g1')).split('\n')[0]);
      if (pending > 0) await new Promise((r) => setTimeout(r, 50));
    }
    expect(pending).toBe(0);
  }, 30_000);
});

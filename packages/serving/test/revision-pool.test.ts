import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { createDeliveryAgent, type SendOutcome } from '@tributary/broker';
import { type CloudEvent, silentLogger } from '@tributary/core';
import { type AutoscaleConfig, RevisionPool } from '../src/index.js';

// A command Service's processes, with real child processes and real HTTP (docs/serving.md).
const SERVER = `import http from 'node:http';
const delay = Number(process.env.DELAY_MS ?? 0);
const exitAfter = Number(process.env.EXIT_AFTER ?? 0);
let n = 0;
http.createServer((req, res) => {
  req.resume();
  req.on('end', () => setTimeout(() => {
    n++;
    res.writeHead(200, { 'content-type': 'application/json' });
    res.end(JSON.stringify({ pid: process.pid, n }));
    if (exitAfter && n >= exitAfter) setTimeout(() => process.exit(1), 20);
  }, delay));
}).listen(Number(process.env.PORT), '127.0.0.1');
`;

const dir = mkdtempSync(path.join(tmpdir(), 'tributary-pool-'));
writeFileSync(path.join(dir, 'server.mjs'), SERVER);
const agent = createDeliveryAgent();
const pools: RevisionPool[] = [];

const config = (over: Partial<AutoscaleConfig>): AutoscaleConfig => ({
  initialScale: 0,
  minScale: 0,
  maxScale: 4,
  target: 100,
  containerConcurrency: 0,
  windowMs: 60_000,
  retentionMs: 0,
  ...over,
});

function pool(c: Partial<AutoscaleConfig>, env: Record<string, string> = {}, tickMs = 50) {
  const p = new RevisionPool({
    label: 'test/svc',
    namespace: 'test',
    config: config(c),
    command: [process.execPath, 'server.mjs'],
    env,
    cwd: dir,
    agent,
    logger: silentLogger,
    maxWaitMs: 30_000,
    tickMs,
  });
  pools.push(p);
  return p;
}

const event: CloudEvent = {
  attributes: { specversion: '1.0', id: '1', source: '/t', type: 't' },
  data: new Uint8Array(Buffer.from('{}')),
};
const send = (p: RevisionPool) =>
  p.target(undefined).send(event, { format: 'binary', expectReply: false });
const pidOf = (o: SendOutcome) => {
  if (o.kind !== 'response') throw new Error(`no response: ${o.message}`);
  return (JSON.parse(Buffer.from(o.body).toString()) as { pid: number }).pid;
};
async function until(what: string, test: () => boolean, ms = 30_000): Promise<void> {
  const started = Date.now();
  while (!test()) {
    if (Date.now() - started > ms) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 20));
  }
}

afterEach(async () => {
  await Promise.all(pools.splice(0).map((p) => p.stop(2_000)));
});

describe('RevisionPool', () => {
  it('starts initial-scale processes at start and none before', async () => {
    const p = pool({ initialScale: 2 });
    expect(p.size).toBe(0);
    await p.start();
    expect(p.size).toBe(2);
    await until('both ready', () => p.ready === 2);
    // Without traffic they stay for the stable window (60 s here), not scaled down at once.
    await new Promise((r) => setTimeout(r, 500));
    expect(p.size).toBe(2);
  });

  it('holds a delivery that arrives at zero until a process is ready (cold start)', async () => {
    const p = pool({});
    await p.start();
    expect(p.size).toBe(0);
    const out = await send(p);
    expect(out).toMatchObject({ kind: 'response', status: 200 });
    expect(p.ready).toBe(1);
  });

  it('adds processes while requests in flight exceed containerConcurrency (target 100 capped by it), up to max-scale', async () => {
    const p = pool({ containerConcurrency: 1, maxScale: 2 }, { DELAY_MS: '400' });
    await p.start();
    const outs = await Promise.all([send(p), send(p), send(p)]);
    const pids = new Set(outs.map(pidOf));
    expect(pids.size).toBe(2);
    expect(p.size).toBe(2);
  });

  it('starts one process per `target` requests in flight, up to max-scale', async () => {
    const p = pool({ target: 1, maxScale: 2 }, { DELAY_MS: '400' });
    await p.start();
    await Promise.all([send(p), send(p), send(p)]);
    expect(p.size).toBe(2);
  });

  it('keeps the last process for scale-to-zero-pod-retention-period after the window', async () => {
    const retained = pool({ windowMs: 300, retentionMs: 20_000 });
    const plain = pool({ windowMs: 300 });
    await Promise.all([retained.start(), plain.start()]);
    await Promise.all([send(retained), send(plain)]);
    await until('the pool without retention to scale to zero', () => plain.size === 0);
    expect(retained.size).toBe(1);
  });

  it('restarts a process that exits and sends to it once it is ready again', async () => {
    const p = pool({}, { EXIT_AFTER: '1' });
    await p.start();
    const first = pidOf(await send(p));
    await until('the process to exit', () => p.ready === 0);
    const second = pidOf(await send(p));
    expect(second).not.toBe(first);
    expect(p.size).toBe(1);
  });

  it('scales to zero after the window without traffic, but never below min-scale', async () => {
    const zero = pool({ windowMs: 300 });
    const kept = pool({ windowMs: 300, minScale: 1, initialScale: 1 });
    await Promise.all([zero.start(), kept.start()]);
    await send(zero);
    await send(kept);
    await until('scale to zero', () => zero.size === 0);
    // Several windows later the min-scale pool still has its process.
    await new Promise((r) => setTimeout(r, 1_000));
    expect(kept.size).toBe(1);
  });
});

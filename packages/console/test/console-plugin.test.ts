import { mkdtempSync, mkdirSync, writeFileSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { request } from 'undici';
import { createRuntime, EventTap, type Runtime } from '@tributary/broker';
import { loadManifestsFromText } from '@tributary/core';
import { startHttpSink, type HttpSink } from '@tributary/testkit';
import { CLIENT_QUEUE_LIMIT, createConsolePlugin, serveStream } from '@tributary/console';

// The console's server side in a real runtime: static files with SPA fallback, stats from the
// metrics registry and the live stream with its server-side CESQL filter (docs/console.md).
let runtime: Runtime | undefined;
const open: Array<{ close(): Promise<void> | void }> = [];

afterEach(async () => {
  await runtime?.stop({ drainMs: 200 });
  runtime = undefined;
  for (const o of open.splice(0)) await o.close();
});

function assets(): string {
  const dir = mkdtempSync(path.join(os.tmpdir(), 'console-assets-'));
  mkdirSync(path.join(dir, 'assets'));
  writeFileSync(path.join(dir, 'index.html'), '<!doctype html><title>console</title>');
  writeFileSync(path.join(dir, 'assets', 'app-1.js'), 'console.log(1)');
  return dir;
}

async function start(sink: HttpSink, assetsDir = assets()): Promise<string> {
  const { topology, problems } = loadManifestsFromText([
    {
      file: 'c.yaml',
      text: `apiVersion: eventing.knative.dev/v1
kind: Broker
metadata: { name: b }
---
apiVersion: eventing.knative.dev/v1
kind: Trigger
metadata: { name: t }
spec:
  broker: b
  subscriber: { uri: ${sink.url} }
`,
    },
  ]);
  expect(problems).toEqual([]);
  runtime = createRuntime({ topology, port: 0, plugins: [createConsolePlugin({ assetsDir })] });
  return runtime.start();
}

async function sinkOk(): Promise<HttpSink> {
  const s = await startHttpSink();
  open.push(s);
  return s;
}

async function post(base: string, type: string, id: string): Promise<number> {
  const res = await request(`${base}/default/b`, {
    method: 'POST',
    headers: {
      'ce-specversion': '1.0',
      'ce-id': id,
      'ce-source': '/t',
      'ce-type': type,
      'content-type': 'application/json',
    },
    body: '{"n":1}',
  });
  await res.body.dump();
  return res.statusCode;
}

/** Reads SSE `data:` records until `done` says so. */
async function readStream(
  url: string,
  done: (records: Array<Record<string, unknown>>) => boolean,
  onOpen: () => Promise<void>,
): Promise<Array<Record<string, unknown>>> {
  const ctl = new AbortController();
  const res = await request(url, { signal: ctl.signal });
  expect(res.statusCode).toBe(200);
  expect(res.headers['content-type']).toContain('text/event-stream');
  const records: Array<Record<string, unknown>> = [];
  let buf = '';
  await onOpen();
  try {
    for await (const chunk of res.body) {
      buf += chunk.toString();
      let i: number;
      while ((i = buf.indexOf('\n\n')) >= 0) {
        const frame = buf.slice(0, i);
        buf = buf.slice(i + 2);
        if (frame.startsWith('data: ')) records.push(JSON.parse(frame.slice(6)));
      }
      if (done(records)) break;
    }
  } finally {
    ctl.abort();
  }
  return records;
}

describe('console plugin', () => {
  it('serves client routes with index.html, assets as files, and refuses traversal', async () => {
    const base = await start(await sinkOk());
    for (const p of [
      '/console/',
      '/console/events',
      '/console/deadletters',
      '/console/resources/Trigger/default/t',
    ]) {
      const res = await request(`${base}${p}`);
      expect(res.statusCode, p).toBe(200);
      expect(await res.body.text()).toContain('<title>console</title>');
      expect(res.headers['content-security-policy']).toContain("default-src 'self'");
    }
    const js = await request(`${base}/console/assets/app-1.js`);
    expect(js.headers['content-type']).toContain('text/javascript');
    expect(await js.body.text()).toBe('console.log(1)');
    const missing = await request(`${base}/console/assets/nope.js`);
    expect(missing.statusCode).toBe(404);
    await missing.body.dump();
    const up = await request(`${base}/console/..%2F..%2Fpackage.json`);
    expect(await up.body.text()).toContain('<title>console</title>');
    const bare = await request(`${base}/console`);
    expect(bare.statusCode).toBe(308);
    expect(bare.headers['location']).toBe('/console/');
    await bare.body.dump();
  });

  it('answers 404 "no admin endpoint" for admin paths nothing serves (the console shows "not available")', async () => {
    const base = await start(await sinkOk());
    for (const [method, p] of [
      ['GET', '/admin/v1/no-such-endpoint'],
      ['POST', '/admin/v1/no/such/endpoint'],
    ] as const) {
      const res = await request(`${base}${p}`, {
        method,
        body: method === 'POST' ? '{}' : undefined,
      });
      expect(res.statusCode, p).toBe(404);
      expect(((await res.body.json()) as { error: string }).error).toBe(
        `no admin endpoint '${method} ${p}' on this server`,
      );
    }
  });

  it('answers 503 naming `pnpm build` when the assets are not built', async () => {
    const base = await start(await sinkOk(), path.join(os.tmpdir(), 'no-such-console-dir'));
    const res = await request(`${base}/console/`);
    expect(res.statusCode).toBe(503);
    expect(await res.body.text()).toContain('pnpm build');
  });

  it('streams accepted events, attempts and outcomes that pass the CESQL filter', async () => {
    const sink = await sinkOk();
    const base = await start(sink);
    const filter = encodeURIComponent("type = 'keep'");
    const records = await readStream(
      `${base}/console/api/stream?filter=${filter}`,
      (rs) => rs.some((r) => r['kind'] === 'outcome' && r['eventId'] === 'k1'),
      async () => {
        expect(await post(base, 'skip', 's1')).toBe(202);
        expect(await post(base, 'keep', 'k1')).toBe(202);
      },
    );
    const ids = records.map((r) =>
      r['kind'] === 'accepted'
        ? (r['event'] as { attributes: Record<string, string> }).attributes['id']
        : r['eventId'],
    );
    expect(ids).not.toContain('s1');
    expect(records.map((r) => r['kind'])).toEqual(['accepted', 'attempt', 'outcome']);
    const acc = records[0] as { event: { data: string; dataEncoding: string }; broker: unknown };
    expect(acc.broker).toEqual({ namespace: 'default', name: 'b' });
    expect(acc.event).toMatchObject({ data: '{"n":1}', dataEncoding: 'utf8' });
    expect(records[2]).toMatchObject({ outcome: 'delivered', trigger: { name: 't', broker: 'b' } });
  });

  it('refuses a filter that is not CESQL with 400 and the reason', async () => {
    const base = await start(await sinkOk());
    const res = await request(
      `${base}/console/api/stream?filter=${encodeURIComponent('type LIKE')}`,
    );
    expect(res.statusCode).toBe(400);
    expect(((await res.body.json()) as { error: string }).error).toMatch(/not valid CESQL.*LIKE/);
  });

  it('reports per-trigger totals and latency buckets from the metrics registry', async () => {
    const sink = await sinkOk();
    const base = await start(sink);
    for (let i = 0; i < 3; i++) expect(await post(base, 'x', `e${i}`)).toBe(202);
    await sink.waitFor(3, 10_000);
    await expect
      .poll(async () => {
        const res = await request(`${base}/console/api/stats`);
        const s = (await res.body.json()) as { triggers: Array<Record<string, unknown>> };
        return s.triggers.find((t) => t['trigger'] === 't');
      })
      .toMatchObject({ namespace: 'default', broker: 'b', delivered: 3, failed: 0 });
    const res = await request(`${base}/console/api/stats`);
    const t = (
      (await res.body.json()) as { triggers: Array<{ latency: Array<{ count: number }> }> }
    ).triggers[0]!;
    expect(t.latency.at(-1)!.count).toBe(3);
  });
});

describe('live stream back-pressure', () => {
  it('drops beyond the per-client queue and counts every dropped record', async () => {
    const tap = new EventTap();
    expect(tap.active).toBe(false);
    const server: Server = createServer((req, res) => serveStream(req, res, tap, undefined));
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
    open.push({ close: () => new Promise<void>((r) => server.close(() => r())) });
    const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}/`;
    const total = CLIENT_QUEUE_LIMIT * 4;
    const records = await readStream(
      url,
      (rs) => rs.length + rs.reduce((n, r) => n + Number(r['dropped'] ?? 0), 0) >= total,
      async () => {
        await expect.poll(() => tap.active).toBe(true);
        // One synchronous burst: the client cannot have read any of it yet.
        for (let i = 0; i < total; i++)
          tap.emit({
            kind: 'outcome',
            time: Date.now(),
            trigger: { namespace: 'n', broker: 'b', name: 't' },
            eventId: `e${i}`,
            eventType: 'x',
            outcome: 'delivered',
            attempts: 1,
          });
      },
    );
    const dropped = records.reduce((n, r) => n + Number(r['dropped'] ?? 0), 0);
    expect(records.length).toBe(CLIENT_QUEUE_LIMIT);
    expect(dropped).toBe(total - CLIENT_QUEUE_LIMIT);
    // The client went away: the tap is free again.
    await expect.poll(() => tap.active, { timeout: 10_000 }).toBe(false);
  });
});

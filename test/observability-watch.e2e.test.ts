import { writeFileSync } from 'node:fs';
import path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { request } from 'undici';
import { encodeHttp } from '@tributary/core';
import { makeEvent, startHttpSink, type HttpSink } from '@tributary/testkit';
import {
  startTributary,
  writeManifests,
  type TributaryProcess,
} from './support/tributary-process.js';

const running: Array<TributaryProcess | HttpSink> = [];
afterEach(async () => {
  for (const r of running.splice(0)) await ('stop' in r ? r.stop() : r.close());
});

const broker = `apiVersion: eventing.knative.dev/v1
kind: Broker
metadata: { name: default }
`;
const trigger = (name: string, url: string) => `---
apiVersion: eventing.knative.dev/v1
kind: Trigger
metadata: { name: ${name} }
spec:
  broker: default
  subscriber: { uri: "${url}" }
`;

async function post(baseUrl: string, id: string): Promise<number> {
  const { headers, body } = encodeHttp(
    makeEvent({ id, type: 'com.example.tick' }, { id }),
    'binary',
  );
  const res = await request(`${baseUrl}/default/default`, {
    method: 'POST',
    headers,
    body: Buffer.from(body ?? new Uint8Array()),
  });
  await res.body.dump();
  return res.statusCode;
}

async function waitForLog(trib: TributaryProcess, msg: string | RegExp, from: number, ms = 10_000) {
  const end = Date.now() + ms;
  for (;;) {
    const hit = trib.logs
      .slice(from)
      .find((l) => (typeof msg === 'string' ? l['msg'] === msg : msg.test(String(l['msg']))));
    if (hit) return hit;
    if (Date.now() > end) throw new Error(`no log '${String(msg)}' within ${ms} ms`);
    await new Promise((r) => setTimeout(r, 50));
  }
}

describe('tributary run --watch', () => {
  it('adds and removes triggers without losing a steady stream, and refuses an invalid edit', async () => {
    const keep = await startHttpSink();
    const removed = await startHttpSink();
    const added = await startHttpSink();
    running.push(keep, removed, added);
    const dir = writeManifests({
      'topology.yaml': broker + trigger('keep', keep.url) + trigger('old', removed.url),
    });
    const file = path.join(dir, 'topology.yaml');
    const trib = await startTributary(dir, ['--watch']);
    running.push(trib);

    // A steady stream for the whole test: every 202'd event must reach `keep`.
    const accepted: string[] = [];
    let streaming = true;
    let n = 0;
    const stream = (async () => {
      while (streaming) {
        const id = `steady-${n++}`;
        const status = await post(trib.baseUrl, id).catch(() => 0);
        if (status === 202) accepted.push(id);
        await new Promise((r) => setTimeout(r, 5));
      }
    })();

    try {
      await removed.waitFor(1, 10_000);
      let mark = trib.logs.length;
      writeFileSync(file, broker + trigger('keep', keep.url) + trigger('new', added.url));
      const report = await waitForLog(trib, 'manifests reloaded', mark);
      expect(report['triggersAdded']).toEqual(['default/new']);
      expect(report['triggersRemoved']).toEqual(['default/old']);

      // The new trigger receives; the removed one receives nothing sent after the reload.
      const before = removed.requests.length;
      expect(await post(trib.baseUrl, 'after-reload')).toBe(202);
      await added.waitForEvent((e) => e.attributes['id'] === 'after-reload', 10_000);
      await keep.waitForEvent((e) => e.attributes['id'] === 'after-reload', 10_000);
      expect(
        removed.requests.slice(before).map((r) => r.events[0]?.attributes['id']),
      ).not.toContain('after-reload');

      // An invalid edit is refused with its problems; the running configuration keeps working.
      mark = trib.logs.length;
      writeFileSync(
        file,
        broker +
          trigger('keep', keep.url) +
          `---
apiVersion: eventing.knative.dev/v1
kind: Trigger
metadata: { name: broken }
spec:
  broker: default
  filters: [{ cesql: "type = = 'x'" }]
  subscriber: { uri: "not a url" }
`,
      );
      const refused = await waitForLog(trib, /^edit refused/, mark);
      const problems = refused['problems'] as string[];
      expect(problems.length).toBeGreaterThanOrEqual(1);
      expect(problems.join('\n')).toContain('Trigger/broken');
      expect(await post(trib.baseUrl, 'after-refusal')).toBe(202);
      await added.waitForEvent((e) => e.attributes['id'] === 'after-refusal', 10_000);
      const status = await request(`${trib.baseUrl}/admin/v1/resources?kind=trigger`);
      const names = ((await status.body.json()) as { items: Array<{ name: string }> }).items
        .map((i) => i.name)
        .sort();
      expect(names).toEqual(['keep', 'new']);
    } finally {
      streaming = false;
      await stream;
    }
    expect(accepted.length).toBeGreaterThan(10);
    const want = new Set(accepted);
    await keep.waitForRequest(() => {
      const got = new Set(keep.events.map((e) => e.attributes['id']));
      return [...want].every((id) => got.has(id));
    }, 15_000);
    const got = new Set(keep.events.map((e) => e.attributes['id']));
    expect([...want].filter((id) => !got.has(id))).toEqual([]);
  });
});

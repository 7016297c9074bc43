/**
 * The dead-letter store for channel Subscriptions (docs/failed-deliveries.md, "Dead-letter
 * store"): a Sequence step without a deadLetterSink whose subscriber answers 422 (non-retryable)
 * stores the event in its channel's store; `tributary dlq` lists it with `--channel`, redrives it
 * through the step's Subscription and purges; with `--data-dir` the entry survives SIGKILL.
 */
import { randomUUID } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { request } from 'undici';
import { afterAll, afterEach, describe, expect, it } from 'vitest';
import type { DeadLetterEntryJson } from '@tributary/core';
import { type HttpSink, startHttpSink } from '@tributary/testkit';
import {
  runCli,
  startTributary,
  writeManifests,
  type TributaryProcess,
} from './support/tributary-process.js';

const procs: TributaryProcess[] = [];
const sinks: HttpSink[] = [];
const cleanups: Array<() => void> = [];

afterEach(async () => {
  for (const p of procs.splice(0)) await p.stop('SIGKILL');
  for (const s of sinks.splice(0)) await s.close();
});
afterAll(() => {
  for (const c of cleanups) c();
});

/** A step subscriber that answers 422 (non-retryable) until switched to a reply `order.checked`. */
async function stepSink(): Promise<{ sink: HttpSink; ok(): void }> {
  let fail = true;
  const sink = await startHttpSink({
    script: () =>
      fail
        ? { status: 422, body: 'order rejected: no such customer' }
        : {
            status: 200,
            event: {
              attributes: {
                specversion: '1.0',
                id: `reply-${randomUUID()}`,
                source: '/step',
                type: 'order.checked',
              },
            },
          },
  });
  sinks.push(sink);
  return { sink, ok: () => (fail = false) };
}

/** Waits until the Sequence's reply sink got the step's reply. */
async function replied(reply: HttpSink): Promise<void> {
  await until('the step reply at the Sequence reply', async () =>
    reply.events.some((e) => e.attributes['type'] === 'order.checked') ? true : undefined,
  );
}

async function start(dir: string, args: string[]): Promise<TributaryProcess> {
  const p = await startTributary(dir, args);
  procs.push(p);
  return p;
}

async function send(base: string, id: string): Promise<number> {
  const res = await request(`${base}/default/sequences/orders`, {
    method: 'POST',
    headers: {
      'ce-specversion': '1.0',
      'ce-id': id,
      'ce-source': '/e2e',
      'ce-type': 'order.created',
      'content-type': 'application/json',
    },
    body: JSON.stringify({ order: id }),
  });
  await res.body.dump();
  return res.statusCode;
}

async function list(base: string, query = ''): Promise<{ status: number; body: unknown }> {
  const res = await request(`${base}/admin/v1/deadletters${query}`);
  return { status: res.statusCode, body: await res.body.json() };
}

async function entries(base: string, query = ''): Promise<DeadLetterEntryJson[]> {
  return ((await list(base, query)).body as { items: DeadLetterEntryJson[] }).items;
}

async function until<T>(what: string, fn: () => Promise<T | undefined>, ms = 60_000): Promise<T> {
  const end = Date.now() + ms;
  for (;;) {
    const v = await fn().catch(() => undefined);
    if (v !== undefined) return v;
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 100));
  }
}

/** Sequence `orders`: step 0 is the failing subscriber (retry 3, no deadLetterSink). */
function manifests(step: string, reply: string): string {
  return writeManifests({
    'm.yaml': `apiVersion: flows.knative.dev/v1
kind: Sequence
metadata: { name: orders }
spec:
  steps:
    - uri: ${step}
      delivery: { retry: 3, backoffPolicy: linear, backoffDelay: PT0.05S }
  reply: { uri: ${reply} }
`,
  });
}

const STEP = 'orders-kn-sequence-0';

async function storedEntry(base: string, id: string): Promise<DeadLetterEntryJson> {
  const [entry] = await until('a dead-letter entry', async () => {
    const items = await entries(base);
    return items.length > 0 ? items : undefined;
  });
  expect(entry!.owner).toEqual({ kind: 'Subscription', namespace: 'default', name: STEP });
  expect(entry!.broker).toEqual({ namespace: 'default', name: STEP });
  expect(entry!.event.attributes['id']).toBe(id);
  expect(JSON.parse(entry!.event.data!)).toEqual({ order: id });
  // 422 is not retried: one attempt although retry is 3.
  expect(entry!.attempts.map((a) => a.status)).toEqual([422]);
  expect(entry!.lastResponseBody).toBe('order rejected: no such customer');
  expect(entry!.errorExtensions.knativeerrorcode).toBe('422');
  return entry!;
}

describe('dead-letter store of a Sequence step on the memory backend', () => {
  it('stores the 422ed event, lists it by --channel, redrives it through the step and purges', async () => {
    const { sink, ok } = await stepSink();
    const reply = await startHttpSink();
    sinks.push(reply);
    const p = await start(manifests(sink.url, reply.url), []);
    const id = `ev-${randomUUID()}`;
    expect(await send(p.baseUrl, id)).toBe(202);
    const entry = await storedEntry(p.baseUrl, id);

    // Filters: the channel's store, the Subscription; broker-side filters do not see it.
    expect((await entries(p.baseUrl, `?channel=default/${STEP}`)).map((e) => e.id)).toEqual([
      entry.id,
    ]);
    expect((await entries(p.baseUrl, `?subscription=${STEP}`)).map((e) => e.id)).toEqual([
      entry.id,
    ]);
    expect(await entries(p.baseUrl, `?trigger=${STEP}`)).toEqual([]);
    expect((await list(p.baseUrl, '?channel=default/nope')).status).toBe(404);
    expect((await list(p.baseUrl, '?channel=nope')).status).toBe(400);
    const mixed = await list(p.baseUrl, `?channel=default/${STEP}&trigger=x`);
    expect(mixed.status).toBe(400);
    expect((mixed.body as { error: string }).error).toContain('cannot be combined');

    const table = await runCli([
      'dlq',
      'list',
      '--server',
      p.baseUrl,
      '--channel',
      `default/${STEP}`,
    ]);
    expect(table.code).toBe(0);
    expect(table.stdout).toContain(entry.id);
    expect(table.stdout).toContain(`channel:default/${STEP}`);
    expect(table.stdout).toContain(`subscription/${STEP}`);

    // Still failing: the entry stays, with the new attempt appended.
    const again = await runCli(['dlq', 'redrive', entry.id, '--server', p.baseUrl, '-o', 'json']);
    expect(JSON.parse(again.stdout)).toEqual({
      results: [{ id: entry.id, outcome: 'dead-lettered-again' }],
    });
    expect((await entries(p.baseUrl))[0]!.attempts.map((a) => a.status)).toEqual([422, 422]);

    // A second failure, purged without delivery.
    const id2 = `ev-${randomUUID()}`;
    expect(await send(p.baseUrl, id2)).toBe(202);
    const second = await until('a second entry', async () =>
      (await entries(p.baseUrl)).find((e) => e.event.attributes['id'] === id2),
    );
    const purged = await runCli(['dlq', 'purge', second.id, '--server', p.baseUrl, '-o', 'json']);
    expect(JSON.parse(purged.stdout)).toEqual({ purged: 1 });
    expect((await entries(p.baseUrl)).map((e) => e.id)).toEqual([entry.id]);

    // Subscriber fixed: the redrive delivers through the step, and its reply goes on.
    ok();
    const before = sink.events.length;
    const done = await runCli([
      'dlq',
      'redrive',
      '--all',
      '--channel',
      `default/${STEP}`,
      '--server',
      p.baseUrl,
      '-o',
      'json',
    ]);
    expect(JSON.parse(done.stdout)).toEqual({ results: [{ id: entry.id, outcome: 'delivered' }] });
    expect(sink.events.slice(before).map((e) => e.attributes['id'])).toEqual([id]);
    await replied(reply);
    expect(await entries(p.baseUrl)).toEqual([]);

    const metrics = await (await request(`${p.baseUrl}/metrics`)).body.text();
    expect(metrics).toMatch(
      new RegExp(
        `tributary_deadletter_entries_added_total\\{[^}]*kn_owner_kind="Subscription"[^}]*kn_owner_name="${STEP}"[^}]*\\} 2`,
      ),
    );
  }, 120_000);
});

describe('dead-letter store of a Sequence step with --data-dir', () => {
  it('keeps the entry across SIGKILL and a restart; redrive then delivers it', async () => {
    const d = mkdtempSync(path.join(os.tmpdir(), 'tributary-subdlq-'));
    cleanups.push(() => rmSync(d, { recursive: true, force: true }));
    const args = ['--data-dir', path.join(d, 'data')];
    const { sink, ok } = await stepSink();
    const reply = await startHttpSink();
    sinks.push(reply);
    const dir = manifests(sink.url, reply.url);
    let p = await start(dir, args);
    const id = `ev-${randomUUID()}`;
    expect(await send(p.baseUrl, id)).toBe(202);
    const entry = await storedEntry(p.baseUrl, id);

    // SIGKILL, restart: the entry is still there. The backend's acknowledgement of the event may
    // not have reached the disk before the kill (entries are committed first), so the event can
    // come back and be stored once more: at least once, never lost (docs/failed-deliveries.md).
    await p.stop('SIGKILL');
    p = await start(dir, args);
    const after = await entries(p.baseUrl, `?channel=default/${STEP}`);
    expect(after.map((e) => e.id)).toContain(entry.id);
    expect(new Set(after.map((e) => e.event.attributes['id']))).toEqual(new Set([id]));

    ok();
    const before = sink.events.length;
    const done = await runCli([
      'dlq',
      'redrive',
      '--all',
      '--channel',
      `default/${STEP}`,
      '--server',
      p.baseUrl,
      '-o',
      'json',
    ]);
    const results = (JSON.parse(done.stdout) as { results: Array<{ id: string; outcome: string }> })
      .results;
    expect(results.map((r) => r.id)).toContain(entry.id);
    expect(new Set(results.map((r) => r.outcome))).toEqual(new Set(['delivered']));
    const delivered = sink.events.slice(before).map((e) => e.attributes['id']);
    expect(delivered.length).toBeGreaterThanOrEqual(1);
    expect(new Set(delivered)).toEqual(new Set([id]));
    await replied(reply);
    expect(await entries(p.baseUrl)).toEqual([]);

    await p.stop('SIGKILL');
    p = await start(dir, args);
    expect(await entries(p.baseUrl)).toEqual([]);
  }, 180_000);
});

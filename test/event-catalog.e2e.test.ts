import { spawn } from 'node:child_process';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { request } from 'undici';
import {
  runCli,
  startTributary,
  writeManifests,
  type TributaryProcess,
} from './support/tributary-process.js';

// Issue 21, EventTypes and the event catalog: a Broker annotated
// tributary.dev/eventtype-auto-create records EventTypes with inferred schemas; `get eventtypes`
// and the admin API show them; `codegen --lang ts` output compiles with tsc and types data.
const ROOT = fileURLToPath(new URL('..', import.meta.url));
const TSC = path.join(ROOT, 'node_modules/typescript/bin/tsc');
const NS = 'catalog';

const MANIFESTS = `
apiVersion: eventing.knative.dev/v1
kind: Broker
metadata:
  name: shop
  namespace: ${NS}
  annotations:
    tributary.dev/eventtype-auto-create: "true"
spec:
  # defaults
---
apiVersion: eventing.knative.dev/v1
kind: Broker
metadata: { name: plain, namespace: ${NS} }
---
apiVersion: eventing.knative.dev/v1beta3
kind: EventType
metadata:
  name: refund-issued
  namespace: ${NS}
  annotations:
    tributary.dev/data-schema: '{"type":"object","properties":{"refundId":{"type":"string"},"amount":{"type":"number"}},"required":["refundId","amount"],"additionalProperties":false}'
spec:
  reference: { apiVersion: eventing.knative.dev/v1, kind: Broker, name: shop }
  description: A refund was issued
  attributes:
    - { name: type, required: true, value: com.example.refund.issued }
    - { name: source, required: true, value: /payments }
`;

let dir: string;
let p: TributaryProcess;
const work = mkdtempSync(path.join(os.tmpdir(), 'tributary-codegen-'));

beforeAll(async () => {
  dir = writeManifests({ 'catalog.yaml': MANIFESTS });
  p = await startTributary(dir);
  // A TypeScript project that resolves the packages the generated module imports.
  const nm = path.join(work, 'node_modules');
  mkdirSync(path.join(nm, '@tributary'), { recursive: true });
  symlinkSync(path.join(ROOT, 'packages/sdk/node_modules/zod'), path.join(nm, 'zod'));
  symlinkSync(path.join(ROOT, 'packages/sdk'), path.join(nm, '@tributary/sdk'));
  symlinkSync(path.join(ROOT, 'packages/function'), path.join(nm, '@tributary/function'));
  writeFileSync(path.join(work, 'package.json'), JSON.stringify({ type: 'module' }));
});
afterAll(async () => {
  await p?.stop('SIGKILL');
  rmSync(work, { recursive: true, force: true });
});
afterEach(() => undefined);

async function send(broker: string, type: string, source: string, data?: unknown): Promise<void> {
  const res = await request(`${p.baseUrl}/${NS}/${broker}`, {
    method: 'POST',
    headers: {
      'ce-specversion': '1.0',
      'ce-id': Math.random().toString(36).slice(2),
      'ce-type': type,
      'ce-source': source,
      ...(data === undefined ? {} : { 'content-type': 'application/json' }),
    },
    body: data === undefined ? '' : JSON.stringify(data),
  });
  await res.body.dump();
  expect(res.statusCode).toBe(202);
}

function tsc(files: string[]): Promise<{ code: number | null; out: string }> {
  return new Promise((resolve) => {
    const child = spawn(
      process.execPath,
      [
        TSC,
        '--noEmit',
        '--strict',
        '--module',
        'nodenext',
        '--moduleResolution',
        'nodenext',
        '--target',
        'es2022',
        '--skipLibCheck',
        ...files,
      ],
      { cwd: work, stdio: ['ignore', 'pipe', 'pipe'] },
    );
    let out = '';
    child.stdout.on('data', (d) => (out += d));
    child.stderr.on('data', (d) => (out += d));
    child.on('exit', (code) => resolve({ code, out }));
  });
}

describe('event catalog', () => {
  it('records EventTypes with inferred schemas for the annotated broker only', async () => {
    await send('shop', 'com.example.order.created', '/web', {
      orderId: 'o-1',
      total: 42,
      placedAt: '2026-01-02T03:04:05Z',
      items: [{ sku: 'a', qty: 1 }],
    });
    await send('shop', 'com.example.order.created', '/web', {
      orderId: 'o-2',
      total: 9.5,
      placedAt: '2026-01-03T10:00:00Z',
      coupon: 'SPRING',
      items: [],
    });
    await send('shop', 'com.example.order.created', '/web', {
      orderId: 'o-3',
      total: 1,
      placedAt: '2026-01-04T00:00:00+02:00',
      coupon: null,
      items: [{ sku: 'b', qty: 2 }],
    });
    await send('shop', 'com.example.ping', '/monitor');
    await send('shop', 'com.example.refund.issued', '/payments', { refundId: 'r-1', amount: 5 });
    await send('plain', 'com.example.unrecorded', '/x', { a: 1 });

    const r = await runCli(['get', 'eventtypes', '--server', p.baseUrl, '-o', 'json']);
    expect(r.code, r.stderr).toBe(0);
    const { items } = JSON.parse(r.stdout) as {
      items: Array<{
        metadata: { name: string };
        spec: { attributes: Array<{ name: string; value?: string }> };
        status: Record<string, unknown>;
      }>;
    };
    const typeOf = (i: (typeof items)[number]) =>
      i.spec.attributes.find((a) => a.name === 'type')?.value;
    expect(items.map(typeOf)).toEqual([
      'com.example.refund.issued',
      'com.example.order.created',
      'com.example.ping',
    ]);
    const refund = items[0]!;
    expect(refund.metadata.name).toBe('refund-issued');
    expect(refund.status).toMatchObject({
      origin: 'declared',
      events: 1,
      schemaSource: 'declared',
    });
    const order = items[1]!;
    expect(order.status).toMatchObject({ origin: 'auto-created', events: 3, samples: 3 });
    expect(order.status['schema']).toMatchObject({
      type: 'object',
      properties: {
        orderId: { type: 'string' },
        total: { type: 'number' },
        placedAt: { type: 'string', format: 'date-time' },
        coupon: { type: ['null', 'string'] },
        items: {
          type: 'array',
          items: { type: 'object', required: ['sku', 'qty'] },
        },
      },
      required: ['orderId', 'total', 'placedAt', 'items'],
    });

    // The admin API serves each schema on its own.
    const res = await request(
      `${p.baseUrl}/admin/v1/eventtypes/${NS}/${order.metadata.name}/schema`,
    );
    expect(res.headers['content-type']).toBe('application/schema+json');
    expect(await res.body.json()).toEqual(order.status['schema']);

    const table = await runCli(['get', 'eventtypes', '--server', p.baseUrl]);
    expect(table.code).toBe(0);
    const lines = table.stdout.trim().split('\n');
    expect(lines[0]).toMatch(
      /^NAME\s+NAMESPACE\s+TYPE\s+SOURCE\s+BROKER\s+ORIGIN\s+EVENTS\s+SCHEMA$/,
    );
    expect(lines.find((l) => l.includes('com.example.order.created'))).toMatch(
      /\/web\s+shop\s+auto-created\s+3\s+object\{orderId,total,placedAt,items,coupon\?\}$/,
    );
  });

  it('codegen --lang ts emits definitions that tsc compiles and that type producers and handlers', async () => {
    const out = path.join(work, 'events.ts');
    const r = await runCli(['codegen', '--lang', 'ts', '--server', p.baseUrl, '-o', out]);
    expect(r.code, r.stderr).toBe(0);
    const text = readFileSync(out, 'utf8');
    expect(text).toContain("import { defineEvent } from '@tributary/sdk';");
    expect(text).toContain('export const ComExampleOrderCreated = defineEvent({');
    expect(text).toContain('placedAt: z.iso.datetime({ offset: true }),');
    expect(text).toContain('coupon: z.string().nullable().optional(),');
    writeFileSync(
      path.join(work, 'use.ts'),
      `import { handle } from '@tributary/function';
import { ComExampleOrderCreated, ComExampleRefundIssued, type ComExampleOrderCreatedData, eventDefinitions } from './events.js';

const data: ComExampleOrderCreatedData = {
  orderId: 'o-9', total: 1, placedAt: '2026-01-01T00:00:00Z', items: [{ sku: 'x', qty: 1 }],
};
export const input = ComExampleOrderCreated.event(data);
// @ts-expect-error total must be a number
ComExampleOrderCreated.event({ ...data, total: 'one' });
// @ts-expect-error amount is required by the declared schema
ComExampleRefundIssued.event({ refundId: 'r' });
export const handler = handle(ComExampleOrderCreated, async (event) => {
  const id: string = event.data.orderId;
  const sku: string | undefined = event.data.items[0]?.sku;
  // @ts-expect-error total is a number, not a string
  const wrong: string = event.data.total;
  return { type: 'com.example.order.seen', data: { id, sku, wrong } };
});
export const count: number = eventDefinitions.length;
`,
    );
    const compiled = await tsc(['events.ts', 'use.ts']);
    expect(compiled.out).toBe('');
    expect(compiled.code).toBe(0);
  }, 60_000);

  it('get eventtypes -o yaml is a List that codegen -f reads back, schemas included', async () => {
    const saved = await runCli(['get', 'eventtypes', '--server', p.baseUrl, '-o', 'yaml']);
    expect(saved.code).toBe(0);
    expect(saved.stdout).toMatch(/^apiVersion: v1\nkind: List\nitems:/);
    const file = path.join(work, 'catalog.yaml');
    writeFileSync(file, saved.stdout);
    const r = await runCli(['codegen', '--lang', 'ts', '-f', file]);
    expect(r.code, r.stderr).toBe(0);
    expect(r.stdout).toContain('export const ComExampleOrderCreated = defineEvent({');
    expect(r.stdout).toContain('placedAt: z.iso.datetime({ offset: true }),');
    expect(r.stdout).toContain('export const ComExamplePing = defineEvent({');
  });

  it('codegen -f reads EventTypes from manifests', async () => {
    const r = await runCli(['codegen', '--lang', 'ts', '-f', dir]);
    expect(r.code, r.stderr).toBe(0);
    expect(r.stdout).toContain('export const ComExampleRefundIssued = defineEvent({');
    expect(r.stdout).toContain('source: "/payments",');
    expect(r.stdout).toMatch(
      /schema: z\.strictObject\(\{\n\s+refundId: z\.string\(\),\n\s+amount: z\.number\(\),\n\s+\}\)/,
    );
    expect(r.stdout).not.toContain('ComExampleOrderCreated');
  });
});

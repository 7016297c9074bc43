/**
 * The console (docs/console.md) in a real browser: `tributary run` serves it at /console/; the
 * quickstart's topology shows every resource, an event POSTed to the broker shows in the live
 * tail, a dead-lettered event shows under dead letters and its Redrive button delivers it again.
 * No page errors, no request beyond this machine. The screenshots in docs/console/ come from here.
 */
import { randomUUID } from 'node:crypto';
import { fileURLToPath } from 'node:url';
import { request } from 'undici';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type HttpSink, startHttpSink } from '@tributary/testkit';
import { launchBrowser, type TestBrowser } from './support/browser.js';
import {
  startTributary,
  writeManifests,
  type TributaryProcess,
} from './support/tributary-process.js';

// page.evaluate callbacks run in the browser: the few DOM names they use, for the type-check only
// (the test program has Node's types, not the DOM library).
declare const document: any; // eslint-disable-line @typescript-eslint/no-explicit-any
declare function getComputedStyle(element: unknown): any; // eslint-disable-line @typescript-eslint/no-explicit-any

const quickstart = fileURLToPath(new URL('../examples/quickstart/', import.meta.url));
const shots = fileURLToPath(new URL('../docs/console/', import.meta.url));

let browser: TestBrowser;
const procs: TributaryProcess[] = [];
const sinks: HttpSink[] = [];

beforeAll(async () => {
  browser = await launchBrowser();
}, 120_000);

afterAll(async () => {
  await browser?.close();
  for (const p of procs) await p.stop();
  for (const s of sinks) await s.close();
});

async function post(url: string, type: string, id: string, data: unknown): Promise<number> {
  const res = await request(url, {
    method: 'POST',
    headers: {
      'ce-specversion': '1.0',
      'ce-id': id,
      'ce-source': '/e2e/console',
      'ce-type': type,
      'content-type': 'application/json',
    },
    body: JSON.stringify(data),
  });
  await res.body.dump();
  return res.statusCode;
}

function expectClean(): void {
  expect(browser.pageErrors).toEqual([]);
  expect(browser.external).toEqual([]);
}

describe('console on the quickstart', () => {
  let trib: TributaryProcess;
  beforeAll(async () => {
    trib = await startTributary(quickstart);
    procs.push(trib);
  });

  it('serves every client route directly and shows every resource in the topology', async () => {
    for (const p of [
      '/console/',
      '/console/events',
      '/console/deadletters',
      '/console/resources/Trigger/default/orders',
    ]) {
      const res = await request(`${trib.baseUrl}${p}`);
      expect(res.statusCode, p).toBe(200);
      expect(res.headers['content-type']).toContain('text/html');
      await res.body.dump();
    }
    const res = await request(`${trib.baseUrl}/admin/v1/resources`);
    const { items } = (await res.body.json()) as {
      items: Array<{ kind: string; namespace: string; name: string }>;
    };
    expect(items.length).toBeGreaterThan(5);

    const page = await browser.newPage();
    await page.goto(`${trib.baseUrl}/console/`);
    await page.locator('svg.graph').waitFor({ timeout: 30_000 });
    for (const r of items) {
      const id = `${r.kind}/${r.namespace}/${r.name}`;
      await expect
        .poll(() => page.locator(`[data-node-id="${id}"]`).count(), { timeout: 10_000 })
        .toBe(1);
    }
    // Edges: the broker delivers to each trigger, the payments trigger has a dead-letter sink.
    expect(await page.locator('path.edge.delivery').count()).toBeGreaterThanOrEqual(8);
    expect(await page.locator('path.edge.dead-letter').count()).toBeGreaterThanOrEqual(1);
    // Per-trigger figures are drawn on the trigger nodes.
    await expect
      .poll(() => page.locator('[data-node-id="Trigger/default/orders"] .sub').textContent())
      .toMatch(/ev\/s .* p99 .* backlog/);
    await page.screenshot({ path: `${shots}topology.png` });

    // Keyboard: Tab reaches the navigation and a graph node; Enter opens the resource view.
    await page.keyboard.press('Tab');
    await page.keyboard.press('Tab');
    expect(await page.evaluate(() => document.activeElement?.textContent)).toBe('Topology');
    await page.locator('a[aria-label^="Trigger default/orders"]').focus();
    await page.keyboard.press('Enter');
    await page.waitForURL(/\/console\/resources\/Trigger\/default\/orders$/);
    await page.getByText('Ready', { exact: true }).first().waitFor();
    await page
      .getByText(/not available on this server|Pause/)
      .first()
      .waitFor();
    await page.screenshot({ path: `${shots}resource.png` });

    const dark = await browser.newPage({ dark: true });
    await dark.goto(`${trib.baseUrl}/console/`);
    await dark.locator('svg.graph').waitFor({ timeout: 30_000 });
    const bg = await dark.evaluate(() => getComputedStyle(document.body).backgroundColor);
    expect(bg).toBe('rgb(13, 17, 23)');
    await dark.screenshot({ path: `${shots}topology-dark.png` });

    const narrow = await browser.newPage({ width: 390, height: 800 });
    await narrow.goto(`${trib.baseUrl}/console/`);
    await narrow.locator('svg.graph').waitFor({ timeout: 30_000 });
    const overflow = await narrow.evaluate(
      () => document.documentElement.scrollWidth - document.documentElement.clientWidth,
    );
    expect(overflow).toBeLessThanOrEqual(0);
    await narrow.screenshot({ path: `${shots}topology-narrow.png` });
    for (const p of [page, dark, narrow]) await p.close();
    expectClean();
  });

  it('shows a POSTed event in the live tail within 2 s, with its detail; the filter runs on the server', async () => {
    const page = await browser.newPage();
    await page.goto(`${trib.baseUrl}/console/events`);
    await page.getByText('Live', { exact: true }).waitFor({ timeout: 30_000 });

    const id = `hello-${randomUUID()}`;
    expect(
      await post(`${trib.baseUrl}/default/default`, 'com.example.hello', id, { name: 'Ada' }),
    ).toBe(202);
    const row = page.locator(`li.accepted button[data-event-id="${id}"]`);
    await row.waitFor({ timeout: 2_000 });
    await row.click();
    const detail = page.locator('aside.detail');
    await detail.getByText('com.example.hello').first().waitFor();
    await expect.poll(() => detail.locator('pre.data').textContent()).toContain('"name": "Ada"');
    // The greeter's attempt and the outcome follow.
    await detail
      .locator('table.attempts td', { hasText: 'greet' })
      .first()
      .waitFor({ timeout: 10_000 });
    await page.screenshot({ path: `${shots}events.png` });

    // A CESQL filter: only orders pass; a hello sent afterwards does not show.
    await page.getByLabel('CESQL filter').fill("type = 'com.example.order.created'");
    await page.getByRole('button', { name: 'Apply' }).click();
    await page.getByText(/filter: type =/).waitFor();
    await page.getByText('Live', { exact: false }).first().waitFor();
    await page.getByRole('button', { name: 'Clear' }).click();
    // Let the new stream connect before sending (the status line says Live once it is open).
    await expect.poll(() => page.locator('.status-line').textContent()).toMatch(/^Live/);
    const hidden = `hello-${randomUUID()}`;
    const order = `order-${randomUUID()}`;
    expect(await post(`${trib.baseUrl}/default/default`, 'com.example.hello', hidden, {})).toBe(
      202,
    );
    expect(
      await post(`${trib.baseUrl}/default/default`, 'com.example.order.created', order, {}),
    ).toBe(202);
    await page.locator(`li.accepted button[data-event-id="${order}"]`).waitFor({ timeout: 10_000 });
    expect(await page.locator(`button[data-event-id="${hidden}"]`).count()).toBe(0);

    // A bad filter is refused by the server with its reason.
    await page.getByLabel('CESQL filter').fill('type LIKE');
    await page.getByRole('button', { name: 'Apply' }).click();
    await page
      .getByRole('alert')
      .getByText(/not valid CESQL/)
      .waitFor();

    // Pause: new events are counted, not shown.
    await page.getByLabel('CESQL filter').fill('');
    await page.getByRole('button', { name: 'Apply' }).click();
    await expect.poll(() => page.locator('.status-line').textContent()).toMatch(/^Live/);
    await page.getByRole('button', { name: 'Pause' }).click();
    const paused = `hello-${randomUUID()}`;
    expect(await post(`${trib.baseUrl}/default/default`, 'com.example.hello', paused, {})).toBe(
      202,
    );
    await page.getByText(/paused \([1-9]\d* not shown\)/).waitFor({ timeout: 10_000 });
    expect(await page.locator(`button[data-event-id="${paused}"]`).count()).toBe(0);
    await page.getByRole('button', { name: 'Resume' }).click();
    await page.close();
    expectClean();
  });
});

describe('console switches', () => {
  it('--no-console serves no console; --admin-token-file puts it behind the token', async () => {
    const off = await startTributary(quickstart, ['--no-console']);
    procs.push(off);
    const res = await request(`${off.baseUrl}/console/`);
    expect(res.statusCode).not.toBe(200);
    expect(String(res.headers['content-type'])).not.toContain('text/html');
    await res.body.dump();

    const token = `console-token-${randomUUID()}`;
    const dir = writeManifests({ 'token.txt': token });
    const guarded = await startTributary(quickstart, ['--admin-token-file', `${dir}/token.txt`]);
    procs.push(guarded);
    for (const p of ['/console/', '/console/api/graph', '/console/api/stream']) {
      const refused = await request(`${guarded.baseUrl}${p}`);
      expect(refused.statusCode, p).toBe(401);
      await refused.body.dump();
    }
    const ok = await request(`${guarded.baseUrl}/console/`, {
      headers: { authorization: `Bearer ${token}` },
    });
    expect(ok.statusCode).toBe(200);
    expect(await ok.body.text()).toContain('<div id="app">');

    // In a browser: opening the console leads to the sign-in form; a wrong token is refused, the
    // right one sets the SameSite=Strict cookie and the console then loads its data with it.
    const page = await browser.newPage();
    await page.goto(`${guarded.baseUrl}/console/`);
    expect(new URL(page.url()).pathname).toBe('/console/login');
    await page.getByLabel(/Admin token/).fill('not-the-token');
    await page.getByRole('button', { name: 'Sign in' }).click();
    await page.getByRole('alert').waitFor();
    expect(new URL(page.url()).pathname).toBe('/console/login');
    await page.getByLabel(/Admin token/).fill(token);
    await page.getByRole('button', { name: 'Sign in' }).click();
    await page.waitForURL(`${guarded.baseUrl}/console/`);
    await page.getByText('default/orders').first().waitFor({ timeout: 15_000 });
    const cookies = await page.context().cookies();
    const admin = cookies.find((c) => c.name === 'tributary_admin');
    expect(admin?.httpOnly).toBe(true);
    expect(admin?.sameSite).toBe('Strict');
    await page.context().clearCookies();
    await page.close();
    expectClean();
  });
});

describe('console dead letters', () => {
  it('lists a dead-lettered event and its Redrive button delivers it again', async () => {
    let failing = true;
    const sink = await startHttpSink({
      script: () => (failing ? { status: 503, body: 'subscriber down' } : { status: 200 }),
    });
    sinks.push(sink);
    const dir = writeManifests({
      'm.yaml': `apiVersion: eventing.knative.dev/v1
kind: Broker
metadata: { name: shop }
---
apiVersion: eventing.knative.dev/v1
kind: Trigger
metadata: { name: orders }
spec:
  broker: shop
  subscriber: { uri: ${sink.url} }
  delivery: { retry: 1, backoffPolicy: linear, backoffDelay: PT0.1S }
`,
    });
    const trib = await startTributary(dir);
    procs.push(trib);
    const id = `dl-${randomUUID()}`;
    expect(await post(`${trib.baseUrl}/default/shop`, 'order.created', id, { order: id })).toBe(
      202,
    );
    await sink.waitFor(2, 30_000);

    const page = await browser.newPage();
    await page.goto(`${trib.baseUrl}/console/deadletters`);
    const row = page.locator(`tr[data-event-id="${id}"]`);
    await expect
      .poll(
        async () => {
          if ((await row.count()) > 0) return true;
          if ((await page.getByText('not available on this server').count()) > 0)
            throw new Error('this server has no dead-letter store API (/admin/v1/deadletters)');
          await page.getByRole('button', { name: 'Refresh' }).click();
          return false;
        },
        { timeout: 30_000, interval: 500 },
      )
      .toBe(true);
    await row.getByRole('button', { name: /order\.created/ }).click();
    await page.getByText('subscriber down').first().waitFor();
    await page.screenshot({ path: `${shots}deadletters.png` });

    failing = false;
    const before = sink.requests.length;
    await row.getByRole('button', { name: 'Redrive', exact: true }).click();
    await page.locator('.redrive-results [data-outcome="delivered"]').waitFor({ timeout: 30_000 });
    // The sink got the event again after the click, and accepted it this time.
    const redelivered = sink.requests
      .slice(before)
      .filter((r) => r.events.some((e) => e.attributes['id'] === id));
    expect(redelivered.map((r) => r.status)).toContain(200);
    await page.screenshot({ path: `${shots}deadletters-redriven.png` });
    await page.close();
    expectClean();
  });
});

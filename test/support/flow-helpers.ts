import { mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { request } from 'undici';

/** Helpers shared by the flow-control and replay end-to-end tests. */

export const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

export async function until(
  pred: () => boolean | Promise<boolean>,
  ms: number,
  what: () => string,
) {
  const end = Date.now() + ms;
  while (!(await pred())) {
    if (Date.now() > end) throw new Error(`timed out: ${what()}`);
    await sleep(50);
  }
}

/** Posts one binary-mode CloudEvent; resolves with the status (0 when the process died). */
export async function postEvent(url: string, id: string, type: string): Promise<number> {
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
    return res.statusCode;
  } catch {
    return 0;
  }
}

export async function getJson<T>(url: string): Promise<T> {
  const res = await request(url);
  return (await res.body.json()) as T;
}

export async function metricsText(base: string): Promise<string> {
  const res = await request(`${base}/metrics`);
  return res.body.text();
}

/** Fresh temporary directories, removed by `cleanup`. */
export function tempDirs() {
  const dirs: string[] = [];
  return {
    dataDir(): string {
      const d = mkdtempSync(path.join(os.tmpdir(), 'tributary-flow-'));
      dirs.push(d);
      return path.join(d, 'data');
    },
    cleanup() {
      for (const d of dirs.splice(0)) rmSync(d, { recursive: true, force: true });
    },
  };
}

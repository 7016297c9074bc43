import { execFileSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { chromium, type BrowserContext, type Page } from 'playwright-core';

/**
 * A real browser for e2e tests: Debian's `chromium` (installed by scripts/test-prereqs.sh) driven
 * by playwright-core, with a fresh profile. Every request that is not to 127.0.0.1 / localhost is
 * aborted and recorded, and page errors are recorded, so tests can assert there were none.
 */

export interface TestBrowser {
  readonly context: BrowserContext;
  /** URLs the pages tried to reach beyond this machine (aborted). */
  readonly external: string[];
  /** Uncaught errors of any page. */
  readonly pageErrors: string[];
  newPage(options?: { width?: number; height?: number; dark?: boolean }): Promise<Page>;
  close(): Promise<void>;
}

const LOCAL = /^(https?|ws):\/\/(127\.0\.0\.1|localhost|\[::1\])(:\d+)?\//;

export function chromiumPath(): string {
  return execFileSync('sh', ['-c', 'command -v chromium'], { encoding: 'utf8' }).trim();
}

export async function launchBrowser(): Promise<TestBrowser> {
  const profile = mkdtempSync(path.join(os.tmpdir(), 'tributary-chromium-'));
  const context = await chromium.launchPersistentContext(profile, {
    executablePath: chromiumPath(),
    headless: true,
    args: [
      '--headless',
      '--no-sandbox',
      '--disable-gpu',
      '--disable-background-networking',
      '--disable-component-update',
      '--disable-sync',
    ],
    viewport: { width: 1280, height: 800 },
  });
  const external: string[] = [];
  const pageErrors: string[] = [];
  await context.route('**/*', (route) => {
    const url = route.request().url();
    if (LOCAL.test(url) || url.startsWith('data:') || url.startsWith('blob:'))
      return route.continue();
    external.push(url);
    return route.abort();
  });
  for (const p of context.pages()) await p.close();
  return {
    context,
    external,
    pageErrors,
    async newPage(o = {}) {
      const page = await context.newPage();
      page.on('pageerror', (err) => pageErrors.push(`${page.url()}: ${err.message}`));
      await page.setViewportSize({ width: o.width ?? 1280, height: o.height ?? 800 });
      await page.emulateMedia({ colorScheme: o.dark ? 'dark' : 'light' });
      return page;
    },
    async close() {
      await context.close();
      rmSync(profile, { recursive: true, force: true });
    },
  };
}

import { existsSync, readFileSync, statSync } from 'node:fs';
import type { ServerResponse } from 'node:http';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

/**
 * Serves the built front end (`web-dist/`, made by `pnpm build`) from this package: hashed files
 * under `assets/` are cached for good, everything else under `/console/` answers `index.html` so
 * client-side routes load directly (docs/console.md).
 */

/** Where `vite build` writes the front end. */
export const DEFAULT_ASSETS_DIR = fileURLToPath(new URL('../web-dist/', import.meta.url));

const TYPES: Record<string, string> = {
  '.html': 'text/html; charset=utf-8',
  '.js': 'text/javascript; charset=utf-8',
  '.css': 'text/css; charset=utf-8',
  '.svg': 'image/svg+xml',
  '.png': 'image/png',
  '.json': 'application/json',
  '.ico': 'image/x-icon',
};

/** Headers every console page gets: nothing may load from outside the server. */
export const CONSOLE_SECURITY_HEADERS = {
  'content-security-policy':
    "default-src 'self'; img-src 'self' data:; style-src 'self' 'unsafe-inline'; connect-src 'self'; worker-src 'self' blob:; frame-ancestors 'none'",
  'x-content-type-options': 'nosniff',
  'referrer-policy': 'no-referrer',
};

export function assetsBuilt(dir: string): boolean {
  return existsSync(path.join(dir, 'index.html'));
}

/**
 * Answers `rel` (the path below `/console/`) from `dir`; returns false when it is not a file
 * there (the caller then serves index.html).
 */
export function sendAsset(res: ServerResponse, dir: string, rel: string): boolean {
  const decoded = safeDecode(rel);
  if (decoded === undefined || decoded === '' || decoded.endsWith('/')) return false;
  const file = path.resolve(dir, decoded);
  if (!file.startsWith(path.resolve(dir) + path.sep)) return false;
  if (!existsSync(file) || !statSync(file).isFile()) return false;
  const body = readFileSync(file);
  res.writeHead(200, {
    ...CONSOLE_SECURITY_HEADERS,
    'content-type': TYPES[path.extname(file)] ?? 'application/octet-stream',
    'content-length': body.length,
    'cache-control': decoded.startsWith('assets/')
      ? 'public, max-age=31536000, immutable'
      : 'no-cache',
  });
  res.end(body);
  return true;
}

export function sendIndex(res: ServerResponse, dir: string): void {
  const body = readFileSync(path.join(dir, 'index.html'));
  res.writeHead(200, {
    ...CONSOLE_SECURITY_HEADERS,
    'content-type': TYPES['.html']!,
    'content-length': body.length,
    'cache-control': 'no-cache',
  });
  res.end(body);
}

function safeDecode(s: string): string | undefined {
  try {
    return decodeURIComponent(s);
  } catch {
    return undefined;
  }
}

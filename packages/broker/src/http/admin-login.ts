/**
 * Signing in to the admin endpoints from a browser (docs/security.md, "The console and the admin
 * token"). A browser cannot add `Authorization: Bearer` to a page it opens, so with
 * `--admin-token-file` the console would be out of reach. `GET /console/login` serves a one-field
 * form; `POST /console/login` checks the token and sets it as an HttpOnly, SameSite=Strict cookie
 * that the admin rule accepts like the header. SameSite=Strict keeps other sites' pages from using
 * it (no cross-site request carries it), so the write endpoints stay safe from cross-site forgery.
 */
import { createHash, timingSafeEqual } from 'node:crypto';
import type { IncomingMessage, ServerResponse } from 'node:http';
import { readBody } from './read-body.js';

export const ADMIN_LOGIN_PATH = '/console/login';
export const ADMIN_COOKIE = 'tributary_admin';

/** The longest form a sign-in may post. */
const MAX_LOGIN_BYTES = 4096;

/** Constant-time comparison of a presented token with the configured one. */
export function tokenMatches(presented: string, token: string): boolean {
  const a = createHash('sha256').update(presented).digest();
  const b = createHash('sha256').update(token).digest();
  return timingSafeEqual(a, b);
}

/** The admin token carried by the request's `tributary_admin` cookie, if any. */
export function adminCookie(req: IncomingMessage): string | undefined {
  const header = req.headers.cookie;
  if (!header) return undefined;
  for (const part of header.split(';')) {
    const eq = part.indexOf('=');
    if (eq === -1 || part.slice(0, eq).trim() !== ADMIN_COOKIE) continue;
    try {
      return decodeURIComponent(part.slice(eq + 1).trim());
    } catch {
      return undefined;
    }
  }
  return undefined;
}

const page = (message: string) => `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width">
<title>Tributary — sign in</title>
<style>
  body { font: 16px system-ui, sans-serif; display: grid; place-items: center; min-height: 90vh; }
  @media (prefers-color-scheme: dark) { body { background: #111; color: #eee; } }
  form { display: grid; gap: .75rem; min-width: min(22rem, 90vw); }
  input, button { font: inherit; padding: .5rem; }
  p.error { color: #c62828; margin: 0; }
</style></head>
<body><form method="post" action="${ADMIN_LOGIN_PATH}">
  <h1>Tributary console</h1>
  <label for="token">Admin token (the contents of <code>--admin-token-file</code>)</label>
  <input id="token" name="token" type="password" autocomplete="current-password" required autofocus>
  ${message ? `<p class="error" role="alert">${message}</p>` : ''}
  <button type="submit">Sign in</button>
</form></body></html>
`;

function sendPage(res: ServerResponse, status: number, message = ''): void {
  res.writeHead(status, {
    'content-type': 'text/html; charset=utf-8',
    'content-security-policy': "default-src 'none'; style-src 'unsafe-inline'; form-action 'self'",
    'cache-control': 'no-store',
  });
  res.end(page(message));
}

/** Answers `GET` and `POST /console/login`; `secure` adds the cookie's Secure flag (HTTPS). */
export async function handleAdminLogin(
  req: IncomingMessage,
  res: ServerResponse,
  token: string | undefined,
  secure: boolean,
): Promise<void> {
  if (token === undefined) {
    // No token configured: nothing to sign in to.
    res.writeHead(303, { location: '/console/' });
    res.end();
    return;
  }
  if (req.method === 'GET' || req.method === 'HEAD') return sendPage(res, 200);
  if (req.method !== 'POST') {
    res.writeHead(405, { allow: 'GET, POST' });
    res.end();
    return;
  }
  const body = await readBody(req, MAX_LOGIN_BYTES);
  const presented = new URLSearchParams(body.toString('utf8')).get('token') ?? '';
  if (!tokenMatches(presented, token))
    return sendPage(res, 401, 'That is not the admin token. Paste the contents of the token file.');
  const cookie = [
    `${ADMIN_COOKIE}=${encodeURIComponent(token)}`,
    'HttpOnly',
    'SameSite=Strict',
    'Path=/',
    ...(secure ? ['Secure'] : []),
  ].join('; ');
  res.writeHead(303, { location: '/console/', 'set-cookie': cookie, 'cache-control': 'no-store' });
  res.end();
}

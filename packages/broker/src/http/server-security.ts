/**
 * Transport and exposure of the one HTTP server (docs/security.md): TLS with certificate reload,
 * the admin token / loopback rule for operations endpoints, and the limits that keep slow or
 * greedy clients from starving others.
 */
import { adminCookie, tokenMatches } from './admin-login.js';
import { readFileSync, unwatchFile, watchFile } from 'node:fs';
import type { IncomingMessage, Server } from 'node:http';
import type { SecureContextOptions, TlsOptions } from 'node:tls';
import type { Logger } from '@tributary/core';

/** `--tls-cert`, `--tls-key`, `--tls-client-ca`, `--tls-min-version`. */
export interface TlsFiles {
  readonly certFile: string;
  readonly keyFile: string;
  /** PEM of the CAs whose client certificates are accepted (mutual TLS: others are refused). */
  readonly clientCaFile?: string | undefined;
  /** @default 'TLSv1.2' */
  readonly minVersion?: 'TLSv1.2' | 'TLSv1.3' | undefined;
  /** How often the files are checked for changes. @default 2000 */
  readonly reloadIntervalMs?: number | undefined;
}

/** Server limits; every field has a documented default (docs/security.md). */
export interface ServerLimits {
  /** Time for the request headers to arrive. @default 10000 */
  readonly headersTimeoutMs?: number;
  /** Time for the whole request (headers and body) to arrive. @default 30000 */
  readonly requestTimeoutMs?: number;
  /** Idle time of a keep-alive connection between requests. @default 5000 */
  readonly keepAliveTimeoutMs?: number;
  /** Requests served on one keep-alive connection before it is closed. @default 10000 */
  readonly maxRequestsPerSocket?: number;
  /** Open connections per client address; more are closed at once. @default 256 */
  readonly maxConnectionsPerClient?: number;
  /** Largest request header block in bytes. @default 16384 */
  readonly maxHeaderBytes?: number;
}

export const DEFAULT_LIMITS: Required<ServerLimits> = {
  headersTimeoutMs: 10_000,
  requestTimeoutMs: 30_000,
  keepAliveTimeoutMs: 5_000,
  maxRequestsPerSocket: 10_000,
  maxConnectionsPerClient: 256,
  maxHeaderBytes: 16 * 1024,
};

/** Who may use `/admin/*`, `/metrics` and `/console`. */
export interface AdminAccess {
  /** The bearer token of `--admin-token-file`; when set, every admin request must carry it. */
  readonly token?: string | undefined;
}

/** Paths of the operations endpoints the admin rule protects. */
export function isAdminPath(path: string): boolean {
  return (
    path === '/metrics' ||
    path.startsWith('/admin/') ||
    path === '/admin' ||
    path === '/console' ||
    path.startsWith('/console/')
  );
}

/** True for 127.0.0.0/8, ::1 and IPv4-mapped loopback. */
export function isLoopback(address: string | undefined): boolean {
  if (!address) return false;
  const a = address.startsWith('::ffff:') ? address.slice(7) : address;
  return a === '::1' || a === 'localhost' || /^127\./.test(a);
}

/**
 * The admin rule: with a token, a request needs `Authorization: Bearer <token>` (401 otherwise);
 * without one, a server bound to a non-loopback address answers admin paths only to loopback
 * clients (403 otherwise). Returns the refusal, or undefined when allowed.
 */
export function checkAdminAccess(
  req: IncomingMessage,
  access: AdminAccess,
  boundToLoopback: boolean,
): { status: 401 | 403; message: string } | undefined {
  if (access.token !== undefined) {
    const h = req.headers['authorization'];
    const m = typeof h === 'string' ? /^Bearer[ ]+(\S+)\s*$/i.exec(h) : null;
    // A browser signed in at /console/login carries the token in a SameSite=Strict cookie instead.
    const presented = m ? m[1]! : adminCookie(req);
    if (presented === undefined)
      return {
        status: 401,
        message:
          'admin endpoints need Authorization: Bearer <admin token> (in a browser, sign in at /console/login)',
      };
    return tokenMatches(presented, access.token)
      ? undefined
      : { status: 401, message: 'the admin token is not valid' };
  }
  if (boundToLoopback || isLoopback(req.socket.remoteAddress)) return undefined;
  return {
    status: 403,
    message:
      'admin endpoints answer only on loopback; configure --admin-token-file to reach them from elsewhere',
  };
}

/** Reads the TLS files into secure-context options. */
export function readTlsOptions(tls: TlsFiles): TlsOptions & SecureContextOptions {
  const opts: TlsOptions & SecureContextOptions = {
    cert: readFileSync(tls.certFile),
    key: readFileSync(tls.keyFile),
    minVersion: tls.minVersion ?? 'TLSv1.2',
  };
  if (tls.clientCaFile) {
    opts.ca = readFileSync(tls.clientCaFile);
    opts.requestCert = true;
    opts.rejectUnauthorized = true;
  }
  return opts;
}

/**
 * Reloads the certificate files into `server` when they change (checked every
 * `reloadIntervalMs`). A half-written or invalid pair keeps the previous one and logs an error.
 * Returns the function that stops watching.
 */
export function watchTlsFiles(
  server: { setSecureContext(o: SecureContextOptions): void },
  tls: TlsFiles,
  log: Logger,
): () => void {
  const files = [tls.certFile, tls.keyFile, ...(tls.clientCaFile ? [tls.clientCaFile] : [])];
  let timer: NodeJS.Timeout | undefined;
  const reload = () => {
    clearTimeout(timer);
    // Let both files be written before reading them.
    timer = setTimeout(() => {
      try {
        server.setSecureContext(readTlsOptions(tls));
        log.info({ cert: tls.certFile }, 'TLS certificate reloaded');
      } catch (err) {
        log.error(
          { err: (err as Error).message },
          'TLS certificate reload failed; keeping the previous one',
        );
      }
    }, 200);
  };
  const interval = tls.reloadIntervalMs ?? 2_000;
  for (const f of files) watchFile(f, { interval, persistent: false }, reload);
  return () => {
    clearTimeout(timer);
    for (const f of files) unwatchFile(f, reload);
  };
}

/** Applies the limits to a node:http(s) server, including the per-client connection cap. */
export function applyLimits(server: Server, limits: ServerLimits): void {
  const l = { ...DEFAULT_LIMITS, ...limits };
  server.headersTimeout = l.headersTimeoutMs;
  server.requestTimeout = l.requestTimeoutMs;
  server.keepAliveTimeout = l.keepAliveTimeoutMs;
  server.maxRequestsPerSocket = l.maxRequestsPerSocket;
  // Node checks request timeouts on this interval; keep it below the smallest timeout.
  const perClient = new Map<string, number>();
  server.on('connection', (socket) => {
    const who = socket.remoteAddress ?? '';
    const n = (perClient.get(who) ?? 0) + 1;
    if (n > l.maxConnectionsPerClient) {
      socket.destroy();
      return;
    }
    perClient.set(who, n);
    socket.once('close', () => {
      const left = (perClient.get(who) ?? 1) - 1;
      if (left <= 0) perClient.delete(who);
      else perClient.set(who, left);
    });
  });
}

import type { IncomingMessage } from 'node:http';
import { describe, expect, it } from 'vitest';
import { checkAdminAccess, isAdminPath, isLoopback } from './server-security.js';

const req = (remoteAddress: string, authorization?: string) =>
  ({
    headers: authorization ? { authorization } : {},
    socket: { remoteAddress },
  }) as unknown as IncomingMessage;

describe('admin access', () => {
  it('protects /admin/*, /metrics and /console only', () => {
    expect(
      ['/metrics', '/admin/v1/resources', '/console', '/console/app.js'].every(isAdminPath),
    ).toBe(true);
    expect(
      ['/default/b', '/.well-known/jwks.json', '/healthz', '/metricsx'].some(isAdminPath),
    ).toBe(false);
  });

  it('without a token: loopback clients only when bound to a non-loopback address', () => {
    expect(checkAdminAccess(req('10.1.2.3'), {}, true)).toBeUndefined();
    expect(checkAdminAccess(req('10.1.2.3'), {}, false)?.status).toBe(403);
    expect(checkAdminAccess(req('::ffff:127.0.0.1'), {}, false)).toBeUndefined();
  });

  it('with a token: every client needs it, loopback included', () => {
    const a = { token: 'the-admin-token-123' };
    expect(checkAdminAccess(req('127.0.0.1'), a, true)?.status).toBe(401);
    expect(checkAdminAccess(req('127.0.0.1', 'Bearer wrong'), a, true)?.status).toBe(401);
    expect(
      checkAdminAccess(req('10.0.0.9', 'Bearer the-admin-token-123'), a, false),
    ).toBeUndefined();
  });

  it('with a token: the sign-in cookie counts like the header, and a wrong one does not', () => {
    const a = { token: 'the admin;token=1' };
    const withCookie = (cookie: string) =>
      ({
        headers: { cookie },
        socket: { remoteAddress: '10.0.0.9' },
      }) as unknown as IncomingMessage;
    const good = `other=1; tributary_admin=${encodeURIComponent(a.token)}`;
    expect(checkAdminAccess(withCookie(good), a, false)).toBeUndefined();
    expect(checkAdminAccess(withCookie('tributary_admin=wrong'), a, false)?.status).toBe(401);
    expect(checkAdminAccess(withCookie('tributary_admin=%E0%A4%A'), a, false)?.status).toBe(401);
    expect(checkAdminAccess(withCookie('tributary_adminx=wrong'), a, false)?.message).toMatch(
      /sign in at \/console\/login/,
    );
  });

  it('knows loopback addresses', () => {
    expect(['127.0.0.1', '127.4.5.6', '::1', 'localhost'].every(isLoopback)).toBe(true);
    expect(['0.0.0.0', '::', '10.0.0.1'].some(isLoopback)).toBe(false);
  });
});

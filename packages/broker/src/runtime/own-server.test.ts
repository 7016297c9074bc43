import { describe, expect, it } from 'vitest';
import { isOwnServer } from './own-server.js';

const bound = (address: string, port = 8080) => ({ address, port, family: 'IPv4' });

describe('isOwnServer', () => {
  it.each([
    ['http://127.0.0.1:8080/ns/b', bound('127.0.0.1'), true],
    ['http://localhost:8080/ns/b', bound('127.0.0.1'), true],
    ['http://[::1]:8080/ns/b', bound('127.0.0.1'), true],
    ['http://10.0.0.5:8080/ns/b', bound('10.0.0.5'), true],
    ['http://my-host:8080/ns/b', bound('0.0.0.0'), true],
    ['http://127.0.0.1:8081/ns/b', bound('127.0.0.1'), false],
    ['http://example.com:8080/ns/b', bound('127.0.0.1'), false],
    ['https://127.0.0.1:8080/ns/b', bound('127.0.0.1'), false],
    ['http://127.0.0.1/ns/b', bound('127.0.0.1', 80), true],
  ])('%s on %o → %s', (url, address, own) => {
    expect(isOwnServer(new URL(url), address)).toBe(own);
  });
  it('is false before the server listens', () => {
    expect(isOwnServer(new URL('http://127.0.0.1:8080/'), undefined)).toBe(false);
  });
});

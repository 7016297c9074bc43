import { createCipheriv, randomBytes } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import type { CloudEvent } from '@tributary/core';
import { compileCesql } from './cesql.js';
import {
  knVerifyCorrelationId,
  parseCorrelationId,
  sealCorrelationId,
  verifyCorrelationId,
} from './correlation-id.js';
import { validateTriggerFilters } from '../validate.js';

const key = Buffer.from('0123456789abcdef0123456789abcdef');
const event = (replyid?: string): CloudEvent => ({
  attributes: {
    specversion: '1.0',
    id: 'e',
    source: '/s',
    type: 't',
    ...(replyid === undefined ? {} : { replyid }),
  },
});

describe('correlation ids (Knative RequestReply format)', () => {
  it('seals as <id>:<base64url with padding of nonce|ciphertext|tag>:<index> and verifies', () => {
    for (const k of [randomBytes(16), randomBytes(24), key]) {
      const id = sealCorrelationId('order-1', k, 7);
      expect(id).toMatch(/^order-1:[A-Za-z0-9_-]+={0,2}:7$/);
      const sealed = Buffer.from(id.split(':')[1]!, 'base64url');
      expect(sealed.byteLength).toBe(12 + 'order-1'.length + 16);
      expect(verifyCorrelationId(id, [k])).toBe(true);
    }
  });

  it('accepts an id sealed the way Knative seals it (AES-GCM, 12-byte nonce first, tag last)', () => {
    const nonce = randomBytes(12);
    const c = createCipheriv('aes-256-gcm', key, nonce);
    const sealed = Buffer.concat([nonce, c.update('abc'), c.final(), c.getAuthTag()]);
    const goUrlEncoding = sealed.toString('base64').replace(/\+/g, '-').replace(/\//g, '_');
    expect(verifyCorrelationId(`abc:${goUrlEncoding}:0`, [key])).toBe(true);
  });

  it('refuses forgeries: another key, a tampered sealed part, another id, a wrong shape', () => {
    const id = sealCorrelationId('order-1', key, 3);
    const [, sealed] = id.split(':') as [string, string];
    const flipped = `${sealed[0] === 'A' ? 'B' : 'A'}${sealed.slice(1)}`;
    expect(verifyCorrelationId(id, [randomBytes(32)])).toBe(false);
    expect(verifyCorrelationId(`order-1:${flipped}:3`, [key])).toBe(false);
    expect(verifyCorrelationId(`order-2:${sealed}:3`, [key])).toBe(false);
    expect(verifyCorrelationId(`order-1:${sealed}`, [key])).toBe(false);
    expect(verifyCorrelationId(`order-1:${sealed}:x`, [key])).toBe(false);
    expect(verifyCorrelationId(`order-1:!!!:3`, [key])).toBe(false);
    expect(verifyCorrelationId(`order-1:${'A'.repeat(5000)}:3`, [key])).toBe(false);
    expect(verifyCorrelationId(id, [Buffer.from('short')])).toBe(false);
  });

  it('verifies with any of several keys (rotation)', () => {
    const old = randomBytes(32);
    const id = sealCorrelationId('r', old, 1);
    expect(verifyCorrelationId(id, [key, old])).toBe(true);
    expect(parseCorrelationId(id)).toMatchObject({ id: 'r', index: 1 });
  });

  it('KN_VERIFY_CORRELATION_ID checks the index modulo the replica count, then the keys of name/namespace', () => {
    const lookup = (secret: string, ns: string, name: string) =>
      secret === 'request-reply-keys' && ns === 'default' && name === 'rr' ? [key] : [];
    const id = sealCorrelationId('q', key, 5);
    expect(knVerifyCorrelationId(lookup, id, 'rr', 'default', 'request-reply-keys', 5, 10)).toBe(
      true,
    );
    expect(knVerifyCorrelationId(lookup, id, 'rr', 'default', 'request-reply-keys', 1, 2)).toBe(
      true,
    );
    expect(knVerifyCorrelationId(lookup, id, 'rr', 'default', 'request-reply-keys', 0, 2)).toBe(
      false,
    );
    expect(knVerifyCorrelationId(lookup, id, 'other', 'default', 'request-reply-keys', 5, 10)).toBe(
      false,
    );
    expect(knVerifyCorrelationId(undefined, id, 'rr', 'default', 'request-reply-keys', 5, 10)).toBe(
      false,
    );
    expect(knVerifyCorrelationId(lookup, id, 'rr', 'default', 'request-reply-keys', 5, 0)).toBe(
      false,
    );
  });
});

describe('CESQL KN_VERIFY_CORRELATION_ID', () => {
  const expr = 'KN_VERIFY_CORRELATION_ID(replyid, "rr", "default", "request-reply-keys", 0, 1)';
  const correlationKeys = () => [key];

  it('is in the function table with Knative signature (6 arguments), so triggers validate', () => {
    expect(validateTriggerFilters({ filters: [{ cesql: expr }] })).toEqual([]);
    const wrong = validateTriggerFilters({
      filters: [{ cesql: 'KN_VERIFY_CORRELATION_ID(replyid, "rr")' }],
    });
    expect(wrong[0]?.message).toContain(
      'no function KN_VERIFY_CORRELATION_ID taking 2 argument(s)',
    );
  });

  it('passes genuine ids and fails forged or missing ones', () => {
    const c = compileCesql(expr, { correlationKeys });
    expect(c.test(event(sealCorrelationId('e', key, 9)))).toBe(true);
    expect(c.test(event(sealCorrelationId('e', randomBytes(32), 9)))).toBe(false);
    expect(c.test(event('e:abc:0'))).toBe(false);
    expect(c.test(event())).toBe(false);
  });

  it('is false without keys (no Secret known)', () => {
    expect(compileCesql(expr).test(event(sealCorrelationId('e', key, 0)))).toBe(false);
  });
});

import { describe, expect, it } from 'vitest';
import { SecretScrubber, redactUrl, redactUrlsInText } from './redact.js';

describe('redaction', () => {
  it('hides user info and query values of URLs, keeping host, path and query names', () => {
    expect(redactUrl('http://user:pass@host:8080/p?token=abc&x=1')).toBe(
      'http://REDACTED:REDACTED@host:8080/p?token=REDACTED&x=REDACTED',
    );
    expect(redactUrl('http://host/p')).toBe('http://host/p');
  });

  it('scrubs URLs inside text and JSON log lines', () => {
    const line = JSON.stringify({ url: 'amqp://guest:s3cret@127.0.0.1:5672/?sig=zzz' });
    const out = redactUrlsInText(line);
    expect(out).not.toContain('s3cret');
    expect(out).not.toContain('zzz');
    expect(out).toContain('127.0.0.1:5672');
  });

  it('scrubs registered secret values, also JSON-escaped', () => {
    const s = new SecretScrubber();
    s.setValues(['topsecret"value', 'ab']);
    const line = JSON.stringify({ msg: 'x topsecret"value y', short: 'ab' });
    const out = s.scrub(line);
    expect(out).not.toContain('topsecret');
    expect(out).toContain('"short":"ab"');
  });
});

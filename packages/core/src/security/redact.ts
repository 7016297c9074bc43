/**
 * Redaction: credentials written inside URLs (`user:pass@`, query values such as `?token=`) and
 * Secret values never appear in logs, errors, `/admin`, `/metrics` or `tributary get`
 * (docs/security.md). Every place that shows a URL or writes a log line uses these helpers.
 */

/** What replaces a hidden value. */
export const REDACTED = 'REDACTED';

/**
 * A URL safe to show: the password (and user) of `user:pass@host` and every query value are
 * replaced by `REDACTED`; the scheme, host, path and query names stay. A string that is not a URL is
 * scrubbed with {@link redactUrlsInText}.
 */
export function redactUrl(url: string): string {
  let u: URL;
  try {
    u = new URL(url);
  } catch {
    return redactUrlsInText(url);
  }
  if (!u.username && !u.password && !u.search) return url;
  if (u.username) u.username = REDACTED;
  if (u.password) u.password = REDACTED;
  if (u.search) {
    const names = [...new Set(u.searchParams.keys())];
    u.search = names.map((n) => `${encodeURIComponent(n)}=${REDACTED}`).join('&');
  }
  return u.toString();
}

const USERINFO = /([a-z][a-z0-9+.-]*:\/\/)[^\s/@"'<>]+@/gi;
const QUERY_VALUE = /([?&][^=\s&#"'<>]+=)[^&\s#"'<>]+/g;

/** Replaces `scheme://user:pass@` and URL query values inside free text (log lines, messages). */
export function redactUrlsInText(text: string): string {
  if (!text.includes('@') && !text.includes('=')) return text;
  return text.replace(USERINFO, `$1${REDACTED}@`).replace(QUERY_VALUE, (m, key: string) => {
    // Only scrub query strings of URLs, not `a=b` prose: the key starts after ? or & .
    return `${key}${REDACTED}`;
  });
}

/**
 * Scrubs known secret values from text. Values shorter than 4 characters are not scrubbed (they
 * would match everywhere); keep secrets longer than that.
 */
export class SecretScrubber {
  #values: string[] = [];

  /** Replaces the set of secret values to hide. */
  setValues(values: Iterable<string>): void {
    this.#values = [...new Set([...values].filter((v) => v.length >= 4))].sort(
      (a, b) => b.length - a.length,
    );
  }

  /** Adds values to hide (e.g. a secretKeyRef resolved from the environment). */
  add(...values: string[]): void {
    this.setValues([...this.#values, ...values]);
  }

  /** `text` with every secret value, URL credential and URL query value replaced by REDACTED. */
  scrub(text: string): string {
    let out = text;
    for (const v of this.#values) {
      if (out.includes(v)) out = out.split(v).join(REDACTED);
      const json = JSON.stringify(v).slice(1, -1);
      if (json !== v && out.includes(json)) out = out.split(json).join(REDACTED);
    }
    return redactUrlsInText(out);
  }
}

/**
 * LIKE patterns (spec §3.4.3): `%` is any run of characters, `_` exactly one character, and
 * `\%`, `\_` stand for the characters themselves. A backslash before anything else is an ordinary
 * character (so `'ab\c' LIKE 'ab\c'` holds, as the TCK requires). Matching is case-sensitive.
 *
 * Patterns are compiled once: without `_` they become prefix/suffix/substring checks, otherwise
 * an anchored regular expression over code points.
 */

type Piece =
  { readonly kind: 'text'; text: string } | { readonly kind: '%' } | { readonly kind: '_' };

function pieces(pattern: string): Piece[] {
  const out: Piece[] = [];
  const text = (ch: string): void => {
    const last = out[out.length - 1];
    if (last?.kind === 'text') last.text += ch;
    else out.push({ kind: 'text', text: ch });
  };
  for (let i = 0; i < pattern.length; i++) {
    const ch = pattern[i]!;
    if (ch === '\\' && (pattern[i + 1] === '%' || pattern[i + 1] === '_')) {
      text(pattern[i + 1]!);
      i++;
    } else if (ch === '%') {
      if (out[out.length - 1]?.kind !== '%') out.push({ kind: '%' });
    } else if (ch === '_') out.push({ kind: '_' });
    else text(ch);
  }
  return out;
}

/** Compiles a LIKE pattern into a predicate on strings. */
export function compileLike(pattern: string): (s: string) => boolean {
  const ps = pieces(pattern);
  if (ps.some((p) => p.kind === '_')) {
    const source = ps
      .map((p) =>
        p.kind === '%'
          ? '.*'
          : p.kind === '_'
            ? '.'
            : p.text.replace(/[.*+?^${}()|[\]\\/]/g, '\\$&'),
      )
      .join('');
    const re = new RegExp(`^${source}$`, 'su');
    return (s) => re.test(s);
  }
  // Only text and '%': split into literal runs between wildcards.
  const runs: string[] = [''];
  for (const p of ps) {
    if (p.kind === '%') runs.push('');
    else runs[runs.length - 1] += (p as { text: string }).text;
  }
  if (runs.length === 1) {
    const lit = runs[0]!;
    return (s) => s === lit;
  }
  const prefix = runs[0]!;
  const suffix = runs[runs.length - 1]!;
  const middle = runs.slice(1, -1);
  const minLength = prefix.length + suffix.length;
  if (middle.length === 0) {
    if (suffix === '') return prefix === '' ? () => true : (s) => s.startsWith(prefix);
    if (prefix === '') return (s) => s.endsWith(suffix);
    return (s) => s.length >= minLength && s.startsWith(prefix) && s.endsWith(suffix);
  }
  if (middle.length === 1 && prefix === '' && suffix === '') {
    const mid = middle[0]!;
    return (s) => s.includes(mid);
  }
  return (s) => {
    if (s.length < minLength || !s.startsWith(prefix) || !s.endsWith(suffix)) return false;
    let from = prefix.length;
    const limit = s.length - suffix.length;
    for (const m of middle) {
      const at = s.indexOf(m, from);
      if (at === -1 || at + m.length > limit) return false;
      from = at + m.length;
    }
    return true;
  };
}

/**
 * CESQL lexer (grammar `CESQLLexer.g4` of cloudevents/spec). Keywords are case-insensitive;
 * whitespace is space, tab, CR and LF.
 */
import { CesqlParseError } from '../errors.js';

export type TokenKind =
  | 'word' // identifier, function name or keyword (see `keyword`)
  | 'int' // digits only (a sign is a separate token, folded by the parser)
  | 'string'
  | '('
  | ')'
  | ','
  | '.'
  | '*'
  | '/'
  | '%'
  | '+'
  | '-'
  | '='
  | '!='
  | '<>'
  | '<='
  | '>='
  | '<'
  | '>'
  | 'eof';

/** Keywords of the language, upper-cased. */
export const KEYWORDS = new Set([
  'AND',
  'OR',
  'XOR',
  'NOT',
  'LIKE',
  'EXISTS',
  'IN',
  'TRUE',
  'FALSE',
]);

export interface Token {
  readonly kind: TokenKind;
  /** The text as written (for strings: the unescaped value). */
  readonly text: string;
  /** Upper-cased keyword when a `word` is one, else ''. */
  readonly keyword: string;
  /** 0-based offset of the first character. */
  readonly start: number;
  /** 0-based offset after the last character. */
  readonly end: number;
}

const WORD_CHAR = /[A-Za-z0-9_]/;

/** Splits an expression into tokens, ending with one `eof` token. Throws CesqlParseError. */
export function tokenize(src: string): Token[] {
  const tokens: Token[] = [];
  let i = 0;
  const push = (kind: TokenKind, text: string, start: number, keyword = ''): void => {
    tokens.push({ kind, text, keyword, start, end: i });
  };
  while (i < src.length) {
    const ch = src[i]!;
    if (ch === ' ' || ch === '\t' || ch === '\r' || ch === '\n') {
      i++;
      continue;
    }
    const start = i;
    if (WORD_CHAR.test(ch)) {
      while (i < src.length && WORD_CHAR.test(src[i]!)) i++;
      const text = src.slice(start, i);
      if (/^[0-9]+$/.test(text)) push('int', text, start);
      else {
        const upper = text.toUpperCase();
        push('word', text, start, KEYWORDS.has(upper) ? upper : '');
      }
      continue;
    }
    if (ch === "'" || ch === '"') {
      push('string', readString(src, ch), start);
      continue;
    }
    const two = src.slice(i, i + 2);
    if (two === '!=' || two === '<>' || two === '<=' || two === '>=') {
      i += 2;
      push(two, two, start);
      continue;
    }
    if ('()*/%+-=<>,.'.includes(ch)) {
      i++;
      push(ch as TokenKind, ch, start);
      continue;
    }
    throw new CesqlParseError(src, start, 'an expression token', `'${ch}'`);
  }
  push('eof', '', i);
  return tokens;

  /**
   * Reads a quoted string starting at `i`. Inside, `\q` and a doubled quote stand for the quote;
   * any other backslash sequence is kept as written (LIKE gives `\%`, `\_` their meaning).
   */
  function readString(s: string, quote: string): string {
    const open = i;
    i++;
    let out = '';
    while (i < s.length) {
      const c = s[i]!;
      if (c === '\\' && i + 1 < s.length) {
        const next = s[i + 1]!;
        out += next === quote ? quote : c + next;
        i += 2;
      } else if (c === quote) {
        if (s[i + 1] === quote) {
          out += quote;
          i += 2;
        } else {
          i++;
          return out;
        }
      } else {
        out += c;
        i++;
      }
    }
    throw new CesqlParseError(
      s,
      open,
      `a closing ${quote} for the string started here`,
      'end of expression',
    );
  }
}

/** How a token is shown in parse errors. */
export function describeToken(t: Token): string {
  if (t.kind === 'eof') return 'end of expression';
  if (t.kind === 'string') return 'a string literal';
  return `'${t.text}'`;
}

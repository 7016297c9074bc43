/**
 * Reading YAML text into documents: each document's value, where it starts, and a locator for the
 * positions of its fields. Two parsers, one meaning (YAML 1.2, core schema):
 *
 * - js-yaml reads the text. It builds plain values straight from its parser's events, with about
 *   a quarter of the CPU the `yaml` library needs to build its documents, which was a quarter of
 *   `tributary run`'s start-up (docs/architecture.md, "Start-up").
 * - The `yaml` library's documents give the positions of fields when a problem needs one (parsed
 *   once per text, on first use), and read every text js-yaml refuses: aliases, `%` directives,
 *   anything it reports as an error. So YAML syntax errors, their positions, the alias limit and
 *   YAML 1.1 under `%YAML 1.1` stay exactly what the `yaml` library gives.
 *
 * `yaml-documents.test.ts` checks that both read the same values and document starts.
 */
import { CORE_SCHEMA, EVENT_ID, constructFromEvents, parseEvents, type Event } from 'js-yaml';
import { LineCounter, parseAllDocuments } from 'yaml';
import type { ValidationProblem } from '../errors.js';
import { noPositions, yamlLocator, type Locate, type Position } from './positions.js';

/** One YAML document: its value (`null` for an empty one) and the positions of its fields. */
export interface YamlDocument {
  readonly value: unknown;
  readonly locate: Locate;
}

/** The documents of a text (empty ones included, in order) and its YAML problems. */
export interface YamlDocuments {
  readonly documents: readonly YamlDocument[];
  readonly problems: readonly ValidationProblem[];
  /** Which parser read the values. */
  readonly readBy: 'js-yaml' | 'yaml';
}

/** Aliases the `yaml` library expands per document before it reports an alias bomb. */
const MAX_ALIAS_COUNT = 100;

const yamlProblem = (file: string, message: string, at: Position): ValidationProblem => ({
  file,
  line: at.line,
  col: at.col,
  resource: '-',
  path: '',
  message,
});

/** Reads `text` (from `file`, for messages) into documents. */
export function readYamlDocuments(file: string, text: string): YamlDocuments {
  return readFast(text) ?? readWithYamlLibrary(file, text);
}

/** The `yaml` library's reading: documents with positions, and its errors as problems. */
function readWithYamlLibrary(file: string, text: string): YamlDocuments {
  const lineCounter = new LineCounter();
  const documents: YamlDocument[] = [];
  const problems: ValidationProblem[] = [];
  for (const doc of parseAllDocuments(text, { lineCounter, prettyErrors: false })) {
    const locate = yamlLocator(doc, lineCounter);
    if (doc.errors.length) {
      for (const e of doc.errors) {
        const at = e.linePos?.[0] ?? lineCounter.linePos(e.pos[0]);
        problems.push(yamlProblem(file, `YAML syntax error: ${e.message.split('\n')[0]}`, at));
      }
      documents.push({ value: undefined, locate });
      continue;
    }
    if (doc.contents === null) {
      documents.push({ value: null, locate });
      continue;
    }
    try {
      documents.push({ value: doc.toJS({ maxAliasCount: MAX_ALIAS_COUNT }), locate });
    } catch (err) {
      const at = lineCounter.linePos(doc.range[0]);
      problems.push(
        yamlProblem(file, `YAML error: ${err instanceof Error ? err.message : String(err)}`, at),
      );
      documents.push({ value: undefined, locate });
    }
  }
  return { documents, problems, readBy: 'yaml' };
}

/**
 * js-yaml's reading, or undefined when the text needs the `yaml` library (directives, aliases, or
 * anything js-yaml refuses). Each document's start comes from js-yaml's events; the positions of
 * fields from the `yaml` library's documents, parsed at the first call that needs them.
 */
function readFast(text: string): YamlDocuments | undefined {
  if (/^%/m.test(text)) return undefined;
  let events: Event[];
  let values: unknown[];
  try {
    events = parseEvents(text, {});
    values = constructFromEvents(events, { source: text, schema: CORE_SCHEMA, maxAliases: 0 });
  } catch {
    return undefined;
  }
  const starts = documentStarts(events);
  if (starts.length !== values.length) return undefined;
  const lines = lineStarts(text);
  let located: YamlDocuments | undefined;
  const fieldLocator = (i: number): Locate => {
    located ??= readWithYamlLibrary('', text);
    const all = located.documents;
    return all.length === values.length ? all[i]!.locate : noPositions;
  };
  const documents = values.map((value, i): YamlDocument => {
    const start = starts[i]!;
    const at = start < 0 ? { line: 0, col: 0 } : position(lines, start);
    return {
      value: value === undefined ? null : value,
      locate: (path, mode) => (path.length === 0 ? at : fieldLocator(i)(path, mode)),
    };
  });
  return { documents, problems: [], readBy: 'js-yaml' };
}

/** Per document, the offset where its root node starts (its anchor or tag, if any), or -1. */
function documentStarts(events: readonly Event[]): number[] {
  const starts: number[] = [];
  for (let i = 0; i < events.length; i++) {
    if (events[i]!.type !== EVENT_ID.DOCUMENT) continue;
    const root = events[i + 1];
    starts.push(root ? nodeStart(root) : -1);
  }
  return starts;
}

function nodeStart(e: Event): number {
  switch (e.type) {
    case EVENT_ID.MAPPING:
    case EVENT_ID.SEQUENCE:
      return firstOf(e.anchorStart, e.tagStart, e.start);
    case EVENT_ID.SCALAR:
      return firstOf(e.anchorStart, e.tagStart, e.valueStart);
    default:
      return -1;
  }
}

/** The smallest of the offsets that are present (not -1). */
const firstOf = (...offsets: number[]) =>
  offsets.reduce((a, b) => (b < 0 ? a : a < 0 ? b : Math.min(a, b)), -1);

/** Offsets where each line starts. */
function lineStarts(text: string): number[] {
  const starts = [0];
  for (let i = text.indexOf('\n'); i >= 0; i = text.indexOf('\n', i + 1)) starts.push(i + 1);
  return starts;
}

/** 1-based line and column of `offset`. */
function position(lines: readonly number[], offset: number): Position {
  let lo = 0;
  let hi = lines.length - 1;
  while (lo < hi) {
    const mid = (lo + hi + 1) >> 1;
    if (lines[mid]! <= offset) lo = mid;
    else hi = mid - 1;
  }
  return { line: lo + 1, col: offset - lines[lo]! + 1 };
}

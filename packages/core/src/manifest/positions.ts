/**
 * Positions of fields in parsed YAML: maps a field path to the line and column of its node.
 */
import {
  isAlias,
  isMap,
  isPair,
  isScalar,
  isSeq,
  type Document,
  type LineCounter,
  type Node,
} from 'yaml';

/** 1-based line and column; 0/0 when the document has no positions. */
export interface Position {
  readonly line: number;
  readonly col: number;
}

/** Path segments from the document root. */
export type FieldPath = readonly (string | number | symbol)[];

/**
 * Locates a field path. `mode: 'value'` gives the value node (for a present field), `'key'` the key
 * node (unknown fields, bad map keys). When the path does not exist, the key of the nearest existing
 * ancestor field is used (or the document start).
 */
export type Locate = (path: FieldPath, mode?: 'value' | 'key') => Position;

/** A locator for documents without positions (programmatic input). */
export const noPositions: Locate = () => ({ line: 0, col: 0 });

const keyText = (key: unknown): string => (isScalar(key) ? String(key.value) : String(key));

/** Builds a {@link Locate} for one parsed document. */
export function yamlLocator(doc: Document, lineCounter: LineCounter): Locate {
  const pos = (offset: number | undefined): Position => {
    if (offset === undefined) return { line: 0, col: 0 };
    const { line, col } = lineCounter.linePos(offset);
    return { line, col };
  };
  const deref = (n: unknown): unknown => (isAlias(n) ? n.resolve(doc) : n);

  return (path, mode = 'value') => {
    let node: unknown = deref(doc.contents);
    let fallback = pos((node as Node | null)?.range?.[0] ?? doc.range?.[0]);
    for (let i = 0; i < path.length; i++) {
      const seg = path[i];
      const last = i === path.length - 1;
      if (isMap(node)) {
        const pair = node.items.find((p) => isPair(p) && keyText(p.key) === String(seg));
        if (!pair) return fallback;
        const keyPos = pos((pair.key as Node | null)?.range?.[0]);
        if (last && mode === 'key') return keyPos;
        const value = deref(pair.value) as Node | null;
        if (!value?.range) return keyPos;
        fallback = keyPos;
        node = value;
        if (last) return pos(value.range[0]);
      } else if (isSeq(node) && typeof seg === 'number') {
        const item = deref(node.items[seg]) as Node | null | undefined;
        if (!item?.range) return fallback;
        fallback = pos(item.range[0]);
        node = item;
        if (last) return fallback;
      } else {
        return fallback;
      }
    }
    return fallback;
  };
}

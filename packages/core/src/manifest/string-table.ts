/**
 * One copy of each string the manifests hold. The YAML readers take scalars out of the text as
 * V8 slices of it, so one kept field kept the whole text (10,000 Triggers: a 1.9 MiB file), and
 * each document had its own copy of the values every resource repeats (`kind`, `apiVersion`,
 * the broker's name, a shared subscriber URL). After {@link internStrings} the loaded resources
 * hold one flat string per distinct value: ~0.35 KB of heap less per Trigger (heap snapshots of
 * `tributary run` with 1 and 10,000 Triggers, bench/footprint.mjs).
 */
export type StringTable = Map<string, string>;

/** A copy of `s` that shares no memory with the string it was cut from. */
// JSON's parser makes every string it reads a new sequential one, never a slice or a
// concatenation: the one portable way to detach a string. Done once per distinct value.
const detached = (s: string): string => JSON.parse(JSON.stringify(s)) as string;

/** The table's copy of `s` (made and kept on first sight). */
export function intern(table: StringTable, s: string): string {
  let copy = table.get(s);
  if (copy === undefined) {
    copy = detached(s);
    table.set(copy, copy);
  }
  return copy;
}

/**
 * Replaces, in place, every string in a parsed YAML value (plain objects and arrays) by the table's
 * copy. With `seen`, each object is visited once: YAML aliases (the `yaml` library's reading) may
 * share an object between places, or make one contain itself.
 */
export function internStrings(value: unknown, table: StringTable, seen?: WeakSet<object>): unknown {
  if (typeof value === 'string') return intern(table, value);
  if (value === null || typeof value !== 'object') return value;
  if (seen) {
    if (seen.has(value)) return value;
    seen.add(value);
  }
  if (Array.isArray(value)) {
    for (let i = 0; i < value.length; i++) value[i] = internStrings(value[i], table, seen);
  } else {
    const o = value as Record<string, unknown>;
    for (const k of Object.keys(o)) {
      const v = o[k];
      if (typeof v === 'string' || (v !== null && typeof v === 'object'))
        o[k] = internStrings(v, table, seen);
    }
  }
  return value;
}

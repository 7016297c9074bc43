import { readFileSync, readdirSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { isDeepStrictEqual } from 'node:util';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { LineCounter, parseAllDocuments, stringify } from 'yaml';
import { readYamlDocuments } from './yaml-documents.js';

const root = fileURLToPath(new URL('../../../../', import.meta.url));

/** What the `yaml` library alone reads: each document's value and where it starts. */
function withYamlLibrary(text: string) {
  const lineCounter = new LineCounter();
  return parseAllDocuments(text, { lineCounter }).map((doc) => {
    const start = (doc.contents as { range?: number[] } | null)?.range?.[0] ?? doc.range[0];
    return {
      value: doc.contents === null ? null : (doc.toJS({ maxAliasCount: 100 }) as unknown),
      start: lineCounter.linePos(start),
    };
  });
}

const read = (text: string) =>
  readYamlDocuments('t.yaml', text).documents.map((d) => ({ value: d.value, start: d.locate([]) }));
const readBy = (text: string) => readYamlDocuments('t.yaml', text).readBy;

/** The repository's YAML: examples, the CESQL TCK fixtures, and every ```yaml block of docs/. */
function corpus(): { name: string; text: string }[] {
  const files = (dir: string, ext: RegExp): string[] =>
    readdirSync(path.join(root, dir), { withFileTypes: true }).flatMap((e) => {
      if (e.name === 'node_modules') return [];
      const rel = path.join(dir, e.name);
      if (e.isDirectory()) return files(rel, ext);
      return ext.test(e.name) ? [rel] : [];
    });
  const out = [
    ...files('examples', /\.ya?ml$/),
    ...files('packages/filter/test/fixtures', /\.ya?ml$/),
  ].map((f) => ({ name: f, text: readFileSync(path.join(root, f), 'utf8') }));
  for (const f of files('docs', /\.md$/)) {
    const md = readFileSync(path.join(root, f), 'utf8');
    let i = 0;
    for (const m of md.matchAll(/```ya?ml\n([\s\S]*?)```/g))
      out.push({ name: `${f} block ${++i}`, text: m[1]! });
  }
  return out;
}

describe('readYamlDocuments', () => {
  it('reads every YAML text of the repository as the yaml library does: values and starts', () => {
    const texts = corpus();
    expect(texts.length).toBeGreaterThan(60);
    for (const { name, text } of texts) {
      const expected = withYamlLibrary(text);
      if (expected.some((d) => d.value === undefined)) continue;
      expect({ name, docs: read(text) }).toEqual({ name, docs: expected });
      // js-yaml reads all of them: none has an alias or a directive.
      expect({ name, by: readBy(text) }).toEqual({ name, by: 'js-yaml' });
    }
  });

  it('reads the same values as the yaml library for any JSON-like value, in any style', () => {
    const scalar = fc.oneof(
      fc.string(),
      fc.constantFrom(
        '1_000',
        '0b101',
        '0o17',
        '0x1F',
        '+1',
        '-0',
        '1e3',
        '.5',
        '5.',
        '-.inf',
        '.NaN',
        'yes',
        'No',
        'on',
        'OFF',
        '~',
        'null',
        'Null',
        'TRUE',
        'false',
        '',
        ' lead',
        'trail ',
        'a: b',
        '#x',
        'a #b',
        '- x',
        '2024-01-01',
        '12:30:00',
        '0777',
        '1.0e+3',
        '"q"',
        "'s'",
        '\\n',
        'multi\nline',
        '  indented\n  lines ',
        '\t',
        '@at',
        '`tick',
        '*star',
        '&amp',
        '!bang',
        '%pct',
        '{x}',
        '[y]',
        '|',
        '>',
        '? q',
        '<<',
        '=',
        '\u00e9\u4e2d\ud83d\ude00',
      ),
      fc.integer(),
      fc.double({ noNaN: true }),
      fc.boolean(),
      fc.constant(null),
    );
    const value = fc.letrec((tie) => ({
      node: fc.oneof(
        { depthSize: 'small' },
        scalar,
        fc.array(tie('node'), { maxLength: 4 }),
        fc.dictionary(fc.oneof(fc.string(), scalar.map(String)), tie('node'), { maxKeys: 4 }),
      ),
    })).node;
    const style = fc.record({
      collectionStyle: fc.constantFrom('any', 'block', 'flow'),
      defaultStringType: fc.constantFrom('PLAIN', 'QUOTE_DOUBLE', 'QUOTE_SINGLE', 'BLOCK_LITERAL'),
      defaultKeyType: fc.constantFrom(null, 'PLAIN', 'QUOTE_DOUBLE'),
    });
    fc.assert(
      fc.property(value, style, (v, options) => {
        const text = stringify(v, options as never);
        const ours = read(text).map((d) => d.value);
        const theirs = withYamlLibrary(text).map((d) => d.value);
        // The yaml library misreads some of its own output where js-yaml follows the spec, e.g.
        // `|1-\n !\n` (a top-level block scalar's indentation indicator counts from column 0):
        // there, the value that was written is the reference.
        if (!isDeepStrictEqual(theirs, [v]) && isDeepStrictEqual(ours, [v])) return;
        expect(ours).toEqual(theirs);
        expect(readBy(text)).toBe('js-yaml');
      }),
      { numRuns: 400 },
    );
  });

  it('reads a top-level block scalar with an indentation indicator as the YAML spec says', () => {
    // fast-check found this one: the yaml library reads its own `|1-` output as '!'.
    expect(read('|1-\n !\n')[0]!.value).toBe(' !');
  });

  it('gives the yaml library the texts that need it: aliases, directives and syntax errors', () => {
    // Aliases, with the alias limit of before.
    expect(read('a: &x { k: v }\nb: *x\n')[0]!.value).toEqual({ a: { k: 'v' }, b: { k: 'v' } });
    expect(readBy('a: &x { k: v }\nb: *x\n')).toBe('yaml');
    const bomb = ['a: &a [x, x, x, x, x, x, x, x, x, x]'];
    for (let i = 0; i < 6; i++)
      bomb.push(
        `${'bcdefg'[i]}: &${'bcdefg'[i]} [${`*${'abcdef'[i]}, `.repeat(9)}*${'abcdef'[i]}]`,
      );
    const aliasBomb = readYamlDocuments('bomb.yaml', `${bomb.join('\n')}\n`);
    expect(aliasBomb.problems[0]?.message).toMatch(/^YAML error: .*alias/i);
    // `%YAML 1.1` switches to YAML 1.1's scalars, as the yaml library reads them.
    expect(read('%YAML 1.1\n---\nflag: yes\n')[0]!.value).toEqual({ flag: true });
    expect(readBy('%YAML 1.1\n---\nflag: yes\n')).toBe('yaml');
    // Duplicate keys: the yaml library's error, as before.
    const dup = readYamlDocuments('dup.yaml', 'a: 1\na: 2\n');
    expect(dup.readBy).toBe('yaml');
    expect(dup.problems[0]!.message).toMatch(/^YAML syntax error: .*unique/i);
    // Syntax errors: the yaml library's message and position.
    const bad = readYamlDocuments('bad.yaml', 'a: b\n  c: d\n');
    const first = parseAllDocuments('a: b\n  c: d\n')[0]!.errors[0]!;
    expect(bad.problems[0]).toMatchObject({
      file: 'bad.yaml',
      line: first.linePos![0].line,
      col: first.linePos![0].col,
    });
    expect(bad.problems[0]!.message).toMatch(/^YAML syntax error: /);
    expect(bad.readBy).toBe('yaml');
  });

  it('locates fields in documents js-yaml read through the yaml library', () => {
    const text = 'kind: A\n---\n\n# two\nkind: B\nspec:\n  x: 1\n';
    const docs = readYamlDocuments('t.yaml', text).documents;
    expect(docs.map((d) => d.locate([]))).toEqual([
      { line: 1, col: 1 },
      { line: 5, col: 1 },
    ]);
    expect(docs[1]!.locate(['spec', 'x'])).toEqual({ line: 7, col: 6 });
    expect(docs[1]!.locate(['spec', 'x'], 'key')).toEqual({ line: 7, col: 3 });
    expect(docs[1]!.locate(['spec', 'missing'])).toEqual({ line: 6, col: 1 });
  });
});

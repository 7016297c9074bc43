import { createRequire } from 'node:module';
import { describe, expect, it } from 'vitest';
import { kafkajsRecordDecoding, useFastKafkaCodec } from '../src/wire/kafkajs-codec.js';
import { fastRecordDecoder, type RecordBatchContext } from '../src/wire/record-decoder.js';
import { Writer } from '../src/wire/writer.js';

const require = createRequire(import.meta.url);
const Decoder = require('kafkajs/src/protocol/decoder.js') as new (b: Buffer) => {
  buffer: Buffer;
  offset: number;
};

type Header = [name: string | null, value: string | Buffer | null];
interface RecordSpec {
  attributes?: number;
  /** Written as a raw varint (the zig-zag of it), so values past 28 bits take 5+ bytes. */
  timestampDelta?: number;
  offsetDelta?: number;
  key?: string | Buffer | null;
  value?: string | Buffer | null;
  headers?: Header[];
  headerCount?: number;
}

/** A record body as the record decoder sees it (after its length varint). */
function recordBody(r: RecordSpec): Buffer {
  const w = new Writer();
  w.int8(r.attributes ?? 0);
  const ts = r.timestampDelta ?? 0;
  if (Number.isSafeInteger(ts) && Math.abs(ts) < 2 ** 30) w.varint(ts);
  else {
    // zig-zag 64 of a large delta, LEB128
    let u = ts >= 0 ? BigInt(ts) * 2n : -BigInt(ts) * 2n - 1n;
    while (u > 0x7fn) {
      w.int8(Number(u & 0x7fn) | 0x80);
      u >>= 7n;
    }
    w.int8(Number(u));
  }
  w.varint(r.offsetDelta ?? 0);
  w.varBytes(r.key === undefined ? null : r.key);
  w.varBytes(r.value === undefined ? null : r.value);
  const headers = r.headers ?? [];
  w.varint(r.headerCount ?? headers.length);
  for (const [name, value] of headers) {
    w.varBytes(name);
    w.varBytes(value);
  }
  return w.take();
}

const ctx = (extra: Partial<RecordBatchContext> = {}): RecordBatchContext => ({
  firstOffset: '1200',
  firstTimestamp: '1764600000123',
  magicByte: 2,
  isControlBatch: false,
  timestampType: 0,
  maxTimestamp: '1764600000999',
  ...extra,
});

const ce: Header[] = [
  ['ce_specversion', '1.0'],
  ['ce_id', 'e-1'],
  ['ce_source', '/bench'],
  ['ce_type', 'bench.event'],
  ['content-type', 'application/json'],
];

const CASES: Array<[string, RecordSpec, RecordBatchContext]> = [
  ['a binary CloudEvent', { offsetDelta: 3, value: '{"order":42}', headers: ce }, ctx()],
  [
    'a key, repeated headers (twice and three times), a null header value, an empty name',
    {
      key: 'p-1',
      value: Buffer.from([0, 255, 7]),
      headers: [
        ['a', 'one'],
        ['b', null],
        ['a', 'two'],
        ['c', 'x'],
        ['c', 'y'],
        ['c', 'z'],
        ['', 'empty name'],
        ['10', 'integer-like name'],
      ],
    },
    ctx(),
  ],
  [
    'non-ASCII names and values, a null value, a negative timestamp delta',
    { timestampDelta: -5, offsetDelta: 70_000, headers: [['ünï 😀', 'Größe \ud800']] },
    ctx(),
  ],
  ['log-append time', { timestampDelta: 9 }, ctx({ timestampType: 1 })],
  [
    'a control batch without a magic byte',
    { headers: [['x', 'y']] },
    ctx({ isControlBatch: true, magicByte: undefined }),
  ],
  ['no timestamps (-1)', { timestampDelta: 0 }, ctx({ firstTimestamp: '-1' })],
  ['a header count of -1', { headerCount: -1 }, ctx()],
  // What ours leaves to kafkajs (same results either way):
  ['a 5-byte timestamp delta', { timestampDelta: 2 ** 40 }, ctx()],
  ['an offset past 2^53', { offsetDelta: 1 }, ctx({ firstOffset: '9007199254740993' })],
  [
    'header names of Object.prototype',
    {
      headers: [
        ['toString', 'a'],
        ['__proto__', 'b'],
        ['constructor', 'c'],
      ],
    },
    ctx(),
  ],
  ['a long value', { value: 'v'.repeat(300_000) }, ctx()],
];

describe('record decoder', () => {
  const { original } = kafkajsRecordDecoding();
  const ours = fastRecordDecoder(original);

  for (const [name, spec, context] of CASES)
    it(`reads what kafkajs reads: ${name}`, () => {
      const body = recordBody(spec);
      const a = new Decoder(body);
      const b = new Decoder(body);
      const fromKafkajs = original(a, context) as { headers: Record<string, unknown> };
      const fromOurs = ours(b, context) as { headers: Record<string, unknown> };
      const { headers: theirs, ...restOfTheirs } = fromKafkajs;
      const { headers: mine, ...restOfMine } = fromOurs;
      expect(restOfMine).toStrictEqual(restOfTheirs);
      // Header by header: a header named __proto__ is an own property toStrictEqual misreads.
      expect(Object.keys(mine)).toEqual(Object.keys(theirs));
      expect(Object.getPrototypeOf(mine)).toBe(Object.getPrototypeOf(theirs));
      for (const name of Object.keys(theirs))
        expect(Object.getOwnPropertyDescriptor(mine, name)).toStrictEqual(
          Object.getOwnPropertyDescriptor(theirs, name),
        );
      expect(b.offset).toBe(a.offset);
    });

  it('replaces kafkajs’ record decoder when installed before the first fetch', () => {
    expect(useFastKafkaCodec()).toBe(true);
    expect(kafkajsRecordDecoding().replaced).toBe(true);
    const inUse =
      require('kafkajs/src/protocol/recordBatch/record/v0/decoder.js') as typeof original;
    expect(inUse).not.toBe(original);
    const body = recordBody({ value: 'x', headers: ce });
    expect(inUse(new Decoder(body), ctx())).toStrictEqual(original(new Decoder(body), ctx()));
  });
});

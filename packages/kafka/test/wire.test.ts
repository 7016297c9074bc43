import Module, { createRequire } from 'node:module';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { crc32c } from '../src/wire/crc32c.js';
import { kafkajsProduceRequestBody, useFastKafkaCodec } from '../src/wire/kafkajs-codec.js';
import {
  encodeProduceRequest,
  expandRecords,
  type ProduceMessage,
  type ProduceRequestArgs,
  RECORDS,
} from '../src/wire/produce-request.js';

const require = createRequire(import.meta.url);
const kafkajsCrc32c = require('kafkajs/src/protocol/recordBatch/crc32C/index.js') as (
  b: Buffer,
) => number;

/** Deterministic bytes (no Math.random: a failure must reproduce). */
function bytes(n: number, seed: number): Buffer {
  const b = Buffer.alloc(n);
  let x = seed >>> 0 || 1;
  for (let i = 0; i < n; i++) {
    x ^= x << 13;
    x ^= x >>> 17;
    x ^= x << 5;
    b[i] = x & 0xff;
  }
  return b;
}

const ceHeaders = (id: string) => ({
  ce_specversion: '1.0',
  ce_id: id,
  ce_source: '/bench',
  ce_type: 'bench.event',
  'content-type': 'application/json',
});

const request = (
  topicData: ProduceRequestArgs['topicData'],
  extra: Partial<ProduceRequestArgs> = {},
) => ({ acks: -1, timeout: 30_000, topicData, ...extra }) as ProduceRequestArgs;

const CASES: Record<string, ProduceRequestArgs> = {
  'binary CloudEvents, keyless': request([
    {
      topic: 'knative-broker-default-orders',
      partitions: [
        {
          partition: 0,
          messages: [
            { key: null, value: Buffer.from('{"order":42}'), headers: ceHeaders('e-1') },
            { key: null, value: Buffer.from('{"order":43}'), headers: ceHeaders('e-2') },
          ],
        },
        { partition: 3, messages: [{ key: null, value: null, headers: ceHeaders('e-3') }] },
      ],
    },
  ]),
  'keys, string values, buffer and repeated headers, no headers': request([
    {
      topic: 't',
      partitions: [
        {
          partition: 1,
          messages: [
            { key: 'p-1', value: 'text', headers: { a: Buffer.from([0, 1, 2]), b: ['x', 'yy'] } },
            { key: Buffer.from('k'), value: Buffer.alloc(0) },
            { key: '', value: '', headers: {} },
            { value: 'no key', headers: { empty: [] } },
          ],
        },
      ],
    },
  ]),
  'non-ASCII text (two-, three- and four-byte UTF-8, a lone surrogate)': request([
    {
      topic: 'tøpic-ü',
      partitions: [
        {
          partition: 2,
          messages: [
            {
              key: 'ключ',
              value: '値 🎉 \ud800',
              headers: { ce_subject: 'Größe 😀', ce_ünïcode: '\udfff' },
            },
          ],
        },
      ],
    },
  ]),
  'long values and many records (multi-byte varints)': request([
    {
      topic: 'big',
      partitions: [
        {
          partition: 0,
          messages: Array.from({ length: 300 }, (_, i) => ({
            key: i % 3 === 0 ? null : `key-${i}`,
            value: bytes(i === 7 ? 70_000 : (i * 37) % 9000, i + 1),
            headers: { ...ceHeaders(`id-${i}`), long: 'h'.repeat((i * 13) % 200) },
          })),
        },
      ],
    },
  ]),
  'several topics, transactional id, producer id and epoch, sequences, acks 1': request(
    [
      {
        topic: 'a',
        partitions: [
          { partition: 0, firstSequence: 17, messages: [{ key: 'x', value: 'y' }] },
          { partition: 5, messages: [] },
        ],
      },
      { topic: 'b', partitions: [{ partition: 9, firstSequence: 0, messages: [{ value: 'z' }] }] },
    ],
    {
      acks: 1,
      timeout: 5_000,
      transactionalId: 'tx-1',
      producerId: '4398046511104',
      producerEpoch: 3,
    },
  ),
  'producer id as a number, acks 0, empty transactional id': request(
    [{ topic: 'c', partitions: [{ partition: 0, messages: [{ value: 'v' }] }] }],
    { acks: 0, transactionalId: '', producerId: 12, producerEpoch: 0 },
  ),
};

describe('Produce request encoder', () => {
  afterEach(() => vi.restoreAllMocks());

  for (const [name, args] of Object.entries(CASES))
    it(`writes what kafkajs writes: ${name}`, async () => {
      vi.spyOn(Date, 'now').mockReturnValue(1_764_600_000_123);
      const ours = encodeProduceRequest(args);
      expect(ours).toBeDefined();
      for (const version of [3, 7])
        expect(ours!.equals(await kafkajsProduceRequestBody(args, version))).toBe(true);
    });

  it('leaves to kafkajs what it does not encode like kafkajs', () => {
    const one = (m: object) => [{ topic: 't', partitions: [{ partition: 0, messages: [m] }] }];
    const unsupported: ProduceRequestArgs[] = [
      request(one({ value: 'v' }), { compression: 1 }),
      request(one({ value: 'v', timestamp: '1700000000000' })),
      request(one({ value: 'v', headers: { h: null } })),
      request(one({ value: 'v', headers: { h: ['a', undefined] } })),
      request(one({ value: 7 })),
      request(one({ key: new Uint8Array([1]), value: 'v' })),
      request(one({ value: 'v', headers: null })),
      request(one({ value: 'v' }), { producerId: null }),
      request(one({ value: 'v' }), { producerId: 1.5 }),
    ];
    for (const args of unsupported) expect(encodeProduceRequest(args)).toBeUndefined();
  });

  it('is what kafkajs producers in this process use once installed', async () => {
    expect(useFastKafkaCodec()).toBe(true);
    const factory = require('kafkajs/src/protocol/requests/produce/v7/request.js') as (
      a: ProduceRequestArgs,
    ) => { apiVersion: number; encode: () => Promise<{ buffer: Buffer }> };
    vi.spyOn(Date, 'now').mockReturnValue(1_764_600_000_999);
    const args = CASES['binary CloudEvents, keyless']!;
    const req = factory(args);
    expect(req.apiVersion).toBe(7);
    expect((await req.encode()).buffer.equals(encodeProduceRequest(args)!)).toBe(true);
    // Inputs ours declines still encode (kafkajs' encoder).
    const gz = request([
      { topic: 't', partitions: [{ partition: 0, messages: [{ value: 'v', timestamp: 5 }] }] },
    ]);
    expect((await factory(gz).encode()).buffer.equals(await kafkajsProduceRequestBody(gz, 7))).toBe(
      true,
    );
  });
});

describe("kafkajs' Produce protocol table once installed", () => {
  afterEach(() => vi.restoreAllMocks());

  type Entry = (a: ProduceRequestArgs) => {
    request: { apiVersion: number; encode: () => Promise<{ buffer: Buffer }> };
    response: unknown;
  };
  const table = () =>
    require('kafkajs/src/protocol/requests/produce/index.js') as {
      protocol: (o: { version: number }) => Entry;
    };

  it('gives the request and response of each version without requiring modules per request', async () => {
    expect(useFastKafkaCodec()).toBe(true);
    const args =
      CASES['several topics, transactional id, producer id and epoch, sequences, acks 1']!;
    vi.spyOn(Date, 'now').mockReturnValue(1_764_600_000_321);
    for (const version of [3, 4, 5, 6, 7]) {
      const entry = table().protocol({ version });
      const load = vi.spyOn(Module as unknown as { _load: (...a: unknown[]) => unknown }, '_load');
      const { request, response } = entry(args);
      expect(load).not.toHaveBeenCalled();
      load.mockRestore();
      expect(request.apiVersion).toBe(version);
      expect(response).toBe(
        require(`kafkajs/src/protocol/requests/produce/v${version}/response.js`),
      );
      expect(
        (await request.encode()).buffer.equals(await kafkajsProduceRequestBody(args, version)),
      ).toBe(true);
    }
  });

  it('leaves the versions it does not patch to kafkajs', () => {
    expect(useFastKafkaCodec()).toBe(true);
    const { request } = table().protocol({ version: 2 })(CASES['binary CloudEvents, keyless']!);
    expect(request.apiVersion).toBe(2);
  });
});

describe('a message carrying several records (RECORDS)', () => {
  afterEach(() => vi.restoreAllMocks());

  const carrier = (records: ProduceMessage[]): ProduceMessage => ({
    key: null,
    value: null,
    [RECORDS]: records,
  });
  const records = (n: number, from = 0): ProduceMessage[] =>
    Array.from({ length: n }, (_, i) => ({
      key: null,
      value: bytes(40 + i, i + from + 1),
      headers: ceHeaders(`c-${i + from}`),
    }));
  const mixed = request([
    {
      topic: 'knative-broker-default-orders',
      partitions: [
        {
          partition: 1,
          messages: [
            { key: 'k', value: 'first', headers: ceHeaders('k-1') },
            carrier(records(3)),
            { key: 'k', value: 'last' },
            carrier([]),
          ],
        },
        { partition: 2, messages: [carrier(records(200, 3))] },
      ],
    },
  ]);

  it('writes its records in its place, as kafkajs writes them one message each', async () => {
    vi.spyOn(Date, 'now').mockReturnValue(1_764_600_000_777);
    const expanded = expandRecords(mixed);
    expect(expanded.topicData[0]!.partitions[0]!.messages).toHaveLength(5);
    expect(expanded.topicData[0]!.partitions[1]!.messages).toHaveLength(200);
    const ours = encodeProduceRequest(mixed)!;
    expect(ours.equals(encodeProduceRequest(expanded)!)).toBe(true);
    const kafkajsFactory = (v: number) =>
      require(`kafkajs/src/protocol/requests/produce/v${v}/request.js`) as (a: unknown) => {
        encode: () => Promise<{ buffer: Buffer }>;
      };
    for (const version of [3, 7]) {
      expect(ours.equals(await kafkajsProduceRequestBody(mixed, version))).toBe(true);
      // the installed factory, as kafkajs' protocol table hands it out
      expect(useFastKafkaCodec()).toBe(true);
      expect((await kafkajsFactory(version)(mixed).encode()).buffer.equals(ours)).toBe(true);
    }
  });

  it("reaches kafkajs' own encoder expanded, when ours declines and on unpatched versions", async () => {
    expect(useFastKafkaCodec()).toBe(true);
    vi.spyOn(Date, 'now').mockReturnValue(1_764_600_000_555);
    const timed = request([
      {
        topic: 't',
        partitions: [
          { partition: 0, messages: [carrier([{ value: 'a' }, { value: 'b', timestamp: 7 }])] },
        ],
      },
    ]);
    expect(encodeProduceRequest(timed)).toBeUndefined();
    const table = require('kafkajs/src/protocol/requests/produce/index.js') as {
      protocol: (o: { version: number }) => (a: ProduceRequestArgs) => {
        request: { encode: () => Promise<{ buffer: Buffer }> };
      };
    };
    const v7 = await table.protocol({ version: 7 })(timed).request.encode();
    expect(v7.buffer.equals(await kafkajsProduceRequestBody(timed, 7))).toBe(true);
    // Produce v2 (message sets, not record batches) is kafkajs' alone.
    const v2 = require('kafkajs/src/protocol/requests/produce/v2/request.js') as (a: unknown) => {
      encode: () => Promise<{ buffer: Buffer }>;
    };
    const ours2 = await table.protocol({ version: 2 })(mixed).request.encode();
    const theirs2 = await v2(expandRecords(mixed)).encode();
    expect(ours2.buffer.equals(theirs2.buffer)).toBe(true);
    expect(ours2.buffer.equals((await v2(mixed).encode()).buffer)).toBe(false);
  });
});

describe('CRC-32C', () => {
  it('matches kafkajs for every length from 0 to 300 and for offsets into a buffer', () => {
    for (let n = 0; n <= 300; n++) {
      const b = bytes(n, n + 11);
      expect(crc32c(b)).toBe(kafkajsCrc32c(b));
    }
    const big = bytes(10_000, 3);
    expect(crc32c(big, 5, 9_001)).toBe(kafkajsCrc32c(big.subarray(5, 9_001)));
    expect(crc32c(Buffer.from('123456789'))).toBe(0xe3069283);
  });
});

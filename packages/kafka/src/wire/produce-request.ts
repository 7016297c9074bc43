/**
 * The body of a Produce request (versions 3 to 7 share it) with uncompressed record batches (magic
 * 2), byte for byte what kafkajs 2.2.4 encodes (packages/kafka/test/wire.test.ts compares the two),
 * in one pass over one reused buffer. kafkajs builds every record, every header and every varint as
 * its own zero-filled buffer and copies each record five times on the way to the socket: 13 % of
 * the broker process' CPU in the bench profile (about 15 µs of the 125 µs an event costs on the
 * Kafka broker path); this takes about 1 µs a record (a CloudEvent of 7 headers).
 *
 * Returns undefined for anything it does not encode exactly like kafkajs (compression, record
 * timestamps, header values that are not strings or buffers, ...): the caller then uses kafkajs'
 * own encoder.
 */
import { crc32c } from './crc32c.js';
import { varintSize, Writer } from './writer.js';

type Bytes = Buffer | string | null | undefined;

/**
 * Marks a message that stands for several records: its records are written in its place, in
 * order, and it is not a record itself. The Kafka backend hands the keyless records of one
 * produce request to kafkajs' producer as one such message, so that kafkajs' per-message work
 * (partitioner call, grouping by partition with an array copy per message: quadratic, validation)
 * happens once a request instead of once a record. Only ./kafkajs-codec.ts's protocol table
 * gives kafkajs' Produce requests their records, so only while it is installed (see
 * `useFastKafkaCodec`) may such messages be produced.
 */
export const RECORDS = Symbol('records');

/** A message as kafkajs' producer hands it to the Produce request. */
export interface ProduceMessage {
  readonly key?: Bytes;
  readonly value?: Bytes;
  readonly headers?: Readonly<Record<string, unknown>>;
  readonly timestamp?: unknown;
  /** See {@link RECORDS}. */
  readonly [RECORDS]?: readonly ProduceMessage[];
}

/** The arguments of kafkajs' Produce request (protocol/requests/produce/v3/request.js). */
export interface ProduceRequestArgs {
  readonly acks: number;
  readonly timeout: number;
  readonly transactionalId?: string | null;
  readonly producerId?: unknown;
  readonly producerEpoch?: number;
  readonly compression?: number;
  readonly topicData: ReadonlyArray<{
    readonly topic: string;
    readonly partitions: ReadonlyArray<{
      readonly partition: number;
      readonly firstSequence?: number;
      readonly messages: readonly ProduceMessage[];
    }>;
  }>;
}

const writer = new Writer();
/** Thrown inside the encoder when the input is not one it encodes like kafkajs. */
const UNSUPPORTED = Symbol('unsupported');

const isBytes = (v: unknown): v is Bytes =>
  v == null || typeof v === 'string' || Buffer.isBuffer(v);
const isInt = (v: unknown, min: number, max: number): v is number =>
  Number.isInteger(v) && (v as number) >= min && (v as number) <= max;

/** kafkajs' Long.fromValue for a producer id, as a signed 64-bit value. */
function int64Of(v: unknown): bigint {
  if (v === undefined) return -1n; // the request's default, Long.fromInt(-1)
  if (typeof v === 'number' && Number.isInteger(v)) return BigInt.asIntN(64, BigInt(v));
  if (typeof v === 'string' && /^-?\d+$/.test(v)) return BigInt.asIntN(64, BigInt(v));
  if (typeof v === 'bigint') return BigInt.asIntN(64, v);
  if (typeof v === 'object' && v !== null && typeof (v as { value?: unknown }).value === 'bigint')
    return BigInt.asIntN(64, (v as { value: bigint }).value);
  throw UNSUPPORTED;
}

/** One record (v0 record format) at the writer's end. */
function writeRecord(w: Writer, m: ProduceMessage, offsetDelta: number): void {
  const { key, value, headers } = m;
  if (m.timestamp != null || !isBytes(key) || !isBytes(value)) throw UNSUPPORTED;
  if (headers !== undefined && (headers === null || typeof headers !== 'object')) throw UNSUPPORTED;
  // Length varint first: reserve its longest form (5 bytes), write the body, then move the body
  // down onto the varint's real length.
  w.room(5);
  const lengthAt = w.off;
  w.off += 5;
  const bodyAt = w.off;
  w.int8(0); // attributes
  w.int8(0); // timestamp delta (varlong 0): no message carries a timestamp
  w.varint(offsetDelta);
  w.varBytes(key);
  w.varBytes(value);
  const names = headers === undefined ? [] : Object.keys(headers);
  let count = 0;
  for (const name of names) {
    const v = headers![name];
    count += Array.isArray(v) ? v.length : 1;
  }
  w.varint(count);
  for (const name of names) {
    const v = headers![name];
    if (Array.isArray(v)) {
      for (const item of v) writeHeader(w, name, item);
    } else writeHeader(w, name, v);
  }
  const bodyLength = w.off - bodyAt;
  const lengthBytes = varintSize(bodyLength);
  const end = w.off;
  w.off = lengthAt;
  w.varint(bodyLength);
  w.off = end;
  w.shiftDown(bodyAt, lengthAt + lengthBytes);
}

function writeHeader(w: Writer, name: string, value: unknown): void {
  // kafkajs measures a null or undefined value with Buffer.byteLength, which throws.
  if (value == null || !isBytes(value)) throw UNSUPPORTED;
  w.varBytes(name);
  w.varBytes(value);
}

/** The request body, or undefined when kafkajs must encode it (see the module comment). */
export function encodeProduceRequest(args: ProduceRequestArgs): Buffer | undefined {
  const { acks, timeout, transactionalId = null, producerEpoch = 0, compression = 0 } = args;
  if (compression !== 0) return undefined;
  if (!isInt(acks, -32768, 32767) || !isInt(timeout, -(2 ** 31), 2 ** 31 - 1)) return undefined;
  if (!isInt(producerEpoch, -32768, 32767)) return undefined;
  if (transactionalId !== null && typeof transactionalId !== 'string') return undefined;
  const w = writer;
  const start = w.off;
  try {
    const producerId = int64Of(args.producerId);
    const attributes = transactionalId ? 16 : 0; // bit 4: transactional; no compression
    w.string(transactionalId);
    w.int16(acks);
    w.int32(timeout);
    w.int32(args.topicData.length);
    for (const { topic, partitions } of args.topicData) {
      if (typeof topic !== 'string') throw UNSUPPORTED;
      w.string(topic);
      w.int32(partitions.length);
      for (const { partition, firstSequence, messages } of partitions) {
        if (!isInt(partition, -(2 ** 31), 2 ** 31 - 1)) throw UNSUPPORTED;
        const sequence = firstSequence ?? 0;
        if (!isInt(sequence, -(2 ** 31), 2 ** 31 - 1)) throw UNSUPPORTED;
        const now = BigInt(Date.now());
        w.int32(partition);
        const recordSetSizeAt = w.off;
        w.int32(0); // record set size, below
        w.int64(0n); // first offset
        const batchLengthAt = w.off;
        w.int32(0); // batch length, below
        w.int32(0); // partition leader epoch
        w.int8(2); // magic
        const crcAt = w.off;
        w.int32(0); // CRC-32C of what follows, below
        const crcFrom = w.off;
        let count = 0;
        for (const m of messages) count += m[RECORDS]?.length ?? 1;
        w.int16(attributes);
        w.int32(count - 1); // last offset delta
        w.int64(now); // first timestamp
        w.int64(now); // max timestamp
        w.int64(producerId);
        w.int16(producerEpoch);
        w.int32(sequence);
        w.int32(count);
        let delta = 0;
        for (const m of messages) {
          const records = m[RECORDS];
          if (records === undefined) writeRecord(w, m, delta++);
          else for (const r of records) writeRecord(w, r, delta++);
        }
        w.uint32At(crc32c(w.buf, crcFrom, w.off), crcAt);
        w.int32At(w.off - batchLengthAt - 4, batchLengthAt);
        w.int32At(w.off - recordSetSizeAt - 4, recordSetSizeAt);
      }
    }
    return w.take(start);
  } catch (err) {
    w.off = start;
    if (err === UNSUPPORTED) return undefined;
    throw err;
  }
}

/** `args` with every {@link RECORDS} message replaced by its records (`args` itself if none). */
export function expandRecords(args: ProduceRequestArgs): ProduceRequestArgs {
  const carries = args.topicData.some((t) =>
    t.partitions.some((p) => p.messages.some((m) => m[RECORDS] !== undefined)),
  );
  if (!carries) return args;
  return {
    ...args,
    topicData: args.topicData.map((t) => ({
      ...t,
      partitions: t.partitions.map((p) => ({
        ...p,
        messages: p.messages.flatMap((m) => m[RECORDS] ?? [m]),
      })),
    })),
  };
}

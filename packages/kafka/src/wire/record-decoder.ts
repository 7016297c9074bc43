/**
 * Reads one record (v0 record format, inside a magic-2 batch) into the object kafkajs 2.2.4's own
 * record decoder (protocol/recordBatch/record/v0/decoder.js) returns, field for field
 * (test/wire.test.ts compares the two). kafkajs builds the headers object anew for every header
 * (an object spread each) and does offset and timestamp arithmetic in BigInt per record: 4 % of
 * the broker process' CPU in the bench profile. Records outside the common case (varints of more
 * than 4 bytes, header names that are Object.prototype members, null header names, unsafe
 * integers) go to kafkajs' decoder, from the record's first byte.
 */

/** kafkajs' Decoder, as far as a record decoder uses it. */
export interface KafkajsDecoder {
  buffer: Buffer;
  offset: number;
}

/** What kafkajs' record batch decoder passes to the record decoder. */
export interface RecordBatchContext {
  readonly firstOffset: string;
  readonly firstTimestamp: string;
  readonly magicByte?: number;
  readonly isControlBatch?: boolean;
  readonly timestampType?: number;
  readonly maxTimestamp?: string;
}

export type KafkajsRecordDecoder = (
  decoder: KafkajsDecoder,
  batchContext?: RecordBatchContext,
) => unknown;

/** kafkajs' TimestampTypes.LOG_APPEND_TIME. */
const LOG_APPEND_TIME = 1;
/** Thrown inside the decoder when the record is not one it reads like kafkajs. */
const FALLBACK = Symbol('fallback');

/** A record decoder: ours, with kafkajs' `original` for the uncommon records. */
export function fastRecordDecoder(original: KafkajsRecordDecoder): KafkajsRecordDecoder {
  return (decoder, batchContext = {} as RecordBatchContext) => {
    const start = decoder.offset;
    try {
      return decode(decoder, batchContext);
    } catch (err) {
      if (err !== FALLBACK) throw err;
      decoder.offset = start;
      return original(decoder, batchContext);
    }
  };
}

/** Adds a small delta to a decimal int64 string, exactly (BigInt only when past 2^53). */
function plus(base: string, delta: number): string {
  if (typeof base === 'string' && base.length <= 15) {
    const n = Number(base) + delta;
    if (Number.isSafeInteger(n)) return String(n);
  }
  throw FALLBACK;
}

function decode(d: KafkajsDecoder, ctx: RecordBatchContext): unknown {
  const {
    firstOffset,
    firstTimestamp,
    magicByte,
    isControlBatch = false,
    timestampType,
    maxTimestamp,
  } = ctx;
  const buf = d.buffer;
  const end = buf.length;
  let off = d.offset;
  /** A zig-zag varint of at most 4 bytes (28 bits); longer ones go to kafkajs. */
  const varint = (): number => {
    let u = 0;
    for (let shift = 0; shift < 28; shift += 7) {
      if (off >= end) throw FALLBACK;
      const b = buf[off++]!;
      u |= (b & 0x7f) << shift;
      if (b < 0x80) return (u >>> 1) ^ -(u & 1);
    }
    throw FALLBACK;
  };
  const bytes = (): Buffer | null => {
    const n = varint();
    if (n === -1) return null;
    if (n < 0 || off + n > end) throw FALLBACK;
    const b = buf.subarray(off, off + n);
    off += n;
    return b;
  };
  if (off >= end) throw FALLBACK;
  const attributes = buf.readInt8(off++);
  const timestampDelta = varint();
  const timestamp =
    timestampType === LOG_APPEND_TIME && maxTimestamp
      ? maxTimestamp
      : plus(firstTimestamp, timestampDelta);
  const offset = plus(firstOffset, varint());
  const key = bytes();
  const value = bytes();
  const count = varint();
  if (count < -1) throw FALLBACK;
  const headers: Record<string, Buffer | null | Array<Buffer | null>> = {};
  for (let i = 0; i < count; i++) {
    const n = varint();
    if (n < 0 || off + n > end) throw FALLBACK;
    const name = buf.toString('utf8', off, off + n);
    off += n;
    // kafkajs reads `obj[name]` of a plain object: prototype members would be "present".
    if (name in Object.prototype) throw FALLBACK;
    const v = bytes();
    const prev = headers[name];
    headers[name] = prev === undefined ? v : Array.isArray(prev) ? prev.concat([v]) : [prev, v];
  }
  d.offset = off;
  return {
    magicByte,
    attributes,
    timestamp,
    offset,
    key,
    value,
    headers,
    isControlRecord: isControlBatch,
    batchContext: ctx,
  };
}

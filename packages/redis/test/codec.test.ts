import { describe, expect, it } from 'vitest';
import { decodeEntry, encodeEntry } from '../src/codec.js';

/** The field/value list Redis hands back for what encodeEntry wrote, as views into one chunk. */
function asReply(fields: Array<string | Buffer>): Buffer[] {
  const parts = fields.map((f) => (typeof f === 'string' ? Buffer.from(f, 'utf8') : f));
  const chunk = Buffer.concat(parts);
  let at = 0;
  return parts.map((p) => {
    const view = chunk.subarray(at, at + p.length);
    at += p.length;
    return view;
  });
}

describe('decodeEntry', () => {
  it('copies the data out of the reply chunk', () => {
    const data = new Uint8Array([0, 1, 2, 250, 255]);
    const reply = asReply(encodeEntry({ attributes: { id: 'x', type: 't' }, data }));
    const event = decodeEntry('1-0', reply);
    expect([...event.data!]).toEqual([...data]);
    expect(event.data!.byteLength).toBe(5);
    // Overwriting the chunk (ioredis reuses nothing, but a view would keep it and see it) leaves
    // the event's bytes alone.
    reply[3]!.fill(9);
    expect([...event.data!]).toEqual([...data]);
    // A Uint8Array whose buffer range, read the way the codecs read it, is the data itself.
    expect(event.data).toBeInstanceOf(Uint8Array);
    const d = event.data!;
    expect([...Buffer.from(d.buffer, d.byteOffset, d.byteLength)]).toEqual([...data]);
  });

  it('keeps non-ASCII attributes (UTF-8) and empty or absent data', () => {
    const attributes = { id: 'ü-€-😀', type: 'tÿpe' };
    expect(decodeEntry('1-0', asReply(encodeEntry({ attributes }))).attributes).toEqual(attributes);
    const empty = decodeEntry('1-1', asReply(encodeEntry({ attributes, data: new Uint8Array() })));
    expect(empty.data?.byteLength).toBe(0);
    expect(decodeEntry('1-2', asReply(encodeEntry({ attributes }))).data).toBeUndefined();
  });

  it('copies large data (past the pooled sizes) as well', () => {
    const data = Buffer.alloc(100_000, 7);
    const reply = asReply(encodeEntry({ attributes: { id: 'big' }, data }));
    const event = decodeEntry('1-0', reply);
    reply[3]!.fill(1);
    expect(event.data!.byteLength).toBe(100_000);
    expect(event.data!.every((b) => b === 7)).toBe(true);
  });
});

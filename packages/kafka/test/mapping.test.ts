import { describe, expect, it } from 'vitest';
import {
  PartitionOffsets,
  bootstrapServers,
  decodeRecord,
  encodeRecord,
  kafkaBackendProvider,
  kafkaSecurity,
  sourceRecordEvent,
  typedKey,
} from '../src/index.js';

const src = { namespace: 'ns', name: 'orders', keyType: 'string' as const };

describe('record codec (binary content mode)', () => {
  it('writes ce_ headers, content-type and the partitionkey as key, and reads them back', () => {
    const event = {
      attributes: {
        specversion: '1.0',
        id: 'a',
        source: '/s',
        type: 't',
        datacontenttype: 'application/json',
        partitionkey: 'p-1',
      },
      data: new Uint8Array(Buffer.from('{"x":1}')),
    };
    const r = encodeRecord(event);
    expect(r.key?.toString()).toBe('p-1');
    expect(r.headers['ce_id']).toBe('a');
    expect(r.headers['content-type']).toBe('application/json');
    expect(r.headers['ce_datacontenttype']).toBeUndefined();
    const back = decodeRecord(r.value, r.headers);
    expect(back?.attributes).toEqual(event.attributes);
    expect(Buffer.from(back!.data!).toString()).toBe('{"x":1}');
  });

  it('reads structured records and ignores records that are not CloudEvents', () => {
    const value = Buffer.from(
      JSON.stringify({ specversion: '1.0', id: 's', source: '/x', type: 'y', data: { a: 1 } }),
    );
    const e = decodeRecord(value, { 'content-type': 'application/cloudevents+json' });
    expect(e?.attributes['id']).toBe('s');
    expect(decodeRecord(Buffer.from('plain'), { 'content-type': 'text/plain' })).toBeUndefined();
  });
});

describe('KafkaSource record mapping (§7.4)', () => {
  const record = {
    topic: 'orders',
    partition: 2,
    offset: '17',
    timestamp: '1700000000123',
    key: Buffer.from('k-9'),
    value: Buffer.from('hello'),
    headers: { 'Content-Type': Buffer.from('Text/Plain'), 'X-Trace_Id': Buffer.from('t1') },
  };

  it('maps a plain record', () => {
    const e = sourceRecordEvent(record, src);
    expect(e.attributes).toEqual({
      specversion: '1.0',
      id: 'partition:2/offset:17',
      type: 'dev.knative.kafka.event',
      source: '/apis/v1/namespaces/ns/kafkasources/orders#orders',
      subject: 'partition:2#17',
      time: '2023-11-14T22:13:20.123Z',
      datacontenttype: 'text/plain',
      key: 'k-9',
      partitionkey: 'k-9',
      kafkaheaderxtraceid: 't1',
    });
    expect(Buffer.from(e.data!).toString()).toBe('hello');
  });

  it('omits key extensions for a null key and data for a null value', () => {
    const e = sourceRecordEvent({ ...record, key: null, value: null, headers: {} }, src);
    expect(e.attributes['key']).toBeUndefined();
    expect(e.data).toBeUndefined();
  });

  it('passes a binary CloudEvent record through, adding partition and offset', () => {
    const e = sourceRecordEvent(
      {
        ...record,
        headers: { ce_specversion: '1.0', ce_id: 'orig', ce_source: '/o', ce_type: 'o.t' },
      },
      src,
    );
    expect(e.attributes).toEqual({
      specversion: '1.0',
      id: 'orig',
      source: '/o',
      type: 'o.t',
      knativekafkapartition: '2',
      knativekafkaoffset: '17',
    });
  });

  it('types keys per the key-type label', () => {
    const int = Buffer.alloc(4);
    int.writeInt32BE(-7);
    expect(typedKey(int, 'int')).toBe('-7');
    expect(typedKey(Buffer.from('abc'), 'int')).toBe('abc');
    const dbl = Buffer.alloc(8);
    dbl.writeDoubleBE(1.5);
    expect(typedKey(dbl, 'float')).toBe('1.5');
    expect(typedKey(Buffer.from([0, 255]), 'byte-array')).toBe('AP8=');
  });
});

describe('offset tracking', () => {
  it('commits only up to the lowest record not finished', () => {
    const t = new PartitionOffsets();
    for (const o of [5, 6, 7, 8]) t.start(o);
    t.finish(6);
    t.finish(8);
    expect(t.commitPoint()).toBe(5);
    t.committed(5);
    expect(t.commitPoint()).toBeUndefined();
    t.finish(5);
    expect(t.commitPoint()).toBe(7);
    t.finish(7);
    expect(t.commitPoint()).toBe(9);
  });
});

describe('configuration errors', () => {
  it('names bootstrap.servers and the environment variable when neither is set', () => {
    expect(() => bootstrapServers(undefined, {})).toThrow(
      /bootstrap\.servers is not set.*KAFKA_BOOTSTRAP_SERVERS/,
    );
    expect(() => bootstrapServers('kafka', {})).toThrow(/'kafka' is not host:port/);
    expect(bootstrapServers(undefined, { KAFKA_BOOTSTRAP_SERVERS: 'a:1, b:2' })).toEqual([
      'a:1',
      'b:2',
    ]);
  });

  it('rejects non-numeric partitions and unknown SASL mechanisms', () => {
    const r = kafkaBackendProvider.configSchema.safeParse({ 'default.topic.partitions': 'ten' });
    expect(r.success).toBe(false);
    expect(() =>
      kafkaSecurity(
        { protocol: 'SASL_SSL', user: 'u', password: 'p', saslMechanism: 'GSSAPI' },
        'x',
      ),
    ).toThrow(/sasl\.mechanism 'GSSAPI' is not supported/);
    expect(
      kafkaSecurity(
        { protocol: 'SASL_PLAINTEXT', user: 'u', password: 'p', saslMechanism: 'SCRAM-SHA-512' },
        'x',
      ),
    ).toEqual({
      sasl: { mechanism: 'scram-sha-512', username: 'u', password: 'p' },
    });
  });
});

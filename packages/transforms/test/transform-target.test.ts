import { describe, expect, it } from 'vitest';
import type { DeliveryTarget, SendOutcome } from '@tributary/broker';
import { type CloudEvent, silentLogger } from '@tributary/core';
import {
  TRANSFORM_FAILED_STATUS,
  compileExpression,
  createTransformTarget,
  eventToJson,
  TransformExpressionError,
} from '../src/index.js';

const event = (data: string, contentType?: string): CloudEvent => ({
  attributes: {
    specversion: '1.0',
    id: 'e-1',
    source: '/s',
    type: 't',
    ...(contentType ? { datacontenttype: contentType } : {}),
  },
  data: Buffer.from(data),
});
const opts = { format: 'binary' as const, expectReply: true };

async function target(
  expression: string,
  extra: Partial<Parameters<typeof createTransformTarget>[0]> = {},
) {
  return createTransformTarget({
    resource: 'default/t',
    url: () => 'http://x/default/eventtransforms/t',
    expression: await compileExpression(expression),
    logger: silentLogger,
    ...extra,
  });
}
const reason = (o: SendOutcome) =>
  o.kind === 'response'
    ? (JSON.parse(Buffer.from(o.body).toString()) as { error: string; code: string })
    : undefined;

describe('the JSON form the expression sees', () => {
  it('parses JSON data, keeps text as a string and other bytes as data_base64', () => {
    expect(eventToJson(event('{"a":1}', 'application/json'))['data']).toEqual({ a: 1 });
    expect(eventToJson(event('hello', 'text/plain'))['data']).toBe('hello');
    expect(eventToJson(event('\u0000\u0001', 'application/octet-stream'))['data_base64']).toBe(
      'AAE=',
    );
  });
});

describe('createTransformTarget', () => {
  it('without a sink: answers 200 with the transformed event as the reply', async () => {
    const t = await target('$merge([$, {"type": "t2", "n": data.a + 1}])');
    const o = await t.send(event('{"a":1}', 'application/json'), opts);
    expect(o.kind === 'response' && o.status).toBe(200);
    expect(o.kind === 'response' && o.reply?.attributes).toMatchObject({
      type: 't2',
      n: '2',
      id: 'e-1',
    });
  });

  it('answers 422 (not retried) naming every problem of an invalid result', async () => {
    const noType = await target(
      '{"specversion": "1.0", "id": id, "source": 7, "nested": {"x": 1}}',
    );
    const o = await noType.send(event('{}'), opts);
    expect(o.kind === 'response' && o.status).toBe(TRANSFORM_FAILED_STATUS);
    expect(reason(o)?.code).toBe('TRIB_ERR_TRANSFORM_RESULT');
    expect(reason(o)?.error).toContain(
      "attribute 'nested' must be a string, number or boolean, got object",
    );
    const array = await (await target('[1, 2]')).send(event('{}'), opts);
    expect(reason(array)?.error).toContain('it must be a JSON object');
    const nothing = await (await target('data.missing')).send(event('{}'), opts);
    expect(reason(nothing)?.error).toContain('returned nothing');
  });

  it('stops runaway expressions (endless loop: time limit; deep recursion: depth limit) and fails the delivery', async () => {
    for (const runaway of [
      '($f := function($x) { $f($x + 1) }; $f(0))',
      '($f := function($x) { 1 + $f($x + 1) }; $f(0))',
    ]) {
      const o = await (await target(runaway)).send(event('{}'), opts);
      expect(o.kind === 'response' && o.status).toBe(TRANSFORM_FAILED_STATUS);
      expect(reason(o)?.code).toBe('TRIB_ERR_TRANSFORM_EVALUATION');
    }
  });

  it('with a sink: sends the transformed event there and transforms, passes or discards its reply', async () => {
    const seen: CloudEvent[] = [];
    const sink: DeliveryTarget = {
      url: 'http://sink/',
      async send(e) {
        seen.push(e);
        const reply: CloudEvent = { attributes: { ...e.attributes, id: 'r-1', type: 'answer' } };
        return { kind: 'response', status: 200, headers: {}, body: new Uint8Array(), reply };
      },
    };
    const transformed = await target('$merge([$, {"type": "to-sink"}])', {
      sink,
      replyExpression: await compileExpression('$merge([$, {"type": "answer-transformed"}])'),
    });
    const o = await transformed.send(event('{}'), opts);
    expect(seen[0]?.attributes['type']).toBe('to-sink');
    expect(o.kind === 'response' && o.reply?.attributes['type']).toBe('answer-transformed');
    const passed = await (await target('$', { sink })).send(event('{}'), opts);
    expect(passed.kind === 'response' && passed.reply?.attributes['type']).toBe('answer');
    const dropped = await (await target('$', { sink, discardReply: true })).send(event('{}'), opts);
    expect(dropped.kind === 'response' && dropped.status).toBe(200);
    expect(dropped.kind === 'response' && dropped.reply).toBeUndefined();
  });

  it('passes a failing sink answer through (the dispatcher retries it)', async () => {
    const sink: DeliveryTarget = {
      url: 'http://sink/',
      send: async () => ({ kind: 'response', status: 503, headers: {}, body: Buffer.from('busy') }),
    };
    const o = await (await target('$', { sink })).send(event('{}'), opts);
    expect(o.kind === 'response' && o.status).toBe(503);
  });

  it('rejects an expression that does not compile, with its position', async () => {
    await expect(compileExpression('{ "a": ')).rejects.toBeInstanceOf(TransformExpressionError);
    await expect(compileExpression('{ "a": ')).rejects.toMatchObject({
      position: expect.any(Number),
    });
  });
});

import { encodeHttp } from '@tributary/core';
import { afterEach, describe, expect, it } from 'vitest';
import { dataText, makeEvent } from '../fixtures/events.js';
import { type HttpSink, startHttpSink } from './sink.js';

let sink: HttpSink | undefined;
afterEach(async () => {
  await sink?.close();
  sink = undefined;
});

const post = (url: string, event = makeEvent({}, { n: 1 })) => {
  const { headers, body } = encodeHttp(event);
  return fetch(url, { method: 'POST', headers, body });
};

describe('startHttpSink', () => {
  it('records decoded events and headers, answering 202 by default', async () => {
    sink = await startHttpSink();
    const e = makeEvent({ type: 'x.y' }, { n: 1 });
    const res = await post(`${sink.url}/path?q=1`, e);
    expect(res.status).toBe(202);
    const [req] = await sink.waitFor(1);
    expect(req!.url).toBe('/path?q=1');
    expect(req!.headers['ce-type']).toBe('x.y');
    expect(req!.events[0]!.attributes).toEqual(e.attributes);
    expect(sink.events).toHaveLength(1);
  });

  it('records non-CloudEvent bodies with the decode error', async () => {
    sink = await startHttpSink();
    await fetch(sink.url, { method: 'POST', body: 'plain' });
    const [req] = await sink.waitFor(1);
    expect(req!.events).toEqual([]);
    expect(req!.decodeError).toMatch(/not a CloudEvent/);
    expect(Buffer.from(req!.body).toString()).toBe('plain');
  });

  it('fails the first N requests with the given status', async () => {
    sink = await startHttpSink({ failFirst: { count: 2, status: 409 } });
    const statuses = [];
    for (let i = 0; i < 3; i++) statuses.push((await post(sink.url)).status);
    expect(statuses).toEqual([409, 409, 202]);
    expect(sink.requests.map((r) => r.status)).toEqual([409, 409, 202]);
  });

  it('follows a script: 422 with a body, then a CloudEvent reply', async () => {
    const reply = makeEvent({ type: 'reply.type' }, 'pong');
    sink = await startHttpSink({
      script: [
        { status: 422, body: '{ "message": "catastrophic failure" }' },
        { status: 200, event: reply },
      ],
    });
    const r1 = await post(sink.url);
    expect(r1.status).toBe(422);
    expect(await r1.text()).toBe('{ "message": "catastrophic failure" }');
    const r2 = await post(sink.url);
    expect(r2.status).toBe(200);
    expect(r2.headers.get('ce-type')).toBe('reply.type');
    expect(await r2.text()).toBe('pong');
  });

  it('waitFor rejects naming how many requests arrived', async () => {
    sink = await startHttpSink();
    await post(sink.url);
    await expect(sink.waitFor(3, 50)).rejects.toThrow(
      /received 1 request\(s\) within 50 ms, expected 3/,
    );
  });
});

describe('makeEvent', () => {
  it('builds a valid event with overrides and data', () => {
    const e = makeEvent({ source: '/x', subject: 's', type: undefined }, 'hello');
    expect(e.attributes).toMatchObject({
      specversion: '1.0',
      source: '/x',
      subject: 's',
      datacontenttype: 'text/plain',
    });
    expect(e.attributes['type']).toBeUndefined();
    expect(dataText(e)).toBe('hello');
    expect(makeEvent({}, { a: 1 }).attributes['datacontenttype']).toBe('application/json');
  });
});

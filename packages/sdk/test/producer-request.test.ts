import { afterEach, describe, expect, it } from 'vitest';
import { type HttpSink, type SinkResponse, startHttpSink } from '@tributary/testkit';
import {
  EventRejectedError,
  InvalidReplyError,
  ReplyTimeoutError,
  createProducer,
  type Producer,
} from '@tributary/sdk';

let sink: HttpSink;
let producer: Producer | undefined;
afterEach(async () => {
  await producer?.close();
  producer = undefined;
  await sink?.close();
});

const reply: SinkResponse = {
  status: 200,
  event: {
    attributes: { specversion: '1.0', id: 'r-1', source: '/rr', type: 'answer', replyid: 'x' },
    data: Buffer.from('{"ok":true}'),
  },
};

describe('producer.request', () => {
  it('posts one event and resolves with the reply event of a 200 answer', async () => {
    sink = await startHttpSink({ script: [reply] });
    producer = createProducer({ url: `${sink.url}/default/requestreplies/rr`, source: '/app' });
    const e = await producer.request({ type: 'question', data: { q: 1 } });
    expect(e.attributes).toMatchObject({ id: 'r-1', type: 'answer', replyid: 'x' });
    expect(Buffer.from(e.data!).toString()).toBe('{"ok":true}');
    const [req] = await sink.waitFor(1);
    expect(req!.url).toBe('/default/requestreplies/rr');
    expect(req!.events[0]?.attributes['type']).toBe('question');
  });

  it('maps 504 to ReplyTimeoutError, other statuses to EventRejectedError (not retried), non-events to InvalidReplyError', async () => {
    sink = await startHttpSink({
      script: [
        { status: 504, body: '{"error":"no reply to request arrived within 1000 ms"}' },
        { status: 409, body: '{"error":"already waiting"}' },
        { status: 200, body: 'not an event' },
      ],
    });
    producer = createProducer({ url: `${sink.url}/default/requestreplies/rr`, source: '/app' });
    const timeout = producer.request({ type: 'q' });
    await expect(timeout).rejects.toBeInstanceOf(ReplyTimeoutError);
    await expect(timeout).rejects.toMatchObject({
      serverMessage: expect.stringContaining('1000 ms'),
    });
    const conflict = producer.request({ type: 'q' });
    await expect(conflict).rejects.toBeInstanceOf(EventRejectedError);
    await expect(conflict).rejects.toMatchObject({ status: 409, brokerMessage: 'already waiting' });
    await expect(producer.request({ type: 'q' })).rejects.toBeInstanceOf(InvalidReplyError);
    expect(sink.requests).toHaveLength(3);
  });

  it('gives up after `timeout` with ReplyTimeoutError', async () => {
    sink = await startHttpSink({ defaultResponse: { ...reply, delayMs: 5_000 } });
    producer = createProducer({ url: `${sink.url}/default/requestreplies/rr`, source: '/app' });
    await expect(producer.request({ type: 'q' }, { timeout: 100 })).rejects.toMatchObject({
      code: 'TRIB_ERR_SDK_REPLY_TIMEOUT',
      timeoutMs: 100,
    });
    await expect(producer.request({ type: 'q' }, { timeout: -1 })).rejects.toMatchObject({
      code: 'TRIB_ERR_SDK_VALIDATION',
    });
  });
});

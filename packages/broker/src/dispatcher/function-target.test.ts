import type { CloudEvent } from '@tributary/core';
import { type FunctionContext, NonRetryableError } from '@tributary/function';
import { describe, expect, it } from 'vitest';
import { createFunctionTarget, functionUrl } from './function-target.js';

const event: CloudEvent = {
  attributes: {
    specversion: '1.0',
    id: 'e1',
    source: '/src',
    type: 't',
    datacontenttype: 'text/plain',
  },
  data: Buffer.from('hello'),
};
const opts = { format: 'binary', expectReply: true } as const;

describe('createFunctionTarget', () => {
  it('has a function:// url; a "ns/name" name is split when no namespace is given', () => {
    expect(createFunctionTarget('f', () => undefined, { namespace: 'a' }).url).toBe(
      'function://a/f',
    );
    expect(createFunctionTarget('b/g', () => undefined).url).toBe('function://b/g');
    expect(createFunctionTarget('h', () => undefined).url).toBe(functionUrl('default', 'h'));
  });

  it('hands the friendly event over; a returned reply is 200 + reply, nothing is 202', async () => {
    let seen: unknown;
    const t = createFunctionTarget('f', (e) => {
      seen = e.data;
      return { type: 'reply', data: `${String(e.data)}!` };
    });
    const out = await t.send(event, opts);
    expect(seen).toBe('hello');
    expect(out).toMatchObject({ kind: 'response', status: 200 });
    expect(out.kind === 'response' && out.reply?.attributes).toMatchObject({
      type: 'reply',
      source: '/src',
      specversion: '1.0',
    });
    expect(out.kind === 'response' && Buffer.from(out.reply!.data!).toString()).toBe('hello!');
    expect(await createFunctionTarget('f', async () => undefined).send(event, opts)).toMatchObject({
      status: 202,
    });
  });

  it('NonRetryableError → its status with the message as body; other throws (sync or async) → 500', async () => {
    const nr = await createFunctionTarget('f', () => {
      throw new NonRetryableError('bad input', { status: 422 });
    }).send(event, opts);
    expect(nr).toMatchObject({ kind: 'response', status: 422 });
    expect(nr.kind === 'response' && Buffer.from(nr.body).toString()).toBe('bad input');
    const sync = await createFunctionTarget('f', () => {
      throw new Error('boom');
    }).send(event, opts);
    expect(sync).toMatchObject({ status: 500 });
    expect(sync.kind === 'response' && Buffer.from(sync.body).toString()).toBe('boom');
    const asyncThrow = await createFunctionTarget('f', async () =>
      Promise.reject(new Error('later')),
    ).send(event, opts);
    expect(asyncThrow).toMatchObject({ status: 500 });
  });

  it('recognises a NonRetryableError from another copy of the package by name', async () => {
    const foreign = Object.assign(new Error('nope'), { name: 'NonRetryableError', status: 403 });
    const out = await createFunctionTarget('f', () => {
      throw foreign;
    }).send(event, opts);
    expect(out).toMatchObject({ status: 403 });
  });

  it('an invalid reply is a replyError (retried like a 502)', async () => {
    const t = createFunctionTarget('f', () => ({ type: '' }));
    // as a dead-letter sink (no reply wanted) the return value does not matter
    expect(await t.send(event, { ...opts, expectReply: false })).toEqual({
      kind: 'response',
      status: 200,
      headers: {},
      body: new Uint8Array(),
    });
    const out = await t.send(event, opts);
    expect(out).toMatchObject({
      kind: 'response',
      status: 200,
      replyError: expect.stringMatching(/'type'/),
    });
  });

  it('times out, aborts the context signal and gives a deadline', async () => {
    let ctx: FunctionContext | undefined;
    const t = createFunctionTarget('slow', (_e, c) => {
      ctx = c;
      return new Promise((resolve) => setTimeout(resolve, 2000));
    });
    const out = await t.send(event, { ...opts, timeoutMs: 30 });
    expect(out).toEqual({ kind: 'error', message: 'timeout after 30 ms', timedOut: true });
    expect(ctx?.signal.aborted).toBe(true);
    expect(ctx?.deadline).toBeInstanceOf(Date);
  });

  it('a caller abort ends the attempt as aborted', async () => {
    const ac = new AbortController();
    const t = createFunctionTarget(
      'slow',
      () => new Promise((resolve) => setTimeout(resolve, 2000)),
    );
    const pending = t.send(event, { ...opts, signal: ac.signal });
    ac.abort();
    expect(await pending).toMatchObject({ kind: 'error', aborted: true });
  });
});

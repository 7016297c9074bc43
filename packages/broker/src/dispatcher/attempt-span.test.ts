import { type Span, type SpanOptions, type TracerProvider, trace } from '@opentelemetry/api';
import type { CloudEvent } from '@tributary/core';
import { afterEach, describe, expect, it } from 'vitest';
import type { DeliveryTarget, SendOptions } from './delivery-target.js';
import { createSubscriptionDispatcher } from './dispatcher.js';
import { passedTraceparent, tracerRegistered } from '../observability/tracing.js';

const PARENT = '00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01';
const event: CloudEvent = {
  attributes: { specversion: '1.0', id: 'e1', source: '/s', type: 't', traceparent: PARENT },
};

/** A target that answers 200 and keeps the headers of every attempt. */
function recordingTarget(): DeliveryTarget & { sent: Record<string, string>[] } {
  const sent: Record<string, string>[] = [];
  return {
    url: 'memory://sub',
    sent,
    send: async (_e: CloudEvent, o: SendOptions) => {
      sent.push({ ...o.headers });
      return { kind: 'response', status: 200, headers: {}, body: new Uint8Array() };
    },
  };
}

/** A tracer provider whose spans get span id 00f067aa0ba902b7 and are kept with their names. */
function recordingProvider(): TracerProvider & { spans: { name: string; ended: boolean }[] } {
  const spans: { name: string; ended: boolean }[] = [];
  return {
    spans,
    getTracer: () => ({
      startSpan(name: string, _o?: SpanOptions, ctx?: Parameters<typeof trace.getSpanContext>[0]) {
        const parent = ctx ? trace.getSpanContext(ctx) : undefined;
        const rec = { name, ended: false };
        spans.push(rec);
        const sc = { traceId: parent!.traceId, spanId: '00f067aa0ba902b7', traceFlags: 1 };
        const span = trace.wrapSpanContext(sc) as Span;
        span.end = () => {
          rec.ended = true;
        };
        return span;
      },
      startActiveSpan: () => {
        throw new Error('not used');
      },
    }),
  };
}

afterEach(() => trace.disable());

describe('attempt spans', () => {
  it('without a tracer provider the parent traceparent passes on (normalised) and no span is made', async () => {
    expect(tracerRegistered()).toBe(false);
    expect(passedTraceparent(PARENT.toUpperCase())).toBe(PARENT);
    expect(passedTraceparent('00-abc-def-01')).toBe('00-abc-def-01');
    expect(passedTraceparent(undefined)).toBeUndefined();
    const target = recordingTarget();
    const d = createSubscriptionDispatcher({
      name: 'n',
      namespace: 'ns',
      subscriber: target,
      policy: { retry: 0, backoffPolicy: 'linear', backoffDelayMs: 1 },
    });
    await d.handle(event, { deliveryCount: 1 });
    expect(target.sent[0]!['traceparent']).toBe(PARENT);
  });

  it('with a registered provider each attempt is a child span named in traceparent', async () => {
    const provider = recordingProvider();
    trace.setGlobalTracerProvider(provider);
    expect(tracerRegistered()).toBe(true);
    const target = recordingTarget();
    const d = createSubscriptionDispatcher({
      name: 'n',
      namespace: 'ns',
      subscriber: target,
      policy: { retry: 0, backoffPolicy: 'linear', backoffDelayMs: 1 },
    });
    await d.handle(event, { deliveryCount: 1 });
    expect(target.sent[0]!['traceparent']).toBe(
      '00-0af7651916cd43dd8448eb211c80319c-00f067aa0ba902b7-01',
    );
    expect(provider.spans).toEqual([{ name: 'send memory://sub', ended: true }]);
  });
});

describe('passedTraceparent', () => {
  it('gives what a no-op child span of the traceparent would carry', () => {
    const cases = [
      PARENT,
      PARENT.replace(/-01$/, '-00'),
      PARENT.replace(/-01$/, '-03'),
      ` ${PARENT} `,
      '01-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01-future',
      '00-00000000000000000000000000000000-b7ad6b7169203331-01',
      '00-0af7651916cd43dd8448eb211c80319c-0000000000000000-01',
      'garbage',
    ];
    const expected = [
      PARENT,
      PARENT.replace(/-01$/, '-00'),
      PARENT,
      PARENT,
      '00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01',
      '00-00000000000000000000000000000000-b7ad6b7169203331-01',
      '00-0af7651916cd43dd8448eb211c80319c-0000000000000000-01',
      'garbage',
    ];
    expect(cases.map(passedTraceparent)).toEqual(expected);
  });
});

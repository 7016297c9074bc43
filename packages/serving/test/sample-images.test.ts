import { describe, expect, it } from 'vitest';
import { type CloudEvent, silentLogger } from '@tributary/core';
import { displayText, imageName, sampleImage, SAMPLE_IMAGES } from '../src/index.js';

const ev = (data: unknown, extra: Record<string, string> = {}): CloudEvent => ({
  attributes: {
    specversion: '1.0',
    id: 'e-1',
    source: '/src',
    type: 'dev.knative.sources.ping',
    datacontenttype: 'application/json',
    ...extra,
  },
  data: new Uint8Array(Buffer.from(typeof data === 'string' ? data : JSON.stringify(data))),
});
const dataOf = (e: CloudEvent | undefined) =>
  JSON.parse(Buffer.from(e!.data!).toString('utf8')) as unknown;

describe('sample images', () => {
  it('match on the image name at any registry and tag', () => {
    expect(imageName('gcr.io/knative-releases/knative.dev/eventing/cmd/appender')).toBe('appender');
    expect(imageName('villardl/filter-nodejs:0.1')).toBe('filter-nodejs');
    expect(imageName('r.example/x/event_display@sha256:abc')).toBe('event_display');
    expect(sampleImage('gcr.io/knative-samples/helloworld-go')).toBeUndefined();
    expect(SAMPLE_IMAGES.map((s) => s.name)).toEqual([
      'event_display',
      'appender',
      'filter-nodejs',
      'transformer-nodejs',
    ]);
  });

  it('appender appends MESSAGE to data.message, keeps the other attributes and sets TYPE', () => {
    const handle = sampleImage('appender')!.create(
      { MESSAGE: ' - Handled by 0', TYPE: 'samples.http.mod3' },
      silentLogger,
    );
    const out = handle(ev({ id: 7, message: 'Hello', other: true }, { knativearrivaltime: 't' }));
    expect(out.kind).toBe('response');
    if (out.kind !== 'response') return;
    expect(out.status).toBe(200);
    expect(out.reply!.attributes).toMatchObject({
      id: 'e-1',
      source: '/src',
      type: 'samples.http.mod3',
      knativearrivaltime: 't',
      datacontenttype: 'application/json',
    });
    expect(dataOf(out.reply)).toEqual({ id: 7, message: 'Hello - Handled by 0' });
  });

  it("appender without env uses the image's default message and keeps the type", () => {
    const out = sampleImage('appender')!.create({}, silentLogger)(ev({ message: 'x' }));
    if (out.kind !== 'response') throw new Error('expected a response');
    expect(out.reply!.attributes['type']).toBe('dev.knative.sources.ping');
    expect(dataOf(out.reply)).toEqual({
      id: 0,
      message: 'xboring default msg, change me with env[MESSAGE]',
    });
  });

  it('appender answers 400 for data that is not JSON or has fields of the wrong type', () => {
    const handle = sampleImage('appender')!.create({}, silentLogger);
    expect(handle(ev('not json'))).toMatchObject({ kind: 'response', status: 400 });
    expect(handle(ev({ id: 1.5 }))).toMatchObject({ status: 400 });
    expect(handle(ev({ message: 3 }))).toMatchObject({ status: 400 });
    expect(handle(ev([1]))).toMatchObject({ status: 400 });
    expect(handle(ev({ id: null, message: null }))).toMatchObject({ status: 200 });
  });

  it('filter-nodejs replies with the event when FILTER holds, and without a reply otherwise', () => {
    const handle = sampleImage('villardl/filter-nodejs:0.1')!.create(
      { FILTER: 'event.data.n % 2 === 0 && event.type.startsWith("dev.")\n' },
      silentLogger,
    );
    const even = handle(ev({ n: 2 }));
    const odd = handle(ev({ n: 3 }));
    expect(even).toMatchObject({ status: 200, reply: { attributes: { id: 'e-1' } } });
    expect(odd).toMatchObject({ status: 200 });
    expect((odd as { reply?: unknown }).reply).toBeUndefined();
  });

  it('transformer-nodejs replies with the value of TRANSFORMER as data', () => {
    const out = sampleImage('transformer-nodejs')!.create(
      { TRANSFORMER: '({"message": "we are even!", "was": event.data.n})' },
      silentLogger,
    )(ev({ n: 4 }));
    if (out.kind !== 'response') throw new Error('expected a response');
    expect(dataOf(out.reply)).toEqual({ message: 'we are even!', was: 4 });
  });

  it('event_display prints the event the way the Go SDK does', () => {
    const text = displayText(ev({ a: 1 }, { knativearrivaltime: 't' }));
    expect(text.split('\n')).toEqual([
      '☁️  cloudevents.Event',
      'Validation: valid',
      'Context Attributes,',
      '  specversion: 1.0',
      '  type: dev.knative.sources.ping',
      '  source: /src',
      '  id: e-1',
      '  datacontenttype: application/json',
      'Extensions,',
      '  knativearrivaltime: t',
      'Data,',
      '  {',
      '    "a": 1',
      '  }',
    ]);
  });
});

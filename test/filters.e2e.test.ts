import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { request } from 'undici';
import { startHttpSink, type HttpSink } from '@tributary/testkit';
import {
  startTributary,
  writeManifests,
  type TributaryProcess,
} from './support/tributary-process.js';

// docs/knative-behaviour.md §13 checks 4 (legacy attribute filter, "" = present and non-empty, docs/decisions.md D1) and
// 5 (`filters` override `filter`; an empty `filters` list does not), through a real `tributary run`.
// Each trigger has its own sink; a final "marker" event that every trigger passes proves that
// anything sent before it and not received was filtered out (not merely late).
const triggers = {
  legacy: { type: 'com.example.someevent', source: '/mycontext', myextension: '' },
  subject: { type: 'com.example.someevent', source: '/mycontext', subject: '' },
  empty: { type: '', source: '' },
} as const;

let trib: TributaryProcess;
const sinks: Record<string, HttpSink> = {};

function triggerYaml(name: string, sink: HttpSink, filterYaml: string) {
  return `---
apiVersion: eventing.knative.dev/v1
kind: Trigger
metadata: { name: ${name} }
spec:
  broker: default
${filterYaml}
  subscriber: { uri: "${sink.url}" }
`;
}

beforeAll(async () => {
  for (const name of ['legacy', 'subject', 'empty', 'override', 'emptyfilters'])
    sinks[name] = await startHttpSink();
  const attrs = (m: Record<string, string>) =>
    `  filter:\n    attributes:\n${Object.entries(m)
      .map(([k, v]) => `      ${k}: "${v}"`)
      .join('\n')}`;
  let yaml = `apiVersion: eventing.knative.dev/v1
kind: Broker
metadata: { name: default }
`;
  yaml += triggerYaml('legacy', sinks.legacy!, attrs(triggers.legacy));
  yaml += triggerYaml('subject', sinks.subject!, attrs(triggers.subject));
  yaml += triggerYaml('empty', sinks.empty!, attrs(triggers.empty));
  yaml += triggerYaml(
    'override',
    sinks.override!,
    `  filters:\n    - exact: { type: subscriptionapi.filters.override.event.type }\n  filter:\n    attributes: { type: filter.check.event.type }`,
  );
  yaml += triggerYaml(
    'emptyfilters',
    sinks.emptyfilters!,
    `  filters: []\n  filter:\n    attributes: { type: filter.attribute.event.type }`,
  );
  trib = await startTributary(writeManifests({ 'filters.yaml': yaml }));
});

afterAll(async () => {
  await trib?.stop();
  await Promise.all(Object.values(sinks).map((s) => s.close()));
});

async function send(id: string, attrs: Record<string, string>) {
  const headers: Record<string, string> = {
    'ce-specversion': '1.0',
    'ce-id': id,
    'ce-source': '/x',
    'ce-type': 'x',
    'content-type': 'application/json',
  };
  for (const [k, v] of Object.entries(attrs)) headers[`ce-${k}`] = v;
  const res = await request(`${trib.baseUrl}/default/default`, {
    method: 'POST',
    headers,
    body: '{}',
  });
  await res.body.dump();
  expect(res.statusCode).toBe(202);
}

/** Ids the sink received once the marker (sent last) and every expected id arrived. */
async function receivedIds(
  sink: HttpSink,
  marker: Record<string, string>,
  markerId: string,
  expected: string[] = [],
): Promise<string[]> {
  await send(markerId, marker);
  for (const id of [markerId, ...expected])
    await sink.waitForEvent((e) => e.attributes['id'] === id);
  return sink.events.map((e) => e.attributes['id']!).filter((id) => id !== markerId);
}

describe('legacy filter.attributes', () => {
  it('needs an extension filtered with "" to be present', async () => {
    await send('no-ext', { type: 'com.example.someevent', source: '/mycontext' });
    await send('with-ext', {
      type: 'com.example.someevent',
      source: '/mycontext',
      myextension: 'my-extension-value',
    });
    const ids = await receivedIds(
      sinks.legacy!,
      { type: 'com.example.someevent', source: '/mycontext', myextension: 'm' },
      'm1',
      ['with-ext'],
    );
    expect(ids).toContain('with-ext');
    expect(ids).not.toContain('no-ext');
  });

  it('needs a subject filtered with "" to be set', async () => {
    await send('no-subject', { type: 'com.example.someevent', source: '/mycontext' });
    const ids = await receivedIds(
      sinks.subject!,
      { type: 'com.example.someevent', source: '/mycontext', subject: 's' },
      'm2',
    );
    expect(ids).not.toContain('no-subject');
  });

  it('passes everything when type and source are filtered with ""', async () => {
    await send('anything', { type: 'whatever', source: '/somewhere' });
    const ids = await receivedIds(sinks.empty!, { type: 'm', source: '/m' }, 'm3', ['anything']);
    expect(ids).toContain('anything');
  });
});

describe('filters override filter', () => {
  it('uses filters when non-empty', async () => {
    await send('override-yes', { type: 'subscriptionapi.filters.override.event.type' });
    await send('override-no', { type: 'filter.check.event.type' });
    const ids = await receivedIds(
      sinks.override!,
      { type: 'subscriptionapi.filters.override.event.type' },
      'm4',
      ['override-yes'],
    );
    expect(ids).toEqual(['override-yes']);
  });

  it('uses filter.attributes when filters is empty', async () => {
    await send('attr-yes', { type: 'filter.attribute.event.type' });
    await send('attr-no', { type: 'some.other.type' });
    const ids = await receivedIds(
      sinks.emptyfilters!,
      { type: 'filter.attribute.event.type' },
      'm5',
      ['attr-yes'],
    );
    expect(ids).toEqual(['attr-yes']);
  });
});

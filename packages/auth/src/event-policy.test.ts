import { describe, expect, it } from 'vitest';
import { type CloudEvent, oidcSubjectOf } from '@tributary/core';
import { compilePolicy, decide } from './event-policy.js';
import type { EventPolicy } from './resources.js';

const policy = (spec: EventPolicy['spec'], name = 'p', namespace = 'ns') =>
  compilePolicy({
    apiVersion: 'eventing.knative.dev/v1alpha1',
    kind: 'EventPolicy',
    metadata: { name, namespace },
    spec,
  } as EventPolicy & { metadata: { namespace: string } });

const ev = (type: string): CloudEvent => ({
  attributes: { specversion: '1.0', id: '1', source: '/s', type },
});
const broker = { kind: 'Broker', namespace: 'ns', name: 'b' };

describe('EventPolicy evaluation', () => {
  it('matches exact subjects case-insensitively and prefixes ending in *', () => {
    const p = policy({ from: [{ sub: 'system:serviceaccount:ns:App' }, { sub: 'token:ci-*' }] });
    expect(p.allowsSubject('system:serviceaccount:ns:app')).toBe(true);
    expect(p.allowsSubject('system:serviceaccount:ns:app2')).toBe(false);
    expect(p.allowsSubject('token:ci-main')).toBe(true);
    expect(p.allowsSubject('token:cd')).toBe(false);
  });

  it("resolves from.ref to the source's Knative OIDC subject (namespace defaults to the policy's)", () => {
    const p = policy({
      from: [{ ref: { apiVersion: 'sources.knative.dev/v1', kind: 'PingSource', name: 'ping' } }],
    });
    const sub = oidcSubjectOf({
      apiVersion: 'sources.knative.dev/v1',
      kind: 'PingSource',
      namespace: 'ns',
      name: 'ping',
    });
    expect(sub).toBe('system:serviceaccount:ns:ping-oidc-sources.knative.dev-pingsource');
    expect(p.allowsSubject(sub)).toBe(true);
  });

  it('applies by ref, by label selector (matchLabels and matchExpressions), or to the whole namespace', () => {
    const byRef = policy({
      to: [{ ref: { apiVersion: 'eventing.knative.dev/v1', kind: 'Broker', name: 'b' } }],
      from: [{ sub: 'x' }],
    });
    const bySelector = policy({
      to: [
        {
          selector: {
            kind: 'Broker',
            matchLabels: { tier: 'gold' },
            matchExpressions: [{ key: 'env', operator: 'In', values: ['prod'] }],
          },
        },
      ],
      from: [{ sub: 'x' }],
    });
    const all = policy({ from: [{ sub: 'x' }] });
    expect(byRef.appliesTo(broker, {})).toBe(true);
    expect(byRef.appliesTo({ ...broker, name: 'c' }, {})).toBe(false);
    expect(bySelector.appliesTo(broker, { tier: 'gold', env: 'prod' })).toBe(true);
    expect(bySelector.appliesTo(broker, { tier: 'gold', env: 'dev' })).toBe(false);
    expect(
      bySelector.appliesTo({ ...broker, kind: 'Sequence' }, { tier: 'gold', env: 'prod' }),
    ).toBe(false);
    expect(all.appliesTo({ kind: 'Channel', namespace: 'ns', name: 'any' }, {})).toBe(true);
    expect(all.appliesTo({ kind: 'Channel', namespace: 'other', name: 'any' }, {})).toBe(false);
  });

  it('allows when some policy lists the subject and its filters pass every event (CESQL included)', () => {
    const ps = [
      policy({ from: [{ sub: 'a' }], filters: [{ cesql: "type LIKE 'com.ok.%'" }] }, 'p1'),
      policy({ from: [{ sub: 'b' }] }, 'p2'),
    ];
    const d = (sub: string, events: CloudEvent[]) =>
      decide(ps, broker, {}, sub, events, 'deny-all').allowed;
    expect(d('a', [ev('com.ok.x')])).toBe(true);
    expect(d('a', [ev('com.ok.x'), ev('com.bad')])).toBe(false);
    expect(d('b', [ev('com.bad')])).toBe(true);
    expect(d('c', [ev('com.ok.x')])).toBe(false);
  });

  it('without policies follows defaultAuthorization', () => {
    const same = 'system:serviceaccount:ns:x';
    const other = 'system:serviceaccount:elsewhere:x';
    const d = (mode: 'allow-all' | 'allow-same-namespace' | 'deny-all', sub: string) =>
      decide([], broker, {}, sub, [ev('t')], mode).allowed;
    expect([d('allow-all', other), d('deny-all', same)]).toEqual([true, false]);
    expect([d('allow-same-namespace', same), d('allow-same-namespace', other)]).toEqual([
      true,
      false,
    ]);
    expect(d('allow-same-namespace', 'token:ci')).toBe(false);
  });
});

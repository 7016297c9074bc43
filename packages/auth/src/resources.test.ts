import { describe, expect, it } from 'vitest';
import { coreKinds, createKindSet, loadResources as loadWith } from '@tributary/core';
import { createIngressAuthorizer } from './authorizer.js';
import { authKinds } from './resources.js';

const kinds = createKindSet(coreKinds, authKinds);
const loadResources = (objects: readonly unknown[]) => loadWith(objects, { kinds });

const auth = (spec: unknown) => ({
  apiVersion: 'tributary.dev/v1alpha1',
  kind: 'Authentication',
  metadata: { name: 'default' },
  spec,
});

describe('Authentication and EventPolicy manifests', () => {
  it('reports bad fields by path, including CESQL in policy filters', () => {
    const r = loadResources([
      auth({ defaultAuthorization: 'maybe', issuers: [{ issuer: 'nope', audiences: [] }] }),
      {
        apiVersion: 'eventing.knative.dev/v1alpha1',
        kind: 'EventPolicy',
        metadata: { name: 'p' },
        spec: {
          from: [{ sub: 'a', ref: { apiVersion: 'v1', kind: 'X', name: 'y' } }],
          filters: [{ cesql: 'type = = 1' }],
        },
      },
    ]);
    const paths = r.problems.map((p) => `${p.path}: ${p.message}`);
    expect(
      paths.some(
        (p) => p.startsWith('spec.defaultAuthorization: ') && p.includes('allow-same-namespace'),
      ),
    ).toBe(true);
    expect(
      paths.some(
        (p) => p.startsWith('spec.issuers.0.issuer') || p.startsWith('spec.issuers[0].issuer'),
      ),
    ).toBe(true);
    expect(paths.some((p) => p.includes('exactly one of ref or sub'))).toBe(true);
  });

  it('defaults defaultAuthorization to allow-same-namespace', () => {
    const r = loadResources([auth({})]);
    expect(r.problems).toEqual([]);
    expect(createIngressAuthorizer(r.topology)?.defaultAuthorization).toBe('allow-same-namespace');
  });

  it('fails loudly for a token whose Secret exists nowhere, naming both places', () => {
    const r = loadResources([
      auth({ tokens: [{ name: 'ci', secretKeyRef: { name: 'gone', key: 'k' } }] }),
    ]);
    expect(() => createIngressAuthorizer(r.topology, { env: {} })).toThrow(/token 'ci'.*GONE_K/);
  });

  it('refuses a second Authentication resource', () => {
    const r = loadResources([auth({}), { ...auth({}), metadata: { name: 'second' } }]);
    expect(() => createIngressAuthorizer(r.topology)).toThrow(/only one Authentication/);
  });

  it('without an Authentication resource there is no authorizer (today’s behaviour)', () => {
    expect(createIngressAuthorizer(loadResources([]).topology)).toBeUndefined();
  });
});

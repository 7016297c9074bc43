import { describe, expect, it } from 'vitest';
import { SecretMissingError } from '../errors.js';
import { loadResources } from './load.js';
import { configMapData, resolveSecretKeyRef, secretEnvName } from './secrets.js';

const topology = loadResources([
  {
    apiVersion: 'v1',
    kind: 'Secret',
    metadata: { name: 'gh' },
    data: { token: Buffer.from('from-data').toString('base64'), both: 'ZGF0YQ==' },
    stringData: { both: 'string-wins' },
  },
  {
    apiVersion: 'v1',
    kind: 'Secret',
    metadata: { name: 'gh', namespace: 'team' },
    stringData: { token: 'team-token' },
  },
  {
    apiVersion: 'v1',
    kind: 'ConfigMap',
    metadata: { name: 'kafka' },
    data: { 'bootstrap.servers': 'localhost:9092' },
  },
  { apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: 'empty' } },
]).topology;

describe('resolveSecretKeyRef', () => {
  it('reads base64 data and stringData (stringData wins), per namespace', () => {
    expect(resolveSecretKeyRef(topology, 'default', { name: 'gh', key: 'token' }, {})).toBe(
      'from-data',
    );
    expect(resolveSecretKeyRef(topology, 'default', { name: 'gh', key: 'both' }, {})).toBe(
      'string-wins',
    );
    expect(resolveSecretKeyRef(topology, 'team', { name: 'gh', key: 'token' }, {})).toBe(
      'team-token',
    );
  });

  it('falls back to <NAME>_<KEY> in the environment', () => {
    expect(secretEnvName({ name: 'my-secret', key: 'api.key' })).toBe('MY_SECRET_API_KEY');
    expect(
      resolveSecretKeyRef(
        topology,
        'default',
        { name: 'my-secret', key: 'api.key' },
        { MY_SECRET_API_KEY: 'env' },
      ),
    ).toBe('env');
    expect(
      resolveSecretKeyRef(topology, 'default', { name: 'gh', key: 'other' }, { GH_OTHER: 'env2' }),
    ).toBe('env2');
  });

  it('throws SecretMissingError naming both places', () => {
    const call = () => resolveSecretKeyRef(topology, 'default', { name: 'nope', key: 'token' }, {});
    expect(call).toThrow(SecretMissingError);
    expect(call).toThrow(
      "no Secret 'default/nope' in the manifests, and environment variable NOPE_TOKEN is not set",
    );
    expect(() => resolveSecretKeyRef(topology, 'default', { name: 'gh', key: 'x' }, {})).toThrow(
      "Secret 'default/gh' has no key 'x' in data or stringData, and environment variable GH_X is not set",
    );
    try {
      call();
    } catch (err) {
      expect((err as SecretMissingError).code).toBe('TRIB_ERR_SECRET_MISSING');
    }
  });
});

describe('configMapData', () => {
  it('returns data, {} for a ConfigMap without data, undefined when missing', () => {
    expect(configMapData(topology, 'default', 'kafka')).toEqual({
      'bootstrap.servers': 'localhost:9092',
    });
    expect(configMapData(topology, 'default', 'empty')).toEqual({});
    expect(configMapData(topology, 'other', 'kafka')).toBeUndefined();
  });
});

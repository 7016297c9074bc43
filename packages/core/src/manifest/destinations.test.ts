import { describe, expect, it } from 'vitest';
import { refTarget, resolveUri } from './destinations.js';
import { didYouMean, editDistance, nearest } from './suggest.js';

describe('refTarget', () => {
  it.each([
    ['serving.knative.dev/v1', 'Service', 'function'],
    ['tributary.dev/v1alpha1', 'Function', 'function'],
    ['eventing.knative.dev/v1', 'Broker', 'broker'],
    ['messaging.knative.dev/v1', 'Channel', 'channel'],
    ['messaging.knative.dev/v1', 'InMemoryChannel', 'channel'],
    ['flows.knative.dev/v1', 'Sequence', 'sequence'],
    ['flows.knative.dev/v1', 'Parallel', 'parallel'],
    ['v1', 'Service', 'unknown'],
    ['eventing.knative.dev/v1', 'Trigger', 'unknown'],
  ])('%s %s → %s', (apiVersion, kind, expected) => {
    expect(refTarget({ apiVersion, kind, name: 'x' }, 'ns').kind).toBe(expected);
  });

  it('defaults the namespace to the owner', () => {
    const ref = { apiVersion: 'eventing.knative.dev/v1', kind: 'Broker', name: 'b' };
    expect(refTarget(ref, 'team')).toEqual({ kind: 'broker', namespace: 'team', name: 'b' });
    expect(refTarget({ ...ref, namespace: 'other' }, 'team').namespace).toBe('other');
  });
});

describe('resolveUri', () => {
  it('resolves relative references like URL reference resolution', () => {
    expect(resolveUri('http://h:8080/default/b')).toBe('http://h:8080/default/b');
    expect(resolveUri('http://h:8080/default/b', '/extra?x=1')).toBe('http://h:8080/extra?x=1');
    expect(resolveUri('http://h:8080/default/b', 'c')).toBe('http://h:8080/default/c');
    expect(resolveUri('http://h:8080/default/b/', 'c')).toBe('http://h:8080/default/b/c');
    expect(resolveUri('http://h/a', '')).toBe('http://h/a');
  });
});

describe('suggestions', () => {
  it('uses Damerau-Levenshtein distance', () => {
    expect(editDistance('Triger', 'Trigger')).toBe(1);
    expect(editDistance('Tirgger', 'Trigger')).toBe(1);
    expect(editDistance('', 'abc')).toBe(3);
    expect(nearest('subscribr', ['broker', 'subscriber', 'delivery'])).toBe('subscriber');
    expect(nearest('zzzzzz', ['broker', 'subscriber'])).toBeUndefined();
    expect(didYouMean('brokr', ['broker'])).toBe("; did you mean 'broker'?");
    expect(didYouMean('x', [])).toBe('');
  });
});

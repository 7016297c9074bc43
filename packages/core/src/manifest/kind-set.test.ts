import { describe, expect, it } from 'vitest';
import { z } from 'zod';
import { coreKinds, coreKindSet } from './builtin-kinds.js';
import { createKindSet, defineKind } from './kind-set.js';
import { loadResources } from './load.js';
import { resourceSchema } from '../resources/kinds.js';

const widget = defineKind({
  apiVersion: 'example.dev/v1',
  kind: 'Widget',
  schema: resourceSchema('example.dev/v1', 'Widget', z.strictObject({ size: z.number() })),
});
const doc = {
  apiVersion: 'example.dev/v1',
  kind: 'Widget',
  metadata: { name: 'w' },
  spec: { size: 1 },
};

describe('KindSet', () => {
  it('looks kinds up by apiVersion and kind, and lists versions and kinds', () => {
    const kinds = createKindSet(coreKinds, [widget]);
    expect(kinds.get('example.dev/v1', 'Widget')).toBe(widget);
    expect(kinds.get('example.dev/v2', 'Widget')).toBeUndefined();
    expect(kinds.apiVersionsOf('Trigger')).toEqual(['eventing.knative.dev/v1']);
    expect(kinds.kindsOf('example.dev/v1')).toEqual(['Widget']);
    expect(kinds.hasKind('Widget')).toBe(true);
    expect(Object.isFrozen(kinds.definitions)).toBe(true);
  });

  it('accepts one definition listed twice and refuses two definitions of one kind', () => {
    expect(createKindSet([widget], [widget]).definitions).toHaveLength(1);
    expect(() => createKindSet([widget], [{ ...widget }])).toThrow(TypeError);
  });

  it('is what the loader knows: only the kinds passed in, core kinds by default', () => {
    expect(loadResources([doc]).problems[0]?.message).toMatch(/unknown kind 'Widget'/);
    expect(loadResources([doc], { kinds: coreKindSet }).problems).toHaveLength(1);
    const loaded = loadResources([doc], { kinds: createKindSet(coreKinds, [widget]) });
    expect(loaded.problems).toEqual([]);
    expect(loaded.topology.byKind('Widget')).toHaveLength(1);
  });
});

import { describe, expect, it } from 'vitest';
import type { Loaded } from '@tributary/core';
import {
  DEFAULT_MAX_SCALE,
  type KnativeService,
  KnativeServiceSchema,
  autoscaleConfig,
  parseGoDuration,
  validateAutoscaling,
} from '../src/index.js';

const svc = (
  template: Record<string, string> = {},
  service: Record<string, string> | undefined = undefined,
  extra: Record<string, unknown> = {},
): KnativeService =>
  KnativeServiceSchema.parse({
    apiVersion: 'serving.knative.dev/v1',
    kind: 'Service',
    metadata: { name: 's', ...(service ? { annotations: service } : {}) },
    spec: {
      template: {
        metadata: { annotations: template },
        spec: { containers: [{ command: ['node', 'x.mjs'] }], ...extra },
      },
    },
  });

describe('parseGoDuration', () => {
  it('reads Go durations and refuses anything else', () => {
    expect(parseGoDuration('60s')).toBe(60_000);
    expect(parseGoDuration('1m30s')).toBe(90_000);
    expect(parseGoDuration('500ms')).toBe(500);
    expect(parseGoDuration('1h')).toBe(3_600_000);
    expect(parseGoDuration('0')).toBe(0);
    expect(parseGoDuration('PT5S')).toBeUndefined();
    expect(parseGoDuration('5')).toBeUndefined();
  });
});

describe('autoscaleConfig', () => {
  it("uses Knative's defaults, with max-scale capped", () => {
    expect(autoscaleConfig(svc())).toEqual({
      initialScale: 1,
      minScale: 0,
      maxScale: DEFAULT_MAX_SCALE,
      target: 100,
      containerConcurrency: 0,
      windowMs: 60_000,
      retentionMs: 0,
    });
  });

  it('reads every annotation, the revision template winning over the Service', () => {
    const c = autoscaleConfig(
      svc(
        {
          'autoscaling.knative.dev/initial-scale': '0',
          'autoscaling.knative.dev/max-scale': '3',
          'autoscaling.knative.dev/target': '2',
          'autoscaling.knative.dev/window': '6s',
          'autoscaling.knative.dev/scale-to-zero-pod-retention-period': '1m5s',
        },
        { 'autoscaling.knative.dev/min-scale': '1', 'autoscaling.knative.dev/max-scale': '9' },
        { containerConcurrency: 4 },
      ),
    );
    expect(c).toEqual({
      initialScale: 1, // raised to min-scale
      minScale: 1,
      maxScale: 3,
      target: 2,
      containerConcurrency: 4,
      windowMs: 6_000,
      retentionMs: 65_000,
    });
  });

  it('accepts the older camelCase names', () => {
    const c = autoscaleConfig(svc({ 'autoscaling.knative.dev/minScale': '2' }));
    expect(c.minScale).toBe(2);
    expect(c.initialScale).toBe(2);
  });
});

describe('validateAutoscaling', () => {
  it('names the annotation, the value and what to write', () => {
    const s = svc({
      'autoscaling.knative.dev/window': '3s',
      'autoscaling.knative.dev/target': 'lots',
    });
    const loaded = { ...s, source: { file: 'f', line: 1, col: 1 } } as Loaded<KnativeService>;
    const problems = validateAutoscaling(loaded);
    expect(problems).toEqual(
      expect.arrayContaining([
        {
          path: ['spec', 'template', 'metadata', 'annotations', 'autoscaling.knative.dev/window'],
          message: expect.stringContaining('between 6s and 1h'),
        },
        {
          path: ['spec', 'template', 'metadata', 'annotations', 'autoscaling.knative.dev/target'],
          message: expect.stringContaining("'lots'"),
        },
      ]),
    );
  });

  it('refuses min-scale above max-scale', () => {
    const problems = validateAutoscaling(
      svc({ 'autoscaling.knative.dev/min-scale': '4', 'autoscaling.knative.dev/max-scale': '2' }),
    );
    expect(problems.map((p) => p.message)).toEqual([
      'min-scale 4 is above max-scale 2: lower min-scale or raise max-scale',
    ]);
  });
});

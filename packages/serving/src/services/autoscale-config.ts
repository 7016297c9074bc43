/**
 * Knative Serving's autoscaling annotations (`autoscaling.knative.dev/…`, docs/serving.md) as a
 * command Service honours them: read from the revision template's annotations, falling back to the
 * Service's own.
 */
import type { ResourceProblem } from '@tributary/core';
import type { KnativeService } from '../resources.js';

export const AUTOSCALING_PREFIX = 'autoscaling.knative.dev/';

/** The scaling parameters of one command Service. */
export interface AutoscaleConfig {
  /** Processes started with the Service (Knative default 1). */
  readonly initialScale: number;
  /** Processes kept while idle (default 0: scale to zero). */
  readonly minScale: number;
  /** Upper bound of processes (Knative's 0 = unlimited is capped at {@link DEFAULT_MAX_SCALE}). */
  readonly maxScale: number;
  /** Soft concurrency target per process (default 100). */
  readonly target: number;
  /** Hard limit of requests in flight per process (`containerConcurrency`; 0 = none). */
  readonly containerConcurrency: number;
  /** Stable window over which concurrency is averaged (default 60 s; 6 s to 1 h). */
  readonly windowMs: number;
  /** How long the last process stays after the decision to scale to zero (default 0). */
  readonly retentionMs: number;
}

/** Cap of processes when `max-scale` is unset or 0 (Knative: unlimited); protects the machine. */
export const DEFAULT_MAX_SCALE = 10;

const GO_DURATION = /^(\d+(?:\.\d+)?(?:ns|us|µs|ms|s|m|h))+$/;
const UNIT_MS: Record<string, number> = {
  ns: 1e-6,
  us: 1e-3,
  µs: 1e-3,
  ms: 1,
  s: 1_000,
  m: 60_000,
  h: 3_600_000,
};

/** Parses a Go duration (`60s`, `1m30s`, `500ms`) into milliseconds; undefined when invalid. */
export function parseGoDuration(text: string): number | undefined {
  if (text === '0') return 0;
  if (!GO_DURATION.test(text)) return undefined;
  let ms = 0;
  for (const m of text.matchAll(/(\d+(?:\.\d+)?)(ns|us|µs|ms|s|m|h)/g))
    ms += Number(m[1]) * UNIT_MS[m[2]!]!;
  return ms;
}

type Annotations = Readonly<Record<string, string>>;

/** The effective annotations: the revision template's over the Service's. */
export function revisionAnnotations(svc: KnativeService): Annotations {
  return {
    ...(svc.metadata.annotations ?? {}),
    ...(svc.spec.template.metadata?.annotations ?? {}),
  };
}

interface Key {
  readonly names: readonly string[];
  readonly parse: (v: string) => number | undefined;
  readonly hint: string;
}

const int = (min: number) => (v: string) =>
  /^\d+$/.test(v) && Number(v) >= min ? Number(v) : undefined;
const KEYS = {
  initialScale: {
    names: ['initial-scale', 'initialScale'],
    parse: int(0),
    hint: 'an integer ≥ 0, e.g. "0" to start from zero',
  },
  minScale: { names: ['min-scale', 'minScale'], parse: int(0), hint: 'an integer ≥ 0' },
  maxScale: {
    names: ['max-scale', 'maxScale'],
    parse: int(0),
    hint: 'an integer ≥ 0 (0: no limit)',
  },
  target: {
    names: ['target'],
    parse: (v) => (/^\d+(\.\d+)?$/.test(v) && Number(v) >= 0.01 ? Number(v) : undefined),
    hint: 'a number ≥ 0.01 (requests in flight per process)',
  },
  windowMs: {
    names: ['window'],
    parse: (v) => {
      const ms = parseGoDuration(v);
      return ms !== undefined && ms >= 6_000 && ms <= 3_600_000 ? ms : undefined;
    },
    hint: 'a duration between 6s and 1h, e.g. "60s"',
  },
  retentionMs: {
    names: ['scale-to-zero-pod-retention-period'],
    parse: (v) => {
      const ms = parseGoDuration(v);
      return ms !== undefined && ms <= 3_600_000 ? ms : undefined;
    },
    hint: 'a duration up to 1h, e.g. "1m5s"',
  },
} satisfies Record<string, Key>;

function lookup(a: Annotations, key: Key): [string, string] | undefined {
  for (const n of key.names) {
    const v = a[AUTOSCALING_PREFIX + n];
    if (v !== undefined) return [AUTOSCALING_PREFIX + n, v];
  }
  return undefined;
}

/** Problems with the autoscaling annotations, located at the annotation that is wrong. */
export function validateAutoscaling(svc: KnativeService): ResourceProblem[] {
  const problems: ResourceProblem[] = [];
  const check = (path: (string | number)[], a: Annotations | undefined) => {
    for (const key of Object.values(KEYS) as Key[]) {
      const found = lookup(a ?? {}, key);
      if (found && key.parse(found[1]) === undefined)
        problems.push({
          path: [...path, found[0]],
          message: `'${found[1]}' is not valid for ${found[0]}: write ${key.hint}`,
        });
    }
  };
  check(['metadata', 'annotations'], svc.metadata.annotations);
  check(['spec', 'template', 'metadata', 'annotations'], svc.spec.template.metadata?.annotations);
  const min = annotationValue(svc, KEYS.minScale) ?? 0;
  const max = annotationValue(svc, KEYS.maxScale);
  if (max !== undefined && max > 0 && min > max)
    problems.push({
      path: ['spec', 'template', 'metadata', 'annotations'],
      message: `min-scale ${min} is above max-scale ${max}: lower min-scale or raise max-scale`,
    });
  return problems;
}

function annotationValue(svc: KnativeService, key: Key): number | undefined {
  const found = lookup(revisionAnnotations(svc), key);
  return found ? key.parse(found[1]) : undefined;
}

/** The scaling parameters of `svc` (invalid values fall back to Knative's defaults). */
export function autoscaleConfig(svc: KnativeService): AutoscaleConfig {
  const max = annotationValue(svc, KEYS.maxScale) ?? 0;
  const maxScale = max === 0 ? DEFAULT_MAX_SCALE : max;
  const minScale = Math.min(annotationValue(svc, KEYS.minScale) ?? 0, maxScale);
  const initial = annotationValue(svc, KEYS.initialScale) ?? 1;
  return {
    initialScale: Math.min(Math.max(initial, minScale), maxScale),
    minScale,
    maxScale,
    target: annotationValue(svc, KEYS.target) ?? 100,
    containerConcurrency: svc.spec.template.spec.containerConcurrency ?? 0,
    windowMs: annotationValue(svc, KEYS.windowMs) ?? 60_000,
    retentionMs: annotationValue(svc, KEYS.retentionMs) ?? 0,
  };
}

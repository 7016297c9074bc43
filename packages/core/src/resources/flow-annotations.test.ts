import { describe, expect, it } from 'vitest';
import {
  archiveRetentionOf,
  flowControlOf,
  parseFlexibleDuration,
  validateArchiveAnnotation,
  validateFlowControlAnnotations,
} from './flow-annotations.js';

const meta = (annotations: Record<string, string>) => ({ metadata: { annotations } });

describe('flow-control annotations', () => {
  it('parses Go and ISO-8601 durations', () => {
    expect(parseFlexibleDuration('72h')).toBe(72 * 3_600_000);
    expect(parseFlexibleDuration('1h30m')).toBe(5_400_000);
    expect(parseFlexibleDuration('500ms')).toBe(500);
    expect(parseFlexibleDuration('PT72H')).toBe(72 * 3_600_000);
    expect(parseFlexibleDuration('3 days')).toBeUndefined();
  });

  it('reads the values', () => {
    expect(
      flowControlOf(
        meta({
          'tributary.dev/paused': 'true',
          'tributary.dev/rate-limit': '120/m',
          'tributary.dev/max-in-flight': '4',
          'tributary.dev/circuit-breaker': '5/PT30S',
        }),
      ),
    ).toEqual({
      paused: true,
      rateLimit: { count: 120, perMs: 60_000 },
      maxInFlight: 4,
      circuitBreaker: { failures: 5, coolDownMs: 30_000 },
    });
    expect(archiveRetentionOf(meta({ 'tributary.dev/archive-retention': '2h' }))).toBe(7_200_000);
  });

  it('names field, value and fix for invalid values', () => {
    const problems = validateFlowControlAnnotations(
      meta({ 'tributary.dev/rate-limit': '10/h', 'tributary.dev/circuit-breaker': '0/30s' }),
    );
    expect(problems.map((p) => p.path.join('.'))).toEqual([
      'metadata.annotations.tributary.dev/rate-limit',
      'metadata.annotations.tributary.dev/circuit-breaker',
    ]);
    expect(problems[0]!.message).toBe(
      `tributary.dev/rate-limit '10/h' is invalid: write "<n>/s" or "<n>/m" with a positive integer n, e.g. "50/s"`,
    );
    expect(
      validateArchiveAnnotation(meta({ 'tributary.dev/archive-retention': '0s' }))[0]!.message,
    ).toContain(`'0s' is invalid: write a positive Go or ISO-8601 duration`);
    expect(validateFlowControlAnnotations(meta({ 'tributary.dev/max-in-flight': '3' }))).toEqual(
      [],
    );
  });
});

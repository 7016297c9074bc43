import { Histogram, Registry } from 'prom-client';
import { describe, expect, it } from 'vitest';
import { SummedHistogram } from './summed-histogram.js';

const BUCKETS = [0.005, 0.01, 0.1, 1];
const labelNames = ['trigger', 'code'];

function both() {
  const own = new Registry();
  const ref = new Registry();
  const config = { name: 'd_seconds', help: 'h', labelNames, buckets: BUCKETS };
  const summed = new SummedHistogram({ ...config, registers: [own] });
  const plain = new Histogram({ ...config, registers: [ref] });
  return { own, ref, summed, plain };
}

describe('SummedHistogram', () => {
  it('renders and reports exactly what prom-client’s Histogram does for the same observations', async () => {
    const { own, ref, summed, plain } = both();
    const a = { trigger: 't1', code: '200' };
    const b = { trigger: 't2', code: '' };
    const ca = summed.child(a);
    const cb = summed.child(b);
    summed.child({ trigger: 'never', code: '500' });
    for (const v of [0, 0.005, 0.007, 0.5, 3, 1]) {
      ca.observe(v);
      plain.observe(a, v);
    }
    cb.observe(0.02);
    plain.observe(b, 0.02);
    expect(await own.metrics()).toBe(await ref.metrics());
    expect(await own.getMetricsAsJSON()).toEqual(await ref.getMetricsAsJSON());
    expect(await own.metrics()).toContain('d_seconds_bucket{le="0.005",trigger="t1",code="200"} 2');

    summed.reset();
    plain.reset();
    expect(await own.metrics()).toBe(await ref.metrics());
    ca.observe(0.05);
    plain.observe(a, 0.05);
    expect(await own.metrics()).toBe(await ref.metrics());
  });

  it('refuses a value that is not a finite number, as prom-client does', () => {
    const { summed } = both();
    expect(() => summed.child({ trigger: 't', code: '' }).observe(Number.NaN)).toThrow(TypeError);
  });
});

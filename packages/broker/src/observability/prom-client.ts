/**
 * prom-client's metric classes, taken from its `lib/` modules rather than its index. The index also
 * loads `collectDefaultMetrics` and the process metrics (which Tributary does not register), and
 * through them the OpenTelemetry API: 124 modules and ~7 MiB of resident memory at start, against 8
 * modules for the four classes used here (idle RSS, `pnpm bench`). The classes are the very ones
 * the index exports (one module instance), so a Registry from here renders what prom-client would.
 * The paths are those of prom-client 15 (pinned in pnpm-lock.yaml).
 */
import { createRequire } from 'node:module';
import type * as PromClient from 'prom-client';

const requireFromHere = createRequire(import.meta.url);
const lib = <T>(name: string): T => requireFromHere(`prom-client/lib/${name}`) as T;

export const Registry = lib<typeof PromClient.Registry>('registry');
export type Registry = PromClient.Registry;
export const Counter = lib<typeof PromClient.Counter>('counter');
export type Counter<T extends string = string> = PromClient.Counter<T>;
export const Gauge = lib<typeof PromClient.Gauge>('gauge');
export type Gauge<T extends string = string> = PromClient.Gauge<T>;
export const Histogram = lib<typeof PromClient.Histogram>('histogram');
export type Histogram<T extends string = string> = PromClient.Histogram<T>;

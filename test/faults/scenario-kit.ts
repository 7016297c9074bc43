/**
 * The contract of a fault scenario and the helpers scenarios share (docs/reliability.md). A scenario
 * runs unchanged on every backend of backends.ts, sends events to `tributary run`, injects one fault
 * and registers the lanes to count. It throws when a behaviour it checks besides the count is wrong
 * (e.g. /healthz stopped answering); the count itself is judged by the suite.
 */
import { NS } from './backends.js';
import { type Lane, type ScenarioRun, sleep } from './harness.js';
import type { FaultSink, SinkMode } from './sink.js';

export interface ScenarioResult {
  readonly lanes: readonly Lane[];
  /** Added to the table's counts (e.g. the loop's one event). */
  readonly extra?: { accepted: number; delivered: number };
  readonly note?: string;
}

export interface Scenario {
  readonly name: string;
  /** Kills the process: the memory backend loses what it held, by design. */
  readonly crash: boolean;
  /** Needs a backend with connections (not the memory backend). */
  readonly needsConnections?: boolean;
  run(run: ScenarioRun, sinks: SinkFactory): Promise<ScenarioResult>;
}

export type SinkFactory = (mode?: SinkMode) => Promise<FaultSink>;

/** A Trigger of `broker` passing `type` to `subscriber` (a YAML flow mapping). */
export function trigger(
  broker: string,
  name: string,
  type: string,
  subscriber: string,
  delivery?: string,
  annotations: Record<string, string> = {},
): string {
  const ann = Object.entries(annotations).map(([k, v]) => `${k}: "${v}"`);
  return `apiVersion: eventing.knative.dev/v1
kind: Trigger
metadata:
  name: ${broker}-${name}
  namespace: ${NS}
${ann.length ? `  annotations: { ${ann.join(', ')} }\n` : ''}spec:
  broker: ${broker}
  filter: { attributes: { type: ${type} } }
  subscriber: ${subscriber}
${delivery ? `  delivery: ${delivery}\n` : ''}---
`;
}
export const uri = (u: string): string => `{ uri: "${u}" }`;
export const dls = (s: FaultSink): string => `deadLetterSink: { uri: "${s.url}" }`;

/** Sends `n` events of `type` while the process is killed part-way; returns when both are done. */
export async function killWhile(run: ScenarioRun, until: () => boolean, n: number, type: string) {
  let dead = false;
  const sending = run.send(type, n, type, { stop: () => dead });
  const deadline = Date.now() + 30_000;
  while (!until() && Date.now() < deadline) await sleep(20);
  await run.kill9();
  dead = true;
  await sending;
}

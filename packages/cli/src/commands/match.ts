import { readFile } from 'node:fs/promises';
import {
  type CloudEvent,
  CloudEventDecodeError,
  formatProblem,
  fromStructured,
  triggerFilterData,
  validateCloudEvent,
} from '@tributary/core';
import { explainFilter } from '@tributary/filter';
import { loadAll } from './manifests.js';

export interface MatchOptions {
  filename: string[];
  event: string[];
  output: 'text' | 'json';
}

/** One row of `tributary match -o json`. */
export interface MatchRow {
  event: number;
  namespace: string;
  broker: string;
  trigger: string;
  result: 'pass' | 'fail';
}

/** Reads events from JSON files: each holds one structured CloudEvent or an array of them. */
export async function readEvents(files: readonly string[]): Promise<CloudEvent[]> {
  const events: CloudEvent[] = [];
  for (const file of files) {
    let json: unknown;
    try {
      json = JSON.parse(await readFile(file, 'utf8'));
    } catch (err) {
      throw new Error(`${file}: not a readable JSON file: ${(err as Error).message}`);
    }
    const items = Array.isArray(json) ? json : [json];
    items.forEach((item, i) => {
      const where = Array.isArray(json) ? `${file}[${i}]` : file;
      try {
        const event = fromStructured(item);
        const problems = validateCloudEvent(event.attributes);
        if (problems.length > 0) throw new CloudEventDecodeError(problems.join('; '), problems);
        events.push(event);
      } catch (err) {
        throw new Error(`${where}: not a valid CloudEvent: ${(err as Error).message}`);
      }
    });
  }
  return events;
}

/** `tributary match`: every event against every Trigger, without starting anything. */
export async function matchCommand(opts: MatchOptions): Promise<number> {
  const { topology, problems } = await loadAll(opts.filename);
  if (problems.length > 0) {
    for (const p of problems) process.stderr.write(`${formatProblem(p)}\n`);
    return 1;
  }
  let events: CloudEvent[];
  try {
    events = await readEvents(opts.event);
  } catch (err) {
    process.stderr.write(`${(err as Error).message}\n`);
    return 1;
  }
  const rows: Array<MatchRow & { decidedBy: string }> = [];
  events.forEach((event, index) => {
    for (const t of topology.triggers) {
      const verdict = explainFilter({ filter: t.spec.filter, filters: t.spec.filters }, event, {
        filterData: triggerFilterData(t),
      });
      rows.push({
        event: index,
        namespace: t.metadata.namespace,
        broker: t.spec.broker ?? t.spec.brokerRef?.name ?? '',
        trigger: t.metadata.name,
        result: verdict.result,
        decidedBy: verdict.decidedBy,
      });
    }
  });
  if (opts.output === 'json') {
    const out: MatchRow[] = rows.map(({ event, namespace, broker, trigger, result }) => ({
      event,
      namespace,
      broker,
      trigger,
      result,
    }));
    process.stdout.write(`${JSON.stringify(out, null, 2)}\n`);
    return 0;
  }
  const lines: string[] = [];
  events.forEach((event, index) => {
    const a = event.attributes;
    lines.push(`event ${index} (id ${a['id']}, type ${a['type']}, source ${a['source']})`);
    const mine = rows.filter((r) => r.event === index);
    if (mine.length === 0) lines.push('  no triggers');
    const width = Math.max(0, ...mine.map((r) => `${r.namespace}/${r.broker}/${r.trigger}`.length));
    for (const r of mine) {
      const name = `${r.namespace}/${r.broker}/${r.trigger}`.padEnd(width);
      lines.push(`  ${name}  ${r.result.padEnd(4)}  ${r.decidedBy}`);
    }
  });
  process.stdout.write(`${lines.join('\n')}\n`);
  return 0;
}

#!/usr/bin/env node
// Turns the fault suite's results (one JSON row a line, written by test/faults/faults.test.ts) into
// the Markdown table of docs/reliability.md. The latest row of each scenario × backend wins.
//
//   node test/faults/report.mjs                 # prints the table
//   node test/faults/report.mjs --write-doc     # replaces the table in docs/reliability.md
//
// Input: $FAULTS_RESULTS, else <tmpdir>/tributary-faults-results.jsonl (the suite's default).
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const file = process.env.FAULTS_RESULTS ?? path.join(os.tmpdir(), 'tributary-faults-results.jsonl');
if (!existsSync(file)) {
  console.error(`no results at ${file}: run pnpm exec vitest run test/faults/ first`);
  process.exit(1);
}
const rows = new Map();
for (const line of readFileSync(file, 'utf8').split('\n')) {
  if (!line.trim()) continue;
  const row = JSON.parse(line);
  rows.set(`${row.scenario}\u0000${row.backend}`, row);
}
const all = [...rows.values()];
const order = ['memory', 'sqlite', 'kafka', 'rabbitmq', 'redis'];
const backends = [...new Set(all.map((r) => r.backend))].sort(
  (a, b) => order.indexOf(a) - order.indexOf(b),
);
const scenarios = [...new Set(all.map((r) => r.scenario))];
const firstSeen = new Map(all.map((r) => [r.scenario, r.order ?? 0]));
scenarios.sort((a, b) => firstSeen.get(a) - firstSeen.get(b));

const esc = (s) => String(s).replaceAll('|', '\\|').replaceAll('\n', ' ');
const lines = [
  `Run of ${new Date(Math.max(...all.map((r) => Date.parse(r.at)))).toISOString().slice(0, 16)} UTC on ` +
    `${os.cpus().length} × ${os.cpus()[0]?.model.trim() ?? 'unknown CPU'}, ` +
    `${Math.round(os.totalmem() / 2 ** 30)} GiB, Node ${process.version}, ${os.type()} ${os.release()}.`,
  '',
  '| scenario | backend | accepted | delivered | dead-lettered | held | lost | duplicates | result | note |',
  '|---|---|---:|---:|---:|---:|---:|---:|---|---|',
];
for (const s of scenarios)
  for (const b of backends) {
    const r = rows.get(`${s}\u0000${b}`);
    if (!r) continue;
    lines.push(
      `| ${esc(s)} | ${b} | ${r.accepted} | ${r.delivered} | ${r.deadLettered} | ${r.held} | ${r.lost} | ${r.duplicates} | ${r.outcome} | ${esc((r.note ?? '').slice(0, 240))} |`,
    );
  }
const table = lines.join('\n');

if (process.argv.includes('--write-doc')) {
  const doc = fileURLToPath(new URL('../../docs/reliability.md', import.meta.url));
  const text = readFileSync(doc, 'utf8');
  const begin = '<!-- faults:begin -->';
  const end = '<!-- faults:end -->';
  const i = text.indexOf(begin);
  const j = text.indexOf(end);
  if (i < 0 || j < i) {
    console.error(`${doc} has no ${begin} … ${end} markers`);
    process.exit(1);
  }
  writeFileSync(doc, `${text.slice(0, i + begin.length)}\n${table}\n${text.slice(j)}`);
  console.log(`wrote ${all.length} rows into ${doc}`);
} else {
  console.log(table);
}

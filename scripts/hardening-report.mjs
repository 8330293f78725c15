#!/usr/bin/env node
// Renders the table of test/HARDENING.md from the case counts the hardening tests wrote to
// test/out/hardening/*.json during the last run (test/hardening/record.ts), and prints the totals.
// Usage: npx vitest run test/hardening-*.test.ts && node scripts/hardening-report.mjs
import { readFileSync, readdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = fileURLToPath(new URL('..', import.meta.url));
const recordsDir = join(root, 'test', 'out', 'hardening');
const markdownPath = join(root, 'test', 'HARDENING.md');
const START = '<!-- hardening-table:start (scripts/hardening-report.mjs writes this part) -->';
const END = '<!-- hardening-table:end -->';
const GROUPS = ['Property tests', 'Bad input', 'Hostile files', 'Saves never lose the model', 'Reads stay inside and bounded', 'Command line fails first', 'Numerical faults', 'Misuse during training', 'Long runs and load', 'Plots'];

let files;
try {
  files = readdirSync(recordsDir).filter((f) => f.endsWith('.json')).sort();
} catch {
  console.error(`no records in ${recordsDir}: run the hardening tests first (npx vitest run test/hardening-*.test.ts)`);
  process.exit(1);
}
if (files.length === 0) {
  console.error(`no records in ${recordsDir}: run the hardening tests first`);
  process.exit(1);
}

const rows = [];
const seeds = new Set();
let oldest = null;
for (const file of files) {
  const { file: testFile, seed, finished, records } = JSON.parse(readFileSync(join(recordsDir, file), 'utf8'));
  seeds.add(seed);
  if (oldest === null || finished < oldest) oldest = finished;
  for (const [name, r] of Object.entries(records)) rows.push({ name, testFile, ...r });
}
rows.sort((a, b) => GROUPS.indexOf(a.group) - GROUPS.indexOf(b.group) || a.testFile.localeCompare(b.testFile));

const escape = (text) => String(text).replaceAll('|', '\\|').replaceAll('\n', ' ');
function outcome(r) {
  const tally = r.outcomes ? ` (${Object.entries(r.outcomes).map(([k, v]) => `${v} ${k}`).join(', ')})` : '';
  if (r.failures === 0) return `pass${tally}`;
  return `**FAIL: ${r.failures} failing case${r.failures === 1 ? '' : 's'}**${tally}; first: ${escape(r.firstFailure ?? '')}`;
}

const lines = ['| Fault class | Test | What a case is | Cases tried | Outcome |', '| --- | --- | --- | ---: | --- |'];
for (const r of rows) lines.push(`| ${r.group}: \`${r.name}\` | \`${r.testFile}\` | ${escape(r.what)} | ${r.cases} | ${outcome(r)} |`);
const total = rows.reduce((s, r) => s + r.cases, 0);
const failed = rows.filter((r) => r.failures > 0);
const failures = rows.reduce((s, r) => s + r.failures, 0);
const summary =
  `**Totals:** ${rows.length} fault classes, ${total} cases tried, ${failures} failing case${failures === 1 ? '' : 's'} ` +
  `in ${failed.length} class${failed.length === 1 ? '' : 'es'}${failed.length ? ` (${failed.map((r) => `\`${r.name}\``).join(', ')})` : ''}. ` +
  `Recorded ${oldest} from ${files.length} test files, fast-check seed ${[...seeds].join(', ')}.`;

const markdown = readFileSync(markdownPath, 'utf8');
const start = markdown.indexOf(START);
const end = markdown.indexOf(END);
if (start < 0 || end < start) {
  console.error(`${markdownPath}: the markers ${START} ... ${END} are missing`);
  process.exit(1);
}
writeFileSync(markdownPath, `${markdown.slice(0, start + START.length)}\n${summary}\n\n${lines.join('\n')}\n${markdown.slice(end)}`);
console.log(summary);

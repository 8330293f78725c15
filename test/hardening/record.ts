// Case counts for test/HARDENING.md. Each hardening test file records, per fault class, how many cases it
// tried and how many went wrong, and writes them to test/out/hardening/<file>.json when it ends (one file
// per test file: vitest runs files in parallel workers). scripts/hardening-report.mjs renders the table.
import { mkdirSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import fc from 'fast-check';
import { afterAll, expect } from 'vitest';
import { SEED } from './values.js';

export interface ClassRecord {
  /** Section of the table, e.g. 'Property tests'. */
  group: string;
  cases: number;
  failures: number;
  /** First failure (counterexample or message), for the table's outcome column. */
  firstFailure?: string;
  /** What a case is, e.g. 'random GEMM (shapes 0-300, all transposes, epilogues)'. */
  what: string;
  /** Counts of the acceptable outcomes, e.g. { 'clear error': 180, 'loaded correctly': 20 }. */
  outcomes?: Record<string, number>;
}

const OUT_DIR = join(dirname(fileURLToPath(import.meta.url)), '..', 'out', 'hardening');

/** Collects the records of one test file; call once at the top of the file. */
export function recorder(file: string) {
  const records: Record<string, ClassRecord> = {};
  afterAll(() => {
    mkdirSync(OUT_DIR, { recursive: true });
    writeFileSync(join(OUT_DIR, `${file}.json`), JSON.stringify({ file: `test/${file}.test.ts`, seed: SEED, finished: new Date().toISOString(), records }, null, 1) + '\n');
  });

  function entry(name: string, group: string, what: string): ClassRecord {
    records[name] ??= { group, what, cases: 0, failures: 0 };
    if (what !== '') records[name].what = what;
    return records[name];
  }

  return {
    /** Adds `cases` tried cases (and the failures among them, described) to a class. */
    add(name: string, group: string, what: string, cases: number, failures: string | string[] = []): void {
      const r = entry(name, group, what);
      r.cases += cases;
      const list = typeof failures === 'string' ? [failures] : failures;
      r.failures += list.length;
      if (list.length > 0) r.firstFailure ??= list[0].slice(0, 400);
    },

    /** Counts one acceptable outcome of a case of the class (the cases themselves are counted by add/check). */
    outcome(name: string, group: string, outcome: string): void {
      const r = entry(name, group, '');
      r.outcomes ??= {};
      r.outcomes[outcome] = (r.outcomes[outcome] ?? 0) + 1;
    },

    /**
     * Runs a fast-check property, records how many runs it made, and fails the test with fast-check's
     * report (seed, path and shrunk counterexample) when the property fails.
     */
    check<Ts>(name: string, group: string, what: string, property: fc.IProperty<Ts>, params: fc.Parameters<Ts>): void {
      const details = fc.check(property, params);
      const report = details.failed ? `${String(details.errorInstance)}\n${fc.defaultReportMessage(details)}` : undefined;
      this.add(name, group, what, details.numRuns + details.numSkips, report);
      expect(details.failed, report).toBe(false);
    },

    async checkAsync<Ts>(name: string, group: string, what: string, property: fc.IAsyncProperty<Ts>, params: fc.Parameters<Ts>): Promise<void> {
      const details = await fc.check(property, params);
      const report = details.failed ? `${String(details.errorInstance)}\n${await fc.asyncDefaultReportMessage(details)}` : undefined;
      this.add(name, group, what, details.numRuns + details.numSkips, report);
      expect(details.failed, report).toBe(false);
    },
  };
}

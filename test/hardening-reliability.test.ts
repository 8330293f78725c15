// Hardening, reliability (issue 15): saves never lose the model (overlapping saves in one process and across
// processes, unawaited saves, checkpoints from callbacks, stale locks, unparseable manifests, killed saves,
// the folder flush); reads stay inside the model folder and bounded (symlinks out, FIFOs, devices, a weights
// file listed 100 times, huge manifests, gzip IDX headers no compressed size can produce); the command line
// fails before the work (output paths, input files, the dataset a model was trained on). Cases that would
// hang or exhaust memory on a broken build run in a child process with a time limit.
import { beforeAll, describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { spawn, spawnSync } from 'node:child_process';
import { createRequire, syncBuiltinESMExports } from 'node:module';
import { existsSync, mkdirSync, readdirSync, readFileSync, rmSync, symlinkSync, truncateSync, writeFileSync } from 'node:fs';
import { hostname } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { gzipSync } from 'node:zlib';
import * as sn from '../dist/index.js';
import { recorder } from './hardening/record.js';
import { scratchFolders } from './hardening/folders.js';
import { rng, SEED } from './hardening/values.js';
import { idx } from './reference/idx.js';

const record = recorder('hardening-reliability');
/** The lock file a save holds in its folder (src/io/folder-lock.ts). */
const LOCK_FILE = '.simdnet-save.lock';
const SAVES = 'Saves never lose the model';
const READS = 'Reads stay inside and bounded';
const CLI = 'Command line fails first';

const INDEX_URL = pathToFileURL(fileURLToPath(new URL('../dist/index.js', import.meta.url))).href;
const CLI_MAIN = fileURLToPath(new URL('../dist/cli/main.js', import.meta.url));

const freshDir = scratchFolders('simdnet-reliability-');
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
const mkfifo = (path: string) => {
  const r = spawnSync('mkfifo', [path]);
  if (r.status !== 0) throw new Error(`mkfifo ${path} failed: ${r.stderr}`);
};

/** A small model both formats carry (no step activation); its weights are all `fill`, so a load shows which save it came from. */
function model(fill: number, inputs = 6): sn.Sequential {
  const m = sn.sequential([sn.layers.dense({ inputShape: [inputs], units: 5, activation: 'tanh' }), sn.layers.dense({ units: 3, activation: 'softmax' })], { seed: 1 });
  setAll(m, fill);
  return m;
}
function setAll(m: sn.Sequential, fill: number): void {
  m.setWeights(m.getWeights().map((w) => w.map((_, j) => fill + j * 1e-3)));
}
/** The fill value a model's first weight shows (see model()). */
const fillOf = (m: sn.Sequential): number => m.getWeights()[0][0];

type Format = 'simdnet' | 'tfjs';
const loaderOf = (format: Format) => (format === 'simdnet' ? sn.loadModel : sn.loadTfjs);

/** The files of a folder that a clean save leaves: model.json and the weight files it names (and nothing else). */
function unexpectedFiles(dir: string): string[] {
  const json = JSON.parse(readFileSync(join(dir, 'model.json'), 'utf8'));
  const named = new Set<string>(json.weightsFile !== undefined ? [json.weightsFile] : json.weightsManifest.flatMap((g: { paths: string[] }) => g.paths));
  return readdirSync(dir).filter((f) => f !== 'model.json' && !named.has(f));
}

/** Output and outcome of a child process running `body` as an ES module with `sn` imported and `arg` parsed from JSON. */
interface ChildResult {
  status: number | null;
  out: string;
  err: string;
  /** Killed at the time limit: it hung (or took far too long). */
  timedOut: boolean;
  ms: number;
}
function childCode(body: string): string {
  return `import * as sn from ${JSON.stringify(INDEX_URL)};\nconst arg = JSON.parse(process.env.SIMDNET_TEST_ARG);\n${body}`;
}
function runChild(body: string, arg: unknown, timeoutMs: number): ChildResult {
  const started = performance.now();
  const r = spawnSync(process.execPath, ['--input-type=module', '-e', childCode(body)], { encoding: 'utf8', timeout: timeoutMs, killSignal: 'SIGKILL', env: { ...process.env, SIMDNET_TEST_ARG: JSON.stringify(arg) } });
  return { status: r.status, out: r.stdout, err: r.stderr, timedOut: r.signal === 'SIGKILL', ms: performance.now() - started };
}
function startChild(body: string, arg: unknown) {
  const child = spawn(process.execPath, ['--input-type=module', '-e', childCode(body)], { env: { ...process.env, SIMDNET_TEST_ARG: JSON.stringify(arg) } });
  let out = '';
  let err = '';
  child.stdout.on('data', (c) => (out += c));
  child.stderr.on('data', (c) => (err += c));
  const done = new Promise<{ status: number | null; out: string; err: string }>((resolve) => child.on('close', (status) => resolve({ status, out, err })));
  return { child, done };
}
/** The pid of a process that has exited (so no process runs with it, barring reuse within the test). */
function deadPid(): number {
  const r = spawnSync(process.execPath, ['-e', 'process.stdout.write(String(process.pid))'], { encoding: 'utf8' });
  return Number(r.stdout);
}

// ---------------------------------------------------------------------------------------------------
// 1. Saves never lose the model

describe('saves never lose the model', () => {
  const kinds = ['model.save', 'saveModel', 'model.exportTfjs', 'exportTfjs'] as const;
  type Kind = (typeof kinds)[number];
  const formatOf = (kind: Kind): Format => (kind.toLowerCase().includes('tfjs') ? 'tfjs' : 'simdnet');
  function startSave(kind: Kind, m: sn.Sequential, dir: string): Promise<void> {
    switch (kind) {
      case 'model.save': return m.save(dir);
      case 'saveModel': return sn.saveModel(m, dir);
      case 'model.exportTfjs': return m.exportTfjs(dir);
      case 'exportTfjs': return sn.exportTfjs(m, dir);
    }
  }

  it('overlapping unawaited saves into one folder end as the last call, whole, with nothing left over', async () => {
    const saveArb = fc.record({ kind: fc.constantFrom(...kinds), pauseMs: fc.constantFrom(0, 0, 1, 2, 4) });
    await record.checkAsync('overlapping-saves', SAVES, 'random sequences of 2-7 unawaited save/saveModel/exportTfjs calls into one folder a few ms apart, the weights changed right after each call: the folder loads as the last call made, every save resolves, no file left over', fc.asyncProperty(fc.array(saveArb, { minLength: 2, maxLength: 7 }), fc.boolean(), async (saves, prefilled) => {
      const dir = freshDir('overlap');
      const m = model(0);
      try {
        if (prefilled) await sn.saveModel(m, dir);
        const pending: Promise<void>[] = [];
        for (const [i, s] of saves.entries()) {
          setAll(m, 10 + i);
          pending.push(startSave(s.kind, m, dir));
          setAll(m, -1); // a later moment's weights: the save must not see them
          if (s.pauseMs > 0) await sleep(s.pauseMs);
        }
        const settled = await Promise.allSettled(pending);
        const failed = settled.findIndex((r) => r.status === 'rejected');
        if (failed >= 0) throw new Error(`save ${failed} failed: ${String((settled[failed] as PromiseRejectedResult).reason)}`);
        const last = saves.length - 1;
        const loaded = await loaderOf(formatOf(saves[last].kind))(dir);
        const fill = fillOf(loaded);
        loaded.dispose();
        if (fill !== Math.fround(10 + last)) throw new Error(`the folder holds the weights of fill ${fill}, the last call saved ${10 + last}`);
        const extra = unexpectedFiles(dir);
        if (extra.length > 0) throw new Error(`files left over: ${extra.join(', ')}`);
      } finally {
        m.dispose();
      }
    }), { seed: SEED, numRuns: 40 });
  });

  it('an unawaited save records the weights of the moment it is called', async () => {
    const problems: string[] = [];
    for (const kind of kinds) {
      const dir = freshDir('snapshot');
      const m = model(3);
      const saving = startSave(kind, m, dir);
      setAll(m, 4);
      await saving;
      const loaded = await loaderOf(formatOf(kind))(dir);
      if (fillOf(loaded) !== 3) problems.push(`${kind}: saved the weights set after the call (fill ${fillOf(loaded)})`);
      loaded.dispose();
      m.dispose();
    }
    record.add('save-snapshot', SAVES, 'model.save / saveModel / model.exportTfjs / exportTfjs not awaited, the weights changed right after the call', kinds.length, problems);
    expect(problems).toEqual([]);
  });

  it('checkpoints started from onBatchEnd and onEpochEnd (not awaited) hold the weights of their moment', async () => {
    const problems: string[] = [];
    const same = (a: Float32Array[], b: Float32Array[]) => a.every((w, i) => w.every((v, j) => Object.is(v, b[i][j])));
    for (const format of ['simdnet', 'tfjs'] as Format[]) {
      const dir = freshDir('checkpoint');
      const m = model(0.1);
      m.compile({ optimizer: sn.optimizers.sgd({ learningRate: 0.5 }), loss: 'categoricalCrossentropy' });
      const x = sn.tensor(Array.from({ length: 40 * 6 }, (_, i) => Math.sin(i)), [40, 6]);
      const y = sn.oneHot(Array.from({ length: 40 }, (_, i) => i % 3), 3);
      const save = (to: string) => (format === 'simdnet' ? m.save(to) : m.exportTfjs(to));
      const pending: Promise<void>[] = [];
      const epochWeights: Float32Array[][] = [];
      let lastWeights: Float32Array[] = [];
      await m.fit(x, y, {
        epochs: 6,
        batchSize: 8,
        callbacks: {
          // Every batch into one folder (overlapping saves), every epoch into a folder of its own.
          onBatchEnd: () => {
            pending.push(save(join(dir, 'latest')));
            lastWeights = m.getWeights();
          },
          onEpochEnd: (epoch) => {
            pending.push(save(join(dir, `epoch-${epoch}`)));
            epochWeights.push(m.getWeights());
          },
        },
      });
      await Promise.all(pending);
      for (const [folder, expected] of [['latest', lastWeights] as const, ...epochWeights.map((w, e) => [`epoch-${e}`, w] as const)]) {
        const loaded = await loaderOf(format)(join(dir, folder));
        if (!same(loaded.getWeights(), expected)) problems.push(`${format}: ${folder} does not hold the weights of the moment it was saved`);
        const extra = unexpectedFiles(join(dir, folder));
        if (extra.length > 0) problems.push(`${format}: ${folder}: files left over: ${extra.join(', ')}`);
        loaded.dispose();
      }
      m.dispose();
      x.dispose();
      y.dispose();
    }
    record.add('checkpoint-saves', SAVES, 'saves (and exports) started from onBatchEnd into one folder and from onEpochEnd into a folder per epoch, not awaited, 6 epochs of 5 batches: each folder holds the weights of its moment', 2 * 7, problems);
    expect(problems).toEqual([]);
  });

  it('three processes saving into one folder at once: every save succeeds and the folder loads whole', async () => {
    const dir = freshDir('processes');
    // Each child saves as fast as it can during the same 2 s (after its start-up), then prints its last fill.
    const body = `
      const m = sn.sequential([sn.layers.dense({ inputShape: [128], units: 200 })], { seed: 1 });
      while (Date.now() < arg.from) await new Promise((r) => setTimeout(r, 5));
      let k = 0;
      for (; Date.now() < arg.from + 2000; k++) {
        m.setWeights(m.getWeights().map((w) => w.fill(arg.child * 100000 + k)));
        await m.save(arg.dir);
      }
      console.log('saves ' + k + ' last ' + (arg.child * 100000 + k - 1));`;
    const from = Date.now() + 3000;
    const children = [1, 2, 3].map((child) => startChild(body, { dir, child, from }));
    const results = await Promise.all(children.map((c) => c.done));
    const problems: string[] = [];
    const lasts: number[] = [];
    let saves = 0;
    results.forEach((r, i) => {
      const done = /saves (\d+) last (\d+)/.exec(r.out);
      if (r.status !== 0 || done === null) problems.push(`child ${i + 1} exited ${r.status}: ${r.err.trim().split('\n').slice(-3).join(' ')}`);
      else {
        saves += Number(done[1]);
        lasts.push(Number(done[2]));
      }
    });
    try {
      const loaded = await sn.loadModel(dir);
      const fill = fillOf(loaded);
      loaded.dispose();
      if (!lasts.includes(fill)) problems.push(`the folder holds fill ${fill}, which is no process's last save (${lasts.join(', ')})`);
      const extra = unexpectedFiles(dir);
      if (extra.length > 0) problems.push(`files left over: ${extra.join(', ')}`);
    } catch (e) {
      problems.push(`the folder does not load: ${(e as Error).message}`);
    }
    record.add('process-saves', SAVES, '3 processes each saving a 100 KB model into one folder as fast as they can for the same 2 s: a case is one save', Math.max(saves, 1), problems);
    expect(saves).toBeGreaterThan(30);
    expect(problems).toEqual([]);
  }, 120_000);

  it('a lock file: a live owner is waited for, a dead one (or this pid, not held) is recovered', async () => {
    const problems: string[] = [];
    const lock = (dir: string, pid: number, host = hostname()) => writeFileSync(join(dir, LOCK_FILE), JSON.stringify({ pid, host, token: 'test' }));
    const settledWithin = async (p: Promise<unknown>, ms: number) => Promise.race([p.then(() => true, () => true), sleep(ms).then(() => false)]);
    const m = model(5);
    // Dead owner, and this process's own pid (reused from an earlier process) while it holds no lock.
    for (const [name, pid] of [['dead pid', deadPid()], ['own pid, not held', process.pid]] as const) {
      const dir = freshDir('stale');
      lock(dir, pid);
      const started = performance.now();
      await sn.saveModel(m, dir).catch((e) => problems.push(`${name}: ${(e as Error).message}`));
      if (performance.now() - started > 5000) problems.push(`${name}: took ${(performance.now() - started).toFixed(0)} ms`);
      if (existsSync(join(dir, LOCK_FILE))) problems.push(`${name}: the lock file is left`);
    }
    // A live owner (another process on this host), and an owner on another host (cannot be checked): waited for.
    const sleeper = spawn(process.execPath, ['-e', 'setTimeout(() => {}, 60000)']);
    const liveDir = freshDir('live');
    const otherDir = freshDir('other-host');
    const owners: [string, string, () => void, () => void][] = [
      ['live process', liveDir, () => lock(liveDir, sleeper.pid!), () => sleeper.kill('SIGKILL')],
      ['other host', otherDir, () => lock(otherDir, 12345, `not-${hostname()}`), () => rmSync(join(otherDir, LOCK_FILE))],
    ];
    for (const [name, dir, take, letGo] of owners) {
      take();
      const saving = sn.saveModel(m, dir);
      if (await settledWithin(saving, 400)) problems.push(`${name}: the save did not wait for the lock's owner`);
      letGo();
      if (!(await settledWithin(saving, 10_000))) problems.push(`${name}: the save did not go on once the lock was free`);
      await saving.catch((e) => problems.push(`${name}: ${(e as Error).message}`));
      if (existsSync(join(dir, LOCK_FILE))) problems.push(`${name}: the lock file is left`);
      const loaded = await sn.loadModel(dir);
      if (fillOf(loaded) !== 5) problems.push(`${name}: wrong model after the wait`);
      loaded.dispose();
    }
    m.dispose();
    record.add('save-locks', SAVES, "a save into a folder whose lock file names a dead pid, this process's pid (not held), a live process, another host", 4, problems);
    expect(problems).toEqual([]);
  });

  it('a folder whose model.json is not a readable manifest: the save deletes and overwrites nothing', async () => {
    const bad: [string, string | Uint8Array][] = [
      ['not JSON', '{"format": "simdnet-model",'],
      ['empty', ''],
      ['a JSON list', '[1, 2, 3]'],
      ['JSON null', 'null'],
      ['binary', Uint8Array.from({ length: 300 }, (_, i) => (i * 151) & 255)],
    ];
    const problems: string[] = [];
    for (const [format, save] of [['simdnet', sn.saveModel], ['tfjs', sn.exportTfjs]] as const) {
      for (const [name, content] of bad) {
        const dir = freshDir('unparseable');
        const others: Record<string, Uint8Array> = {
          'weights.bin': Uint8Array.from({ length: 120 }, (_, i) => i),
          'weights-0123abcd.bin': Uint8Array.from({ length: 64 }, (_, i) => 255 - i),
          'notes.txt': new TextEncoder().encode('keep me'),
        };
        writeFileSync(join(dir, 'model.json'), content);
        for (const [f, bytes] of Object.entries(others)) writeFileSync(join(dir, f), bytes);
        const m = model(7);
        await save(m, dir).catch((e) => problems.push(`${format}, ${name}: the save failed: ${(e as Error).message}`));
        for (const [f, bytes] of Object.entries(others)) {
          if (!existsSync(join(dir, f))) problems.push(`${format}, ${name}: ${f} was deleted`);
          else if (!readFileSync(join(dir, f)).equals(bytes)) problems.push(`${format}, ${name}: ${f} was overwritten`);
        }
        const loaded = await loaderOf(format)(dir).catch((e: Error) => e);
        if (loaded instanceof Error) problems.push(`${format}, ${name}: the new model does not load: ${loaded.message}`);
        else {
          if (fillOf(loaded) !== 7) problems.push(`${format}, ${name}: wrong weights`);
          loaded.dispose();
        }
        m.dispose();
      }
    }
    record.add('unparseable-manifest', SAVES, 'save/export into a folder whose model.json is not JSON, empty, a list, null or binary, next to weights.bin, weights-<hex>.bin and a user file', 2 * bad.length, problems);
    expect(problems).toEqual([]);
  });

  it("a killed save's leftovers are removed by the next save, and nothing that is not provably simdnet's", async () => {
    const problems: string[] = [];
    // Leftovers named as a save of a dead process names them, next to user files that only look similar.
    const dead = deadPid();
    const dir = freshDir('leftovers');
    const m = model(8);
    await sn.saveModel(m, dir);
    const ours = [`model.json.${dead}-abc1-def2.tmp`, `weights.bin.${dead}-abc1-def2.tmp`, `weights-deadbeef.bin.${dead}-abc1-def2.tmp`, `${LOCK_FILE}.${dead}-abc1-def2.tmp`, 'weights-deadbeef.bin', 'weights-0badf00d-2.bin'];
    const users = ['weights.bin.bak', 'notes.tmp', 'weights-final.bin', 'model.json.tmp', 'weights-DEADBEEF.bin', 'mine.bin'];
    for (const f of [...ours, ...users]) writeFileSync(join(dir, f), 'x');
    await sn.saveModel(m, dir);
    for (const f of ours) if (existsSync(join(dir, f))) problems.push(`left over: ${f}`);
    for (const f of users) if (!existsSync(join(dir, f))) problems.push(`deleted a user file: ${f}`);
    let cases = ours.length + users.length;
    // Saves killed (SIGKILL) at random moments, then one save: the folder is clean and loads.
    const next = rng(SEED);
    for (let k = 0; k < 4; k++) {
      const killed = freshDir('killed');
      await sn.saveModel(m, killed);
      const { child, done } = startChild(`
        const m = sn.sequential([sn.layers.dense({ inputShape: [1000], units: 1000 })], { seed: 1 });
        for (let k = 0; ; k++) { m.setWeights(m.getWeights().map((w) => w.fill(k))); await m.save(arg.dir); }`, { dir: killed });
      await sleep(150 + Math.floor(next() * 600));
      child.kill('SIGKILL');
      await done;
      await sn.saveModel(m, killed).catch((e) => problems.push(`after kill ${k}: the save failed: ${(e as Error).message}`));
      const extra = unexpectedFiles(killed);
      if (extra.length > 0) problems.push(`after kill ${k}: left over: ${extra.join(', ')}`);
      const loaded = await sn.loadModel(killed);
      if (fillOf(loaded) !== 8) problems.push(`after kill ${k}: wrong model`);
      loaded.dispose();
      cases++;
    }
    m.dispose();
    record.add('killed-save-leftovers', SAVES, "leftovers of dead saves (temporaries, orphaned weights-<hex>.bin) next to look-alike user files; then 4 saves of a 4 MB model killed at random moments, each followed by one save", cases, problems);
    expect(problems).toEqual([]);
  }, 60_000);

  // The writers use node:fs/promises; patching its exports (and syncing the ES module bindings) observes
  // (or interferes with) each call, as in hardening-files.test.ts.
  const require = createRequire(import.meta.url);
  const fsp = require('node:fs/promises') as typeof import('node:fs/promises') & Record<string, unknown>;
  async function patched<T>(patch: Partial<Pick<typeof fsp, 'open' | 'rename'>>, work: () => Promise<T>): Promise<T> {
    const original = { open: fsp.open, rename: fsp.rename };
    Object.assign(fsp, patch);
    syncBuiltinESMExports();
    try {
      return await work();
    } finally {
      Object.assign(fsp, original);
      syncBuiltinESMExports();
    }
  }

  it('the folder is flushed (fsync) after the weights rename and after the commit', async () => {
    const problems: string[] = [];
    for (const [format, save] of [['simdnet', sn.saveModel], ['tfjs', sn.exportTfjs]] as const) {
      const dir = freshDir('fsync');
      const m = model(9);
      await save(m, dir);
      const events: string[] = [];
      const { open, rename } = fsp;
      await patched({
        rename: (async (from: string, to: string) => {
          await rename(from, to);
          events.push(`rename ${to.endsWith('model.json') ? 'model.json' : 'weights'}`);
        }) as typeof rename,
        open: (async (...args: Parameters<typeof open>) => {
          const handle = await open(...args);
          const isDir = (await handle.stat()).isDirectory();
          if (isDir) {
            const sync = handle.sync;
            handle.sync = async () => {
              await sync.call(handle);
              events.push('folder sync');
            };
          }
          return handle;
        }) as typeof open,
      }, () => save(m, dir));
      const expected = ['rename weights', 'folder sync', 'rename model.json', 'folder sync'];
      if (events.join(', ') !== expected.join(', ')) problems.push(`${format}: ${events.join(', ')} (expected ${expected.join(', ')})`);
      m.dispose();
    }
    record.add('folder-fsync', SAVES, 'the order of renames and folder flushes of a save over a previous model', 2, problems);
    expect(problems).toEqual([]);
  });

  it('a save never deletes a file that the model.json current at clean-up names', async () => {
    const problems: string[] = [];
    for (const [format, save] of [['simdnet', sn.saveModel], ['tfjs', sn.exportTfjs]] as const) {
      const dir = freshDir('current');
      const old = model(11);
      const other = model(12);
      await save(old, dir);
      const oldManifest = readFileSync(join(dir, 'model.json'));
      const { rename } = fsp;
      // A writer that takes no lock (an older simdnet, a copy by hand) puts the old model.json back right after the commit.
      await patched({
        rename: (async (from: string, to: string) => {
          await rename(from, to);
          if (to.endsWith('model.json')) writeFileSync(to, oldManifest);
        }) as typeof rename,
      }, () => save(other, dir));
      const loaded = await loaderOf(format)(dir).catch((e: Error) => e);
      if (loaded instanceof Error) problems.push(`${format}: the model.json in place names a deleted file: ${loaded.message}`);
      else {
        if (fillOf(loaded) !== 11) problems.push(`${format}: wrong model`);
        loaded.dispose();
      }
      old.dispose();
      other.dispose();
    }
    record.add('current-manifest-kept', SAVES, 'model.json replaced by another writer between the commit and the clean-up: the files it names are kept', 2, problems);
    expect(problems).toEqual([]);
  });
});

// ---------------------------------------------------------------------------------------------------
// 2. Reads stay inside the model folder, and bounded

describe('reads stay inside the model folder, and bounded', () => {
  /** A saved model folder (simdnet or tfjs) with fill 21. */
  async function saved(format: Format): Promise<string> {
    const dir = freshDir(`saved-${format}`);
    const m = model(21);
    await (format === 'simdnet' ? sn.saveModel(m, dir) : sn.exportTfjs(m, dir));
    m.dispose();
    return dir;
  }
  const weightsOf = (dir: string): string => {
    const json = JSON.parse(readFileSync(join(dir, 'model.json'), 'utf8'));
    return json.weightsFile ?? json.weightsManifest[0].paths[0];
  };
  const editJson = (dir: string, edit: (j: any) => void) => {
    const j = JSON.parse(readFileSync(join(dir, 'model.json'), 'utf8'));
    edit(j);
    writeFileSync(join(dir, 'model.json'), JSON.stringify(j));
  };

  it('symbolic links leading out of the folder are refused, without telling anything about their target; links inside are followed', async () => {
    const problems: string[] = [];
    const outside = freshDir('outside');
    const cases: [string, Format, (dir: string) => void, 'refused' | 'loads'][] = [
      ['weights file -> a copy outside (right size)', 'simdnet', (d) => {
        const w = weightsOf(d);
        writeFileSync(join(outside, 'copy.bin'), readFileSync(join(d, w)));
        rmSync(join(d, w));
        symlinkSync(join(outside, 'copy.bin'), join(d, w));
      }, 'refused'],
      ['weights file -> a secret outside (other size)', 'simdnet', (d) => {
        writeFileSync(join(outside, 'secret-4242.bin'), new Uint8Array(4242));
        rmSync(join(d, weightsOf(d)));
        symlinkSync(join(outside, 'secret-4242.bin'), join(d, weightsOf(d)));
      }, 'refused'],
      ['model.json -> a model.json outside', 'simdnet', (d) => {
        writeFileSync(join(outside, 'model.json'), readFileSync(join(d, 'model.json')));
        rmSync(join(d, 'model.json'));
        symlinkSync(join(outside, 'model.json'), join(d, 'model.json'));
      }, 'refused'],
      ['tfjs shard leak/secret.bin, leak -> a folder outside', 'tfjs', (d) => {
        const w = weightsOf(d);
        mkdirSync(join(outside, 'leakdir'), { recursive: true });
        writeFileSync(join(outside, 'leakdir', 'secret.bin'), readFileSync(join(d, w)));
        symlinkSync(join(outside, 'leakdir'), join(d, 'leak'));
        editJson(d, (j) => { j.weightsManifest[0].paths = ['leak/secret.bin']; });
      }, 'refused'],
      ['tfjs weights file -> a secret outside (other size)', 'tfjs', (d) => {
        writeFileSync(join(outside, 'secret-4243.bin'), new Uint8Array(4243));
        rmSync(join(d, weightsOf(d)));
        symlinkSync(join(outside, 'secret-4243.bin'), join(d, weightsOf(d)));
      }, 'refused'],
      ['weights file -> a file inside the folder', 'simdnet', (d) => {
        const w = weightsOf(d);
        writeFileSync(join(d, 'real.bin'), readFileSync(join(d, w)));
        rmSync(join(d, w));
        symlinkSync('real.bin', join(d, w));
      }, 'loads'],
      ['tfjs shard sub/weights, sub -> the folder itself', 'tfjs', (d) => {
        symlinkSync('.', join(d, 'sub'));
        editJson(d, (j) => { j.weightsManifest[0].paths = [`sub/${j.weightsManifest[0].paths[0]}`]; });
      }, 'loads'],
      ['a dangling weights link', 'simdnet', (d) => {
        rmSync(join(d, weightsOf(d)));
        symlinkSync(join(outside, 'nothing-here.bin'), join(d, weightsOf(d)));
      }, 'refused'],
    ];
    for (const [name, format, damage, expected] of cases) {
      const dir = await saved(format);
      damage(dir);
      const before = sn.memory();
      const result = await loaderOf(format)(dir).catch((e: Error) => e);
      if (expected === 'loads') {
        if (result instanceof Error) problems.push(`${name}: refused: ${result.message}`);
        else {
          if (fillOf(result) !== 21) problems.push(`${name}: wrong weights`);
          result.dispose();
        }
        continue;
      }
      if (!(result instanceof Error)) {
        problems.push(`${name}: loaded (the outside file's bytes became weights)`);
        result.dispose();
        continue;
      }
      if (!result.message.includes(dir)) problems.push(`${name}: the error does not name the model folder: ${result.message}`);
      if (/4242|4243/.test(result.message) || result.message.includes(outside)) problems.push(`${name}: the error tells about the outside file: ${result.message}`);
      if (!/outside the model folder|is missing/.test(result.message)) problems.push(`${name}: unclear error: ${result.message}`);
      const after = sn.memory();
      if (after.bytes !== before.bytes) problems.push(`${name}: memory() changed on the error`);
    }
    // The model folder itself may be a link (to a folder anywhere).
    const real = await saved('simdnet');
    const linked = join(freshDir('linked'), 'model');
    symlinkSync(real, linked);
    const loaded = await sn.loadModel(linked).catch((e: Error) => e);
    if (loaded instanceof Error) problems.push(`a model folder that is a link: refused: ${loaded.message}`);
    else loaded.dispose();
    record.add('symlink-escape', READS, 'model.json, weights files and tfjs shard paths through symbolic links: out of the folder (refused, nothing told about the target), within it, dangling, and the folder itself a link', cases.length + 1, problems);
    expect(problems).toEqual([]);
  });

  it('special files (FIFOs, /dev/zero, folders) as model or data files end in a clear error at once, never a hang', async () => {
    const problems: string[] = [];
    const idxFile = (dir: string, name: string) => join(dir, name);
    // Each case: files to prepare, then the call (in a child process, which a hang cannot take down with it).
    const cases: [string, () => { arg: Record<string, unknown>; call: string; names: string }][] = [];
    const add = (name: string, make: () => { arg: Record<string, unknown>; call: string; names: string }) => cases.push([name, make]);
    const devZero = existsSync('/dev/zero');
    for (const format of ['simdnet', 'tfjs'] as Format[]) {
      const load = format === 'simdnet' ? 'sn.loadModel(arg.dir)' : 'sn.loadTfjs(arg.dir)';
      add(`${format}: model.json is a FIFO`, () => {
        const dir = freshDir('fifo-json');
        mkfifo(join(dir, 'model.json'));
        return { arg: { dir }, call: load, names: 'model.json' };
      });
      add(`${format}: the weights file is a FIFO`, () => {
        const dir = freshDir('fifo-weights');
        return { arg: { dir, format }, call: `(async () => { await (arg.format === 'simdnet' ? sn.saveModel : sn.exportTfjs)(sn.sequential([sn.layers.dense({ inputShape: [3], units: 2 })]), arg.dir); const fs = await import('node:fs'); const cp = await import('node:child_process'); const j = JSON.parse(fs.readFileSync(arg.dir + '/model.json', 'utf8')); const w = j.weightsFile ?? j.weightsManifest[0].paths[0]; fs.rmSync(arg.dir + '/' + w); cp.spawnSync('mkfifo', [arg.dir + '/' + w]); return ${load}; })()`, names: 'weights' };
      });
      add(`${format}: the weights file is a folder`, () => {
        const dir = freshDir('dir-weights');
        return { arg: { dir, format }, call: `(async () => { await (arg.format === 'simdnet' ? sn.saveModel : sn.exportTfjs)(sn.sequential([sn.layers.dense({ inputShape: [3], units: 2 })]), arg.dir); const fs = await import('node:fs'); const j = JSON.parse(fs.readFileSync(arg.dir + '/model.json', 'utf8')); const w = j.weightsFile ?? j.weightsManifest[0].paths[0]; fs.rmSync(arg.dir + '/' + w); fs.mkdirSync(arg.dir + '/' + w); return ${load}; })()`, names: 'weights' };
      });
      if (devZero) {
        add(`${format}: model.json -> /dev/zero`, () => {
          const dir = freshDir('zero-json');
          symlinkSync('/dev/zero', join(dir, 'model.json'));
          return { arg: { dir }, call: load, names: 'model.json' };
        });
      }
    }
    if (devZero) {
      add('tfjs: the weights file -> /dev/zero', () => {
        const dir = freshDir('zero-weights');
        return { arg: { dir }, call: `(async () => { await sn.exportTfjs(sn.sequential([sn.layers.dense({ inputShape: [3], units: 2 })]), arg.dir); const fs = await import('node:fs'); fs.rmSync(arg.dir + '/weights.bin'); fs.symlinkSync('/dev/zero', arg.dir + '/weights.bin'); return sn.loadTfjs(arg.dir); })()`, names: 'weights.bin' };
      });
    }
    add('a save into a folder whose model.json is a FIFO', () => {
      const dir = freshDir('fifo-save');
      mkfifo(join(dir, 'model.json'));
      return { arg: { dir }, call: 'sn.saveModel(sn.sequential([sn.layers.dense({ inputShape: [3], units: 2 })]), arg.dir)', names: 'model.json' };
    });
    add('a save into a folder whose lock file is a FIFO', () => {
      const dir = freshDir('fifo-lock');
      mkfifo(join(dir, LOCK_FILE));
      return { arg: { dir }, call: 'sn.saveModel(sn.sequential([sn.layers.dense({ inputShape: [3], units: 2 })]), arg.dir)', names: LOCK_FILE };
    });
    for (const [what, call] of [['loadIdxImages', 'sn.io.loadIdxImages(arg.file)'], ['loadIdxLabels', 'sn.io.loadIdxLabels(arg.file)']]) {
      add(`${what}: a FIFO`, () => {
        const dir = freshDir('fifo-idx');
        mkfifo(idxFile(dir, 'images.idx'));
        return { arg: { file: idxFile(dir, 'images.idx') }, call, names: 'images.idx' };
      });
      if (devZero) add(`${what}: /dev/zero`, () => ({ arg: { file: '/dev/zero' }, call, names: '/dev/zero' }));
    }
    add('idxFolder: a FIFO as the train labels', () => {
      const dir = freshDir('fifo-folder');
      mkfifo(join(dir, 'train-labels-idx1-ubyte'));
      writeFileSync(join(dir, 'train-images-idx3-ubyte'), idx([2, 2, 2], [1, 2, 3, 4, 5, 6, 7, 8]));
      writeFileSync(join(dir, 't10k-images-idx3-ubyte'), idx([2, 2, 2], [1, 2, 3, 4, 5, 6, 7, 8]));
      writeFileSync(join(dir, 't10k-labels-idx1-ubyte'), idx([2], [0, 1]));
      return { arg: { dir }, call: 'sn.datasets.idxFolder(arg.dir)', names: 'train-labels-idx1-ubyte' };
    });
    const body = `
      try {
        await ARG_CALL;
        console.log(JSON.stringify({ loaded: true }));
      } catch (e) {
        console.log(JSON.stringify({ error: e instanceof Error ? e.message : String(e) }));
      }
      process.exit(0);`;
    for (const [name, make] of cases) {
      const { arg, call, names } = make();
      const r = runChild(body.replace('ARG_CALL', call), arg, 8000);
      if (r.timedOut) {
        problems.push(`${name}: hung (killed after ${r.ms.toFixed(0)} ms)`);
        continue;
      }
      let outcome: { loaded?: boolean; error?: string };
      try {
        outcome = JSON.parse(r.out.trim().split('\n').pop()!);
      } catch {
        problems.push(`${name}: the child failed: status ${r.status}, ${r.err.slice(-300)}`);
        continue;
      }
      if (outcome.loaded) problems.push(`${name}: succeeded`);
      else if (!outcome.error!.includes(names) || !/not a regular file|outside the model folder/.test(outcome.error!)) problems.push(`${name}: unclear error: ${outcome.error}`);
    }
    record.add('special-files', READS, 'FIFOs, /dev/zero and folders as model.json, weights files, tfjs shards, IDX files and dataset files (and saves over a FIFO model.json or lock file), each in a child process with an 8 s limit', cases.length, problems);
    expect(problems).toEqual([]);
  }, 300_000);

  it('tfjs weight files: duplicates are refused, and the total size is checked before a byte is read', async () => {
    const problems: string[] = [];
    const check = async (name: string, prepare: (dir: string) => void, message: RegExp, child = false) => {
      const dir = await saved('tfjs');
      prepare(dir);
      let error: string | null;
      if (child) {
        // In a child: a reader that reads first would allocate gigabytes.
        const r = runChild('try { await sn.loadTfjs(arg.dir); console.log("LOADED"); } catch (e) { console.log("ERROR " + e.message); } process.exit(0);', { dir }, 15_000);
        error = r.timedOut ? 'HANG' : r.out.startsWith('ERROR ') ? r.out.slice(6).trim() : null;
        if (!r.timedOut && error === null) problems.push(`${name}: ${r.out}${r.err.slice(-300)}`);
      } else {
        error = await sn.loadTfjs(dir).then((m) => (m.dispose(), null), (e: Error) => e.message);
      }
      if (error === null) problems.push(`${name}: loaded`);
      else if (!message.test(error)) problems.push(`${name}: ${error}`);
    };
    await check('one 1 MB file listed 100 times', (d) => {
      writeFileSync(join(d, 'big.bin'), new Uint8Array(2 ** 20));
      editJson(d, (j) => { j.weightsManifest[0].paths = Array.from({ length: 100 }, () => 'big.bin'); });
    }, /lists the file "big.bin" more than once/);
    await check('one file under two spellings', (d) => {
      editJson(d, (j) => { const p = j.weightsManifest[0].paths[0]; j.weightsManifest[0].paths = [p, `./${p}`]; });
    }, /more than once/);
    await check('a 3 GB (sparse) weights file for a manifest of 212 bytes', (d) => {
      truncateSync(join(d, weightsOf(d)), 3 * 2 ** 30);
    }, /describes \d+ bytes, the weight files hold 3221225472/, true);
    await check('two files, the second 1.5 GB (sparse), for a manifest of 212 bytes', (d) => {
      writeFileSync(join(d, 'second.bin'), '');
      truncateSync(join(d, 'second.bin'), 1.5 * 2 ** 30);
      editJson(d, (j) => { j.weightsManifest[0].paths.push('second.bin'); });
    }, /describes \d+ bytes, the weight files hold 1610612\d{3}/, true);
    record.add('tfjs-weight-sizes', READS, 'tfjs manifests listing one file 100 times or under two spellings, or weight files of gigabytes for a manifest of 212 bytes', 4, problems);
    expect(problems).toEqual([]);
  }, 60_000);

  it('a model.json larger than the cap is refused before it is read', async () => {
    const problems: string[] = [];
    for (const format of ['simdnet', 'tfjs'] as Format[]) {
      const dir = await saved(format);
      truncateSync(join(dir, 'model.json'), 200 * 2 ** 20); // valid JSON text, then 200 MB of NUL bytes (sparse)
      const r = runChild(`try { await (arg.format === 'simdnet' ? sn.loadModel : sn.loadTfjs)(arg.dir); console.log('LOADED'); } catch (e) { console.log('ERROR ' + e.message); } console.log('RSS ' + process.memoryUsage().rss); process.exit(0);`, { dir, format }, 20_000);
      const error = /ERROR (.*)/.exec(r.out)?.[1] ?? `no error: ${r.out}${r.err.slice(-300)}`;
      if (!/model\.json: 209715200 bytes, more than the 64 MiB a model.json may have/.test(error)) problems.push(`${format}: ${error}`);
    }
    record.add('manifest-cap', READS, 'a 200 MB model.json (both formats): refused by its size, before reading', 2, problems);
    expect(problems).toEqual([]);
  }, 60_000);

  it('a gzip IDX whose header declares more than its compressed size can inflate to is refused before inflating', async () => {
    const dir = freshDir('ratio');
    let n = 0;
    await record.checkAsync('idx-gzip-ratio', READS, 'gzip IDX labels/images whose header dims are replaced by random ones (up to 2^32-1 per dim): refused by the 1032:1 bound before inflating when over it, otherwise the old checks', fc.asyncProperty(
      fc.boolean(), fc.integer({ min: 1, max: 3000 }), fc.array(fc.integer({ min: 1, max: 2 ** 32 - 1 }), { minLength: 1, maxLength: 3 }), fc.integer({ min: 0, max: 2 ** 31 }),
      async (labels, count, dims, seed) => {
        const next = rng(seed);
        const real = labels ? [count] : [count, 4, 4];
        const raw = idx(real, Array.from({ length: real.reduce((a, b) => a * b, 1) }, () => Math.floor(next() * 256)));
        const declared = labels ? [dims[0]] : [dims[0], dims[1] ?? 4, dims[2] ?? 4];
        const view = new DataView(raw.buffer, raw.byteOffset);
        declared.forEach((d, i) => view.setUint32(4 + 4 * i, d, false));
        const gz = gzipSync(raw);
        const file = join(dir, `case-${n++}.idx.gz`);
        writeFileSync(file, gz);
        const bytes = 4 + 4 * declared.length + declared.reduce((a, b) => a * b, 1);
        const result = await (labels ? sn.io.loadIdxLabels(file) : sn.io.loadIdxImages(file)).then((v) => v, (e: Error) => e);
        if (!(result instanceof Error)) {
          if (result instanceof sn.Tensor) result.dispose();
          if (declared.some((d, i) => d !== real[i])) throw new Error(`loaded a file whose header lies: declared [${declared}], real [${real}]`);
          return;
        }
        if (bytes > 1032 * gz.length) {
          // This message is made before anything past the header is inflated.
          if (!/can inflate to \(deflate expands at most 1032:1\)/.test(result.message)) throw new Error(`declared ${bytes} bytes from ${gz.length}: ${result.message}`);
        } else if (!result.message.includes(file)) throw new Error(`unclear error: ${result.message}`);
      }), { seed: SEED, numRuns: 150 });
  });
});

// ---------------------------------------------------------------------------------------------------
// 6. The command line fails before the work

describe('the command line fails before the work', () => {
  function cli(args: string[], timeout = 60_000) {
    const started = performance.now();
    const r = spawnSync(process.execPath, [CLI_MAIN, ...args], { encoding: 'utf8', timeout, killSignal: 'SIGKILL' });
    return { code: r.status, out: r.stdout, err: r.stderr, timedOut: r.signal === 'SIGKILL', ms: performance.now() - started };
  }
  /** An MNIST-style folder of 3 classes of 4x4 images (a bright column per class), `shift` moving the column. */
  function toyData(name: string, shift: number): string {
    const dir = freshDir(name);
    const next = rng(17 + shift);
    const set = (n: number) => {
      const labels = Array.from({ length: n }, (_, i) => (i * 7) % 3);
      const pixels = labels.flatMap((l) => Array.from({ length: 16 }, (_, p) => (p % 4 === (l + shift) % 4 ? 180 : 0) + Math.floor(next() * 60)));
      return { labels, pixels };
    };
    const train = set(90);
    const test = set(30);
    writeFileSync(join(dir, 'train-images-idx3-ubyte'), idx([90, 4, 4], train.pixels));
    writeFileSync(join(dir, 'train-labels-idx1-ubyte'), idx([90], train.labels));
    writeFileSync(join(dir, 't10k-images-idx3-ubyte'), idx([30, 4, 4], test.pixels));
    writeFileSync(join(dir, 't10k-labels-idx1-ubyte'), idx([30], test.labels));
    return dir;
  }
  let dataA: string;
  let dataB: string;
  beforeAll(() => {
    dataA = toyData('toy-a', 0);
    dataB = toyData('toy-b', 1);
  });

  it('train: every unusable --out is refused before training, naming --out', () => {
    const problems: string[] = [];
    const cases: [string, () => string][] = [
      ['an existing file', () => { const f = join(freshDir('out-file'), 'file'); writeFileSync(f, 'x'); return f; }],
      ['a folder under a file', () => { const f = join(freshDir('out-under'), 'file'); writeFileSync(f, 'x'); return join(f, 'sub'); }],
      ['a folder whose learning-curve.svg is a folder', () => { const d = freshDir('out-svg'); mkdirSync(join(d, 'learning-curve.svg')); return d; }],
      ['a folder whose model.json is a folder', () => { const d = freshDir('out-json'); mkdirSync(join(d, 'model.json')); return d; }],
      ['a folder whose history.json is a FIFO', () => { const d = freshDir('out-fifo'); mkfifo(join(d, 'history.json')); return d; }],
      ['an empty path', () => ''],
    ];
    for (const [name, make] of cases) {
      const r = cli(['train', '--data', dataA, '--epochs', '1', '--out', make()], 30_000);
      if (r.code !== 2 || !/--out/.test(r.err) || /epoch/i.test(r.out)) problems.push(`${name}: exit ${r.code}${r.timedOut ? ' (killed)' : ''}, stdout ${JSON.stringify(r.out.slice(0, 120))}, stderr ${JSON.stringify(r.err.trim())}`);
    }
    record.add('cli-out', CLI, 'simdnet train --out: an existing file, a path under a file, a folder whose outputs are taken by a folder or a FIFO, an empty path', cases.length, problems);
    expect(problems).toEqual([]);
  });

  it('predict: the IDX file is checked before the model is loaded, and a FIFO cannot hang it', async () => {
    const problems: string[] = [];
    const modelDir = freshDir('predict-model');
    const m = model(0.2, 16);
    await sn.saveModel(m, modelDir);
    m.dispose();
    const fifoDir = freshDir('predict-fifo');
    mkfifo(join(fifoDir, 'images'));
    const cases: [string, string][] = [
      ['a FIFO', join(fifoDir, 'images')],
      ['a missing file', join(fifoDir, 'nothing')],
      ['a folder', fifoDir],
    ];
    for (const [name, file] of cases) {
      const r = cli(['predict', modelDir, file], 10_000);
      if (r.code !== 2 || !r.err.includes('<idx file>')) problems.push(`${name}: exit ${r.code}${r.timedOut ? ' (killed: hung)' : ''}, ${r.err.trim()}`);
    }
    record.add('cli-inputs', CLI, 'simdnet predict with a FIFO, a missing file or a folder as <idx file>', cases.length, problems);
    expect(problems).toEqual([]);
  });

  it('eval uses the dataset model.json records; another one is an error, or a warning when --data is given', () => {
    const problems: string[] = [];
    const out = freshDir('eval-out');
    const trained = cli(['train', '--data', dataA, '--epochs', '3', '--layers', '8', '--out', out]);
    expect(trained.code, trained.err).toBe(0);
    const accuracy = /test accuracy (\S+)/.exec(trained.out)?.[1];
    // 1. No --data: the training set's folder, found again from model.json.
    let r = cli(['eval', out]);
    if (r.code !== 0 || !r.out.includes(`on ${dataA}`) || !r.out.includes(`accuracy ${accuracy}`) || r.err !== '') problems.push(`no --data: exit ${r.code}, ${r.out.split('\n')[0]} / ${r.err.trim()} (train said ${accuracy})`);
    // 2. --data naming the same folder differently: no warning.
    r = cli(['eval', out, '--data', `${dataA}/`]);
    if (r.code !== 0 || r.err !== '') problems.push(`same data, other spelling: exit ${r.code}, ${r.err.trim()}`);
    // 3. --data naming another dataset: evaluated, with a warning naming both.
    r = cli(['eval', out, '--data', dataB]);
    if (r.code !== 0 || !/warning: the model was trained on '[^']*toy-a[^']*' \(.*\), evaluating on '[^']*toy-b[^']*'/.test(r.err)) problems.push(`other --data: exit ${r.code}, ${r.err.trim()}`);
    // 4. A model.json that records a dataset but not where it is (a Fashion-MNIST model of an older simdnet): an error without --data.
    const json = JSON.parse(readFileSync(join(out, 'model.json'), 'utf8'));
    json.metadata = { ...json.metadata, data: 'fashion-mnist' };
    delete json.metadata.dataSource;
    writeFileSync(join(out, 'model.json'), JSON.stringify(json));
    r = cli(['eval', out]);
    if (r.code !== 2 || !/trained on 'fashion-mnist'.*--data/.test(r.err) || /accuracy/.test(r.out)) problems.push(`recorded fashion-mnist, no --data: exit ${r.code}, ${r.out.slice(0, 80)} ${r.err.trim()}`);
    // 5. ... and a warning when --data is given.
    r = cli(['eval', out, '--data', dataA]);
    if (r.code !== 0 || !/warning: the model was trained on 'fashion-mnist'/.test(r.err)) problems.push(`recorded fashion-mnist, --data given: exit ${r.code}, ${r.err.trim()}`);
    // 6. The recorded folder is gone: an error naming it.
    const movedAway = join(freshDir('moved'), 'away');
    json.metadata.dataSource = movedAway;
    writeFileSync(join(out, 'model.json'), JSON.stringify(json));
    r = cli(['eval', out]);
    if (r.code !== 2 || !r.err.includes(movedAway) || !r.err.includes('--data')) problems.push(`recorded folder gone: exit ${r.code}, ${r.err.trim()}`);
    record.add('cli-eval-dataset', CLI, 'simdnet eval of a model trained on an IDX folder: without --data, with the same folder spelled otherwise, with another dataset, with a model.json recording only a name (fashion-mnist), with the recorded folder gone', 6, problems);
    expect(problems).toEqual([]);
  }, 120_000);
});

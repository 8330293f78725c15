// Hardening, files: IDX files, simdnet's model.json / weights.bin and TensorFlow.js models, fuzzed with
// fast-check (truncated at random points, random bytes flipped, wrong magic, huge dimensions, numbers in
// the JSON replaced by hostile ones). Each case must end in a clear error naming the file, with nothing
// allocated, or load correctly; never a crash, a hang, an allocation sized from an unchecked header or a
// half-loaded model. And a save interrupted at any of its file operations leaves the previous model loadable.
import { beforeAll, describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { createRequire, syncBuiltinESMExports } from 'node:module';
import { readFileSync, readdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { gzipSync } from 'node:zlib';
import { spawnSync } from 'node:child_process';
import * as tf from '@tensorflow/tfjs';
import * as sn from '../dist/index.js';
import { recorder } from './hardening/record.js';
import { scratchFolders } from './hardening/folders.js';
import { rng, SEED } from './hardening/values.js';
import { idx } from './reference/idx.js';

const record = recorder('hardening-files');
const HOSTILE = 'Hostile files';
/** A load that takes longer than this on a file of a few KB is a hang. */
const HANG_MS = 10_000;

const freshDir = scratchFolders('simdnet-hardening-files-');

type Mutation =
  | { kind: 'truncate'; at: number }
  | { kind: 'flip'; flips: { at: number; mask: number }[] }
  | { kind: 'magic'; bytes: number[] }
  | { kind: 'append'; count: number }
  | { kind: 'number'; pick: number; value: string };

const HOSTILE_NUMBERS = ['2147483648', '4294967295', '1e308', '-1', '0', '0.5', '"7"', 'null', '1e400', '-0'];
const mutationArb: fc.Arbitrary<Mutation> = fc.oneof(
  fc.record({ kind: fc.constant('truncate' as const), at: fc.nat() }),
  fc.record({ kind: fc.constant('flip' as const), flips: fc.array(fc.record({ at: fc.nat(), mask: fc.integer({ min: 1, max: 255 }) }), { minLength: 1, maxLength: 4 }) }),
  fc.record({ kind: fc.constant('magic' as const), bytes: fc.array(fc.integer({ min: 0, max: 255 }), { minLength: 4, maxLength: 4 }) }),
  fc.record({ kind: fc.constant('append' as const), count: fc.integer({ min: 1, max: 64 }) }),
  fc.record({ kind: fc.constant('number' as const), pick: fc.nat(), value: fc.constantFrom(...HOSTILE_NUMBERS) }),
);

/** Applies a mutation to a file's bytes ('number' rewrites one number of a text file, else flips a byte). */
function mutate(bytes: Uint8Array, m: Mutation): Uint8Array {
  const out = Uint8Array.from(bytes);
  switch (m.kind) {
    case 'truncate': return out.subarray(0, m.at % Math.max(1, out.length));
    case 'flip':
      for (const { at, mask } of m.flips) if (out.length > 0) out[at % out.length] ^= mask;
      return out;
    case 'magic':
      out.set(m.bytes.slice(0, Math.min(4, out.length)));
      return out;
    case 'append': return Uint8Array.from([...out, ...Array.from({ length: m.count }, (_, i) => (i * 37) & 255)]);
    case 'number': {
      const text = new TextDecoder().decode(out);
      const numbers = [...text.matchAll(/-?\d+(\.\d+)?([eE][-+]?\d+)?/g)];
      if (numbers.length === 0) return mutate(out, { kind: 'flip', flips: [{ at: m.pick, mask: 1 }] });
      const hit = numbers[m.pick % numbers.length];
      return new TextEncoder().encode(text.slice(0, hit.index) + m.value + text.slice(hit.index! + hit[0].length));
    }
  }
}

/** Signs of an internal failure rather than an error written for the user. */
const CRASH = /Cannot read propert|is not a function|is not iterable|undefined is not|Maximum call stack|out of bounds|unreachable|RuntimeError/i;

/** Resolves, or rejects with a 'hang' error after HANG_MS. */
async function withinTime<T>(what: string, work: Promise<T>): Promise<T> {
  let timer: ReturnType<typeof setTimeout> | undefined;
  const timeout = new Promise<never>((_, reject) => (timer = setTimeout(() => reject(new Error(`HANG: ${what} took over ${HANG_MS} ms`)), HANG_MS)));
  try {
    return await Promise.race([work, timeout]);
  } finally {
    clearTimeout(timer);
  }
}

/**
 * Checks one load of a damaged file (`mustLoad`: one the damage left valid): a clear error (an Error naming `names`, no sign of a crash, wasm
 * memory unchanged, no large JavaScript allocation) or a loaded result that `verify` accepts. Returns
 * the outcome for the tally.
 */
async function judge<T>(what: string, names: string, load: () => Promise<T>, verify: (value: T) => void, dispose: (value: T) => void, mustLoad = false): Promise<'clear error' | 'loaded correctly'> {
  const before = sn.memory();
  const arrayBuffers = process.memoryUsage().arrayBuffers;
  let value: T;
  try {
    value = await withinTime(what, load());
  } catch (error) {
    if (error instanceof Error && error.message.startsWith('HANG')) throw error;
    if (!(error instanceof Error)) throw new Error(`${what}: threw a non-Error ${String(error)}`);
    if (mustLoad) throw new Error(`${what}: rejected a valid file: ${error.message}`);
    if (CRASH.test(error.message) || !error.message.includes(names)) throw new Error(`${what}: unclear error (${error.name}): ${error.message}`);
    const after = sn.memory();
    if (after.bytes !== before.bytes || after.tensors !== before.tensors) throw new Error(`${what}: memory() went from ${JSON.stringify(before)} to ${JSON.stringify(after)} on an error (half-loaded?)`);
    // A header claiming billions of rows must be refused before anything is sized from it.
    const grown = process.memoryUsage().arrayBuffers - arrayBuffers;
    if (grown > 64 * 2 ** 20) throw new Error(`${what}: ${grown} bytes of ArrayBuffers allocated before the error`);
    return 'clear error';
  }
  try {
    verify(value);
  } finally {
    dispose(value);
  }
  const after = sn.memory();
  if (after.bytes !== before.bytes || after.tensors !== before.tensors) throw new Error(`${what}: loading then disposing left memory() at ${JSON.stringify(after)}, was ${JSON.stringify(before)}`);
  return 'loaded correctly';
}

// ---------------------------------------------------------------------------------------------------
// IDX

/** An unsigned-byte IDX file of random values. */
function idxBytes(dims: number[], seed: number): Uint8Array {
  const next = rng(seed);
  return idx(dims, Array.from({ length: dims.reduce((a, b) => a * b, 1) }, () => Math.floor(next() * 256)));
}

/** Whether bytes are a complete unsigned-byte IDX file: labels of rank 1, or images of rank >= 2 with pixels. */
function isValidIdx(bytes: Uint8Array, labels: boolean): boolean {
  if (bytes.length < 4 || bytes[0] !== 0 || bytes[1] !== 0 || bytes[2] !== 0x08 || bytes[3] === 0) return false;
  const rank = bytes[3];
  if (bytes.length < 4 + 4 * rank || (labels ? rank !== 1 : rank < 2)) return false;
  const { dims } = declared(bytes);
  if (!labels && dims.slice(1).reduce((a, b) => a * b, 1) === 0) return false;
  return bytes.length === 4 + 4 * rank + dims.reduce((a, b) => a * b, 1);
}

/** The dims and values an (undamaged-looking) IDX byte string declares, to check what a load returned. */
function declared(bytes: Uint8Array): { dims: number[]; values: Uint8Array } {
  const rank = bytes[3];
  const view = new DataView(bytes.buffer, bytes.byteOffset);
  const dims = Array.from({ length: rank }, (_, d) => view.getUint32(4 + 4 * d, false));
  return { dims, values: bytes.subarray(4 + 4 * rank) };
}

describe('hostile IDX files', () => {
  const idxArb = fc.record({
    labels: fc.boolean(),
    count: fc.integer({ min: 1, max: 20 }),
    side: fc.integer({ min: 1, max: 9 }),
    gzip: fc.boolean(),
    mutation: fc.oneof(mutationArb, fc.record({ kind: fc.constant('hugeDim' as const), dim: fc.nat(), value: fc.constantFrom(2 ** 31, 2 ** 32 - 1, 2 ** 24 + 1, 65536) })),
    seed: fc.integer(),
  });

  it('each damaged file gets a clear error naming it, or loads exactly what it declares', async () => {
    await record.checkAsync('idx', HOSTILE, 'IDX images/labels (raw and gzip): truncated, flipped bytes, wrong magic, huge dimensions (up to 2^32-1), appended bytes', fc.asyncProperty(idxArb, async (c) => {
      const dims = c.labels ? [c.count] : [c.count, c.side, c.side + 1];
      let bytes = idxBytes(dims, c.seed);
      if (c.mutation.kind === 'hugeDim') {
        bytes = Uint8Array.from(bytes);
        new DataView(bytes.buffer).setUint32(4 + 4 * (c.mutation.dim % dims.length), c.mutation.value, false);
      } else bytes = mutate(bytes, c.mutation);
      // gzip after the damage (a valid gzip of a bad IDX), or damage inside the gzip stream half the time.
      const onDisk = c.gzip ? (c.seed % 2 === 0 ? gzipSync(bytes) : mutate(gzipSync(idxBytes(dims, c.seed)), c.mutation.kind === 'hugeDim' ? { kind: 'truncate', at: c.seed >>> 0 } : c.mutation)) : bytes;
      const raw = c.gzip && c.seed % 2 !== 0 ? null : bytes;
      // Damage that left a valid file (a flipped pixel, a header edit that still adds up) must load.
      const mustLoad = raw !== null && isValidIdx(raw, c.labels);
      const file = join(freshDir('idx'), c.labels ? 'labels.idx' : 'images.idx');
      writeFileSync(file, onDisk);
      const outcome = c.labels
        ? await judge('loadIdxLabels', file, () => sn.io.loadIdxLabels(file), (labels) => {
          // Loaded: the file must really be a valid 1-D IDX of exactly its declared length.
          if (raw === null) return;
          const { dims: d, values } = declared(raw);
          if (d.length !== 1 || labels.length !== d[0] || labels.some((v, i) => v !== values[i])) throw new Error('labels differ from the file');
        }, () => undefined, mustLoad)
        : await judge('loadIdxImages', file, () => sn.io.loadIdxImages(file), (x) => {
          if (raw === null) return;
          const { dims: d, values } = declared(raw);
          const features = d.slice(1).reduce((a, b) => a * b, 1);
          if (x.shape[0] !== d[0] || x.shape[1] !== features) throw new Error(`shape [${x.shape}] is not the declared [${d}]`);
          const data = x.data;
          for (let i = 0; i < data.length; i++) if (data[i] !== Math.fround(values[i] / 255)) throw new Error(`pixel ${i} is ${data[i]}, the file has ${values[i]}`);
        }, (x) => x.dispose(), mustLoad);
      if (mustLoad) record.outcome('idx', HOSTILE, 'still valid after the damage (must load)');
      record.outcome('idx', HOSTILE, outcome);
    }), { seed: SEED, numRuns: 1000, endOnFailure: true });
  });

  it('every single-bit flip in the compressed data of a gzip IDX ends in a clear error or the right values, never a hang', async () => {
    // The property above once hung here: labels [18] gzipped, one bit flipped at byte 16 (gzip's CRC check
    // fails at the end of the stream). Every byte after the 10-byte gzip header, each with one bit flipped.
    const raw = idxBytes([18], 5);
    const gz = gzipSync(raw);
    const problems: string[] = [];
    for (let at = 10; at < gz.length; at++) {
      const file = join(freshDir('idx-gzip-flip'), 'labels.idx.gz');
      const damaged = Uint8Array.from(gz);
      damaged[at] ^= 1 << (at % 8);
      writeFileSync(file, damaged);
      try {
        await judge('loadIdxLabels', file, () => sn.io.loadIdxLabels(file), (labels) => {
          if (labels.length !== 18 || labels.some((v, i) => v !== raw[8 + i])) throw new Error('loaded labels differ from the file before the flip');
        }, () => undefined);
      } catch (error) {
        problems.push(`bit ${at % 8} of byte ${at}: ${(error as Error).message}`);
        if ((error as Error).message.startsWith('HANG')) break; // one hang is enough; each costs the full timeout
      }
    }
    record.add('idx-gzip-bitflips', HOSTILE, 'gzip IDX labels with one bit flipped in each byte of the compressed stream', gz.length - 10, problems);
    expect(problems).toEqual([]);
  });

  it('a header claiming 2^31 images is refused before anything is allocated', async () => {
    const file = join(freshDir('idx-huge'), 'images.idx');
    const bytes = idxBytes([2, 28, 28], 1);
    new DataView(bytes.buffer).setUint32(4, 2 ** 31, false);
    writeFileSync(file, bytes);
    const before = sn.memory();
    await expect(sn.io.loadIdxImages(file)).rejects.toThrow(new RegExp(`${file}: .*2147483648`));
    expect(sn.memory()).toEqual(before);
    record.add('idx-huge-header', HOSTILE, 'IDX header claiming 2^31 rows refused before allocating', 1);
  });

  it('a small gzip file that inflates far beyond what its header declares is refused without inflating it all', () => {
    // 256 MB of zeros after a [1, 28, 28] header compress to about 250 KB: the reader should stop at the
    // header's 800 bytes (zlib's maxOutputLength) instead of holding the whole output first.
    const dir = freshDir('idx-bomb');
    const header = idxBytes([1, 28, 28], 1);
    const bomb = Buffer.alloc(header.length + 256 * 2 ** 20);
    bomb.set(header);
    writeFileSync(join(dir, 'bomb.idx.gz'), gzipSync(bomb, { level: 9 }));
    writeFileSync(join(dir, 'small.idx.gz'), gzipSync(header));
    // Each load in its own process, whose peak RSS is then its own.
    const peak = (file: string) => {
      const script = `import * as sn from ${JSON.stringify(new URL('../dist/index.js', import.meta.url).href)};\n` +
        `let message = 'loaded';\ntry { (await sn.io.loadIdxImages(${JSON.stringify(file)})).dispose(); } catch (e) { message = e.message; }\n` +
        'console.log(JSON.stringify({ message, maxRSS: process.resourceUsage().maxRSS * 1024 }));';
      const run = spawnSync(process.execPath, ['--input-type=module', '-e', script], { encoding: 'utf8', timeout: 60_000 });
      return JSON.parse(run.stdout) as { message: string; maxRSS: number };
    };
    const small = peak(join(dir, 'small.idx.gz'));
    const hostile = peak(join(dir, 'bomb.idx.gz'));
    expect(small.message).toBe('loaded');
    expect(hostile.message).toMatch(/bomb\.idx\.gz: .*unexpected bytes after the data of dimensions \[1, 28, 28\]/);
    const extra = hostile.maxRSS - small.maxRSS;
    record.add('idx-gzip-bomb', HOSTILE, 'gzip IDX of ~250 KB inflating to 256 MB past its [1, 28, 28] header: peak RSS of the load', 1, extra < 64 * 2 ** 20 ? [] : [`peak RSS ${(extra / 2 ** 20).toFixed(0)} MB above a normal load: the whole stream is inflated before the size check`]);
    expect(extra, `peak RSS ${(extra / 2 ** 20).toFixed(0)} MB above a normal load`).toBeLessThan(64 * 2 ** 20);
  });
});

// ---------------------------------------------------------------------------------------------------
// Models

/** A model with every layer kind the formats carry; non-zero biases so a swapped bias would show. */
function mixedModel(seed: number, tfjs = false): sn.Sequential {
  const model = sn.sequential([
    sn.layers.dense({ inputShape: [5], units: 4, activation: 'tanh' }),
    sn.layers.dense({ units: 3, activation: 'leakyRelu', alpha: 0.1 }),
    sn.layers.relu(),
    sn.layers.dense({ units: 3, useBias: false }),
    ...(tfjs ? [] : [sn.layers.dense({ units: 3, activation: 'step' })]),
    sn.layers.dense({ units: 2, activation: 'softmax' }),
  ], { seed });
  model.setWeights(model.getWeights().map((w, i) => w.map((v, j) => (v === 0 ? Math.sin(1 + i + j) * 0.3 : v))));
  model.compile({ optimizer: sn.optimizers.sgd({ learningRate: 0.05, momentum: 0.5 }), loss: 'categoricalCrossentropy', metrics: ['accuracy'] });
  return model;
}

const probe = (): InstanceType<typeof sn.Tensor> => sn.tensor(Array.from({ length: 7 * 5 }, (_, i) => Math.sin(i * 0.7) * 2), [7, 5]);
function predictions(model: sn.Sequential): Float32Array {
  const x = probe();
  const y = model.predict(x);
  const out = y.data.slice();
  x.dispose();
  y.dispose();
  return out;
}
const concatWeights = (model: sn.Sequential): Float32Array => Float32Array.from(model.getWeights().flatMap((w) => Array.from(w)));

describe('hostile model files', () => {
  const fileArb = fc.record({ target: fc.constantFrom('model.json', 'weights.bin'), mutation: mutationArb, second: fc.option(mutationArb, { nil: undefined }) });
  let simdnetDir: string;
  let tfjsDir: string;
  let tfjsNativeDir: string;
  let simdnetWeights: Float32Array;
  beforeAll(async () => {
    const model = mixedModel(3);
    simdnetDir = freshDir('simdnet-original');
    await sn.saveModel(model, simdnetDir, { metadata: { classes: ['a', 'b'] } });
    simdnetWeights = concatWeights(model);
    model.dispose();
    const exported = mixedModel(4, true);
    tfjsDir = freshDir('tfjs-original');
    await sn.exportTfjs(exported, tfjsDir);
    exported.dispose();
    // And files written by TensorFlow.js itself (what its file:// handler writes in Node).
    const tfModel = tf.sequential({
      layers: [
        tf.layers.dense({ inputShape: [5], units: 6, activation: 'tanh', biasInitializer: 'randomNormal' }),
        tf.layers.leakyReLU({ alpha: 0.15 }),
        tf.layers.dense({ units: 4, activation: 'relu', useBias: false }),
        tf.layers.activation({ activation: 'sigmoid' }),
        tf.layers.dense({ units: 2, activation: 'softmax', biasInitializer: 'randomNormal' }),
      ],
    });
    tfjsNativeDir = freshDir('tfjs-native-original');
    await tfModel.save(tf.io.withSaveHandler(async (artifacts) => {
      writeFileSync(join(tfjsNativeDir, 'weights.bin'), new Uint8Array(artifacts.weightData as ArrayBuffer));
      writeFileSync(join(tfjsNativeDir, 'model.json'), JSON.stringify({ modelTopology: artifacts.modelTopology, format: artifacts.format, generatedBy: artifacts.generatedBy, convertedBy: artifacts.convertedBy, weightsManifest: [{ paths: ['weights.bin'], weights: artifacts.weightSpecs }] }));
      return { modelArtifactsInfo: { dateSaved: new Date(), modelTopologyType: 'JSON' } };
    }));
    tfModel.dispose();
  });

  /** Copies the original files into a new folder, with one or two mutations applied to the target file if given. */
  function damagedCopy(from: string, c: { target: string; mutation: Mutation; second?: Mutation } | null): string {
    const dir = freshDir('model');
    for (const name of readdirSync(from)) {
      let bytes: Uint8Array = readFileSync(join(from, name));
      if (c !== null && name === c.target) {
        bytes = mutate(bytes, c.mutation);
        if (c.second) bytes = mutate(bytes, c.second);
      }
      writeFileSync(join(dir, name), bytes);
    }
    return dir;
  }

  it("simdnet's model.json / weights.bin: a clear error naming the file, or the saved weights exactly", async () => {
    await record.checkAsync('simdnet-model', HOSTILE, "simdnet model.json / weights.bin: truncated, flipped bytes, wrong magic, hostile numbers (2^31, 1e308, -1, ...), appended bytes", fc.asyncProperty(fileArb, async (c) => {
      const dir = damagedCopy(simdnetDir, c);
      const outcome = await judge('loadModel', dir, () => sn.loadModel(dir), (model) => {
        // weights.bin is covered by a checksum: whatever else a surviving model.json edit changed, the
        // weights are the saved ones, and the model works.
        const w = concatWeights(model);
        if (w.length !== simdnetWeights.length || w.some((v, i) => !Object.is(v, simdnetWeights[i]))) throw new Error('loaded weights differ from the saved ones');
        if (predictions(model).length !== 14) throw new Error('predict returned the wrong size');
      }, (model) => model.dispose());
      record.outcome('simdnet-model', HOSTILE, outcome);
    }), { seed: SEED, numRuns: 700, endOnFailure: true });
  });

  it('TensorFlow.js model.json / weights.bin (exported by simdnet, and saved by TensorFlow.js): a clear error naming the file, or exactly the weights the files hold', async () => {
    await record.checkAsync('tfjs-model', HOSTILE, 'TensorFlow.js layers-model model.json / weights.bin, written by exportTfjs and by TensorFlow.js 4.22: same damage', fc.asyncProperty(fileArb, fc.boolean(), async (c, native) => {
      const dir = damagedCopy(native ? tfjsNativeDir : tfjsDir, c);
      const outcome = await judge('loadTfjs', dir, () => sn.loadTfjs(dir), (model) => {
        // No checksum in this format: a loaded model must hold the float32 values weights.bin has, in order.
        const bin = readFileSync(join(dir, 'weights.bin'));
        const fromFile = new Float32Array(bin.buffer.slice(bin.byteOffset, bin.byteOffset + bin.length));
        const w = concatWeights(model);
        if (w.length !== fromFile.length || w.some((v, i) => !Object.is(v, fromFile[i]))) throw new Error("loaded weights are not weights.bin's values");
        if (predictions(model).length !== 14) throw new Error('predict returned the wrong size');
      }, (model) => model.dispose());
      record.outcome('tfjs-model', HOSTILE, outcome);
    }), { seed: SEED, numRuns: 700, endOnFailure: true });
  });

  it('huge dimensions in model.json are refused before anything is allocated', async () => {
    const edits: [string, (j: Record<string, any>) => void][] = [
      ['inputShape 2^31', (j) => void (j.inputShape = [2 ** 31])],
      ['units 2^31', (j) => void (j.layers[0].config.units = 2 ** 31)],
      ['units 2^31 with matching weight list and weightsBytes', (j) => {
        j.layers[0].config.units = 2 ** 31;
        j.weights[0].shape = [5, 2 ** 31];
        j.weights[1].shape = [2 ** 31];
        j.weightsBytes = 4 * 2 ** 31;
      }],
    ];
    for (const [name, edit] of edits) {
      const dir = damagedCopy(simdnetDir, null);
      const json = JSON.parse(readFileSync(join(dir, 'model.json'), 'utf8'));
      edit(json);
      writeFileSync(join(dir, 'model.json'), JSON.stringify(json));
      const before = sn.memory();
      await expect(sn.loadModel(dir), name).rejects.toThrow(RangeError);
      expect(sn.memory(), name).toEqual(before);
    }
    const dir = damagedCopy(tfjsDir, null);
    const json = JSON.parse(readFileSync(join(dir, 'model.json'), 'utf8'));
    json.modelTopology.config.layers[0].config.units = 2 ** 31;
    json.weightsManifest[0].weights[0].shape = [5, 2 ** 31];
    writeFileSync(join(dir, 'model.json'), JSON.stringify(json));
    const before = sn.memory();
    await expect(sn.loadTfjs(dir)).rejects.toThrow(/describes \d+ bytes, the weight files hold/);
    expect(sn.memory()).toEqual(before);
    record.add('huge-model-dims', HOSTILE, 'model.json (both formats) declaring 2^31 units/inputs refused before allocating', edits.length + 1);
  });

  it("a damaged training section of model.json is an error naming the file, with nothing allocated", async () => {
    // Found by the simdnet-model property (HARDENING_SEED=2): a flipped byte in 'accuracy' gave
    // "unknown metric 'accur\u00bfcy'", an error that does not say which file is at fault.
    const edits: [string, (j: Record<string, any>) => void][] = [
      ['unknown metric', (j) => void (j.training.metrics = ['accurscy'])],
      ['unknown loss', (j) => void (j.training.loss = 'meanSquaredErrr')],
      ['unknown reduction', (j) => void (j.training.reduction = 'avg')],
      ['negative learning rate', (j) => void (j.training.optimizer.learningRate = -1)],
      ['momentum as a string', (j) => void (j.training.optimizer.momentum = '0.5')],
      ['unknown optimizer', (j) => void (j.training.optimizer.name = 'rmsprop')],
    ];
    const problems: string[] = [];
    for (const [name, edit] of edits) {
      const dir = damagedCopy(simdnetDir, null);
      const json = JSON.parse(readFileSync(join(dir, 'model.json'), 'utf8'));
      edit(json);
      writeFileSync(join(dir, 'model.json'), JSON.stringify(json));
      try {
        await judge('loadModel', join(dir, 'model.json'), () => sn.loadModel(dir), () => {
          throw new Error('loaded');
        }, (model) => model.dispose());
      } catch (error) {
        problems.push(`${name}: ${(error as Error).message}`);
      }
    }
    record.add('training-config', HOSTILE, "model.json training section damaged (metric, loss, reduction, learning rate, momentum, optimizer): error names model.json", edits.length, problems);
    expect(problems).toEqual([]);
  });

  it('loading never evaluates code from a file: a Lambda layer, __proto__ keys and path tricks are refused', async () => {
    const cases: [string, (j: Record<string, any>) => void, RegExp][] = [
      ['Lambda layer with code', (j) => {
        j.modelTopology.config.layers.splice(1, 0, { class_name: 'Lambda', config: { name: 'evil', function: 'globalThis.__simdnetPwned = 1', module: 'builtins' } });
      }, /is a Lambda; simdnet imports Dense, Activation, LeakyReLU/],
      ['activation given as code', (j) => void (j.modelTopology.config.layers[0].config.activation = '(() => { globalThis.__simdnetPwned = 1; return "relu" })()'), /has activation/],
      ['weight path outside the folder', (j) => void (j.weightsManifest[0].paths = ['../../../../etc/passwd']), /is not a plain relative path/],
      ['absolute weight path', (j) => void (j.weightsManifest[0].paths = ['/etc/passwd']), /is not a plain relative path/],
      ['__proto__ in the config', (j) => void (j.modelTopology.config.layers[0].config = JSON.parse('{"__proto__": {"polluted": 1}, "name": "d", "units": 4, "batch_input_shape": [null, 5]}')), /./],
    ];
    for (const [name, edit, message] of cases) {
      const dir = damagedCopy(tfjsDir, null);
      const json = JSON.parse(readFileSync(join(dir, 'model.json'), 'utf8'));
      edit(json);
      writeFileSync(join(dir, 'model.json'), JSON.stringify(json));
      const before = sn.memory();
      let loaded: sn.Sequential | null = null;
      try {
        loaded = await sn.loadTfjs(dir);
      } catch (error) {
        expect((error as Error).message, name).toMatch(message);
      }
      // The __proto__ case may load (the key is inert data); nothing may have run or leaked either way.
      loaded?.dispose();
      expect((globalThis as Record<string, unknown>).__simdnetPwned, name).toBeUndefined();
      expect(({} as Record<string, unknown>).polluted, name).toBeUndefined();
      expect(sn.memory(), name).toEqual(before);
    }
    record.add('code-in-files', HOSTILE, 'model.json with Lambda code, code as activation, path traversal, __proto__ keys', cases.length);
  });
});

// ---------------------------------------------------------------------------------------------------
// Interrupted saves

describe('a save interrupted at any file operation leaves the previous model loadable', () => {
  // The writers use node:fs/promises; patching its exports (and syncing the ES module bindings) injects a
  // failure at the n-th call of open / write / sync / rename, as a full disk or a crash would.
  const require = createRequire(import.meta.url);
  const fsp = require('node:fs/promises') as typeof import('node:fs/promises') & Record<string, unknown>;

  type Step = 'open' | 'writeFile' | 'sync' | 'rename';
  /**
   * Runs `work` with the `nth` call (from 1) of `step` failing; returns how many calls of it were made, and
   * whether the save had committed (renamed its model.json into place) before it ended.
   */
  async function failingAt<T>(step: Step, nth: number, work: () => Promise<T>): Promise<{ calls: number; committed: boolean; result: PromiseSettledResult<T> }> {
    const original = { open: fsp.open, rename: fsp.rename };
    let calls = 0;
    let committed = false;
    const fault = () => Object.assign(new Error(`injected failure of ${step} #${nth}`), { code: 'EIO' });
    const counted = <A extends unknown[], R>(name: Step, fn: (...args: A) => Promise<R>) => async (...args: A): Promise<R> => {
      if (name === step && ++calls === nth) throw fault();
      return fn(...args);
    };
    fsp.rename = (async (from: string, to: string) => {
      await counted('rename', original.rename)(from, to);
      if (to.endsWith('model.json')) committed = true;
    }) as typeof original.rename;
    fsp.open = (async (...args: Parameters<typeof original.open>) => {
      const handle = await counted('open', original.open)(...args);
      const { writeFile, sync } = handle;
      // A failing write leaves half the data in the file, as a full disk does.
      handle.writeFile = async (data: string | Uint8Array, ...rest: unknown[]) => {
        if (step === 'writeFile' && ++calls === nth) {
          const bytes = typeof data === 'string' ? new TextEncoder().encode(data) : data;
          await writeFile.call(handle, bytes.subarray(0, bytes.length >> 1));
          throw fault();
        }
        return writeFile.call(handle, data, ...(rest as []));
      };
      handle.sync = counted('sync', () => sync.call(handle));
      return handle;
    }) as typeof original.open;
    syncBuiltinESMExports();
    try {
      const [result] = await Promise.allSettled([work()]);
      return { calls, committed, result };
    } finally {
      Object.assign(fsp, original);
      syncBuiltinESMExports();
    }
  }

  const formats = [
    { name: 'saveModel / loadModel', save: (m: sn.Sequential, d: string) => sn.saveModel(m, d), load: (d: string) => sn.loadModel(d), tfjs: false },
    { name: 'exportTfjs / loadTfjs', save: (m: sn.Sequential, d: string) => sn.exportTfjs(m, d), load: (d: string) => sn.loadTfjs(d), tfjs: true },
  ];
  for (const format of formats) {
    it(`${format.name}: the old model loads whole (same predictions) after a failed save`, async () => {
      const old = mixedModel(11, format.tfjs);
      const other = mixedModel(12, format.tfjs);
      const oldPredictions = predictions(old);
      const newPredictions = predictions(other);
      const problems: string[] = [];
      let tried = 0;
      for (const step of ['open', 'writeFile', 'sync', 'rename'] as Step[]) {
        for (let nth = 1; ; nth++) {
          const dir = freshDir('interrupted');
          await format.save(old, dir);
          const { calls, committed, result } = await failingAt(step, nth, () => format.save(other, dir));
          if (calls < nth) break; // the save makes fewer than nth calls of this step: all covered
          tried++;
          // Before the commit a failure must fail the save and leave the old model. After it (flushing the
          // folder, re-reading model.json to remove the old weights) the new model is in place: a failed flush
          // must be reported as such, a failed clean-up only leaves an orphan.
          if (!committed && result.status === 'fulfilled') problems.push(`${step} #${nth}: the save reported success despite the failure`);
          if (committed && result.status === 'rejected' && !/the new model.json is in place/.test(String(result.reason))) problems.push(`${step} #${nth}: failed after its commit without saying the new model is in place: ${String(result.reason)}`);
          const leftovers = readdirSync(dir).filter((f) => f.endsWith('.tmp') || f.endsWith('.lock'));
          if (leftovers.length > 0) problems.push(`${step} #${nth}: temporary files left: ${leftovers.join(', ')}`);
          const expected = committed ? newPredictions : oldPredictions;
          try {
            const loaded = await format.load(dir);
            const got = predictions(loaded);
            loaded.dispose();
            if (got.some((v, i) => !Object.is(v, expected[i]))) problems.push(`${step} #${nth}: the folder loads, but not as the ${committed ? 'new' : 'previous'} model (predictions differ: weights of one save under the model.json of the other)`);
          } catch (error) {
            problems.push(`${step} #${nth}: the ${committed ? 'new' : 'previous'} model does not load: ${(error as Error).message}`);
          }
        }
      }
      old.dispose();
      other.dispose();
      record.add(`interrupted-save-${format.tfjs ? 'tfjs' : 'simdnet'}`, HOSTILE, `${format.name}: a failure injected at each open/write/sync/rename of a save over a previous model`, tried, problems);
      expect(tried).toBeGreaterThanOrEqual(7);
      expect(problems).toEqual([]);
    });
  }
});

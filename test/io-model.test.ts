// save / loadModel (simdnet's format) and exportTfjs / loadTfjs files: identical predictions after a round
// trip, the exact file layout, atomic replacement, and clear errors (with nothing allocated) for damage.
import { describe, expect, it } from 'vitest';
import { mkdirSync, mkdtempSync, readFileSync, readdirSync, unlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import * as sn from '../dist/index.js';

const tmp = (name: string) => mkdtempSync(join(tmpdir(), `simdnet-${name}-`));
const pkg = JSON.parse(readFileSync(new URL('../package.json', import.meta.url), 'utf8'));

/** Every layer kind the formats carry: dense with each activation, standalone activations, no bias. */
function mixedModel(seed: number) {
  const model = sn.sequential(
    [
      sn.layers.dense({ inputShape: [7], units: 5, activation: 'tanh', name: 'first' }),
      sn.layers.dense({ units: 3, activation: 'leakyRelu', alpha: 0.1, name: 'leaky' }),
      sn.layers.relu(),
      sn.layers.dense({ units: 4, useBias: false, name: 'nobias' }),
      sn.layers.leakyRelu({ alpha: 0.25 }),
      sn.layers.dense({ units: 2, activation: 'sigmoid', name: 'gate' }),
      sn.layers.dense({ units: 3, name: 'logits' }),
      sn.layers.softmax(),
    ],
    { seed },
  );
  // Non-zero biases, so a swapped or dropped bias would show.
  model.setWeights(model.getWeights().map((w, i) => w.map((v, j) => (v === 0 ? Math.sin(i + j) * 0.3 : v))));
  return model;
}

/** 13 rows (prime) of awkward inputs, including 0 and large values. */
function inputs() {
  return sn.tensor(Array.from({ length: 13 * 7 }, (_, i) => (i % 11 === 0 ? 0 : Math.sin(i * 0.77) * (1 + (i % 5)))), [13, 7]);
}

function predictions(model: ReturnType<typeof mixedModel>, x: InstanceType<typeof sn.Tensor>): Float32Array {
  const y = model.predict(x);
  const out = y.data.slice();
  y.dispose();
  return out;
}

describe('save and loadModel', () => {
  it('round-trips architecture, weights and compile settings; predictions are bit-identical', async () => {
    const model = mixedModel(3);
    model.compile({ optimizer: sn.optimizers.sgd({ learningRate: 0.05, momentum: 0.9 }), loss: 'categoricalCrossentropy', metrics: ['accuracy'] });
    const dir = join(tmp('save'), 'nested', 'model');
    await model.save(dir); // the method form; sn.saveModel(model, dir) is the same function
    expect(readdirSync(dir).sort()).toEqual(['model.json', 'weights.bin']);
    const json = JSON.parse(readFileSync(join(dir, 'model.json'), 'utf8'));
    expect(json.format).toBe('simdnet-model');
    expect(json.simdnetVersion).toBe(pkg.version);
    expect(json.training).toEqual({ optimizer: { name: 'sgd', learningRate: 0.05, momentum: 0.9, nesterov: false }, loss: 'categoricalCrossentropy', metrics: ['accuracy'], reduction: 'mean' });
    expect(json.formatVersion).toBe(3);
    expect(json.inputShape).toEqual([7]);
    expect(json.layers.map((l: { className: string; config: { activation: string } }) => `${l.className}:${l.config.activation}`)).toEqual(['Dense:tanh', 'Dense:leakyRelu', 'Activation:relu', 'Dense:linear', 'Activation:leakyRelu', 'Dense:sigmoid', 'Dense:linear', 'Activation:softmax']);
    // weights.bin: the parameters back to back, little-endian float32, in getWeights order.
    const bin = readFileSync(join(dir, 'weights.bin'));
    const weights = model.getWeights();
    expect(bin.length).toBe(4 * weights.reduce((s, w) => s + w.length, 0));
    const view = new DataView(bin.buffer, bin.byteOffset, bin.byteLength);
    let offset = 0;
    for (const w of weights) for (const v of w) expect(view.getFloat32((offset += 4) - 4, true)).toBe(v);

    const loaded = await sn.loadModel(dir);
    expect(loaded.layers.map((l) => l.name)).toEqual(model.layers.map((l) => l.name));
    const x = inputs();
    // Tolerance: none; the same weights through the same kernels give the same bits.
    expect(predictions(loaded, x)).toEqual(predictions(model, x));
    expect(loaded.optimizer).toBeInstanceOf(sn.Sgd);
    // Compiled again, so it evaluates (and could train) right away.
    const y = sn.oneHot([0, 1, 2, 0, 1, 2, 0, 1, 2, 0, 1, 2, 0], 3);
    expect(loaded.evaluate(x, y)).toEqual(model.evaluate(x, y));
    for (const t of [x, y]) t.dispose();
    model.dispose();
    loaded.dispose();
  });

  it('an uncompiled model loads uncompiled; the 1x1 model works', async () => {
    const tiny = sn.sequential([sn.layers.dense({ inputShape: [1], units: 1, activation: 'sigmoid' })], { seed: 1 });
    const dir = tmp('tiny');
    await sn.saveModel(tiny, dir);
    const loaded = await sn.loadModel(dir);
    expect(loaded.optimizer).toBeNull();
    const x = sn.tensor([[0.5], [-2]]);
    expect(predictions(loaded, x)).toEqual(predictions(tiny, x));
    x.dispose();
    tiny.dispose();
    loaded.dispose();
  });

  it('keeps Adam settings, a sparse loss and the sum reduction', async () => {
    const model = sn.sequential([sn.layers.dense({ inputShape: [3], units: 4, activation: 'softmax' })], { seed: 2 });
    model.compile({ optimizer: sn.optimizers.adam({ learningRate: 0.003, beta1: 0.8, beta2: 0.99, epsilon: 1e-6 }), loss: 'sparseCategoricalCrossentropy', reduction: 'sum' });
    const dir = tmp('adam');
    await sn.saveModel(model, dir);
    const loaded = await sn.loadModel(dir);
    expect(loaded.optimizer).toBeInstanceOf(sn.Adam);
    const adam = loaded.optimizer as InstanceType<typeof sn.Adam>;
    expect([adam.learningRate, adam.beta1, adam.beta2, adam.epsilon]).toEqual([0.003, 0.8, 0.99, 1e-6]);
    expect(loaded.loss).toBe('sparseCategoricalCrossentropy');
    expect(loaded.objective.reduction).toBe('sum');
    expect(loaded.objective.metrics).toEqual([]);
    model.dispose();
    loaded.dispose();
  });

  it('replaces an old model only when the new one is complete', async () => {
    const dir = tmp('atomic');
    const old = mixedModel(1);
    await sn.saveModel(old, dir);
    const before = readFileSync(join(dir, 'model.json'), 'utf8');
    const oldBin = readFileSync(join(dir, 'weights.bin'));
    const other = mixedModel(2);
    // A save that fails while preparing (metadata that is not JSON) writes nothing.
    await expect(sn.saveModel(other, dir, { metadata: { bad: 1n } as never })).rejects.toThrow(/BigInt/);
    expect(readdirSync(dir).sort()).toEqual(['model.json', 'weights.bin']);
    expect(readFileSync(join(dir, 'model.json'), 'utf8')).toBe(before);
    expect(readFileSync(join(dir, 'weights.bin')).equals(oldBin)).toBe(true);
    // A save that fails at the renames (model.json is a folder here) leaves no temporary files behind.
    const blocked = tmp('blocked');
    mkdirSync(join(blocked, 'model.json', 'x'), { recursive: true });
    await expect(sn.saveModel(other, blocked)).rejects.toThrow();
    expect(readdirSync(blocked).filter((f) => f.endsWith('.tmp'))).toEqual([]);
    // A weights.bin from another save under this model.json (copied by hand) is caught by the checksum.
    await sn.saveModel(other, join(dir, 'newer'));
    writeFileSync(join(dir, 'weights.bin'), readFileSync(join(dir, 'newer', 'weights.bin')));
    await expect(sn.loadModel(dir)).rejects.toThrow(/checksum .* differs from model.json's/);
    old.dispose();
    other.dispose();
  });

  it('a save over a model puts its weights in a file the old model.json does not name; model.json is renamed last', async () => {
    // The one-rename commit (src/io/files.ts): weights.bin and weights-<checksum>.bin alternate, and the
    // superseded file is removed once the new model.json is in place. Same for both formats.
    const formats = [
      { save: (m: ReturnType<typeof mixedModel>, d: string) => sn.saveModel(m, d), load: (d: string) => sn.loadModel(d), named: (j: any) => [j.weightsFile] },
      { save: (m: ReturnType<typeof mixedModel>, d: string) => sn.exportTfjs(m, d), load: (d: string) => sn.loadTfjs(d), named: (j: any) => j.weightsManifest[0].paths },
    ];
    const models = [mixedModel(21), mixedModel(22), mixedModel(23)];
    const x = inputs();
    for (const format of formats) {
      const dir = tmp('resave');
      const names: string[] = [];
      for (const model of models) {
        await format.save(model, dir);
        const json = JSON.parse(readFileSync(join(dir, 'model.json'), 'utf8'));
        const [weightsFile] = format.named(json);
        names.push(weightsFile);
        // Exactly the committed pair: the previous weights file is gone, no temporaries.
        expect(readdirSync(dir).sort()).toEqual(['model.json', weightsFile].sort());
        const loaded = await format.load(dir);
        expect(predictions(loaded, x)).toEqual(predictions(model, x));
        loaded.dispose();
      }
      expect(names[0]).toBe('weights.bin');
      expect(names[1]).toMatch(/^weights-[0-9a-f]{8}\.bin$/);
      expect(names[2]).toBe('weights.bin');
    }
    x.dispose();
    for (const m of models) m.dispose();
  });

  it('a save over a model keeps files simdnet did not write, even those the old model.json names', async () => {
    const model = mixedModel(24);
    const dir = tmp('foreign');
    await sn.exportTfjs(model, dir);
    // As TensorFlow.js writes it: one shard with another name; and an unrelated file in the folder.
    const json = JSON.parse(readFileSync(join(dir, 'model.json'), 'utf8'));
    writeFileSync(join(dir, 'group1-shard1of1.bin'), readFileSync(join(dir, 'weights.bin')));
    unlinkSync(join(dir, 'weights.bin'));
    json.weightsManifest[0].paths = ['group1-shard1of1.bin'];
    writeFileSync(join(dir, 'model.json'), JSON.stringify(json));
    writeFileSync(join(dir, 'notes.txt'), 'mine');
    await sn.saveModel(model, dir);
    expect(readdirSync(dir).sort()).toEqual(['group1-shard1of1.bin', 'model.json', 'notes.txt', 'weights.bin']);
    const loaded = await sn.loadModel(dir);
    const x = inputs();
    expect(predictions(loaded, x)).toEqual(predictions(model, x));
    for (const t of [x, loaded, model]) t.dispose();
  });

  it('a damaged training section is an error naming model.json and the setting, before anything is built', async () => {
    const model = sn.sequential([sn.layers.dense({ inputShape: [3], units: 2, activation: 'sigmoid', name: 'out' })], { seed: 5 });
    model.compile({ optimizer: sn.optimizers.sgd({ learningRate: 0.1, momentum: 0.5 }), loss: 'binaryCrossentropy', metrics: ['accuracy'] });
    const cases: [string, (j: Record<string, any>) => void, ErrorConstructor, RegExp][] = [
      ['momentum as a string', (j) => void (j.training.optimizer.momentum = '0.5'), TypeError, /training\.optimizer: sgd momentum must be a number in \[0, 1\), got "0\.5"/],
      ['momentum 1', (j) => void (j.training.optimizer.momentum = 1), RangeError, /training\.optimizer: sgd momentum must be in \[0, 1\), got 1$/],
      ['unknown setting', (j) => void (j.training.optimizer.moment = 0.5), TypeError, /training\.optimizer: sgd: unknown option 'moment'; valid: learningRate, momentum, nesterov/],
      ['nesterov without momentum', (j) => void Object.assign(j.training.optimizer, { momentum: 0, nesterov: true }), RangeError, /training\.optimizer: sgd nesterov needs momentum > 0/],
      ['adam epsilon 0', (j) => void (j.training.optimizer = { name: 'adam', learningRate: 0.001, beta1: 0.9, beta2: 0.999, epsilon: 0 }), RangeError, /training\.optimizer: adam epsilon must be a finite number > 0, got 0/],
      ['unknown optimizer', (j) => void (j.training.optimizer = { name: 'nadam', learningRate: 0.001 }), TypeError, /training\.optimizer: unknown optimizer "nadam"; valid: sgd, adam, adamw, rmsprop, adagrad/],
      ['unknown metric', (j) => void (j.training.metrics = ['accurscy']), TypeError, /unknown metric 'accurscy'; valid: accuracy/],
      ['sparse loss on a sigmoid output', (j) => void (j.training.loss = 'sparseCategoricalCrossentropy'), RangeError, /needs a softmax output layer, but the last layer 'out' ends in sigmoid/],
      ['weights file outside the folder', (j) => void (j.weightsFile = '../weights.bin'), TypeError, /weightsFile "\.\.\/weights\.bin" is not a file name in the model's folder/],
    ];
    for (const [name, damage, kind, message] of cases) {
      const dir = tmp('training');
      await sn.saveModel(model, dir);
      const json = JSON.parse(readFileSync(join(dir, 'model.json'), 'utf8'));
      damage(json);
      writeFileSync(join(dir, 'model.json'), JSON.stringify(json));
      const before = sn.memory();
      const error = await sn.loadModel(dir).then(() => null, (e: Error) => e);
      expect(error, name).toBeInstanceOf(kind);
      expect(error!.message.startsWith(`${join(dir, 'model.json')}: `), `${name}: ${error!.message}`).toBe(true);
      expect(error!.message, name).toMatch(message);
      expect(sn.memory(), name).toEqual(before);
    }
    model.dispose();
  });

  describe('damaged files: a clear error and no model (memory unchanged)', () => {
    async function saved() {
      const dir = tmp('damage');
      const model = mixedModel(4);
      await sn.saveModel(model, dir);
      model.dispose();
      return dir;
    }
    const edit = (dir: string, change: (json: Record<string, any>) => void) => {
      const json = JSON.parse(readFileSync(join(dir, 'model.json'), 'utf8'));
      change(json);
      writeFileSync(join(dir, 'model.json'), JSON.stringify(json));
    };
    const cases: [string, (dir: string) => void, RegExp][] = [
      ['missing model.json', (d) => unlinkSync(join(d, 'model.json')), /model.json: the model manifest is missing/],
      ['missing weights.bin', (d) => unlinkSync(join(d, 'weights.bin')), /weights.bin: the weights file is missing/],
      ['not JSON', (d) => writeFileSync(join(d, 'model.json'), '{"format": "simdnet-model",'), /model.json: not valid JSON/],
      ['truncated weights', (d) => writeFileSync(join(d, 'weights.bin'), readFileSync(join(d, 'weights.bin')).subarray(0, 50)), /holds 50 bytes, model.json's weights need \d+ \(truncated\)/],
      ['weights too long', (d) => writeFileSync(join(d, 'weights.bin'), Buffer.concat([readFileSync(join(d, 'weights.bin')), Buffer.alloc(8)])), /\(too long\)/],
      ['flipped byte', (d) => { const b = readFileSync(join(d, 'weights.bin')); b[17] ^= 0x40; writeFileSync(join(d, 'weights.bin'), b); }, /checksum/],
      ['unknown layer', (d) => edit(d, (j) => { j.layers[2].className = 'Conv9D'; }), /layer 2: unknown layer class "Conv9D"; simdnet has Dense, Activation/],
      ['unknown layer option', (d) => edit(d, (j) => { j.layers[0].config.unit = 5; }), /layer 0: dense: unknown option 'unit'; valid: name, trainable/],
      ['unknown activation', (d) => edit(d, (j) => { j.layers[0].config.activation = 'swish'; }), /layer 0: unknown activation 'swish'/],
      ['units changed', (d) => edit(d, (j) => { j.layers[0].config.units = 6; }), /weight 'first\/kernel' has shape \[7, 5\], the layers need \[7, 6\]/],
      ['weight renamed', (d) => edit(d, (j) => { j.weights[1].name = 'first/other'; }), /weight 1 is 'first\/other', expected 'first\/bias'/],
      ['weight list shape', (d) => edit(d, (j) => { j.weights[1].shape = [4]; }), /weightsBytes is \d+, the listed weights need \d+/],
      ['weightsBytes', (d) => edit(d, (j) => { j.weightsBytes += 4; }), /weightsBytes is \d+, the listed weights need/],
      ['format', (d) => edit(d, (j) => { j.format = 'keras'; }), /format is "keras", not 'simdnet-model'/],
      ['tfjs file', (d) => edit(d, (j) => { j.format = 'layers-model'; }), /TensorFlow.js model; load it with loadTfjs/],
      ['future version', (d) => edit(d, (j) => { j.formatVersion = 4; }), /format version 4 is not supported \(this simdnet reads versions 1 to 3\)/],
    ];
    for (const [name, damage, message] of cases) {
      it(name, async () => {
        const dir = await saved();
        damage(dir);
        const before = sn.memory();
        await expect(sn.loadModel(dir)).rejects.toThrow(message);
        expect(sn.memory()).toEqual(before);
      });
    }
  });

  it('rejects saving an unbuilt model, with nothing written', async () => {
    const dir = tmp('unbuilt');
    await expect(sn.saveModel(sn.sequential([sn.layers.dense({ units: 2 })]), dir)).rejects.toThrow(/not built yet/);
    expect(readdirSync(dir)).toEqual([]);
  });
});

describe('exportTfjs and loadTfjs (file level; the real-package check is in tfjs-interop.test.ts)', () => {
  it('writes a layers-model with batch_input_shape, <layer>/kernel [in, units] names and reads it back', async () => {
    const model = mixedModel(5);
    const dir = tmp('tfjs');
    await sn.exportTfjs(model, dir);
    const json = JSON.parse(readFileSync(join(dir, 'model.json'), 'utf8'));
    expect(json.format).toBe('layers-model');
    const layers = json.modelTopology.config.layers;
    expect(json.modelTopology.class_name).toBe('Sequential');
    expect(layers.map((l: { class_name: string }) => l.class_name)).toEqual(['Dense', 'Dense', 'LeakyReLU', 'Activation', 'Dense', 'LeakyReLU', 'Dense', 'Dense', 'Activation']);
    expect(layers[0].config.batch_input_shape).toEqual([null, 7]);
    expect(layers[1].config.activation).toBe('linear');
    expect(layers[2].config.alpha).toBeCloseTo(0.1, 7);
    expect(json.weightsManifest[0].paths).toEqual(['weights.bin']);
    expect(json.weightsManifest[0].weights.slice(0, 3)).toEqual([
      { name: 'first/kernel', shape: [7, 5], dtype: 'float32' },
      { name: 'first/bias', shape: [5], dtype: 'float32' },
      { name: 'leaky/kernel', shape: [5, 3], dtype: 'float32' },
    ]);
    const loaded = await sn.loadTfjs(dir);
    const x = inputs();
    // The leaky Dense comes back as Dense(linear) + LeakyReLU: same arithmetic, so identical outputs.
    expect(predictions(loaded, x)).toEqual(predictions(model, x));
    x.dispose();
    model.dispose();
    loaded.dispose();
  });

  it('reads weights split over several shards and groups, named under a scope prefix', async () => {
    const model = mixedModel(8);
    const dir = tmp('shards');
    await sn.exportTfjs(model, dir);
    const json = JSON.parse(readFileSync(join(dir, 'model.json'), 'utf8'));
    const bin = readFileSync(join(dir, 'weights.bin'));
    unlinkSync(join(dir, 'weights.bin'));
    // Shard boundaries fall inside a weight (tfjs shards by bytes, not by tensor).
    writeFileSync(join(dir, 'group1-shard1of3.bin'), bin.subarray(0, 37));
    writeFileSync(join(dir, 'group1-shard2of3.bin'), bin.subarray(37, 101));
    writeFileSync(join(dir, 'group1-shard3of3.bin'), bin.subarray(101));
    const weights = json.weightsManifest[0].weights;
    // Two groups; the second group's entries follow the first's in the byte stream.
    json.weightsManifest = [
      { paths: ['group1-shard1of3.bin', 'group1-shard2of3.bin'], weights: weights.slice(0, 3).map((w: { name: string }) => ({ ...w, name: `sequential_1/${w.name}` })) },
      { paths: ['group1-shard3of3.bin'], weights: weights.slice(3) },
    ];
    writeFileSync(join(dir, 'model.json'), JSON.stringify(json));
    const loaded = await sn.loadTfjs(dir);
    const x = inputs();
    expect(predictions(loaded, x)).toEqual(predictions(model, x));
    x.dispose();
    model.dispose();
    loaded.dispose();
  });

  it('refuses what TensorFlow.js cannot express, and layers simdnet does not import', async () => {
    const stepModel = sn.sequential([sn.layers.dense({ inputShape: [2], units: 1, activation: 'step' })], { seed: 1 });
    await expect(sn.exportTfjs(stepModel, tmp('step'))).rejects.toThrow(/step activation, which TensorFlow.js does not have/);
    stepModel.dispose();
    const dir = tmp('conv');
    const model = mixedModel(6);
    await sn.exportTfjs(model, dir);
    model.dispose();
    const path = join(dir, 'model.json');
    const original = readFileSync(path, 'utf8');
    const variants: [string, (j: any) => void, RegExp][] = [
      ['conv', (j) => { j.modelTopology.config.layers[4].class_name = 'LSTM'; }, /layer 'nobias' is a LSTM; simdnet imports Dense, Activation, LeakyReLU/],
      ['functional', (j) => { j.modelTopology.class_name = 'Model'; }, /is a Model; simdnet imports Sequential models only/],
      ['activation', (j) => { j.modelTopology.config.layers[0].config.activation = 'elu'; }, /layer 'first' has activation "elu"/],
      ['quantized', (j) => { j.weightsManifest[0].weights[0].quantization = { dtype: 'uint8' }; }, /weight 'first\/kernel' is quantized/],
      ['missing weight', (j) => { j.weightsManifest[0].weights[1].name = 'first/other'; }, /has no 'first\/bias'/],
      ['shape', (j) => { j.weightsManifest[0].weights[0].shape = [5, 7]; }, /weight 'first\/kernel' has shape \[5, 7\], the topology needs \[7, 5\]/],
      ['size', (j) => { j.weightsManifest[0].weights.pop(); }, /describes \d+ bytes, the weight files hold \d+/],
      ['input', (j) => { delete j.modelTopology.config.layers[0].config.batch_input_shape; }, /no batch_input_shape/],
      ['path', (j) => { j.weightsManifest[0].paths = ['../secret.bin']; }, /not a plain relative path/],
    ];
    for (const [name, change, message] of variants) {
      const j = JSON.parse(original);
      change(j);
      writeFileSync(path, JSON.stringify(j));
      const before = sn.memory();
      await expect(sn.loadTfjs(dir), name).rejects.toThrow(message);
      expect(sn.memory()).toEqual(before);
    }
  });
});

// The simdnet CLI, run as a real process: help, usage errors (one line, exit code 2), train / eval / predict
// on an IDX folder, the demo's accuracy on the digits, and the progress display (TTY bar vs plain lines).
import { describe, expect, it, beforeAll } from 'vitest';
import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { gzipSync } from 'node:zlib';
import { fileURLToPath } from 'node:url';
import { barLine, epochLine, Progress } from '../dist/nn/training/progress.js';
import { idx } from './reference/idx.js';

const cli = fileURLToPath(new URL('../dist/cli/main.js', import.meta.url));

function run(...args: string[]) {
  const r = spawnSync(process.execPath, [cli, ...args], { encoding: 'utf8', timeout: 110_000 });
  return { code: r.status, out: r.stdout, err: r.stderr };
}

/** 3 classes of 5x5 images: a bright row at the top, the middle or the bottom, with noise. */
function toyFolder(): string {
  const dir = mkdtempSync(join(tmpdir(), 'simdnet-cli-data-'));
  let s = 7;
  const noise = () => ((s = (Math.imul(s, 1103515245) + 12345) >>> 0) >>> 26);
  const make = (n: number) => {
    const pixels = new Uint8Array(n * 25);
    const labels = new Uint8Array(n);
    for (let i = 0; i < n; i++) {
      labels[i] = i % 3;
      for (let p = 0; p < 25; p++) pixels[i * 25 + p] = noise() + (Math.floor(p / 5) === labels[i] * 2 ? 200 : 0);
    }
    return { pixels, labels };
  };
  const train = make(97);
  const test = make(31);
  writeFileSync(join(dir, 'train-images-idx3-ubyte.gz'), gzipSync(idx([97, 5, 5], train.pixels)));
  writeFileSync(join(dir, 'train-labels-idx1-ubyte'), idx([97], train.labels));
  writeFileSync(join(dir, 't10k-images-idx3-ubyte'), idx([31, 5, 5], test.pixels));
  writeFileSync(join(dir, 't10k-labels-idx1-ubyte'), idx([31], test.labels));
  return dir;
}

describe('help and usage errors', () => {
  it('--help on every command', () => {
    for (const [args, usage] of [[['--help'], 'usage: simdnet <command>'], [['train', '--help'], 'usage: simdnet train'], [['eval', '--help'], 'usage: simdnet eval <model dir>'], [['predict', '-h'], 'usage: simdnet predict <model dir> <idx file>']] as const) {
      const r = run(...args);
      expect(r.code, args.join(' ')).toBe(0);
      expect(r.out).toContain(usage);
    }
    expect(run('train', '--help').out).toMatch(/--epochs <n>\s+passes over the training set \(default 5\)/);
  });

  const errors: [string[], RegExp][] = [
    [[], /missing command/],
    [['fit'], /unknown command 'fit'/],
    [['train', '--epoch', '5'], /train: unknown option --epoch; did you mean --epochs\? \(valid: --data, /],
    [['train', '--epochs', 'five'], /--epochs must be a whole number >= 1, got 'five'/],
    [['train', '--epochs=0'], /--epochs must be a whole number >= 1, got '0'/],
    [['train', '--batch', '2.5'], /--batch must be a whole number >= 1/],
    [['train', '--lr', '-0.1'], /--lr must be a number > 0, got '-0.1'/],
    [['train', '--optimizer', 'rmsprop'], /--optimizer must be one of sgd, adam, got 'rmsprop'/],
    [['train', '--activation', 'softmax'], /--activation must be one of relu, leakyRelu, sigmoid, tanh, linear/],
    [['train', '--layers', '128,,64'], /--layers token 2 is empty \(tokens are separated by single commas; valid: <units>, dense<units>, conv<filters>x<k>/],
    [['train', '--layers', 'conv32x3,pool2,flaten'], /--layers token 3 'flaten' is not a layer; did you mean 'flatten'\? \(valid: <units>, /],
    [['train', '--layers', 'cnv32x3,pool2,flatten'], /--layers token 1 'cnv32x3' is not a layer; did you mean 'conv32x3'\?/],
    [['train', '--layers', 'conv32,flatten'], /--layers token 1 'conv32' does not read as conv<filters>x<k>\[x<k2>\] \(e\.g\. conv32x3\)/],
    [['train', '--layers', 'conv8x3-s2-sme,flatten'], /--layers token 1 'conv8x3-s2-sme': conv takes -s<stride>, -same\|-valid, -<activation> .*; '-sme' is no suffix/],
    [['train', '--layers', 'dense64-sigmod'], /--layers token 1 'dense64-sigmod': dense takes -<activation> .*'-sigmod' is no suffix; did you mean '-sigmoid'\?/],
    [['train', '--layers', 'pool2-tanh,flatten'], /--layers token 1 'pool2-tanh': '-tanh' sets activation, but pool takes -s<stride>, -same\|-valid/],
    [['train', '--layers', 'conv8x3-s2-s1,flatten'], /--layers token 1 'conv8x3-s2-s1': strides is given twice/],
    [['train', '--layers', '128,conv32x3,flatten'], /--layers token 2 'conv32x3' needs images \(rows x cols x channels\), but the stack starts with flat inputs/],
    [['train', '--layers', 'flatten,dropout0.5,pool2'], /--layers token 3 'pool2' needs images .*, but it follows token 1 'flatten', which makes flat vectors/],
    [['train', '--layers', 'conv32x3,pool2'], /--layers 'conv32x3,pool2' ends with images; add flatten or gap before the output layer/],
    [['train', '--layers', 'flatten,dropout1.5'], /--layers token 2 'dropout1.5': dropout: rate must be a finite number >= 0 and < 1, got 1.5/],
    [['train', '--layers', '0'], /--layers token 1 '0': dense: units must be an integer >= 1, got 0/],
    [['train', '--model', '/no/such/net.json'], /train: --model '\/no\/such\/net.json' does not exist/],
    [['train', '--model', tmpdir(), '--layers', '8'], /train: --layers cannot be combined with --model \(the file describes every layer/],
    [['train', '--model', tmpdir(), '--init', 'uniform0.5'], /train: --init cannot be combined with --model/],
    [['train', '--decay', '1.5'], /--decay must be a number > 0 and <= 1/],
    [['train', '--data', '/no/such/folder'], /--data must be 'digits' or a folder of IDX files; '\/no\/such\/folder' is not a folder/],
    [['train', '--seed'], /option --seed needs a value <n>/],
    [['train', '--init', 'uniform'], /--init must be 'glorot' or 'uniform<a>' with a > 0 \(e.g. uniform0.5 for U\(-0.5, 0.5\)\), got 'uniform'/],
    [['train', '--init', 'uniform0'], /--init must be 'glorot' or 'uniform<a>' with a > 0/],
    [['train', '--init', 'he'], /--init must be 'glorot' or 'uniform<a>'/],
    [['train', '--epochs', '2', '--epochs', '3'], /--epochs is given twice/],
    [['train', 'extra'], /unexpected argument 'extra'/],
    [['eval'], /eval: missing <model dir>/],
    [['eval', '/no/such/model'], /eval: <model dir> '\/no\/such\/model' is not a folder/],
    [['predict', tmpdir()], /predict: missing <idx file>/],
    [['predict', tmpdir(), 'x.idx', '--limit', '0'], /--limit must be a whole number >= 1/],
  ];
  for (const [args, message] of errors) {
    it(`simdnet ${args.join(' ')} -> exit 2, one line`, () => {
      const r = run(...args);
      expect(r.code).toBe(2);
      expect(r.err).toMatch(message);
      expect(r.err.trim().split('\n')).toHaveLength(1);
      expect(r.out).toBe('');
    });
  }
});

describe('train, eval and predict on an IDX folder', () => {
  let data: string;
  let out: string;
  let trained: ReturnType<typeof run>;
  beforeAll(() => {
    data = toyFolder();
    out = join(mkdtempSync(join(tmpdir(), 'simdnet-cli-out-')), 'model');
    trained = run('train', '--data', data, '--layers', '8', '--epochs', '4', '--batch', '16', '--lr', '0.5', '--seed', '3', '--out', out);
  });

  it('trains with one plain line per epoch when not on a TTY, then writes every output', () => {
    expect(trained.err).toBe('');
    expect(trained.code).toBe(0);
    const lines = trained.out.split('\n');
    // Not a terminal: one line per epoch, fitted to 80 columns (samples/s gives way; the final line has it).
    expect(lines.filter((l) => /^epoch \d\/4  loss [\d.]+  acc [\d.]+%  val_loss [\d.]+  val_acc [\d.]+%  [\d.]+s$/.test(l))).toHaveLength(4);
    expect(trained.out).toMatch(/^trained 4 epochs in [\d.]+s, [\d,]+ samples\/s$/m);
    expect(trained.out).not.toContain('\r');
    expect(trained.out).toContain('network 25-8-3 (relu hidden, softmax out), glorot initial weights, 235 parameters\nsgd lr 0.5, batch 16, 4 epochs, seed 3, ');
    const accuracy = Number(/test accuracy ([\d.]+)% \((\d+) of 31\)/.exec(trained.out)![1]);
    // The toy classes are separable: a trained model gets them all but a few.
    expect(accuracy).toBeGreaterThanOrEqual(90);
    for (const f of ['model.json', 'weights.bin', 'learning-curve.svg', 'confusion-matrix.txt', 'confusion-matrix.svg', 'history.json']) expect(existsSync(join(out, f)), f).toBe(true);
    const history = JSON.parse(readFileSync(join(out, 'history.json'), 'utf8'));
    expect(history.loss).toHaveLength(4);
    expect(readFileSync(join(out, 'confusion-matrix.txt'), 'utf8')).toContain(`(${Math.round((accuracy * 31) / 100)} of 31)`);
    expect(readFileSync(join(out, 'learning-curve.svg'), 'utf8')).toContain('<svg');
  });

  it('--init uniform0.5 draws kernels and biases from U(-0.5, 0.5), as the MNIST-from-scratch tutorial', async () => {
    const dir = join(mkdtempSync(join(tmpdir(), 'simdnet-cli-init-')), 'model');
    // A rate so small that one epoch leaves the initial weights as they were (to 1e-9).
    const r = run('train', '--data', data, '--layers', '8', '--epochs', '1', '--lr', '1e-12', '--init', 'uniform0.5', '--out', dir);
    expect(r.code).toBe(0);
    expect(r.out).toContain('network 25-8-3 (relu hidden, softmax out), uniform0.5 initial weights, 235 parameters');
    const sn = await import('../dist/index.js');
    const model = await sn.loadModel(dir);
    const [k1, b1, k2, b2] = model.getWeights();
    model.dispose();
    for (const w of [k1, b1, k2, b2]) for (const v of w) expect(Math.abs(v)).toBeLessThan(0.5);
    // Biases drawn too (Keras's default would be zeros), and kernels wider than Glorot's limit sqrt(6 / (25 + 8)) = 0.43.
    for (const b of [b1, b2]) expect(b.filter((v) => v !== 0)).toHaveLength(b.length);
    expect(Math.max(...Array.from(k1, Math.abs))).toBeGreaterThan(0.45);
  });

  it('is deterministic: the same seed gives the same weights', () => {
    const again = join(mkdtempSync(join(tmpdir(), 'simdnet-cli-again-')), 'model');
    expect(run('train', '--data', data, '--layers', '8', '--epochs', '4', '--batch', '16', '--lr', '0.5', '--seed', '3', '--out', again).code).toBe(0);
    expect(readFileSync(join(again, 'weights.bin')).equals(readFileSync(join(out, 'weights.bin')))).toBe(true);
  });

  it('eval reports the same accuracy as train did', () => {
    const r = run('eval', out, '--data', data);
    expect(r.code).toBe(0);
    const trainedAcc = /test accuracy ([\d.]+%) \((\d+) of 31\)/.exec(trained.out)!;
    expect(r.out).toContain(`accuracy ${trainedAcc[1]} (${trainedAcc[2]} of 31)`);
    expect(r.out).toMatch(/^loss [\d.]+$/m);
    expect(r.out).toContain('actual \\ predicted');
  });

  it('eval also takes a library-saved model compiled with a sparse loss', async () => {
    const sn = await import('../dist/index.js');
    const ds = await sn.datasets.idxFolder(data);
    const model = sn.sequential([sn.layers.dense({ inputShape: [25], units: 3, activation: 'softmax' })], { seed: 1 });
    model.compile({ optimizer: sn.optimizers.sgd({ learningRate: 0.5 }), loss: 'sparseCategoricalCrossentropy', metrics: ['accuracy'] });
    await model.fit(ds.train.x, ds.train.labels, { epochs: 3, batchSize: 8, seed: 1 });
    const expected = model.evaluate(ds.test.x, ds.test.labels);
    const dir = mkdtempSync(join(tmpdir(), 'simdnet-cli-sparse-'));
    await sn.saveModel(model, dir);
    model.dispose();
    ds.dispose();
    const r = run('eval', dir, '--data', data);
    expect(r.code).toBe(0);
    expect(r.out).toContain(`loss ${expected.loss.toFixed(4)}`);
    expect(r.out).toContain(`accuracy ${(100 * expected.accuracy!).toFixed(2)}%`);
  });

  it('predict prints one line per image, with --limit', () => {
    const r = run('predict', out, join(data, 't10k-images-idx3-ubyte'), '--limit', '3');
    expect(r.code).toBe(0);
    const lines = r.out.trim().split('\n');
    expect(lines[0]).toBe('index\tclass\tprobability\tname');
    expect(lines).toHaveLength(4);
    for (const [i, line] of lines.slice(1).entries()) expect(line).toMatch(new RegExp(`^${i}\\t[0-2]\\t(0|1)\\.\\d{4}\\t[0-2]$`));
  });

  it('runtime failures exit 1 with the reason: a damaged IDX file, a model of the wrong size', () => {
    const bad = join(data, 'bad-idx');
    writeFileSync(bad, idx([3, 5, 5], new Uint8Array(75)).subarray(0, 40));
    const r = run('predict', out, bad);
    expect(r.code).toBe(1);
    expect(r.err).toMatch(/bad-idx: truncated/);
    const digits = run('eval', out, '--data', 'digits');
    expect(digits.code).toBe(1);
    expect(digits.err).toMatch(/the model takes 25 inputs but digits images have 784 pixels/);
  });
});

describe('--layers stacks and --model description files', () => {
  let data: string;
  let stackOut: string;
  let stack: ReturnType<typeof run>;
  const STACK = ['--layers', 'flatten,dropout0.1,16-tanh,batchnorm,relu,8', '--epochs', '6', '--batch', '16', '--lr', '0.3', '--seed', '5'];
  beforeAll(() => {
    data = toyFolder();
    stackOut = join(mkdtempSync(join(tmpdir(), 'simdnet-cli-stack-')), 'model');
    stack = run('train', '--data', data, ...STACK, '--out', stackOut);
  });
  const accuracyOf = (out: string) => Number(/test accuracy ([\d.]+)% \(\d+ of 31\)/.exec(out)![1]);
  const writeJson = (name: string, value: unknown) => {
    const file = join(mkdtempSync(join(tmpdir(), 'simdnet-cli-desc-')), name);
    writeFileSync(file, typeof value === 'string' ? value : JSON.stringify(value));
    return file;
  };

  it('--help documents the token forms, the suffixes, the output layer and --model', () => {
    const help = run('train', '--help').out;
    expect(help).toMatch(/train adds the output layer itself\n\(dense, one unit per class of the dataset, softmax\)/);
    for (const form of ['<units>, dense<units>', 'conv<filters>x<k>', 'pool<p>, avgpool<p>', 'gap', 'flatten, dropout<rate>, batchnorm, relu|leakyRelu|sigmoid|tanh|linear', '-s<stride>', '-same|-valid']) expect(help).toContain(form);
    expect(help).toContain('--layers conv32x3,pool2,conv64x3,pool2,flatten,dropout0.5');
    expect(help).toMatch(/--model <file>\s+a model description instead of --layers/);
    expect(help).toMatch(/Only the topology\s+is read: every weight starts from its layer's initializer/);
  });

  it("parseLayerStack: each token is the registry's { className, config }, suffixes included", async () => {
    const { parseLayerStack } = await import('../dist/cli/layer-spec.js');
    const convnet = parseLayerStack('conv32x3,pool2,conv64x3x5-same-s2-tanh,avgpool3x2-s1-same,pool,batchnorm,gap,dropout0.25,dense16-sigmoid,32,leakyRelu', 'relu', {});
    expect(convnet.input).toBe('image');
    expect(convnet.denseOnly).toBe(false);
    expect(convnet.layers.map((l) => [l.className, l.config])).toEqual([
      ['Conv2D', { filters: 32, kernelSize: 3, activation: 'relu' }],
      ['MaxPooling2D', { poolSize: 2 }],
      ['Conv2D', { filters: 64, kernelSize: [3, 5], activation: 'tanh', padding: 'same', strides: 2 }],
      ['AveragePooling2D', { poolSize: [3, 2], strides: 1, padding: 'same' }],
      ['MaxPooling2D', {}],
      ['BatchNormalization', {}],
      ['GlobalAveragePooling2D', {}],
      ['Dropout', { rate: 0.25 }],
      ['Dense', { units: 16, activation: 'sigmoid' }],
      ['Dense', { units: 32, activation: 'relu' }],
      ['Activation', { activation: 'leakyRelu' }],
    ]);
    // --init reaches the layers with kernels only; a dense first layer takes rows of pixels.
    const init = { kernelInitializer: 'zeros', biasInitializer: 'ones' };
    const dense = parseLayerStack('dropout0.1,128,64', 'tanh', init);
    expect(dense).toMatchObject({ input: 'flat', denseOnly: false });
    expect(dense.layers.map((l) => l.config)).toEqual([{ rate: 0.1 }, { units: 128, activation: 'tanh', ...init }, { units: 64, activation: 'tanh', ...init }]);
    expect(parseLayerStack('128,64', 'relu', {})).toMatchObject({ input: 'flat', denseOnly: true });
    expect(parseLayerStack('none', 'relu', {})).toEqual({ layers: [], input: 'flat', denseOnly: true });
    expect(parseLayerStack('batchnorm,flatten,16', 'relu', {}).input).toBe('image');
    expect(parseLayerStack('conv8x3-valid,flatten', 'relu', init).layers[0].config).toEqual({ filters: 8, kernelSize: 3, activation: 'relu', padding: 'valid', ...init });
  });

  it('flatten, dropout, dense, batchnorm and activation tokens train on [5, 5, 1] images; eval and predict take the model', () => {
    expect(stack.err).toBe('');
    expect(stack.code).toBe(0);
    // Parameters: dense 25*16+16, batchnorm gamma and beta 2*16, dense 16*8+8, dense 8*3+3 (moving statistics are not trained).
    expect(stack.out).toContain(`network 5x5x1 flatten dropout0.1 16-tanh batchnorm relu 8 dense3-softmax (relu hidden, softmax out), glorot initial weights, ${25 * 16 + 16 + 32 + 16 * 8 + 8 + 8 * 3 + 3} parameters\n`);
    expect(accuracyOf(stack.out)).toBeGreaterThanOrEqual(90);
    const saved = JSON.parse(readFileSync(join(stackOut, 'model.json'), 'utf8'));
    expect(saved.inputShape).toEqual([5, 5, 1]);
    expect(saved.layers.map((l: { className: string }) => l.className)).toEqual(['Flatten', 'Dropout', 'Dense', 'BatchNormalization', 'Activation', 'Dense', 'Dense']);
    expect(readFileSync(join(stackOut, 'confusion-matrix.txt'), 'utf8')).toContain(`(${Math.round((accuracyOf(stack.out) * 31) / 100)} of 31)`);
    const evaluated = run('eval', stackOut, '--data', data);
    expect(evaluated.code).toBe(0);
    expect(evaluated.out).toContain(`accuracy ${accuracyOf(stack.out).toFixed(2)}%`);
    const predicted = run('predict', stackOut, join(data, 't10k-images-idx3-ubyte'), '--limit', '2');
    expect(predicted.code).toBe(0);
    expect(predicted.out.trim().split('\n')).toHaveLength(3);
  });

  it('--model takes the model.json train wrote: the same layers and seed give the same weights, bit for bit', () => {
    const again = join(mkdtempSync(join(tmpdir(), 'simdnet-cli-model-')), 'model');
    const r = run('train', '--data', data, '--model', join(stackOut, 'model.json'), ...STACK.slice(2), '--out', again);
    expect(r.code).toBe(0);
    expect(r.out).toContain(`network 5x5x1 Flatten Dropout Dense BatchNormalization Activation Dense Dense from ${join(stackOut, 'model.json')}, fresh initial weights`);
    expect(readFileSync(join(again, 'weights.bin')).equals(readFileSync(join(stackOut, 'weights.bin')))).toBe(true);
  });

  it('--model takes TensorFlow.js topologies: a bare Sequential config from the real tfjs (flat and [5, 5] inputs) and an exported model.json', async () => {
    const tf = await import('@tensorflow/tfjs');
    const flat = tf.sequential({ layers: [tf.layers.dense({ inputShape: [25], units: 8, activation: 'relu' }), tf.layers.dense({ units: 3, activation: 'softmax' })] });
    const square = tf.sequential({ layers: [tf.layers.flatten({ inputShape: [5, 5] }), tf.layers.dense({ units: 8, activation: 'tanh' }), tf.layers.dense({ units: 3, activation: 'softmax' })] });
    for (const [model, header] of [[flat, 'network 25 Dense Dense from'], [square, 'network 5x5 Flatten Dense Dense from']] as const) {
      const file = writeJson('config.json', model.toJSON(undefined, true));
      const r = run('train', '--data', data, '--model', file, '--epochs', '6', '--batch', '16', '--lr', '0.3', '--out', join(mkdtempSync(join(tmpdir(), 'simdnet-cli-tfjs-')), 'model'));
      expect(r.err).toBe('');
      expect(r.out).toContain(`${header} ${file}, fresh initial weights`);
      expect(accuracyOf(r.out)).toBeGreaterThanOrEqual(90);
      model.dispose();
    }
    const sn = await import('../dist/index.js');
    const saved = await sn.loadModel(stackOut);
    const exported = mkdtempSync(join(tmpdir(), 'simdnet-cli-export-'));
    await sn.exportTfjs(saved, exported);
    saved.dispose();
    const r = run('train', '--data', data, '--model', exported, ...STACK.slice(2), '--out', join(exported, 'trained'));
    expect(r.code).toBe(0);
    expect(r.out).toContain(`network 5x5x1 Flatten Dropout Dense BatchNormalization Activation Dense Dense from ${join(exported, 'model.json')}`);
    expect(accuracyOf(r.out)).toBeGreaterThanOrEqual(90);
  });

  it('--model errors name the file, and the layer when one is at fault (exit 1, nothing written)', () => {
    const saved = JSON.parse(readFileSync(join(stackOut, 'model.json'), 'utf8'));
    const edited = (edit: (json: any) => void) => {
      const json = structuredClone(saved);
      edit(json);
      return writeJson('model.json', json);
    };
    const tfjsConfig = (layers: unknown[]) => ({ class_name: 'Sequential', config: { name: 'seq', layers } });
    const cases: [string, RegExp][] = [
      [writeJson('broken.json', '{"format": "simdnet-model",'), /broken\.json: not valid JSON/],
      [writeJson('other.json', { hello: 1 }), /other\.json: not a model description: expected simdnet's model\.json \(format 'simdnet-model'\), a TensorFlow\.js model\.json \(modelTopology\) or a Sequential config/],
      [edited((j) => (j.layers[2].config.units = 0)), /model\.json: layer 2 'dense': dense: units must be an integer >= 1, got 0/],
      [edited((j) => (j.layers[2].className = 'Dense3D')), /model\.json: layer 2 'dense': unknown layer class "Dense3D"; simdnet has Dense, /],
      [edited((j) => (j.layers[6].config.units = 12)), /model\.json: the model outputs \[12\] per image, but .* has 3 classes: its last layer must output \[3\]/],
      [edited((j) => (j.layers[6].config.activation = 'relu')), /model\.json: layer 6 'dense_\d+' ends in relu; simdnet train needs a softmax output/],
      [edited((j) => (j.inputShape = [7])), /the model takes 7 inputs but .* train images have 25 pixels \(a model input of \[7\], images of \[25\]\)/],
      [writeJson('conv3d.json', tfjsConfig([{ class_name: 'Conv3D', config: { name: 'c3', batch_input_shape: [null, 5, 5, 5, 1] } }])), /conv3d\.json: layer 'c3' is a Conv3D; simdnet imports Dense, /],
      [writeJson('noshape.json', tfjsConfig([{ class_name: 'Dense', config: { name: 'd', units: 3, activation: 'softmax' } }])), /noshape\.json: the first layer has no batch_input_shape, so the input shape is unknown/],
    ];
    for (const [file, message] of cases) {
      const out = join(mkdtempSync(join(tmpdir(), 'simdnet-cli-bad-')), 'model');
      const r = run('train', '--data', data, '--model', file, '--epochs', '1', '--out', out);
      expect(r.code, file).toBe(1);
      expect(r.err, file).toMatch(message);
      expect(r.err.trim().split('\n')).toHaveLength(1);
      expect(existsSync(out)).toBe(false);
    }
  });
});

describe('convnets from the command line', () => {
  it('conv and pool tokens: a tiny convnet trains on the digits as [28, 28, 1] images; eval, predict and the confusion matrix take it', async () => {
    const out = join(mkdtempSync(join(tmpdir(), 'simdnet-cli-cnn-')), 'model');
    const started = performance.now();
    const r = run('train', '--layers', 'conv8x3,pool2,conv16x3-same,pool,flatten,dropout0.25', '--optimizer', 'adam', '--lr', '0.003', '--epochs', '2', '--batch', '32', '--out', out);
    const seconds = (performance.now() - started) / 1000;
    expect(r.err).toBe('');
    expect(r.code).toBe(0);
    // conv 3*3*1*8+8, conv 3*3*8*16+16, dense (6*6*16)*10+10.
    expect(r.out).toContain(`network 28x28x1 conv8x3 pool2 conv16x3-same pool flatten dropout0.25 dense10-softmax (relu hidden, softmax out), glorot initial weights, ${(80 + 1168 + 5770).toLocaleString('en-US')} parameters\n`);
    const accuracy = Number(/test accuracy ([\d.]+)% \((\d+) of 2000\)/.exec(r.out)![1]);
    // Measured 96.6% (an MLP 784-10 gets about 90%).
    expect(accuracy).toBeGreaterThanOrEqual(94);
    console.log(`cli convnet: ${accuracy}% held-out after 2 epochs in ${seconds.toFixed(1)} s`);
    const saved = JSON.parse(readFileSync(join(out, 'model.json'), 'utf8'));
    expect(saved.inputShape).toEqual([28, 28, 1]);
    expect(saved.layers.map((l: { className: string }) => l.className)).toEqual(['Conv2D', 'MaxPooling2D', 'Conv2D', 'MaxPooling2D', 'Flatten', 'Dropout', 'Dense']);
    expect(saved.layers[2].config).toMatchObject({ filters: 16, kernelSize: [3, 3], padding: 'same', activation: 'relu' });
    const matrix = readFileSync(join(out, 'confusion-matrix.txt'), 'utf8');
    expect(matrix).toContain(`accuracy ${accuracy.toFixed(2)}% (${Math.round(accuracy * 20)} of 2000)`);
    expect(readFileSync(join(out, 'confusion-matrix.svg'), 'utf8')).toContain('<svg');
    expect(readFileSync(join(out, 'learning-curve.svg'), 'utf8')).toContain('<svg');
    const evaluated = run('eval', out, '--format', 'json');
    expect(evaluated.code).toBe(0);
    const json = JSON.parse(evaluated.out);
    expect(json.accuracy).toBeCloseTo(accuracy / 100, 10);
    expect(json.confusionMatrix.flat().reduce((a: number, b: number) => a + b, 0)).toBe(2000);
    const predicted = run('predict', out, fileURLToPath(new URL('../data/digits/t10k-images-idx3-ubyte.gz', import.meta.url)), '--limit', '3', '--format', 'json');
    expect(predicted.code).toBe(0);
    const classes = JSON.parse(predicted.out).predictions.map((p: { class: number }) => p.class);
    // The same classes as the library's predict on [n, 28, 28, 1] images.
    const sn = await import('../dist/index.js');
    const model = await sn.loadModel(out);
    const ds = await sn.datasets.digits({ shape: 'image' });
    const probs = model.predict(ds.test.x);
    expect(classes).toEqual(Array.from(sn.argmaxRows(probs).subarray(0, 3)));
    probs.dispose();
    ds.dispose();
    model.dispose();
  }, 300_000);

  it("strided 'same' conv, average pooling, batchnorm and gap tokens train too", () => {
    const out = join(mkdtempSync(join(tmpdir(), 'simdnet-cli-gap-')), 'model');
    const r = run('train', '--layers', 'conv16x5-same-s2-linear,batchnorm,relu,avgpool2-s1,conv32x3,gap', '--optimizer', 'adam', '--lr', '0.01', '--epochs', '2', '--batch', '32', '--out', out);
    expect(r.err).toBe('');
    expect(r.code).toBe(0);
    const saved = JSON.parse(readFileSync(join(out, 'model.json'), 'utf8'));
    expect(saved.layers.map((l: { className: string }) => l.className)).toEqual(['Conv2D', 'BatchNormalization', 'Activation', 'AveragePooling2D', 'Conv2D', 'GlobalAveragePooling2D', 'Dense']);
    expect(saved.layers[0].config).toMatchObject({ strides: [2, 2], padding: 'same', activation: 'linear' });
    // Ten classes: chance is 10%; two epochs of this small net get well past it.
    expect(Number(/test accuracy ([\d.]+)%/.exec(r.out)![1])).toBeGreaterThanOrEqual(60);
  }, 300_000);

  it('--model takes a TensorFlow.js convnet topology (the real tfjs, model.toJSON())', async () => {
    const tf = await import('@tensorflow/tfjs');
    const net = tf.sequential({
      layers: [
        tf.layers.conv2d({ inputShape: [28, 28, 1], filters: 8, kernelSize: 3, strides: 2, activation: 'relu' }),
        tf.layers.maxPooling2d({ poolSize: 2 }),
        tf.layers.flatten(),
        tf.layers.dense({ units: 10, activation: 'softmax' }),
      ],
    });
    const dir = mkdtempSync(join(tmpdir(), 'simdnet-cli-tfjs-cnn-'));
    const file = join(dir, 'convnet.json');
    writeFileSync(file, net.toJSON(undefined, true) as string);
    net.dispose();
    const r = run('train', '--model', file, '--optimizer', 'adam', '--lr', '0.003', '--epochs', '1', '--batch', '32', '--out', join(dir, 'model'));
    expect(r.err).toBe('');
    expect(r.out).toContain(`network 28x28x1 Conv2D MaxPooling2D Flatten Dense from ${file}, fresh initial weights`);
    expect(Number(/test accuracy ([\d.]+)%/.exec(r.out)![1])).toBeGreaterThanOrEqual(85);
  }, 300_000);
});

describe('the demo (npm run demo) on the embedded digits', () => {
  it('784-128-10 reaches >= 95% on the held-out digits', () => {
    const out = mkdtempSync(join(tmpdir(), 'simdnet-demo-'));
    const started = performance.now();
    const r = run('train', '--epochs', '20', '--batch', '32', '--optimizer', 'adam', '--out', out);
    const seconds = (performance.now() - started) / 1000;
    expect(r.code).toBe(0);
    expect(r.out).toContain('network 784-128-10');
    const accuracy = Number(/test accuracy ([\d.]+)% \((\d+) of 2000\)/.exec(r.out)![1]);
    expect(accuracy).toBeGreaterThanOrEqual(95);
    console.log(`demo: ${accuracy}% held-out in ${seconds.toFixed(1)} s`);
  });

  it("the tutorials' 784-10-10 reaches >= 85%", () => {
    const r = run('train', '--layers', '10', '--epochs', '10', '--out', mkdtempSync(join(tmpdir(), 'simdnet-demo-small-')));
    expect(r.code).toBe(0);
    expect(Number(/test accuracy ([\d.]+)%/.exec(r.out)![1])).toBeGreaterThanOrEqual(85);
  });
});

describe('progress display', () => {
  function capture(isTTY: boolean) {
    let text = '';
    let now = 0;
    const progress = new Progress({ isTTY, columns: 200, write: (t: string) => void (text += t) }, () => now);
    return { progress, text: () => text, advance: (ms: number) => void (now += ms) };
  }

  it('on a TTY: a bar with samples done, samples/s, loss and ETA, redrawn at most every 100 ms', () => {
    const c = capture(true);
    c.progress.startEpoch();
    c.advance(250);
    c.progress.batch(1, 3, 250, 1000, 0.5);
    c.advance(50);
    c.progress.batch(1, 3, 300, 1000, 0.45); // within 100 ms: not drawn
    c.advance(450);
    c.progress.batch(1, 3, 1000, 1000, 0.4);
    c.progress.endEpoch({ epoch: 1, epochs: 3, loss: 0.4, accuracy: 0.9, samples: 1000, seconds: 0.75 });
    const frames = c.text().split('\r\x1b[2K').filter(Boolean);
    expect(frames).toHaveLength(3);
    expect(frames[0]).toBe(`epoch 1/3  [${'='.repeat(7)}>${' '.repeat(22)}]   250/1000  1,000 samples/s  loss 0.5000  ETA 0.8s`);
    expect(frames[1]).toContain('1000/1000  1,333 samples/s  loss 0.4000  ETA 0.0s');
    expect(frames[2]).toBe('epoch 1/3  loss 0.4000  acc 90.00%  0.8s  1,333 samples/s\n');
  });

  it('not on a TTY: only the line per epoch', () => {
    const c = capture(false);
    c.progress.startEpoch();
    c.advance(500);
    c.progress.batch(2, 3, 1000, 1000, 0.3);
    c.progress.endEpoch({ epoch: 2, epochs: 3, loss: 0.3, valLoss: 0.35, valAccuracy: 0.875, samples: 1000, seconds: 0.5 });
    expect(c.text()).toBe('epoch 2/3  loss 0.3000  val_loss 0.3500  val_acc 87.50%  0.5s  2,000 samples/s\n');
  });
});

describe('terminal widths', () => {
  const full = { epoch: 100, epochs: 100, loss: 0.0042, accuracy: 1, valLoss: 0.1495, valAccuracy: 0.9615, samples: 60000, seconds: 1.2 };

  it('the bar fits every width, dropping samples/s, the count, the bar, the loss in that order; the ETA stays', () => {
    const at = (columns: number) => barLine(7, 20, 3200, 8000, 0.5683, 0.09, columns - 1);
    expect(at(120)).toBe(`epoch  7/20  [${'='.repeat(11)}>${' '.repeat(18)}]  3200/8000  35,556 samples/s  loss 0.5683  ETA 0.1s`);
    expect(at(80)).toBe(`epoch  7/20  [${'='.repeat(11)}>${' '.repeat(18)}]  3200/8000  loss 0.5683  ETA 0.1s`);
    expect(at(61)).toMatch(/^epoch {2}7\/20 {2}\[=+> +\] {2}loss 0\.5683 {2}ETA 0\.1s$/);
    expect(at(40)).toBe('epoch  7/20  loss 0.5683  ETA 0.1s');
    expect(at(25)).toBe('epoch  7/20  ETA 0.1s');
    for (let columns = 22; columns <= 160; columns++) {
      const line = at(columns);
      expect(line.length, `${columns} columns`).toBeLessThan(columns);
      expect(line, `${columns} columns`).toMatch(/ETA 0\.1s$/);
    }
  });

  it('end-of-epoch lines fit 80 columns: samples/s, then the time, acc, val_loss, val_acc give way', () => {
    expect(epochLine(full, 200)).toBe('epoch 100/100  loss 0.0042  acc 100.00%  val_loss 0.1495  val_acc 96.15%  1.2s  50,000 samples/s');
    expect(epochLine(full)).toBe('epoch 100/100  loss 0.0042  acc 100.00%  val_loss 0.1495  val_acc 96.15%  1.2s');
    expect(epochLine(full, 59)).toBe('epoch 100/100  loss 0.0042  val_loss 0.1495  val_acc 96.15%');
    expect(epochLine({ ...full, accuracy: undefined, valLoss: undefined, valAccuracy: undefined })).toBe('epoch 100/100  loss 0.0042  1.2s  50,000 samples/s');
  });

  it('a terminal of 80 columns gets lines of at most 79 characters; a pipe is taken as 80 columns', () => {
    for (const out of [{ isTTY: true, columns: 80 }, { isTTY: false }, { isTTY: true, columns: 50 }]) {
      let text = '';
      let now = 0;
      const progress = new Progress({ ...out, write: (t: string) => void (text += t) }, () => now);
      progress.startEpoch();
      for (let done = 1000; done <= 60000; done += 1000) {
        now += 20;
        progress.batch(100, 100, done, 60000, 0.0042);
      }
      progress.endEpoch(full);
      progress.finish();
      const limit = (out.columns ?? 80) - 1;
      for (const line of text.split(/\r\x1b\[2K|\n/).filter(Boolean)) expect(line.length, JSON.stringify(line)).toBeLessThanOrEqual(limit);
      if (out.isTTY) expect(text).toContain('ETA');
      expect(text).toMatch(/trained 1 epoch in 1\.2s, 50,000 samples\/s\n$/);
    }
  });
});

describe('--version, did you mean, --threads', () => {
  it('--version and -v print the version', () => {
    const version = JSON.parse(readFileSync(new URL('../package.json', import.meta.url), 'utf8')).version;
    for (const flag of ['--version', '-v', 'version']) expect(run(flag)).toEqual({ code: 0, out: `simdnet ${version}\n`, err: '' });
  });

  const hints: [string[], RegExp][] = [
    [['trian'], /unknown command 'trian'; did you mean 'train'\?/],
    [['pridict'], /unknown command 'pridict'; did you mean 'predict'\?/],
    [['--versoin'], /unknown command '--versoin'; did you mean '--version'\?/],
    [['train', '--lyers', '8'], /unknown option --lyers; did you mean --layers\?/],
    [['train', '-epochs', '8'], /unknown option -epochs; did you mean --epochs\?/],
    [['eval', '--fromat', 'json'], /unknown option --fromat; did you mean --format\?/],
    [['predict', '--thread', '2'], /unknown option --thread; did you mean --threads\?/],
    [['train', '--optimizer', 'adma'], /--optimizer must be one of sgd, adam, got 'adma'; did you mean 'adam'\?/],
  ];
  for (const [args, message] of hints) {
    it(`simdnet ${args.join(' ')} suggests the near name`, () => {
      const r = run(...args);
      expect(r.code).toBe(2);
      expect(r.err).toMatch(message);
    });
  }

  it('no suggestion when nothing is near', () => {
    const r = run('train', '--zzzzzz', '1');
    expect(r.code).toBe(2);
    expect(r.err).not.toContain('did you mean');
  });

  for (const command of ['train', 'eval', 'predict']) {
    it(`${command} takes --threads and checks it before reading anything`, () => {
      const positional = command === 'train' ? [] : command === 'eval' ? [tmpdir()] : [tmpdir(), 'no-such-file'];
      expect(run(command, ...positional, '--threads', '0').err).toMatch(new RegExp(`${command}: --threads must be a whole number >= 1, got '0'`));
      expect(run(command, ...positional, '--threads', '257').err).toMatch(new RegExp(`${command}: --threads must be at most 256, got '257'`));
      expect(run(command, '--help').out).toMatch(/--threads <n>\s+threads that compute, 1 to 256/);
    });
  }
});

describe('eval and predict: class names and --format json', () => {
  let data: string;
  let out: string;
  beforeAll(async () => {
    data = toyFolder();
    out = join(mkdtempSync(join(tmpdir(), 'simdnet-cli-json-')), 'model');
    expect(run('train', '--data', data, '--layers', '8', '--epochs', '3', '--batch', '16', '--lr', '0.5', '--out', out, '--threads', '1').code).toBe(0);
  });

  it('train --threads 1 says so; eval on 1 and 2 threads agree', () => {
    const one = run('eval', out, '--data', data, '--threads', '1');
    const two = run('eval', out, '--data', data, '--threads', '2');
    expect(one.code).toBe(0);
    expect(two.out).toBe(one.out);
  });

  it('eval --format json: accuracy, loss, per-class figures and the matrix, consistent with the text', () => {
    const text = run('eval', out, '--data', data).out;
    const r = run('eval', out, '--data', data, '--format', 'json');
    expect(r.code).toBe(0);
    const json = JSON.parse(r.out);
    expect(json.images).toBe(31);
    expect(json.classes.map((c: { name: string }) => c.name)).toEqual(['0', '1', '2']);
    expect(json.confusionMatrix.flat().reduce((a: number, b: number) => a + b, 0)).toBe(31);
    expect(json.correct).toBe(json.confusionMatrix.reduce((s: number, row: number[], i: number) => s + row[i], 0));
    expect(text).toContain(`accuracy ${(100 * json.accuracy).toFixed(2)}% (${json.correct} of 31)`);
    expect(text).toContain(`loss ${json.loss.toFixed(4)}`);
    for (const c of json.classes) {
      expect(c.images).toBe(json.confusionMatrix[c.index].reduce((a: number, b: number) => a + b, 0));
      expect(text).toMatch(new RegExp(`^${c.name} +${c.images} +${(100 * c.precision).toFixed(1)}% +${(100 * c.recall).toFixed(1)}%$`, 'm'));
    }
  });

  it('eval names the classes with the names the model was trained with when the dataset has none', async () => {
    const sn = await import('../dist/index.js');
    const model = await sn.loadModel(out);
    const named = mkdtempSync(join(tmpdir(), 'simdnet-cli-named-'));
    await sn.saveModel(model, named, { metadata: { classNames: ['top', 'middle', 'bottom'] } });
    model.dispose();
    const r = run('eval', named, '--data', data);
    expect(r.out).toMatch(/^class +images +precision +recall\n0 top +\d+ .*\n1 middle +\d+ .*\n2 bottom +\d+ /m);
    expect(JSON.parse(run('eval', named, '--data', data, '--format', 'json').out).classes.map((c: { name: string }) => c.name)).toEqual(['top', 'middle', 'bottom']);
    const predicted = run('predict', named, join(data, 't10k-images-idx3-ubyte'), '--limit', '2').out.trim().split('\n');
    expect(predicted[1]).toMatch(/^0\t[0-2]\t[\d.]+\t(top|middle|bottom)$/);
  });

  it('predict --format json: one document with class, name and probabilities per image, matching the text', () => {
    const file = join(data, 't10k-images-idx3-ubyte');
    const text = run('predict', out, file, '--limit', '5').out.trim().split('\n').slice(1).map((l) => l.split('\t'));
    const r = run('predict', out, file, '--limit', '5', '--format', 'json');
    expect(r.code).toBe(0);
    const json = JSON.parse(r.out);
    expect(json.classNames).toEqual(['0', '1', '2']);
    expect(json.predictions).toHaveLength(5);
    json.predictions.forEach((p: { index: number; class: number; name: string; probability: number; probabilities: number[] }, i: number) => {
      expect(p.index).toBe(i);
      expect([String(p.class), p.probability.toFixed(4), p.name]).toEqual([text[i][1], text[i][2], text[i][3]]);
      expect(p.probabilities).toHaveLength(3);
      expect(Math.max(...p.probabilities)).toBe(p.probability);
      // Tolerance: each probability rounded to 6 decimals.
      expect(Math.abs(p.probabilities.reduce((a, b) => a + b, 0) - 1)).toBeLessThan(1e-5);
    });
  });

  it('--format takes text or json only', () => {
    expect(run('predict', out, 'x', '--format', 'csv').err).toMatch(/--format must be one of text, json, got 'csv'/);
  });
});

// The CLI's three commands. Every flag is checked before any data is read; the outputs of `train` (model,
// learning curve, confusion matrix) go to --out.
import { statSync } from 'node:fs';
import { mkdir, readFile, writeFile } from 'node:fs/promises';
import { join, resolve } from 'node:path';
import { Tensor } from '../tensor.js';
import { Adam, Sgd } from '../nn/optimizers/index.js';
import { schedules } from '../nn/optimizers/schedules.js';
import { initializerConfig, initializers } from '../nn/initializers.js';
import type { Config } from '../nn/config.js';
import { sequential, type Sequential } from '../nn/sequential.js';
import { digits, idxFolder, type ImageDataset } from '../io/datasets.js';
import { loadIdxImages } from '../io/idx.js';
import { argmaxRows } from '../io/labels.js';
import { loadSaved, saveModel } from '../io/model-io.js';
import { confusionMatrix, confusionMatrixSvg, confusionMatrixText } from '../plot/confusion-matrix.js';
import { learningCurve } from '../plot/learning-curve.js';
import { choice, helpText, optionValue, parseArgs, positiveNumber, UsageError, wholeNumber, type OptionSpec } from './args.js';
import { checkInputFile, checkOutputFolder } from './paths.js';
import { HIDDEN_ACTIVATIONS, parseLayerStack } from './layer-spec.js';
import { asModelInput, disposeLayers, fileNetwork, layoutOf, stackNetwork, type Network } from './network.js';
import { Progress, type ProgressOutput } from '../nn/training/progress.js';
import { applyThreads, parseThreads, THREADS_OPTION } from './threads-option.js';
import { evalClassNames, evaluationJson, evaluationText, FORMAT_OPTION, OUTPUT_FORMATS, predictionsJson, predictionsText, savedClassNames } from './results.js';
import { getThreads } from '../backend/pool.js';

export interface Io {
  out: ProgressOutput;
  err: { write(text: string): void };
}

const OPTIMIZERS = ['sgd', 'adam'] as const;
const DEFAULT_RATE = { sgd: '0.1', adam: '0.001' };

const DATA_OPTION: OptionSpec = { value: 'digits|<idx folder>', help: "'digits' (the 10,000 MNIST digits shipped with simdnet) or a folder of MNIST-style IDX files", default: 'digits' };

function checkData(command: string, value: string): string {
  if (value === 'digits') return value;
  let isDir = false;
  try {
    isDir = statSync(value).isDirectory();
  } catch {
    isDir = false;
  }
  if (!isDir) throw new UsageError(`${command}: --data must be 'digits' or a folder of IDX files; '${value}' is not a folder`);
  return value;
}

/** The dataset, its images as rows of pixels ('flat') or as [rows, cols, 1] images ('image'). */
async function loadData(value: string, shape: 'flat' | 'image'): Promise<ImageDataset> {
  return value === 'digits' ? digits({ shape }) : idxFolder(value, { shape });
}

const TRAIN_OPTIONS: Record<string, OptionSpec> = {
  data: DATA_OPTION,
  layers: { value: '<tokens>', help: "the layers before the output layer as comma-separated tokens (above), or 'none'", default: '128' },
  model: { value: '<file>', help: "a model description instead of --layers: simdnet's model.json, a TensorFlow.js model.json or Sequential config (topology only; above)" },
  activation: { value: '<name>', help: `activation of the --layers dense and conv layers without a suffix: ${HIDDEN_ACTIVATIONS.join(', ')}`, default: 'relu' },
  epochs: { value: '<n>', help: 'passes over the training set', default: '5' },
  batch: { value: '<n>', help: 'samples per update', default: '64' },
  lr: { value: '<rate>', help: 'learning rate (default 0.1 for sgd, 0.001 for adam)' },
  decay: { value: '<factor>', help: 'multiply the learning rate by this after every epoch (e.g. 0.8)', default: '1' },
  optimizer: { value: '<name>', help: 'sgd or adam', default: 'sgd' },
  init: { value: 'glorot|uniform<a>', help: "initial weights of the --layers dense and conv layers: 'glorot' (the layers' own defaults, as tfjs-layers: Glorot-uniform dense and Glorot-normal conv kernels, zero biases) or 'uniform<a>' (kernels and biases from U(-a, a); uniform0.5 is the MNIST-from-scratch tutorial's)", default: 'glorot' },
  seed: { value: '<n>', help: 'seed of the initial weights, dropout and the shuffling', default: '1' },
  out: { value: '<dir>', help: 'folder for the model, learning curve and confusion matrix', default: 'simdnet-out' },
  threads: THREADS_OPTION,
};

const TRAIN_USAGE = 'simdnet train [--data digits|<idx folder>] [--layers 128,64 | --model <file>] [--activation relu] [--epochs 5] [--batch 64] [--lr 0.1] [--decay 1] [--optimizer sgd|adam] [--init glorot|uniform<a>] [--seed 1] [--out <dir>] [--threads n]';
const TRAIN_HELP = `Trains a classifier with categorical cross-entropy, shows progress, reports the test accuracy, and writes
to --out: model.json + its weights file (load with sn.loadModel), learning-curve.svg, confusion-matrix.txt,
confusion-matrix.svg and history.json. The held-out test set is also the validation data of the learning
curve (it is never used to choose anything).

--layers lists the layers, first to last, as comma-separated tokens; train adds the output layer itself
(dense, one unit per class of the dataset, softmax):
  <units>, dense<units>     a dense layer (128 is dense128)
  conv<filters>x<k>         a 2-D convolution with a k x k kernel (conv32x3x5: 3 x 5), stride 1, 'valid' padding
  pool<p>, avgpool<p>       max / average pooling over p x p (pool is pool2), stride p
  gap                       global average pooling (one value per channel)
  flatten, dropout<rate>, batchnorm, ${HIDDEN_ACTIVATIONS.join('|')}
Suffixes after '-': -s<stride> and -same|-valid (padding) for conv and the pools, -<activation> for conv and
dense (without one they take --activation). A stack whose first layer with a shape is an image layer (conv,
a pool, gap, flatten) gets the images as [rows, cols, 1]; one that starts with a dense layer gets rows of
pixels. Examples:
  --layers 128,64                                           784-128-64-10 on the digits
  --layers conv32x3,pool2,conv64x3,pool2,flatten,dropout0.5   the classic small convnet
  --layers conv16x5-same-s2,batchnorm,relu,gap                strided 'same' conv, batchnorm, global pooling

--model <file> takes the layers from a description file instead: simdnet's model.json (as saved by train or
model.save), a TensorFlow.js model.json (modelTopology, as tf.LayersModel.save writes) or a bare Sequential
config (model.toJSON() of tfjs, model.to_json() of Keras); a folder means its model.json. Only the topology
is read: every weight starts from its layer's initializer (--seed), so a description of a trained model is
trained afresh (to continue training a saved model, load it with sn.loadModel and call fit). The file's
last layer must output one softmax value per class.`;

/** What train writes into --out besides model.json and its weights file. */
const TRAIN_OUTPUTS = ['learning-curve.svg', 'confusion-matrix.txt', 'confusion-matrix.svg', 'history.json'];

/** The initializer options --init gives the --layers dense and conv layers: {} for Keras's defaults, or U(-a, a) for kernels and biases. */
function parseInit(text: string): Config {
  if (text === 'glorot') return {};
  const match = /^uniform(\d+(?:\.\d+)?|\.\d+)$/.exec(text);
  const a = match ? Number(match[1]) : NaN;
  if (!(a > 0)) throw new UsageError(`train: --init must be 'glorot' or 'uniform<a>' with a > 0 (e.g. uniform0.5 for U(-0.5, 0.5)), got '${text}'`);
  const init = initializerConfig(initializers.randomUniform({ min: -a, max: a }));
  return { kernelInitializer: init, biasInitializer: init };
}

function percent(v: number): string {
  return `${(100 * v).toFixed(2)}%`;
}

/** Predicted classes of x, computed with predict (bounded batches) and argmax. */
function predictClasses(model: Sequential, x: Tensor, batchSize?: number): Int32Array {
  const probs = model.predict(x, { batchSize });
  try {
    return argmaxRows(probs);
  } finally {
    probs.dispose();
  }
}

/** The network of --layers or --model, made before any data is read. */
async function trainNetwork(args: ReturnType<typeof parseArgs>, get: (name: string) => string): Promise<Network> {
  const file = args.options.get('model');
  if (file === undefined) {
    const activation = choice('train', 'activation', get('activation'), HIDDEN_ACTIVATIONS);
    const init = parseInit(get('init'));
    return stackNetwork(parseLayerStack(get('layers'), activation, init), init);
  }
  const clash = ['layers', 'activation', 'init'].find((o) => args.options.has(o));
  if (clash !== undefined) throw new UsageError(`train: --${clash} cannot be combined with --model (the file describes every layer, its activations and initializers)`);
  if (file === '') throw new UsageError('train: --model needs a file path');
  return fileNetwork(file);
}

export async function runTrain(argv: readonly string[], io: Io): Promise<number> {
  const args = parseArgs('train', argv, TRAIN_OPTIONS);
  if (args.help) {
    io.out.write(helpText(TRAIN_USAGE, TRAIN_HELP, TRAIN_OPTIONS));
    return 0;
  }
  if (args.positional.length > 0) throw new UsageError(`train: unexpected argument '${args.positional[0]}' (options start with --)`);
  const get = (name: string) => optionValue(args, TRAIN_OPTIONS, name)!;
  const data = checkData('train', get('data'));
  const epochs = wholeNumber('train', 'epochs', get('epochs'), 1);
  const batchSize = wholeNumber('train', 'batch', get('batch'), 1);
  const optimizerName = choice('train', 'optimizer', get('optimizer'), OPTIMIZERS);
  const learningRate = positiveNumber('train', 'lr', args.options.get('lr') ?? DEFAULT_RATE[optimizerName]);
  const decay = positiveNumber('train', 'decay', get('decay'));
  if (decay > 1) throw new UsageError(`train: --decay must be a number > 0 and <= 1 (the factor the rate is multiplied by after each epoch), got '${get('decay')}'`);
  const seed = wholeNumber('train', 'seed', get('seed'), 0);
  const out = get('out');
  checkOutputFolder('train: --out', out, ['model.json', ...TRAIN_OUTPUTS]);
  const threads = parseThreads('train', args);
  const modelFile = args.options.get('model');
  if (modelFile !== undefined && modelFile !== '' && !statSync(modelFile, { throwIfNoEntry: false })) throw new UsageError(`train: --model '${modelFile}' does not exist`);

  const network = await trainNetwork(args, get);
  let model: Sequential | null = null;
  let dataset: ImageDataset | null = null;
  const owned: Tensor[] = [];
  try {
    await applyThreads(threads);
    dataset = await loadData(data, network.layout);
    const { train, test } = dataset;
    const classes = dataset.classNames.length;
    const inputShape = network.inputShape ?? train.x.shape.slice(1);
    const inputs = (x: Tensor, what: string): Tensor => {
      const fitted = asModelInput(x, inputShape, `${dataset!.name} ${what} images`);
      if (fitted !== x) owned.push(fitted);
      return fitted;
    };
    const trainX = inputs(train.x, 'train');
    const testX = inputs(test.x, 'test');
    network.finish(classes, dataset.name, inputShape);
    model = sequential(network.layers, { seed });
    model.build(inputShape);
    // A decayed rate is a step schedule: the rate of epoch e is lr * decay^e.
    const rateOption = decay === 1 ? learningRate : schedules.stepDecay({ initialLearningRate: learningRate, factor: decay, everyEpochs: 1 });
    const optimizer = optimizerName === 'sgd' ? new Sgd({ learningRate: rateOption }) : new Adam({ learningRate: rateOption });
    const loss = 'categoricalCrossentropy';
    const metrics = ['accuracy' as const];
    model.compile({ optimizer, loss, metrics });
    const shape = network.describe(inputShape, classes);
    const weights = modelFile === undefined ? `(${get('activation')} hidden, softmax out), ${get('init')} initial weights` : `from ${network.source}, fresh initial weights`;
    const rate = decay === 1 ? `lr ${learningRate}` : `lr ${learningRate} x${decay} per epoch`;
    io.out.write(
      `simdnet train: ${dataset.name}, ${train.x.shape[0]} train / ${test.x.shape[0]} test images, ${classes} classes\n` +
        `network ${shape} ${weights}, ${model.params.reduce((n, p) => n + p.size, 0).toLocaleString('en-US')} parameters\n` +
        `${optimizerName} ${rate}, batch ${batchSize}, ${epochs} epochs, seed ${seed}, ${getThreads()} thread${getThreads() === 1 ? '' : 's'}\n`,
    );
    const progress = new Progress(io.out);
    const rows = train.x.shape[0];
    let done = 0;
    let epoch = 0;
    let lossSum = 0;
    progress.startEpoch();
    const history = await model.fit(trainX, train.y, {
      epochs,
      batchSize,
      seed,
      shuffle: true,
      validationData: [testX, test.y],
      callbacks: {
        onBatchEnd: (_batch, logs) => {
          done += logs.size;
          lossSum += logs.loss * logs.size;
          progress.batch(epoch + 1, epochs, done, rows, lossSum / done);
        },
        onEpochEnd: (e, logs) => {
          progress.endEpoch({ epoch: e + 1, epochs, loss: logs.loss, accuracy: logs.accuracy, valLoss: logs.valLoss, valAccuracy: logs.valAccuracy, samples: rows, seconds: rows / logs.samplesPerSecond });
          epoch = e + 1;
          done = 0;
          lossSum = 0;
          progress.startEpoch();
        },
      },
    });
    progress.finish();
    const predicted = predictClasses(model, testX);
    const matrix = confusionMatrix(test.labels, predicted, classes);
    const correct = matrix.reduce((s, row, i) => s + row[i], 0);
    io.out.write(`test accuracy ${percent(correct / test.labels.length)} (${correct} of ${test.labels.length})\n`);
    const title = `${dataset.name} ${shape}`;
    await saveModel(model, out, {
      // dataSource lets eval find the same dataset again (see evalData).
      metadata: { classNames: dataset.classNames, imageShape: dataset.imageShape, data: dataset.name, dataSource: data === 'digits' ? data : resolve(data) },
    });
    await mkdir(out, { recursive: true });
    const h = history.history;
    await writeFile(join(out, 'learning-curve.svg'), learningCurve({ loss: h.loss, accuracy: h.accuracy, valLoss: h.valLoss, valAccuracy: h.valAccuracy }, { title: `Learning curve: ${title}` }));
    await writeFile(join(out, 'confusion-matrix.txt'), confusionMatrixText(matrix, dataset.classNames));
    await writeFile(join(out, 'confusion-matrix.svg'), confusionMatrixSvg(matrix, dataset.classNames, `Confusion matrix: ${title} (test set)`));
    await writeFile(join(out, 'history.json'), JSON.stringify({ ...h, testAccuracy: correct / test.labels.length }, null, 1) + '\n');
    // The save names its weights file in model.json (weights.bin, or weights-<checksum>.bin over an older model).
    const { weightsFile } = JSON.parse(await readFile(join(out, 'model.json'), 'utf8')) as { weightsFile: string };
    io.out.write(`wrote ${['model.json', weightsFile, ...TRAIN_OUTPUTS].map((f) => join(out, f)).join(', ')}\n`);
    return 0;
  } finally {
    if (model !== null) model.dispose();
    else disposeLayers(network.layers);
    for (const t of owned) t.dispose();
    dataset?.dispose();
  }
}

const EVAL_OPTIONS: Record<string, OptionSpec> = {
  data: { value: DATA_OPTION.value, help: `${DATA_OPTION.help}; by default the dataset the model was trained on (recorded in model.json by simdnet train), else digits` },
  batch: { value: '<n>', help: 'samples per forward pass', default: '256' },
  format: FORMAT_OPTION,
  threads: THREADS_OPTION,
};
const EVAL_USAGE = 'simdnet eval <model dir> [--data digits|<idx folder>] [--batch 256] [--format text|json] [--threads n]';
const EVAL_HELP = `Loads a model saved by simdnet train (or model.save) and reports its loss, accuracy, per-class precision and
recall, and confusion matrix on the test set of --data. Classes are named by the dataset, else by the names
the model was trained with. Without --data, the dataset the model was trained on; a model trained on another
dataset than --data is evaluated with a warning.`;

function checkModelDir(command: string, dir: string | undefined): string {
  if (dir === undefined) throw new UsageError(`${command}: missing <model dir>; see simdnet ${command} --help`);
  let isDir = false;
  try {
    isDir = statSync(dir).isDirectory();
  } catch {
    isDir = false;
  }
  if (!isDir) throw new UsageError(`${command}: <model dir> '${dir}' is not a folder`);
  return dir;
}

/**
 * The dataset eval uses: --data when given; else the one model.json records (train keeps its name and
 * source), or the digits for a model that records none. A model trained on another dataset is never
 * silently evaluated on the digits.
 */
function evalData(metadata: Record<string, unknown> | null, explicit: string | undefined, dir: string): { data: string; trainedOn?: string; source?: string } {
  const trainedOn = typeof metadata?.data === 'string' ? metadata.data : undefined;
  const source = typeof metadata?.dataSource === 'string' ? metadata.dataSource : undefined;
  if (explicit !== undefined) return { data: explicit, trainedOn, source };
  if (source !== undefined) {
    if (source !== 'digits' && !statSync(source, { throwIfNoEntry: false })?.isDirectory()) {
      throw new UsageError(`eval: the model was trained on '${trainedOn ?? source}' from ${source} (${join(dir, 'model.json')}), which is not a folder now; give --data <its IDX folder>`);
    }
    return { data: source, trainedOn, source };
  }
  if (trainedOn === undefined || trainedOn === 'digits') return { data: 'digits', trainedOn };
  throw new UsageError(`eval: the model was trained on '${trainedOn}' (${join(dir, 'model.json')}), not on the digits; give --data <its IDX folder>`);
}

export async function runEval(argv: readonly string[], io: Io): Promise<number> {
  const args = parseArgs('eval', argv, EVAL_OPTIONS);
  if (args.help) {
    io.out.write(helpText(EVAL_USAGE, EVAL_HELP, EVAL_OPTIONS));
    return 0;
  }
  if (args.positional.length > 1) throw new UsageError(`eval: unexpected argument '${args.positional[1]}'`);
  const dir = checkModelDir('eval', args.positional[0]);
  const dataFlag = args.options.get('data');
  const explicit = dataFlag === undefined ? undefined : checkData('eval', dataFlag);
  const batchSize = wholeNumber('eval', 'batch', optionValue(args, EVAL_OPTIONS, 'batch')!, 1);
  const format = choice('eval', 'format', optionValue(args, EVAL_OPTIONS, 'format')!, OUTPUT_FORMATS);
  const threads = parseThreads('eval', args);
  await applyThreads(threads);
  const { model, saved } = await loadSaved(dir);
  try {
    const { data, trainedOn, source } = evalData(saved.metadata, explicit, dir);
    const dataset = await loadData(data, layoutOf(model.inputShape!));
    let x: Tensor | null = null;
    try {
      const { test } = dataset;
      if (explicit !== undefined && trainedOn !== undefined && dataset.name !== trainedOn && (source === undefined || resolve(explicit) !== source)) {
        io.err.write(`simdnet eval: warning: the model was trained on '${trainedOn}' (${join(dir, 'model.json')}), evaluating on '${dataset.name}' as --data asks\n`);
      }
      x = asModelInput(test.x, model.inputShape!, `${dataset.name} images`);
      if (model.outputUnits !== dataset.classNames.length) {
        throw new RangeError(`the model has ${model.outputUnits} outputs but ${dataset.name} has ${dataset.classNames.length} classes`);
      }
      const predicted = predictClasses(model, x, batchSize);
      const matrix = confusionMatrix(test.labels, predicted, dataset.classNames.length);
      let loss: number | undefined;
      if (model.loss !== null) {
        const targets = model.loss === 'sparseCategoricalCrossentropy' ? test.labels : test.y;
        loss = model.evaluate(x, targets, { batchSize }).loss;
      }
      const classNames = evalClassNames(dataset.classNames, savedClassNames(saved.metadata, model.outputUnits));
      const evaluation = { model: dir, data: dataset.name, classNames, matrix, loss };
      io.out.write(format === 'json' ? evaluationJson(evaluation) : evaluationText(evaluation));
      return 0;
    } finally {
      if (x !== dataset.test.x) x?.dispose();
      dataset.dispose();
    }
  } finally {
    model.dispose();
  }
}

const PREDICT_OPTIONS: Record<string, OptionSpec> = {
  limit: { value: '<n>', help: 'predict only the first n images' },
  format: FORMAT_OPTION,
  threads: THREADS_OPTION,
};
const PREDICT_USAGE = 'simdnet predict <model dir> <idx file> [--limit n] [--format text|json] [--threads n]';
const PREDICT_HELP = `Prints one line per image of an IDX images file (raw or .gz): index, predicted class, its probability and,
when the model was trained by simdnet train, the class name. --format json prints one document:
{ model, file, classNames, predictions: [{ index, class, name, probability, probabilities }] }.`;

export async function runPredict(argv: readonly string[], io: Io): Promise<number> {
  const args = parseArgs('predict', argv, PREDICT_OPTIONS);
  if (args.help) {
    io.out.write(helpText(PREDICT_USAGE, PREDICT_HELP, PREDICT_OPTIONS));
    return 0;
  }
  if (args.positional.length > 2) throw new UsageError(`predict: unexpected argument '${args.positional[2]}'`);
  const dir = checkModelDir('predict', args.positional[0]);
  const file = args.positional[1];
  if (file === undefined) throw new UsageError('predict: missing <idx file>; see simdnet predict --help');
  const limitText = args.options.get('limit');
  const limit = limitText === undefined ? undefined : wholeNumber('predict', 'limit', limitText, 1);
  const format = choice('predict', 'format', optionValue(args, PREDICT_OPTIONS, 'format')!, OUTPUT_FORMATS);
  const threads = parseThreads('predict', args);
  await applyThreads(threads);
  checkInputFile('predict: <idx file>', file);
  const { model, saved } = await loadSaved(dir);
  try {
    const images = await loadIdxImages(file, { limit, shape: layoutOf(model.inputShape!) });
    let x: Tensor | null = null;
    try {
      x = asModelInput(images, model.inputShape!, `the images of ${file}`);
      const probs = model.predict(x);
      try {
        const predictions = { model: dir, file, classes: argmaxRows(probs), probabilities: probs.data, classNames: savedClassNames(saved.metadata, model.outputUnits) };
        io.out.write(format === 'json' ? predictionsJson(predictions) : predictionsText(predictions));
      } finally {
        probs.dispose();
      }
      return 0;
    } finally {
      if (x !== images) x?.dispose();
      images.dispose();
    }
  } finally {
    model.dispose();
  }
}

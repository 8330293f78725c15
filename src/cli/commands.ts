// The CLI's three commands. Every flag is checked before any data is read; the outputs of `train` (model,
// learning curve, confusion matrix) go to --out.
import { statSync } from 'node:fs';
import { mkdir, readFile, writeFile } from 'node:fs/promises';
import { join, resolve } from 'node:path';
import { Tensor } from '../tensor.js';
import { layers as nnLayers } from '../nn/layers/index.js';
import { Adam, Sgd } from '../nn/optimizers/index.js';
import { initializers, type Initializer } from '../nn/initializers.js';
import { sequential, type Sequential } from '../nn/sequential.js';
import { digits, idxFolder, type ImageDataset } from '../io/datasets.js';
import { loadIdxImages } from '../io/idx.js';
import { argmaxRows } from '../io/labels.js';
import { loadSaved, saveModel } from '../io/model-io.js';
import { confusionMatrix, confusionMatrixSvg, confusionMatrixText } from '../plot/confusion-matrix.js';
import { learningCurve } from '../plot/learning-curve.js';
import { choice, helpText, optionValue, parseArgs, positiveNumber, UsageError, wholeNumber, type OptionSpec } from './args.js';
import { checkInputFile, checkOutputFolder } from './paths.js';
import { Progress, type ProgressOutput } from '../nn/training/progress.js';
import { applyThreads, parseThreads, THREADS_OPTION } from './threads-option.js';
import { evalClassNames, evaluationJson, evaluationText, FORMAT_OPTION, OUTPUT_FORMATS, predictionsJson, predictionsText, savedClassNames } from './results.js';
import { getThreads } from '../backend/pool.js';

export interface Io {
  out: ProgressOutput;
  err: { write(text: string): void };
}

const HIDDEN_ACTIVATIONS = ['relu', 'leakyRelu', 'sigmoid', 'tanh', 'linear'] as const;
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

async function loadData(value: string): Promise<ImageDataset> {
  return value === 'digits' ? digits() : idxFolder(value);
}

const TRAIN_OPTIONS: Record<string, OptionSpec> = {
  data: DATA_OPTION,
  layers: { value: '<sizes>', help: "hidden layer sizes, comma-separated, or 'none'", default: '128' },
  activation: { value: '<name>', help: `hidden activation: ${HIDDEN_ACTIVATIONS.join(', ')}`, default: 'relu' },
  epochs: { value: '<n>', help: 'passes over the training set', default: '5' },
  batch: { value: '<n>', help: 'samples per update', default: '64' },
  lr: { value: '<rate>', help: 'learning rate (default 0.1 for sgd, 0.001 for adam)' },
  optimizer: { value: '<name>', help: 'sgd or adam', default: 'sgd' },
  init: { value: 'glorot|uniform<a>', help: "initial weights: 'glorot' (Glorot-uniform kernels, zero biases, as Keras) or 'uniform<a>' (kernels and biases from U(-a, a); uniform0.5 is the MNIST-from-scratch tutorial's)", default: 'glorot' },
  seed: { value: '<n>', help: 'seed of the initial weights and the shuffling', default: '1' },
  out: { value: '<dir>', help: 'folder for the model, learning curve and confusion matrix', default: 'simdnet-out' },
  threads: THREADS_OPTION,
};

const TRAIN_USAGE = 'simdnet train [--data digits|<idx folder>] [--layers 128,64] [--activation relu] [--epochs 5] [--batch 64] [--lr 0.1] [--optimizer sgd|adam] [--init glorot|uniform<a>] [--seed 1] [--out <dir>] [--threads n]';
const TRAIN_HELP = `Trains a classifier (inputs -> hidden layers -> softmax) with categorical cross-entropy, shows progress,
reports the test accuracy, and writes to --out: model.json + its weights file (load with sn.loadModel),
learning-curve.svg, confusion-matrix.txt, confusion-matrix.svg and history.json. The held-out test set is
also the validation data of the learning curve (it is never used to choose anything).`;

/** What train writes into --out besides model.json and its weights file. */
const TRAIN_OUTPUTS = ['learning-curve.svg', 'confusion-matrix.txt', 'confusion-matrix.svg', 'history.json'];

function parseLayers(text: string): number[] {
  if (text === 'none') return [];
  const sizes = text.split(',').map((s) => s.trim());
  if (sizes.some((s) => !/^\d+$/.test(s) || Number(s) < 1)) {
    throw new UsageError(`train: --layers must be sizes >= 1 separated by commas (e.g. 128,64) or 'none', got '${text}'`);
  }
  return sizes.map(Number);
}

/** The dense layers' initializer options for --init: {} for Keras's defaults, or U(-a, a) for kernels and biases. */
function parseInit(text: string): { kernelInitializer?: Initializer; biasInitializer?: Initializer } {
  if (text === 'glorot') return {};
  const match = /^uniform(\d+(?:\.\d+)?|\.\d+)$/.exec(text);
  const a = match ? Number(match[1]) : NaN;
  if (!(a > 0)) throw new UsageError(`train: --init must be 'glorot' or 'uniform<a>' with a > 0 (e.g. uniform0.5 for U(-0.5, 0.5)), got '${text}'`);
  const init = initializers.randomUniform({ min: -a, max: a });
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

export async function runTrain(argv: readonly string[], io: Io): Promise<number> {
  const args = parseArgs('train', argv, TRAIN_OPTIONS);
  if (args.help) {
    io.out.write(helpText(TRAIN_USAGE, TRAIN_HELP, TRAIN_OPTIONS));
    return 0;
  }
  if (args.positional.length > 0) throw new UsageError(`train: unexpected argument '${args.positional[0]}' (options start with --)`);
  const get = (name: string) => optionValue(args, TRAIN_OPTIONS, name)!;
  const data = checkData('train', get('data'));
  const hidden = parseLayers(get('layers'));
  const activation = choice('train', 'activation', get('activation'), HIDDEN_ACTIVATIONS);
  const epochs = wholeNumber('train', 'epochs', get('epochs'), 1);
  const batchSize = wholeNumber('train', 'batch', get('batch'), 1);
  const optimizerName = choice('train', 'optimizer', get('optimizer'), OPTIMIZERS);
  const learningRate = positiveNumber('train', 'lr', args.options.get('lr') ?? DEFAULT_RATE[optimizerName]);
  const init = parseInit(get('init'));
  const seed = wholeNumber('train', 'seed', get('seed'), 0);
  const out = get('out');
  checkOutputFolder('train: --out', out, ['model.json', ...TRAIN_OUTPUTS]);
  const threads = parseThreads('train', args);

  await applyThreads(threads);
  const dataset = await loadData(data);
  let model: Sequential | null = null;
  try {
    const { train, test } = dataset;
    const features = train.x.shape[1];
    const classes = dataset.classNames.length;
    model = sequential(
      [
        ...hidden.map((units, i) => nnLayers.dense({ units, activation, ...init, ...(i === 0 ? { inputShape: [features] as [number] } : {}) })),
        nnLayers.dense({ units: classes, activation: 'softmax', ...init, ...(hidden.length === 0 ? { inputShape: [features] as [number] } : {}) }),
      ],
      { seed },
    );
    const optimizer = optimizerName === 'sgd' ? new Sgd({ learningRate }) : new Adam({ learningRate });
    const loss = 'categoricalCrossentropy';
    const metrics = ['accuracy' as const];
    model.compile({ optimizer, loss, metrics });
    const shape = [features, ...hidden, classes].join('-');
    io.out.write(
      `simdnet train: ${dataset.name}, ${train.x.shape[0]} train / ${test.x.shape[0]} test images, ${classes} classes\n` +
        `network ${shape} (${activation} hidden, softmax out), ${get('init')} initial weights\n` +
        `${optimizerName} lr ${learningRate}, batch ${batchSize}, ${epochs} epochs, seed ${seed}, ${getThreads()} thread${getThreads() === 1 ? '' : 's'}\n`,
    );
    const progress = new Progress(io.out);
    const rows = train.x.shape[0];
    let done = 0;
    let epoch = 0;
    let lossSum = 0;
    progress.startEpoch();
    const history = await model.fit(train.x, train.y, {
      epochs,
      batchSize,
      seed,
      shuffle: true,
      validationData: [test.x, test.y],
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
    const predicted = predictClasses(model, test.x);
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
    model?.dispose();
    dataset.dispose();
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
    const dataset = await loadData(data);
    try {
      const { test } = dataset;
      if (explicit !== undefined && trainedOn !== undefined && dataset.name !== trainedOn && (source === undefined || resolve(explicit) !== source)) {
        io.err.write(`simdnet eval: warning: the model was trained on '${trainedOn}' (${join(dir, 'model.json')}), evaluating on '${dataset.name}' as --data asks\n`);
      }
      if (test.x.shape[1] !== model.inputUnits) {
        throw new RangeError(`the model takes ${model.inputUnits} inputs but ${dataset.name} images have ${test.x.shape[1]} pixels`);
      }
      if (model.outputUnits !== dataset.classNames.length) {
        throw new RangeError(`the model has ${model.outputUnits} outputs but ${dataset.name} has ${dataset.classNames.length} classes`);
      }
      const predicted = predictClasses(model, test.x, batchSize);
      const matrix = confusionMatrix(test.labels, predicted, dataset.classNames.length);
      let loss: number | undefined;
      if (model.loss !== null) {
        const targets = model.loss === 'sparseCategoricalCrossentropy' ? test.labels : test.y;
        loss = model.evaluate(test.x, targets, { batchSize }).loss;
      }
      const classNames = evalClassNames(dataset.classNames, savedClassNames(saved.metadata, model.outputUnits));
      const evaluation = { model: dir, data: dataset.name, classNames, matrix, loss };
      io.out.write(format === 'json' ? evaluationJson(evaluation) : evaluationText(evaluation));
      return 0;
    } finally {
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
    const x = await loadIdxImages(file, { limit });
    try {
      if (x.shape[1] !== model.inputUnits) throw new RangeError(`the model takes ${model.inputUnits} inputs but the images of ${file} have ${x.shape[1]} pixels`);
      const probs = model.predict(x);
      try {
        const predictions = { model: dir, file, classes: argmaxRows(probs), probabilities: probs.data, classNames: savedClassNames(saved.metadata, model.outputUnits) };
        io.out.write(format === 'json' ? predictionsJson(predictions) : predictionsText(predictions));
      } finally {
        probs.dispose();
      }
      return 0;
    } finally {
      x.dispose();
    }
  } finally {
    model.dispose();
  }
}

// simdnet's own model files: model.json (architecture, training configuration, simdnet version and the
// weight list with the name, size and checksum of the weights file) and the weights file (little-endian
// float32, in order): weights.bin, or weights-<checksum>.bin after a save over a model in weights.bin (files.ts).
import { join } from 'node:path';
import { LOSS_NAMES } from '../nn/losses.js';
import { METRIC_NAMES } from '../nn/objective.js';
import { fnv1a, parseJson, writeModelFiles } from './files.js';
import { readInside, readManifest } from './safe-read.js';
import { checkModelSpec, expectedWeights, packWeights, unpackWeights, type LayerSpec, type ModelSpec } from './model-spec.js';
import { SIMDNET_VERSION } from './version.js';

export const MODEL_FORMAT = 'simdnet-model';
export const MODEL_FORMAT_VERSION = 1;

/** How the model was compiled, so a loaded model can continue training the same way. */
export interface TrainingConfig {
  /** The optimizer's name and hyperparameters, e.g. { name: 'sgd', learningRate: 0.1, momentum: 0 }. */
  optimizer: { name: string } & Record<string, unknown>;
  loss: string;
  metrics: string[];
  /** How a batch's per-sample losses combine: 'mean' or 'sum'. */
  reduction: string;
}

export interface SavedModel extends ModelSpec {
  /** null for a model that was never compiled. */
  readonly training: TrainingConfig | null;
  /** Extra JSON data of the saver (the CLI keeps class names and the image shape here). */
  readonly metadata: Record<string, unknown> | null;
}

interface ModelJson {
  format: string;
  formatVersion: number;
  simdnetVersion: string;
  inputSize: number;
  layers: LayerSpec[];
  training: TrainingConfig | null;
  metadata: Record<string, unknown> | null;
  /** The weights file in the same folder (a plain file name). */
  weightsFile: string;
  weightsBytes: number;
  weightsChecksum: string;
  weights: { name: string; shape: number[] }[];
}

/** Saves to `dir/model.json` and its weights file; the old model stays whole if anything fails. */
export async function writeSavedModel(model: SavedModel, dir: string): Promise<void> {
  checkModelSpec(model, 'save');
  const weightData = packWeights(model.weights);
  await writeModelFiles(dir, weightData, (weightsFile) => JSON.stringify(manifest(model, weightsFile, weightData), null, 1) + '\n');
}

function manifest(model: SavedModel, weightsFile: string, weightData: Uint8Array): ModelJson {
  return {
    format: MODEL_FORMAT,
    formatVersion: MODEL_FORMAT_VERSION,
    simdnetVersion: SIMDNET_VERSION,
    inputSize: model.inputSize,
    layers: model.layers.map((l) => ({ ...l })),
    training: model.training,
    metadata: model.metadata,
    weightsFile,
    weightsBytes: weightData.length,
    weightsChecksum: fnv1a(weightData),
    weights: model.weights.map((w) => ({ name: w.name, shape: [...w.shape] })),
  };
}

const isObject = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null && !Array.isArray(v);

/** Each optimizer's saved settings and what each must be (the rules of the Sgd and Adam constructors). */
const OPTIMIZER_SETTINGS: Record<string, Record<string, 'rate' | 'fraction' | 'boolean'>> = {
  sgd: { learningRate: 'rate', momentum: 'fraction', nesterov: 'boolean' },
  adam: { learningRate: 'rate', beta1: 'fraction', beta2: 'fraction', epsilon: 'rate' },
};

/** Why a saved optimizer setting is unusable, or null; a string "0.5" is "not a number", whatever its text. */
function settingProblem(value: unknown, kind: 'rate' | 'fraction' | 'boolean'): { problem: string; type: boolean } | null {
  if (value === undefined) return { problem: 'is missing', type: true };
  if (kind === 'boolean') return typeof value === 'boolean' ? null : { problem: `is not true or false: ${JSON.stringify(value)}`, type: true };
  if (typeof value !== 'number') return { problem: `is not a number: ${JSON.stringify(value)}`, type: true };
  if (kind === 'rate') return Number.isFinite(value) && value > 0 ? null : { problem: `must be a finite number > 0, got ${value}`, type: false };
  return value >= 0 && value < 1 ? null : { problem: `must be in [0, 1), got ${value}`, type: false };
}

/**
 * The training section (how the model was compiled), checked in full so that compiling the loaded model
 * cannot fail: every problem is reported here, naming the file, before anything is built.
 */
function checkTraining(value: unknown, layers: readonly LayerSpec[], where: string): TrainingConfig | null {
  if (value === null || value === undefined) return null;
  if (!isObject(value) || !isObject(value.optimizer)) throw new TypeError(`${where}: 'training' must be { optimizer: { name, ... }, loss, metrics, reduction } or null`);
  const { optimizer, loss, metrics, reduction } = value;
  const settings = typeof optimizer.name === 'string' && Object.hasOwn(OPTIMIZER_SETTINGS, optimizer.name) ? OPTIMIZER_SETTINGS[optimizer.name] : null;
  if (settings === null) throw new TypeError(`${where}: training.optimizer.name: unknown optimizer ${JSON.stringify(optimizer.name)}; valid: ${Object.keys(OPTIMIZER_SETTINGS).join(', ')}`);
  for (const [key, kind] of Object.entries(settings)) {
    const bad = settingProblem(optimizer[key], kind);
    if (bad !== null) throw new (bad.type ? TypeError : RangeError)(`${where}: training.optimizer.${key} (${optimizer.name}) ${bad.problem}`);
  }
  if (optimizer.nesterov === true && optimizer.momentum === 0) throw new RangeError(`${where}: training.optimizer.nesterov is true, which needs momentum > 0`);
  if (typeof loss !== 'string' || !(LOSS_NAMES as readonly string[]).includes(loss)) {
    throw new TypeError(`${where}: training.loss: unknown loss ${JSON.stringify(loss)}; valid: ${LOSS_NAMES.join(', ')}`);
  }
  const last = layers[layers.length - 1];
  if (loss === 'sparseCategoricalCrossentropy' && last.activation !== 'softmax') {
    throw new RangeError(`${where}: training.loss sparseCategoricalCrossentropy needs a softmax output layer, but the last layer '${last.name}' ends in ${last.activation}`);
  }
  if (!Array.isArray(metrics)) throw new TypeError(`${where}: training.metrics must be a list of metric names, got ${JSON.stringify(metrics)}`);
  for (const m of metrics) {
    if (!(METRIC_NAMES as readonly unknown[]).includes(m)) throw new TypeError(`${where}: training.metrics: unknown metric ${JSON.stringify(m)}; valid: ${METRIC_NAMES.join(', ')}`);
  }
  if (reduction !== 'mean' && reduction !== 'sum') throw new TypeError(`${where}: training.reduction: unknown reduction ${JSON.stringify(reduction)}; valid: mean, sum`);
  return value as unknown as TrainingConfig;
}

/** Whether a manifest's weightsFile is a plain file name in the model's own folder. */
const isPlainFileName = (name: unknown): name is string => typeof name === 'string' && name !== '' && name !== '.' && name !== '..' && !/[/\\\0]/.test(name) && name !== 'model.json';

/** Reads and checks a saved model; nothing is allocated in wasm memory here, and sizes are checked first. */
export async function readSavedModel(dir: string): Promise<SavedModel> {
  const jsonPath = join(dir, 'model.json');
  const json = parseJson(await readManifest(dir, 'the model manifest'), jsonPath);
  if (!isObject(json)) throw new TypeError(`${jsonPath}: not a JSON object`);
  if (json.format === 'layers-model') throw new TypeError(`${jsonPath}: this is a TensorFlow.js model; load it with loadTfjs`);
  if (json.format !== MODEL_FORMAT) throw new TypeError(`${jsonPath}: format is ${JSON.stringify(json.format)}, not '${MODEL_FORMAT}'`);
  if (json.formatVersion !== MODEL_FORMAT_VERSION) {
    throw new TypeError(`${jsonPath}: format version ${String(json.formatVersion)} is not supported (this simdnet reads version ${MODEL_FORMAT_VERSION})`);
  }
  if (!Array.isArray(json.layers) || json.layers.some((l) => !isObject(l))) throw new TypeError(`${jsonPath}: 'layers' must be a list of layer objects`);
  if (!Array.isArray(json.weights)) throw new TypeError(`${jsonPath}: 'weights' must be a list`);
  const inputSize = json.inputSize as number;
  const layers = json.layers as LayerSpec[];
  const expected = expectedWeights(inputSize, layers, jsonPath);
  const listed = json.weights as { name: unknown; shape: unknown }[];
  if (listed.length !== expected.length) {
    throw new RangeError(`${jsonPath}: lists ${listed.length} weight tensors, the layers need ${expected.length}`);
  }
  expected.forEach((e, i) => {
    const w = listed[i];
    const shape = isObject(w) && Array.isArray(w.shape) ? (w.shape as unknown[]) : null;
    if (!isObject(w) || w.name !== e.name || !shape || shape.length !== e.shape.length || shape.some((d, k) => d !== e.shape[k])) {
      throw new RangeError(`${jsonPath}: weight ${i} is ${JSON.stringify(w)}, the layers need { name: '${e.name}', shape: [${e.shape.join(', ')}] } (shape mismatch)`);
    }
  });
  const needed = 4 * expected.reduce((s, e) => s + e.shape.reduce((a, b) => a * b, 1), 0);
  if (json.weightsBytes !== needed) throw new RangeError(`${jsonPath}: weightsBytes is ${String(json.weightsBytes)}, the listed weights need ${needed}`);
  const training = checkTraining(json.training, layers, jsonPath);
  if (!isPlainFileName(json.weightsFile)) throw new TypeError(`${jsonPath}: weightsFile ${JSON.stringify(json.weightsFile)} is not a file name in the model's folder`);
  const weightsPath = join(dir, json.weightsFile);
  const bytes = await readInside(dir, json.weightsFile, 'the weights file', (size) => {
    if (size !== needed) throw new RangeError(`${weightsPath}: holds ${size} bytes, model.json's weights need ${needed} (${size < needed ? 'truncated' : 'too long'})`);
  });
  if (fnv1a(bytes) !== json.weightsChecksum) {
    throw new Error(`${weightsPath}: checksum ${fnv1a(bytes)} differs from model.json's ${String(json.weightsChecksum)}: the file is corrupt or from another save`);
  }
  const metadata = json.metadata ?? null;
  if (metadata !== null && !isObject(metadata)) throw new TypeError(`${jsonPath}: 'metadata' must be an object or null`);
  return { inputSize, layers, weights: unpackWeights(bytes, expected), training, metadata };
}

// simdnet's own model files: model.json (architecture, training configuration, simdnet version, the
// weight list, the optimizer state's slot list, with the name, size and checksum of the weights file) and the
// weights file (little-endian float32, in order: the weights, then the optimizer's slots): weights.bin, or
// weights-<checksum>.bin after a save over a model in weights.bin (files.ts).
import type { ModelSpec, TrainingConfig } from '../nn/sequential.js';
import { fnv1a, parseJson, writeModelFiles } from './files.js';
import { folderSource, type ModelSource } from './model-source.js';
import { packWeights, unpackWeights, type WeightSpec } from './model-spec.js';
import { SIMDNET_VERSION } from './version.js';

export const MODEL_FORMAT = 'simdnet-model';
/**
 * Version 3: the Keras-valued meanSquaredError, loss options (training.lossConfig) and metric objects, and
 * `optimizerState` (the optimizer's step count and slots, after the weights in the weights file) once the
 * optimizer has trained. Version 2: layers as { className, config } and a per-sample inputShape. Version 1
 * files (dense and activation layers, inputSize) still load; in versions 1 and 2 'meanSquaredError' meant
 * half of Keras's MSE, so those files load with 'halfMeanSquaredError' and train exactly as they did.
 */
export const MODEL_FORMAT_VERSION = 3;

export type { TrainingConfig };

/** The optimizer's step count and its slots, `${parameter name}/${slot name}` in parameter order. */
export interface OptimizerState {
  readonly iterations: number;
  readonly slots: readonly WeightSpec[];
}

export interface SavedModel extends ModelSpec {
  /** null for a model that was never compiled. */
  readonly training: TrainingConfig | null;
  /** null when not saved (an optimizer that has not trained yet, or save's includeOptimizer: false). */
  readonly optimizerState: OptimizerState | null;
  /** Extra JSON data of the saver (the CLI keeps class names and the image shape here). */
  readonly metadata: Record<string, unknown> | null;
}

interface ModelJson {
  format: string;
  formatVersion: number;
  simdnetVersion: string;
  inputShape: number[];
  layers: { className: string; config: Record<string, unknown> }[];
  training: TrainingConfig | null;
  metadata: Record<string, unknown> | null;
  /** The weights file in the same folder (a plain file name). */
  weightsFile: string;
  weightsBytes: number;
  weightsChecksum: string;
  weights: { name: string; shape: number[] }[];
  /** Format version 3: the slots' values follow the weights in the weights file. */
  optimizerState?: { iterations: number; slots: { name: string; shape: number[] }[] };
}

/** Saves to `dir/model.json` and its weights file; the old model stays whole if anything fails. */
export async function writeSavedModel(model: SavedModel, dir: string): Promise<void> {
  const weightData = packWeights([...model.weights, ...(model.optimizerState?.slots ?? [])]);
  await writeModelFiles(dir, weightData, (weightsFile) => JSON.stringify(manifest(model, weightsFile, weightData), null, 1) + '\n');
}

function manifest(model: SavedModel, weightsFile: string, weightData: Uint8Array): ModelJson {
  const state = model.optimizerState;
  return {
    format: MODEL_FORMAT,
    formatVersion: MODEL_FORMAT_VERSION,
    simdnetVersion: SIMDNET_VERSION,
    inputShape: [...model.inputShape],
    layers: model.layers.map((l) => ({ className: l.className, config: { ...l.config } })),
    training: model.training,
    metadata: model.metadata,
    weightsFile,
    weightsBytes: weightData.length,
    weightsChecksum: fnv1a(weightData),
    weights: model.weights.map((w) => ({ name: w.name, shape: [...w.shape] })),
    ...(state === null ? {} : { optimizerState: { iterations: state.iterations, slots: state.slots.map((w) => ({ name: w.name, shape: [...w.shape] })) } }),
  };
}

/** A list of { name, shape } from model.json, checked (what: 'weight' or 'optimizer slot'). */
function listedTensors(list: unknown[], what: string, jsonPath: string): { name: string; shape: number[] }[] {
  return list.map((w, i) => {
    if (!isObject(w) || typeof w.name !== 'string' || !Array.isArray(w.shape) || w.shape.some((d) => !Number.isInteger(d) || d < 0 || d > 2 ** 30)) {
      throw new RangeError(`${jsonPath}: ${what} ${i} is ${JSON.stringify(w)}, not { name, shape }`);
    }
    return { name: w.name, shape: w.shape as number[] };
  });
}

/** model.json's optimizerState section (format version 3), or null. */
function checkOptimizerState(value: unknown, version: unknown, hasTraining: boolean, jsonPath: string): { iterations: number; slots: { name: string; shape: number[] }[] } | null {
  if (value === undefined || value === null) return null;
  if (version !== MODEL_FORMAT_VERSION) throw new TypeError(`${jsonPath}: 'optimizerState' needs format version ${MODEL_FORMAT_VERSION}, the file says ${String(version)}`);
  if (!isObject(value) || !Array.isArray(value.slots)) throw new TypeError(`${jsonPath}: 'optimizerState' must be { iterations, slots: [{ name, shape }] }`);
  if (!Number.isInteger(value.iterations) || (value.iterations as number) < 0) {
    throw new RangeError(`${jsonPath}: optimizerState.iterations must be a whole number >= 0, got ${JSON.stringify(value.iterations)}`);
  }
  if (!hasTraining) throw new TypeError(`${jsonPath}: 'optimizerState' is given but 'training' is null: there is no optimizer to restore it to`);
  return { iterations: value.iterations as number, slots: listedTensors(value.slots, 'optimizer slot', jsonPath) };
}

const isObject = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null && !Array.isArray(v);

/**
 * The training section's shape (the values are checked when the loaded model is compiled from it, with
 * errors that name the file and the setting).
 */
function checkTraining(value: unknown, where: string): TrainingConfig | null {
  if (value === null || value === undefined) return null;
  if (!isObject(value) || !isObject(value.optimizer) || typeof value.optimizer.name !== 'string') {
    throw new TypeError(`${where}: 'training' must be { optimizer: { name, ... }, loss, metrics, reduction } or null`);
  }
  if (typeof value.loss !== 'string') throw new TypeError(`${where}: training.loss must be a loss name, got ${JSON.stringify(value.loss)}`);
  if (value.lossConfig !== undefined && !isObject(value.lossConfig)) throw new TypeError(`${where}: training.lossConfig must be an object of loss options, got ${JSON.stringify(value.lossConfig)}`);
  if (!Array.isArray(value.metrics)) throw new TypeError(`${where}: training.metrics must be a list of metrics, got ${JSON.stringify(value.metrics)}`);
  if (typeof value.reduction !== 'string') throw new TypeError(`${where}: training.reduction must be 'mean' or 'sum', got ${JSON.stringify(value.reduction)}`);
  return value as unknown as TrainingConfig;
}

/** A version 1 layer ({ type: 'dense' | 'activation', name, ... }) as { className, config }. */
function layerFromVersion1(layer: Record<string, unknown>, i: number, where: string): { className: string; config: Record<string, unknown> } {
  const { type, ...config } = layer;
  if (type === 'dense') return { className: 'Dense', config };
  if (type === 'activation') return { className: 'Activation', config };
  throw new TypeError(`${where}: layer ${i} has unknown type ${JSON.stringify(type)}; valid: dense, activation`);
}

/** Whether a manifest's weightsFile is a plain file name in the model's own folder. */
const isPlainFileName = (name: unknown): name is string => typeof name === 'string' && name !== '' && name !== '.' && name !== '..' && !/[/\\\0]/.test(name) && name !== 'model.json';

/**
 * The topology of a parsed simdnet model.json: its format version, the per-sample input shape and the layers
 * as { className, config } (version 1 layers converted), checked; the weights and the rest are not looked at.
 */
export function savedTopology(json: Record<string, unknown>, jsonPath: string): { version: number; inputShape: number[]; layers: { className: string; config: Record<string, unknown> }[] } {
  if (json.format !== MODEL_FORMAT) throw new TypeError(`${jsonPath}: format is ${JSON.stringify(json.format)}, not '${MODEL_FORMAT}'`);
  const version = json.formatVersion;
  if (version !== MODEL_FORMAT_VERSION && version !== 1 && version !== 2) {
    throw new TypeError(`${jsonPath}: format version ${String(version)} is not supported (this simdnet reads versions 1 to ${MODEL_FORMAT_VERSION})`);
  }
  if (!Array.isArray(json.layers) || json.layers.some((l) => !isObject(l))) throw new TypeError(`${jsonPath}: 'layers' must be a list of layer objects`);
  const inputShape = version === 1 ? [json.inputSize] : json.inputShape;
  if (!Array.isArray(inputShape) || inputShape.length === 0 || inputShape.some((d) => !Number.isInteger(d) || d < 1 || d > 2 ** 30)) {
    throw new RangeError(`${jsonPath}: the input shape ${JSON.stringify(inputShape)} is not a list of whole sizes >= 1`);
  }
  const layers = (json.layers as Record<string, unknown>[]).map((l, i) => {
    if (version === 1) return layerFromVersion1(l, i, jsonPath);
    if (typeof l.className !== 'string' || !isObject(l.config)) throw new TypeError(`${jsonPath}: layer ${i} is not { className, config }`);
    return { className: l.className, config: l.config };
  });
  return { version, inputShape: inputShape as number[], layers };
}

/**
 * Reads and checks a saved model from a folder (or a ModelSource: a URL); nothing is allocated in wasm memory
 * here, and sizes are checked first.
 */
export async function readSavedModel(from: string | ModelSource): Promise<SavedModel> {
  const source = typeof from === 'string' ? folderSource(from, 'readSavedModel') : from;
  const jsonPath = source.where;
  const json = parseJson(await source.manifest('the model manifest'), jsonPath);
  if (!isObject(json)) throw new TypeError(`${jsonPath}: not a JSON object`);
  if (json.format === 'layers-model') throw new TypeError(`${jsonPath}: this is a TensorFlow.js model; load it with loadTfjs`);
  const { version, inputShape, layers } = savedTopology(json, jsonPath);
  if (!Array.isArray(json.weights)) throw new TypeError(`${jsonPath}: 'weights' must be a list`);
  // The listed names and shapes are checked against the layers when the model is built from them.
  const listed = listedTensors(json.weights, 'weight', jsonPath);
  const training = checkTraining(json.training, jsonPath);
  // The optimizer's slot names are checked against the model and its optimizer when they are restored.
  const state = checkOptimizerState(json.optimizerState, version, training !== null, jsonPath);
  const all = [...listed, ...(state?.slots ?? [])];
  const needed = 4 * all.reduce((s, e) => s + e.shape.reduce((a, b) => a * b, 1), 0);
  if (json.weightsBytes !== needed) {
    throw new RangeError(`${jsonPath}: weightsBytes is ${String(json.weightsBytes)}, the listed weights${state === null ? '' : ' and optimizer slots'} need ${needed}`);
  }
  if (training !== null && version !== MODEL_FORMAT_VERSION && training.loss === 'meanSquaredError') training.loss = 'halfMeanSquaredError';
  if (!isPlainFileName(json.weightsFile)) throw new TypeError(`${jsonPath}: weightsFile ${JSON.stringify(json.weightsFile)} is not a file name in the model's folder`);
  let weightsPath = json.weightsFile;
  const bytes = await source.file(json.weightsFile, 'the weights file', needed, (size, shown) => {
    weightsPath = shown;
    if (size !== needed) throw new RangeError(`${shown}: holds ${size} bytes, model.json's weights need ${needed} (${size < needed ? 'truncated' : 'too long'})`);
  });
  if (fnv1a(bytes) !== json.weightsChecksum) {
    throw new Error(`${weightsPath}: checksum ${fnv1a(bytes)} differs from model.json's ${String(json.weightsChecksum)}: the file is corrupt or from another save`);
  }
  const metadata = json.metadata ?? null;
  if (metadata !== null && !isObject(metadata)) throw new TypeError(`${jsonPath}: 'metadata' must be an object or null`);
  const values = unpackWeights(bytes, all);
  return {
    inputShape,
    layers,
    weights: values.slice(0, listed.length),
    training,
    optimizerState: state === null ? null : { iterations: state.iterations, slots: values.slice(listed.length) },
    metadata,
  };
}

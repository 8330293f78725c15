// simdnet's own model files: model.json (architecture, training configuration, simdnet version and the
// weight list with the size and checksum of weights.bin) and weights.bin (little-endian float32, in order).
import { stat } from 'node:fs/promises';
import { join } from 'node:path';
import { fnv1a, parseJson, readNamed, writeFilesAtomically } from './files.js';
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
  weightsFile: string;
  weightsBytes: number;
  weightsChecksum: string;
  weights: { name: string; shape: number[] }[];
}

/** Saves to `dir/model.json` and `dir/weights.bin`; the old files stay whole if anything fails. */
export async function writeSavedModel(model: SavedModel, dir: string): Promise<void> {
  checkModelSpec(model, 'save');
  const weightData = packWeights(model.weights);
  const json: ModelJson = {
    format: MODEL_FORMAT,
    formatVersion: MODEL_FORMAT_VERSION,
    simdnetVersion: SIMDNET_VERSION,
    inputSize: model.inputSize,
    layers: model.layers.map((l) => ({ ...l })),
    training: model.training,
    metadata: model.metadata,
    weightsFile: 'weights.bin',
    weightsBytes: weightData.length,
    weightsChecksum: fnv1a(weightData),
    weights: model.weights.map((w) => ({ name: w.name, shape: [...w.shape] })),
  };
  await writeFilesAtomically(dir, [
    { name: 'weights.bin', data: weightData },
    { name: 'model.json', data: JSON.stringify(json, null, 1) + '\n' },
  ]);
}

const isObject = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null && !Array.isArray(v);

function checkTraining(value: unknown, where: string): TrainingConfig | null {
  if (value === null || value === undefined) return null;
  if (!isObject(value) || !isObject(value.optimizer) || typeof value.optimizer.name !== 'string' || typeof value.loss !== 'string' || typeof value.reduction !== 'string' || !Array.isArray(value.metrics) || value.metrics.some((m) => typeof m !== 'string')) {
    throw new TypeError(`${where}: 'training' must be { optimizer: { name, ... }, loss, metrics, reduction } or null`);
  }
  return value as unknown as TrainingConfig;
}

/** Reads and checks a saved model; nothing is allocated in wasm memory here, and sizes are checked first. */
export async function readSavedModel(dir: string): Promise<SavedModel> {
  const jsonPath = join(dir, 'model.json');
  const json = parseJson(await readNamed(jsonPath, 'the model manifest'), jsonPath);
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
  const training = checkTraining(json.training, jsonPath);
  const weightsPath = join(dir, 'weights.bin');
  const size = await stat(weightsPath).then((s) => s.size, () => -1);
  if (size < 0) throw new Error(`${weightsPath}: the weights file is missing`);
  if (size !== needed) {
    throw new RangeError(`${weightsPath}: holds ${size} bytes, model.json's weights need ${needed} (${size < needed ? 'truncated' : 'too long'})`);
  }
  const bytes = await readNamed(weightsPath, 'the weights file');
  if (bytes.length !== needed) throw new RangeError(`${weightsPath}: holds ${bytes.length} bytes, model.json's weights need ${needed}`);
  if (fnv1a(bytes) !== json.weightsChecksum) {
    throw new Error(`${weightsPath}: checksum ${fnv1a(bytes)} differs from model.json's ${String(json.weightsChecksum)}: the file is corrupt or from another save`);
  }
  const metadata = json.metadata ?? null;
  if (metadata !== null && !isObject(metadata)) throw new TypeError(`${jsonPath}: 'metadata' must be an object or null`);
  return { inputSize, layers, weights: unpackWeights(bytes, expected), training, metadata };
}

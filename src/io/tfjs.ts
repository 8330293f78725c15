// TensorFlow.js "layers-model" format (https://www.tensorflow.org/js/guide/save_load and tfjs-layers'
// serialization): model.json holds a Keras Sequential topology (snake_case configs) and a weights manifest;
// weights.bin holds the float32 values, little-endian, in manifest order. Dense kernels are [in, units],
// simdnet's layout too, so values are copied as they are.
import { join } from 'node:path';
import { DEFAULT_WEIGHTS_FILE, writeModelFiles, parseJson } from './files.js';
import { readManifest, readWeightFiles } from './safe-read.js';
import {
  checkModelSpec,
  expectedWeights,
  packWeights,
  unpackWeights,
  type LayerSpec,
  type ModelSpec,
  type SpecActivation,
  type WeightSpec,
} from './model-spec.js';
import { SIMDNET_VERSION } from './version.js';

/** Activations a tfjs Dense/Activation layer shares with simdnet (tfjs spells them the same way). */
const SHARED_ACTIVATIONS: readonly SpecActivation[] = ['linear', 'relu', 'sigmoid', 'tanh', 'softmax'];
/** tfjs's LeakyReLU default slope. */
const TFJS_LEAKY_ALPHA = 0.3;

export interface TfjsWeightEntry {
  name: string;
  shape: number[];
  dtype: 'float32';
}

export interface TfjsModelJson {
  format: 'layers-model';
  generatedBy: string;
  convertedBy: null;
  modelTopology: {
    class_name: 'Sequential';
    config: { name: string; layers: { class_name: string; config: Record<string, unknown> }[] };
    keras_version: string;
    backend: string;
  };
  weightsManifest: { paths: string[]; weights: TfjsWeightEntry[] }[];
}

function denseConfig(name: string, units: number, activation: string, useBias: boolean): Record<string, unknown> {
  return {
    name,
    trainable: true,
    dtype: 'float32',
    units,
    activation,
    use_bias: useBias,
    kernel_initializer: { class_name: 'GlorotUniform', config: { seed: null } },
    bias_initializer: { class_name: 'Zeros', config: {} },
    kernel_regularizer: null,
    bias_regularizer: null,
    activity_regularizer: null,
    kernel_constraint: null,
    bias_constraint: null,
  };
}

function activationLayer(name: string, activation: SpecActivation, alpha: number | undefined, where: string): { class_name: string; config: Record<string, unknown> } {
  if (activation === 'leakyRelu') return { class_name: 'LeakyReLU', config: { name, trainable: true, dtype: 'float32', alpha } };
  if (activation === 'step') throw new TypeError(`${where}: layer '${name}' uses the step activation, which TensorFlow.js does not have`);
  return { class_name: 'Activation', config: { name, trainable: true, dtype: 'float32', activation } };
}

/** The model.json object and weights.bin bytes of a TensorFlow.js layers model equal to `spec`. */
export function toTfjsArtifacts(spec: ModelSpec, where = 'exportTfjs'): { modelJson: TfjsModelJson; weightData: Uint8Array } {
  checkModelSpec(spec, where);
  const layers: { class_name: string; config: Record<string, unknown> }[] = [];
  const names = new Set(spec.layers.map((l) => l.name));
  for (const layer of spec.layers) {
    if (layer.type === 'dense') {
      // Dense has no leaky ReLU activation in tfjs: export it as a linear Dense followed by a LeakyReLU layer.
      const leaky = layer.activation === 'leakyRelu';
      if (layer.activation === 'step') throw new TypeError(`${where}: layer '${layer.name}' uses the step activation, which TensorFlow.js does not have`);
      layers.push({ class_name: 'Dense', config: denseConfig(layer.name, layer.units, leaky ? 'linear' : layer.activation, layer.useBias) });
      if (leaky) {
        let name = `${layer.name}_leaky_re_lu`;
        while (names.has(name)) name += '_';
        names.add(name);
        layers.push(activationLayer(name, 'leakyRelu', layer.alpha, where));
      }
    } else {
      layers.push(activationLayer(layer.name, layer.activation, layer.alpha, where));
    }
  }
  layers[0].config.batch_input_shape = [null, spec.inputSize];
  const modelJson: TfjsModelJson = {
    format: 'layers-model',
    generatedBy: `simdnet ${SIMDNET_VERSION}`,
    convertedBy: null,
    modelTopology: {
      class_name: 'Sequential',
      config: { name: 'sequential', layers },
      keras_version: 'tfjs-layers 4.22.0',
      backend: 'tensor_flow.js',
    },
    weightsManifest: [{ paths: [DEFAULT_WEIGHTS_FILE], weights: spec.weights.map((w) => ({ name: w.name, shape: [...w.shape], dtype: 'float32' })) }],
  };
  return { modelJson, weightData: packWeights(spec.weights) };
}

/**
 * Writes `dir/model.json` and its weights file: `weights.bin`, or `weights-<checksum>.bin` when replacing a
 * model whose weights are in weights.bin (the manifest's `paths` name it; see files.ts for why).
 */
export async function writeTfjs(spec: ModelSpec, dir: string): Promise<void> {
  const { modelJson, weightData } = toTfjsArtifacts(spec);
  await writeModelFiles(dir, weightData, (weightsFile) => {
    modelJson.weightsManifest[0].paths = [weightsFile];
    return JSON.stringify(modelJson, null, 1);
  });
}

type Json = Record<string, unknown>;
const isObject = (v: unknown): v is Json => typeof v === 'object' && v !== null && !Array.isArray(v);

/** The layer list of a Sequential topology, as tfjs and Keras write it (with or without a model_config wrapper). */
function topologyLayers(topology: unknown, where: string): Json[] {
  let root = topology;
  if (isObject(root) && isObject(root.model_config)) root = root.model_config;
  if (!isObject(root)) throw new TypeError(`${where}: modelTopology is missing or not an object`);
  if (root.class_name !== 'Sequential') {
    throw new TypeError(`${where}: the model is a ${String(root.class_name)}; simdnet imports Sequential models only`);
  }
  const config = root.config;
  const layers = Array.isArray(config) ? config : isObject(config) ? config.layers : undefined;
  if (!Array.isArray(layers) || layers.some((l) => !isObject(l) || !isObject(l.config))) {
    throw new TypeError(`${where}: the Sequential topology has no list of layers with configs`);
  }
  return layers as Json[];
}

function tfjsActivation(value: unknown, layer: string, where: string): SpecActivation {
  const name = value === null || value === undefined ? 'linear' : value;
  if (typeof name !== 'string' || !(SHARED_ACTIVATIONS as readonly string[]).includes(name)) {
    throw new TypeError(`${where}: layer '${layer}' has activation ${JSON.stringify(value)}; simdnet imports ${SHARED_ACTIVATIONS.join(', ')}`);
  }
  return name as SpecActivation;
}

function inputSizeOf(shape: unknown, layer: string, where: string): number {
  if (!Array.isArray(shape) || shape.length !== 2 || !Number.isInteger(shape[1]) || (shape[1] as number) < 1) {
    throw new RangeError(`${where}: layer '${layer}' has input shape ${JSON.stringify(shape)}; simdnet imports flat inputs [null, features]`);
  }
  return shape[1] as number;
}

/** The layers of a tfjs model.json: Dense, Activation and LeakyReLU (an InputLayer only gives the input size). */
export function parseTfjsTopology(modelJson: unknown, where: string): { inputSize: number; layers: LayerSpec[] } {
  if (!isObject(modelJson)) throw new TypeError(`${where}: model.json is not a JSON object`);
  if (modelJson.format !== undefined && modelJson.format !== 'layers-model') {
    throw new TypeError(`${where}: format is '${String(modelJson.format)}'; simdnet imports 'layers-model' files (tf.LayersModel.save)`);
  }
  const raw = topologyLayers(modelJson.modelTopology, where);
  let inputSize: number | undefined;
  const layers: LayerSpec[] = [];
  raw.forEach((entry, i) => {
    const config = entry.config as Json;
    const name = typeof config.name === 'string' ? config.name : `layer_${i}`;
    const shape = config.batch_input_shape ?? config.batch_shape;
    if (shape !== undefined && layers.length === 0 && inputSize === undefined) inputSize = inputSizeOf(shape, name, where);
    switch (entry.class_name) {
      case 'InputLayer':
        if (inputSize === undefined) throw new RangeError(`${where}: InputLayer '${name}' has no batch_input_shape`);
        return;
      case 'Dense': {
        const units = config.units;
        if (!Number.isInteger(units) || (units as number) < 1) throw new RangeError(`${where}: Dense layer '${name}' has units ${JSON.stringify(units)}`);
        layers.push({ type: 'dense', name, units: units as number, activation: tfjsActivation(config.activation, name, where), useBias: config.use_bias !== false });
        return;
      }
      case 'Activation':
        layers.push({ type: 'activation', name, activation: tfjsActivation(config.activation, name, where) });
        return;
      case 'LeakyReLU': {
        const alpha = config.alpha ?? config.negative_slope ?? TFJS_LEAKY_ALPHA;
        layers.push({ type: 'activation', name, activation: 'leakyRelu', alpha: alpha as number });
        return;
      }
      default:
        throw new TypeError(`${where}: layer ${i} '${name}' is a ${String(entry.class_name)}; simdnet imports Dense, Activation and LeakyReLU layers only`);
    }
  });
  if (inputSize === undefined) throw new RangeError(`${where}: the first layer has no batch_input_shape, so the input size is unknown`);
  return { inputSize, layers };
}

interface ManifestEntry {
  name: string;
  shape: number[];
  /** Byte offset in the concatenation of all weight files. */
  offset: number;
}

/** Weight entries with their byte offsets, and the weight files in order; checks dtypes and shapes. */
function parseManifest(modelJson: Json, where: string): { entries: ManifestEntry[]; paths: string[]; bytes: number } {
  const manifest = modelJson.weightsManifest;
  if (!Array.isArray(manifest)) throw new TypeError(`${where}: model.json has no weightsManifest`);
  const entries: ManifestEntry[] = [];
  const paths: string[] = [];
  let offset = 0;
  for (const group of manifest) {
    if (!isObject(group) || !Array.isArray(group.paths) || !Array.isArray(group.weights)) {
      throw new TypeError(`${where}: a weightsManifest group lacks paths or weights`);
    }
    for (const p of group.paths) {
      if (typeof p !== 'string' || p.includes('..') || p.startsWith('/')) throw new TypeError(`${where}: weight file path ${JSON.stringify(p)} is not a plain relative path`);
      paths.push(p);
    }
    for (const w of group.weights) {
      if (!isObject(w) || typeof w.name !== 'string' || !Array.isArray(w.shape) || w.shape.some((d) => !Number.isInteger(d) || d < 0)) {
        throw new TypeError(`${where}: a weight entry lacks a name or a valid shape: ${JSON.stringify(w)}`);
      }
      if (w.dtype !== 'float32' || w.quantization !== undefined) {
        throw new TypeError(`${where}: weight '${w.name}' is ${w.quantization !== undefined ? 'quantized' : String(w.dtype)}; simdnet reads float32 weights`);
      }
      const shape = w.shape as number[];
      entries.push({ name: w.name, shape, offset });
      offset += 4 * shape.reduce((a, b) => a * b, 1);
    }
  }
  return { entries, paths, bytes: offset };
}

/** Finds the manifest entry of `name` (`layer/kernel`), allowing a scope prefix such as `sequential_1/`. */
function findEntry(entries: ManifestEntry[], name: string): ManifestEntry | undefined {
  return entries.find((e) => e.name === name) ?? entries.find((e) => e.name.endsWith(`/${name}`));
}

/** A ModelSpec from a tfjs model.json object and its weight bytes (all weight files concatenated). */
export function fromTfjsArtifacts(modelJson: unknown, weightData: Uint8Array, where: string): ModelSpec {
  const { inputSize, layers } = parseTfjsTopology(modelJson, where);
  const { entries, bytes } = parseManifest(modelJson as Json, where);
  if (weightData.length !== bytes) {
    throw new RangeError(`${where}: the weights manifest describes ${bytes} bytes, the weight files hold ${weightData.length}`);
  }
  const weights: WeightSpec[] = [];
  for (const e of expectedWeights(inputSize, layers, where)) {
    const entry = findEntry(entries, e.name);
    if (!entry) throw new RangeError(`${where}: the weights manifest has no '${e.name}'`);
    if (entry.shape.length !== e.shape.length || entry.shape.some((d, k) => d !== e.shape[k])) {
      throw new RangeError(`${where}: weight '${entry.name}' has shape [${entry.shape.join(', ')}], the topology needs [${e.shape.join(', ')}]`);
    }
    const [w] = unpackWeights(weightData.subarray(entry.offset), [e]);
    weights.push(w);
  }
  return { inputSize, layers, weights };
}

/** Reads a tfjs layers model from `dir` (model.json and the weight files its manifest lists). */
export async function readTfjs(dir: string): Promise<ModelSpec> {
  const jsonPath = join(dir, 'model.json');
  const modelJson = parseJson(await readManifest(dir, 'the TensorFlow.js model.json'), jsonPath);
  if (!isObject(modelJson)) throw new TypeError(`${jsonPath}: not a JSON object`);
  parseTfjsTopology(modelJson, jsonPath);
  const { paths, bytes } = parseManifest(modelJson, jsonPath);
  const weightData = await readWeightFiles(dir, paths, bytes, jsonPath);
  return fromTfjsArtifacts(modelJson, weightData, jsonPath);
}

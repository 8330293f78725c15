// TensorFlow.js "layers-model" format (https://www.tensorflow.org/js/guide/save_load and tfjs-layers'
// serialization): model.json holds a Keras Sequential topology (snake_case configs) and a weights manifest;
// weights.bin holds the float32 values, little-endian, in manifest order. Each layer says how it looks in
// TensorFlow.js (Layer.toTfjs) and the registry makes layers from tfjs entries (layerFromTfjs); this file
// only handles the file format. simdnet's weight layouts are tfjs's (a Dense kernel is [in, units]), so
// values are copied as they are.
import { DEFAULT_WEIGHTS_FILE, writeModelFiles, parseJson } from './files.js';
import { folderSource, type ModelSource } from './model-source.js';
import type { Layer, TfjsLayerJson } from '../nn/layer.js';
import { layerFromTfjs } from '../nn/layers/index.js';
import { declaredWeights, Sequential } from '../nn/sequential.js';
import { packWeights, unpackWeights } from './model-spec.js';
import { SIMDNET_VERSION } from './version.js';

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

/** The model.json object and weights bytes of a TensorFlow.js layers model equal to `model` (copied now). */
export function toTfjsArtifacts(model: Sequential): { modelJson: TfjsModelJson; weightData: Uint8Array } {
  if (!(model instanceof Sequential)) throw new TypeError('exportTfjs: expected a Sequential model');
  const spec = model.toSpec();
  const layers: TfjsLayerJson[] = model.layers.flatMap((l) => l.toTfjs());
  const names = new Set<string>();
  for (const entry of layers) {
    // A layer that exports as two (Dense + LeakyReLU) must not take another layer's name.
    let name = entry.config.name as string;
    while (names.has(name)) name += '_';
    names.add(name);
    entry.config.name = name;
  }
  layers[0].config.batch_input_shape = [null, ...spec.inputShape];
  const modelJson: TfjsModelJson = {
    format: 'layers-model',
    generatedBy: `simdnet ${SIMDNET_VERSION}`,
    convertedBy: null,
    modelTopology: {
      class_name: 'Sequential',
      config: { name: model.name, layers },
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
export async function writeTfjs(artifacts: { modelJson: TfjsModelJson; weightData: Uint8Array }, dir: string): Promise<void> {
  const { modelJson, weightData } = artifacts;
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

/** The per-sample input shape of a batch_input_shape ([null, ...shape]). */
function inputShapeOf(shape: unknown, layer: string, where: string): number[] {
  if (!Array.isArray(shape) || shape.length < 2 || shape.slice(1).some((d) => !Number.isInteger(d) || (d as number) < 1)) {
    throw new RangeError(`${where}: layer '${layer}' has input shape ${JSON.stringify(shape)}; simdnet needs [null, ...whole sizes]`);
  }
  return shape.slice(1) as number[];
}

/** The layers of a tfjs model.json, made by the registry (an InputLayer only gives the input shape). */
export function parseTfjsTopology(modelJson: unknown, where: string): { inputShape: number[]; layers: Layer[] } {
  if (!isObject(modelJson)) throw new TypeError(`${where}: model.json is not a JSON object`);
  if (modelJson.format !== undefined && modelJson.format !== 'layers-model') {
    throw new TypeError(`${where}: format is '${String(modelJson.format)}'; simdnet imports 'layers-model' files (tf.LayersModel.save)`);
  }
  const raw = topologyLayers(modelJson.modelTopology, where);
  let inputShape: number[] | undefined;
  const layers: Layer[] = [];
  try {
    raw.forEach((entry, i) => {
      const config = entry.config as Json;
      const name = typeof config.name === 'string' ? config.name : `layer_${i}`;
      const shape = config.batch_input_shape ?? config.batch_shape;
      if (shape !== undefined && layers.length === 0 && inputShape === undefined) inputShape = inputShapeOf(shape, name, where);
      if (entry.class_name === 'InputLayer') {
        if (inputShape === undefined) throw new RangeError(`${where}: InputLayer '${name}' has no batch_input_shape`);
        return;
      }
      try {
        layers.push(layerFromTfjs(entry.class_name, { ...config, name }, where));
      } catch (e) {
        if (e instanceof Error && !e.message.startsWith(where)) e.message = `${where}: ${e.message}`;
        throw e;
      }
    });
    if (inputShape === undefined) throw new RangeError(`${where}: the first layer has no batch_input_shape, so the input shape is unknown`);
    return { inputShape, layers };
  } catch (e) {
    for (const layer of layers) layer.dispose();
    throw e;
  }
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

/** A Sequential model from a tfjs model.json object and its weight bytes (all weight files concatenated). */
export function fromTfjsArtifacts(modelJson: unknown, weightData: Uint8Array, where: string): Sequential {
  const { entries, bytes } = parseManifest(modelJson as Json, where);
  if (weightData.length !== bytes) {
    throw new RangeError(`${where}: the weights manifest describes ${bytes} bytes, the weight files hold ${weightData.length}`);
  }
  const { inputShape, layers } = parseTfjsTopology(modelJson, where);
  let model: Sequential | null = null;
  try {
    // Every weight the layers declare must be in the manifest with its shape (so within the file's size)
    // before anything is allocated.
    const found = declaredWeights(layers, inputShape, where).map((w) => {
      const entry = findEntry(entries, w.name);
      if (!entry) throw new RangeError(`${where}: the weights manifest has no '${w.name}'`);
      if (entry.shape.length !== w.shape.length || entry.shape.some((d, k) => d !== w.shape[k])) {
        throw new RangeError(`${where}: weight '${entry.name}' has shape [${entry.shape.join(', ')}], the topology needs [${w.shape.join(', ')}]`);
      }
      return entry;
    });
    model = new Sequential([], { seed: 0 });
    for (const layer of layers) model.add(layer);
    model.build(inputShape);
    model.setWeights(found.map((entry) => unpackWeights(weightData.subarray(entry.offset), [entry])[0].values));
    return model;
  } catch (e) {
    if (model !== null) model.dispose();
    for (const layer of layers) if (layer.owner === null) layer.dispose();
    throw e;
  }
}

/** Reads a tfjs layers model from a folder or a ModelSource (model.json and the weight files its manifest lists). */
export async function readTfjs(from: string | ModelSource): Promise<Sequential> {
  const source = typeof from === 'string' ? folderSource(from, 'readTfjs') : from;
  const jsonPath = source.where;
  const modelJson = parseJson(await source.manifest('the TensorFlow.js model.json'), jsonPath);
  if (!isObject(modelJson)) throw new TypeError(`${jsonPath}: not a JSON object`);
  const { paths, bytes } = parseManifest(modelJson, jsonPath);
  const weightData = await source.weightFiles(paths, bytes);
  return fromTfjsArtifacts(modelJson, weightData, jsonPath);
}

/** TensorFlow.js's in-memory ModelArtifacts (what tf.io.fromMemory and a custom IOHandler's load give). */
export interface TfjsModelArtifacts {
  modelTopology: unknown;
  weightSpecs: unknown[];
  /** The weights, as one buffer or a list of buffers (tfjs 4's WeightData), or a typed array. */
  weightData: ArrayBuffer | ArrayBuffer[] | ArrayBufferView;
  format?: string;
}

export function isModelArtifacts(value: unknown): value is TfjsModelArtifacts {
  return isObject(value) && 'modelTopology' in value && 'weightSpecs' in value;
}

/** A Sequential model from TensorFlow.js ModelArtifacts ({ modelTopology, weightSpecs, weightData }). */
export function fromModelArtifacts(artifacts: TfjsModelArtifacts, where: string): Sequential {
  const { modelTopology, weightSpecs, weightData } = artifacts;
  if (!Array.isArray(weightSpecs)) throw new TypeError(`${where}: weightSpecs must be a list of { name, shape, dtype }`);
  const buffers = Array.isArray(weightData) ? weightData : [weightData];
  const parts = buffers.map((b, i) => {
    if (b instanceof ArrayBuffer) return new Uint8Array(b);
    if (ArrayBuffer.isView(b)) return new Uint8Array(b.buffer, b.byteOffset, b.byteLength);
    throw new TypeError(`${where}: weightData${Array.isArray(weightData) ? `[${i}]` : ''} must be an ArrayBuffer or a typed array, got ${b === null ? 'null' : typeof b}`);
  });
  const bytes = new Uint8Array(parts.reduce((n, p) => n + p.length, 0));
  let at = 0;
  for (const p of parts) {
    bytes.set(p, at);
    at += p.length;
  }
  const modelJson = { format: artifacts.format ?? 'layers-model', modelTopology, weightsManifest: [{ paths: [], weights: weightSpecs }] };
  return fromTfjsArtifacts(modelJson, bytes, where);
}

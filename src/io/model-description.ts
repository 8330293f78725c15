// A model description file: the layers and input shape of a Sequential model, read from simdnet's model.json
// or a TensorFlow.js layers topology (a model.json with modelTopology, or a bare Sequential config such as
// tfjs's model.toJSON() or Keras's model.to_json()). Topology only: the weights files are not read, so
// every weight starts from its layer's initializer (what `simdnet train --model` trains from).
import { stat } from 'node:fs/promises';
import { join } from 'node:path';
import type { Layer } from '../nn/layer.js';
import { layerFromConfig } from '../nn/layers/index.js';
import { isPlainObject } from '../nn/config.js';
import { parseJson } from './files.js';
import { MAX_MANIFEST_BYTES, openRegularFile, readExactly } from './safe-read.js';
import { MODEL_FORMAT, savedTopology } from './simdnet-format.js';
import { parseTfjsTopology } from './tfjs.js';

export interface ModelDescription {
  /** The file read (a folder's model.json when a folder was given). */
  readonly file: string;
  readonly format: 'simdnet' | 'tensorflowjs';
  /** Per-sample input shape. */
  readonly inputShape: number[];
  /** The layers, made by the registry and not built (the caller owns them: dispose them if unused). */
  readonly layers: Layer[];
}

/** The file's bytes (a folder means its model.json), at most MAX_MANIFEST_BYTES. */
async function readDescription(path: string): Promise<{ file: string; bytes: Uint8Array }> {
  let file = path;
  try {
    if ((await stat(path)).isDirectory()) file = join(path, 'model.json');
  } catch (cause) {
    throw new Error(`${path}: cannot read the model description: ${(cause as Error).message}`, { cause });
  }
  const { handle, size } = await openRegularFile(file, file, 'the model description');
  try {
    if (size > MAX_MANIFEST_BYTES) throw new RangeError(`${file}: ${size} bytes, more than the ${MAX_MANIFEST_BYTES / 2 ** 20} MiB a model description may have; refused`);
    return { file, bytes: await readExactly(handle, new Uint8Array(size), file) };
  } finally {
    await handle.close();
  }
}

/** simdnet's layers from their saved { className, config }, each error naming the file and the layer. */
function simdnetLayers(json: Record<string, unknown>, file: string): { inputShape: number[]; layers: Layer[] } {
  const { inputShape, layers: saved } = savedTopology(json, file);
  const layers: Layer[] = [];
  try {
    saved.forEach(({ className, config }, i) => {
      const where = `${file}: layer ${i}${typeof config.name === 'string' ? ` '${config.name}'` : ''}`;
      // The input shape is the model's (saved once, beside the layers), not the first layer's option.
      const { inputShape: _declared, ...options } = config;
      try {
        layers.push(layerFromConfig(className, options, where));
      } catch (e) {
        if (e instanceof Error && !e.message.startsWith(file)) e.message = `${where}: ${e.message}`;
        throw e;
      }
    });
    return { inputShape, layers };
  } catch (e) {
    for (const layer of layers) layer.dispose();
    throw e;
  }
}

/**
 * Reads a model description from `path` (a .json file, or a folder holding model.json): simdnet's model.json
 * (format 'simdnet-model'), a TensorFlow.js model.json (modelTopology), or a bare TensorFlow.js / Keras
 * Sequential config ({ class_name: 'Sequential', config }). Errors name the file and, for a layer, its
 * position and name.
 */
export async function readModelDescription(path: string): Promise<ModelDescription> {
  const { file, bytes } = await readDescription(path);
  const json = parseJson(bytes, file);
  if (!isPlainObject(json)) throw new TypeError(`${file}: not a JSON object`);
  if (json.format === MODEL_FORMAT) return { file, format: 'simdnet', ...simdnetLayers(json, file) };
  if (json.modelTopology !== undefined) return { file, format: 'tensorflowjs', ...parseTfjsTopology(json, file) };
  if (json.class_name !== undefined || json.model_config !== undefined) return { file, format: 'tensorflowjs', ...parseTfjsTopology({ modelTopology: json }, file) };
  throw new TypeError(
    `${file}: not a model description: expected simdnet's model.json (format '${MODEL_FORMAT}'), a TensorFlow.js model.json (modelTopology) or a Sequential config (class_name 'Sequential')`,
  );
}

// Sequential models to and from files: simdnet's own format (save/loadModel) and TensorFlow.js layers
// models (exportTfjs/loadTfjs). Saving copies the model's description and weights before its first await,
// so what is written is the model at the moment of the call. A model is only built once its files have
// been read and checked, and a failure while building or compiling it disposes it: no half-built model escapes.
// Destinations are named as TensorFlow.js users do (model-source.ts): a folder, its model.json, a file://
// URL, and for loading an http(s):// URL or in-memory ModelArtifacts.
import { checkOptions } from '../nn/config.js';
import { Sequential } from '../nn/sequential.js';
import type { ModelDestination, SaveOptions } from '../nn/save-handlers.js';
import { folderOf, folderSource, isHttpUrl, urlSource, type ModelSource } from './model-source.js';
import { readSavedModel, writeSavedModel, type SavedModel } from './simdnet-format.js';
import { fromModelArtifacts, isModelArtifacts, readTfjs, toTfjsArtifacts, writeTfjs, type TfjsModelArtifacts } from './tfjs.js';

export type { SaveOptions, TfjsModelArtifacts };

/** Where a model is read from: a folder, a path to its model.json, a file:// or http(s):// URL (string or URL object). */
export type ModelLocation = ModelDestination;

function sourceOf(location: unknown, where: string): ModelSource {
  return isHttpUrl(location) ? urlSource(location) : folderSource(location, where);
}

/**
 * Writes `dir/model.json` (architecture, optimizer and compile settings, simdnet version) and its weights
 * file (little-endian float32): `weights.bin`, or `weights-<checksum>.bin` when replacing a model whose
 * weights are in weights.bin. model.json is renamed into place last, so a failed save leaves the old model whole.
 * `dir` may also be a path to model.json or a file:// URL.
 * An optimizer that has trained also saves its state (step count and slots, after the weights in the same
 * file) unless `includeOptimizer: false`, so a loaded model trains on exactly as the saved one would.
 */
export async function saveModel(model: Sequential, dir: ModelLocation, options: SaveOptions = {}): Promise<void> {
  const folder = folderOf(dir, 'save');
  checkOptions(options, ['metadata', 'includeOptimizer'], 'save');
  if (!(model instanceof Sequential)) throw new TypeError('save: expected a Sequential model');
  if (options.includeOptimizer !== undefined && typeof options.includeOptimizer !== 'boolean') {
    throw new TypeError(`save: includeOptimizer must be true or false, got ${JSON.stringify(options.includeOptimizer)}`);
  }
  const spec = model.toSpec();
  const optimizer = model.optimizer;
  // Saved once it has trained (its slots hold more than their initial values, its step count is > 0).
  const optimizerState = optimizer !== null && optimizer.iterations > 0 && options.includeOptimizer !== false
    ? { iterations: optimizer.iterations, slots: optimizer.stateOf(model.params, model.paramNames) }
    : null;
  const saved: SavedModel = { ...spec, training: model.trainingConfig, optimizerState, metadata: options.metadata ?? null };
  await writeSavedModel(saved, folder);
}

/** A saved model and its extras, for callers (the CLI) that want the metadata too. */
export async function loadSaved(location: ModelLocation): Promise<{ model: Sequential; saved: SavedModel }> {
  const source = sourceOf(location, 'loadModel');
  const saved = await readSavedModel(source);
  const where = source.where;
  const model = Sequential.fromSpec(saved, where);
  try {
    if (saved.training !== null) model.compileFrom(saved.training, where);
    if (saved.optimizerState !== null) {
      model.optimizer!.restoreState(model.params, model.paramNames, saved.optimizerState.iterations, saved.optimizerState.slots, where);
    }
    return { model, saved };
  } catch (e) {
    model.dispose();
    if (e instanceof Error && !e.message.startsWith(where)) e.message = `${where}: ${e.message}`;
    throw e;
  }
}

/**
 * Loads a model written by `save` (from its folder, model.json, a file:// or http(s):// URL): same layers and
 * weights, so its predictions are identical; compiled again (same optimizer settings, loss, metrics) when the
 * saved model was compiled, with the optimizer's state (slots and step count) when it was saved. Missing, truncated or inconsistent files are errors that name the file. Given
 * TensorFlow.js ModelArtifacts ({ modelTopology, weightSpecs, weightData }), it imports them as loadTfjs does.
 */
export async function loadModel(location: ModelLocation | TfjsModelArtifacts): Promise<Sequential> {
  if (isModelArtifacts(location)) return fromModelArtifacts(location, 'loadModel(artifacts)');
  return (await loadSaved(location)).model;
}

/** Writes a TensorFlow.js layers model (model.json + weights.bin, or weights-<checksum>.bin as saveModel) that tf.loadLayersModel reads. */
export async function exportTfjs(model: Sequential, dir: ModelLocation): Promise<void> {
  const folder = folderOf(dir, 'exportTfjs');
  await writeTfjs(toTfjsArtifacts(model), folder);
}

/**
 * Imports a TensorFlow.js layers model (uncompiled) from its folder, model.json, a file:// or http(s):// URL
 * (as tf.loadLayersModel), or from in-memory ModelArtifacts ({ modelTopology, weightSpecs, weightData }).
 */
export async function loadTfjs(location: ModelLocation | TfjsModelArtifacts): Promise<Sequential> {
  if (isModelArtifacts(location)) return fromModelArtifacts(location, 'loadTfjs(artifacts)');
  return readTfjs(sourceOf(location, 'loadTfjs'));
}

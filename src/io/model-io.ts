// Sequential models to and from files: simdnet's own format (save/loadModel) and TensorFlow.js layers
// models (exportTfjs/loadTfjs). Saving copies the model's description and weights before its first await,
// so what is written is the model at the moment of the call. A model is only built once its files have
// been read and checked, and a failure while building or compiling it disposes it: no half-built model escapes.
import { join } from 'node:path';
import { Sequential } from '../nn/sequential.js';
import type { SaveOptions } from '../nn/save-handlers.js';
import { readSavedModel, writeSavedModel, type SavedModel } from './simdnet-format.js';
import { readTfjs, toTfjsArtifacts, writeTfjs } from './tfjs.js';

export type { SaveOptions };

function checkDir(dir: unknown, where: string): string {
  if (typeof dir !== 'string' || dir === '') throw new TypeError(`${where}: dir must be a folder path`);
  return dir;
}

/**
 * Writes `dir/model.json` (architecture, optimizer and compile settings, simdnet version) and its weights
 * file (little-endian float32): `weights.bin`, or `weights-<checksum>.bin` when replacing a model whose
 * weights are in weights.bin. An optimizer that has trained also saves its state (step count and slots,
 * after the weights in the same file) unless `includeOptimizer: false`, so a loaded model trains on exactly
 * as the saved one would. model.json is renamed into place last, so a failed save leaves the old model whole.
 */
export async function saveModel(model: Sequential, dir: string, options: SaveOptions = {}): Promise<void> {
  checkDir(dir, 'save');
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
  await writeSavedModel(saved, dir);
}

/** A saved model and its extras, for callers (the CLI) that want the metadata too. */
export async function loadSaved(dir: string): Promise<{ model: Sequential; saved: SavedModel }> {
  const saved = await readSavedModel(dir);
  const where = join(dir, 'model.json');
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
 * Loads a model written by `save`: same layers and weights, so its predictions are identical; compiled again
 * (same optimizer settings, loss, metrics) when the saved model was compiled, with the optimizer's state
 * (slots and step count) when it was saved. Missing, truncated or
 * inconsistent files are errors that name the file.
 */
export async function loadModel(dir: string): Promise<Sequential> {
  return (await loadSaved(checkDir(dir, 'loadModel'))).model;
}

/** Writes a TensorFlow.js layers model (model.json + weights.bin, or weights-<checksum>.bin as saveModel) that tf.loadLayersModel reads. */
export async function exportTfjs(model: Sequential, dir: string): Promise<void> {
  checkDir(dir, 'exportTfjs');
  await writeTfjs(toTfjsArtifacts(model), dir);
}

/** Imports a TensorFlow.js layers model (uncompiled). */
export async function loadTfjs(dir: string): Promise<Sequential> {
  return readTfjs(checkDir(dir, 'loadTfjs'));
}

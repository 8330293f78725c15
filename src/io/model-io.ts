// Sequential models to and from files: simdnet's own format (save/loadModel) and TensorFlow.js layers
// models (exportTfjs/loadTfjs). Both go through ModelSpec; a model is only built once its files have been
// read and checked in full, and a failure while filling it disposes it, so no half-built model escapes.
import { join } from 'node:path';
import { ActivationLayer, Dense, type Layer } from '../nn/layers.js';
import type { ActivationName } from '../nn/activations.js';
import type { LossName, Reduction } from '../nn/losses.js';
import { Adam, Optimizer, Sgd } from '../nn/optimizers.js';
import { Sequential } from '../nn/sequential.js';
import { checkModelSpec, type LayerSpec, type ModelSpec } from './model-spec.js';
import { readSavedModel, writeSavedModel, type SavedModel, type TrainingConfig } from './simdnet-format.js';
import { readTfjs, writeTfjs } from './tfjs.js';

export interface SaveOptions {
  /** Extra JSON data kept in model.json (the CLI stores class names and image shape). */
  metadata?: Record<string, unknown>;
}

function layerSpec(layer: Layer, index: number): LayerSpec {
  if (layer instanceof Dense) {
    const a = layer.activation;
    return { type: 'dense', name: layer.name, units: layer.units, activation: a.name, ...(a.name === 'leakyRelu' ? { alpha: a.param } : {}), useBias: layer.useBias };
  }
  if (layer instanceof ActivationLayer) {
    const a = layer.activation;
    return { type: 'activation', name: layer.name, activation: a.name, ...(a.name === 'leakyRelu' ? { alpha: a.param } : {}) };
  }
  throw new TypeError(`layer ${index} '${layer.name}' is a ${layer.className}; simdnet saves Dense and activation layers only`);
}

/** The model's architecture and a copy of its weights as plain data. */
export function modelToSpec(model: Sequential, where: string): ModelSpec {
  if (!(model instanceof Sequential)) throw new TypeError(`${where}: expected a Sequential model`);
  if (!model.built) throw new Error(`${where}: the model is not built yet (give the first layer an inputShape, or fit it first)`);
  const layers = model.layers.map(layerSpec);
  const names = model.paramNames;
  const weights = model.params.map((p, i) => ({ name: names[i], shape: [...p.shape], values: p.data.slice() }));
  const spec = { inputSize: model.inputUnits, layers, weights };
  checkModelSpec(spec, where);
  return spec;
}

function optimizerConfig(optimizer: Optimizer): TrainingConfig['optimizer'] {
  // A learning-rate schedule is a function and cannot be saved: the rate it gives now is stored instead.
  const learningRate = optimizer.learningRate(0);
  if (optimizer instanceof Sgd) return { name: 'sgd', learningRate, momentum: optimizer.momentum, nesterov: optimizer.nesterov };
  if (optimizer instanceof Adam) return { name: 'adam', learningRate, beta1: optimizer.beta1, beta2: optimizer.beta2, epsilon: optimizer.epsilon };
  throw new TypeError(`save: optimizer '${optimizer.name}' cannot be saved (sgd and adam can)`);
}

/** The optimizer of a training section readSavedModel has checked (name sgd or adam, settings in range). */
function makeOptimizer(config: TrainingConfig['optimizer']): Optimizer {
  const { name, ...settings } = config;
  return name === 'sgd' ? new Sgd(settings as ConstructorParameters<typeof Sgd>[0]) : new Adam(settings as ConstructorParameters<typeof Adam>[0]);
}

/**
 * Writes `dir/model.json` (architecture, optimizer and compile settings, simdnet version) and its weights
 * file (little-endian float32): `weights.bin`, or `weights-<checksum>.bin` when replacing a model whose
 * weights are in weights.bin. model.json is renamed into place last, so a failed save leaves the old model whole.
 */
export async function saveModel(model: Sequential, dir: string, options: SaveOptions = {}): Promise<void> {
  if (typeof dir !== 'string' || dir === '') throw new TypeError('save: dir must be a folder path');
  const spec = modelToSpec(model, 'save');
  const optimizer = model.optimizer;
  let training: TrainingConfig | null = null;
  if (optimizer !== null) {
    const objective = model.objective;
    training = { optimizer: optimizerConfig(optimizer), loss: objective.loss, metrics: objective.accuracy === null ? [] : ['accuracy'], reduction: objective.reduction };
  }
  await writeSavedModel({ ...spec, training, metadata: options.metadata ?? null }, dir);
}

/** Builds a Sequential from checked plain data; on any failure the partial model is disposed. */
export function specToModel(spec: ModelSpec, where: string): Sequential {
  checkModelSpec(spec, where);
  const layers: Layer[] = [];
  let model: Sequential | null = null;
  try {
    spec.layers.forEach((l, i) => {
      const alpha = l.alpha;
      if (l.type === 'dense') {
        // Zeros: the initial values are overwritten by the saved weights right after.
        layers.push(new Dense({ name: l.name, units: l.units, activation: l.activation as ActivationName, alpha, useBias: l.useBias, kernelInitializer: 'zeros', biasInitializer: 'zeros', ...(i === 0 ? { inputShape: [spec.inputSize] as [number] } : {}) }));
      } else {
        layers.push(new ActivationLayer(l.activation as ActivationName, alpha, l.name));
      }
    });
    model = new Sequential(layers, { seed: 0 });
    if (!model.built) model.build(spec.inputSize);
    model.setWeights(spec.weights.map((w) => w.values));
    return model;
  } catch (e) {
    if (model !== null) model.dispose();
    else for (const layer of layers) layer.dispose();
    throw e;
  }
}

/** A saved model and its extras, for callers (the CLI) that want the metadata too. */
export async function loadSaved(dir: string): Promise<{ model: Sequential; saved: SavedModel }> {
  // readSavedModel checks everything, the training section included, before anything is built.
  const saved = await readSavedModel(dir);
  const model = specToModel(saved, join(dir, 'model.json'));
  try {
    const t = saved.training;
    if (t !== null) {
      model.compile({ optimizer: makeOptimizer(t.optimizer), loss: t.loss as LossName, metrics: [...t.metrics], reduction: t.reduction as Reduction });
    }
    return { model, saved };
  } catch (e) {
    model.dispose();
    throw e;
  }
}

/**
 * Loads a model written by `save`: same layers and weights, so its predictions are identical; compiled again
 * (same optimizer settings, loss, metrics) when the saved model was compiled. Missing, truncated or inconsistent files are errors, checked before building.
 */
export async function loadModel(dir: string): Promise<Sequential> {
  if (typeof dir !== 'string' || dir === '') throw new TypeError('loadModel: dir must be a folder path');
  return (await loadSaved(dir)).model;
}

/** Writes a TensorFlow.js layers model (model.json + weights.bin, or weights-<checksum>.bin as saveModel) that tf.loadLayersModel reads. */
export async function exportTfjs(model: Sequential, dir: string): Promise<void> {
  if (typeof dir !== 'string' || dir === '') throw new TypeError('exportTfjs: dir must be a folder path');
  await writeTfjs(modelToSpec(model, 'exportTfjs'), dir);
}

/** Imports a TensorFlow.js layers model of Dense (and Activation/LeakyReLU) layers; uncompiled. */
export async function loadTfjs(dir: string): Promise<Sequential> {
  if (typeof dir !== 'string' || dir === '') throw new TypeError('loadTfjs: dir must be a folder path');
  return specToModel(await readTfjs(dir), join(dir, 'model.json'));
}

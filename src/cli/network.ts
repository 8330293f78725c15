// The network `simdnet train` trains: a --layers stack (layer-spec.ts) with the output layer added from the
// dataset's classes, or every layer from a --model description file. Both are made by the layer registry
// before any data is read (a bad token or layer is a usage error), and their shapes are walked once the
// dataset's image size is known, so a layer that cannot take its input is named before anything is built.
// Also what eval and predict share with train: the dataset's layout a model takes.
import type { Tensor } from '../tensor.js';
import type { Layer } from '../nn/layer.js';
import { layerFromConfig, layers as nnLayers } from '../nn/layers/index.js';
import { shapeText, sizeOf, type Config } from '../nn/config.js';
import { readModelDescription } from '../io/model-description.js';
import { UsageError } from './args.js';
import type { StackSpec } from './layer-spec.js';

export interface Network {
  /** The layers, not built; the caller owns them until a model does (disposeLayers on failure). */
  readonly layers: Layer[];
  /** How the dataset is loaded: [n, rows, cols, 1] images or [n, pixels] rows. */
  readonly layout: 'image' | 'flat';
  /** The file's input shape (--model); a --layers stack takes the dataset's. */
  readonly inputShape: readonly number[] | undefined;
  /** Where layer i came from, for messages: "--layers token 3 'conv32x3'" or "net.json: layer 2 'conv2d'". */
  where(i: number): string;
  /** Completes the network for `classes` classes (the --layers output layer; a --model file's last layer is checked). */
  finish(classes: number, dataset: string, inputShape: readonly number[]): void;
  /** Where the layers came from: '--layers' or the description file. */
  readonly source: string;
  /** One line for the training header and the plots' titles. */
  describe(inputShape: readonly number[], classes: number): string;
}

/** How a model's inputs are laid out: [n, rows, cols, 1] images for a per-sample shape of rank > 1, else rows. */
export const layoutOf = (inputShape: readonly number[]): 'flat' | 'image' => (inputShape.length > 1 ? 'image' : 'flat');

export function disposeLayers(layers: readonly Layer[]): void {
  for (const layer of layers) if (layer.owner === null) layer.dispose();
}

/** The message of a registry or shape error. */
const reason = (e: unknown): string => (e instanceof Error ? e.message : String(e));

/** A --layers stack's layers; `init` is the output layer's initializers (as the hidden ones'). */
export function stackNetwork(stack: StackSpec, init: Config): Network {
  const layers: Layer[] = [];
  const where = (i: number) => (i < stack.layers.length ? `--layers token ${stack.layers[i].position} '${stack.layers[i].token}'` : 'the output layer');
  try {
    stack.layers.forEach((spec, i) => {
      try {
        layers.push(layerFromConfig(spec.className, { ...spec.config }, where(i)));
      } catch (e) {
        throw new UsageError(`train: ${where(i)}: ${reason(e).replace(`${where(i)}: `, '')}`);
      }
    });
  } catch (e) {
    disposeLayers(layers);
    throw e;
  }
  const network: Network = {
    layers,
    layout: stack.input,
    inputShape: undefined,
    source: '--layers',
    where,
    finish(classes, _dataset, inputShape) {
      layers.push(nnLayers.dense({ units: classes, activation: 'softmax', ...init }));
      outputShape(network, inputShape);
    },
    describe(inputShape, classes) {
      if (stack.denseOnly) return [sizeOf(inputShape), ...stack.layers.map((l) => l.config.units), classes].join('-');
      return `${inputShape.join('x')} ${stack.layers.map((l) => l.token).join(' ')} dense${classes}-softmax`;
    },
  };
  return network;
}

/** The layers of a --model description file (topology only); errors name the file (and the layer). */
export async function fileNetwork(path: string): Promise<Network> {
  const description = await readModelDescription(path);
  const { file, layers, inputShape } = description;
  const where = (i: number) => `${file}: layer ${i} '${layers[i].name}'`;
  const network: Network = {
    layers,
    layout: layoutOf(inputShape),
    inputShape,
    source: file,
    where,
    finish(classes, dataset) {
      if (layers.length === 0) throw new RangeError(`${file}: the model has no layers`);
      const out = outputShape(network, inputShape);
      const last = layers[layers.length - 1];
      if (shapeText(out) !== shapeText([classes])) {
        throw new RangeError(`${file}: the model outputs ${shapeText(out)} per image, but ${dataset} has ${classes} classes: its last layer must output [${classes}]`);
      }
      const activation = last.outputActivation?.name ?? 'linear';
      if (activation !== 'softmax') {
        throw new RangeError(`${where(layers.length - 1)} ends in ${activation}; simdnet train needs a softmax output (it trains with categorical cross-entropy)`);
      }
    },
    describe(shape) {
      return `${shape.join('x')} ${layers.map((l) => l.className).join(' ')}`;
    },
  };
  return network;
}

/** Walks the output shapes from `inputShape`, naming the layer that cannot take its input; nothing is allocated. */
function outputShape(network: Network, inputShape: readonly number[]): readonly number[] {
  let shape = inputShape;
  network.layers.forEach((layer, i) => {
    try {
      shape = layer.computeOutputShape(shape);
    } catch (e) {
      throw new RangeError(`${network.where(i)} cannot take inputs of shape ${shapeText(shape)}: ${reason(e)}`);
    }
  });
  return shape;
}

/**
 * x in the model's per-sample input shape: x itself when it already is, else a reshaped copy (the caller
 * disposes it) when the sizes agree ([n, 784] for [28, 28]); a size that differs is an error naming `what`.
 */
export function asModelInput(x: Tensor, inputShape: readonly number[], what: string): Tensor {
  const sample = x.shape.slice(1);
  if (shapeText(sample) === shapeText(inputShape)) return x;
  if (sizeOf(sample) !== sizeOf(inputShape)) {
    throw new RangeError(`the model takes ${sizeOf(inputShape)} inputs but ${what} have ${sizeOf(sample)} pixels (a model input of ${shapeText(inputShape)}, images of ${shapeText(sample)})`);
  }
  return x.reshape([x.shape[0], ...inputShape]);
}

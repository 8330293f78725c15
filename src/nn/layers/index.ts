// The layer registry: every layer type by class name (saved models, TensorFlow.js imports), and the
// sn.layers factories. A new layer type is one file in this folder plus its line in LAYER_TYPES.
import type { Config } from '../config.js';
import type { Layer } from '../layer.js';
import { ActivationLayer, activationFactories, type ActivationOptions } from './activation.js';
import { Dense, type DenseOptions } from './dense.js';
import { Flatten, Reshape, type ReshapeOptions } from './reshape.js';
import { Dropout, type DropoutOptions } from './dropout.js';
import { BatchNormalization, type BatchNormalizationOptions } from './batch-normalization.js';
import { MaxPooling2D, AveragePooling2D, GlobalAveragePooling2D, type Pooling2DOptions, type GlobalPooling2DOptions } from './pooling.js';
import { Conv2D, type Conv2DOptions } from './conv2d.js';
import type { LayerOptions } from '../layer.js';

/** A layer class: its saved class name, fromConfig, and how TensorFlow.js entries of its kind import. */
interface RegisteredType {
  readonly className: string;
  fromConfig(config: Config): Layer;
  /** TensorFlow.js class names this type imports (beside its own className). */
  readonly tfjsNames?: readonly string[];
  fromTfjs(className: string, config: Config, where: string): Layer;
}

const LAYER_TYPES: readonly RegisteredType[] = [
  { className: Dense.className, fromConfig: Dense.fromConfig, fromTfjs: (_c, config, where) => Dense.fromTfjs(config, where) },
  { className: ActivationLayer.className, fromConfig: ActivationLayer.fromConfig, tfjsNames: ['LeakyReLU', 'ReLU', 'Softmax'], fromTfjs: ActivationLayer.fromTfjs },
  { className: Flatten.className, fromConfig: Flatten.fromConfig, fromTfjs: (_c, config) => Flatten.fromTfjs(config) },
  { className: Reshape.className, fromConfig: Reshape.fromConfig, fromTfjs: (_c, config) => Reshape.fromTfjs(config) },
  { className: Dropout.className, fromConfig: Dropout.fromConfig, fromTfjs: (_c, config) => Dropout.fromTfjs(config) },
  { className: BatchNormalization.className, fromConfig: BatchNormalization.fromConfig, fromTfjs: (_c, config, where) => BatchNormalization.fromTfjs(config, where) },
  { className: MaxPooling2D.className, fromConfig: (config) => MaxPooling2D.fromConfig(config), fromTfjs: (_c, config, where) => MaxPooling2D.fromTfjs(config, where) },
  { className: AveragePooling2D.className, fromConfig: (config) => AveragePooling2D.fromConfig(config), fromTfjs: (_c, config, where) => AveragePooling2D.fromTfjs(config, where) },
  { className: GlobalAveragePooling2D.className, fromConfig: GlobalAveragePooling2D.fromConfig, fromTfjs: (_c, config, where) => GlobalAveragePooling2D.fromTfjs(config, where) },
  { className: Conv2D.className, fromConfig: Conv2D.fromConfig, fromTfjs: (_c, config, where) => Conv2D.fromTfjs(config, where) },
];

const LAYER_CLASS_NAMES = LAYER_TYPES.map((t) => t.className);

function findType(className: unknown, tfjs: boolean): RegisteredType | undefined {
  return LAYER_TYPES.find((t) => t.className === className || (tfjs && t.tfjsNames?.includes(className as string)));
}

/** A layer from its saved { className, config }; unknown class names list the known ones. */
export function layerFromConfig(className: unknown, config: Config, where: string): Layer {
  const type = findType(className, false);
  if (type === undefined) throw new TypeError(`${where}: unknown layer class ${JSON.stringify(className)}; simdnet has ${LAYER_CLASS_NAMES.join(', ')}`);
  return type.fromConfig(config);
}

/** A layer from a TensorFlow.js { class_name, config } entry. */
export function layerFromTfjs(className: unknown, config: Config, where: string): Layer {
  const type = findType(className, true);
  if (type === undefined) {
    const known = LAYER_TYPES.flatMap((t) => [t.className, ...(t.tfjsNames ?? [])]);
    throw new TypeError(`${where}: layer '${String(config.name)}' is a ${String(className)}; simdnet imports ${known.join(', ')} (and InputLayer)`);
  }
  return type.fromTfjs(className as string, config, where);
}

/** sn.layers: factories with tfjs-layers names and options. */
export const layers = {
  dense: (options: DenseOptions): Dense => new Dense(options),
  flatten: (options?: LayerOptions): Flatten => new Flatten(options),
  reshape: (options: ReshapeOptions): Reshape => new Reshape(options),
  dropout: (options: DropoutOptions): Dropout => new Dropout(options),
  batchNormalization: (options?: BatchNormalizationOptions): BatchNormalization => new BatchNormalization(options),
  maxPooling2d: (options?: Pooling2DOptions): MaxPooling2D => new MaxPooling2D(options),
  averagePooling2d: (options?: Pooling2DOptions): AveragePooling2D => new AveragePooling2D(options),
  globalAveragePooling2d: (options?: GlobalPooling2DOptions): GlobalAveragePooling2D => new GlobalAveragePooling2D(options),
  /** tfjs-layers' aliases of the pooling factories. */
  maxPool2d: (options?: Pooling2DOptions): MaxPooling2D => new MaxPooling2D(options),
  avgPool2d: (options?: Pooling2DOptions): AveragePooling2D => new AveragePooling2D(options),
  avgPooling2d: (options?: Pooling2DOptions): AveragePooling2D => new AveragePooling2D(options),
  conv2d: (options: Conv2DOptions): Conv2D => new Conv2D(options),
  ...activationFactories,
};

export { Dense, ActivationLayer, Flatten, Reshape, Dropout, BatchNormalization };
export type { DenseOptions, ActivationOptions, ReshapeOptions, DropoutOptions, BatchNormalizationOptions };
export { MaxPooling2D, AveragePooling2D, GlobalAveragePooling2D };
export type { Pooling2DOptions, GlobalPooling2DOptions };
export { Conv2D };
export type { Conv2DOptions, Conv2DPadding } from './conv2d.js';

// The training API: layers, initializers, regularizers, losses, optimizers, the Sequential model, the
// perceptron and gradient checking.
export { Layer } from './layer.js';
export type { LayerOptions, LayerWeight, LayerBuffers, TfjsLayerJson } from './layer.js';
export { layers, Dense, ActivationLayer, Flatten, Reshape, Dropout, BatchNormalization, layerFromConfig, layerFromTfjs, LAYER_CLASS_NAMES } from './layers/index.js';
export type { DenseOptions, ActivationOptions, ReshapeOptions, DropoutOptions, BatchNormalizationOptions } from './layers/index.js';
export type { ActivationName } from './activations.js';
export { initializers } from './initializers.js';
export type { Initializer } from './initializers.js';
export { regularizers } from './regularizers.js';
export type { Regularizer } from './regularizers.js';
export { losses } from './losses.js';
export type { Loss, LossName, LossOptions, Reduction } from './losses.js';
export { metrics } from './metrics.js';
export type { Metric } from './metrics.js';
export { optimizers, Optimizer, Sgd, Adam, optimizerFromConfig } from './optimizers/index.js';
export type { SgdOptions, AdamOptions, LearningRateSchedule } from './optimizers/index.js';
export { sequential, Sequential } from './sequential.js';
export type { CompileConfig, ModelSpec, TrainingConfig } from './sequential.js';
export { NonFiniteLossError } from './training/fit.js';
export type { FitOptions, FitCallbacks, EpochLogs, BatchLogs, History } from './training/fit.js';
export type { EvaluateOptions, PredictOptions } from './training/passes.js';
export { registerSaveHandler } from './save-handlers.js';
export type { SaveOptions } from './save-handlers.js';
export type { DataLike } from './data.js';
export { perceptron, Perceptron } from './perceptron.js';
export type { PerceptronConfig, PerceptronTraining } from './perceptron.js';
export { gradCheck } from './grad-check.js';
export type { GradCheckOptions, GradCheckResult } from './grad-check.js';

// The training API: layers, initializers, losses, optimizers, the Sequential model, the perceptron and
// gradient checking.
export { layers, Layer, Dense, ActivationLayer } from './layers.js';
export type { DenseConfig } from './layers.js';
export type { ActivationName } from './activations.js';
export { initializers } from './initializers.js';
export type { Initializer } from './initializers.js';
export { losses } from './losses.js';
export type { Loss, LossName, Reduction } from './losses.js';
export { optimizers, Optimizer, Sgd, Adam } from './optimizers.js';
export type { SavedState } from './optimizers.js';
export type { SgdConfig, AdamConfig, LearningRateSchedule } from './optimizers.js';
export { sequential, Sequential, NonFiniteLossError } from './sequential.js';
export type { CompileConfig, FitOptions, FitCallbacks, EpochLogs, BatchLogs, History } from './sequential.js';
export type { DataLike } from './data.js';
export { perceptron, Perceptron } from './perceptron.js';
export type { PerceptronConfig, PerceptronTraining } from './perceptron.js';
export { gradCheck } from './grad-check.js';
export type { GradCheckOptions, GradCheckResult } from './grad-check.js';

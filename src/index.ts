// simdnet's public API.
export { Tensor, tensor, zeros, memory, tidy, keep } from './tensor.js';
export { setDebugMemory, checkFreedMemory } from './backend/allocator.js';
export type { Shape, TensorLike, NestedArray, ArrayOfRank } from './tensor.js';
export { matmul } from './ops/matmul.js';
export type { MatmulOptions } from './ops/matmul.js';
// Worker threads for large kernels (src/backend/pool.ts).
export { setThreads, getThreads } from './backend/pool.js';
export { backendInfo, type BackendInfo } from './backend/info.js';
export { setMemoryLimit, getMemoryLimit } from './backend/allocator.js';
export { relu, leakyRelu, sigmoid, tanh, step } from './ops/elementwise.js';
export type { ElementwiseOptions, LeakyReluOptions } from './ops/elementwise.js';
export { softmax, logSoftmax } from './ops/softmax.js';
export { gather } from './ops/gather.js';
export type { GatherOptions } from './ops/gather.js';
// Tensor math (NumPy-style, SIMD kernels): broadcasting binary ops, unary ops, reductions, transpose,
// one-hot, and the activations' derivatives.
export { add, sub, mul, div, maximum } from './ops/binary.js';
export type { Operand, BinaryOptions } from './ops/binary.js';
export { neg, square, scale, exp, log } from './ops/unary.js';
export type { UnaryOptions } from './ops/unary.js';
export { sum, mean, argmax, dot } from './ops/reduce.js';
export type { AxisOptions } from './ops/reduce.js';
export { transpose } from './ops/transpose.js';
export type { TransposeOptions } from './ops/transpose.js';
export { oneHot } from './ops/one-hot.js';
export type { OneHotOptions } from './ops/one-hot.js';
export { sigmoidGrad, tanhGrad, reluGrad, leakyReluGrad } from './ops/activation-grads.js';
export type { ActivationGradOptions, LeakyReluGradOptions } from './ops/activation-grads.js';
// Data, plots, save/load, TensorFlow.js interop (src/io, src/plot).
export * as io from './io/index.js';
export * as plot from './plot/index.js';
export { datasets, data, Dataset, fromOneHot, argmaxRows } from './io/index.js';
export type { ImageDataset, LabeledImages, Block, IdxDataOptions, IdxElement, CsvOptions, CsvColumnConfig, CsvElement, CsvDtype } from './io/index.js';
// Training: layers, losses, optimizers, Sequential, perceptron, gradient checking (src/nn).
export { layers, Layer, Dense, ActivationLayer, Flatten, Reshape, Dropout, BatchNormalization, initializers, regularizers, losses, metrics, optimizers, Optimizer, Sgd, Adam, AdamW, Rmsprop, Adagrad, sequential, Sequential, NonFiniteLossError, perceptron, Perceptron, gradCheck } from './nn/index.js';
export type {
  LayerOptions, LayerWeight, DenseOptions, ActivationOptions, ReshapeOptions, DropoutOptions, BatchNormalizationOptions, ActivationName, Initializer, Regularizer, Loss, LossName, LossOptions, Metric, Reduction, SgdOptions, AdamOptions, AdamWOptions, RmspropOptions, AdagradOptions, ClipOptions,
  LearningRateSchedule, CompileConfig, ModelSpec, TrainingConfig, FitOptions, FitCallbacks, EpochLogs, BatchLogs, History, EvaluateOptions, PredictOptions,
  SaveOptions, DataLike, BatchDataset, DatasetBatch, FitDatasetOptions, EvaluateDatasetOptions, PerceptronConfig, PerceptronTraining, GradCheckOptions, GradCheckResult,
} from './nn/index.js';
export { MaxPooling2D, AveragePooling2D, GlobalAveragePooling2D, type Pooling2DOptions, type GlobalPooling2DOptions } from './nn/index.js';
// fit's built-in callbacks (as tf.callbacks) and their base class.
export { callbacks, Callback, EarlyStopping, ModelCheckpoint, ReduceLROnPlateau, LearningRateScheduler } from './nn/index.js';
export type { EarlyStoppingOptions, ModelCheckpointOptions, ReduceLROnPlateauOptions, ClassWeight } from './nn/index.js';
export { Conv2D } from './nn/index.js';
export type { Conv2DOptions, Conv2DPadding } from './nn/index.js';
export { loadModel, loadTfjs, saveModel, exportTfjs } from './io/index.js';
export type { ModelLocation, TfjsModelArtifacts } from './io/index.js';
// The perceptron's own types (its class and config come with the training API above).
export type { PerceptronLabels, PerceptronInit, PerceptronStep, PerceptronState, PerceptronTrainOptions } from './nn/perceptron.js';

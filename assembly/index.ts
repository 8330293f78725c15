// The wasm module's exports: one file per kernel family (see README.md here for the ABI). Pointers are
// byte offsets into the linear memory, sizes are element counts; no kernel allocates or keeps state.

/** First byte past the static data: the allocator (src/backend/allocator.ts) owns everything above. */
export function heapBase(): usize {
  return __heap_base;
}
export { actForward, actBackward, actBackwardColSums } from './activation-dispatch.generated';
export { expElementwise, logElementwise } from './math';
export { gemm, gemmPackBytes, gemmRowGranule, gemmPanelWidth } from './gemm';
export { softmaxRows, logSoftmaxRows, softmaxBackwardRows } from './softmax';
export { softmaxCrossEntropy, sparseSoftmaxCrossEntropy, crossEntropy, squaredError, absoluteError, huberLoss, hingeLoss, binaryCrossEntropyLogits, binaryCrossEntropy } from './losses';
export { colSums, rowArgmax, countCorrect, countCorrectSparse, countCorrectBinary, countInTopK, countAbove, countTruePositives, absolutePercentageErrorSum, cosineProximitySum, firstNonFinite, sumAxis, argmaxAxis, dot } from './reduce';
export { binaryOp } from './binary';
export { unaryOp } from './unary';
export { transpose } from './transpose';
export { sumSquaresRows, sgd, sgdMomentum, adam, rmsprop, adagrad } from './optim';
export { gatherRows } from './gather';
export { pixelsToFloats } from './pixels';
export { inflateStateBytes, inflateStart, inflateRun, inflateOutputEnd, inflateInputEnd, crc32TableBytes, crc32Tables, crc32 } from './inflate';
export { dropoutForward, dropoutBackward } from './dropout';
export { batchNormStats, batchNormForward, batchNormBackward, batchNormMovingUpdate } from './batchnorm';
export { regularize } from './regularize';
export { scaleRowsByWeights } from './sample-weights';
export { maxPoolForwardF32x4, maxPoolBackward, avgPoolForwardF32x4, avgPoolBackwardF32x4, globalAvgPoolForwardF32x4, globalAvgPoolBackwardF32x4 } from './pooling';
export { im2colNHWC, col2imNHWC, im2colTransposedC1, convWeightGradients } from './conv';

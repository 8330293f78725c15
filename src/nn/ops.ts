// The pointer-level calls the training code sequences (byte offsets into the wasm memory). GEMMs go
// through src/ops/matmul.ts's runGemm so the thread pool applies; the other kernels through their
// src/ops wrappers (ABI: assembly/README.md).
import { allocate, heapU8, release } from '../backend/allocator.js';
import { runGemm } from '../ops/matmul.js';

export { activationForward, activationBackward } from '../ops/elementwise.js';
export { softmaxRows, softmaxBackwardRows } from '../ops/softmax.js';
export { colSums, countCorrect, countCorrectBinary, countCorrectSparse, firstNonFinite } from '../ops/reduce.js';
export { gatherRowsAt } from '../ops/gather.js';
export {
  DEFAULT_EPSILON, softmaxCrossEntropy, sparseSoftmaxCrossEntropy, crossEntropy, meanSquaredError, binaryCrossEntropyLogits, binaryCrossEntropy,
} from '../ops/losses.js';
export { sgdStep, sgdMomentumStep, adamStep } from '../ops/optim.js';
export { gemmPackBytes, releaseGemmScratch } from '../ops/matmul.js';
export { gemmSplits, startWorkers } from '../backend/pool.js';

/** C[m,n] = act(op(A) op(B) + bias), row-major, alpha 1, beta 0 (C is only written). */
export function gemm(
  transA: number, transB: number, m: number, n: number, k: number,
  a: number, lda: number, b: number, ldb: number, c: number, ldc: number,
  bias: number, act: number, actParam: number, pack: number,
): void {
  runGemm(transA, transB, m, n, k, 1, a, lda, b, ldb, 0, c, ldc, bias, act, actParam, pack);
}

/** Copies `bytes` bytes from `src` to `dst` inside the wasm memory (a native memmove, no allocation). */
export function copyBytes(dst: number, src: number, bytes: number): void {
  heapU8().copyWithin(dst, src, src + bytes);
}

/** Work buffers allocated together and released together (one set per fit / evaluate / predict). */
export class Workspace {
  readonly #blocks: number[] = [];

  /** A block of `count` 4-byte elements, f32 or i32 (at least one, so every pointer is a real block). */
  elements(count: number): number {
    const ptr = allocate(Math.max(1, count) * 4);
    this.#blocks.push(ptr);
    return ptr;
  }

  /** A block of `count` bytes, or 0 when none are needed. */
  bytes(count: number): number {
    if (count <= 0) return 0;
    const ptr = allocate(count);
    this.#blocks.push(ptr);
    return ptr;
  }

  releaseAll(): void {
    while (this.#blocks.length > 0) release(this.#blocks.pop()!);
  }
}

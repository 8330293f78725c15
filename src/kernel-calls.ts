// The pointer-level API the model code (src/nn) uses: the wasm kernels themselves, the thread pool's
// split calls, the planned work buffers and raw copies inside the linear memory. src/nn reaches the
// memory only through this module and through Tensors. Argument orders: assembly/README.md.
import { allocate, heapF32, heapF64, heapI32, heapU8, release } from './backend/allocator.js';
import { parallelGemm } from './backend/pool.js';
import { kernels } from './backend/wasm.js';

export { kernels };
export { parallelRows, parallelConvWeightGradients, gemmSplits, getThreads, startWorkers, startBackgroundRows, finishBackground } from './backend/pool.js';
export { gemmPackBytes, releaseGemmScratch } from './ops/matmul.js';
export { gatherRowsAt } from './ops/gather.js';
export { allocate, release, heapF32, heapF64, heapI32 };

/**
 * C[m,n] = act(op(A) op(B) + beta C + bias), row-major, alpha 1, on the pool's threads; beta 0 (the default)
 * only writes C, beta 1 adds to it (a product summed over chunks of k).
 */
export function gemm(
  transA: number, transB: number, m: number, n: number, k: number,
  a: number, lda: number, b: number, ldb: number, c: number, ldc: number,
  bias: number, act: number, actParam: number, pack: number, beta = 0,
): void {
  parallelGemm(transA, transB, m, n, k, 1, a, lda, b, ldb, beta, c, ldc, bias, act, actParam, pack);
}

/**
 * A plain SGD step of the weights w [m, n] with the gradient op(A) op(B) (k summed), in the GEMM's epilogue:
 * w -= lr * op(A) op(B), each old value copied to `saved` first (0: no copy). Returns whether every new
 * value is finite (always true without `saved`, which is when it is not checked).
 */
export function gemmSgdUpdate(
  transA: number, transB: number, m: number, n: number, k: number,
  a: number, lda: number, b: number, ldb: number, lr: number, w: number, ldw: number, saved: number, pack: number,
): boolean {
  // No bias, the identity activation (code 0).
  return parallelGemm(transA, transB, m, n, k, -lr, a, lda, b, ldb, 1, w, ldw, 0, 0, 0, pack, saved) === 0;
}

/**
 * Writes pixel bytes as floats b / 255 to the wasm memory at byte offset `dst` (bytes.length floats): the
 * bytes are copied to the end of that span and converted in place (pixelsToFloats), so no JavaScript float
 * array is made and no wasm memory is borrowed.
 */
export function writePixels(bytes: Uint8Array, dst: number): void {
  const src = dst + 3 * bytes.length;
  heapU8().set(bytes, src);
  kernels.pixelsToFloats(src, dst, bytes.length);
}

/** Copies `bytes` bytes from `src` to `dst` inside the wasm memory (a native memmove, no allocation). */
export function copyBytes(dst: number, src: number, bytes: number): void {
  heapU8().copyWithin(dst, src, src + bytes);
}

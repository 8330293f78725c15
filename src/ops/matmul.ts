// Matrix multiplication: the pointer-level `gemm` used by the layers, and the public `matmul` on Tensors.
// Both end in the thread pool's `parallelGemm`, which calls the kernel on one or several threads.
import { kernels } from '../backend/wasm.js';
import { parallelGemm, releaseWorkerScratch, workerScratchBytes } from '../backend/pool.js';
import { allocate, release } from '../backend/allocator.js';
import { Tensor } from '../tensor.js';
import { ACTIVATIONS, activationCode, type ActivationCode, type ActivationName } from './activation-kinds.js';
import { DEFAULT_LEAKY_ALPHA } from '../nn/activations.js';
import { checkOptions } from './options.js';

/**
 * A GEMM call at pointer level: C = act(alpha * op(A) op(B) + beta * C + bias), row-major f32. C must not
 * overlap A, B, the bias or the pack scratch (the kernel reads them while it writes C tile by tile).
 */
export interface GemmParams {
  /** op(A) = A^T: A is stored [k, m]. */
  transA?: boolean;
  /** op(B) = B^T: B is stored [n, k]. */
  transB?: boolean;
  m: number;
  n: number;
  k: number;
  /** Byte offsets in the wasm memory. */
  a: number;
  b: number;
  c: number;
  /** Row strides in elements; default to the dense strides of the stored shapes. */
  lda?: number;
  ldb?: number;
  ldc?: number;
  /** Default 1. */
  alpha?: number;
  /** Default 0: C is then only written, never read (it may hold garbage). */
  beta?: number;
  /** Byte offset of n floats added to every row; 0 or absent for none. */
  bias?: number;
  /** Kernel activation code (src/ops/activation-kinds.ts); default identity. */
  activation?: ActivationCode;
  /** Leaky-ReLU slope; ignored by the other activations. */
  activationParam?: number;
  /**
   * Caller-owned packing scratch of at least `gemmPackBytes(m, n, k, transB)` bytes (e.g. reserved once
   * per fit). Absent: the module's shared scratch is used (see `packScratch`).
   */
  pack?: number;
}

/** Bytes of packing scratch the kernel needs for these sizes (0 when it needs none). */
export function gemmPackBytes(m: number, n: number, k: number, transB: boolean): number {
  return kernels.gemmPackBytes(m, n, k, transB ? 1 : 0);
}

// The shared packing scratch: reserved on first use, grown to the largest size asked for, kept for reuse
// (a panel of op(B) is 64 * k bytes, so it stays small). It is live memory: `memory().bytes` counts it,
// and `releaseGemmScratch()` returns it (with the thread pool's per-worker scratch, kept the same way),
// e.g. when fit ends or before comparing `memory()` with a baseline.
let scratchPtr = 0;
let scratchSize = 0;

/** A pointer to at least `bytes` bytes of the shared scratch (0 when bytes is 0). */
export function packScratch(bytes: number): number {
  if (bytes <= scratchSize) return bytes === 0 ? 0 : scratchPtr;
  // Allocate before releasing: if the allocation throws, the old scratch is still valid.
  const ptr = allocate(bytes);
  if (scratchPtr !== 0) release(scratchPtr);
  scratchPtr = ptr;
  scratchSize = bytes;
  return ptr;
}

/** Bytes held by the shared GEMM scratch and the pool workers' scratch (included in `memory().bytes`). */
export function gemmScratchBytes(): number {
  return scratchSize + workerScratchBytes();
}

/** Frees the shared GEMM scratch and the pool workers' scratch; the next GEMMs reserve them again. */
export function releaseGemmScratch(): void {
  if (scratchPtr !== 0) release(scratchPtr);
  scratchPtr = 0;
  scratchSize = 0;
  releaseWorkerScratch();
}

/** Runs one GEMM on pointers (unchecked: the layers pass sizes they have already validated). */
export function gemm(p: GemmParams): void {
  const transA = p.transA ? 1 : 0;
  const transB = p.transB ? 1 : 0;
  const { m, n, k } = p;
  const pack = p.pack ?? packScratch(kernels.gemmPackBytes(m, n, k, transB));
  parallelGemm(
    transA, transB, m, n, k,
    p.alpha ?? 1, p.a, p.lda ?? (transA ? m : k),
    p.b, p.ldb ?? (transB ? k : n),
    p.beta ?? 0, p.c, p.ldc ?? n,
    p.bias ?? 0, p.activation ?? ACTIVATIONS.linear, p.activationParam ?? 0, pack,
  );
}

export interface MatmulOptions {
  /** Use a^T: a is [k, m]. */
  transposeA?: boolean;
  /** Use b^T: b is [n, k]. */
  transposeB?: boolean;
  /** Write the result here (shape [m, n]) instead of into a new tensor. */
  out?: Tensor;
  /** Scales the product; default 1. */
  alpha?: number;
  /** Adds beta * out (needs `out`); default 0, which ignores out's old contents, NaN included. */
  beta?: number;
  /** A tensor of n values ([n] or [1, n]) added to every row. */
  bias?: Tensor;
  /** Applied last, fused into the kernel; default 'linear'. */
  activation?: ActivationName;
  /** Leaky-ReLU slope for x <= 0 (default 0.3, as Keras and TensorFlow.js). */
  leakyAlpha?: number;
}

const fmt = (shape: readonly number[]): string => `[${shape.join(',')}]`;

function checkTensor(name: string, t: unknown): Tensor {
  if (!(t instanceof Tensor)) throw new TypeError(`matmul: ${name} must be a Tensor, got ${t === null ? 'null' : typeof t}`);
  if (t.disposed) throw new Error(`matmul: ${name} (Tensor ${fmt(t.shape)}) was disposed`);
  return t;
}

function checkNumber(name: string, value: unknown): number {
  if (typeof value !== 'number' || Number.isNaN(value)) throw new TypeError(`matmul: ${name} must be a number, got ${String(value)}`);
  return value;
}

/**
 * Matrix product of two 2-D tensors: act(alpha * op(a) op(b) + beta * out + bias), with op = transpose
 * when asked. Returns `out` when given, else a new [m, n] tensor (the caller disposes it).
 */
export function matmul(a: Tensor, b: Tensor, options: MatmulOptions = {}): Tensor {
  checkTensor('a', a);
  checkTensor('b', b);
  checkOptions('matmul', options, ['transposeA', 'transposeB', 'out', 'alpha', 'beta', 'bias', 'activation', 'leakyAlpha']);
  if (a.rank !== 2 || b.rank !== 2) {
    throw new RangeError(`matmul: both operands must be 2-D: a ${fmt(a.shape)} x b ${fmt(b.shape)}`);
  }
  const transA = options.transposeA === true;
  const transB = options.transposeB === true;
  const [m, k] = transA ? [a.shape[1], a.shape[0]] : [a.shape[0], a.shape[1]];
  const [kb, n] = transB ? [b.shape[1], b.shape[0]] : [b.shape[0], b.shape[1]];
  if (k !== kb) {
    const ta = transA ? '^T' : '';
    const tb = transB ? '^T' : '';
    throw new RangeError(`matmul: inner dimensions differ: a${ta} ${fmt(a.shape)} x b${tb} ${fmt(b.shape)} (${k} vs ${kb})`);
  }
  const alpha = checkNumber('alpha', options.alpha ?? 1);
  const beta = checkNumber('beta', options.beta ?? 0);
  const activation = activationCode(options.activation ?? 'linear');
  const leakyAlpha = checkNumber('leakyAlpha', options.leakyAlpha ?? DEFAULT_LEAKY_ALPHA);
  let bias = 0;
  if (options.bias !== undefined) {
    const t = checkTensor('bias', options.bias);
    if (t.size !== n || t.rank < 1 || t.rank > 2 || t.shape[t.rank - 1] !== n) {
      throw new RangeError(`matmul: bias ${fmt(t.shape)} must be [${n}] or [1,${n}] for a result [${m},${n}]`);
    }
    bias = t.ptr;
  }
  const out = options.out;
  if (out !== undefined) {
    checkTensor('out', out);
    if (out.rank !== 2 || out.shape[0] !== m || out.shape[1] !== n) {
      throw new RangeError(`matmul: out ${fmt(out.shape)} must be [${m},${n}] for a ${fmt(a.shape)} x b ${fmt(b.shape)}`);
    }
    // The kernel reads A, B and the bias while it writes C tile by tile.
    if (out === a || out === b || out === options.bias) {
      throw new RangeError('matmul: out must be a different tensor from a, b and bias');
    }
  } else if (beta !== 0) {
    throw new RangeError(`matmul: beta = ${beta} accumulates into out, but no out tensor was given`);
  }
  const pack = packScratch(kernels.gemmPackBytes(m, n, k, transB ? 1 : 0));
  const c = out ?? new Tensor([m, n]);
  parallelGemm(
    transA ? 1 : 0, transB ? 1 : 0, m, n, k,
    alpha, a.ptr, a.shape[1], b.ptr, b.shape[1],
    beta, c.ptr, n, bias, activation, activation === ACTIVATIONS.leakyRelu ? leakyAlpha : 0, pack,
  );
  return c;
}

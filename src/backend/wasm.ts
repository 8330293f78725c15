// Loads the embedded wasm once, synchronously, at import: the module is ready with no init() call.
// The memory is created here and imported by the module, so one allocator (allocator.ts) owns it and
// the worker pool can hand the very same memory to every worker.
//
// Which of the four builds (scripts/build-wasm.mjs): the threads build where shared memory works, and its
// relaxed-SIMD variant (GEMM on FMA) where WebAssembly.validate accepts it, unless SIMDNET_RELAXED_SIMD=0.
// Relaxed SIMD is kept only where it measured faster: GEMM 64x784x128 went 34.5 -> 43.3 GFLOPS in Deno 2.9
// and 41.4 -> 50.0 in Node 20 with --experimental-wasm-relaxed-simd (Node >= 22 needs no flag), but
// 36.2 -> 35.7 in Bun 1.4, which therefore keeps the plain build. Node 20 validates it only with that V8
// flag: SIMDNET_RELAXED_SIMD=1 sets the flag for the process (an opt-in, as the feature is experimental in
// Node 20's V8 and the flag applies to every module the process compiles).
import {
  SIMD_RELAXED_WASM_BASE64,
  SIMD_WASM_BASE64,
  THREADS_RELAXED_WASM_BASE64,
  THREADS_WASM_BASE64,
} from './wasm-bytes.generated.js';
import type { Kernels } from './kernels.generated.js';
import { environmentVariable, isBun, setNodeV8Flag } from './environment.js';

export type { Kernels };

/** wasm32 can address at most 65536 pages of 64 KiB (4 GiB). */
export const WASM_PAGE_BYTES = 65536;
export const MAX_PAGES = 65536;
const INITIAL_PAGES = 16;

function decodeBase64(text: string): Uint8Array<ArrayBuffer> {
  const binary = atob(text);
  const bytes = new Uint8Array(binary.length);
  for (let i = 0; i < binary.length; i++) bytes[i] = binary.charCodeAt(i);
  return bytes;
}

export interface Backend {
  /** The compiled module, shared with workers so they instantiate the same code. */
  readonly module: WebAssembly.Module;
  readonly memory: WebAssembly.Memory;
  readonly kernels: Kernels;
  /** True when memory is a SharedArrayBuffer-backed memory that workers can join. */
  readonly shared: boolean;
  /** True when the relaxed-SIMD build runs (GEMM multiply-adds may be fused: FMA). */
  readonly relaxedSimd: boolean;
}

/** Instantiates `module` over `memory` (used by the main thread and by each worker). */
export function instantiate(module: WebAssembly.Module, memory: WebAssembly.Memory): Kernels {
  const instance = new WebAssembly.Instance(module, { env: { memory } });
  return instance.exports as unknown as Kernels;
}

const RELAXED_VARIABLE = 'SIMDNET_RELAXED_SIMD';

/**
 * Whether to run the relaxed build: SIMDNET_RELAXED_SIMD (`text`) = 0 or 1 decides, else every validating
 * runtime but Bun.
 */
function wantsRelaxed(text: string | undefined, validates: boolean): boolean {
  if (text === undefined || text === '') return validates && !isBun();
  if (text === '0') return false;
  if (text !== '1') throw new RangeError(`${RELAXED_VARIABLE}="${text}": expected 0 (plain SIMD) or 1 (relaxed SIMD)`);
  if (!validates) throw new Error(`${RELAXED_VARIABLE}=1, but this runtime does not support relaxed SIMD`);
  return true;
}

/** Whether `bytes` validate, after turning on Node 20's V8 flag for relaxed SIMD when SIMDNET_RELAXED_SIMD=1 (`text`) asks for it. */
function validatesRelaxed(text: string | undefined, bytes: Uint8Array<ArrayBuffer>): boolean {
  if (WebAssembly.validate(bytes)) return true;
  if (text !== '1' || !setNodeV8Flag('--experimental-wasm-relaxed-simd')) return false;
  return WebAssembly.validate(bytes);
}

function load(): Backend {
  const threads = decodeBase64(THREADS_WASM_BASE64);
  const canShare = typeof SharedArrayBuffer !== 'undefined' && WebAssembly.validate(threads);
  const plain = canShare ? threads : decodeBase64(SIMD_WASM_BASE64);
  if (!WebAssembly.validate(plain)) {
    throw new Error(
      'simdnet needs WebAssembly SIMD (the 128-bit fixed-width proposal), which this runtime does not support. ' +
        'Node >= 20.19, Deno >= 2 and Bun >= 1 all have it.',
    );
  }
  const relaxed = decodeBase64(canShare ? THREADS_RELAXED_WASM_BASE64 : SIMD_RELAXED_WASM_BASE64);
  const relaxedText = environmentVariable(RELAXED_VARIABLE)?.trim();
  const relaxedSimd = wantsRelaxed(relaxedText, validatesRelaxed(relaxedText, relaxed));
  const module = new WebAssembly.Module(relaxedSimd ? relaxed : plain);
  const memory = new WebAssembly.Memory({ initial: INITIAL_PAGES, maximum: MAX_PAGES, shared: canShare });
  return { module, memory, kernels: instantiate(module, memory), shared: canShare, relaxedSimd };
}

export const backend: Backend = load();
export const kernels: Kernels = backend.kernels;

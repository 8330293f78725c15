// Loads the embedded wasm once, synchronously, at import: the module is ready with no init() call.
// The memory is created here and imported by the module, so one allocator (allocator.ts) owns it and
// the worker pool can hand the very same memory to every worker.
import { SIMD_WASM_BASE64, THREADS_WASM_BASE64 } from './wasm-bytes.generated.js';
import type { Kernels } from './kernels.generated.js';

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
}

/** Instantiates `module` over `memory` (used by the main thread and by each worker). */
export function instantiate(module: WebAssembly.Module, memory: WebAssembly.Memory): Kernels {
  const instance = new WebAssembly.Instance(module, { env: { memory } });
  return instance.exports as unknown as Kernels;
}

function load(): Backend {
  const threadsBytes = decodeBase64(THREADS_WASM_BASE64);
  const canShare = typeof SharedArrayBuffer !== 'undefined' && WebAssembly.validate(threadsBytes);
  const bytes = canShare ? threadsBytes : decodeBase64(SIMD_WASM_BASE64);
  if (!WebAssembly.validate(bytes)) {
    throw new Error(
      'simdnet needs WebAssembly SIMD (the 128-bit fixed-width proposal), which this runtime does not support. ' +
        'Node >= 20.19, Deno >= 2 and Bun >= 1 all have it.',
    );
  }
  const module = new WebAssembly.Module(bytes);
  const memory = new WebAssembly.Memory({ initial: INITIAL_PAGES, maximum: MAX_PAGES, shared: canShare });
  return { module, memory, kernels: instantiate(module, memory), shared: canShare };
}

export const backend: Backend = load();
export const kernels: Kernels = backend.kernels;
/** The threads build's bytes, for workers that compile their own copy (runtimes that cannot post a Module). */
export const threadsWasmBase64 = THREADS_WASM_BASE64;

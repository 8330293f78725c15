// The public view of the backend. It lives apart from wasm.ts so that the public declarations never reach
// wasm.d.ts, whose WebAssembly types a consumer without the DOM lib or @types/node could not resolve.
import { backend } from './wasm.js';

export interface BackendInfo {
  /** The wasm memory is shared: worker threads can compute (see setThreads). */
  readonly sharedMemory: boolean;
  /** The relaxed-SIMD build runs: GEMM multiply-adds are fused (FMA). */
  readonly relaxedSimd: boolean;
}

/** Which build runs: `sharedMemory` (worker threads possible) and `relaxedSimd` (GEMM on FMA). */
export function backendInfo(): BackendInfo {
  return { sharedMemory: backend.shared, relaxedSimd: backend.relaxedSimd };
}

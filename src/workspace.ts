// Work buffers allocated together and released together: one set per fit, evaluate or predict. Its own
// file (not in kernel-calls.ts) so that the declarations of the model code that plans buffers never reach
// the backend's WebAssembly types.
import { allocate, release } from './backend/allocator.js';

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

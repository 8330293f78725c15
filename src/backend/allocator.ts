// The one allocator of the wasm linear memory. Kernels never allocate: every buffer they touch comes
// from here. Bookkeeping lives in JavaScript (not in headers inside the memory), so a kernel writing out
// of bounds cannot corrupt it. Free blocks are kept sorted by address, merged with their neighbours on
// release and reused best-fit; the memory grows on demand.
import { backend, kernels, MAX_PAGES, WASM_PAGE_BYTES } from './wasm.js';

/** Every block starts on a 64-byte boundary (a cache line; SIMD loads never straddle one). */
export const ALIGN = 64;
const MAX_BYTES = MAX_PAGES * WASM_PAGE_BYTES;

const memory = backend.memory;
const heapStart = alignUp(kernels.heapBase() >>> 0);
const freeStarts: number[] = [];
const freeSizes: number[] = [];
const liveSizes = new Map<number, number>();
let liveBytes = 0;
let heapEnd = heapStart;
addFree(heapStart, memory.buffer.byteLength - heapStart);
heapEnd = memory.buffer.byteLength;

function alignUp(n: number): number {
  return Math.ceil(n / ALIGN) * ALIGN;
}

/** Index of the first free block whose start is >= ptr (binary search). */
function lowerBound(ptr: number): number {
  let lo = 0;
  let hi = freeStarts.length;
  while (lo < hi) {
    const mid = (lo + hi) >>> 1;
    if (freeStarts[mid] < ptr) lo = mid + 1;
    else hi = mid;
  }
  return lo;
}

function addFree(start: number, size: number): void {
  if (size <= 0) return;
  let i = lowerBound(start);
  if (i > 0 && freeStarts[i - 1] + freeSizes[i - 1] === start) {
    i--;
    freeSizes[i] += size;
  } else {
    freeStarts.splice(i, 0, start);
    freeSizes.splice(i, 0, size);
  }
  if (i + 1 < freeStarts.length && freeStarts[i] + freeSizes[i] === freeStarts[i + 1]) {
    freeSizes[i] += freeSizes[i + 1];
    freeStarts.splice(i + 1, 1);
    freeSizes.splice(i + 1, 1);
  }
}

function grow(minBytes: number): void {
  const last = freeStarts.length - 1;
  const tailFree = last >= 0 && freeStarts[last] + freeSizes[last] === heapEnd ? freeSizes[last] : 0;
  const neededPages = Math.ceil((minBytes - tailFree) / WASM_PAGE_BYTES);
  const currentPages = heapEnd / WASM_PAGE_BYTES;
  // Grow by at least half the current size (amortized), but never past the wasm32 limit.
  const pages = Math.min(MAX_PAGES - currentPages, Math.max(neededPages, Math.min(currentPages >>> 1, 4096)));
  memory.grow(pages);
  const oldEnd = heapEnd;
  heapEnd = memory.buffer.byteLength;
  addFree(oldEnd, heapEnd - oldEnd);
}

/** The most bytes live blocks may hold together (setMemoryLimit); null: up to wasm32's 4 GiB. */
let limitBytes: number | null = null;

/**
 * Caps the bytes that tensors and work buffers may hold together in the wasm memory (null removes the cap):
 * an allocation past it fails with a RangeError, as one past wasm32's 4 GiB does. Lets a program (or a
 * test) check that it trains within a memory budget, e.g. streaming data with fitDataset.
 */
export function setMemoryLimit(bytes: number | null): void {
  if (bytes !== null && (!Number.isInteger(bytes) || bytes < 0)) throw new RangeError(`setMemoryLimit: expected a whole number of bytes or null, got ${String(bytes)}`);
  limitBytes = bytes;
}

export function getMemoryLimit(): number | null {
  return limitBytes;
}

/** Reserves `bytes` (rounded up to 64) and returns the block's byte offset in the linear memory. */
export function allocate(bytes: number): number {
  if (!Number.isInteger(bytes) || bytes < 0) throw new RangeError(`cannot allocate ${bytes} bytes: not a size`);
  const size = Math.max(ALIGN, alignUp(bytes));
  if (limitBytes !== null && liveBytes + size > limitBytes) {
    throw new RangeError(`cannot allocate ${bytes} bytes: the memory limit (setMemoryLimit) is ${limitBytes} bytes and ${liveBytes} are in use`);
  }
  if (size > MAX_BYTES - heapStart - liveBytes) {
    throw new RangeError(
      `cannot allocate ${bytes} bytes: wasm32 memory is limited to 4 GiB and ${liveBytes} bytes are in use`,
    );
  }
  let best = -1;
  for (let i = 0; i < freeStarts.length; i++) {
    if (freeSizes[i] >= size && (best < 0 || freeSizes[i] < freeSizes[best])) best = i;
  }
  if (best < 0) {
    try {
      grow(size);
    } catch (cause) {
      throw new RangeError(`cannot allocate ${bytes} bytes: the runtime refused to grow wasm memory`, { cause });
    }
    best = freeStarts.length - 1;
    if (freeSizes[best] < size) {
      throw new RangeError(`cannot allocate ${bytes} bytes: wasm32 memory is limited to 4 GiB`);
    }
  }
  const ptr = freeStarts[best];
  if (freeSizes[best] === size) {
    freeStarts.splice(best, 1);
    freeSizes.splice(best, 1);
  } else {
    freeStarts[best] += size;
    freeSizes[best] -= size;
  }
  liveSizes.set(ptr, size);
  liveBytes += size;
  return ptr;
}

// Debug mode (setDebugMemory): freed blocks are filled with 0xFF bytes (NaN as float32) and held back from
// reuse for a while, so a Float32Array view kept past dispose() reads NaN instead of another tensor's
// values, and its writes land in memory nobody uses; checkFreedMemory() finds those writes.
const POISON = 0xff;
let quarantineLimit = 0;
const quarantine: { ptr: number; size: number }[] = [];
let quarantinedBytes = 0;
const writesAfterFree: string[] = [];

function poisoned(ptr: number, size: number): boolean {
  const bytes = heapU8();
  for (let i = ptr; i < ptr + size; i++) if (bytes[i] !== POISON) return false;
  return true;
}

function leaveQuarantine(): void {
  const block = quarantine.shift()!;
  quarantinedBytes -= block.size;
  if (!poisoned(block.ptr, block.size)) writesAfterFree.push(`${block.size} bytes at offset ${block.ptr}`);
  addFree(block.ptr, block.size);
}

/**
 * Debug mode for views kept past dispose(): with `on`, freed memory is poisoned (NaN) and up to
 * `holdBytes` of it (default 64 MiB) is kept out of reuse. Off returns the held blocks.
 */
export function setDebugMemory(on: boolean, holdBytes = 64 * 1024 * 1024): void {
  if (typeof on !== 'boolean') throw new TypeError(`setDebugMemory: on must be true or false, got ${String(on)}`);
  if (!Number.isInteger(holdBytes) || holdBytes < 0) throw new RangeError(`setDebugMemory: holdBytes must be a whole number >= 0, got ${holdBytes}`);
  quarantineLimit = on ? holdBytes : 0;
  while (quarantinedBytes > quarantineLimit) leaveQuarantine();
}

/** Throws if memory freed in debug mode was written after it was freed (through a view kept past dispose()). */
export function checkFreedMemory(): void {
  for (const block of quarantine) {
    if (poisoned(block.ptr, block.size)) continue;
    writesAfterFree.push(`${block.size} bytes at offset ${block.ptr}`);
    heapU8().fill(POISON, block.ptr, block.ptr + block.size); // reported once
  }
  if (writesAfterFree.length === 0) return;
  const found = writesAfterFree.splice(0);
  throw new Error(`memory freed by dispose() was written afterwards (a Float32Array from t.data kept past t.dispose()?): ${found.join('; ')}`);
}

/** Returns a block to the free list. Releasing an unknown pointer is a bug and throws. */
export function release(ptr: number): void {
  const size = liveSizes.get(ptr);
  if (size === undefined) throw new Error(`simdnet allocator: ${ptr} is not a live block`);
  liveSizes.delete(ptr);
  liveBytes -= size;
  if (quarantineLimit === 0) {
    addFree(ptr, size);
    return;
  }
  heapU8().fill(POISON, ptr, ptr + size);
  quarantine.push({ ptr, size });
  quarantinedBytes += size;
  while (quarantinedBytes > quarantineLimit) leaveQuarantine();
}

/** Bytes held by live blocks (rounded to the 64-byte block size). */
export function allocatedBytes(): number {
  return liveBytes;
}

/** Typed views over the current memory.buffer, re-derived after a grow detached (or replaced) it. */
let viewBuffer: ArrayBufferLike | null = null;
let f32: Float32Array = new Float32Array(0);
let i32: Int32Array = new Int32Array(0);
let f64: Float64Array = new Float64Array(0);
let u8: Uint8Array = new Uint8Array(0);
function refresh(): void {
  const buffer = memory.buffer;
  if (buffer !== viewBuffer) {
    viewBuffer = buffer;
    f32 = new Float32Array(buffer);
    i32 = new Int32Array(buffer);
    f64 = new Float64Array(buffer);
    u8 = new Uint8Array(buffer);
  }
}
export function heapF32(): Float32Array {
  refresh();
  return f32;
}
export function heapI32(): Int32Array {
  refresh();
  return i32;
}
export function heapF64(): Float64Array {
  refresh();
  return f64;
}
export function heapU8(): Uint8Array {
  refresh();
  return u8;
}
export function memoryBuffer(): ArrayBufferLike {
  return memory.buffer;
}

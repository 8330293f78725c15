// The 32-bit hash behind dropout's keep decisions, in TypeScript: the exact twin of hash32 in
// assembly/dropout.ts, so that a float64 reference rebuilds the kernel's mask bit for bit.

/**
 * lowbias32((index * 0x9E3779B9) ^ seed) as an unsigned 32-bit integer (Chris Wellons' lowbias32
 * finalizer: h ^= h >>> 16; h *= 0x7feb352d; h ^= h >>> 15; h *= 0x846ca68b; h ^= h >>> 16).
 * Element i of dropoutForward(..., rate, seed, start) is kept iff (dropoutHash32(seed, start + i) >>> 8) * 2^-24 >= rate.
 * @example dropoutHash32(42, 7) // an integer in [0, 2^32)
 */
export function dropoutHash32(seed: number, index: number): number {
  let h = Math.imul(index | 0, 0x9e3779b9) ^ seed;
  h ^= h >>> 16;
  h = Math.imul(h, 0x7feb352d);
  h ^= h >>> 15;
  h = Math.imul(h, 0x846ca68b);
  h ^= h >>> 16;
  return h >>> 0;
}

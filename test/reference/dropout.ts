// Float64 reference of inverted dropout (assembly/dropout.ts). The hash is written here a second time with
// BigInt arithmetic mod 2^32, independently of the Math.imul twin in src/nn/dropout-hash.ts.
const MOD = 1n << 32n;

function mulMod32(a: bigint, b: bigint): bigint {
  return (a * b) % MOD;
}

/** lowbias32((index * 0x9E3779B9) ^ seed) on unsigned 32-bit integers. */
export function hash32(seed: number, index: number): number {
  let h = mulMod32(BigInt(index >>> 0), 0x9e3779b9n) ^ BigInt(seed >>> 0);
  h ^= h >> 16n;
  h = mulMod32(h, 0x7feb352dn);
  h ^= h >> 15n;
  h = mulMod32(h, 0x846ca68bn);
  h ^= h >> 16n;
  return Number(h);
}

/** Keep decisions and outputs of dropout over x, with rate taken as the float32 the kernel receives. */
export function dropoutForward(x: ArrayLike<number>, rate: number, seed: number, start: number): { mask: number[]; y: number[] } {
  const rate32 = Math.fround(rate);
  const scale = Math.fround(1 / (1 - rate32));
  const mask = Array.from(x, (_, i) => ((hash32(seed, start + i) >>> 8) * 2 ** -24 >= rate32 ? scale : 0));
  return { mask, y: Array.from(x, (v, i) => v * mask[i]) };
}

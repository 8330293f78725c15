// Seeded pseudo-random numbers for weight initialization and shuffling. sfc32 (Chris Doty-Humphrey's
// "small fast counting" generator, PractRand-tested) uses only 32-bit integer operations, so a seed gives
// the same stream in every JavaScript engine; normal deviates go through Math.log/Math.cos, which are
// bit-stable within one runtime (the determinism the library promises: same seed, runtime and build).

export class Random {
  #a: number;
  #b: number;
  #c: number;
  #d: number;
  #spareNormal = NaN;

  constructor(seed: number) {
    if (!Number.isInteger(seed)) throw new TypeError(`seed must be an integer, got ${seed}`);
    // Seed words from splitmix32-style mixing of the two 32-bit halves, so nearby seeds diverge at once.
    const low = seed >>> 0;
    const high = Math.floor(seed / 0x100000000) >>> 0;
    this.#a = mix32(low ^ 0x9e3779b9);
    this.#b = mix32(high ^ 0x243f6a88);
    this.#c = mix32(low + 0x85a308d3);
    this.#d = 1;
    for (let i = 0; i < 12; i++) this.nextUint32();
  }

  /** A uniformly distributed unsigned 32-bit integer. */
  nextUint32(): number {
    const a = this.#a;
    const b = this.#b;
    const c = this.#c;
    const d = this.#d;
    const t = (((a + b) | 0) + d) | 0;
    this.#d = (d + 1) | 0;
    this.#a = b ^ (b >>> 9);
    this.#b = (c + (c << 3)) | 0;
    const rotated = (c << 21) | (c >>> 11);
    this.#c = (rotated + t) | 0;
    return t >>> 0;
  }

  /** Uniform in [0, 1) with 53 random bits. */
  nextFloat(): number {
    const high = this.nextUint32() >>> 5;
    const low = this.nextUint32() >>> 6;
    return (high * 67108864 + low) / 9007199254740992;
  }

  /** Uniform integer in [0, bound) without modulo bias (rejection sampling). */
  nextInt(bound: number): number {
    const limit = 0x100000000 - (0x100000000 % bound);
    let x = this.nextUint32();
    while (x >= limit) x = this.nextUint32();
    return x % bound;
  }

  /** Standard normal deviate (Box-Muller: Box & Muller 1958), the second value of each pair kept. */
  nextNormal(): number {
    if (!Number.isNaN(this.#spareNormal)) {
      const spare = this.#spareNormal;
      this.#spareNormal = NaN;
      return spare;
    }
    const u1 = 1 - this.nextFloat(); // (0, 1]: log never sees 0
    const u2 = this.nextFloat();
    const radius = Math.sqrt(-2 * Math.log(u1));
    this.#spareNormal = radius * Math.sin(2 * Math.PI * u2);
    return radius * Math.cos(2 * Math.PI * u2);
  }

  /** Fisher-Yates (Durstenfeld) shuffle of `count` entries of `values` starting at `offset`. */
  shuffle(values: Int32Array, offset: number, count: number): void {
    for (let i = count - 1; i > 0; i--) {
      const j = this.nextInt(i + 1);
      const t = values[offset + i];
      values[offset + i] = values[offset + j];
      values[offset + j] = t;
    }
  }
}

function mix32(x: number): number {
  x = Math.imul(x ^ (x >>> 16), 0x85ebca6b);
  x = Math.imul(x ^ (x >>> 13), 0xc2b2ae35);
  return (x ^ (x >>> 16)) | 0;
}

/** A seed for callers that gave none: differs from run to run, as Keras does without a seed. */
export function randomSeed(): number {
  return Math.floor(Math.random() * 0x100000000);
}

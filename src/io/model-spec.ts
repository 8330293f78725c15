// Weights as bytes: the layout of both formats' weights files (little-endian float32, back to back).

/** A named float32 weight as plain data. */
export interface WeightSpec {
  readonly name: string;
  readonly shape: readonly number[];
  readonly values: Float32Array;
}

/** Little-endian float32 bytes of all weights, back to back (the layout of both formats' weights.bin). */
export function packWeights(weights: readonly WeightSpec[]): Uint8Array {
  const total = weights.reduce((s, w) => s + w.values.length, 0);
  const bytes = new Uint8Array(total * 4);
  const view = new DataView(bytes.buffer);
  let offset = 0;
  for (const w of weights) {
    for (let i = 0; i < w.values.length; i++, offset += 4) view.setFloat32(offset, w.values[i], true);
  }
  return bytes;
}

/** Splits little-endian float32 bytes into the given weights (sizes already checked by the caller). */
export function unpackWeights(bytes: Uint8Array, layout: readonly { name: string; shape: readonly number[] }[]): WeightSpec[] {
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  let offset = 0;
  return layout.map(({ name, shape }) => {
    const values = new Float32Array(shape.reduce((a, b) => a * b, 1));
    for (let i = 0; i < values.length; i++, offset += 4) values[i] = view.getFloat32(offset, true);
    return { name, shape: [...shape], values };
  });
}

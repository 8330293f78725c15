// Float64 reference of scaleRowsByWeights (assembly/sample-weights.ts): x[r, :] * weights[r] * scale.
export function scaleRowsByWeights(x: ArrayLike<number>, rows: number, cols: number, weights: ArrayLike<number>, scale: number): number[] {
  const out: number[] = [];
  for (let r = 0; r < rows; r++) {
    for (let j = 0; j < cols; j++) out.push(x[r * cols + j] * weights[r] * scale);
  }
  return out;
}

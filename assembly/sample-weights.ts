// Per-sample weights of fit's sampleWeight / classWeight: each row of a loss gradient scaled by its
// sample's weight (Keras: the weighted loss is mean_r w_r * L_r, so row r's gradient is w_r * dL_r).

/** x[r, :] *= weights[r] * scale for r < rows, rows of `cols` floats (in place). */
export function scaleRowsByWeights(x: usize, rows: i32, cols: i32, weights: usize, scale: f32): void {
  const rowBytes = <usize>cols << 2;
  const vectorEnd = (<usize>cols & ~3) << 2;
  for (let r = 0; r < rows; r++) {
    const factor = load<f32>(weights + (<usize>r << 2)) * scale;
    const factor4 = f32x4.splat(factor);
    const row = x + <usize>r * rowBytes;
    let offset: usize = 0;
    for (; offset < vectorEnd; offset += 16) v128.store(row + offset, f32x4.mul(v128.load(row + offset), factor4));
    for (; offset < rowBytes; offset += 4) store<f32>(row + offset, load<f32>(row + offset) * factor);
  }
}

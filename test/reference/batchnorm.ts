// Float64 references of batch normalization over channels-last rows x cols (assembly/batchnorm.ts), and of
// the gradient through the batch statistics (Ioffe & Szegedy 2015, section 3).

/** Per-column mean and biased variance, two passes in float64. */
export function batchNormStats(x: ArrayLike<number>, rows: number, cols: number): { mean: number[]; variance: number[] } {
  const mean = new Array<number>(cols).fill(0);
  const variance = new Array<number>(cols).fill(0);
  for (let r = 0; r < rows; r++) for (let c = 0; c < cols; c++) mean[c] += x[r * cols + c];
  for (let c = 0; c < cols; c++) mean[c] /= rows;
  for (let r = 0; r < rows; r++) for (let c = 0; c < cols; c++) variance[c] += (x[r * cols + c] - mean[c]) ** 2;
  for (let c = 0; c < cols; c++) variance[c] /= rows;
  return { mean, variance };
}

/** y = gamma (x - mean) / sqrt(variance + epsilon) + beta; gamma/beta null = ones/zeros. */
export function batchNormForward(
  x: ArrayLike<number>, rows: number, cols: number, mean: ArrayLike<number>, variance: ArrayLike<number>,
  gamma: ArrayLike<number> | null, beta: ArrayLike<number> | null, epsilon: number,
): number[] {
  return Array.from({ length: rows * cols }, (_, i) => {
    const c = i % cols;
    return ((gamma ? gamma[c] : 1) * (x[i] - mean[c])) / Math.sqrt(variance[c] + epsilon) + (beta ? beta[c] : 0);
  });
}

/** Training-mode forward: the statistics of x itself, then batchNormForward. */
export function batchNormTrain(x: ArrayLike<number>, rows: number, cols: number, gamma: ArrayLike<number> | null, beta: ArrayLike<number> | null, epsilon: number): number[] {
  const { mean, variance } = batchNormStats(x, rows, cols);
  return batchNormForward(x, rows, cols, mean, variance, gamma, beta, epsilon);
}

/** dbeta, dgamma and dx through the batch statistics, given the statistics the forward pass used. */
export function batchNormBackward(
  x: ArrayLike<number>, dy: ArrayLike<number>, rows: number, cols: number, mean: ArrayLike<number>,
  variance: ArrayLike<number>, gamma: ArrayLike<number> | null, epsilon: number,
): { dx: number[]; dgamma: number[]; dbeta: number[] } {
  const invStd = Array.from(variance, (v) => 1 / Math.sqrt(v + epsilon));
  const xhat = Array.from({ length: rows * cols }, (_, i) => (x[i] - mean[i % cols]) * invStd[i % cols]);
  const dbeta = new Array<number>(cols).fill(0);
  const dgamma = new Array<number>(cols).fill(0);
  for (let i = 0; i < rows * cols; i++) {
    dbeta[i % cols] += dy[i];
    dgamma[i % cols] += dy[i] * xhat[i];
  }
  const dx = Array.from({ length: rows * cols }, (_, i) => {
    const c = i % cols;
    return (((gamma ? gamma[c] : 1) * invStd[c]) / rows) * (rows * dy[i] - dbeta[c] - xhat[i] * dgamma[c]);
  });
  return { dx, dgamma, dbeta };
}

/** tfjs-layers' doMovingAverage: moving - (moving - batch) * (1 - momentum). */
export function movingAverage(moving: ArrayLike<number>, batch: ArrayLike<number>, momentum: number): number[] {
  return Array.from(moving, (m, i) => m - (m - batch[i]) * (1 - momentum));
}

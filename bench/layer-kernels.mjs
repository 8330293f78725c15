// Dropout, batch-normalization and regularizer kernels at the sizes of a digits MLP (batch 32-128, 128-512
// units): one-thread time per call, next to what the worker pool's row split costs for an elementwise
// kernel of the same bytes (the SGD update, which parallelRows does split). A split of kernel K can at best
// take t(K) / 2 + (split(sgd) - t(sgd) / 2): half the work plus the measured dispatch and imbalance cost.
// This sets whether the pool should split the new kernels (assembly/README.md).
//   npm run build && node bench/layer-kernels.mjs [threads]
// Timings on a shared 2-core machine are noisy: every case runs in rounds and reports the median round.
import * as pool from '../dist/backend/pool.js';
import { kernels } from '../dist/backend/wasm.js';
import { allocate, heapF32, release } from '../dist/backend/allocator.js';

await pool.setThreads(Number(process.argv[2] ?? 2));
pool.setAdaptiveSplitting(false);
pool.setRowsThreshold(0);

function median(values) {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[sorted.length >> 1];
}

/** Median microseconds per call of each function, alternating them in `rounds` rounds of `calls` calls. */
function microsPerCall(fns, rounds, calls) {
  const times = fns.map(() => []);
  const round = (fn) => {
    const start = performance.now();
    for (let i = 0; i < calls; i++) fn();
    return ((performance.now() - start) * 1000) / calls;
  };
  fns.forEach(round);
  for (let r = 0; r < rounds; r++) fns.forEach((fn, i) => times[i].push(round(fn)));
  return times.map(median);
}

console.log(`threads: ${pool.getThreads()} (${pool.poolStatus().readyWorkers} workers ready)`);
console.log('rows x cols   dropF  dropB  stats  bnF    bnB    moving reg    | sgd 1T  sgd split  best split / 1T (dropF, bnF, bnB)');
const results = [];
for (const rows of [32, 64, 128]) {
  for (const cols of [128, 256, 512]) {
    const n = rows * cols;
    const buffers = Array.from({ length: 6 }, () => allocate(n * 4));
    const [x, y, mask, dy, dx, w] = buffers;
    const perColumn = Array.from({ length: 6 }, () => allocate(cols * 4));
    const [mean, variance, gamma, beta, movingMean, movingVariance] = perColumn;
    const heap = heapF32();
    for (let i = 0; i < n; i++) {
      heap[x / 4 + i] = Math.sin(i);
      heap[dy / 4 + i] = Math.cos(i);
      heap[w / 4 + i] = 0.01 * Math.sin(3 * i);
    }
    for (let c = 0; c < cols; c++) {
      heap[gamma / 4 + c] = 1 + 0.1 * Math.cos(c);
      heap[beta / 4 + c] = 0.1 * Math.sin(c);
    }
    kernels.batchNormStats(x, rows, cols, mean, variance);
    const calls = Math.max(20, Math.round(4e6 / n));
    const cases = {
      dropoutForward: () => kernels.dropoutForward(x, y, mask, n, 0.5, 7, 0),
      dropoutBackward: () => kernels.dropoutBackward(dy, mask, dx, n),
      batchNormStats: () => kernels.batchNormStats(x, rows, cols, mean, variance),
      batchNormForward: () => kernels.batchNormForward(x, y, rows, cols, mean, variance, gamma, beta, 1e-3),
      batchNormBackward: () => kernels.batchNormBackward(x, dy, dx, rows, cols, mean, variance, gamma, 1e-3, movingMean, movingVariance),
      batchNormMovingUpdate: () => kernels.batchNormMovingUpdate(movingMean, movingVariance, mean, variance, cols, 0.99),
      regularize: () => kernels.regularize(w, dx, n, 1e-4, 1e-4),
    };
    // Apart from the split, whose worker keeps polling for a while after each job and competes for the cores.
    const names = Object.keys(cases);
    const micros = microsPerCall(Object.values(cases), 15, calls);
    const t = Object.fromEntries(names.map((name, i) => [name, micros[i]]));
    [t.sgd, t.sgdSplit] = microsPerCall([() => kernels.sgd(w, dx, n, 1e-9, 1, Infinity, 0), () => pool.parallelRows('sgd', rows, cols, [w, dx, n, 1e-9, 1, Infinity, 0])], 15, calls);
    const overhead = t.sgdSplit - t.sgd / 2;
    const bestRatio = (k) => (t[k] / 2 + overhead) / t[k];
    results.push({ rows, cols, ...t, overhead });
    const f = (v) => v.toFixed(1).padStart(6);
    console.log(
      `${`${rows}x${cols}`.padEnd(12)} ${f(t.dropoutForward)} ${f(t.dropoutBackward)} ${f(t.batchNormStats)} ${f(t.batchNormForward)} ` +
        `${f(t.batchNormBackward)} ${f(t.batchNormMovingUpdate)} ${f(t.regularize)} | ${f(t.sgd)}  ${f(t.sgdSplit)}     ` +
        `${bestRatio('dropoutForward').toFixed(2)} ${bestRatio('batchNormForward').toFixed(2)} ${bestRatio('batchNormBackward').toFixed(2)}`,
    );
    [...buffers, ...perColumn].forEach(release);
  }
}
console.log('times in microseconds per call; best split / 1T below 1 would be a gain (1 = break-even)');

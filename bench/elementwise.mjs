// Elementwise kernel throughput: actForward / actBackward for every activation and softmaxRows, in GB/s
// of logical traffic (bytes each kernel must read and write once: forward 8 B per element, backward 12 B,
// softmax 8 B), plus a plain JavaScript loop over a Float32Array for scale.
//   npm run build && node bench/elementwise.mjs
// bench/kernels.mjs imports benchElementwise(). Timings on a shared 2-core machine are noisy: each case
// runs in rounds and reports the median round.
import { pathToFileURL } from 'node:url';
import { kernels } from '../dist/backend/wasm.js';
import { allocate, heapF32, release } from '../dist/backend/allocator.js';
import { ACTIVATIONS } from '../dist/ops/activation-kinds.js';

function median(values) {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[sorted.length >> 1];
}

/** Median seconds per call of fn over `rounds` rounds of `calls` calls, after one warm-up round. */
function secondsPerCall(fn, rounds, calls) {
  const round = () => {
    const start = performance.now();
    for (let i = 0; i < calls; i++) fn();
    return (performance.now() - start) / 1000 / calls;
  };
  round();
  return median(Array.from({ length: rounds }, round));
}

function row(kernel, shape, bytes, seconds) {
  return { kernel, shape, 'us/call': +(seconds * 1e6).toFixed(2), 'GB/s': +(bytes / seconds / 1e9).toFixed(2) };
}

/**
 * Measures every case and returns the table rows. `n` is the elementwise length (default 2^20) and
 * `rounds` the rounds per case (median reported).
 */
export async function benchElementwise({ n = 1 << 20, rounds = 7 } = {}) {
  const x = allocate(n * 4);
  const y = allocate(n * 4);
  const dy = allocate(n * 4);
  const dx = allocate(n * 4);
  const heap = heapF32();
  for (let i = 0; i < n; i++) {
    heap[x / 4 + i] = 8 * Math.sin(i * 0.37);
    heap[dy / 4 + i] = Math.cos(i * 0.11);
  }
  const calls = Math.max(1, Math.round(2e7 / n));
  const rows = [];
  for (const [name, code] of Object.entries(ACTIVATIONS)) {
    const param = name === 'leakyRelu' ? 0.3 : 0;
    rows.push(row(`actForward ${name}`, `${n}`, 8 * n, secondsPerCall(() => kernels.actForward(code, x, y, n, param), rounds, calls)));
    kernels.actForward(code, x, y, n, param);
    rows.push(row(`actBackward ${name}`, `${n}`, 12 * n, secondsPerCall(() => kernels.actBackward(code, y, dy, dx, n, param), rounds, calls)));
  }
  const side = Math.round(Math.sqrt(n));
  rows.push(row('softmaxRows', `${side}x${side}`, 8 * side * side, secondsPerCall(() => kernels.softmaxRows(x, y, side, side), rounds, calls)));
  rows.push(row('softmaxRows', '64x10', 8 * 640, secondsPerCall(() => kernels.softmaxRows(x, y, 64, 10), rounds, 20000)));
  rows.push(row('logSoftmaxRows', '64x10', 8 * 640, secondsPerCall(() => kernels.logSoftmaxRows(x, y, 64, 10), rounds, 20000)));

  // Plain JavaScript on the same Float32Array views, for scale.
  const xs = heapF32().subarray(x / 4, x / 4 + n);
  const ys = heapF32().subarray(y / 4, y / 4 + n);
  const jsSigmoid = () => {
    for (let i = 0; i < n; i++) ys[i] = 1 / (1 + Math.exp(-xs[i]));
  };
  rows.push(row('JS loop sigmoid', `${n}`, 8 * n, secondsPerCall(jsSigmoid, rounds, calls)));
  const jsSoftmax = () => {
    for (let r = 0; r < 64; r++) {
      const o = r * 10;
      let m = -Infinity;
      for (let j = 0; j < 10; j++) m = Math.max(m, xs[o + j]);
      let s = 0;
      for (let j = 0; j < 10; j++) s += ys[o + j] = Math.exp(xs[o + j] - m);
      for (let j = 0; j < 10; j++) ys[o + j] /= s;
    }
  };
  rows.push(row('JS loop softmax', '64x10', 8 * 640, secondsPerCall(jsSoftmax, rounds, 20000)));
  [x, y, dy, dx].forEach(release);
  return rows;
}

if (process.argv[1] !== undefined && import.meta.url === pathToFileURL(process.argv[1]).href) {
  console.table(await benchElementwise());
}

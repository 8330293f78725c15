// Tensor-math kernel throughput (assembly/binary.ts, math.ts's exp / log, transpose.ts, reduce.ts's
// sumAxis / argmaxAxis / dot) in GB/s of logical traffic (bytes each kernel must read and write once), next to a plain
// JavaScript loop over the same Float32Array views doing the same work, and their ratio measured in the same
// run. Timings on a shared 2-core machine are noisy: each case runs in rounds (bench/timing.mjs) and
// reports the median round.
//   npm run build && node bench/tensor-math.mjs
import { kernels } from '../dist/backend/wasm.js';
import { allocate, heapF32, release } from '../dist/backend/allocator.js';
import { medianSecondsPerCall } from './timing.mjs';

const n = 1 << 20;
const [a, b, y, row] = [n, n, n, 4096].map((count) => allocate(count * 4));
const heap = heapF32();
for (let i = 0; i < n; i++) {
  heap[a / 4 + i] = 1 + Math.abs(Math.sin(i * 0.37));
  heap[b / 4 + i] = Math.cos(i * 0.11);
}
const view = (ptr, count) => heapF32().subarray(ptr / 4, ptr / 4 + count);
const [as, bs, ys, rs] = [view(a, n), view(b, n), view(y, n), view(row, 4096)];
const cols = 784;
const rows = Math.floor(n / cols);
const side = 1000;

// [name, shape, bytes, kernel, same work as a JavaScript loop]
const cases = [
  ['add (same shape)', `${n}`, 12 * n, () => kernels.binaryOp(0, a, 0, b, 0, y, 1, n, 0), () => { for (let i = 0; i < n; i++) ys[i] = as[i] + bs[i]; }],
  ['sub (row broadcast)', `${rows}x${cols} - [${cols}]`, 8 * rows * cols, () => kernels.binaryOp(1, a, 0, row, 1, y, rows, cols, 0), () => {
    for (let r = 0; r < rows; r++) for (let c = 0; c < cols; c++) ys[r * cols + c] = as[r * cols + c] - rs[c];
  }],
  ['maximum (scalar)', `${n}`, 8 * n, () => kernels.binaryOp(4, a, 0, 0, 2, y, 1, n, 0.5), () => { for (let i = 0; i < n; i++) ys[i] = Math.max(as[i], 0.5); }],
  ['exp', `${n}`, 8 * n, () => kernels.expElementwise(b, y, n), () => { for (let i = 0; i < n; i++) ys[i] = Math.exp(bs[i]); }],
  ['log', `${n}`, 8 * n, () => kernels.logElementwise(a, y, n), () => { for (let i = 0; i < n; i++) ys[i] = Math.log(as[i]); }],
  ['sum (all)', `${n}`, 4 * n, () => kernels.sumAxis(a, 1, n, 1, y, 1), () => { let s = 0; for (let i = 0; i < n; i++) s += as[i]; ys[0] = s; }],
  ['sum (axis 0)', `${rows}x${cols}`, 4 * rows * cols, () => kernels.sumAxis(a, 1, rows, cols, y, 1), () => {
    for (let c = 0; c < cols; c++) ys[c] = 0;
    for (let r = 0; r < rows; r++) for (let c = 0; c < cols; c++) ys[c] += as[r * cols + c];
  }],
  ['argmax (axis 0)', `${rows}x${cols}`, 4 * rows * cols, () => kernels.argmaxAxis(b, 1, rows, cols, y), () => {
    for (let c = 0; c < cols; c++) {
      let best = 0;
      for (let r = 1; r < rows; r++) if (bs[r * cols + c] > bs[best * cols + c]) best = r;
      ys[c] = best;
    }
  }],
  ['dot', `${n}`, 8 * n, () => kernels.dot(a, b, n), () => { let s = 0; for (let i = 0; i < n; i++) s += as[i] * bs[i]; return s; }],
  ['transpose', `${side}x${side}`, 8 * side * side, () => kernels.transpose(a, side, side, y), () => {
    for (let r = 0; r < side; r++) for (let c = 0; c < side; c++) ys[c * side + r] = as[r * side + c];
  }],
];
const table = cases.map(([name, shape, bytes, kernel, js]) => {
  const wasm = medianSecondsPerCall(kernel, { warmMs: 300 });
  const plain = medianSecondsPerCall(js, { warmMs: 300 });
  return { op: name, shape, 'kernel us': +(wasm * 1e6).toFixed(1), 'kernel GB/s': +(bytes / wasm / 1e9).toFixed(2), 'JS loop us': +(plain * 1e6).toFixed(1), 'JS / kernel': +(plain / wasm).toFixed(2) };
});
[a, b, y, row].forEach(release);
console.table(table);

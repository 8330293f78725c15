// Pooling kernels (assembly/pooling.ts) at the digits convnet's pool layers (26x26x32 -> 13x13x32 and
// 11x11x64 -> 5x5x64, max pool 2, the average and global kernels on the same inputs): one thread against
// the pool's split by images over 2 threads, alternating the two in rounds in one process (the machine is
// shared: medians of rounds, and the ratio split / one thread is the figure to read). Batch 128 is the
// training batch; the smaller batches show where a split starts to pay, which backs the row threshold the
// pool applies to these kernels (parallelRows' bytes of output per call, DEFAULT_ROWS_MIN_BYTES). Each
// batch ends with a control row, the SGD update split the same way, to tell a busy machine from a bad split.
//   npm run build && node bench/pooling-kernels.mjs [rounds]
import * as pool from '../dist/backend/pool.js';
import { kernels } from '../dist/backend/wasm.js';
import { allocate, heapF32, release } from '../dist/backend/allocator.js';
import { roundSeconds } from './timing.mjs';

const ROUNDS = Number(process.argv[2] ?? 15);
const ROUND_MS = 20;
await pool.setThreads(2);
pool.setAdaptiveSplitting(false);

/** Median microseconds per call of each function, alternating them in rounds of about ROUND_MS each. */
function microsPerCall(fns) {
  const times = fns.map(() => []);
  fns.forEach((fn) => roundSeconds(fn, ROUND_MS));
  for (let r = 0; r < ROUNDS; r++) fns.forEach((fn, i) => times[i].push(roundSeconds(fn, ROUND_MS) * 1e6));
  return times.map((t) => t.sort((a, b) => a - b)[t.length >> 1]);
}

const LAYERS = [
  { name: '26x26x32 -> 13x13x32', height: 26, width: 26, channels: 32 },
  { name: '11x11x64 -> 5x5x64', height: 11, width: 11, channels: 64 },
];

console.log(`threads: ${pool.getThreads()} (${pool.poolStatus().readyWorkers} workers ready); ${ROUNDS} rounds, median microseconds per call`);
console.log('layer                  batch  out KiB  kernel         1 thread   2 threads  ratio');
for (const { name, height, width, channels } of LAYERS) {
  const outHeight = Math.floor((height - 2) / 2) + 1;
  const outWidth = Math.floor((width - 2) / 2) + 1;
  const inSize = height * width * channels;
  const outSize = outHeight * outWidth * channels;
  const geometry = [height, width, channels, outHeight, outWidth, 2, 2, 2, 2, 0, 0];
  for (const batch of [4, 8, 16, 32, 128]) {
    const [x, dx, y, argmax, dy, g] = [inSize, inSize, outSize, outSize, outSize, channels].map((n) => allocate(batch * n * 4));
    const heap = heapF32();
    for (let i = 0; i < batch * inSize; i++) heap[x / 4 + i] = Math.sin(i * 0.7);
    for (let i = 0; i < batch * outSize; i++) heap[dy / 4 + i] = Math.cos(i * 0.3);
    const cases = {
      maxForward: [outSize, [x, inSize, y, argmax, batch, ...geometry]],
      maxBackward: [outSize, [dy, argmax, outSize, dx, inSize, batch]],
      avgForward: [outSize, [x, inSize, y, batch, ...geometry]],
      avgBackward: [outSize, [dy, dx, inSize, batch, ...geometry]],
      globalForward: [inSize, [x, g, batch, height * width, channels]],
      globalBackward: [inSize, [g, dx, batch, height * width, channels]],
    };
    const kernelOf = { maxForward: 'maxPoolForwardF32x4', maxBackward: 'maxPoolBackward', avgForward: 'avgPoolForwardF32x4', avgBackward: 'avgPoolBackwardF32x4', globalForward: 'globalAvgPoolForwardF32x4', globalBackward: 'globalAvgPoolBackwardF32x4' };
    // maxBackward reads the argmax of a forward.
    kernels.maxPoolForwardF32x4(...cases.maxForward[1]);
    for (const [label, [cols, args]] of Object.entries(cases)) {
      const kernel = kernelOf[label];
      const previous = pool.setRowsThreshold(0);
      const [one, split] = microsPerCall([() => kernels[kernel](...args), () => pool.parallelRows(kernel, batch, cols, args)]);
      pool.setRowsThreshold(previous);
      const splitByDefault = pool.rowsSplit(batch, cols) ? ' (split by default)' : '';
      console.log(
        `${name.padEnd(22)} ${String(batch).padStart(5)}  ${((batch * cols * 4) / 1024).toFixed(0).padStart(7)}  ${label.padEnd(14)} ${one.toFixed(1).padStart(8)}  ${split.toFixed(1).padStart(9)}  ${(split / one).toFixed(2)}${splitByDefault}`,
      );
    }
    // Control: the SGD update over the same bytes as the max pool's output, a row kernel whose split breaks
    // even at ~24 KiB on an idle machine (bench/threads.mjs): when its ratio is above 1 too, the cores are busy.
    const previous = pool.setRowsThreshold(0);
    const sgdArgs = [y, dy, batch * outSize, 1e-9, 1, Infinity, 0];
    const [one, split] = microsPerCall([() => kernels.sgd(...sgdArgs), () => pool.parallelRows('sgd', batch, outSize, sgdArgs)]);
    pool.setRowsThreshold(previous);
    console.log(`${name.padEnd(22)} ${String(batch).padStart(5)}  ${((batch * outSize * 4) / 1024).toFixed(0).padStart(7)}  ${'sgd (control)'.padEnd(14)} ${one.toFixed(1).padStart(8)}  ${split.toFixed(1).padStart(9)}  ${(split / one).toFixed(2)}`);
    [x, dx, y, argmax, dy, g].forEach(release);
  }
}

// The digits convnet's two conv layers (conv 3x3 32 relu on [28, 28, 1]; conv 3x3 64 relu on [13, 13, 32],
// after a 2x2 max-pool) at batch 128 and 32: time of im2col (for one channel the transposed kernel the
// layer uses, with im2colNHWC for comparison), of each GEMM (forward with the bias + relu epilogue; dW =
// colsᵀ dZ in chunks of 1024 rows as the layer does it, and as one GEMM; dCols = dZ Wᵀ), of col2im, of
// the relu slope and the bias gradient's column sums, and of the layer's whole forward and backward pass
// (as in a model: the first layer computes no dx). Effective GFLOPS of the layer (the GEMMs' multiply-adds
// x 2 over the whole pass's time) next to the plain GEMMs' GFLOPS of the same shapes, in the same rounds.
//   npm run build && node bench/conv-kernels.mjs [threads, default 1]
// The machine is shared: every figure is the median of `ROUNDS` rounds, the cases alternating in each round.
import * as sn from '../dist/index.js';
import * as pool from '../dist/backend/pool.js';
import { kernels } from '../dist/backend/wasm.js';
import { allocate, heapF32, release } from '../dist/backend/allocator.js';

const threads = Number(process.argv[2] ?? 1);
await sn.setThreads(threads);
const ROUNDS = 15;
const RELU = 1;

function median(values) {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[sorted.length >> 1];
}

/** Median milliseconds per call of each function, alternating them in ROUNDS rounds of `calls` calls. */
function millisPerCall(fns, calls) {
  const times = fns.map(() => []);
  const round = (fn) => {
    const start = performance.now();
    for (let i = 0; i < calls; i++) fn();
    return (performance.now() - start) / calls;
  };
  fns.forEach(round);
  for (let r = 0; r < ROUNDS; r++) fns.forEach((fn, i) => times[i].push(round(fn)));
  return times.map(median);
}

function filled(floats, seed) {
  const ptr = allocate(floats * 4);
  const heap = heapF32();
  for (let i = 0; i < floats; i++) heap[ptr / 4 + i] = Math.sin(seed + i * 0.37);
  return ptr;
}

const LAYERS = [
  { name: 'conv1 28x28x1 -> 26x26x32', input: [28, 28, 1], filters: 32, firstLayer: true },
  { name: 'conv2 13x13x32 -> 11x11x64', input: [13, 13, 32], filters: 64, firstLayer: false },
];

console.log(`${sn.backendInfo().relaxedSimd ? 'relaxed-SIMD (FMA)' : 'plain SIMD'} build, threads: ${pool.getThreads()}  (${ROUNDS} rounds, medians)`);
const rows = [];
for (const batch of [128, 32]) {
  for (const spec of LAYERS) {
    const [h, w, c] = spec.input;
    const f = spec.filters;
    const layer = sn.layers.conv2d({ inputShape: spec.input, filters: f, kernelSize: 3, activation: 'relu', seed: 1 });
    layer.build(spec.input);
    const [oh, ow] = layer.outputShape;
    const m = batch * oh * ow;
    const k = 9 * c;
    const x = filled(batch * h * w * c, 1);
    const y = allocate(m * f * 4);
    const dy = filled(m * f, 2);
    const dyCopy = allocate(m * f * 4);
    const dx = spec.firstLayer ? 0 : allocate(batch * h * w * c * 4);
    const scratch = allocate(layer.scratchBytes(batch, true));
    const pack = allocate(Math.max(16, layer.packBytes(batch)));
    const dCols = allocate(m * k * 4);
    const dxPlain = allocate(batch * h * w * c * 4);
    const W = layer.weights[0].tensor.ptr;
    const bias = layer.weights[1].tensor.ptr;
    const dW = layer.weights[0].grad.ptr;
    const buffers = { x, y, dy: dyCopy, dx, scratch, pack };
    const geometry = [0, batch, h, w, c, 3, 3, 1, 1, 0, 0, oh, ow];
    // One channel: the layer keeps the im2col matrix transposed, [k, m] (im2colTransposedC1).
    const transposed = c === 1;
    layer.forwardPass(buffers, batch, true, false);
    // dy is restored before each backward: the pass overwrites it with the activation's slope applied.
    const restoreDy = () => heapF32().copyWithin(dyCopy / 4, dy / 4, dy / 4 + m * f);
    const cases = {
      im2colNHWC: () => kernels.im2colNHWC(x, scratch, ...geometry),
      im2col: transposed ? () => kernels.im2colTransposedC1(x, scratch, 0, batch, m, h, w, ...geometry.slice(5)) : () => kernels.im2colNHWC(x, scratch, ...geometry),
      gemmForward: () => pool.parallelGemm(transposed ? 1 : 0, 0, m, f, k, 1, scratch, transposed ? m : k, W, f, 0, y, f, bias, RELU, 0, pack),
      gemmPlain: () => pool.parallelGemm(transposed ? 1 : 0, 0, m, f, k, 1, scratch, transposed ? m : k, W, f, 0, y, f, 0, 0, 0, pack),
      gemmDW: () => {
        // As the layer does it: summed over chunks of 1024 rows.
        for (let r0 = 0; r0 < m; r0 += 1024) {
          const a = transposed ? scratch + r0 * 4 : scratch + r0 * k * 4;
          pool.parallelGemm(transposed ? 0 : 1, 0, k, f, Math.min(1024, m - r0), 1, a, transposed ? m : k, dy + r0 * f * 4, f, r0 === 0 ? 0 : 1, dW, f, 0, 0, 0, pack);
        }
      },
      gemmDWOne: () => pool.parallelGemm(transposed ? 0 : 1, 0, k, f, m, 1, scratch, transposed ? m : k, dy, f, 0, dW, f, 0, 0, 0, pack),
      gemmDCols: () => pool.parallelGemm(0, 1, m, k, f, 1, dy, f, W, f, 0, dCols, k, 0, 0, 0, pack),
      col2im: () => kernels.col2imNHWC(dCols, dxPlain, ...geometry),
      reluSlope: () => kernels.actBackward(RELU, y, dy, dyCopy, m * f, 0),
      colSums: () => kernels.colSums(dy, m, f, layer.weights[1].grad.ptr, 0),
      restoreDy,
      layerForward: () => layer.forwardPass(buffers, batch, true, false),
      layerBackward: () => {
        restoreDy();
        layer.backwardPass(buffers, batch, false);
      },
    };
    const names = Object.keys(cases);
    const calls = Math.max(3, Math.round(2e8 / (2 * m * f * k)));
    // The GEMMs above go through the pool as the layer's do (split with threads > 1); im2col, col2im, the
    // slope and the column sums are bare one-thread kernel calls (the layer splits im2col and col2im too).
    const ms = Object.fromEntries(millisPerCall(names.map((n) => cases[n]), calls).map((t, i) => [names[i], t]));
    const flops = 2 * m * f * k;
    const backwardGemms = spec.firstLayer ? 1 : 2;
    const backwardMs = ms.layerBackward - ms.restoreDy;
    rows.push({
      batch,
      layer: spec.name,
      'im2col ms': ms.im2col,
      'NHWC im2col ms': ms.im2colNHWC,
      'GEMM fwd ms': ms.gemmForward,
      'GEMM dW ms': ms.gemmDW,
      'one-GEMM dW ms': ms.gemmDWOne,
      'GEMM dCols ms': ms.gemmDCols,
      'col2im ms': ms.col2im,
      'relu slope ms': ms.reluSlope,
      'colSums ms': ms.colSums,
      'layer fwd ms': ms.layerForward,
      'layer bwd ms': backwardMs,
      'im2col share of fwd': ms.im2col / ms.layerForward,
      'fwd GFLOPS': flops / ms.layerForward / 1e6,
      'plain GEMM fwd GFLOPS': flops / ms.gemmPlain / 1e6,
      'bwd GFLOPS': (backwardGemms * flops) / backwardMs / 1e6,
      'plain GEMMs bwd GFLOPS': (backwardGemms * flops) / (ms.gemmDW + (spec.firstLayer ? 0 : ms.gemmDCols)) / 1e6,
    });
    for (const p of [x, y, dy, dyCopy, scratch, pack, dCols, dxPlain]) release(p);
    if (dx !== 0) release(dx);
    layer.dispose();
  }
}
const fmt = (v) => (v < 1 ? v.toFixed(3) : v.toFixed(2));
for (const { batch, layer, ...figures } of rows) {
  console.log(`batch ${batch}, ${layer}\n  ${Object.entries(figures).map(([key, v]) => `${key} ${fmt(v)}`).join(', ')}`);
}

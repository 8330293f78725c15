// simdnet's K1 and W1 figures, measured the same way by bench/run.mjs (Node 24, the reference) and by
// bench/runtime-row.mjs (each other runtime, in its own process).
import * as sn from '../dist/index.js';
import { roundSeconds } from './timing.mjs';
import { simdnetModel } from './workloads.mjs';

export const K1_SHAPES = [[64, 784, 128], [512, 512, 512]];

const median = (xs) => [...xs].sort((a, b) => a - b)[xs.length >> 1];

/**
 * GEMM GFLOPS of sn.matmul at m x k x n on `threads` threads, and the same as a percentage of `probe` (the
 * peak probe of the build's instruction mix, bench/peak-probe.mjs; times `threads`): rounds of the GEMM
 * alternate with rounds of the probe, so both see the same machine (other processes come and go here),
 * and the percentage is the median of the per-round ratios. After `warmMs` of both (JIT tiers, workers).
 */
export async function gemmGflops(m, k, n, threads, { warmMs, rounds, roundMs }, probe) {
  await sn.setThreads(threads);
  const a = sn.tensor(Float32Array.from({ length: m * k }, () => Math.random() - 0.5), [m, k]);
  const b = sn.tensor(Float32Array.from({ length: k * n }, () => Math.random() - 0.5), [k, n]);
  const c = sn.zeros([m, n]);
  const gemm = () => sn.matmul(a, b, { out: c });
  const warmUntil = performance.now() + warmMs;
  while (performance.now() < warmUntil) {
    gemm();
    probe?.run();
  }
  const flops = 2 * m * k * n;
  const gflops = [];
  const percents = [];
  for (let r = 0; r < rounds; r++) {
    const g = flops / roundSeconds(gemm, roundMs) / 1e9;
    gflops.push(g);
    if (probe) percents.push((100 * g) / threads / (probe.flops / roundSeconds(probe.run, roundMs / 2) / 1e9));
  }
  for (const t of [a, b, c]) t.dispose();
  return { gflops: median(gflops), percentOfProbe: probe ? median(percents) : NaN };
}

/** The probe (from bench/peak-probe.mjs probeRunners) of the instruction mix this build's GEMM uses. */
export function probeOfBuild(runners) {
  return sn.backendInfo().relaxedSimd ? runners.fma : runners.mulAdd;
}

/** Training samples/s over one epoch (after a warm-up epoch); median of `rounds` epochs (a slow spell of the 2-thread runs can last a second or two). */
export async function simdnetTrain(w, data, threads, rounds) {
  await sn.setThreads(threads);
  const model = simdnetModel(w);
  const options = { epochs: 1, batchSize: w.batchSize, shuffle: true, seed: 1, verbose: 0 };
  await model.fit(data.train.x, data.train.y, options);
  const rates = [];
  for (let r = 0; r < rounds; r++) {
    const h = await model.fit(data.train.x, data.train.y, { ...options, seed: 2 + r });
    rates.push(h.history.samplesPerSecond[0]);
  }
  model.dispose();
  return median(rates);
}

/** "node v24.21.0", "deno 2.9.6" or "bun 1.4.5", and the wasm build this process loaded. */
export function runtimeLabel() {
  const runtime = globalThis.Deno ? `deno ${globalThis.Deno.version.deno}` : globalThis.Bun ? `bun ${globalThis.Bun.version}` : `node ${process.version}`;
  return { runtime, build: sn.backendInfo().relaxedSimd ? 'relaxed SIMD' : 'plain SIMD' };
}

/**
 * Effective GFLOPS of the convnet's Conv2D layers at the workload's batch on `threads` threads, each layer's
 * pass timed as fit runs it (forwardPass / backwardPass over planned buffers: im2col, GEMM with the bias and
 * ReLU epilogue, then dW, db, dX and col2im), next to sn.matmul of the forward's im2col GEMM shape
 * [n*oh*ow, kh*kw*inC] x [kh*kw*inC, outC] in the same rounds. FLOPs count 2 x the convolution's MACs:
 * forward 2*n*oh*ow*kh*kw*inC*outC; backward that for the kernel gradient, plus that again for the input
 * gradient, which the first layer does not compute (fit gives it none). Bias, activation and pooling are
 * not counted (they are in the time: hence "effective").
 */
export async function convLayerGflops(w, threads, { warmMs, rounds, roundMs }) {
  await sn.setThreads(threads);
  const model = simdnetModel(w);
  const rows = w.batchSize;
  const random = (shape) => sn.tensor(Float32Array.from({ length: shape.reduce((a, b) => a * b) }, () => Math.random() - 0.5), shape);
  const figures = [];
  let ordinal = 0;
  for (const [index, layer] of model.layers.entries()) {
    if (layer.className !== 'Conv2D') continue;
    const [kh, kw, inC, outC] = layer.weights[0].tensor.shape;
    const [oh, ow] = layer.outputShape;
    const m = rows * oh * ow;
    const patch = kh * kw * inC;
    const withInputGradient = index > 0;
    const x = random([rows, ...layer.inputShape]);
    const y = sn.zeros([rows, ...layer.outputShape]);
    const dy = random([rows, ...layer.outputShape]);
    const dx = withInputGradient ? sn.zeros([rows, ...layer.inputShape]) : null;
    const floats = (bytes) => sn.zeros([Math.max(1, Math.ceil(bytes / 4))]);
    const scratch = floats(layer.scratchBytes(rows, true));
    const pack = floats(layer.packBytes(rows));
    const buffers = { x: x.ptr, y: y.ptr, dy: dy.ptr, dx: dx?.ptr ?? 0, scratch: scratch.ptr, pack: pack.ptr };
    const a = random([m, patch]);
    const b = random([patch, outC]);
    const c = sn.zeros([m, outC]);
    const passes = {
      forward: () => layer.forwardPass(buffers, rows, true, false),
      backward: () => layer.backwardPass(buffers, rows, false),
      gemm: () => sn.matmul(a, b, { out: c }),
    };
    const warmUntil = performance.now() + warmMs;
    while (performance.now() < warmUntil) Object.values(passes).forEach((pass) => pass());
    const seconds = { forward: [], backward: [], gemm: [] };
    for (let r = 0; r < rounds; r++) for (const [name, pass] of Object.entries(passes)) seconds[name].push(roundSeconds(pass, roundMs));
    const forwardFlops = 2 * m * patch * outC;
    const gflops = (flops, name) => flops / median(seconds[name]) / 1e9;
    figures.push({
      layer: `conv${++ordinal}`,
      input: [...layer.inputShape],
      output: [...layer.outputShape],
      gemmShape: `${m}x${patch}x${outC}`,
      forwardGflops: gflops(forwardFlops, 'forward'),
      backwardGflops: gflops(forwardFlops * (withInputGradient ? 2 : 1), 'backward'),
      backwardComputesInputGradient: withInputGradient,
      gemmGflops: gflops(forwardFlops, 'gemm'),
    });
    for (const t of [x, y, dy, dx, scratch, pack, a, b, c]) t?.dispose();
  }
  model.dispose();
  return figures;
}

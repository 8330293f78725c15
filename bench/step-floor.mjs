// How short W1's and W2's training steps can get: the parts of one step timed alone against the whole step
// and the step time the performance issue's targets allow (the best NumPy/PyTorch step over the target
// ratio: W1 1.3x, W2 1.5x), all in one run. The parts: the step's GEMMs (forward and backward, exact shapes
// and transposes, through the pool as training calls them; the weight gradients with the SGD update and its
// rollback copy in their epilogue, as fit runs plain SGD), and the 64-row gather from the 60000-row set
// (split as a call; on two threads fit gathers the next batch in the background instead, so the whole step
// pays only what that does not hide); then the two in step order, and the whole step (one epoch of fit over
// the steps). The GEMMs' floor is their flops at the FMA probe's speed on every thread: no tile beats a
// register-only loop. What is left of the budget after the parts is what everything else may take (loss,
// metrics, bias sums and updates, activation slopes, JavaScript, handing work to the pool).
//   npm run build && node bench/step-floor.mjs [--threads N] [--rounds 15] [--no-peers]
import * as sn from '../dist/index.js';
import { kernels } from '../dist/backend/wasm.js';
import { allocate, heapF32, heapI32 } from '../dist/backend/allocator.js';
import { gemm, gemmSgdUpdate, gatherRowsAt } from '../dist/kernel-calls.js';
import { ACTIVATION_TABLE } from '../dist/activation-table.js';
import { compileProbes, measureProbes, probeRunners } from './peak-probe.mjs';
import { bestPeer, pythonPeers } from './peers/python.mjs';
import { medianSecondsPerCall } from './timing.mjs';
import { WORKLOADS, loadData, simdnetModel } from './workloads.mjs';

const args = process.argv.slice(2);
const option = (name, fallback) => {
  const i = args.indexOf(name);
  return i < 0 ? fallback : Number(args[i + 1]);
};
const threads = option('--threads', sn.getThreads());
const rounds = option('--rounds', 15);
const TARGETS = { W1: 1.3, W2: 1.5 };
const kindOf = (name) => ACTIVATION_TABLE.find((row) => row.name === name).code;
const RELU = kindOf('relu');
const IDENTITY = kindOf('linear');
await sn.setThreads(threads);

const median = (v) => [...v].sort((a, b) => a - b)[v.length >> 1];
const data = await loadData();
const x = data.train.x;
const rows = x.shape[0];
const inputs = x.shape[1];

/** Float buffer of `count` small deterministic values in the wasm memory. */
function floats(count) {
  const ptr = allocate(count * 4);
  const heap = heapF32();
  for (let i = 0; i < count; i++) heap[ptr / 4 + i] = 0.05 * Math.sin(0.37 * i);
  return ptr;
}

/** The kernel calls of one step of the MLP `sizes` with batch `batch`, on its own buffers. */
function stepParts(sizes, batch) {
  const layers = sizes.slice(1).map((units, l) => ({
    inputs: sizes[l], units,
    w: floats(sizes[l] * units), b: floats(units), saved: floats(sizes[l] * units),
    y: floats(batch * units), dy: floats(batch * units),
  }));
  const xBatch = floats(batch * inputs);
  const order = allocate(rows * 4);
  const heap = heapI32();
  for (let i = 0; i < rows; i++) heap[order / 4 + i] = (i * 7919) % rows; // a fixed scattered order
  let packBytes = 0;
  for (const l of layers) packBytes = Math.max(packBytes, kernels.gemmPackBytes(batch, l.units, l.inputs, 0), kernels.gemmPackBytes(l.inputs, l.units, batch, 0), kernels.gemmPackBytes(batch, l.inputs, l.units, 1));
  const pack = allocate(packBytes + 64);
  const input = (l) => (l === 0 ? xBatch : layers[l - 1].y);
  let start = 0;
  const gather = () => {
    gatherRowsAt(x.ptr, inputs, order + start * 4, batch, xBatch);
    start = start + 2 * batch > rows ? 0 : start + batch;
  };
  // As Dense's backward pass: dx (it reads W) before the weight gradient, which updates W in its epilogue. A
  // learning rate of 0 keeps the weights as they are from round to round; the kernel's work is the same.
  const gemms = () => {
    layers.forEach((l, i) => gemm(0, 0, batch, l.units, l.inputs, input(i), l.inputs, l.w, l.units, l.y, l.units, l.b, i < layers.length - 1 ? RELU : IDENTITY, 0, pack));
    for (let i = layers.length - 1; i >= 0; i--) {
      const l = layers[i];
      if (i > 0) gemm(0, 1, batch, l.inputs, l.units, l.dy, l.units, l.w, l.units, layers[i - 1].dy, l.inputs, 0, IDENTITY, 0, pack);
      gemmSgdUpdate(1, 0, l.inputs, l.units, batch, input(i), l.inputs, l.dy, l.units, 0, l.w, l.units, l.saved, pack);
    }
  };
  const flops = 2 * batch * layers.reduce((sum, l, i) => sum + l.inputs * l.units * (i > 0 ? 3 : 2), 0);
  return { gather, gemms, together: () => { gather(); gemms(); }, flops };
}

const probe = measureProbes(probeRunners(await compileProbes()), medianSecondsPerCall, { warmMs: 500, rounds: 9, roundMs: 100 });
const probeGflops = Number.isFinite(probe.fmaGflops) ? probe.fmaGflops : probe.mulAddGflops;
// K1 runs first in the peer's process as in npm run bench: NumPy's W1 step measured 2.4x slower (67-70k
// against 162-167k samples/s, OpenBLAS 0.3.21, one thread) when W1 ran first, with no other change; which
// memory its arrays land in depends on what the process allocated before (not diagnosed further).
const peers = args.includes('--no-peers') ? { skipped: '--no-peers' } : pythonPeers(threads, false, ['K1', ...Object.keys(TARGETS)]);
console.log(`${threads} thread(s), ${process.version}; probe ${probeGflops.toFixed(1)} GFLOPS per thread; ${data.source}; medians of ${rounds} rounds, microseconds per step`);
if (peers.skipped) console.log(`peers: ${peers.skipped}`);

for (const [id, ratio] of Object.entries(TARGETS)) {
  const w = WORKLOADS[id];
  const parts = stepParts(w.sizes, w.batchSize);
  const model = simdnetModel(w);
  const steps = Math.ceil(rows / w.batchSize);
  const epoch = () => model.fit(x, data.train.y, { epochs: 1, batchSize: w.batchSize, seed: 1 });
  await epoch(); // warm-up: workers, JIT
  const times = { gemms: [], gather: [], together: [], step: [] };
  for (let r = 0; r < rounds; r++) {
    for (const part of ['gemms', 'gather', 'together']) {
      const calls = 200;
      const t0 = performance.now();
      for (let i = 0; i < calls; i++) parts[part]();
      times[part].push(((performance.now() - t0) * 1000) / calls);
    }
    const t0 = performance.now();
    await epoch();
    times.step.push(((performance.now() - t0) * 1000) / steps);
  }
  const us = Object.fromEntries(Object.entries(times).map(([k, v]) => [k, median(v)]));
  const floor = parts.flops / (threads * probeGflops * 1e3);
  const peer = peers.skipped ? { value: NaN, who: 'n/a' } : bestPeer(peers, id);
  const budget = (w.batchSize * 1e6) / peer.value / ratio;
  const f = (v) => v.toFixed(1);
  console.log(`${id} (${w.sizes.join('-')}, batch ${w.batchSize}, ${(parts.flops / 1e6).toFixed(2)} MFLOP per step):`);
  const samplesPerSecond = Math.round((w.batchSize * 1e6) / us.step);
  const allowed = Number.isFinite(budget) ? `best peer ${peer.who} ${Math.round(peer.value)} samples/s: ${ratio}x of it allows ${f(budget)}` : 'no peer figure';
  console.log(`  whole step ${f(us.step)} (${samplesPerSecond} samples/s); ${allowed}`);
  console.log(`  GEMMs with the SGD update ${f(us.gemms)} (${(parts.flops / us.gemms / 1e3).toFixed(1)} GFLOPS; at the probe on ${threads} thread(s): ${f(floor)}), gather ${f(us.gather)}, the two in step order ${f(us.together)}`);
  if (Number.isFinite(budget)) console.log(`  budget left after the two: ${f(budget - us.together)}; after the GEMMs at the probe and the gather: ${f(budget - floor - us.gather)}`);
  model.dispose();
}
data.dispose();
process.exit(0);

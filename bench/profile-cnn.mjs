// Where the time of the digits convnet goes (issue #13's W5 and W6): conv 3x3 32 relu, max-pool 2, conv 3x3
// 64 relu, max-pool 2, flatten, dropout 0.5, dense 10 softmax on [28, 28, 1]. Trains it (batch 128, SGD)
// under V8's sampling profiler and groups the main thread's self time by kernel (wasm functions keep their
// AssemblyScript names) and JavaScript; then the same for inference at batch 1000. Workers' time is not in
// the profile: with --threads 2 the main thread's share shows what the split leaves on the caller.
// Then one more epoch and inference pass with every layer's forwardPass and backwardPass timed (wall
// clock, so the split's gain shows): ms per batch and effective GFLOPS (the layer's multiply-adds x 2).
//   node bench/profile-cnn.mjs [--threads N] [--images N] [--epochs N] [--top N]
// Data: the first --images Fashion-MNIST training images when installed (the issue's data), else the embedded digits.
import * as sn from '../dist/index.js';
import { convnetImages, digitsConvnet } from './cnn-model.mjs';
import { profiled } from './sampling-profile.mjs';

const arg = (name, fallback) => {
  const i = process.argv.indexOf(name);
  return i > 0 ? Number(process.argv[i + 1]) : fallback;
};
const threads = arg('--threads', 1);
const images = arg('--images', 8192);
const epochs = arg('--epochs', 2);
const top = arg('--top', 18);
await sn.setThreads(threads);
const { x, y, source } = await convnetImages(sn, images);
const model = digitsConvnet(sn);

/** The kernel family of a profile entry: GEMM tiles, packing, im2col/col2im, pooling, and the rest by name. */
function familyOf(key) {
  if (!key.startsWith('wasm ')) return key.startsWith('js ') ? 'JavaScript' : 'idle / GC / other';
  const name = key.slice(5).replace(/^\$?assembly\//, '');
  if (/^gemm\/(pack|packRows|packTransposed)/.test(name)) return 'GEMM packing';
  if (name.startsWith('gemm/')) return 'GEMM tiles';
  if (name.startsWith('conv/')) return name.includes('col2im') ? 'col2im' : 'im2col';
  if (name.startsWith('pooling/')) return name.includes('Backward') ? 'max-pool backward' : 'max-pool forward';
  return `other wasm: ${name}`;
}

function report(title, selfTime) {
  const total = [...selfTime.values()].reduce((a, b) => a + b, 0);
  const pct = (t) => `${((100 * t) / total).toFixed(1)}%`;
  const families = new Map();
  for (const [key, t] of selfTime) families.set(familyOf(key), (families.get(familyOf(key)) ?? 0) + t);
  console.log(`${title}\n main-thread self time (${(total / 1e6).toFixed(2)} s sampled), by family:`);
  [...families.entries()].sort((a, b) => b[1] - a[1]).forEach(([k, t]) => console.log(`  ${pct(t).padStart(6)}  ${k}`));
  console.log(' top entries:');
  [...selfTime.entries()].sort((a, b) => b[1] - a[1]).slice(0, top).forEach(([k, t]) => console.log(`  ${pct(t).padStart(6)}  ${k}`));
}

const build = sn.backendInfo().relaxedSimd ? 'relaxed SIMD' : 'plain SIMD';
console.log(`${process.version}, ${build}, threads ${threads}, ${source}`);
await model.fit(x, y, { epochs: 1, batchSize: 128, seed: 1 }); // warm-up: compiles, plans the buffers
const training = await profiled(() => model.fit(x, y, { epochs, batchSize: 128, seed: 2 }));
const rates = training.result.history.samplesPerSecond.map((r) => Math.round(r));
report(`W5 training, batch 128, SGD, ${epochs} epochs: ${rates.join(', ')} samples/s`, training.selfTime);

model.predict(x, { batchSize: 1000 }).dispose(); // warm-up
const inference = await profiled(() => {
  const passes = [];
  for (let pass = 0; pass < 5; pass++) {
    const t0 = performance.now();
    model.predict(x, { batchSize: 1000 }).dispose();
    passes.push(x.shape[0] / ((performance.now() - t0) / 1000));
  }
  return passes;
});
report(`W6 inference, batch 1000, 5 passes: ${inference.result.map((r) => Math.round(r)).join(', ')} samples/s`, inference.selfTime);

/** Multiply-adds per sample of a layer's forward GEMM (0 for layers without one). */
function macsPerSample(layer) {
  if (layer.className === 'Conv2D') {
    const [oh, ow, f] = layer.outputShape;
    return oh * ow * f * layer.kernelSize[0] * layer.kernelSize[1] * layer.inputShape[2];
  }
  return layer.className === 'Dense' ? layer.inputShape[0] * layer.outputShape[0] : 0;
}

/** Wraps every layer's passes with timers; returns the totals (ms) and a function that removes the wrappers. */
function timeLayers() {
  const totals = model.layers.map(() => ({ forward: 0, backward: 0, batches: 0, rows: 0 }));
  model.layers.forEach((layer, i) => {
    const { forwardPass, backwardPass } = layer;
    layer.forwardPass = (b, rows, ...rest) => {
      const t0 = performance.now();
      forwardPass.call(layer, b, rows, ...rest);
      totals[i].forward += performance.now() - t0;
      totals[i].batches++;
      totals[i].rows += rows;
    };
    layer.backwardPass = (...all) => {
      const t0 = performance.now();
      backwardPass.call(layer, ...all);
      totals[i].backward += performance.now() - t0;
    };
  });
  return { totals, restore: () => model.layers.forEach((layer) => { delete layer.forwardPass; delete layer.backwardPass; }) };
}

function layerTable(title, totals, withBackward) {
  console.log(title);
  let sum = 0;
  model.layers.forEach((layer, i) => {
    const t = totals[i];
    const macs = macsPerSample(layer) * t.rows;
    // Backward GEMMs: dW, plus dX unless this is the first layer.
    const backwardMacs = macs * (i === 0 ? 1 : 2);
    const fwd = `fwd ${(t.forward / t.batches).toFixed(2).padStart(6)} ms${macs > 0 ? ` ${((2 * macs) / t.forward / 1e6).toFixed(1).padStart(5)} GFLOPS` : ''.padEnd(13)}`;
    const bwd = withBackward ? `  bwd ${(t.backward / t.batches).toFixed(2).padStart(6)} ms${macs > 0 ? ` ${((2 * backwardMacs) / t.backward / 1e6).toFixed(1).padStart(5)} GFLOPS` : ''}` : '';
    sum += t.forward + t.backward;
    console.log(`  ${layer.name.padEnd(16)} ${fwd}${bwd}`);
  });
  console.log(`  layers' total ${(sum / totals[0].batches).toFixed(2)} ms per batch`);
}

const timedTraining = timeLayers();
const timedHistory = await model.fit(x, y, { epochs: 1, batchSize: 128, seed: 3 });
timedTraining.restore();
layerTable(`W5 per layer, one epoch with timers (${Math.round(timedHistory.history.samplesPerSecond[0])} samples/s):`, timedTraining.totals, true);
const timedInference = timeLayers();
model.predict(x, { batchSize: 1000 }).dispose();
timedInference.restore();
layerTable('W6 per layer, one pass with timers:', timedInference.totals, false);
model.dispose();
x.dispose();
y.dispose();

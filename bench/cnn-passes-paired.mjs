// The digits convnet's conv and pooling layers, pass by pass, in two builds loaded side by side in one
// process (each dist has its own wasm memory and pool): old and new alternate in every round, so a busy
// machine slows both alike. Batch 128 (W5, forward with the training plan's buffers, backward) and 1000
// (W6, inference forward). Prints each build's median ms per pass and the new/old ratio of medians, then
// the same of the minima (on a machine whose other load comes and goes, the best round of each is the
// figure least disturbed, notably with 2 threads, where a descheduled worker stalls the whole call).
//   node bench/cnn-passes-paired.mjs <old dist> <new dist> [--rounds 15] [--threads 1] [--only 'conv1 bwd,conv2 fwd']
import { resolve } from 'node:path';

const args = process.argv.slice(2);
const option = (name, fallback) => {
  const i = args.indexOf(name);
  return i < 0 ? fallback : args[i + 1];
};
const rounds = Number(option('--rounds', '15'));
const threads = Number(option('--threads', '1'));
const only = option('--only', null)?.split(',') ?? null;
const builds = [];
for (const dist of args.slice(0, 2)) {
  const sn = await import(resolve(dist, 'index.js'));
  const { allocate, heapF32 } = await import(resolve(dist, 'backend/allocator.js'));
  await sn.setThreads(threads);
  builds.push({ dist, sn, allocate, heapF32 });
}
const median = (v) => [...v].sort((a, b) => a - b)[v.length >> 1];

/** The layers of the convnet up to the second pool, built, with buffers for `batch` (training or not). */
function passes({ sn, allocate, heapF32 }, batch, training) {
  const specs = [
    ['conv1', sn.layers.conv2d({ inputShape: [28, 28, 1], filters: 32, kernelSize: 3, activation: 'relu', seed: 1 }), [28, 28, 1]],
    ['pool1', sn.layers.maxPooling2d({ poolSize: 2 }), [26, 26, 32]],
    ['conv2', sn.layers.conv2d({ filters: 64, kernelSize: 3, activation: 'relu', seed: 2 }), [13, 13, 32]],
    ['pool2', sn.layers.maxPooling2d({ poolSize: 2 }), [11, 11, 64]],
  ];
  const cases = {};
  for (const [name, layer, shape] of specs) {
    layer.build(shape);
    const inFloats = batch * layer.inputSize;
    const outFloats = batch * layer.outputSize;
    const filled = (floats, seed) => {
      const ptr = allocate(floats * 4);
      const heap = heapF32();
      for (let i = 0; i < floats; i++) heap[ptr / 4 + i] = Math.sin(seed + i * 0.37);
      return ptr;
    };
    const scratchBytes = layer.scratchBytes(batch, training);
    const b = {
      x: filled(inFloats, 1), y: allocate(outFloats * 4), dy: training ? filled(outFloats, 2) : 0,
      dx: training && name !== 'conv1' ? allocate(inFloats * 4) : 0,
      scratch: scratchBytes > 0 ? allocate(scratchBytes) : 0,
      pack: layer.packBytes ? allocate(Math.max(16, layer.packBytes(batch))) : 0,
    };
    const dySaved = training ? allocate(outFloats * 4) : 0;
    if (training) heapF32().copyWithin(dySaved / 4, b.dy / 4, b.dy / 4 + outFloats);
    cases[`${name} fwd`] = () => layer.forwardPass(b, batch, training, false);
    if (training) {
      // The backward overwrites dy (the activation's gradient in place): restored first, in both builds alike.
      cases[`${name} bwd`] = () => {
        heapF32().copyWithin(b.dy / 4, dySaved / 4, dySaved / 4 + outFloats);
        layer.backwardPass(b, batch, false);
      };
    }
  }
  return cases;
}

for (const [batch, training] of [[128, true], [1000, false]]) {
  const perBuild = builds.map((build) => passes(build, batch, training));
  const names = Object.keys(perBuild[0]).filter((name) => only === null || only.includes(name));
  if (names.length === 0) continue;
  const times = perBuild.map(() => Object.fromEntries(names.map((n) => [n, []])));
  const calls = batch === 128 ? 4 : 1;
  for (let r = -1; r < rounds; r++) {
    for (const name of names) {
      for (let k = 0; k < 2; k++) {
        const which = (r + k) % 2 === 0 ? k : 1 - k;
        const t0 = performance.now();
        for (let i = 0; i < calls; i++) perBuild[which][name]();
        if (r >= 0) times[which][name].push((performance.now() - t0) / calls);
      }
    }
  }
  console.log(`batch ${batch} (${training ? 'training' : 'inference'}), threads ${threads}, ${rounds} rounds: medians old ms / new ms (new/old); minima the same`);
  for (const name of names) {
    const [o, n] = times.map((t) => median(t[name]));
    const [oMin, nMin] = times.map((t) => Math.min(...t[name]));
    console.log(`  ${name.padEnd(10)} ${o.toFixed(3).padStart(8)} ${n.toFixed(3).padStart(8)}  (${(n / o).toFixed(3)});  ${oMin.toFixed(3).padStart(8)} ${nMin.toFixed(3).padStart(8)}  (${(nMin / oMin).toFixed(3)})`);
  }
}
process.exit(0);

// Old build against new build on W1-W6, paired in ONE process: both dists are loaded side by side (each has
// its own wasm memory and thread pool) and every round times each workload once in each build, in alternating
// order, so the machine's drift (other processes, clock) hits both alike. Separate processes per run varied by
// up to 1.6x between processes on this 2-core VM; alternation in one process keeps the ratio's spread near
// +-10%. Prints the median and range of the per-round new/old ratios per workload and thread count.
//   node bench/paired-builds.mjs <old dist> <new dist> [--rounds 9] [--threads 1,2] [--only W1,W3] [--images 4096]
// A round: W1-W3 train one epoch on Fashion-MNIST (each build's model keeps training across rounds, after a
// warm-up epoch); W4 predicts the test set in batches of 1000. W5 and W6 are the digits convnet
// (bench/cnn-model.mjs) on the first --images training images: W5 trains one epoch (batch 128, SGD), W6
// predicts them in batches of 1000. Both builds need the API used here (W5/W6: Conv2D).
import { resolve } from 'node:path';
import { convnetImages, digitsConvnet } from './cnn-model.mjs';

const args = process.argv.slice(2);
const option = (name, fallback) => {
  const i = args.indexOf(name);
  return i < 0 ? fallback : args[i + 1];
};
const [oldDist, newDist] = args;
if (newDist === undefined || newDist.startsWith('--')) throw new Error('usage: node bench/paired-builds.mjs <old dist> <new dist> [--rounds 9] [--threads 1,2] [--only W1,W3] [--images 4096]');
const rounds = Number(option('--rounds', '9'));
const threadCounts = option('--threads', '1,2').split(',').map(Number);
const workloads = option('--only', 'W1,W2,W3,W4').split(',');
const images = Number(option('--images', '4096'));

const MLPS = {
  W1: { sizes: [784, 128, 10], learningRate: 0.1, batchSize: 64 },
  W2: { sizes: [784, 10, 10], learningRate: 0.1, batchSize: 64, uniform: true },
  W3: { sizes: [784, 512, 512, 10], learningRate: 0.05, batchSize: 128 },
  W4: { sizes: [784, 128, 10], learningRate: 0.1, batchSize: 1000 },
};

/** The MLP of workload `w` in build `sn` (ReLU hidden layers, softmax output, SGD, seed 1). */
function mlp(sn, w) {
  const layers = [];
  for (let i = 1; i < w.sizes.length; i++) {
    layers.push(sn.layers.dense({
      ...(i === 1 ? { inputShape: [w.sizes[0]] } : {}),
      units: w.sizes[i],
      activation: i === w.sizes.length - 1 ? 'softmax' : 'relu',
      kernelInitializer: w.uniform ? sn.initializers.randomUniform({ min: -0.5, max: 0.5 }) : 'glorotUniform',
    }));
  }
  const model = sn.sequential(layers, { seed: 1 });
  model.compile({ optimizer: sn.optimizers.sgd({ learningRate: w.learningRate }), loss: 'categoricalCrossentropy' });
  return model;
}

/** Samples/s of one timed call of `run` over `rows` samples. */
async function rate(rows, run) {
  const t0 = performance.now();
  await run();
  return rows / ((performance.now() - t0) / 1000);
}

/** A build and its copy of the data. */
async function load(dist) {
  const sn = await import(resolve(dist, 'index.js'));
  const fashion = await sn.datasets.idxFolder('/usr/share/datasets/fashion-mnist');
  const convData = workloads.some((w) => w === 'W5' || w === 'W6') ? await convnetImages(sn, images) : null;
  return { sn, fashion, convData };
}

/** For a loaded build: a function per workload that times one round of it, on new models. */
function workloadRounds({ sn, fashion, convData }) {
  const rounds = {};
  for (const id of workloads) {
    if (id === 'W5' || id === 'W6') {
      const model = digitsConvnet(sn);
      const { x, y } = convData;
      rounds[id] = id === 'W5'
        ? () => rate(x.shape[0], () => model.fit(x, y, { epochs: 1, batchSize: 128, seed: 1 }))
        : () => rate(x.shape[0], () => model.predict(x, { batchSize: 1000 }).dispose());
    } else {
      const w = MLPS[id];
      const model = mlp(sn, w);
      const { x, y } = id === 'W4' ? fashion.test : fashion.train;
      rounds[id] = id === 'W4'
        ? () => rate(x.shape[0], () => model.predict(x, { batchSize: w.batchSize }).dispose())
        : () => rate(x.shape[0], () => model.fit(x, y, { epochs: 1, batchSize: w.batchSize, seed: 1 }));
    }
  }
  return rounds;
}

const builds = { old: await load(oldDist), new: await load(newDist) };
const median = (xs) => [...xs].sort((a, b) => a - b)[xs.length >> 1];
const fmt = (x) => Math.round(x).toLocaleString('en-US');
console.log(`paired in one process: old ${oldDist}, new ${newDist}, ${rounds} rounds, ${process.version}`);
for (const threads of threadCounts) {
  const timed = {};
  for (const [which, build] of Object.entries(builds)) {
    await build.sn.setThreads(threads);
    timed[which] = workloadRounds(build);
  }
  for (const workload of workloads) {
    for (const which of ['old', 'new']) await timed[which][workload](); // warm-up
    const ratios = [];
    const values = { old: [], new: [] };
    for (let r = 0; r < rounds; r++) {
      const got = {};
      for (const which of r % 2 === 0 ? ['old', 'new'] : ['new', 'old']) got[which] = await timed[which][workload]();
      values.old.push(got.old);
      values.new.push(got.new);
      ratios.push(got.new / got.old);
    }
    console.log(`${workload} ${threads} thread${threads > 1 ? 's' : ''}: new/old median ${median(ratios).toFixed(3)} (range ${Math.min(...ratios).toFixed(3)}-${Math.max(...ratios).toFixed(3)}); ` +
      `old median ${fmt(median(values.old))}, new median ${fmt(median(values.new))} samples/s`);
  }
}
process.exit(0);

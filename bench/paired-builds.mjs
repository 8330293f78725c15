// Old build against new build on W1-W6, paired: each round runs every workload once in each build, in
// alternating order, each run in its own process (node bench/paired-builds.mjs <old dist> <new dist>
// [--rounds 5] [--threads 1,2] [--only W1,W3] [--images 4096]). Prints the median and range of new/old per
// workload and thread count. A run: W1-W3 train 2 epochs on Fashion-MNIST (or data of its shape) and report
// the second epoch's samples/s; W4 predicts the test set in batches of 1000, best of 5 passes. W5 and W6 are
// the digits convnet (bench/cnn-model.mjs) on the first --images training images: W5 trains 2 epochs (batch
// 128, SGD) and reports the second; W6 predicts them in batches of 1000, best of 3 passes.
import { execFileSync } from 'node:child_process';
import { resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { convnetImages, digitsConvnet } from './cnn-model.mjs';

const [, script, ...args] = process.argv;
if (args[0] === '--child') {
  const [, dist, workload, threads, images] = args;
  const sn = await import(resolve(dist, 'index.js'));
  await sn.setThreads(Number(threads));
  if (workload === 'W5' || workload === 'W6') {
    const { x, y } = await convnetImages(sn, Number(images));
    const model = digitsConvnet(sn);
    let value = 0;
    if (workload === 'W6') {
      model.predict(x, { batchSize: 1000 }).dispose();
      for (let pass = 0; pass < 3; pass++) {
        const t0 = performance.now();
        model.predict(x, { batchSize: 1000 }).dispose();
        value = Math.max(value, x.shape[0] / ((performance.now() - t0) / 1000));
      }
    } else {
      value = (await model.fit(x, y, { epochs: 2, batchSize: 128, seed: 1 })).history.samplesPerSecond[1];
    }
    console.log(JSON.stringify({ value }));
    process.exit(0);
  }
  const W = {
    W1: { sizes: [784, 128, 10], learningRate: 0.1, batchSize: 64 },
    W2: { sizes: [784, 10, 10], learningRate: 0.1, batchSize: 64, uniform: true },
    W3: { sizes: [784, 512, 512, 10], learningRate: 0.05, batchSize: 128 },
    W4: { sizes: [784, 128, 10], batchSize: 1000 },
  }[workload];
  const ds = await sn.datasets.idxFolder('/usr/share/datasets/fashion-mnist');
  const layers = [];
  for (let i = 1; i < W.sizes.length; i++) {
    layers.push(sn.layers.dense({
      ...(i === 1 ? { inputShape: [W.sizes[0]] } : {}),
      units: W.sizes[i],
      activation: i === W.sizes.length - 1 ? 'softmax' : 'relu',
      kernelInitializer: W.uniform ? sn.initializers.randomUniform({ min: -0.5, max: 0.5 }) : 'glorotUniform',
    }));
  }
  const model = sn.sequential(layers, { seed: 1 });
  model.compile({ optimizer: sn.optimizers.sgd({ learningRate: W.learningRate ?? 0.1 }), loss: 'categoricalCrossentropy' });
  let value;
  if (workload === 'W4') {
    value = 0;
    for (let pass = 0; pass < 5; pass++) {
      const t0 = performance.now();
      model.predict(ds.test.x, { batchSize: W.batchSize }).dispose();
      value = Math.max(value, ds.test.x.shape[0] / ((performance.now() - t0) / 1000));
    }
  } else {
    const history = await model.fit(ds.train.x, ds.train.y, { epochs: 2, batchSize: W.batchSize, seed: 1 });
    value = history.history.samplesPerSecond[1];
  }
  console.log(JSON.stringify({ value }));
  process.exit(0);
}

const [oldDist, newDist] = args;
const option = (name, fallback) => {
  const i = args.indexOf(name);
  return i < 0 ? fallback : args[i + 1];
};
const rounds = Number(option('--rounds', '5'));
const threadCounts = option('--threads', '1,2').split(',').map(Number);
const workloads = option('--only', 'W1,W2,W3,W4').split(',');
const images = option('--images', '4096');
const run = (dist, workload, threads) =>
  JSON.parse(execFileSync(process.execPath, [fileURLToPath(import.meta.url), '--child', dist, workload, String(threads), images], { encoding: 'utf8' }).trim().split('\n').at(-1)).value;
const median = (xs) => [...xs].sort((a, b) => a - b)[xs.length >> 1];
console.log(`paired: old ${oldDist}, new ${newDist}, ${rounds} rounds, ${process.version}`);
for (const threads of threadCounts) {
  for (const workload of workloads) {
    const ratios = [];
    const olds = [];
    const news = [];
    for (let r = 0; r < rounds; r++) {
      const order = r % 2 === 0 ? ['old', 'new'] : ['new', 'old'];
      const got = {};
      for (const which of order) got[which] = run(which === 'old' ? oldDist : newDist, workload, threads);
      olds.push(got.old);
      news.push(got.new);
      ratios.push(got.new / got.old);
    }
    const fmt = (x) => Math.round(x).toLocaleString('en-US');
    console.log(`${workload} ${threads} thread${threads > 1 ? 's' : ''}: new/old median ${median(ratios).toFixed(3)} (range ${Math.min(...ratios).toFixed(3)}-${Math.max(...ratios).toFixed(3)}); ` +
      `old median ${fmt(median(olds))}, new median ${fmt(median(news))} samples/s`);
  }
}
void script;

// Run by scripts/check-package.mjs inside a fresh project that installed the packed tarball: what a user's
// first script does, in whichever runtime runs it (Node, Deno, Bun). Prints one "key: value" line per fact
// for the checker to read, and throws on any failure.
//   --digits        also load the shipped digits (Deno: needs read access to the package's data/digits)
//   --save <dir>    also save the model to <dir> and load it back (Deno: read and write access to <dir>)
const started = performance.now();
const sn = await import('simdnet');
const importMs = performance.now() - started;

const runtime = globalThis.Deno ? `deno ${Deno.version.deno}` : globalThis.Bun ? `bun ${Bun.version}` : `node ${process.version}`;
const args = globalThis.Deno ? Deno.args : process.argv.slice(2);
const say = (key, value) => console.log(`${key}: ${value}`);
say('runtime', runtime);
say('import ms', importMs.toFixed(1));
const { relaxedSimd, sharedMemory } = sn.backendInfo();
say('build', `${relaxedSimd ? 'relaxed' : 'plain'} SIMD, ${sharedMemory ? 'shared' : 'unshared'} memory`);
say('threads', sn.getThreads());

// A tiny fit: XOR with a 2-8-1 network (Adam 0.1, 300 full-batch epochs, fixed seed).
const x = sn.tensor([[0, 0], [0, 1], [1, 0], [1, 1]]);
const y = sn.tensor([[0], [1], [1], [0]]);
const model = sn.sequential([
  sn.layers.dense({ inputShape: [2], units: 8, activation: 'tanh' }),
  sn.layers.dense({ units: 1, activation: 'sigmoid' }),
], { seed: 1 });
model.compile({ optimizer: sn.optimizers.adam({ learningRate: 0.1 }), loss: 'binaryCrossentropy', metrics: ['accuracy'] });
const { history } = await model.fit(x, y, { epochs: 300, batchSize: 4 });
const first = history.loss[0];
const last = history.loss[history.loss.length - 1];
const predicted = Array.from(model.predict(x).data, (p) => (p > 0.5 ? 1 : 0));
if (!(last < 0.1) || predicted.join('') !== '0110') throw new Error(`XOR fit failed: loss ${first} -> ${last}, predictions ${predicted}`);
say('fit', `XOR 2-8-1, 300 epochs: loss ${first.toFixed(4)} -> ${last.toFixed(4)}, predictions ${predicted.join(',')}`);

if (args.includes('--digits')) {
  const t = performance.now();
  const ds = await sn.datasets.digits();
  const ok = ds.train.x.shape.join('x') === '8000x784' && ds.test.x.shape.join('x') === '2000x784' && ds.classNames.length === 10;
  if (!ok) throw new Error(`digits: unexpected shapes ${ds.train.x.shape} / ${ds.test.x.shape}`);
  say('digits', `${ds.train.x.shape[0]} train / ${ds.test.x.shape[0]} test images in ${(performance.now() - t).toFixed(0)} ms`);
  ds.dispose();
}

const saveAt = args.indexOf('--save');
if (saveAt >= 0) {
  const dir = args[saveAt + 1];
  await model.save(dir);
  const loaded = await sn.loadModel(dir);
  const same = Array.from(loaded.predict(x).data).every((v, i) => v === model.predict(x).data[i]);
  if (!same) throw new Error('save/load: the loaded model predicts differently');
  say('save', 'saved and loaded back: identical predictions');
  loaded.dispose();
}
model.dispose();
say('result', 'ok');

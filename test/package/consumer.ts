// Compiled by scripts/check-package.mjs in a fresh project that installed the packed tarball, with strict,
// skipLibCheck false, lib ES2022 only and no @types/node (tsconfig.nodenext.json, tsconfig.bundler.json):
// the published declarations must stand alone. It is type-checked, not run.
import * as sn from 'simdnet';
import { Sequential, Tensor, type History, type ImageDataset } from 'simdnet';

export async function consumer(): Promise<number> {
  const x: Tensor = sn.tensor([[0, 0], [0, 1], [1, 0], [1, 1]]);
  const y = sn.tensor([0, 1, 1, 0], [4, 1]);
  const model: Sequential = sn.sequential([
    sn.layers.dense({ inputShape: [2], units: 8, activation: 'tanh' }),
    sn.layers.dense({ units: 1, activation: 'sigmoid' }),
  ], { seed: 1 });
  model.compile({ optimizer: sn.optimizers.adam({ learningRate: 0.1 }), loss: 'binaryCrossentropy', metrics: ['accuracy'] });
  const history: History = await model.fit(x, y, { epochs: 10, batchSize: 4, callbacks: { onEpochEnd: (epoch, logs) => void [epoch, logs.loss] } });
  // brain.js-style pairs take the options second; tensors must be given x and y.
  await model.fit([{ input: [0, 1], output: [1] }], { epochs: 1 });
  // @ts-expect-error fit(x, options) with a tensor x and no y does not type-check (it used to, and failed at run time)
  await model.fit(x, { epochs: 1 });
  // @ts-expect-error metrics are a union of names: a misspelt one does not type-check
  model.compile({ optimizer: 'adam', loss: 'binaryCrossentropy', metrics: ['acuracy'] });
  const evaluation: { loss: number; accuracy?: number } = model.evaluate(x, y);
  const data: Float32Array = model.predict(x).data;
  const info: sn.BackendInfo = sn.backendInfo();
  await sn.setThreads(2);
  const threads: number = sn.getThreads();
  const svg: string = sn.plot.learningCurve(history.history, { title: 'XOR' });
  const ds: ImageDataset = await sn.datasets.digits();
  const classes: Int32Array = sn.argmaxRows(model.predict(ds.test.x.shape[1] === 2 ? ds.test.x : x));
  const idx: sn.io.IdxFile = sn.io.parseIdx(new Uint8Array([0, 0, 8, 1, 0, 0, 0, 1, 7]), 'one.idx');
  await sn.saveModel(model, 'model');
  const loaded: Sequential = await sn.loadModel('model');
  // toArray() is typed by the rank TypeScript can see: from tensor()'s nesting, or a literal shape.
  const nested: number[][] = sn.tensor([[1, 2], [3, 4]]).toArray();
  const scalar: number = sn.tensor(3).toArray();
  const cube: number[][][] = sn.zeros([2, 3, 4]).toArray();
  const reshaped: number[][] = sn.tensor(new Float32Array(6), [2, 3]).toArray();
  // @ts-expect-error a 2-D tensor's toArray() is not a flat list
  const flat: number[] = sn.tensor([[1, 2]]).toArray();
  const anyRank: Tensor = sn.tensor([[1]]);
  const used: { tensors: number; bytes: number } = sn.memory();
  ds.dispose();
  return nested[0][0] + scalar + cube[0][0][0] + reshaped[1][2] + flat.length + anyRank.size + evaluation.loss + data[0] + Number(info.relaxedSimd) + threads + svg.length + classes[0] + idx.values[0] + loaded.outputUnits + used.bytes;
}

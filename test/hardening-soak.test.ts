// Hardening, long runs and load: a 300-epoch soak (wasm memory exactly constant from epoch to epoch, RSS
// bounded, per-epoch time not creeping), two models trained by interleaved async fits, and predictions
// and evaluations of one model during another's fit: each bit-identical to its solo run.
import { describe, expect, it } from 'vitest';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { setFlagsFromString } from 'node:v8';
import { runInNewContext } from 'node:vm';
import * as sn from '../dist/index.js';
import { recorder } from './hardening/record.js';
import { fillValues, rng } from './hardening/values.js';

const record = recorder('hardening-soak');
const LOAD = 'Long runs and load';
const CONCURRENT = 'models fitted by interleaved async fits (2 mixed models; then 6 at once with random yields) vs their solo runs, bit for bit';

/** A small classification set: `rows` points of `features` values, `classes` labels from a fixed rule. */
function dataset(rows: number, features: number, classes: number, seed: number): { x: InstanceType<typeof sn.Tensor>; y: number[] } {
  const values = fillValues(rows * features, seed, 'unit');
  const y = Array.from({ length: rows }, (_, r) => {
    let s = 0;
    for (let j = 0; j < features; j++) s += values[r * features + j] * (j % 3 === 0 ? 1 : -0.5);
    return Math.min(classes - 1, Math.floor(((Math.tanh(s) + 1) / 2) * classes));
  });
  return { x: sn.tensor(values, [rows, features]), y };
}

// A full garbage collection on demand, so that heap sizes compare live objects, not garbage not yet
// collected (the documented way to reach V8's gc() at run time; vitest does not pass --expose-gc).
setFlagsFromString('--expose-gc');
const collectGarbage = runInNewContext('gc') as () => void;

/** The q-quantile (0..1) of the values, nearest rank. */
const quantile = (v: number[], q: number): number => [...v].sort((a, b) => a - b)[Math.min(v.length - 1, Math.floor(q * v.length))];

describe('soak: 300 epochs of a small model', () => {
  it('memory() is exactly constant from epoch 1 on, the JS heap and RSS stay flat after epoch 1, epoch time does not creep', async () => {
    const { x, y } = dataset(2048, 32, 4, 1);
    const val = dataset(256, 32, 4, 2);
    const model = sn.sequential([
      sn.layers.dense({ inputShape: [32], units: 48, activation: 'relu' }),
      sn.layers.dense({ units: 16, activation: 'tanh' }),
      sn.layers.dense({ units: 4, activation: 'softmax' }),
    ], { seed: 5 });
    model.compile({ optimizer: sn.optimizers.adam({ learningRate: 0.003 }), loss: 'sparseCategoricalCrossentropy', metrics: ['accuracy'] });
    const baseline = sn.memory();
    const bytes: number[] = [];
    const tensors: number[] = [];
    const rss: number[] = [];
    const heap: number[] = [];
    const ms: number[] = [];
    const cpuMs: number[] = [];
    let last = performance.now();
    let lastCpu = process.cpuUsage();
    const history = await model.fit(x, y, {
      epochs: 300, batchSize: 32, seed: 7, validationData: [val.x, val.y],
      callbacks: {
        onEpochEnd: (epoch) => {
          // Predictions inside the loop allocate and free their own buffers each time.
          if (epoch % 10 === 0) model.predict(val.x).dispose();
          if (epoch % 50 === 1 || epoch === 299) {
            collectGarbage();
            heap.push(process.memoryUsage().heapUsed);
          }
          const m = sn.memory();
          bytes.push(m.bytes);
          tensors.push(m.tensors);
          rss.push(process.memoryUsage.rss());
          const now = performance.now();
          ms.push(now - last);
          last = now;
          const cpu = process.cpuUsage(lastCpu);
          cpuMs.push((cpu.user + cpu.system) / 1000);
          lastCpu = process.cpuUsage();
        },
      },
    });
    expect(history.epoch.length).toBe(300);
    expect(history.history.loss.every(Number.isFinite)).toBe(true);
    expect(history.history.loss[299]).toBeLessThan(history.history.loss[0]);
    // Exactly constant: one allocation per fit, none per batch or epoch.
    expect(new Set(bytes.slice(1)).size, 'memory().bytes per epoch').toBe(1);
    expect(new Set(tensors.slice(1)).size, 'memory().tensors per epoch').toBe(1);
    expect(sn.memory()).toEqual(baseline);
    // JS heap after a full collection, epoch 1 to 299: 2 MB would hold a leak of 100 bytes per batch
    // (19,200 batches). RSS also holds garbage awaiting collection and the heap's own growth: a loose bound.
    const heapGrowth = Math.max(...heap) - heap[0];
    const rssGrowth = Math.max(...rss.slice(1)) - rss[1];
    expect(heapGrowth, `heap after GC grew ${(heapGrowth / 2 ** 20).toFixed(2)} MB after epoch 1`).toBeLessThan(2 * 2 ** 20);
    expect(rssGrowth, `RSS grew ${(rssGrowth / 2 ** 20).toFixed(1)} MB after epoch 1`).toBeLessThan(64 * 2 ** 20);
    // Time: epochs 200-299 against epochs 10-109, by the lower quartile (other processes share the 2 cores:
    // they slow some epochs, while creeping work slows them all). CPU time is immune to that sharing, so
    // its bound is tight; wall time, which the sharing inflates, gets a loose one.
    const ratio = (v: number[]) => quantile(v.slice(200), 0.25) / quantile(v.slice(10, 110), 0.25);
    const text = `epoch time ${quantile(ms.slice(10, 110), 0.25).toFixed(2)} -> ${quantile(ms.slice(200), 0.25).toFixed(2)} ms wall, ` +
      `${quantile(cpuMs.slice(10, 110), 0.25).toFixed(2)} -> ${quantile(cpuMs.slice(200), 0.25).toFixed(2)} ms CPU (lower quartiles, epochs 10-109 -> 200-299)`;
    expect(ratio(cpuMs), text).toBeLessThan(1.5);
    expect(ratio(ms), text).toBeLessThan(3);
    record.add('soak', LOAD, `300 epochs (19,200 batches), Adam, validation and predict inside the loop: memory() constant after epoch 1; JS heap after GC +${(heapGrowth / 2 ** 10).toFixed(0)} KB, RSS +${(rssGrowth / 2 ** 20).toFixed(1)} MB; ${text}`, 300);
    model.dispose();
    x.dispose();
    val.x.dispose();
  });
});

describe('concurrent use in one process', () => {
  interface Job {
    build: () => sn.Sequential;
    data: ReturnType<typeof dataset>;
    options: { epochs: number; batchSize: number; seed: number };
  }
  const jobs: Job[] = [
    {
      build: () => {
        const m = sn.sequential([sn.layers.dense({ inputShape: [10], units: 33, activation: 'relu' }), sn.layers.dense({ units: 3, activation: 'softmax' })], { seed: 1 });
        m.compile({ optimizer: sn.optimizers.adam({ learningRate: 0.01 }), loss: 'sparseCategoricalCrossentropy', metrics: ['accuracy'] });
        return m;
      },
      data: dataset(150, 10, 3, 3),
      options: { epochs: 6, batchSize: 16, seed: 11 },
    },
    {
      build: () => {
        const m = sn.sequential([sn.layers.dense({ inputShape: [7], units: 19, activation: 'tanh' }), sn.layers.dense({ units: 13, activation: 'leakyRelu' }), sn.layers.dense({ units: 2, activation: 'sigmoid' })], { seed: 2 });
        m.compile({ optimizer: sn.optimizers.sgd({ learningRate: 0.1, momentum: 0.9, nesterov: true }), loss: 'binaryCrossentropy' });
        return m;
      },
      data: (() => {
        const d = dataset(123, 7, 2, 4);
        return { x: d.x, y: d.y.flatMap((c) => [c, 1 - c]) };
      })(),
      options: { epochs: 5, batchSize: 10, seed: 12 },
    },
  ];
  /** Gives the event loop a turn after each batch so that another fit (or a timer) runs in between. */
  const yieldEachBatch = (log: string[], name: string) => ({ onBatchEnd: (b: number) => new Promise<void>((r) => (log.push(`${name}${b}`), setImmediate(r))) });
  const stateOf = (m: sn.Sequential) => JSON.stringify(m.getWeights().map((w) => Array.from(w)));

  async function solo(job: Job): Promise<{ weights: string; losses: number[] }> {
    const m = job.build();
    const h = await m.fit(job.data.x, job.data.y, { ...job.options, callbacks: yieldEachBatch([], '') });
    const result = { weights: stateOf(m), losses: h.history.loss };
    m.dispose();
    return result;
  }

  it('two interleaved async fits each equal their solo run bit for bit', async () => {
    const alone = await Promise.all(jobs.map(solo));
    const log: string[] = [];
    const models = jobs.map((j) => j.build());
    const histories = await Promise.all(models.map((m, i) => m.fit(jobs[i].data.x, jobs[i].data.y, { ...jobs[i].options, callbacks: yieldEachBatch(log, 'AB'[i]) })));
    // They really interleaved: batches of A and B alternate in the log.
    const switches = log.filter((e, i) => i > 0 && e[0] !== log[i - 1][0]).length;
    expect(switches).toBeGreaterThan(50);
    models.forEach((m, i) => {
      expect(stateOf(m), `model ${'AB'[i]} weights`).toBe(alone[i].weights);
      expect(histories[i].history.loss, `model ${'AB'[i]} losses`).toEqual(alone[i].losses);
      m.dispose();
    });
    record.add('concurrent-fits', LOAD, CONCURRENT, 2);
  });

  it("predictions and evaluations of one model during another's fit equal those made alone", async () => {
    const [trainJob, otherJob] = jobs;
    const other = otherJob.build();
    await other.fit(otherJob.data.x, otherJob.data.y, otherJob.options);
    const expectedPrediction = other.predict(otherJob.data.x);
    const expected = expectedPrediction.data.slice();
    expectedPrediction.dispose();
    const expectedEval = other.evaluate(otherJob.data.x, otherJob.data.y);
    const alone = await solo(trainJob);

    const trained = trainJob.build();
    let checks = 0;
    const mismatches: string[] = [];
    const fit = trained.fit(trainJob.data.x, trainJob.data.y, {
      ...trainJob.options,
      callbacks: {
        onBatchEnd: (b) => new Promise<void>((resolve) => setImmediate(() => {
          // Another model's predict and evaluate, between two batches of this fit.
          const p = other.predict(otherJob.data.x);
          if (p.data.some((v, i) => !Object.is(v, expected[i]))) mismatches.push(`predict after batch ${b}`);
          p.dispose();
          if (JSON.stringify(other.evaluate(otherJob.data.x, otherJob.data.y)) !== JSON.stringify(expectedEval)) mismatches.push(`evaluate after batch ${b}`);
          checks++;
          resolve();
        })),
      },
    });
    await fit;
    expect(mismatches).toEqual([]);
    expect(checks).toBeGreaterThan(30);
    expect(stateOf(trained)).toBe(alone.weights);
    record.add('predict-during-fit', LOAD, 'predict + evaluate of a second model between every batch of a fit: both bit-identical to solo', checks, mismatches);
    trained.dispose();
    other.dispose();
  });

  it('predict, evaluate and saveModel on the model being fitted (checkpoints each epoch) leave the fit bit-identical and see its current weights', async () => {
    const [job] = jobs;
    const alone = await solo(job);
    const model = job.build();
    const dir = mkdtempSync(join(tmpdir(), 'simdnet-checkpoint-'));
    const problems: string[] = [];
    let checkpoints = 0;
    const predictNow = (m: sn.Sequential) => {
      const p = m.predict(job.data.x);
      const out = p.data.slice();
      p.dispose();
      return out;
    };
    await model.fit(job.data.x, job.data.y, {
      ...job.options,
      callbacks: {
        ...yieldEachBatch([], ''),
        onEpochEnd: async (epoch) => {
          // A copy built from the current weights is what predict and a checkpoint must agree with.
          const copy = job.build();
          copy.setWeights(model.getWeights());
          const expected = predictNow(copy);
          const expectedEval = JSON.stringify(copy.evaluate(job.data.x, job.data.y));
          copy.dispose();
          if (predictNow(model).some((v, i) => !Object.is(v, expected[i]))) problems.push(`predict during epoch ${epoch}`);
          if (JSON.stringify(model.evaluate(job.data.x, job.data.y)) !== expectedEval) problems.push(`evaluate during epoch ${epoch}`);
          await sn.saveModel(model, dir);
          const loaded = await sn.loadModel(dir);
          if (predictNow(loaded).some((v, i) => !Object.is(v, expected[i]))) problems.push(`checkpoint of epoch ${epoch}`);
          loaded.dispose();
          checkpoints++;
        },
      },
    });
    rmSync(dir, { recursive: true, force: true });
    if (JSON.stringify(model.getWeights().map((w) => Array.from(w))) !== alone.weights) problems.push('the fit differs from its run without predictions and checkpoints');
    model.dispose();
    record.add('use-during-own-fit', LOAD, 'predict, evaluate, saveModel + loadModel of the model being fitted, at every epoch end: current weights, fit unchanged bit for bit', checkpoints, problems);
    expect(problems).toEqual([]);
    expect(checkpoints).toBe(job.options.epochs);
  });

  it('many fits started at once on different models all match their solo runs (random batch yields)', async () => {
    const count = 6;
    const build = (i: number) => {
      const m = sn.sequential([sn.layers.dense({ inputShape: [10], units: 5 + 7 * i, activation: i % 2 ? 'sigmoid' : 'relu' }), sn.layers.dense({ units: 3, activation: 'softmax' })], { seed: 100 + i });
      m.compile({ optimizer: i % 3 === 0 ? 'adam' : sn.optimizers.sgd({ learningRate: 0.05, momentum: 0.5 }), loss: 'sparseCategoricalCrossentropy' });
      return m;
    };
    const data = jobs[0].data;
    const run = async (i: number, jitter: () => number) => {
      const m = build(i);
      // Some batches yield to the event loop, some do not: a different interleaving than any solo run.
      await m.fit(data.x, data.y, { epochs: 3, batchSize: 8 + i, seed: i, callbacks: { onBatchEnd: () => (jitter() < 0.5 ? new Promise<void>((r) => setTimeout(r, 0)) : undefined) } });
      const s = stateOf(m);
      m.dispose();
      return s;
    };
    const alone: string[] = [];
    for (let i = 0; i < count; i++) alone.push(await run(i, () => 1));
    const next = rng(9);
    const together = await Promise.all(Array.from({ length: count }, (_, i) => run(i, next)));
    const differing = together.flatMap((s, i) => (s === alone[i] ? [] : [`model ${i} differs from its solo run`]));
    record.add('concurrent-fits', LOAD, CONCURRENT, count, differing);
    expect(differing).toEqual([]);
  });
});

// npm run bench: simdnet side by side with TensorFlow.js, NumPy, PyTorch and naive JavaScript, in ONE run so
// the ratios hold. `npm run bench` runs it under Node 24 (the node devDependency), the reference runtime.
//   The peak probe (register-only f32x4 mul+add and FMA throughput, bench/peak-probe.mjs), and every GEMM
//   figure as a percentage of the probe of its build's instruction mix; K1 GEMM GFLOPS; W1-W4
//   training/inference samples/s; W5-W6 the digits convnet (training, inference) and the effective GFLOPS
//   of its conv layers; time to 85% on Fashion-MNIST; peak RSS of W1; K1 and W1 in Node 20 (plain build),
//   Deno and Bun (bench/runtime-row.mjs, each in its own process).
// Writes bench/results.json and the tables between the bench markers in README.md.
//   node bench/run.mjs [--quick] [--only=W5,W6]
//   --quick: shorter timings, for a smoke run. --only: just those parts (K1, W1-W6, T85 for the time to 85%,
//   RSS, runtimes), printed on stdout; results.json and README.md are left alone (their figures come from
//   one full run).
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { cpus, tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import * as sn from '../dist/index.js';
import * as tfjs from './peers/tfjs.mjs';
import { naiveInferSamplesPerSecond, naiveMatmulGflops, naiveTrainSamplesPerSecond } from './peers/naive.mjs';
import { bestPeer, pythonPeers } from './peers/python.mjs';
import { compileProbes, measureProbes, probeRunners } from './peak-probe.mjs';
import { K1_SHAPES, convLayerGflops, gemmGflops, probeOfBuild, runtimeLabel, simdnetTrain } from './simdnet-figures.mjs';
import { CONV_WORKLOADS, WORKLOADS, loadData, simdnetModel } from './workloads.mjs';
import { medianSecondsPerCall } from './timing.mjs';

const quick = process.argv.includes('--quick');
const PARTS = ['K1', 'W1', 'W2', 'W3', 'W4', 'W5', 'W6', 'T85', 'RSS', 'runtimes'];
const onlyArg = process.argv.find((a) => a.startsWith('--only='));
const only = onlyArg === undefined ? null : onlyArg.slice('--only='.length).split(',');
for (const part of only ?? []) {
  if (!PARTS.includes(part)) throw new RangeError(`--only: unknown part ${JSON.stringify(part)} (one of ${PARTS.join(', ')})`);
}
const wanted = (part) => only === null || only.includes(part);
const ALL_THREADS = Math.max(1, cpus().length);
const PEER_SECONDS = quick ? 3 : 15;
// K1 and W4 timings, simdnet's and the peers' alike (bench/timing.mjs).
const TIMING = quick ? { warmMs: 200, rounds: 3, roundMs: 50 } : { warmMs: 1500, rounds: 9, roundMs: 150 };
/** Epochs per simdnet training figure (the median is reported). */
const TRAIN_ROUNDS = quick ? 1 : 5;
/** W5 trains on the first rows of Fashion-MNIST: an epoch of these (50 batches of 128) is one timed round. */
const CONV_TRAIN_ROWS = quick ? 1280 : 6400;
/** tfjs cpu trains the convnet at 1-3 samples/s here: one batch of 128 is timed, and given up after this. */
const CPU_CONV_CAP_SECONDS = quick ? 15 : 90;
const log = (...a) => console.error(...a);

/** Inference samples/s of the workload's model on `threads` threads, one predict call on the first w.batchSize rows of `images`. */
async function simdnetInfer(w, images, threads) {
  await sn.setThreads(threads);
  const model = simdnetModel(w);
  const sample = images.shape.slice(1);
  const x = sn.tensor(images.data.subarray(0, w.batchSize * (images.size / images.shape[0])), [w.batchSize, ...sample]);
  const seconds = medianSecondsPerCall(() => model.predict(x, { batchSize: w.batchSize }).dispose(), TIMING);
  x.dispose();
  model.dispose();
  return w.batchSize / seconds;
}

/** Wall seconds of training (evaluation excluded) until test accuracy >= target, checked every 100 batches. */
async function simdnetSecondsTo(w, data, target, threads) {
  await sn.setThreads(threads);
  const model = simdnetModel(w, { metrics: ['accuracy'] });
  let evalMs = 0;
  let reached = null;
  const t0 = performance.now();
  await model.fit(data.train.x, data.train.y, {
    epochs: 20, batchSize: w.batchSize, shuffle: true, seed: 1, verbose: 0,
    callbacks: {
      onBatchEnd: (batch) => {
        if (reached !== null || (batch + 1) % 100 !== 0) return;
        const e0 = performance.now();
        const { accuracy } = model.evaluate(data.test.x, data.test.y);
        evalMs += performance.now() - e0;
        if (accuracy >= target) {
          reached = { seconds: (performance.now() - t0 - evalMs) / 1000, accuracy };
          model.stopTraining = true;
        }
      },
    },
  });
  model.dispose();
  return reached ?? { seconds: NaN, accuracy: NaN };
}

function peakRssW1() {
  const script = fileURLToPath(new URL('./rss-w1.mjs', import.meta.url));
  const out = execFileSync(process.execPath, [script, '--epochs', quick ? '2' : '4'], { encoding: 'utf8' });
  return JSON.parse(out.trim().split('\n').pop());
}

const { runtime, build } = runtimeLabel();
const results = { date: new Date().toISOString(), runtime, build, cpus: cpus().length, cpu: cpus()[0]?.model, quick };
log(`${runtime}, ${build} build`);

// The peak probe, in this process; compiled once, its bytes also go to the other runtimes' processes.
const probeBinaries = await compileProbes();
const probeRunnersHere = probeRunners(probeBinaries);
results.probes = measureProbes(probeRunnersHere, medianSecondsPerCall, TIMING);
const fmaText = Number.isNaN(results.probes.fmaGflops) ? 'n/a (this runtime does not validate relaxed SIMD)' : `${results.probes.fmaGflops.toFixed(1)} GFLOPS`;
log(`peak probe: f32x4 mul+add ${results.probes.mulAddGflops.toFixed(1)} GFLOPS, FMA ${fmaText}`);

const data = await loadData();
results.data = data.source;
log(`data: ${data.source}`);
const images = { train: data.train.x.data.slice(), test: data.test.x.data.slice() };
const labels = { train: data.train.labels, test: data.test.labels };

// K1: GEMM
if (wanted('K1')) results.K1 = {};
for (const [m, k, n] of wanted('K1') ? K1_SHAPES : []) {
  const key = `${m}x${k}x${n}`;
  const probe = probeOfBuild(probeRunnersHere);
  const { gflops: one, percentOfProbe: percent1 } = await gemmGflops(m, k, n, 1, TIMING, probe);
  const { gflops: all, percentOfProbe: percentAll } = await gemmGflops(m, k, n, ALL_THREADS, TIMING, probe);
  await tfjs.useBackend('wasm');
  const tfWasm = tfjs.matmulGflops(m, k, n, TIMING);
  const naive = naiveMatmulGflops(m, k, n, quick ? 0.3 : 1);
  results.K1[key] = { simdnet1: one, simdnetAll: all, percentOfProbe1: percent1, percentOfProbeAll: percentAll, tfjsWasm: tfWasm, naive };
  log(`K1 ${key}: simdnet 1T ${one.toFixed(1)} (${percent1.toFixed(0)}% of probe), ${ALL_THREADS}T ${all.toFixed(1)} (${percentAll.toFixed(0)}% of ${ALL_THREADS} x probe), tfjs-wasm ${tfWasm.toFixed(1)}, naive ${naive.toFixed(2)} GFLOPS`);
}

// W1-W3: training samples/s
for (const id of ['W1', 'W2', 'W3'].filter(wanted)) {
  const w = WORKLOADS[id];
  const peerArgs = { ...w, images: images.train, labels: labels.train, maxSeconds: PEER_SECONDS };
  const r = {};
  r.simdnet1 = await simdnetTrain(w, data, 1, TRAIN_ROUNDS);
  r.simdnetAll = await simdnetTrain(w, data, ALL_THREADS, TRAIN_ROUNDS);
  await tfjs.useBackend('wasm');
  r.tfjsWasm = tfjs.trainSamplesPerSecond(peerArgs).samplesPerSecond;
  await tfjs.useBackend('cpu');
  r.tfjsCpu = tfjs.trainSamplesPerSecond({ ...peerArgs, maxSeconds: PEER_SECONDS / 3 }).samplesPerSecond;
  r.naive = naiveTrainSamplesPerSecond({ ...peerArgs, maxSeconds: PEER_SECONDS / 3 }).samplesPerSecond;
  results[id] = r;
  log(`${id} ${w.title}: ${Object.entries(r).map(([k, v]) => `${k} ${Math.round(v)}`).join(', ')} samples/s`);
}

// W4: inference
if (wanted('W4')) {
  const w = WORKLOADS.W4;
  const r = {};
  r.simdnet1 = await simdnetInfer(w, data.test.x, 1);
  r.simdnetAll = await simdnetInfer(w, data.test.x, ALL_THREADS);
  await tfjs.useBackend('wasm');
  r.tfjsWasm = tfjs.inferSamplesPerSecond({ ...w, images: images.test, timing: TIMING });
  await tfjs.useBackend('cpu');
  r.tfjsCpu = tfjs.inferSamplesPerSecond({ ...w, images: images.test, timing: { ...TIMING, rounds: 3 } });
  r.naive = naiveInferSamplesPerSecond({ ...w, images: images.test, minSeconds: quick ? 0.3 : 1 });
  results.W4 = r;
  log(`W4: ${Object.entries(r).map(([k, v]) => `${k} ${Math.round(v)}`).join(', ')} samples/s`);
}

// Time to 85% test accuracy with W1
if (wanted('T85')) {
  const w = WORKLOADS.W1;
  const target = 0.85;
  const r = {};
  r.simdnet1 = await simdnetSecondsTo(w, data, target, 1);
  r.simdnetAll = await simdnetSecondsTo(w, data, target, ALL_THREADS);
  await tfjs.useBackend('wasm');
  r.tfjsWasm = tfjs.secondsToAccuracy({ ...w, train: { images: images.train, labels: labels.train }, test: { images: images.test, labels: labels.test }, target, maxSeconds: quick ? 20 : 120 });
  results.timeTo85 = r;
  log(`time to 85%: ${Object.entries(r).map(([k, v]) => `${k} ${v.seconds.toFixed(2)} s`).join(', ')}`);
}

data.dispose();

// W5-W6: the digits convnet, on image-shaped Fashion-MNIST ([n, 28, 28, 1]).
if (wanted('W5') || wanted('W6')) {
  const conv = await loadData({ shape: 'image', limit: { train: CONV_TRAIN_ROWS, test: CONV_WORKLOADS.W6.batchSize } });
  const convImages = { train: conv.train.x.data.slice(), test: conv.test.x.data.slice() };
  if (wanted('W5')) {
    const w = CONV_WORKLOADS.W5;
    const peerArgs = { ...w, images: convImages.train, labels: conv.train.labels };
    const r = {};
    r.simdnet1 = await simdnetTrain(w, conv, 1, TRAIN_ROUNDS);
    r.simdnetAll = await simdnetTrain(w, conv, ALL_THREADS, TRAIN_ROUNDS);
    await tfjs.useBackend('wasm');
    r.tfjsWasm = tfjs.convnetTrainSamplesPerSecond({ ...peerArgs, maxSeconds: PEER_SECONDS });
    // Warmed on a few rows (the same kernels): a full warm-up batch would take as long as the timed one.
    r.tfjsCpu = await tfjs.convnetTrainCapped('cpu', CPU_CONV_CAP_SECONDS, { ...peerArgs, warmRows: 8, maxSeconds: 0 });
    results.W5 = r;
    log(`W5 ${w.title}: ${JSON.stringify(r)}`);
    results.convLayers = { one: await convLayerGflops(w, 1, TIMING), all: await convLayerGflops(w, ALL_THREADS, TIMING) };
    for (const [key, threads] of [['one', 1], ['all', ALL_THREADS]]) {
      for (const c of results.convLayers[key]) {
        log(`W5 ${c.layer} ${threads}T (GEMM ${c.gemmShape}): forward ${c.forwardGflops.toFixed(1)}, backward ${c.backwardGflops.toFixed(1)}, plain GEMM of that shape ${c.gemmGflops.toFixed(1)} GFLOPS`);
      }
    }
  }
  if (wanted('W6')) {
    const w = CONV_WORKLOADS.W6;
    const r = {};
    r.simdnet1 = await simdnetInfer(w, conv.test.x, 1);
    r.simdnetAll = await simdnetInfer(w, conv.test.x, ALL_THREADS);
    await tfjs.useBackend('wasm');
    r.tfjsWasm = tfjs.convnetInferSamplesPerSecond({ ...w, images: convImages.test, timing: TIMING });
    await tfjs.useBackend('cpu');
    // About 8 s per call here: one timed call after a warm-up on a few rows.
    r.tfjsCpu = tfjs.convnetInferSamplesPerSecond({ ...w, images: convImages.test, warmRows: 16, timing: { warmMs: 0, rounds: 1, roundMs: 0 } });
    results.W6 = r;
    log(`W6 ${w.title}: ${JSON.stringify(r)}`);
  }
  conv.dispose();
}

if (wanted('RSS')) {
  results.rssW1 = peakRssW1();
  log(`peak RSS W1: ${JSON.stringify(results.rssW1)}`);
}

// NumPy and PyTorch (Debian's packages), when installed.
const pythonParts = ['K1', 'W1', 'W2', 'W3', 'W4', 'W5', 'W6'].filter(wanted);
if (pythonParts.length > 0) {
  results.python = pythonPeers(ALL_THREADS, quick, only === null ? undefined : pythonParts);
  if (results.python.skipped) log(`NumPy/PyTorch peers skipped: ${results.python.skipped}`);
  else log(`NumPy/PyTorch: ${JSON.stringify({ one: results.python.one, all: results.python.all })}`);
}

// The convnet's targets (issue #13), as ratios of this run's figures.
if (results.W5 || results.W6) {
  const torchBest = (id) => (results.python.skipped ? NaN : bestPeer(results.python, id).value);
  results.convTargets = [
    results.W5 && { ratio: 'W5 simdnet all threads / PyTorch best', value: results.W5.simdnetAll / torchBest('W5'), target: 1.5 },
    results.W6 && { ratio: 'W6 simdnet all threads / tfjs wasm', value: results.W6.simdnetAll / peerRate(results.W6.tfjsWasm), target: 3 },
    results.W6 && { ratio: 'W6 simdnet all threads / PyTorch best', value: results.W6.simdnetAll / torchBest('W6'), target: 2 },
  ].filter(Boolean);
  for (const t of results.convTargets) log(`${t.ratio}: ${targetText(t)}`);
}

// K1 and W1 per runtime: this process (Node 24), then Node 20 (plain build), Deno and Bun each in its own.
if (wanted('runtimes')) {
  results.runtimes = results.K1 && results.W1 ? [{ runtime, build, probes: results.probes, K1: results.K1, W1: { simdnet1: results.W1.simdnet1, simdnetAll: results.W1.simdnetAll } }] : [];
  const probeDir = mkdtempSync(join(tmpdir(), 'simdnet-probes-'));
  writeFileSync(join(probeDir, 'mul-add.wasm'), probeBinaries.mulAdd);
  writeFileSync(join(probeDir, 'fma.wasm'), probeBinaries.fma);
  const script = fileURLToPath(new URL('./runtime-row.mjs', import.meta.url));
  const bin = (path) => fileURLToPath(new URL(`../node_modules/${path}`, import.meta.url));
  const others = [
    ['Node 20', bin('node20/bin/node'), [script]],
    ['Deno', bin('.bin/deno'), ['run', '-A', script]],
    ['Bun', bin('.bin/bun'), [script]],
  ];
  for (const [name, command, args] of others) {
    try {
      const out = execFileSync(command, [...args, probeDir, String(ALL_THREADS), ...(quick ? ['--quick'] : [])], {
        encoding: 'utf8', env: { ...process.env, SIMDNET_RELAXED_SIMD: '' }, stdio: ['ignore', 'pipe', 'inherit'],
      });
      const row = JSON.parse(out.trim().split('\n').pop());
      results.runtimes.push(row);
      log(`${name}: ${JSON.stringify(row)}`);
    } catch (error) {
      results.runtimes.push({ runtime: name, error: String(error.message).split('\n')[0] });
      log(`${name} row failed: ${error.message}`);
    }
  }
  rmSync(probeDir, { recursive: true, force: true });
}

if (only === null) {
  writeFileSync(new URL('./results.json', import.meta.url), JSON.stringify(results, null, 2) + '\n');
  updateReadme(results);
}
console.log(JSON.stringify(results, null, 2));

/** A tfjs convnet entry's samples/s: a number, { samplesPerSecond, ... }, or NaN for an error or a bound. */
function peerRate(v) {
  return typeof v === 'number' ? v : v?.samplesPerSecond ?? NaN;
}

/** "1.23x (target >= 1.5x: missed by 18%)", or "met". */
function targetText({ value, target }) {
  if (!Number.isFinite(value)) return `n/a (target >= ${target}x)`;
  const verdict = value >= target ? 'met' : `missed by ${(100 * (1 - value / target)).toFixed(0)}%`;
  return `${value.toFixed(2)}x (target >= ${target}x: ${verdict})`;
}

function updateReadme(r) {
  const f = (v, d = 0) => (Number.isFinite(v) ? v.toLocaleString('en-US', { maximumFractionDigits: d, minimumFractionDigits: d }) : 'n/a');
  const x = (a, b) => (Number.isFinite(a / b) ? `${(a / b).toFixed(2)}x` : 'n/a');
  const py = r.python;
  const peerCell = (key, shape) => {
    if (py.skipped) return 'n/a';
    const best = bestPeer(py, key, shape);
    return Number.isFinite(best.value) ? `${f(best.value, shape ? 1 : 0)} (${best.who})` : 'n/a';
  };
  // tfjs's convnet entries: a figure, an error (wasm cannot train it), or a bound (cpu gave up after the cap).
  const tfjsConvCell = (v) => {
    if (typeof v === 'number') return f(v, v < 1000 ? 1 : 0);
    if (v.error !== undefined) return `fails: ${v.error.replaceAll('|', '/')}`;
    if (v.capped !== undefined) return `< ${f(v.samplesPerSecondBelow, 1)} (1 batch unfinished in ${v.capped} s)`;
    return `${f(v.samplesPerSecond, 1)} (${v.samples} samples timed)`;
  };
  const torchConvCell = (id) => {
    if (py.skipped) return 'n/a';
    const best = bestPeer(py, id);
    const run = best.who.endsWith(' 1T') ? py.one : py.all;
    const format = Object.entries(run?.torch?.[`${id}formats`] ?? {}).find(([, v]) => v === best.value)?.[0];
    return Number.isFinite(best.value) ? `${f(best.value)} (${best.who}${format ? `, ${format}` : ''})` : 'n/a';
  };
  const pyWhat = py.skipped
    ? `NumPy/PyTorch: skipped (${py.skipped}).`
    : `NumPy ${py.one.numpyVersion} on ${(Array.isArray(py.one.blas) ? py.one.blas.map((b) => `${b.internal_api} ${b.version} (${b.architecture} kernels)`).join(', ') : py.one.blas)}; PyTorch ${py.one.torchVersion ?? 'not installed'}; Python ${py.one.python}; best of 1 and ${py.all.threads} threads.`;
  const lines = [
    `Measured by \`npm run bench\` on ${r.cpus} cores (${r.cpu}), ${r.runtime} (${r.build} build), ${r.date.slice(0, 10)}; data: ${r.data}.`,
    `Every figure comes from the same run. Peak probe in this process: f32x4 mul+add ${f(r.probes.mulAddGflops, 1)} GFLOPS, FMA (relaxed_madd) ${f(r.probes.fmaGflops, 1)} GFLOPS;`,
    `"% probe" is a GEMM's GFLOPS per thread over the one-thread probe of its build (FMA for relaxed SIMD, mul+add for plain), rounds of each alternated, median of the per-round ratios.`,
    `"x tfjs" is simdnet on all ${ALL_THREADS} threads over TensorFlow.js's wasm backend,`,
    `"x peer" over the best of NumPy and PyTorch. ${pyWhat}`,
    '',
    '| workload | simdnet 1 thread | simdnet all threads | tfjs wasm | tfjs cpu | NumPy/PyTorch best | naive JS | x tfjs | x peer |',
    '| --- | --- | --- | --- | --- | --- | --- | --- | --- |',
  ];
  for (const [key, v] of Object.entries(r.K1)) {
    lines.push(`| K1 GEMM ${key} (GFLOPS) | ${f(v.simdnet1, 1)} (${f(v.percentOfProbe1)}% probe) | ${f(v.simdnetAll, 1)} (${f(v.percentOfProbeAll)}% probe) | ${f(v.tfjsWasm, 1)} | | ${peerCell('K1', key)} | ${f(v.naive, 2)} | ${x(v.simdnetAll, v.tfjsWasm)} | ${py.skipped ? 'n/a' : x(v.simdnetAll, bestPeer(py, 'K1', key).value)} |`);
  }
  for (const id of ['W1', 'W2', 'W3', 'W4']) {
    const v = r[id];
    const unit = id === 'W4' ? 'inference samples/s' : 'training samples/s';
    lines.push(`| ${id} ${WORKLOADS[id].title} (${unit}) | ${f(v.simdnet1)} | ${f(v.simdnetAll)} | ${f(v.tfjsWasm)} | ${f(v.tfjsCpu)} | ${peerCell(id)} | ${f(v.naive)} | ${x(v.simdnetAll, v.tfjsWasm)} | ${py.skipped ? 'n/a' : x(v.simdnetAll, bestPeer(py, id).value)} |`);
  }
  for (const id of ['W5', 'W6']) {
    const v = r[id];
    const unit = id === 'W6' ? 'inference samples/s' : 'training samples/s';
    lines.push(`| ${id} ${CONV_WORKLOADS[id].title} (${unit}) | ${f(v.simdnet1)} | ${f(v.simdnetAll)} | ${tfjsConvCell(v.tfjsWasm)} | ${tfjsConvCell(v.tfjsCpu)} | ${torchConvCell(id)} | | ${x(v.simdnetAll, peerRate(v.tfjsWasm))} | ${py.skipped ? 'n/a' : x(v.simdnetAll, bestPeer(py, id).value)} |`);
  }
  const t = r.timeTo85;
  lines.push(`| W1 seconds to 85% test accuracy | ${f(t.simdnet1.seconds, 2)} | ${f(t.simdnetAll.seconds, 2)} | ${f(t.tfjsWasm.seconds, 2)} | | | | ${x(t.tfjsWasm.seconds, t.simdnetAll.seconds)} | |`);
  lines.push(
    '',
    `W5 trains on the first ${f(CONV_TRAIN_ROWS)} Fashion-MNIST training images as 28x28x1 (simdnet: the median of ${TRAIN_ROUNDS} timed passes over them, after a`,
    `warm-up pass), W6 predicts the first 1,000 test images; PyTorch runs NCHW and channels_last and the faster is shown; tfjs cpu trains one batch`,
    `of 128 after a warm-up on 8 rows, given up after ${CPU_CONV_CAP_SECONDS} s ("<": the batch did not finish, which bounds the rate). Convnet targets (issue #13), this run:`,
    r.convTargets.map((c) => `${c.ratio} ${targetText(c)}`).join('; ') + '.',
    '',
    `Effective GFLOPS of simdnet's conv layers in W5 (batch ${CONV_WORKLOADS.W5.batchSize}), each pass as fit runs it, next to sn.matmul of the forward's im2col GEMM shape`,
    '(m x k x n) in the same rounds. FLOPs = 2 x MACs: forward 2·n·oh·ow·kh·kw·inC·outC; backward that for the kernel gradient plus that',
    'again for the input gradient (not computed for the first layer); bias, ReLU, im2col and col2im count in the time, not in the FLOPs.',
    '',
    '| conv layer | GEMM m x k x n | forward 1T / all | backward 1T / all | plain GEMM 1T / all |',
    '| --- | --- | --- | --- | --- |',
  );
  r.convLayers.one.forEach((one, i) => {
    const all = r.convLayers.all[i];
    const io = `${one.input.join('x')} -> ${one.output.join('x')}${one.backwardComputesInputGradient ? '' : ', no input gradient'}`;
    lines.push(`| ${one.layer} (${io}) | ${one.gemmShape} | ${f(one.forwardGflops, 1)} / ${f(all.forwardGflops, 1)} | ${f(one.backwardGflops, 1)} / ${f(all.backwardGflops, 1)} | ${f(one.gemmGflops, 1)} / ${f(all.gemmGflops, 1)} |`);
  });
  lines.push('', `Peak RSS of a W1 training run: ${f(r.rssW1.firstEpochRssMiB, 1)} MiB after epoch 1, ${f(r.rssW1.peakRssMiB, 1)} MiB peak over ${r.rssW1.epochs} epochs (dataset float32 bytes ${f(r.rssW1.datasetMiB, 1)} MiB + 96 MiB = ${f(r.rssW1.datasetMiB + 96, 1)} MiB budget).`);
  lines.push('', 'K1 and W1 per runtime, same run (each runtime loads its default build; % probe against the probe measured in that process):', '');
  lines.push('| runtime | build | probe mul+add / FMA GFLOPS | K1 64x784x128 1T / all | K1 512^3 1T / all | W1 samples/s 1T / all |', '| --- | --- | --- | --- | --- | --- |');
  for (const row of r.runtimes) {
    if (row.error) {
      lines.push(`| ${row.runtime} | failed: ${row.error} | | | | |`);
      continue;
    }
    const k1 = (key) => `${f(row.K1[key].simdnet1, 1)} (${f(row.K1[key].percentOfProbe1)}%) / ${f(row.K1[key].simdnetAll, 1)}`;
    lines.push(`| ${row.runtime} | ${row.build} | ${f(row.probes.mulAddGflops, 1)} / ${f(row.probes.fmaGflops, 1)} | ${k1('64x784x128')} | ${k1('512x512x512')} | ${f(row.W1.simdnet1)} / ${f(row.W1.simdnetAll)} |`);
  }
  const readmeUrl = new URL('../README.md', import.meta.url);
  const readme = readFileSync(readmeUrl, 'utf8');
  const start = '<!-- bench:start -->';
  const end = '<!-- bench:end -->';
  const i = readme.indexOf(start);
  const j = readme.indexOf(end);
  if (i < 0 || j < i) {
    log('README.md has no bench markers; table not written');
    return;
  }
  writeFileSync(readmeUrl, readme.slice(0, i + start.length) + '\n' + lines.join('\n') + '\n' + readme.slice(j));
}

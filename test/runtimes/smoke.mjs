// Smoke test of the built package in one runtime (Node, Deno or Bun; scripts/test-runtimes.mjs runs it in
// each): a GEMM against a JS reference, softmax, memory growth keeping a tensor's data, and worker threads
// giving the same bits as one thread, for GEMM and for an optimizer update. Prints one line per check; throws on the first failure. It never
// calls process.exit: the runner also checks that the script ends by itself while workers exist.
import * as sn from '../../dist/index.js';
import { parallelRows, poolStatus } from '../../dist/backend/pool.js';
import { kernels } from '../../dist/backend/wasm.js';

const runtime = globalThis.Deno ? `deno ${Deno.version.deno}` : globalThis.Bun ? `bun ${Bun.version}` : `node ${process.version}`;

function check(name, ok, detail = '') {
  if (!ok) throw new Error(`smoke (${runtime}): ${name} failed ${detail}`);
  console.log(`  ok  ${name}`);
}

/** Deterministic values in [-1, 1). */
function values(n, seed) {
  const out = new Float32Array(n);
  for (let i = 0; i < n; i++) out[i] = Math.sin(seed * 7.31 + i * 0.37);
  return out;
}

// The build: relaxed SIMD (GEMM on FMA) wherever the runtime validates it, except Bun (measured no faster there).
{
  // (module (func (param v128 v128 v128) (result v128) local.get 0 local.get 1 local.get 2 f32x4.relaxed_madd))
  const probe = new Uint8Array([0x00, 0x61, 0x73, 0x6d, 0x01, 0x00, 0x00, 0x00, 0x01, 0x08, 0x01, 0x60, 0x03, 0x7b, 0x7b, 0x7b, 0x01,
    0x7b, 0x03, 0x02, 0x01, 0x00, 0x0a, 0x0d, 0x01, 0x0b, 0x00, 0x20, 0x00, 0x20, 0x01, 0x20, 0x02, 0xfd, 0x85, 0x02, 0x0b]);
  const expected = WebAssembly.validate(probe) && globalThis.Bun === undefined;
  const { relaxedSimd, sharedMemory } = sn.backendInfo();
  check(`build: ${relaxedSimd ? 'relaxed' : 'plain'} SIMD, ${sharedMemory ? 'shared' : 'unshared'} memory`, relaxedSimd === expected && sharedMemory);
}

// GEMM: 5x7 times 7x3 against float64 sums (7-term dot products of values <= 1: error well under 1e-5).
{
  const [m, k, n] = [5, 7, 3];
  const av = values(m * k, 1);
  const bv = values(k * n, 2);
  const c = sn.matmul(sn.tensor(av, [m, k]), sn.tensor(bv, [k, n]));
  let worst = 0;
  for (let i = 0; i < m; i++) {
    for (let j = 0; j < n; j++) {
      let sum = 0;
      for (let p = 0; p < k; p++) sum += av[i * k + p] * bv[p * n + j];
      worst = Math.max(worst, Math.abs(c.data[i * n + j] - sum));
    }
  }
  check('matmul 5x7 x 7x3 matches a float64 reference within 1e-5', worst <= 1e-5, `(max error ${worst})`);
}

// Softmax: rows sum to 1 and follow exp(x - max) / sum.
{
  const x = sn.tensor([[1, 2, 3], [-1000, 0, 1000]]);
  const y = sn.softmax(x).data;
  const e = [Math.exp(-2), Math.exp(-1), 1];
  const s = e[0] + e[1] + e[2];
  const ok = e.every((v, j) => Math.abs(y[j] - v / s) <= 1e-6) && y[3] === 0 && y[4] === 0 && y[5] === 1;
  check('softmax rows (including +-1000 logits)', ok, `(got ${Array.from(y)})`);
}

// Memory growth: a tensor keeps its values when a large allocation grows the wasm memory.
{
  const kept = sn.tensor(values(1000, 3), [1000]);
  const expected = Array.from(kept.data);
  const before = sn.memory().bytes;
  const big = sn.zeros([16 * 1024 * 1024]); // 64 MiB
  const same = Array.from(kept.data).every((v, i) => Object.is(v, expected[i]));
  check('memory growth keeps tensor data', same && sn.memory().bytes >= before + 64 * 2 ** 20);
  big.dispose();
  kept.dispose();
}

// Threads: 2 threads give the bits of 1 thread, with the workers really computing shares (96x300x200 is
// above the split threshold; a share a busy worker has not claimed in time is computed by the caller).
{
  const a = sn.tensor(values(96 * 300, 4), [96, 300]);
  const b = sn.tensor(values(300 * 200, 5), [300, 200]);
  await sn.setThreads(1);
  const one = sn.matmul(a, b).data.slice();
  await sn.setThreads(2);
  const startShares = poolStatus().workerShares;
  let identical = true;
  // On a busy machine the pool may pause splitting for a while (its oversubscription guard): keep trying.
  const deadline = performance.now() + 20_000;
  while (poolStatus().workerShares < startShares + 5 && performance.now() < deadline) {
    const two = sn.matmul(a, b);
    identical &&= two.data.every((v, j) => Object.is(v, one[j]));
    two.dispose();
    await new Promise((resolve) => setTimeout(resolve, 1));
  }
  for (const t of [a, b]) t.dispose();
  const status = poolStatus();
  check(`threads: 2 threads bit-identical to 1 (${status.workerShares - startShares} shares by workers)`,
    identical && status.workerShares >= startShares + 5 && sn.getThreads() === 2);
}

// Row kernels on 2 threads: an SGD update of a 784x128 weight matrix (above the row threshold) gives the bits
// of one thread, and a non-finite weight in the worker's rows (the last) is reported back from the worker.
{
  const [rows, cols] = [784, 128];
  const n = rows * cols;
  const w = sn.tensor(values(n, 6), [rows, cols]);
  const g = sn.tensor(values(n, 7), [rows, cols]);
  const start = w.data.slice();
  const update = (run) => {
    w.data.set(start);
    g.data[n - 1] = 0.5;
    const finite = run();
    const bits = w.data.slice();
    g.data[n - 1] = 1e38; // w - 1e4 * 1e38 overflows to -Inf
    w.data.set(start);
    const flagged = run(1e4) === 1;
    return { bits, finite: finite === 0, flagged };
  };
  const single = update((lr = 0.01) => kernels.sgd(w.ptr, g.ptr, n, lr, 1, Infinity, 0));
  const startShares = poolStatus().workerShares;
  let same = true;
  const deadline = performance.now() + 20_000;
  while (poolStatus().workerShares < startShares + 10 && performance.now() < deadline) {
    const split = update((lr = 0.01) => parallelRows('sgd', rows, cols, [w.ptr, g.ptr, n, lr, 1, Infinity, 0]));
    same &&= split.finite && split.flagged && split.bits.every((v, j) => Object.is(v, single.bits[j]));
    await new Promise((resolve) => setTimeout(resolve, 1));
  }
  for (const t of [w, g]) t.dispose();
  const shares = poolStatus().workerShares - startShares;
  check(`threads: SGD update split bit-identical, non-finite flag from the worker (${shares} shares by workers)`,
    single.finite && single.flagged && same && shares >= 10);
}
console.log(`smoke: all checks passed (${runtime})`);

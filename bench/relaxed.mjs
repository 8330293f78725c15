// Plain vs relaxed SIMD (GEMM on f32x4.relaxed_madd, i.e. FMA) in each runtime: the measurement behind
// src/backend/wasm.ts's choice of build. One thread, GEMM GFLOPS at 64x784x128 and 512^3, median of 15.
// Every (runtime, build) runs in its own process, one after another, in this one run.
//   node bench/relaxed.mjs            (parent: spawns node 24, 22 and 20 [with --experimental-wasm-relaxed-simd], deno, bun)
import { spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const SHAPES = [[64, 784, 128, 200], [512, 512, 512, 4]];

async function child() {
  const sn = await import('../dist/index.js');
  await sn.setThreads(1);
  const out = { build: sn.backendInfo().relaxedSimd ? 'relaxed' : 'plain', gflops: [] };
  for (const [m, k, n, reps] of SHAPES) {
    const a = sn.tensor(Float32Array.from({ length: m * k }, (_, i) => Math.sin(i)), [m, k]);
    const b = sn.tensor(Float32Array.from({ length: k * n }, (_, i) => Math.cos(i)), [k, n]);
    const c = sn.zeros([m, n]);
    const call = () => sn.matmul(a, b, { out: c });
    for (let i = 0; i < 5 * reps; i++) call();
    const ms = [];
    for (let r = 0; r < 15; r++) {
      const t0 = performance.now();
      for (let i = 0; i < reps; i++) call();
      ms.push((performance.now() - t0) / reps);
    }
    ms.sort((x, y) => x - y);
    out.gflops.push((2 * m * n * k) / (ms[7] * 1e6));
    for (const t of [a, b, c]) t.dispose();
  }
  console.log(JSON.stringify(out));
}

function parent() {
  const root = join(dirname(fileURLToPath(import.meta.url)), '..');
  const self = join('bench', 'relaxed.mjs');
  const bin = (name) => join(root, 'node_modules', '.bin', name);
  const node = (pkg) => join(root, 'node_modules', pkg, 'bin', 'node');
  const runs = [
    ['node 24', node('node'), [self]],
    ['node 22', node('node22'), [self]],
    ['node 20', node('node20'), [self]],
    ['node 20 --experimental-wasm-relaxed-simd', node('node20'), ['--experimental-wasm-relaxed-simd', self]],
    ['deno', bin('deno'), ['run', '--allow-env', self]],
    ['bun', bin('bun'), [self]],
  ];
  console.log(`${'runtime'.padEnd(38)} ${'build'.padEnd(8)} ${SHAPES.map(([m, k, n]) => `${m}x${k}x${n}`.padStart(12)).join(' ')}  (GFLOPS, 1 thread)`);
  for (const [name, command, args] of runs) {
    if (!existsSync(command)) continue;
    for (const relaxed of ['0', '1']) {
      const r = spawnSync(command, args, { cwd: root, encoding: 'utf8', env: { ...process.env, SIMDNET_RELAXED_SIMD: relaxed, SIMDNET_BENCH_CHILD: '1' } });
      const line = r.stdout.trim().split('\n').pop();
      if (r.status !== 0 || !line?.startsWith('{')) {
        console.log(`${name.padEnd(38)} ${(relaxed === '1' ? 'relaxed' : 'plain').padEnd(8)} not available: ${(r.stderr + r.stdout).split('\n').find((l) => /^\w*Error: /.test(l))}`);
        continue;
      }
      const { build, gflops } = JSON.parse(line);
      console.log(`${name.padEnd(38)} ${build.padEnd(8)} ${gflops.map((g) => g.toFixed(1).padStart(12)).join(' ')}`);
    }
  }
}

const isChild = (globalThis.Deno ? Deno.env.get('SIMDNET_BENCH_CHILD') : process.env.SIMDNET_BENCH_CHILD) === '1';
if (isChild) await child();
else parent();

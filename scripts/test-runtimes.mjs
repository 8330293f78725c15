// Runs test/runtimes/smoke.mjs on the built package under Node 20, 22 and 24, Deno and Bun (the copies the
// devDependencies install in node_modules: node20, node22, node, deno, bun), with no Deno permission flags: the wasm is embedded and workers are data: URLs.
// A runtime passes when the script prints its success line and exits by itself with status 0 within the
// time limit; one that has to be killed failed (e.g. a worker kept it alive). Exits 1 if any runtime failed.
import { spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const smoke = join('test', 'runtimes', 'smoke.mjs');
const bin = (name) => join(root, 'node_modules', '.bin', name);
const TIME_LIMIT_MS = 120_000;

// `build` is the build each runtime must load by default: Deno 2 and Node >= 22 run relaxed SIMD without
// flags, Node 20 does not, and Bun keeps the plain build (relaxed measured no faster there).
const nodeBinary = (pkg) => join(root, 'node_modules', pkg, 'bin', 'node');
const runtimes = [
  { name: 'node 20', command: nodeBinary('node20'), args: [smoke], build: 'plain' },
  { name: 'node 22', command: nodeBinary('node22'), args: [smoke], build: 'relaxed' },
  { name: 'node 24', command: nodeBinary('node'), args: [smoke], build: 'relaxed' },
  { name: 'deno', command: bin('deno'), args: ['run', smoke], build: 'relaxed' },
  { name: 'bun', command: bin('bun'), args: [smoke], build: 'plain' },
];

function run({ command, args, build }) {
  return new Promise((resolve) => {
    if (!existsSync(command)) {
      resolve({ ok: false, reason: `${command} not found (run npm install)`, output: '' });
      return;
    }
    const started = performance.now();
    // The default build is checked, so no SIMDNET_RELAXED_SIMD from the caller's environment.
    const env = { ...process.env, NO_COLOR: '1' };
    delete env.SIMDNET_RELAXED_SIMD;
    const child = spawn(command, args, { cwd: root, env });
    let output = '';
    child.stdout.on('data', (chunk) => (output += chunk));
    child.stderr.on('data', (chunk) => (output += chunk));
    let timedOut = false;
    const timer = setTimeout(() => {
      timedOut = true;
      child.kill('SIGKILL');
    }, TIME_LIMIT_MS);
    child.on('error', (error) => {
      clearTimeout(timer);
      resolve({ ok: false, reason: error.message, output });
    });
    child.on('close', (code, signal) => {
      clearTimeout(timer);
      const seconds = ((performance.now() - started) / 1000).toFixed(1);
      if (timedOut) resolve({ ok: false, reason: `did not exit by itself within ${TIME_LIMIT_MS / 1000} s`, output });
      else if (code !== 0) resolve({ ok: false, reason: `exited with ${signal ?? `status ${code}`} after ${seconds} s`, output });
      else if (!output.includes('smoke: all checks passed')) resolve({ ok: false, reason: 'exited 0 without its success line', output });
      else if (!output.includes(`build: ${build} SIMD`)) resolve({ ok: false, reason: `did not load the ${build} SIMD build`, output });
      else resolve({ ok: true, reason: `${seconds} s, exited by itself`, output });
    });
  });
}

let failed = 0;
// One at a time: the smoke's thread check wants the cores.
for (const runtime of runtimes) {
  const result = await run(runtime);
  console.log(`${result.ok ? 'PASS' : 'FAIL'} ${runtime.name}: ${result.reason}`);
  if (!result.ok) {
    failed++;
    console.log(result.output.replace(/^/gm, `  ${runtime.name} | `));
  }
}
console.log(failed === 0 ? 'runtimes: all passed' : `runtimes: ${failed} of ${runtimes.length} failed`);
process.exitCode = failed === 0 ? 0 : 1;

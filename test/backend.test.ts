// Which wasm build loads (src/backend/wasm.ts): the relaxed-SIMD build wherever the runtime validates it
// (Node >= 22 without a flag, Node 20 only with --experimental-wasm-relaxed-simd), SIMDNET_RELAXED_SIMD=0/1
// overriding (=1 sets that V8 flag in Node 20), a clear error for anything else. The Node 20 cases run the
// `node20` devDependency's binary; the test projects (vitest.config.ts) pick the build with the variable.
import { spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import * as sn from '../dist/index.js';

const distIndex = new URL('../dist/index.js', import.meta.url).href;
const RELAXED_FLAG = '--experimental-wasm-relaxed-simd';
const NODE20 = fileURLToPath(new URL('../node_modules/node20/bin/node', import.meta.url));
const nodeMajor = Number(process.versions.node.split('.')[0]);

// (module (func (param v128 v128 v128) (result v128) local.get 0 local.get 1 local.get 2 f32x4.relaxed_madd))
const RELAXED_PROBE = new Uint8Array([
  0x00, 0x61, 0x73, 0x6d, 0x01, 0x00, 0x00, 0x00, 0x01, 0x08, 0x01, 0x60, 0x03, 0x7b, 0x7b, 0x7b, 0x01, 0x7b,
  0x03, 0x02, 0x01, 0x00, 0x0a, 0x0d, 0x01, 0x0b, 0x00, 0x20, 0x00, 0x20, 0x01, 0x20, 0x02, 0xfd, 0x85, 0x02, 0x0b,
]);
const runtimeHasRelaxed = WebAssembly.validate(RELAXED_PROBE);

/**
 * backendInfo() (or the error) of a fresh Node process with these flags and SIMDNET_RELAXED_SIMD, after
 * `before` (a statement run before the import).
 */
function childBackend(
  flags: string[], relaxedVariable?: string, before = '', node = process.execPath,
): { info?: { relaxedSimd: boolean }; error?: string } {
  const env = { ...process.env };
  delete env.SIMDNET_RELAXED_SIMD;
  if (relaxedVariable !== undefined) env.SIMDNET_RELAXED_SIMD = relaxedVariable;
  const script = `${before}; import(${JSON.stringify(distIndex)}).then((sn) => console.log(JSON.stringify(sn.backendInfo())), (e) => console.log(JSON.stringify({ error: e.message })))`;
  const r = spawnSync(node, [...flags, '--input-type=module', '-e', script], { env, encoding: 'utf8', timeout: 60_000 });
  const parsed = JSON.parse(r.stdout.trim().split('\n').pop()!);
  return parsed.error !== undefined ? { error: parsed.error } : { info: parsed };
}

describe('build selection', () => {
  it('SIMDNET_RELAXED_SIMD=1 without the flag: workers run the relaxed build too, with the bits of one thread', () => {
    const env = { ...process.env, SIMDNET_RELAXED_SIMD: '1' };
    const script = `
      const sn = await import(${JSON.stringify(distIndex)});
      const pool = await import(${JSON.stringify(new URL('../dist/backend/pool.js', import.meta.url).href)});
      const values = (n, seed) => Float32Array.from({ length: n }, (_, i) => Math.sin(seed + i * 0.37));
      const a = sn.tensor(values(64 * 784, 1), [64, 784]);
      const b = sn.tensor(values(784 * 128, 2), [784, 128]);
      await sn.setThreads(1);
      const one = sn.matmul(a, b).data.slice();
      await sn.setThreads(2);
      let same = true;
      const deadline = performance.now() + 20000;
      while (pool.poolStatus().workerShares < 3 && performance.now() < deadline) {
        const two = sn.matmul(a, b);
        same &&= two.data.every((v, i) => Object.is(v, one[i]));
        two.dispose();
        await new Promise((resolve) => setTimeout(resolve, 1));
      }
      console.log(JSON.stringify({ relaxed: sn.backendInfo().relaxedSimd, same, shares: pool.poolStatus().workerShares }));`;
    const r = spawnSync(process.execPath, ['--input-type=module', '-e', script], { env, encoding: 'utf8', timeout: 60_000 });
    expect(r.stderr).toBe('');
    const result = JSON.parse(r.stdout.trim());
    expect(result.relaxed).toBe(true);
    expect(result.same).toBe(true);
    expect(result.shares).toBeGreaterThanOrEqual(3);
  });

  it('each test project runs the build it is named after', () => {
    expect(sn.backendInfo().relaxedSimd).toBe(process.env.SIMDNET_TEST_PROJECT === 'relaxed-simd');
    expect(runtimeHasRelaxed).toBe(true);
  });

  it('loads the relaxed build by default where the runtime validates it without a flag (Node >= 22)', () => {
    expect(childBackend([]).info?.relaxedSimd).toBe(nodeMajor >= 22);
    expect(childBackend([], '0').info?.relaxedSimd).toBe(false);
  });

  it('uses shared memory (worker threads) in Node', () => {
    expect(sn.backendInfo().sharedMemory).toBe(true);
  });

  it('follows SIMDNET_RELAXED_SIMD in Node 20 and names what is wrong with it', () => {
    expect(existsSync(NODE20), `${NODE20} (the node20 devDependency; run npm install)`).toBe(true);
    const node20 = (flags: string[], variable?: string, before = '') => childBackend(flags, variable, before, NODE20);
    expect(node20([RELAXED_FLAG]).info?.relaxedSimd).toBe(true);
    expect(node20([RELAXED_FLAG], '0').info?.relaxedSimd).toBe(false);
    expect(node20([RELAXED_FLAG], '1').info?.relaxedSimd).toBe(true);
    expect(node20([]).info?.relaxedSimd).toBe(false);
    // Without the flag, =1 turns V8's flag on (Node 20); a runtime that cannot do that gets a clear error.
    expect(node20([], '1').info?.relaxedSimd).toBe(true);
    expect(node20([], '1', 'delete process.getBuiltinModule').error).toMatch(/SIMDNET_RELAXED_SIMD=1, but this runtime does not support relaxed SIMD/);
    expect(node20([RELAXED_FLAG], 'yes').error).toMatch(/SIMDNET_RELAXED_SIMD="yes": expected 0 \(plain SIMD\) or 1 \(relaxed SIMD\)/);
  });
});

import { defineConfig } from 'vitest/config';

/** Suites that also run against the relaxed-SIMD build (GEMM on FMA): Node 20 loads it only with this flag. */
const RELAXED_SUITES = ['test/backend.test.ts', 'test/gemm.test.ts', 'test/threads.test.ts', 'test/hardening-kernels.test.ts', 'test/nn-fit.test.ts', 'test/nn-gradcheck.test.ts'];

export default defineConfig({
  test: {
    testTimeout: 120_000,
    hookTimeout: 120_000,
    // Kernel tests are CPU-bound and the CI machine has 2 cores.
    fileParallelism: true,
    maxWorkers: 2,
    projects: [
      { extends: true, test: { name: 'plain-simd', include: ['test/**/*.test.ts'], env: { SIMDNET_TEST_PROJECT: 'plain-simd' } } },
      {
        extends: true,
        test: {
          name: 'relaxed-simd',
          include: RELAXED_SUITES,
          execArgv: ['--experimental-wasm-relaxed-simd'],
          env: { SIMDNET_TEST_PROJECT: 'relaxed-simd' },
        },
      },
    ],
  },
});

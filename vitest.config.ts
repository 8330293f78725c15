import { defineConfig } from 'vitest/config';

// `npm test` runs this under Node 24 (the `node` devDependency's binary comes first on npm's PATH), where
// relaxed SIMD needs no flag and is the build users get: every suite runs on it. The kernel and training
// suites also run on the plain-SIMD build, the one Node 20 (without opt-in) and Bun load.
// SIMDNET_RELAXED_SIMD picks the build either way (=1 also sets Node 20's V8 flag, src/backend/wasm.ts).
const nodeMajor = Number(process.versions.node.split('.')[0]);
if (process.env.npm_lifecycle_event === 'test' && nodeMajor !== 24) {
  throw new Error(`npm test runs vitest under Node 24 (the node devDependency), got Node ${process.versions.node}: run npm install`);
}
const PLAIN_SUITES = ['test/backend.test.ts', 'test/gemm.test.ts', 'test/threads.test.ts', 'test/hardening-kernels.test.ts', 'test/nn-fit.test.ts', 'test/nn-gradcheck.test.ts', 'test/pooling.test.ts', 'test/conv2d.test.ts'];

export default defineConfig({
  test: {
    testTimeout: 120_000,
    hookTimeout: 120_000,
    // Kernel tests are CPU-bound and the CI machine has 2 cores.
    fileParallelism: true,
    maxWorkers: 2,
    projects: [
      {
        extends: true,
        test: { name: 'relaxed-simd', include: ['test/**/*.test.ts'], env: { SIMDNET_TEST_PROJECT: 'relaxed-simd', SIMDNET_RELAXED_SIMD: '1' } },
      },
      {
        extends: true,
        test: { name: 'plain-simd', include: PLAIN_SUITES, env: { SIMDNET_TEST_PROJECT: 'plain-simd', SIMDNET_RELAXED_SIMD: '0' } },
      },
    ],
  },
});

// The peak probe: what this runtime issues of the two instruction mixes a wasm GEMM can be built from,
// register-only (no loads), compiled here with asc, in the calling process so GEMM figures can be given as
// a percentage of the matching probe measured alongside them.
//   mul+add: fixed-width SIMD has no FMA, so 4 multiply-adds cost an f32x4.mul and an f32x4.add. The probe
//            runs 6 independent mul chains and 6 independent add chains (12 accumulators + 2 operands fit
//            the 15 xmm registers V8 allocates) and counts 4 flops per instruction.
//   FMA:     f32x4.relaxed_madd (one FMA where the CPU has it) on 12 independent chains, more than
//            latency x ports (4 x 2) so the pipes never wait; 8 flops per instruction.
// The operands are parameters, so V8 cannot fold them into constants inside the loop.

const CHAINS = 12;
const UNROLL = 4;
const ITERATIONS = 20_000;

const chains = (n, line) => Array.from({ length: n }, (_, i) => line(i)).join(' ');
const MUL_ADD_SOURCE = `
export function probe(iterations: i32, step: f32, factor: f32): f32 {
  const d = f32x4.splat(step), g = f32x4.splat(factor);
  ${chains(CHAINS / 2, (i) => `let a${i} = f32x4.splat(${i + 1}), p${i} = f32x4.splat(${i + 1});`)}
  for (let i = 0; i < iterations; i++) {
    ${Array.from({ length: UNROLL }, () => chains(CHAINS / 2, (i) => `a${i} = f32x4.add(a${i}, d); p${i} = f32x4.mul(p${i}, g);`)).join('\n    ')}
  }
  let s = f32x4.splat(0);
  ${chains(CHAINS / 2, (i) => `s = f32x4.add(s, f32x4.add(a${i}, p${i}));`)}
  return f32x4.extract_lane(s, 0);
}`;
const FMA_SOURCE = `
export function probe(iterations: i32, step: f32, factor: f32): f32 {
  const d = f32x4.splat(step), g = f32x4.splat(factor);
  ${chains(CHAINS, (i) => `let a${i} = f32x4.splat(${i + 1});`)}
  for (let i = 0; i < iterations; i++) {
    ${Array.from({ length: UNROLL }, () => chains(CHAINS, (i) => `a${i} = f32x4.relaxed_madd(a${i}, g, d);`)).join('\n    ')}
  }
  let s = f32x4.splat(0);
  ${chains(CHAINS, (i) => `s = f32x4.add(s, a${i});`)}
  return f32x4.extract_lane(s, 0);
}`;

/** Flops of one probe call: instructions x lanes x flops per lane. */
const MUL_ADD_FLOPS = CHAINS * UNROLL * ITERATIONS * 4;
const FMA_FLOPS = CHAINS * UNROLL * ITERATIONS * 4 * 2;

/** Compiles both probes with asc (in Node): { mulAdd, fma } wasm bytes. */
export async function compileProbes() {
  // Imported here, not at the top: the other runtimes only instantiate the bytes (probeRunners).
  const { default: asc } = await import('assemblyscript/asc');
  const compile = async (source, enable) => {
    const { error, binary, stderr } = await asc.compileString(source, { optimizeLevel: 3, runtime: 'stub', enable, noAssert: true });
    if (error) throw new Error(`peak probe did not compile: ${stderr.toString()}`);
    return binary;
  };
  return { mulAdd: await compile(MUL_ADD_SOURCE, ['simd']), fma: await compile(FMA_SOURCE, ['simd', 'relaxed-simd']) };
}

/**
 * The probes as functions that run one call each, with the flops of a call: { mulAdd, fma }, fma null where
 * this runtime does not validate relaxed SIMD (Node 20 without its flag). Works in Node, Deno and Bun.
 */
export function probeRunners(binaries) {
  const runner = (bytes, flops) => {
    const { probe } = new WebAssembly.Instance(new WebAssembly.Module(bytes), {}).exports;
    return { run: () => probe(ITERATIONS, 1e-3, 1.0000001), flops };
  };
  return { mulAdd: runner(binaries.mulAdd, MUL_ADD_FLOPS), fma: WebAssembly.validate(binaries.fma) ? runner(binaries.fma, FMA_FLOPS) : null };
}

/** GFLOPS of each probe (NaN where it cannot run), timed by `medianSecondsPerCall(fn, timing)`. */
export function measureProbes(runners, medianSecondsPerCall, timing) {
  const gflops = (probe) => (probe === null ? NaN : probe.flops / medianSecondsPerCall(probe.run, timing) / 1e9);
  return { mulAddGflops: gflops(runners.mulAdd), fmaGflops: gflops(runners.fma) };
}

// NumPy and PyTorch peers (bench/peers/numpy_torch.py) under Debian's Python, when its packages are there:
//   apt-get install -y python3-numpy libopenblas0-pthread python3-torch python3-threadpoolctl
// Runs the script once per thread count (OPENBLAS_NUM_THREADS and OMP_NUM_THREADS set for that process;
// torch.set_num_threads inside). OPENBLAS_CORETYPE and OPENBLAS_L2_SIZE, which some machines here set for
// older OpenBLAS builds and which slow a current one, are removed for these commands only; the result
// records which OpenBLAS kernel ran (threadpoolctl's "architecture").
import { execFileSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';

/** Debian's interpreter: the one python3-numpy and python3-torch install into (not a pyenv or venv python3). */
const PYTHON = '/usr/bin/python3';
const SCRIPT = fileURLToPath(new URL('./numpy_torch.py', import.meta.url));

function runFor(threads, quick, only) {
  const env = { ...process.env, OPENBLAS_NUM_THREADS: String(threads), OMP_NUM_THREADS: String(threads), MKL_NUM_THREADS: String(threads) };
  delete env.OPENBLAS_CORETYPE;
  delete env.OPENBLAS_L2_SIZE;
  delete env.PYTHONPATH;
  delete env.PYTHONHOME;
  const flags = [...(quick ? ['--quick'] : []), ...(only ? [`--only=${only.join(',')}`] : [])];
  const out = execFileSync(PYTHON, [SCRIPT, String(threads), ...flags], { env, encoding: 'utf8', maxBuffer: 1 << 20 });
  return JSON.parse(out.trim().split('\n').pop());
}

/**
 * { skipped } when Debian's python3 or its numpy is missing; else { one, all } (the script's results at 1 and
 * `allThreads` threads; each has numpy and torch figures, torch null when python3-torch is missing).
 * `only` limits the workloads (e.g. ['W1']).
 */
export function pythonPeers(allThreads, quick = false, only = undefined) {
  if (!existsSync(PYTHON)) return { skipped: `${PYTHON} not found (apt-get install -y python3-numpy libopenblas0-pthread python3-torch python3-threadpoolctl)` };
  try {
    execFileSync(PYTHON, ['-c', 'import numpy'], { stdio: 'ignore' });
  } catch {
    return { skipped: `${PYTHON} has no numpy (apt-get install -y python3-numpy libopenblas0-pthread python3-torch python3-threadpoolctl)` };
  }
  return { one: runFor(1, quick, only), all: runFor(allThreads, quick, only) };
}

/** The best figure of either peer at either thread count for `key` ('W1'.. or ['K1', shape]), with who made it. */
export function bestPeer(peers, key, shape) {
  let best = { value: NaN, who: 'n/a' };
  for (const [threadsKey, run] of [['1T', peers.one], [`${peers.all?.threads}T`, peers.all]]) {
    for (const name of ['numpy', 'torch']) {
      const figures = run?.[name];
      const value = figures === null || figures === undefined ? NaN : shape ? figures[key][shape] : figures[key];
      if (Number.isFinite(value) && !(value <= best.value)) best = { value, who: `${name} ${threadsKey}` };
    }
  }
  return best;
}

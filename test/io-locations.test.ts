// Where models are saved and loaded from, as TensorFlow.js users name it: file:// URLs (strings and URL
// objects), a path to model.json, http(s):// URLs served by a local server on 127.0.0.1 started here, and
// TensorFlow.js's in-memory ModelArtifacts captured from the real @tensorflow/tfjs. Predictions of every
// reloaded model equal the original's bit for bit (same float32 weights, same kernels).
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createServer, type Server } from 'node:http';
import { mkdirSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import * as tf from '@tensorflow/tfjs';
import * as sn from '../dist/index.js';
import { folderOf } from '../dist/io/model-source.js';

const X = [[0.5, -1, 2], [1, 0, -0.25], [-2, 3, 1]];

function model(): InstanceType<typeof sn.Sequential> {
  const m = sn.sequential([sn.layers.dense({ units: 4, inputShape: [3], activation: 'tanh' }), sn.layers.dense({ units: 2, activation: 'softmax' })], { seed: 7 });
  m.compile({ optimizer: sn.optimizers.adam({ learningRate: 0.01 }), loss: 'categoricalCrossentropy' });
  return m;
}

function predictions(m: InstanceType<typeof sn.Sequential>): number[] {
  const p = m.predict(X);
  const out = Array.from(p.data);
  p.dispose();
  return out;
}

const tmp = (name: string): string => mkdtempSync(join(tmpdir(), `simdnet-loc-${name}-`));

describe('file:// URLs and paths to model.json', () => {
  it('save and loadModel accept file:// strings, URL objects and model.json paths', async () => {
    const m = model();
    const expected = predictions(m);
    const a = tmp('a');
    await m.save(`file://${a}`);
    const b = tmp('b');
    await m.save(pathToFileURL(b));
    const c = tmp('c');
    await m.save(join(c, 'model.json'));
    for (const from of [join(a, 'model.json'), pathToFileURL(join(b, 'model.json')).href, `file://${c}`, pathToFileURL(c)]) {
      const loaded = await sn.loadModel(from);
      expect(predictions(loaded)).toEqual(expected);
      loaded.dispose();
    }
    m.dispose();
  });

  it('exportTfjs and loadTfjs accept the same forms', async () => {
    const m = model();
    const expected = predictions(m);
    const d = tmp('t');
    await m.exportTfjs(`file://${join(d, 'model.json')}`);
    expect(JSON.parse(readFileSync(join(d, 'model.json'), 'utf8')).format).toBe('layers-model');
    for (const from of [`file://${d}`, join(d, 'model.json'), pathToFileURL(d)]) {
      const loaded = await sn.loadTfjs(from);
      expect(predictions(loaded)).toEqual(expected);
      loaded.dispose();
    }
    m.dispose();
  });

  it("reads file://name as tfjs-node does (a relative path), decodes file:/// URLs, and refuses other schemes for saving", async () => {
    expect(folderOf('file://my-model', 'save')).toBe('my-model');
    expect(folderOf('file://my-model/model.json', 'save')).toBe('my-model');
    expect(folderOf('file:///tmp/a%20b/model.json', 'save')).toBe('/tmp/a b');
    expect(folderOf('plain/folder', 'save')).toBe('plain/folder');
    const m = model();
    await expect(m.save('http://127.0.0.1:1/x')).rejects.toThrow(/save: http:\/\/127.0.0.1:1\/x: http URLs are not supported here/);
    await expect(m.save('indexeddb://x')).rejects.toThrow(/indexeddb URLs are not supported/);
    await expect(m.save('')).rejects.toThrow(/expected a folder/);
    m.dispose();
  });
});

describe('http(s):// URLs', () => {
  let server: Server;
  let base: string;
  const root = tmp('http');
  /** Paths the server answers with a body other than the file's (to test size checks). */
  const overrides = new Map<string, { body: Buffer; length?: number }>();

  beforeAll(async () => {
    server = createServer((req, res) => {
      const path = decodeURIComponent(new URL(req.url!, 'http://x').pathname);
      const o = overrides.get(path);
      if (o !== undefined) {
        res.writeHead(200, o.length === undefined ? {} : { 'content-length': String(o.length) });
        res.end(o.body);
        return;
      }
      try {
        const body = readFileSync(join(root, path));
        res.writeHead(200, { 'content-length': String(body.length) });
        res.end(body);
      } catch {
        res.writeHead(404);
        res.end('not found');
      }
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    const address = server.address() as { port: number };
    base = `http://127.0.0.1:${address.port}`;
  });
  afterAll(() => new Promise<void>((resolve) => server.close(() => resolve())));

  it('loadModel and loadTfjs fetch model.json and its weights (URL of model.json, or of its folder)', async () => {
    const m = model();
    const expected = predictions(m);
    await m.save(join(root, 'simdnet'));
    await m.exportTfjs(join(root, 'tfjs'));
    for (const url of [`${base}/simdnet/model.json`, `${base}/simdnet/`, `${base}/simdnet`]) {
      const loaded = await sn.loadModel(url);
      expect(predictions(loaded)).toEqual(expected);
      expect(loaded.trainingConfig?.loss).toBe('categoricalCrossentropy');
      loaded.dispose();
    }
    const t = await sn.loadTfjs(new URL(`${base}/tfjs/model.json`));
    expect(predictions(t)).toEqual(expected);
    t.dispose();
    m.dispose();
  });

  it('errors name the URL: missing files, a weights file of the wrong size, weight paths leaving the folder', async () => {
    await expect(sn.loadModel(`${base}/nothing/model.json`)).rejects.toThrow(new RegExp(`${base}/nothing/model.json: cannot fetch the model manifest: HTTP 404`));
    const m = model();
    await m.save(join(root, 'short'));
    const json = JSON.parse(readFileSync(join(root, 'short', 'model.json'), 'utf8'));
    overrides.set(`/short/${json.weightsFile}`, { body: Buffer.alloc(8) });
    await expect(sn.loadModel(`${base}/short/model.json`)).rejects.toThrow(/short\/weights.bin: holds 8 bytes, model.json's weights need \d+ \(truncated\)/);
    // A server declaring a small body but sending far more is cut off at the size expected.
    overrides.set(`/short/${json.weightsFile}`, { body: Buffer.alloc(1 << 20) });
    await expect(sn.loadModel(`${base}/short/model.json`)).rejects.toThrow(/holds \d+ bytes, model.json's weights need \d+ \(too long\)/);
    await m.exportTfjs(join(root, 'escape'));
    const tj = JSON.parse(readFileSync(join(root, 'escape', 'model.json'), 'utf8'));
    tj.weightsManifest[0].paths = ['http://example.invalid/weights.bin'];
    mkdirSync(join(root, 'escape2'));
    writeFileSync(join(root, 'escape2', 'model.json'), JSON.stringify(tj));
    await expect(sn.loadTfjs(`${base}/escape2/model.json`)).rejects.toThrow(/is not under the model's URL folder .*refused/);
    overrides.set('/huge/model.json', { body: Buffer.alloc(10), length: 2 ** 30 });
    await expect(sn.loadTfjs(`${base}/huge/model.json`)).rejects.toThrow(/more than the 64 MiB a model.json may have; refused/);
    m.dispose();
  });
});

describe('in-memory ModelArtifacts (tfjs)', () => {
  it('loadTfjs and loadModel take { modelTopology, weightSpecs, weightData } from tf.io.withSaveHandler; predictions match tfjs', async () => {
    await tf.setBackend('cpu');
    const tfModel = tf.sequential({ layers: [tf.layers.dense({ units: 5, inputShape: [3], activation: 'relu' }), tf.layers.dense({ units: 2, activation: 'softmax' })] });
    let artifacts: tf.io.ModelArtifacts | undefined;
    await tfModel.save(tf.io.withSaveHandler(async (a) => {
      artifacts = a;
      return { modelArtifactsInfo: { dateSaved: new Date(), modelTopologyType: 'JSON' } };
    }));
    const expected = tfModel.predict(tf.tensor(X)) as tf.Tensor;
    const want = Array.from(expected.dataSync());
    const { modelTopology, weightSpecs, weightData } = artifacts!;
    for (const load of [sn.loadTfjs, sn.loadModel]) {
      const m = await load({ modelTopology, weightSpecs: weightSpecs!, weightData: weightData as ArrayBuffer });
      const got = predictions(m);
      got.forEach((v, i) => expect(Math.abs(v - want[i])).toBeLessThan(1e-6));
      m.dispose();
    }
    // weightData split into several buffers (tfjs 4's WeightData) and as a typed array.
    const bytes = new Uint8Array(weightData as ArrayBuffer);
    const split = [bytes.slice(0, 10).buffer, bytes.slice(10).buffer];
    const m2 = await sn.loadTfjs({ modelTopology, weightSpecs: weightSpecs!, weightData: split });
    const m3 = await sn.loadTfjs({ modelTopology, weightSpecs: weightSpecs!, weightData: bytes });
    expect(predictions(m2)).toEqual(predictions(m3));
    m2.dispose();
    m3.dispose();
    await expect(sn.loadTfjs({ modelTopology, weightSpecs: weightSpecs!, weightData: bytes.slice(4) })).rejects.toThrow(/loadTfjs\(artifacts\): the weights manifest describes \d+ bytes, the weight files hold \d+/);
    await expect(sn.loadTfjs({ modelTopology, weightSpecs: 'x' as never, weightData: bytes })).rejects.toThrow(/weightSpecs must be a list/);
    expected.dispose();
    tfModel.dispose();
  });
});

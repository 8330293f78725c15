// SVG plots: each document must parse as well-formed XML (the strict parser of test/xml.ts) and hold
// the elements that make it readable: series, axes labels, regions, points, cells.
import { describe, expect, it } from 'vitest';
import * as sn from '../dist/index.js';
import { all, parseXml, texts } from './xml.js';

describe('the XML checker itself', () => {
  it('rejects malformed documents', () => {
    for (const bad of ['<svg>', '<svg></g>', '<svg a="1" a="2"/>', '<svg>a < b</svg>', '<svg>&nbsp;</svg>', '<svg/><svg/>', '<svg a=1/>']) {
      expect(() => parseXml(bad), bad).toThrow(/XML error/);
    }
    expect(parseXml('<svg a="&amp;"><g>x &lt; y</g></svg>').children[0].text).toBe('x &lt; y');
  });
});

describe('learningCurve', () => {
  it('draws loss and accuracy panels with train and validation series', () => {
    const svg = sn.plot.learningCurve({ loss: [0.9, 0.5, 0.3], valLoss: [0.8, 0.6, 0.5], accuracy: [0.7, 0.85, 0.9], valAccuracy: [0.72, 0.8, 0.84] }, { title: 'A & B <test>' });
    const root = parseXml(svg);
    expect(root.name).toBe('svg');
    expect(root.attrs.xmlns).toBe('http://www.w3.org/2000/svg');
    const series = all(root, 'path').filter((p) => p.attrs.class === 'series');
    expect(series.map((p) => p.attrs['data-series'])).toEqual(['train', 'validation', 'train', 'validation']);
    // 3 epochs -> a move and 2 line segments per series.
    for (const p of series) expect(p.attrs.d.match(/[ML]/g)).toEqual(['M', 'L', 'L']);
    expect(all(root, 'circle')).toHaveLength(12);
    const t = texts(root);
    for (const label of ['Loss', 'Accuracy', 'epoch', 'train', 'validation', 'A &amp; B &lt;test&gt;']) expect(t).toContain(label);
  });

  it('omits the accuracy panel without accuracies, breaks lines at non-finite values, handles 1 epoch', () => {
    const root = parseXml(sn.plot.learningCurve({ loss: [1, NaN, 0.5, 0.4] }));
    const series = all(root, 'path').filter((p) => p.attrs.class === 'series');
    expect(series).toHaveLength(1);
    expect(series[0].attrs.d.match(/[ML]/g)).toEqual(['M', 'M', 'L']);
    expect(texts(root)).not.toContain('Accuracy');
    expect(all(parseXml(sn.plot.learningCurve({ loss: [0.3], accuracy: [0.9] })), 'circle')).toHaveLength(2);
  });

  it('puts nice tick limits around the data (rounded outward) and keeps every point off the frame', () => {
    const root = parseXml(sn.plot.learningCurve({ loss: [0.93, 0.41, 0.27] }));
    // Loss axis from 0 to the first tick at or above 0.93.
    const labels = all(root, 'text').filter((t) => t.attrs['text-anchor'] === 'end').map((t) => t.text);
    expect(labels[0]).toBe('0');
    expect(Number(labels.at(-1))).toBeGreaterThanOrEqual(0.93);
    expect(Number(labels.at(-1))).toBeLessThan(1.2);
    const frame = all(root, 'rect').find((r) => r.attrs.fill === 'none')!;
    const [top, bottom] = [Number(frame.attrs.y), Number(frame.attrs.y) + Number(frame.attrs.height)];
    const [left, right] = [Number(frame.attrs.x), Number(frame.attrs.x) + Number(frame.attrs.width)];
    for (const c of all(root, 'circle')) {
      expect(Number(c.attrs.cy)).toBeGreaterThan(top + 3);
      expect(Number(c.attrs.cy)).toBeLessThan(bottom - 3);
      expect(Number(c.attrs.cx)).toBeGreaterThan(left + 3);
      expect(Number(c.attrs.cx)).toBeLessThan(right - 3);
    }
  });

  it('draws a 5,000-epoch history with at most 40 markers per series and a line bounded by the width', () => {
    const loss = Array.from({ length: 5000 }, (_, i) => Math.exp(-i / 700) + 0.01 * Math.sin(i));
    const svg = sn.plot.learningCurve({ loss, valLoss: loss.map((v) => v + 0.05) });
    const root = parseXml(svg);
    expect(all(root, 'circle').length).toBeLessThanOrEqual(2 * 41);
    expect(svg.length).toBeLessThan(60_000);
    // The thinned line keeps the extremes: its lowest and highest points are the series' own.
    const path = all(root, 'path').find((p) => p.attrs['data-series'] === 'train')!;
    const ys = [...path.attrs.d.matchAll(/[ML][\d.]+ ([\d.]+)/g)].map((m) => Number(m[1]));
    const dense = parseXml(sn.plot.learningCurve({ loss: [Math.max(...loss), Math.min(...loss)], valLoss: [Math.max(...loss) + 0.05, Math.min(...loss) + 0.05] }));
    const denseYs = [...all(dense, 'path').find((p) => p.attrs['data-series'] === 'train')!.attrs.d.matchAll(/[ML][\d.]+ ([\d.]+)/g)].map((m) => Number(m[1]));
    expect(Math.min(...ys)).toBeCloseTo(Math.min(...denseYs), 1);
    expect(Math.max(...ys)).toBeCloseTo(Math.max(...denseYs), 1);
  });

  it('compares several histories in one picture, one colour and legend name each', () => {
    const runs = [0.01, 0.1, 1].map((lr) => ({ loss: [0.25, 0.25 - lr / 10, 0.25 - lr / 5], valLoss: [0.26, 0.255, 0.25] }));
    const root = parseXml(sn.plot.learningCurve(runs, { names: ['lr 0.01', 'lr 0.1', 'lr 1'], title: 'Learning rates' }));
    const series = all(root, 'path').filter((p) => p.attrs.class === 'series');
    expect(series.map((p) => p.attrs['data-series'])).toEqual(['lr 0.01 train', 'lr 0.01 validation', 'lr 0.1 train', 'lr 0.1 validation', 'lr 1 train', 'lr 1 validation']);
    expect(new Set(series.map((p) => p.attrs.stroke)).size).toBe(3);
    expect(texts(root)).toEqual(expect.arrayContaining(['lr 0.01', 'lr 0.1', 'lr 1', 'dashed: validation']));
    expect(() => sn.plot.learningCurve(runs, { names: ['a'] })).toThrow(/names must be 3 strings/);
    expect(() => sn.plot.learningCurve(runs[0], { colour: 'red' } as never)).toThrow(/unknown option 'colour'/);
    expect(() => sn.plot.learningCurve([runs[0], { loss: [1], valLoss: [1, 2] }])).toThrow(/history 1: valLoss has 2 epochs, loss has 1/);
    expect(() => sn.plot.learningCurve({ epoch: [0], history: { loss: [1] } } as never)).toThrow(/loss is missing \(pass fit's result's .history/);
  });

  it('says in the picture which values were not finite', () => {
    const root = parseXml(sn.plot.learningCurve({ loss: [1, NaN, 0.5, Infinity], accuracy: [0.5, 0.6, -Infinity, 0.7] }));
    const notes = all(root, 'text').filter((t) => t.attrs.class === 'note').map((t) => t.text);
    expect(notes).toEqual(['loss: 2 non-finite values not drawn (first at epoch 2)', 'accuracy: 1 non-finite value not drawn (first at epoch 3)']);
  });

  it('rejects series of different lengths', () => {
    expect(() => sn.plot.learningCurve({ loss: [1, 2], valLoss: [1] })).toThrow(/valLoss has 1 epochs, loss has 2/);
  });
});

describe('decisionBoundary', () => {
  // A fixed XOR-like predictor: P(class 1) high between the lines x1 + x2 = 0.5 and 1.5.
  const sig = (z: number) => 1 / (1 + Math.exp(-z));
  const xorModel = {
    predict(x: InstanceType<typeof sn.Tensor>) {
      const n = x.shape[0];
      const out = sn.zeros([n, 1]);
      for (let i = 0; i < n; i++) {
        const s = x.data[2 * i] + x.data[2 * i + 1];
        out.data[i] = sig(10 * (sig(10 * (s - 0.5)) - sig(10 * (s - 1.5))) - 5);
      }
      return out;
    },
  };
  const points = [[0, 0], [0, 1], [1, 0], [1, 1]];

  it('shades both classes and draws the points with their labels', () => {
    const before = sn.memory();
    const root = parseXml(sn.plot.decisionBoundary(xorModel, points, [0, 1, 1, 0], { resolution: 40, title: 'XOR' }));
    expect(sn.memory()).toEqual(before);
    const regions = all(root, 'g').find((g) => g.attrs.class === 'regions')!;
    expect(regions.children.length).toBeGreaterThan(40);
    // Both class colours appear among the shaded cells (class 0 blue-ish, class 1 orange-ish).
    const fills = new Set(regions.children.map((r) => r.attrs.fill));
    const reddish = [...fills].filter((f) => { const [r, , b] = f.match(/\d+/g)!.map(Number); return r > b; });
    expect(reddish.length).toBeGreaterThan(0);
    expect(reddish.length).toBeLessThan(fills.size);
    const dots = all(root, 'circle').filter((c) => c.attrs.class === 'point');
    expect(dots.map((d) => d.attrs['data-label'])).toEqual(['0', '1', '1', '0']);
    expect(texts(root)).toEqual(expect.arrayContaining(['XOR', 'x1', 'x2', 'class 0', 'class 1']));
  });

  it('accepts a function with softmax outputs, and a Tensor of points', () => {
    const threeClass = (x: InstanceType<typeof sn.Tensor>) => {
      const n = x.shape[0];
      const out = sn.zeros([n, 3]);
      for (let i = 0; i < n; i++) out.data[i * 3 + (x.data[2 * i] < 0 ? 0 : x.data[2 * i + 1] < 0 ? 1 : 2)] = 1;
      return out;
    };
    const pts = sn.tensor([[-1, 0], [1, -1], [1, 1]]);
    const root = parseXml(sn.plot.decisionBoundary(threeClass, pts, [0, 1, 2], { resolution: 7, classNames: ['a', 'b', 'c'] }));
    pts.dispose();
    const fills = new Set(all(root, 'g').find((g) => g.attrs.class === 'regions')!.children.map((r) => r.attrs.fill));
    expect(fills.size).toBe(3);
    expect(texts(root)).toEqual(expect.arrayContaining(['a', 'b', 'c']));
  });

  it('draws the p = 0.5 contour where the model crosses 0.5', () => {
    const root = parseXml(sn.plot.decisionBoundary(xorModel, points, [0, 1, 1, 0], { resolution: 60, xRange: [-0.5, 1.5], yRange: [-0.5, 1.5] }));
    const boundary = all(root, 'path').find((p) => p.attrs.class === 'boundary')!;
    const xy = [...boundary.attrs.d.matchAll(/[ML]([\d.]+) ([\d.]+)/g)].map((m) => [Number(m[1]), Number(m[2])]);
    expect(xy.length).toBeGreaterThan(100);
    // Pixels back to the plane (plot 400 px from (64, 45), range [-0.5, 1.5]): every vertex on p = 0.5.
    for (const [px, py] of xy) {
      const x1 = -0.5 + ((px - 64) / 400) * 2;
      const x2 = 1.5 - ((py - 45) / 400) * 2;
      const p = xorModel.predict(sn.tensor([[x1, x2]]));
      expect(Math.abs(p.data[0] - 0.5)).toBeLessThan(0.1);
      p.dispose();
    }
    expect(texts(root)).toContain('p = 0.5');
  });

  it('takes -1/+1 labels and plain-array outputs for one-output models, skips and reports unplottable points', () => {
    const sign = (x: InstanceType<typeof sn.Tensor>) => Array.from({ length: x.shape[0] }, (_, i) => (x.data[2 * i] > 0 ? 1 : -1));
    const root = parseXml(sn.plot.decisionBoundary(sign, [[-1, 0], [1, 0], [NaN, 1], [5, 5]], [-1, 1, 1, 1], { resolution: 10, xRange: [-2, 2], yRange: [-2, 2] }));
    expect(all(root, 'circle').filter((c) => c.attrs.class === 'point').map((c) => c.attrs['data-label'])).toEqual(['-1', '1']);
    const notes = all(root, 'text').filter((t) => t.attrs.class === 'note').map((t) => t.text);
    expect(notes).toEqual(['1 point with a non-finite coordinate not drawn', '1 point outside the ranges not drawn']);
  });

  it('thins 100,000 points to 5,000 and says so', () => {
    const n = 100_000;
    const pts = sn.tensor(Float32Array.from({ length: 2 * n }, (_, i) => Math.sin(i * 12.9898) * 3), [n, 2]);
    const labels = Array.from({ length: n }, (_, i) => i % 2);
    const root = parseXml(sn.plot.decisionBoundary(xorModel, pts, labels, { resolution: 20 }));
    pts.dispose();
    expect(all(root, 'circle').filter((c) => c.attrs.class === 'point')).toHaveLength(5000);
    expect(texts(root)).toContain('5,000 of 100,000 points drawn');
  });

  it('rejects bad input before predicting', () => {
    let calls = 0;
    const counting = (x: InstanceType<typeof sn.Tensor>) => (calls++, sn.zeros([x.shape[0], 1]));
    expect(() => sn.plot.decisionBoundary(counting, [[0, 0, 0]], [0])).toThrow(/point 0 does not have 2 coordinates/);
    expect(() => sn.plot.decisionBoundary(counting, points, [0, 1])).toThrow(/4 points but 2 labels/);
    expect(() => sn.plot.decisionBoundary(counting, points, [0, 1, 1, 0], { resolution: 1 })).toThrow(/resolution/);
    expect(calls).toBe(0);
    expect(() => sn.plot.decisionBoundary(counting, points, [0, 1, 1, 5])).toThrow(/label 5 of point 3/);
  });

  it('takes a convnet whose two inputs are a [1, 2, 1] image, as a dense model: XOR learned, the grid given in its shape', async () => {
    const model = sn.sequential([
      sn.layers.conv2d({ inputShape: [1, 2, 1], filters: 8, kernelSize: [1, 2], activation: 'tanh' }),
      sn.layers.flatten(),
      sn.layers.dense({ units: 2, activation: 'softmax' }),
    ], { seed: 2 });
    model.compile({ optimizer: sn.optimizers.adam({ learningRate: 0.05 }), loss: 'sparseCategoricalCrossentropy', metrics: ['accuracy'] });
    const x = sn.tensor([0, 0, 0, 1, 1, 0, 1, 1], [4, 1, 2, 1]);
    const labels = [0, 1, 1, 0];
    await model.fit(x, labels, { epochs: 300, batchSize: 4, seed: 1 });
    const probs = model.predict(x);
    expect(Array.from(sn.argmaxRows(probs))).toEqual(labels);
    probs.dispose();
    x.dispose();
    const before = sn.memory();
    const svg = sn.plot.decisionBoundary(model, points, labels, { resolution: 30, title: 'XOR convnet' });
    expect(sn.memory()).toEqual(before);
    // The same picture as a function that reshapes the [n, 2] grid itself: the cells are the model's predictions.
    const reshaping = (grid: InstanceType<typeof sn.Tensor>) => {
      const images = grid.reshape([grid.shape[0], 1, 2, 1]);
      try {
        return model.predict(images);
      } finally {
        images.dispose();
      }
    };
    expect(svg).toBe(sn.plot.decisionBoundary(reshaping, points, labels, { resolution: 30, title: 'XOR convnet' }));
    const root = parseXml(svg);
    expect(all(root, 'path').some((p) => p.attrs.class === 'boundary' && p.attrs.d.startsWith('M'))).toBe(true);
    expect(all(root, 'circle').filter((c) => c.attrs.class === 'point').map((d) => d.attrs['data-label'])).toEqual(['0', '1', '1', '0']);
    model.dispose();
  });
});

describe('confusion matrix', () => {
  it('counts [actual][predicted], skipping -1 (NaN) predictions', () => {
    expect(sn.plot.confusionMatrix([0, 1, 1, 2, 2, 2], [0, 1, 2, 2, -1, 0], 3)).toEqual([[1, 0, 0], [0, 1, 1], [1, 0, 1]]);
    expect(() => sn.plot.confusionMatrix([0, 3], [0, 1], 3)).toThrow(/actual label 3 at row 1/);
    expect(() => sn.plot.confusionMatrix([0], [0, 1], 3)).toThrow(/1 actual labels but 2 predictions/);
  });

  it('as text: rows, recall and accuracy', () => {
    const text = sn.plot.confusionMatrixText([[8, 2], [1, 9]], ['cat', 'dog']);
    expect(text).toMatch(/0 cat\s+8\s+2\s+80\.0%/);
    expect(text).toMatch(/1 dog\s+1\s+9\s+90\.0%/);
    expect(text).toContain('accuracy 85.00% (17 of 20)');
  });

  it('as SVG: one cell per pair with its count, darker for larger shares', () => {
    const m = [[50, 0, 0], [3, 40, 7], [0, 1, 1]];
    const root = parseXml(sn.plot.confusionMatrixSvg(m, ['a', 'b', 'c']));
    const cells = all(root, 'rect').filter((r) => r.attrs.class === 'cell');
    expect(cells).toHaveLength(9);
    const alpha = (i: number, j: number) => Number(cells.find((c) => c.attrs['data-actual'] === String(i) && c.attrs['data-predicted'] === String(j))!.attrs.fill.match(/([\d.]+)\)$/)![1]);
    expect(alpha(0, 0)).toBeGreaterThan(alpha(1, 1));
    expect(alpha(1, 2)).toBeGreaterThan(alpha(1, 0));
    expect(alpha(0, 1)).toBe(0);
    const t = texts(root);
    for (const s of ['50', '40', '7', 'predicted', 'actual', 'a (0)', 'accuracy 89.22% (91 of 102)']) expect(t).toContain(s);
    expect(() => sn.plot.confusionMatrixSvg([[1, 2]])).toThrow(/square/);
    expect(() => sn.plot.confusionMatrixSvg([[1, NaN], [0, 1]])).toThrow(/count \[0\]\[1\] = NaN/);
  });

  it('keeps a count of 1 in a row of 1,000 faint, shows a 3% confusion plainly, and draws a colour key', () => {
    const root = parseXml(sn.plot.confusionMatrixSvg([[969, 1, 30], [0, 1000, 0], [0, 0, 1000]]));
    const cells = all(root, 'rect').filter((r) => r.attrs.class === 'cell');
    const alpha = (j: number) => Number(cells.find((c) => c.attrs['data-actual'] === '0' && c.attrs['data-predicted'] === String(j))!.attrs.fill.match(/([\d.]+)\)$/)![1]);
    expect(alpha(1)).toBeLessThan(0.06);
    expect(alpha(2)).toBeGreaterThan(0.25);
    expect(all(root, 'rect').filter((r) => r.attrs.class === 'key')).toHaveLength(2);
    expect(all(root, 'linearGradient')).toHaveLength(2);
    expect(texts(root)).toEqual(expect.arrayContaining(['shade: share of the actual class', 'correct', 'confused', '0%', '100%', '10% or more']));
  });
});

describe('hyperplane (a perceptron\'s picture)', () => {
  const pts = [[0, 0], [0, 1], [1, 0], [1, 1]];
  const coord = (node: { attrs: Record<string, string> }, k: string) => Number(node.attrs[k]);
  // Pixels back to the plane: 400 px square at (64, 62); the axes of these points run from -0.5 to 1.5.
  const toPlane = (px: number, py: number) => [-0.5 + ((px - 64) / 400) * 2, 1.5 - ((py - 62) / 400) * 2];

  it('draws the line w.x + b = 0, w pointing into the class-1 half-plane, and rings the points on the wrong side', () => {
    const model = { weights: [1, 2], bias: -1.5 };
    const root = parseXml(sn.plot.hyperplane(model, pts, [0, 0, 1, 1], { title: 'T' }));
    const line = all(root, 'line').find((l) => l.attrs.class === 'boundary')!;
    for (const [px, py] of [[coord(line, 'x1'), coord(line, 'y1')], [coord(line, 'x2'), coord(line, 'y2')]]) {
      const [a, b] = toPlane(px, py);
      expect(Math.abs(a + 2 * b - 1.5)).toBeLessThan(0.01);
    }
    const arrow = all(root, 'g').find((g) => g.attrs.class === 'weight-vector')!.children[0];
    const [ax, ay] = toPlane(coord(arrow, 'x2'), coord(arrow, 'y2'));
    expect(ax + 2 * ay - 1.5).toBeGreaterThan(0);
    // (0, 1) is class 0 but 0 + 2 - 1.5 > 0; (1, 0) is class 1 but 1 - 1.5 < 0.
    expect(all(root, 'circle').filter((c) => c.attrs.class === 'wrong')).toHaveLength(2);
    expect(texts(root)).toEqual(expect.arrayContaining(['T', 'w = (1, 2), b = -1.5', 'wrong side (2)', 'class 0', 'class 1']));
    expect(all(root, 'polygon').filter((p) => p.attrs.class === 'half-plane')).toHaveLength(1);
  });

  it('draws earlier lines once each, with all their labels; says when there is no line', () => {
    const history = [{ weights: [0, 0], bias: 0, label: 'start' }, { weights: [1, 0], bias: -0.5, label: '1' }, { weights: [1, 0], bias: -0.5, label: '2' }];
    const root = parseXml(sn.plot.hyperplane({ weights: [1, 1], bias: -1 }, pts, [0, 1, 1, 1], { history }));
    expect(all(root, 'line').filter((l) => l.attrs.class === 'history')).toHaveLength(1);
    expect(all(root, 'text').filter((t) => t.attrs.class === 'history-label').map((t) => t.text)).toEqual(['1, 2']);
    const zero = parseXml(sn.plot.hyperplane({ weights: [0, 0], bias: 0 }, pts, [-1, 1, 1, 1]));
    expect(all(zero, 'text').filter((t) => t.attrs.class === 'note').map((t) => t.text)).toEqual(['w = 0: no line; every point is predicted as -1']);
    const far = parseXml(sn.plot.hyperplane({ weights: [1, 0], bias: -100 }, pts, [0, 1, 1, 1]));
    expect(texts(far)).toContain('the line w.x + b = 0 lies outside the plotted range');
  });

  it('rejects models without 2 weights, bad labels and unknown options', () => {
    expect(() => sn.plot.hyperplane({ weights: [1, 2, 3], bias: 0 }, pts, [0, 1, 1, 1])).toThrow(/needs 2 weights \(2 inputs\), got 3/);
    expect(() => sn.plot.hyperplane({ weights: [1, 2], bias: 0 }, pts, [0, 1, 2, 1])).toThrow(/label 2 of point 2 is not 0, 1, -1 or \+1/);
    expect(() => sn.plot.hyperplane({ weights: [1, 2], bias: 0 }, pts, [0, 1, 1, 1], { epochs: [] } as never)).toThrow(/unknown option 'epochs'/);
  });
});

describe('lineChart', () => {
  it('draws each series through its points, one colour each, with the labels and a legend', () => {
    const x = [0, 0.25, 0.5, 0.75, 1];
    const svg = sn.plot.lineChart([{ name: 'square', x, y: x.map((v) => v * v) }, { name: 'line', x, y: x }], { title: 'f <x>', xLabel: 'a', yLabel: 'loss' });
    const root = parseXml(svg);
    expect(root.name).toBe('svg');
    const series = all(root, 'path').filter((p) => p.attrs.class === 'series');
    expect(series.map((p) => p.attrs['data-series'])).toEqual(['square', 'line']);
    for (const p of series) expect(p.attrs.d.match(/[ML]/g)).toEqual(['M', 'L', 'L', 'L', 'L']);
    expect(series[0].attrs.stroke).not.toBe(series[1].attrs.stroke);
    // y = x² ends where y = x ends (x = 1) and starts where it starts (x = 0): same first and last points.
    const ends = (d: string) => { const pts = d.split(/[ML]/).filter(Boolean); return [pts[0], pts.at(-1)]; };
    expect(ends(series[0].attrs.d)).toEqual(ends(series[1].attrs.d));
    const t = texts(root);
    for (const label of ['f &lt;x&gt;', 'a', 'loss', 'square', 'line']) expect(t).toContain(label);
  });

  it('breaks a line at non-finite points and at values outside yRange, and says how many', () => {
    const root = parseXml(sn.plot.lineChart([{ name: 's', x: [0, 1, 2, 3, 4], y: [1, NaN, 2, 50, 3] }], { yRange: [0, 10] }));
    const [path] = all(root, 'path').filter((p) => p.attrs.class === 'series');
    expect(path.attrs.d.match(/[ML]/g)).toEqual(['M', 'M', 'M']);
    expect(texts(root).some((s) => s.includes('2 points not drawn'))).toBe(true);
  });

  it('rejects bad input before drawing', () => {
    expect(() => sn.plot.lineChart([])).toThrow(/non-empty array/);
    expect(() => sn.plot.lineChart([{ name: 's', x: [0, 1], y: [0] }])).toThrow(/series 's' has 2 x values and 1 y values/);
    expect(() => sn.plot.lineChart([{ name: 's', x: [0], y: [0] }], { yRange: [1, 0] })).toThrow(/yRange must be \[lo, hi\]/);
    expect(() => sn.plot.lineChart([{ name: 's', x: [0], y: [0] }], { xrange: [0, 1] } as never)).toThrow(/unknown option 'xrange'/);
  });
});

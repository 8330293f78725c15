// SVG plots: each document must parse as well-formed XML (checked by the strict parser below) and hold
// the elements that make it readable: series, axes labels, regions, points, cells.
import { describe, expect, it } from 'vitest';
import * as sn from '../dist/index.js';

interface XmlNode {
  name: string;
  attrs: Record<string, string>;
  children: XmlNode[];
  text: string;
}

/** A strict XML well-formedness parser (elements, attributes, text, entities); throws on any error. */
function parseXml(source: string): XmlNode {
  let i = 0;
  const fail = (what: string): never => {
    throw new Error(`XML error at ${i}: ${what}: ${JSON.stringify(source.slice(i, i + 40))}`);
  };
  const checkText = (t: string) => {
    if (t.includes('<')) fail('raw < in text');
    for (const m of t.matchAll(/&([^;]*);?/g)) if (!/^&(amp|lt|gt|quot|apos|#\d+|#x[0-9a-f]+);$/i.test(m[0])) fail(`bad entity ${m[0]}`);
  };
  const name = () => {
    const m = /^[A-Za-z_][\w.:-]*/.exec(source.slice(i));
    if (!m) fail('expected a name');
    i += m![0].length;
    return m![0];
  };
  const space = () => {
    while (/\s/.test(source[i] ?? '')) i++;
  };
  if (source.startsWith('<?xml')) {
    i = source.indexOf('?>') + 2;
    if (i < 2) fail('unterminated declaration');
  }
  space();
  const element = (): XmlNode => {
    if (source[i] !== '<') fail('expected <');
    i++;
    const node: XmlNode = { name: name(), attrs: {}, children: [], text: '' };
    for (;;) {
      const before = i;
      space();
      if (source.startsWith('/>', i)) {
        i += 2;
        return node;
      }
      if (source[i] === '>') {
        i++;
        break;
      }
      if (i === before) fail('expected space before attribute');
      const key = name();
      if (key in node.attrs) fail(`duplicate attribute ${key}`);
      if (source[i] !== '=' || source[i + 1] !== '"') fail('expected ="');
      const end = source.indexOf('"', i + 2);
      if (end < 0) fail('unterminated attribute');
      const value = source.slice(i + 2, end);
      checkText(value);
      node.attrs[key] = value;
      i = end + 1;
    }
    for (;;) {
      const next = source.indexOf('<', i);
      if (next < 0) fail(`unclosed <${node.name}>`);
      const t = source.slice(i, next);
      checkText(t);
      node.text += t;
      i = next;
      if (source.startsWith('</', i)) {
        i += 2;
        if (name() !== node.name) fail(`mismatched closing tag for <${node.name}>`);
        space();
        if (source[i] !== '>') fail('expected >');
        i++;
        return node;
      }
      node.children.push(element());
    }
  };
  const root = element();
  space();
  if (i !== source.length) fail('content after the root element');
  return root;
}

function all(node: XmlNode, name: string, out: XmlNode[] = []): XmlNode[] {
  if (node.name === name) out.push(node);
  for (const c of node.children) all(c, name, out);
  return out;
}
const texts = (root: XmlNode) => all(root, 'text').map((t) => t.text);

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

  it('rejects bad input before predicting', () => {
    let calls = 0;
    const counting = (x: InstanceType<typeof sn.Tensor>) => (calls++, sn.zeros([x.shape[0], 1]));
    expect(() => sn.plot.decisionBoundary(counting, [[0, 0, 0]], [0])).toThrow(/point 0 does not have 2 coordinates/);
    expect(() => sn.plot.decisionBoundary(counting, points, [0, 1])).toThrow(/4 points but 2 labels/);
    expect(() => sn.plot.decisionBoundary(counting, points, [0, 1, 1, 0], { resolution: 1 })).toThrow(/resolution/);
    expect(calls).toBe(0);
    expect(() => sn.plot.decisionBoundary(counting, points, [0, 1, 1, 5])).toThrow(/label 5 of point 3/);
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
  });
});

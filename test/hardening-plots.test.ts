// Hardening, plots (issue 15, class 5: plots never hang): every plot function returns a well-formed SVG
// with finite coordinates for any finite input (constant series, subnormals, magnitudes near
// Number.MAX_VALUE, one point, 100,000 points), and skips non-finite values saying so in the picture.
// A hang shows up as this file's test timeout; no timing is asserted.
import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import * as sn from '../dist/index.js';
import { recorder } from './hardening/record.js';
import { rng, SEED } from './hardening/values.js';
import { all, parseXml, type XmlNode } from './xml.js';

const record = recorder('hardening-plots');

/** Parses the SVG and throws unless every attribute is free of NaN / Infinity and every point is inside the picture. */
function checkSvg(svg: string): XmlNode {
  const root = parseXml(svg);
  const [width, height] = [Number(root.attrs.width), Number(root.attrs.height)];
  expect(width > 0 && height > 0).toBe(true);
  const visit = (node: XmlNode) => {
    for (const [key, value] of Object.entries(node.attrs)) {
      if (/NaN|Infinity/.test(value)) throw new Error(`<${node.name} ${key}="${value}">`);
    }
    if (node.name === 'circle') {
      const [cx, cy] = [Number(node.attrs.cx), Number(node.attrs.cy)];
      if (!(cx >= 0 && cx <= width && cy >= 0 && cy <= height)) throw new Error(`circle at (${cx}, ${cy}) outside ${width}x${height}`);
    }
    node.children.forEach(visit);
  };
  visit(root);
  return root;
}

const finite = fc.double({ noNaN: true, noDefaultInfinity: true });
const special = fc.constantFrom(NaN, Infinity, -Infinity);
/** Series a person could feed in: anything, constants, nearly constants (a few ulps apart), subnormals, huge, long. */
const seriesArb: fc.Arbitrary<number[]> = fc.oneof(
  fc.array(fc.oneof({ weight: 5, arbitrary: finite }, { weight: 1, arbitrary: special }), { maxLength: 40 }),
  fc.tuple(finite, fc.integer({ min: 1, max: 300 })).map(([v, n]) => new Array<number>(n).fill(v)),
  fc.tuple(finite, fc.array(fc.integer({ min: -4, max: 4 }), { minLength: 1, maxLength: 30 })).map(([v, ks]) => ks.map((k) => v * (1 + k * 2 ** -52) + k * Number.MIN_VALUE)),
  fc.array(fc.double({ min: -1e-300, max: 1e-300, noNaN: true }), { minLength: 1, maxLength: 30 }),
  fc.array(fc.constantFrom(Number.MAX_VALUE, -Number.MAX_VALUE, 1e308, -1e307, 0, 5e-324), { minLength: 1, maxLength: 20 }),
  fc.tuple(fc.integer({ min: 1000, max: 100_000 }), fc.integer()).map(([n, seed]) => {
    const next = rng(seed);
    return Array.from({ length: n }, () => (next() < 0.001 ? NaN : next() * 10 ** (next() * 10 - 5)));
  }),
);

describe('learningCurve never hangs and never writes NaN', () => {
  it('the reported cases: a step below one ulp, subnormals, one point, huge magnitudes, 100,000 epochs', () => {
    for (const loss of [[-1, -0.9999999999999999], [0, 3e-323], [5e-324], [0.3], [7, 7, 7], [-Number.MAX_VALUE, Number.MAX_VALUE], [1e308, 1.7976931348623157e308], []]) {
      checkSvg(sn.plot.learningCurve({ loss }));
      checkSvg(sn.plot.learningCurve({ loss, accuracy: loss }));
    }
    const long = Array.from({ length: 100_000 }, (_, i) => 1 / (1 + i));
    const svg = sn.plot.learningCurve({ loss: long, valLoss: long, accuracy: long, valAccuracy: long });
    expect(all(checkSvg(svg), 'circle').length).toBeLessThanOrEqual(4 * 41);
    expect(svg.length).toBeLessThan(120_000);
    record.add('learning-curve-cases', 'Plots', 'learningCurve on the reported inputs (one-ulp span, subnormals, +-MAX_VALUE, 1 point, 0 points, 100,000 epochs)', 17);
  });

  it('random series (one or several histories, with and without validation and accuracy)', () => {
    const caseArb = fc.record({
      runs: fc.array(fc.record({ loss: seriesArb, withVal: fc.boolean(), withAcc: fc.boolean() }), { minLength: 1, maxLength: 3 }),
      several: fc.boolean(),
    });
    record.check('learning-curve', 'Plots', 'learningCurve on random series: any doubles with NaN/Inf, constants, a few ulps apart, subnormals, +-1e308, up to 100,000 epochs; 1-3 histories', fc.property(caseArb, ({ runs, several }) => {
      const data = runs.map(({ loss, withVal, withAcc }) => ({
        loss,
        valLoss: withVal ? loss.map((v) => v * 1.5) : undefined,
        accuracy: withAcc ? loss.map((v) => 1 - v) : undefined,
      }));
      const svg = several || data.length > 1 ? sn.plot.learningCurve(data, { names: data.map((_, k) => `run ${k}`) }) : sn.plot.learningCurve(data[0]);
      const root = checkSvg(svg);
      const nonFinite = runs.some(({ loss }) => loss.some((v) => !Number.isFinite(v) || !Number.isFinite(v * 1.5) || !Number.isFinite(1 - v)));
      const notes = all(root, 'text').filter((t) => t.attrs.class === 'note');
      if (!nonFinite) expect(notes).toHaveLength(0);
      if (runs.some(({ loss }) => loss.some((v) => !Number.isFinite(v)))) expect(notes.length).toBeGreaterThan(0);
    }), { seed: SEED, numRuns: 300 });
  });
});

describe('decisionBoundary never hangs and never writes NaN', () => {
  const model = (x: InstanceType<typeof sn.Tensor>) => {
    const out = sn.zeros([x.shape[0], 1]);
    for (let i = 0; i < x.shape[0]; i++) out.data[i] = 1 / (1 + Math.exp(-(x.data[2 * i] - x.data[2 * i + 1])));
    return out;
  };

  it('the reported kinds of input: one point, subnormal and huge coordinates', () => {
    const cases: number[][][] = [[[0, 0]], [[3e-323, 0], [0, 5e-324]], [[-Number.MAX_VALUE, Number.MAX_VALUE], [Number.MAX_VALUE, -1]], [[1, 1], [1, 1]], [[NaN, 1], [0, 0]]];
    for (const pts of cases) checkSvg(sn.plot.decisionBoundary(model, pts, pts.map(() => 0), { resolution: 16 }));
    record.add('decision-boundary-cases', 'Plots', 'decisionBoundary on one point, subnormal, +-MAX_VALUE, repeated and NaN coordinates', cases.length);
  });

  it('random points, labels and model outputs (some NaN)', () => {
    const coord = fc.oneof({ weight: 6, arbitrary: finite }, { weight: 1, arbitrary: special }, { weight: 2, arbitrary: fc.double({ min: -1e-300, max: 1e-300, noNaN: true }) });
    const caseArb = fc.record({
      points: fc.array(fc.tuple(coord, coord), { minLength: 0, maxLength: 30 }),
      outputs: fc.constantFrom('sigmoid', 'nan', 'huge', 'three'),
      resolution: fc.integer({ min: 2, max: 24 }),
    });
    record.check('decision-boundary', 'Plots', 'decisionBoundary on 0-30 random points (any doubles, NaN/Inf, subnormals), outputs sigmoid / NaN / +-1e38 / 3 classes, resolution 2-24', fc.property(caseArb, ({ points, outputs, resolution }) => {
      const k = outputs === 'three' ? 3 : 1;
      const predictor = (x: InstanceType<typeof sn.Tensor>) => {
        const out = sn.zeros([x.shape[0], k]);
        for (let i = 0; i < out.size; i++) out.data[i] = outputs === 'nan' ? (i % 3 === 0 ? NaN : 0.7) : outputs === 'huge' ? (i % 2 ? 1e38 : -1e38) : Math.sin(i * 7.3 + x.data[i % x.size]);
        return out;
      };
      const labels = points.map((_, i) => i % 2);
      checkSvg(sn.plot.decisionBoundary(predictor, points, labels, { resolution }));
    }), { seed: SEED, numRuns: 150 });
  });
});

describe('confusionMatrixSvg never writes NaN', () => {
  it('random matrices: zeros, ones, huge counts', () => {
    const caseArb = fc.integer({ min: 1, max: 12 }).chain((n) => fc.array(fc.array(fc.oneof(fc.constant(0), fc.integer({ min: 0, max: 3 }), fc.integer({ min: 0, max: 1e6 }), fc.double({ min: 0, max: Number.MAX_VALUE, noNaN: true })), { minLength: n, maxLength: n }), { minLength: n, maxLength: n }));
    record.check('confusion-matrix', 'Plots', 'confusionMatrixSvg on random 1x1 to 12x12 matrices: zeros, 0-3, up to 1e6, up to Number.MAX_VALUE', fc.property(caseArb, (m) => {
      checkSvg(sn.plot.confusionMatrixSvg(m));
      expect(sn.plot.confusionMatrixText(m)).not.toMatch(/NaN/);
    }), { seed: SEED, numRuns: 200 });
  });
});

describe('hyperplane never writes NaN', () => {
  it('random weights (0, subnormal, huge, non-finite), points and histories', () => {
    const weight = fc.oneof({ weight: 4, arbitrary: finite }, { weight: 2, arbitrary: fc.constantFrom(0, 5e-324, -1e308, 1e-300) }, { weight: 1, arbitrary: special });
    const coord = fc.oneof({ weight: 6, arbitrary: finite }, { weight: 1, arbitrary: special });
    const lineArb = fc.record({ weights: fc.tuple(weight, weight), bias: weight });
    const caseArb = fc.record({
      model: lineArb,
      history: fc.array(lineArb, { maxLength: 5 }),
      points: fc.array(fc.tuple(coord, coord), { maxLength: 20 }),
      signed: fc.boolean(),
    });
    record.check('hyperplane', 'Plots', 'hyperplane on random weights and bias (0, subnormal, +-1e308, NaN/Inf), 0-5 history lines, 0-20 random points, 0/1 and -1/+1 labels', fc.property(caseArb, ({ model, history, points, signed }) => {
      const labels = points.map((_, i) => (i % 2 === 0 ? (signed ? -1 : 0) : 1));
      checkSvg(sn.plot.hyperplane(model, points, labels, { history }));
    }), { seed: SEED, numRuns: 300 });
  });
});

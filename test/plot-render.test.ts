// The plots as a person sees them: every SVG is rendered to PNG by librsvg (rsvg-convert, Debian's
// librsvg2-bin, installed by .ci/run), then the PNG is read back and checked for its size and for the
// colours that carry the information (series, regions, boundary line, cells, notes). The PNGs are kept in
// test/out/plots/ to be looked at.
import { execFileSync } from 'node:child_process';
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import * as sn from '../dist/index.js';
import { countColour, readPng, type Image } from './png.js';

const OUT = join(fileURLToPath(new URL('.', import.meta.url)), 'out', 'plots');

function hasRsvg(): boolean {
  try {
    execFileSync('rsvg-convert', ['--version'], { stdio: 'ignore' });
    return true;
  } catch {
    return false;
  }
}
const available = hasRsvg();
// CI installs librsvg2-bin; elsewhere the test says what to install instead of failing.
if (!available && process.env.CI) throw new Error('rsvg-convert is missing: .ci/run installs librsvg2-bin');

/** Writes name.svg and name.png under test/out/plots and returns the decoded PNG. */
function render(name: string, svg: string): Image {
  mkdirSync(OUT, { recursive: true });
  const svgFile = join(OUT, `${name}.svg`);
  const pngFile = join(OUT, `${name}.png`);
  writeFileSync(svgFile, svg);
  execFileSync('rsvg-convert', ['--format', 'png', '--output', pngFile, svgFile]);
  const image = readPng(readFileSync(pngFile));
  const size = /<svg[^>]* width="([\d.]+)" height="([\d.]+)"/.exec(svg)!;
  expect([image.width, image.height]).toEqual([Math.ceil(Number(size[1])), Math.ceil(Number(size[2]))]);
  return image;
}

/** Share of pixels that are not (near) white. */
function inkShare(image: Image): number {
  return 1 - countColour(image, '#ffffff', 10) / (image.width * image.height);
}

const BLUE = '#4e79a7';
const ORANGE = '#f28e2b';
const RED = '#e15759';
const NOTE = '#aa3333';
const sig = (z: number) => 1 / (1 + Math.exp(-z));

describe.skipIf(!available)('plots rendered by librsvg', () => {
  it('learning curves: one history, 5,000 epochs, several learning rates, non-finite values', () => {
    const short = render('learning-curve', sn.plot.learningCurve({ loss: [0.9, 0.5, 0.3], valLoss: [0.8, 0.6, 0.5], accuracy: [0.7, 0.85, 0.9], valAccuracy: [0.72, 0.8, 0.84] }));
    expect(inkShare(short)).toBeGreaterThan(0.02);
    expect(countColour(short, BLUE)).toBeGreaterThan(200);
    expect(countColour(short, ORANGE)).toBeGreaterThan(100);

    const loss = Array.from({ length: 5000 }, (_, i) => 0.7 * Math.exp(-i / 800) + 0.02 * Math.sin(i / 7) + 0.05);
    const long = render('learning-curve-5000', sn.plot.learningCurve({ loss, valLoss: loss.map((v) => v * 1.1 + 0.02) }));
    expect(countColour(long, BLUE)).toBeGreaterThan(400);

    const rates = [0.01, 0.1, 1, 3];
    const runs = rates.map((lr) => ({ loss: Array.from({ length: 200 }, (_, i) => 0.25 * Math.exp((-i * lr) / 20) + 0.01) }));
    const compared = render('learning-curve-rates', sn.plot.learningCurve(runs, { names: rates.map((lr) => `lr ${lr}`), title: 'Learning rates' }));
    for (const colour of [BLUE, ORANGE, RED, '#76b7b2']) expect(countColour(compared, colour), colour).toBeGreaterThan(100);

    const broken = render('learning-curve-nonfinite', sn.plot.learningCurve({ loss: [1, NaN, 0.5, Infinity, 0.4, 0.35] }));
    expect(countColour(broken, NOTE, 40)).toBeGreaterThan(30);
    const flat = render('learning-curve-one-ulp', sn.plot.learningCurve({ loss: [-1, -0.9999999999999999] }));
    expect(countColour(flat, BLUE)).toBeGreaterThan(200);
  });

  it('decision boundaries: XOR with its p = 0.5 line, three classes', () => {
    const xor = (x: InstanceType<typeof sn.Tensor>) => {
      const out = sn.zeros([x.shape[0], 1]);
      for (let i = 0; i < x.shape[0]; i++) {
        const s = x.data[2 * i] + x.data[2 * i + 1];
        out.data[i] = sig(10 * (sig(10 * (s - 0.5)) - sig(10 * (s - 1.5))) - 5);
      }
      return out;
    };
    const image = render('decision-boundary-xor', sn.plot.decisionBoundary(xor, [[0, 0], [0, 1], [1, 0], [1, 1]], [0, 1, 1, 0], { title: 'XOR' }));
    expect(inkShare(image)).toBeGreaterThan(0.4);
    // The boundary's dark pixels inside the plot (400 px square at (64, 45)), away from the four points:
    // two lines of about 2 x 280 px.
    const points = [[164, 145], [164, 345], [364, 145], [364, 345]];
    const inPlot = (x: number, y: number) => x > 70 && x < 458 && y > 51 && y < 439 && points.every(([px, py]) => Math.hypot(x - px, y - py) > 12);
    expect(countColour(image, '#222222', 40, inPlot)).toBeGreaterThan(800);
    expect(countColour(image, BLUE)).toBeGreaterThan(50);
    expect(countColour(image, ORANGE)).toBeGreaterThan(50);

    const three = (x: InstanceType<typeof sn.Tensor>) => {
      const out = sn.zeros([x.shape[0], 3]);
      for (let i = 0; i < x.shape[0]; i++) {
        const s = [x.data[2 * i], x.data[2 * i + 1], -x.data[2 * i] - x.data[2 * i + 1]].map((v) => Math.exp(3 * v));
        const z = s[0] + s[1] + s[2];
        for (let j = 0; j < 3; j++) out.data[3 * i + j] = s[j] / z;
      }
      return out;
    };
    const regions = render('decision-boundary-three', sn.plot.decisionBoundary(three, [[1, 0], [0, 1], [-1, -1]], [0, 1, 2], { classNames: ['a', 'b', 'c'] }));
    for (const colour of [BLUE, ORANGE, RED]) expect(countColour(regions, colour), colour).toBeGreaterThan(50);
  });

  it('a perceptron\'s hyperplane: half-planes, line, weight vector, earlier lines', () => {
    const p = sn.perceptron({ inputs: 2, learningRate: 0.1, init: 'random', seed: 3 });
    const x = [[0, 0], [0, 1], [1, 0], [1, 1]];
    const r = p.train(x, [0, 1, 1, 1]);
    const image = render('hyperplane-or', sn.plot.hyperplane(p, x, [0, 1, 1, 1], { history: r.epochEnds.slice(0, -1), title: 'OR' }));
    p.dispose();
    expect(countColour(image, '#b03030', 30)).toBeGreaterThan(60);
    expect(countColour(image, '#d8e2ec', 6)).toBeGreaterThan(2000);
    expect(countColour(image, '#fbdfc4', 6)).toBeGreaterThan(2000);
  });

  it('confusion matrix with its colour key', () => {
    const m = Array.from({ length: 10 }, (_, i) => Array.from({ length: 10 }, (_, j) => (i === j ? 950 + i : (i * 7 + j * 3) % 11 === 0 ? 30 : (i + j) % 4 === 0 ? 1 : 0)));
    const image = render('confusion-matrix', sn.plot.confusionMatrixSvg(m));
    expect(inkShare(image)).toBeGreaterThan(0.1);
    // The diagonal's cells at ~97% of their rows are the strong blue of the key's right end.
    expect(countColour(image, '#6488b1', 20)).toBeGreaterThan(10 * 30 * 30);
  });
});

// The tensor ops, NumPy style: a short tour, then XOR with a 2-3-1 sigmoid network whose forward and
// backward passes are written with the ops only, on buffers allocated once (every op writes into `out`).
// README.md's "Tensor math" blocks are this file's code. Run: node examples/tensor-math.mjs [--json]
import * as sn from 'simdnet';

// Tour
const x = sn.tensor([[1, -2, 3], [4, 5, -6]]);
const row = sn.tensor([10, 20, 30]);
const shifted = sn.add(x, row);                          // the row is added to every row: [[11, 18, 33], [14, 25, 24]]
const halved = sn.mul(x, 0.5);                           // a number is a scalar
const relu = sn.maximum(x, 0);                           // elementwise max (NaN if either is NaN)
const colSums = sn.sum(x, { axis: 0 });                  // [5, 3, -3]; sn.sum(x) is a [] tensor of all
const rowMeans = sn.mean(x, { axis: 1, keepDims: true }); // [[0.667], [1]]
const classes = sn.argmax(x, { axis: 1 });               // [2, 1] as float32 indices
const hot = sn.oneHot(classes, 3);                       // [[0, 0, 1], [0, 1, 0]]
const xT = sn.transpose(x);                              // [3, 2]
const d = sn.dot(sn.tensor([1, 2, 3]), sn.tensor([4, 5, 6]));   // 32, a number
const logs = sn.log(sn.exp(x));                          // x again, to float32 rounding
const m = sn.mean(x);                                    // a [] tensor, used as a scalar below
sn.sub(x, m, { out: x });                                // in place: x -= mean(x)
m.dispose();

// XOR: cost C = ½ Σ (a - y)², full batch, learning rate 1
const X = sn.tensor([[0, 0], [0, 1], [1, 0], [1, 1]]);
const Y = sn.tensor([[0], [1], [1], [0]]);
const W1 = sn.tensor([[0.5, -0.4, 0.3], [0.2, 0.6, -0.5]]);
const b1 = sn.tensor([0.1, -0.1, 0.05]);
const W2 = sn.tensor([[0.7], [-0.6], [0.4]]);
const b2 = sn.tensor([0]);
const [A1, dZ1, A2, dZ2] = [[4, 3], [4, 3], [4, 1], [4, 1]].map(sn.zeros);
const grads = [[W1, sn.zeros([2, 3])], [b1, sn.zeros([3])], [W2, sn.zeros([3, 1])], [b2, sn.zeros([1])]];
const [[, dW1], [, db1], [, dW2], [, db2]] = grads;
for (let epoch = 0; epoch < 5000; epoch++) {
  sn.sigmoid(sn.add(sn.matmul(X, W1, { out: A1 }), b1, { out: A1 }), { out: A1 });   // A1 = σ(X W1 + b1)
  sn.sigmoid(sn.add(sn.matmul(A1, W2, { out: A2 }), b2, { out: A2 }), { out: A2 });  // A2 = σ(A1 W2 + b2)
  sn.sub(A2, Y, { out: dZ2 });                                                       // ∂C/∂A2 = A2 - Y
  sn.sigmoidGrad(A2, { fromOutput: true, dy: dZ2, out: dZ2 });                       // dZ2 = (A2 - Y) A2 (1 - A2)
  sn.matmul(A1, dZ2, { transposeA: true, out: dW2 });                                // dW2 = A1ᵀ dZ2
  sn.sum(dZ2, { axis: 0, out: db2 });                                                // db2 = column sums of dZ2
  sn.matmul(dZ2, W2, { transposeB: true, out: dZ1 });                                // ∂C/∂A1 = dZ2 W2ᵀ
  sn.sigmoidGrad(A1, { fromOutput: true, dy: dZ1, out: dZ1 });                       // dZ1 = ∂C/∂A1 A1 (1 - A1)
  sn.matmul(X, dZ1, { transposeA: true, out: dW1 });                                 // dW1 = Xᵀ dZ1
  sn.sum(dZ1, { axis: 0, out: db1 });
  for (const [w, g] of grads) sn.sub(w, g, { out: w });                             // w -= 1 * g
}
const error = sn.sub(A2, Y);
const cost = sn.sum(sn.square(error, { out: error })).data[0] / 2;                  // about 0.0008
const predicted = sn.step(sn.sub(A2, 0.5));                                          // class 1 where a > 0.5

const tour = { shifted, halved, relu, colSums, rowMeans, classes, hot, xT, logs, x };
if (process.argv.includes('--json')) {
  const arrays = Object.fromEntries(Object.entries(tour).map(([k, t]) => [k, t.toArray()]));
  console.log(JSON.stringify({ tour: { ...arrays, d }, cost, outputs: Array.from(A2.data), predicted: Array.from(predicted.data) }));
} else {
  console.log(`XOR by hand: cost ${cost.toFixed(5)}, outputs ${Array.from(A2.data, (p) => p.toFixed(3)).join(' ')}`);
}

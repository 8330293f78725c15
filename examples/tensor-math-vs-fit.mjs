// The tutorials' NumPy training loops written line for line with the tensor ops, next to `fit` on the same
// start and the same batches: both end with the same weights, to float32 rounding.
// - XOR: 2-3-1 sigmoid, C = ½ Σ (a - y)² summed over the four points, learning rate 1, full batch, 2,000
//   epochs; fit gets the same cost with loss 'halfSquaredError' (½ (a - y)² per point) and
//   reduction 'sum'.
// - MNIST, as "Building a neural network FROM SCRATCH (no Tensorflow/Pytorch, just numpy)" builds it: 784-10-10,
//   ReLU, softmax, one-hot targets, weights and biases from U(-0.5, 0.5), learning rate 0.1,
//   dZ2 = (A2 - Y) / m; here on the first 2,000 of simdnet's digits in mini-batches of 100, 2 epochs.
// Run: node examples/tensor-math-vs-fit.mjs [--json]
import * as sn from 'simdnet';

const json = process.argv.includes('--json');

/** Largest |a - b| over all weights, and the largest |a| (the scale it is measured against). */
function compare(hand, fit) {
  let diff = 0;
  let scale = 0;
  hand.forEach((t, k) => t.data.forEach((v, i) => {
    diff = Math.max(diff, Math.abs(v - fit[k][i]));
    scale = Math.max(scale, Math.abs(v));
  }));
  return { maxDifference: diff, maxWeight: scale };
}

// XOR: the start of tensor-math.mjs's loop.
const X = sn.tensor([[0, 0], [0, 1], [1, 0], [1, 1]]);
const Y = sn.tensor([[0], [1], [1], [0]]);
const xorStart = [[[0.5, -0.4, 0.3], [0.2, 0.6, -0.5]], [0.1, -0.1, 0.05], [[0.7], [-0.6], [0.4]], [0]];
const XOR_EPOCHS = 2000;
const [W1, b1, W2, b2] = xorStart.map((w) => sn.tensor(w));
const [A1, dZ1, A2, dZ2] = [[4, 3], [4, 3], [4, 1], [4, 1]].map(sn.zeros);
const xorGrads = [[W1, sn.zeros([2, 3])], [b1, sn.zeros([3])], [W2, sn.zeros([3, 1])], [b2, sn.zeros([1])]];
for (let epoch = 0; epoch < XOR_EPOCHS; epoch++) {
  sn.sigmoid(sn.add(sn.matmul(X, W1, { out: A1 }), b1, { out: A1 }), { out: A1 });   // A1 = σ(X W1 + b1)
  sn.sigmoid(sn.add(sn.matmul(A1, W2, { out: A2 }), b2, { out: A2 }), { out: A2 });  // A2 = σ(A1 W2 + b2)
  sn.sigmoidGrad(A2, { fromOutput: true, dy: sn.sub(A2, Y, { out: dZ2 }), out: dZ2 }); // dZ2 = (A2 - Y) A2 (1 - A2)
  sn.matmul(A1, dZ2, { transposeA: true, out: xorGrads[2][1] });                      // dW2 = A1ᵀ dZ2
  sn.sum(dZ2, { axis: 0, out: xorGrads[3][1] });                                      // db2
  sn.matmul(dZ2, W2, { transposeB: true, out: dZ1 });                                 // ∂C/∂A1 = dZ2 W2ᵀ
  sn.sigmoidGrad(A1, { fromOutput: true, dy: dZ1, out: dZ1 });                        // dZ1
  sn.matmul(X, dZ1, { transposeA: true, out: xorGrads[0][1] });                       // dW1 = Xᵀ dZ1
  sn.sum(dZ1, { axis: 0, out: xorGrads[1][1] });                                      // db1
  for (const [w, g] of xorGrads) sn.sub(w, g, { out: w });                            // w -= 1 * g
}
const xorModel = sn.sequential([
  sn.layers.dense({ inputShape: [2], units: 3, activation: 'sigmoid' }),
  sn.layers.dense({ units: 1, activation: 'sigmoid' }),
]);
xorModel.setWeights(xorStart);
xorModel.compile({ optimizer: sn.optimizers.sgd({ learningRate: 1 }), loss: 'halfSquaredError', reduction: 'sum' });
await xorModel.fit(X, Y, { epochs: XOR_EPOCHS, batchSize: 4, shuffle: false });
const xor = { epochs: XOR_EPOCHS, ...compare([W1, b1, W2, b2], xorModel.getWeights()) };
xorModel.dispose();

// MNIST from scratch: the first 2,000 training digits, batches of 100 in order.
const { train, test } = await sn.io.digits();
const ROWS = 2000;
const BATCH = 100;
const EPOCHS = 2;
const RATE = 0.1;
const images = train.x.data.slice(0, ROWS * 784); // a copy: views into the wasm memory go stale when it grows
const labels = train.labels.subarray(0, ROWS);
const mnistModel = sn.sequential([
  sn.layers.dense({ inputShape: [784], units: 10, activation: 'relu', kernelInitializer: sn.initializers.randomUniform({ min: -0.5, max: 0.5 }), biasInitializer: sn.initializers.randomUniform({ min: -0.5, max: 0.5 }) }),
  sn.layers.dense({ units: 10, activation: 'softmax', kernelInitializer: sn.initializers.randomUniform({ min: -0.5, max: 0.5 }), biasInitializer: sn.initializers.randomUniform({ min: -0.5, max: 0.5 }) }),
], { seed: 1 });
const [V1, c1, V2, c2] = mnistModel.getWeights().map((w, k) => sn.tensor(w, [[784, 10], [10], [10, 10], [10]][k]));
const Xb = sn.zeros([BATCH, 784]);
const labelBatch = sn.zeros([BATCH]);
const [Yb, Z1, H1, Z2, P, D2, D1] = [[BATCH, 10], [BATCH, 10], [BATCH, 10], [BATCH, 10], [BATCH, 10], [BATCH, 10], [BATCH, 10]].map(sn.zeros);
const mnistGrads = [[V1, sn.zeros([784, 10])], [c1, sn.zeros([10])], [V2, sn.zeros([10, 10])], [c2, sn.zeros([10])]];
for (let epoch = 0; epoch < EPOCHS; epoch++) {
  for (let start = 0; start < ROWS; start += BATCH) {
    Xb.data.set(images.subarray(start * 784, (start + BATCH) * 784));
    labelBatch.data.set(labels.subarray(start, start + BATCH));
    sn.oneHot(labelBatch, 10, { out: Yb });                                            // Y = one_hot(labels)
    sn.add(sn.matmul(Xb, V1, { out: Z1 }), c1, { out: Z1 });                           // Z1 = X W1 + b1
    sn.relu(Z1, { out: H1 });                                                          // A1 = ReLU(Z1)
    sn.add(sn.matmul(H1, V2, { out: Z2 }), c2, { out: Z2 });                           // Z2 = A1 W2 + b2
    sn.softmax(Z2, { out: P });                                                        // A2 = softmax(Z2)
    sn.scale(sn.sub(P, Yb, { out: D2 }), 1 / BATCH, { out: D2 });                      // dZ2 = (A2 - Y) / m
    sn.matmul(H1, D2, { transposeA: true, out: mnistGrads[2][1] });                    // dW2 = A1ᵀ dZ2
    sn.sum(D2, { axis: 0, out: mnistGrads[3][1] });                                    // db2
    sn.reluGrad(Z1, { dy: sn.matmul(D2, V2, { transposeB: true, out: D1 }), out: D1 }); // dZ1 = dZ2 W2ᵀ * ReLU'(Z1)
    sn.matmul(Xb, D1, { transposeA: true, out: mnistGrads[0][1] });                    // dW1 = Xᵀ dZ1
    sn.sum(D1, { axis: 0, out: mnistGrads[1][1] });                                    // db1
    for (const [w, g] of mnistGrads) sn.sub(w, sn.scale(g, RATE, { out: g }), { out: w }); // w -= 0.1 g
  }
}
mnistModel.compile({ optimizer: sn.optimizers.sgd({ learningRate: RATE }), loss: 'categoricalCrossentropy', metrics: ['accuracy'] });
const targets = sn.oneHot(sn.tensor(Array.from(labels)), 10);
await mnistModel.fit(images, targets, { epochs: EPOCHS, batchSize: BATCH, shuffle: false });
const mnist = { rows: ROWS, batchSize: BATCH, epochs: EPOCHS, ...compare([V1, c1, V2, c2], mnistModel.getWeights()), testAccuracy: mnistModel.evaluate(test.x, sn.oneHot(sn.tensor(Array.from(test.labels)), 10)).accuracy };
mnistModel.dispose();

const result = { xor, mnist };
if (json) console.log(JSON.stringify(result));
else {
  console.log(`XOR, ${XOR_EPOCHS} epochs: ops loop vs fit, largest weight difference ${xor.maxDifference.toExponential(2)} (largest weight ${xor.maxWeight.toFixed(2)})`);
  console.log(`MNIST 784-10-10, ${ROWS} digits, batches of ${BATCH}, ${EPOCHS} epochs: largest weight difference ${mnist.maxDifference.toExponential(2)} (largest weight ${mnist.maxWeight.toFixed(2)}); fit's model: ${(100 * mnist.testAccuracy).toFixed(1)}% on ${test.labels.length} test digits`);
}

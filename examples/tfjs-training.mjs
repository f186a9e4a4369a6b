// Watch which classes a model confuses while it trains: TensorFlow.js fits a small classifier,
// and at the end of every epoch confmat counts the validation set's confusion matrix on the GPU
// (Dawn through npm `webgpu`; the CPU when no adapter answers) and prints the report.
//
//   npm run build && node examples/tfjs-training.mjs [epochs]
import * as tf from '@tensorflow/tfjs';
import { createConfusionMatrix, renderTable } from 'confmat';
import { adapterLabel, requestNodeDevice } from 'confmat/node';

const epochs = Number(process.argv[2] ?? 5);
const classes = ['circle', 'ring', 'left arm', 'right arm'];

// A seeded 4-class 2-D data set whose classes overlap where a small model will confuse them.
function makeData(n, seed) {
  let s = seed;
  const rand = () => ((s = (s * 1664525 + 1013904223) >>> 0) / 2 ** 32);
  const gauss = () => Math.sqrt(-2 * Math.log(1 - rand())) * Math.cos(2 * Math.PI * rand());
  const x = new Float32Array(n * 2);
  const y = new Int32Array(n);
  for (let i = 0; i < n; i++) {
    const c = Math.floor(rand() * 4);
    const a = rand() * 2 * Math.PI;
    const r = c === 0 ? 0.5 * rand() : c === 1 ? 1 + 0.3 * gauss() : 1.8 + 0.4 * gauss();
    const dx = c === 2 ? -1.2 : c === 3 ? 1.2 : 0;
    x[2 * i] = r * Math.cos(a) * (c >= 2 ? 0.6 : 1) + dx + 0.15 * gauss();
    x[2 * i + 1] = r * Math.sin(a) + 0.15 * gauss();
    y[i] = c;
  }
  return { x, y };
}

const train = makeData(20000, 1);
const valid = makeData(100000, 2);
const model = tf.sequential({ layers: [
  tf.layers.dense({ inputShape: [2], units: 32, activation: 'relu' }),
  tf.layers.dense({ units: 32, activation: 'relu' }),
  tf.layers.dense({ units: classes.length }), // logits
] });
model.compile({ optimizer: tf.train.adam(0.01), loss: (y, logits) => tf.losses.softmaxCrossEntropy(y, logits) });

const gpu = await requestNodeDevice();
console.log(gpu ? `confmat counts on ${adapterLabel(gpu.info)}` : 'confmat: no WebGPU adapter; counting on the CPU');
const cm = createConfusionMatrix({ numClasses: classes.length, device: gpu?.device });
const validX = tf.tensor2d(valid.x, [valid.y.length, 2]);

await model.fit(tf.tensor2d(train.x, [train.y.length, 2]), tf.oneHot(tf.tensor1d(train.y, 'int32'), classes.length), {
  epochs,
  batchSize: 256,
  verbose: 0,
  callbacks: { onEpochEnd: async (epoch, logs) => {
    const logits = model.predict(validX);
    await cm.reset();
    await cm.update({ logits, labels: valid.y }); // a tf.Tensor as it is (in place on a shared webgpu device)
    logits.dispose();
    console.log(`\nepoch ${epoch + 1}/${epochs}: loss ${logs.loss.toFixed(4)}`);
    console.log(renderTable(await cm.compute(), { classes, top: 3 }));
  } },
});
cm.destroy();
gpu?.destroy();

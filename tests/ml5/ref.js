// ref.js: an ml5.js CharRNN model folder run the way ml5 0.12.2 runs it, on TensorFlow.js 1.7.4
// (the version bundled in ml5 0.12.2's dist/ml5.min.js), CPU backend, in Node.
//
//   node ref.js probs DIR PRIME     after each character of PRIME, the next-character
//                                   probabilities: "step TAB hex(UTF-8 key) TAB probability"
//   node ref.js argmax DIR PRIME N  PRIME, then N characters, each the likeliest
//
// What it copies from ml5 0.12.2 (src/CharRNN/index.js, src/utils/checkpointLoader.js): the
// variables are sorted by the same regular expressions (/cell_[0-9]|lstm_[0-9]/ a layer, its
// first digit the layer number, /weights|weight|kernel|kernels|w/ its kernel, else its bias;
// /softmax/ the output), each file is read as a Float32Array of the manifest's shape, the
// input is a one-hot row times `embedding`, the cells are tf.basicLSTMCell with a forget bias
// of 1 under tf.multiRNNCell, the output is read from layer 1's h, and the probabilities are
// exp(logits / temperature) / sum, at temperature 1 here.
'use strict';
const fs = require('fs');
const path = require('path');

// TensorFlow.js prints a hint about tfjs-node with console.log: keep stdout for data.
const log = console.log;
console.log = (...a) => console.error(...a);
const tf = require('@tensorflow/tfjs');
console.log = log;

function loadModel(dir) {
  const manifest = JSON.parse(fs.readFileSync(path.join(dir, 'manifest.json'), 'utf8'));
  const vars = {};
  for (const name of Object.keys(manifest)) {
    const { filename, shape } = manifest[name];
    const b = fs.readFileSync(path.join(dir, filename));
    const values = new Float32Array(b.buffer.slice(b.byteOffset, b.byteOffset + b.byteLength));
    vars[name] = tf.tensor(values, shape);
  }
  const regexCell = /cell_[0-9]|lstm_[0-9]/gi;
  const regexWeights = /weights|weight|kernel|kernels|w/gi;
  const regexFullyConnected = /softmax/gi;
  const model = {};
  let cellsAmount = 0;
  Object.keys(vars).forEach(key => {
    if (key.match(regexCell)) {
      if (key.match(regexWeights)) {
        model[`Kernel_${key.match(/[0-9]/)[0]}`] = vars[key];
        cellsAmount += 1;
      } else {
        model[`Bias_${key.match(/[0-9]/)[0]}`] = vars[key];
      }
    } else if (key.match(regexFullyConnected)) {
      if (key.match(regexWeights)) model.fullyConnectedWeights = vars[key];
      else model.fullyConnectedBiases = vars[key];
    } else {
      model[key] = vars[key];
    }
  });
  const vocab = JSON.parse(fs.readFileSync(path.join(dir, 'vocab.json'), 'utf8'));
  const forgetBias = tf.tensor(1.0);
  const cells = [];
  const state = { c: [], h: [] };
  for (let i = 0; i < cellsAmount; i += 1) {
    const units = model[`Bias_${i}`].shape[0] / 4;
    state.c.push(tf.zeros([1, units]));
    state.h.push(tf.zeros([1, units]));
    cells.push((DATA, C, H) =>
      tf.basicLSTMCell(forgetBias, model[`Kernel_${i}`], model[`Bias_${i}`], DATA, C, H));
  }
  return { model, vocab, vocabSize: Object.keys(vocab).length, cells, state };
}

// One step: the character with ml5 id `input` goes through the layers.
function feed(m, input) {
  const onehotBuffer = tf.buffer([1, m.vocabSize]);
  onehotBuffer.set(1.0, 0, input);
  const onehot = onehotBuffer.toTensor();
  const data = m.model.embedding ? tf.matMul(onehot, m.model.embedding) : onehot;
  const [c, h] = tf.multiRNNCell(m.cells, data, m.state.c, m.state.h);
  m.state = { c, h };
}

function probabilities(m, temperature) {
  const outputH = m.state.h[1];
  const weightedResult = tf.matMul(outputH, m.model.fullyConnectedWeights);
  const logits = tf.add(weightedResult, m.model.fullyConnectedBiases);
  const divided = tf.div(logits, tf.tensor(temperature));
  const probs = tf.exp(divided);
  return tf.div(probs, tf.sum(probs)).dataSync();
}

function ids(m, prime) {
  return Array.from(prime).map(ch => {
    if (!(ch in m.vocab)) {
      console.error(`ref.js: ${JSON.stringify(ch)} is not in the model's vocabulary`);
      process.exit(2);
    }
    return m.vocab[ch];
  });
}

const hex = s => Buffer.from(s, 'utf8').toString('hex');

function main(argv) {
  const [mode, dir, prime, n] = argv;
  if (!['probs', 'argmax'].includes(mode) || !dir || !prime || (mode === 'argmax' && !n)) {
    console.error('usage: node ref.js probs DIR PRIME | node ref.js argmax DIR PRIME N');
    process.exit(2);
  }
  tf.setBackend('cpu');
  const m = loadModel(dir);
  const keys = Object.keys(m.vocab);
  const out = [];
  if (mode === 'probs') {
    ids(m, prime).forEach((id, step) => {
      feed(m, id);
      const p = probabilities(m, 1.0);
      for (const k of keys) out.push(`${step}\t${hex(k)}\t${p[m.vocab[k]].toPrecision(9)}`);
    });
    process.stdout.write(out.join('\n') + '\n');
    return;
  }
  const byId = [];
  for (const k of keys) byId[m.vocab[k]] = k;
  ids(m, prime).forEach(id => feed(m, id));
  let text = prime;
  for (let i = 0; i < Number(n); i += 1) {
    const p = probabilities(m, 1.0);
    let best = 0;
    for (let k = 1; k < p.length; k += 1) if (p[k] > p[best]) best = k;
    text += byId[best];
    feed(m, best);
  }
  process.stdout.write(text);
}

main(process.argv.slice(2));

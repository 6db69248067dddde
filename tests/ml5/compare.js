// compare.js: node compare.js A.tsv B.tsv TOLERANCE
// Compares two probability listings ("step TAB hex(UTF-8 key) TAB probability", from probs.c
// and ref.js): the same steps and keys, and every probability within TOLERANCE. Prints the
// largest difference; exits 1 if it is above TOLERANCE or the listings do not match.
'use strict';
const fs = require('fs');

function read(file) {
  const map = new Map();
  for (const line of fs.readFileSync(file, 'utf8').split('\n')) {
    if (line === '') continue;
    const [step, key, p] = line.split('\t');
    const k = `${step}\t${key}`;
    if (map.has(k) || !Number.isFinite(Number(p))) {
      console.error(`compare.js: ${file}: a bad or repeated line: ${JSON.stringify(line)}`);
      process.exit(1);
    }
    map.set(k, Number(p));
  }
  return map;
}

const [fa, fb, tol] = process.argv.slice(2);
const a = read(fa), b = read(fb);
let worst = 0, where = '', steps = new Set();
for (const [k, p] of a) {
  if (!b.has(k)) {
    console.error(`compare.js: ${fb} lacks step/key ${JSON.stringify(k)} that ${fa} has`);
    process.exit(1);
  }
  const d = Math.abs(p - b.get(k));
  steps.add(k.split('\t')[0]);
  if (d > worst || !Number.isFinite(d)) { worst = d; where = k; }
}
if (a.size !== b.size || a.size === 0) {
  console.error(`compare.js: ${fa} has ${a.size} probabilities, ${fb} ${b.size}`);
  process.exit(1);
}
const key = Buffer.from(where.split('\t')[1] || '', 'hex').toString('utf8');
console.log(`max |difference| ${worst.toExponential(2)} over ${a.size} probabilities ` +
            `(${steps.size} steps; largest at step ${where.split('\t')[0]}, ${JSON.stringify(key)})`);
process.exit(worst <= Number(tol) ? 0 : 1);

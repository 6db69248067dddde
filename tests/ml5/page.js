// page.js: node page.js MODEL_DIR PRIME OURS.tsv TOLERANCE
// Serves page.html, ml5 0.12.2's dist/ml5.min.js (from node_modules) and the model folder on
// 127.0.0.1, opens the page in headless Chromium (/usr/bin/chromium, or $CHROMIUM) through
// puppeteer-core, and has ml5.charRNN load the model and generate. Checks that text comes back
// and that ml5's probabilities after PRIME equal ours (the last step of OURS.tsv, from probs.c)
// within TOLERANCE. Prints one line of findings; exits 1 on failure.
'use strict';
const fs = require('fs');
const http = require('http');
const os = require('os');
const path = require('path');
const puppeteer = require('puppeteer-core');

const [modelDir, prime, oursFile, tol] = process.argv.slice(2);
const here = __dirname;
const files = {
  '/page.html': [path.join(here, 'page.html'), 'text/html; charset=utf-8'],
  '/ml5.min.js': [require.resolve('ml5/dist/ml5.min.js'), 'text/javascript'],
};

function serve(req, res) {
  const url = decodeURIComponent(req.url.split('?')[0]);
  let file = files[url] && files[url][0];
  let type = files[url] && files[url][1];
  const m = /^\/model\/([^/]+)$/.exec(url);
  if (m && m[1] !== '.' && m[1] !== '..') {
    file = path.join(modelDir, m[1]);
    type = m[1].endsWith('.json') ? 'application/json' : 'application/octet-stream';
  }
  if (!file || !fs.existsSync(file)) {
    res.writeHead(404);
    res.end();
    return;
  }
  res.writeHead(200, { 'Content-Type': type });
  fs.createReadStream(file).pipe(res);
}

// The last step's probabilities in a probs.c listing, by hex of the key.
function lastStep(file) {
  const rows = fs.readFileSync(file, 'utf8').split('\n').filter(Boolean).map(l => l.split('\t'));
  const last = rows[rows.length - 1][0];
  return new Map(rows.filter(r => r[0] === last).map(r => [r[1], Number(r[2])]));
}

async function main() {
  const server = http.createServer(serve);
  await new Promise(ok => server.listen(0, '127.0.0.1', ok));
  const port = server.address().port;
  const profile = fs.mkdtempSync(path.join(os.tmpdir(), 'charrnn-chromium-'));
  let browser;
  const errors = [];
  try {
    browser = await puppeteer.launch({
      executablePath: process.env.CHROMIUM || '/usr/bin/chromium',
      ignoreDefaultArgs: true,
      args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run',
             '--disable-background-networking', '--disable-component-update', '--disable-sync',
             `--user-data-dir=${profile}`, 'about:blank'],
      timeout: 60000,
    });
    const page = await browser.newPage();
    page.on('pageerror', e => errors.push(String(e)));
    await page.goto(`http://127.0.0.1:${port}/page.html`, { waitUntil: 'load', timeout: 60000 });
    const r = await page.evaluate((u, p) => window.runTest(u, p), `http://127.0.0.1:${port}/model`, prime);
    const ours = lastStep(oursFile);
    let worst = 0, n = 0;
    for (const [k, p] of r.probs) {
      const key = Buffer.from(k, 'utf8').toString('hex');
      if (!ours.has(key)) throw new Error(`ml5's vocabulary has ${JSON.stringify(k)}, ours not`);
      worst = Math.max(worst, Math.abs(p - ours.get(key)));
      n += 1;
    }
    if (n !== ours.size) throw new Error(`ml5 has ${n} characters, we have ${ours.size}`);
    const ok = worst <= Number(tol) && typeof r.sample === 'string' && r.sample.length > 0;
    console.log(`ml5 ${r.version}, backend ${r.backend}: max |difference| ${worst.toExponential(2)}` +
                ` over ${n} probabilities; generated ${JSON.stringify(r.sample.slice(0, 40))}...`);
    if (errors.length) console.log(`page errors: ${errors.join('; ')}`);
    process.exitCode = ok ? 0 : 1;
  } finally {
    if (browser) await browser.close();
    server.close();
    fs.rmSync(profile, { recursive: true, force: true });
  }
}

main().catch(e => {
  console.log(`page test failed: ${e && e.message ? e.message : e}`);
  process.exit(1);
});

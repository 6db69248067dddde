// sketch_test.js: node sketch_test.js MODEL_DIR DOCS_MD
// The p5.js sketch of docs/ml5.md, for real: checks that sketch/index.html and sketch/sketch.js
// are the ones the document shows, serves them on 127.0.0.1 with the model folder as
// models/bot/, answers the two script tags' CDN addresses with p5 1.4.0 and ml5 0.12.2 from
// node_modules (nothing else leaves the machine), opens the page in headless Chromium, waits
// for the bot, clicks and waits for its text. Prints one line; exits 1 on failure.
'use strict';
const fs = require('fs');
const http = require('http');
const os = require('os');
const path = require('path');
const puppeteer = require('puppeteer-core');

const [modelDir, docsFile, shot] = process.argv.slice(2);
const sketch = path.join(__dirname, 'sketch');
const CDN = {
  'https://cdnjs.cloudflare.com/ajax/libs/p5.js/1.4.0/p5.min.js': require.resolve('p5/lib/p5.min.js'),
  'https://unpkg.com/ml5@0.12.2/dist/ml5.min.js': require.resolve('ml5/dist/ml5.min.js'),
};

function checkDocs() {
  const docs = fs.readFileSync(docsFile, 'utf8');
  for (const [file, lang] of [['index.html', 'html'], ['sketch.js', 'js']]) {
    const text = fs.readFileSync(path.join(sketch, file), 'utf8');
    if (!docs.includes('```' + lang + '\n' + text + '```'))
      throw new Error(`${docsFile} does not show tests/ml5/sketch/${file} as it is`);
  }
  const html = fs.readFileSync(path.join(sketch, 'index.html'), 'utf8');
  for (const url of Object.keys(CDN))
    if (!html.includes(`<script src="${url}"></script>`)) throw new Error(`index.html lacks ${url}`);
}

function serve(req, res) {
  const url = decodeURIComponent(req.url.split('?')[0]);
  let file = null;
  if (url === '/' || url === '/index.html') file = path.join(sketch, 'index.html');
  else if (url === '/sketch.js') file = path.join(sketch, 'sketch.js');
  const m = /^\/models\/bot\/([^/]+)$/.exec(url);
  if (m && m[1] !== '.' && m[1] !== '..') file = path.join(modelDir, m[1]);
  if (!file || !fs.existsSync(file)) {
    res.writeHead(404);
    res.end();
    return;
  }
  res.writeHead(200);
  fs.createReadStream(file).pipe(res);
}

async function main() {
  checkDocs();
  const server = http.createServer(serve);
  await new Promise(ok => server.listen(0, '127.0.0.1', ok));
  const base = `http://127.0.0.1:${server.address().port}/`;
  const profile = fs.mkdtempSync(path.join(os.tmpdir(), 'charrnn-chromium-'));
  let browser;
  const errors = [], blocked = [];
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
    await page.setViewport({ width: 660, height: 460 });
    page.on('pageerror', e => errors.push(String(e)));
    await page.setRequestInterception(true);
    page.on('request', req => {
      const url = req.url();
      if (CDN[url]) req.respond({ status: 200, contentType: 'text/javascript', body: fs.readFileSync(CDN[url]) });
      else if (url.startsWith(base) || url === 'about:blank') req.continue();
      else { blocked.push(url); req.abort(); }
    });
    await page.goto(base, { waitUntil: 'load', timeout: 60000 });
    await page.waitForFunction(() => ready === true, { timeout: 60000 });
    const canvas = await page.$('canvas');
    if (!canvas) throw new Error('the sketch made no canvas');
    await canvas.click();
    await page.waitForFunction(() => words.startsWith('The sea') && words.length > 60 ||
                               words.startsWith('Something went wrong'), { timeout: 60000 });
    const words = await page.evaluate(() => words);
    if (shot) await page.screenshot({ path: shot });
    if (!words.startsWith('The sea')) throw new Error(words);
    console.log(`the bot wrote ${JSON.stringify(words.slice(0, 60))}...` +
                (errors.length ? `; page errors: ${errors.join('; ')}` : '') +
                (blocked.length ? `; blocked: ${blocked.join(' ')}` : ''));
    process.exitCode = errors.length ? 1 : 0;
  } finally {
    if (browser) await browser.close();
    server.close();
    fs.rmSync(profile, { recursive: true, force: true });
  }
}

main().catch(e => {
  console.log(`sketch test failed: ${e && e.message ? e.message : e}`);
  process.exit(1);
});

// page_test.js: dump --html's page in headless Chromium (Debian's /usr/bin/chromium, or
// $CHROMIUM) through puppeteer-core, opened from file:// as a person would. Prints "ok NAME",
// "FAIL NAME: why" or "note NAME: ..." lines for tests/page/run.sh to count.
//
//   node page_test.js model DIR NAME   DIR holds page32.html, page16.html, prime-K.txt,
//                                      argmax-K.txt (sample --argmax) and probs-K.tsv (probs.c)
//   node page_test.js xss DIR          DIR holds xss.html: a model whose vocabulary, name and
//                                      lineage hold markup
//   node page_test.js tabs DIR         DIR holds tabs.html: every tab used, and a screenshot of
//                                      each at laptop and phone width, saved in DIR
//   node page_test.js speed PAGE       load time and characters per second, reported
// Every page is opened with request interception: any request that leaves the page fails.
'use strict';
const fs = require('fs');
const os = require('os');
const path = require('path');
const puppeteer = require('puppeteer-core');

const TOL = 1e-5; // the largest difference allowed between two probabilities (32-bit weights)
const [mode, arg, name] = process.argv.slice(2);
const results = [];
const ok = (n, why) => results.push(`ok   ${n}${why ? ' (' + why + ')' : ''}`);
const bad = (n, why) => results.push(`FAIL ${n}: ${why}`);
const note = (n, why) => results.push(`note ${n}: ${why}`);

let browser, profile;
async function launch() {
  profile = fs.mkdtempSync(path.join(os.tmpdir(), 'charrnn-page-chromium-'));
  browser = await puppeteer.launch({
    executablePath: process.env.CHROMIUM || '/usr/bin/chromium',
    ignoreDefaultArgs: true,
    args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run',
           '--disable-background-networking', '--disable-component-update', '--disable-sync',
           '--hide-scrollbars', '--font-render-hinting=none',
           `--user-data-dir=${profile}`, 'about:blank'],
    timeout: 60000,
  });
}

// A page that records its errors, its dialogs (an alert that ran) and every request it makes
// beyond its own file and data: URLs, which are refused.
async function open(file, hash, viewport) {
  const page = await browser.newPage();
  await page.setViewport(viewport || { width: 1280, height: 900 });
  const seen = { errors: [], dialogs: [], requests: [], console: [] };
  page.on('pageerror', (e) => seen.errors.push(String(e)));
  page.on('console', (m) => { if (m.type() === 'error') seen.console.push(m.text()); });
  page.on('dialog', async (d) => { seen.dialogs.push(d.message()); await d.dismiss(); });
  await page.setRequestInterception(true);
  const own = 'file://' + path.resolve(file);
  page.on('request', (r) => {
    const u = r.url();
    if (u.split('#')[0] === own || u.startsWith('data:')) return r.continue();
    seen.requests.push(u);
    r.abort();
  });
  const t0 = Date.now();
  await page.goto(own + (hash || ''), { waitUntil: 'load', timeout: 60000 });
  await until(page, () => document.body.dataset.ready);
  seen.loadMs = Date.now() - t0;
  seen.ready = await page.evaluate(() => document.body.dataset.ready);
  return { page, seen };
}

function clean(n, seen) {
  const why = [];
  if (seen.ready !== '1') why.push(`the page did not start (${seen.ready})`);
  if (seen.errors.length) why.push(`page errors: ${seen.errors.join('; ')}`);
  if (seen.console.length) why.push(`console errors: ${seen.console.join('; ')}`);
  if (seen.dialogs.length) why.push(`a dialog opened: ${seen.dialogs.join('; ')}`);
  if (seen.requests.length) why.push(`requests left the page: ${seen.requests.join(', ')}`);
  return why;
}

// Polls fn in the page (waitForFunction would build a function from text, which the page's
// Content-Security-Policy forbids).
async function until(page, fn, arg) {
  const end = Date.now() + 120000;
  while (Date.now() < end) {
    if (await page.evaluate(fn, arg)) return;
    await new Promise((r) => setTimeout(r, 50));
  }
  throw new Error(`timed out waiting for `);
}

async function writtenText(page) {
  await until(page, () => document.getElementById('output').dataset.state === 'done');
  return page.evaluate(() => document.getElementById('output').textContent);
}

function readProbs(file) {
  const steps = [];
  for (const line of fs.readFileSync(file, 'utf8').split('\n')) {
    if (!line) continue;
    const [step, hex, p] = line.split('\t');
    if (!steps[step]) steps[step] = new Map();
    steps[step].set(hex, Number(p));
  }
  return steps;
}

// The page's probabilities after each prefix of the prime against probs.c's; the largest
// difference.
async function probsDiff(page, prime, ours) {
  const chars = Array.from(prime);
  let worst = 0, n = 0;
  for (let k = 1; k <= chars.length; k++) {
    const p = await page.evaluate((t) => window.bot.probsAfter(t), chars.slice(0, k).join(''));
    const want = ours[k - 1];
    if (!want) throw new Error(`probs.c has no step ${k - 1}`);
    if (Object.keys(p).length !== want.size) throw new Error(`${Object.keys(p).length} characters, probs.c has ${want.size}`);
    for (const [t, v] of Object.entries(p)) {
      const key = Buffer.from(t, 'utf8').toString('hex');
      if (!want.has(key)) throw new Error(`the page has ${JSON.stringify(t)}, probs.c not`);
      worst = Math.max(worst, Math.abs(v - want.get(key)));
      n++;
    }
  }
  return { worst, n };
}

async function testModel(dir, label) {
  const primes = fs.readdirSync(dir).filter((f) => /^prime-\d+\.txt$/.test(f)).sort();
  // each page on its default engine (WebAssembly SIMD in Chromium); the 32-bit one also with
  // engine=js, the plain JavaScript that browsers without WebAssembly SIMD run
  for (const [bits, engine] of [[32, 'WebAssembly SIMD'], [32, 'JavaScript'], [16, 'WebAssembly SIMD']]) {
    const file = path.join(dir, `page${bits}.html`), js = engine === 'JavaScript';
    let worst = 0, n = 0, same = 0;
    for (const pf of primes) {
      const k = pf.match(/\d+/)[0];
      const prime = fs.readFileSync(path.join(dir, pf), 'utf8');
      const want = fs.readFileSync(path.join(dir, `argmax-${k}.txt`), 'utf8');
      const n_ = Number(fs.readFileSync(path.join(dir, 'n.txt'), 'utf8')); // characters written
      const hash = `#prime=${encodeURIComponent(prime)}&argmax=1&n=${n_}` + (js ? '&engine=js' : '');
      const { page, seen } = await open(file, hash);
      const got = await writtenText(page);
      const d = await probsDiff(page, prime, readProbs(path.join(dir, `probs-${k}.tsv`)));
      worst = Math.max(worst, d.worst);
      n += d.n;
      const why = clean(`${label}`, seen);
      const ran = await page.evaluate(() => window.bot.engine);
      if (ran !== engine) why.push(`the page ran on ${ran}, ${engine} expected`);
      const t = `${label}_${bits}bit${js ? '_js' : ''}_prime${k}`;
      if (bits === 32) {
        if (got !== want) why.push(`argmax text differs: page ${JSON.stringify(got.slice(0, 80))}, sample ${JSON.stringify(want.slice(0, 80))}`);
        if (d.worst > TOL) why.push(`probabilities differ by ${d.worst.toExponential(2)} > ${TOL}`);
        if (why.length) bad(t, why.join('; '));
        else ok(t, `${engine}: ${n_} argmax characters identical; max |difference| ${d.worst.toExponential(2)} over ${d.n} probabilities`);
      } else {
        let k2 = 0;
        const a = Array.from(got), b = Array.from(want);
        while (k2 < a.length && a[k2] === b[k2]) k2++;
        same += k2 - Array.from(prime).length;
        if (why.length) bad(t, why.join('; '));
        else if (d.worst > 0.05) bad(t, `16-bit probabilities differ by ${d.worst.toExponential(2)}, more than 0.05`);
        else ok(t, `16-bit: max |difference| ${d.worst.toExponential(2)}; argmax text the same for its first ${k2 - Array.from(prime).length} of ${n_} characters`);
      }
      await page.close();
    }
    if (bits === 16) note(`${label}_16bit`, `max |probability difference| ${worst.toExponential(2)} over ${n} probabilities`);
  }
}

async function testXss(dir) {
  const file = path.join(dir, 'xss.html');
  const payload = '<img src=x onerror=alert(1)></script>';
  const { page, seen } = await open(file, `#prime=${encodeURIComponent(payload)}&argmax=1&n=40`);
  const text = await writtenText(page);
  await page.click('#tab-talk');
  await page.type('#say', payload);
  await page.keyboard.press('Enter');
  await until(page, () => !document.getElementById('send').disabled);
  await page.click('#tab-look');
  await page.$eval('#look-text', (e, p) => { e.value = p + '\n"' + p + '"'; }, payload);
  await page.click('#look-go');
  await page.hover('#look-view span:nth-child(3)');
  await page.click('#tab-about');
  const r = await page.evaluate(() => ({
    imgs: document.querySelectorAll('img').length,
    scripts: document.querySelectorAll('script').length,
    title: document.getElementById('title').textContent,
    vocab: document.getElementById('vocab').textContent,
    lineage: document.getElementById('lineage').textContent,
    transcript: document.getElementById('transcript').textContent,
    spans: document.querySelectorAll('#look-view span').length,
  }));
  const why = clean('xss', seen);
  if (r.imgs !== 1) why.push(`${r.imgs} img elements (only the loss curve's expected)`);
  if (r.scripts !== 3) why.push(`${r.scripts} script elements, 3 expected`);
  if (!r.title.includes('<img src=x onerror=alert(1)>')) why.push(`the name is not shown as text: ${r.title}`);
  if (!r.lineage.includes('onerror=alert(1)>') || !r.lineage.includes('</script>')) why.push('the lineage is not shown as text');
  if (!r.vocab.includes('<') || !r.vocab.includes('/')) why.push('the vocabulary is not shown as text');
  if (!text.startsWith(payload)) why.push(`the prime is not shown as text: ${JSON.stringify(text.slice(0, 60))}`);
  if (!r.transcript.includes(payload)) why.push('the typed line is not shown as text');
  if (r.spans < payload.length) why.push('Look inside did not show the text');
  if (why.length) bad('xss_nothing_runs', why.join('; '));
  else ok('xss_nothing_runs', 'markup in the name, vocabulary, lineage, prime, typed and pasted text stays text; no dialog, no error');
  await page.close();
}

// Non-blank and plausible: many pixels away from the commonest colour, and many colours.
async function checkShot(file) {
  const b64 = fs.readFileSync(file).toString('base64');
  const page = await browser.newPage();
  const r = await page.evaluate(async (src) => {
    const img = new Image();
    img.src = src;
    await img.decode();
    const c = document.createElement('canvas');
    c.width = img.width;
    c.height = img.height;
    const g = c.getContext('2d');
    g.drawImage(img, 0, 0);
    const d = g.getImageData(0, 0, c.width, c.height).data;
    const count = new Map();
    for (let i = 0; i < d.length; i += 4) {
      const k = (d[i] << 16) | (d[i + 1] << 8) | d[i + 2];
      count.set(k, (count.get(k) || 0) + 1);
    }
    const top = Math.max(...count.values());
    return { w: c.width, h: c.height, colours: count.size, ink: 1 - top / (c.width * c.height) };
  }, 'data:image/png;base64,' + b64);
  await page.close();
  return r;
}

async function testTabs(dir) {
  const file = path.join(dir, 'tabs.html');
  for (const [label, vp] of [['laptop', { width: 1280, height: 900 }], ['phone', { width: 390, height: 844, isMobile: true, hasTouch: true, deviceScaleFactor: 2 }]]) {
    const { page, seen } = await open(file, '#prime=THE%20&t=0.8&seed=3&n=300', vp);
    const text = await writtenText(page);
    const why = [];
    const shots = [];
    const shot = async (tab) => {
      const f = path.join(dir, `${label}-${tab}.png`);
      await page.screenshot({ path: f, fullPage: true });
      const s = await checkShot(f);
      shots.push(`${tab} ${s.w}x${s.h} ${s.colours} colours ${(100 * s.ink).toFixed(1)}% ink`);
      if (s.colours < 20 || s.ink < 0.01) why.push(`the ${tab} screenshot ${f} looks blank (${s.colours} colours, ${(100 * s.ink).toFixed(2)}% ink)`);
      const wide = await page.evaluate((w) => document.documentElement.scrollWidth - w, vp.width);
      if (wide > 0) why.push(`the ${tab} tab is ${wide} px wider than the ${label} screen`);
    };
    if (Array.from(text).length !== 4 + 300) why.push(`Write gave ${Array.from(text).length} characters, 304 expected`);
    const again = await page.evaluate(async () => {
      document.getElementById('go').click();
      while (document.getElementById('output').dataset.state !== 'done') await new Promise((r) => setTimeout(r, 20));
      return document.getElementById('output').textContent;
    });
    if (again !== text) why.push('the same seed wrote another text');
    await shot('write');
    await page.click('#tab-talk');
    for (const line of ['Good morning.', 'What is the tide?']) {
      await page.type('#say', line);
      await page.keyboard.press('Enter');
      await until(page, () => !document.getElementById('send').disabled);
    }
    const turns = await page.evaluate(() => Array.from(document.querySelectorAll('#transcript > div')).map((d) => d.className));
    if (turns.filter((c) => c === 'you').length !== 2 || turns.filter((c) => c === 'bot').length !== 2) why.push(`the transcript has ${turns.join(' ')}`);
    // the same lines after "Start over" give the same answers: the state is the conversation's
    const said = await page.evaluate(() => document.getElementById('transcript').textContent);
    await page.click('#talk-reset');
    for (const line of ['Good morning.', 'What is the tide?']) {
      await page.type('#say', line);
      await page.keyboard.press('Enter');
      await until(page, () => !document.getElementById('send').disabled);
    }
    const again2 = await page.evaluate(() => document.getElementById('transcript').textContent);
    if (again2 !== said) why.push(`Start over and the same lines gave other answers: ${JSON.stringify(said)} then ${JSON.stringify(again2)}`);
    await shot('talk');
    await page.click('#tab-look');
    await page.click('#look-generated');
    const spans = await page.evaluate(() => document.querySelectorAll('#look-view span').length);
    if (spans !== 304) why.push(`Look inside shows ${spans} characters, 304 expected`);
    if (label === 'phone') await page.tap('#look-view span:nth-child(10)');
    else await page.hover('#look-view span:nth-child(10)');
    const guesses = await page.evaluate(() => document.querySelectorAll('#look-info tr').length);
    if (guesses !== 5) why.push(`${guesses} guesses shown for a character, 5 expected`);
    const units = await page.evaluate(() => document.querySelectorAll('#look-features button').length);
    if (units < 10 || units % 5 !== 0) why.push(`${units} units listed for the features, 5 for each feature that varies expected`);
    const before = await page.evaluate(() => document.querySelector('#look-view span').style.backgroundColor);
    await page.click('#look-features button');
    const after = await page.evaluate(() => ({ c: document.querySelector('#look-view span').style.backgroundColor, m: document.getElementById('look-mode').value }));
    if (after.m !== 'neuron' || after.c === before) why.push('choosing a unit did not colour the text by it');
    await shot('look');
    await page.click('#tab-about');
    const about = await page.evaluate(() => ({ dt: document.querySelectorAll('#card dt').length, loss: document.getElementById('loss').naturalWidth, sessions: document.querySelectorAll('.session').length }));
    if (about.dt < 8 || about.loss !== 800 || about.sessions < 1) why.push(`About shows ${JSON.stringify(about)}`);
    await shot('about');
    why.push(...clean(label, seen));
    if (why.length) bad(`tabs_${label}`, why.join('; '));
    else ok(`tabs_${label}`, `${vp.width} px wide; screenshots in ${dir}: ${shots.join(', ')}`);
    await page.close();
  }
}

// Both engines (docs/web-page.md): the default, WebAssembly SIMD in Chromium, and engine=js. The
// first 3,000 characters include the browser's compiling of the hot code; the next 3,000 not.
async function testSpeed(file) {
  for (const [label, hash, want] of [['speed_2x256', '', 'WebAssembly SIMD'], ['speed_2x256_js', '#engine=js', 'JavaScript']]) {
    const { page, seen } = await open(file, hash);
    const r = await page.evaluate(() => ({ load: window.bot.loadMs, engine: window.bot.engine, speed: window.bot.speed(3000), then: window.bot.speed(3000) }));
    const why = clean(label, seen);
    const size = fs.statSync(file).size;
    if (r.engine !== want) why.push(`the page ran on ${r.engine}, ${want} expected`);
    if (why.length) bad(label, why.join('; '));
    else ok(label, `${r.engine}: page ${(size / 1e6).toFixed(2)} MB; loaded in ${seen.loadMs} ms (script ready ${r.load.toFixed(0)} ms); ` +
            `${Math.round(r.speed)} characters per second, then ${Math.round(r.then)} (targets: under 1 s, at least 5000; reported, not asserted)`);
    await page.close();
  }
}

async function main() {
  await launch();
  try {
    if (mode === 'model') await testModel(arg, name);
    else if (mode === 'xss') await testXss(arg);
    else if (mode === 'tabs') await testTabs(arg);
    else if (mode === 'speed') await testSpeed(arg);
    else throw new Error(`unknown mode ${mode}`);
  } finally {
    await browser.close();
    fs.rmSync(profile, { recursive: true, force: true });
  }
}

main().then(() => {
  console.log(results.join('\n'));
}, (e) => {
  console.log(results.join('\n'));
  console.log(`FAIL ${mode}${name ? '_' + name : ''}: ${e && e.stack ? e.stack.split('\n').slice(0, 3).join(' ') : e}`);
});

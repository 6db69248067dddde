// trace_page.js: node trace_page.js PAGE.html SCREENSHOT.png
// Opens a page written by trace --html from its file in headless Chromium (/usr/bin/chromium, or
// $CHROMIUM), driven through the DevTools protocol on a pipe (--remote-debugging-pipe: no npm
// package needed), and checks what a person opening it would meet: the page asks for nothing but
// itself (every request the browser makes is recorded), no dialog opens (an alert from a corpus
// line would), it holds no <img> and no script, the corpus line <img src=x onerror=alert(1)> is
// text inside a copy, and pointing at a copy shows where it comes from. Saves a screenshot with
// the pointer on the first copy. Prints one line; exits 1 if a check fails.
'use strict';
const { spawn } = require('child_process');
const fs = require('fs');
const os = require('os');
const path = require('path');

const [pagePath, shotPath] = process.argv.slice(2);
const pageUrl = 'file://' + path.resolve(pagePath);
const profile = fs.mkdtempSync(path.join(os.tmpdir(), 'charrnn-trace-chromium-'));
const browser = spawn(process.env.CHROMIUM || '/usr/bin/chromium', [
  '--headless', '--no-sandbox', '--disable-gpu', '--no-first-run', '--disable-sync',
  '--disable-background-networking', '--disable-component-update', '--remote-debugging-pipe',
  '--window-size=900,700', `--user-data-dir=${profile}`, 'about:blank',
], { stdio: ['ignore', 'ignore', 'pipe', 'pipe', 'pipe'] });
let log = '';
browser.stderr.on('data', d => { log += d; });

// The protocol: JSON messages ending in a NUL byte, ours on fd 3, the browser's on fd 4.
let nextId = 0, input = Buffer.alloc(0);
const waiting = new Map(), listeners = [];
browser.stdio[4].on('data', data => {
  input = Buffer.concat([input, data]);
  for (let end; (end = input.indexOf(0)) >= 0; input = input.subarray(end + 1)) {
    const msg = JSON.parse(input.subarray(0, end).toString('utf8'));
    if (msg.id !== undefined && waiting.has(msg.id)) {
      const w = waiting.get(msg.id);
      waiting.delete(msg.id);
      if (msg.error) w.fail(new Error(`${w.method}: ${msg.error.message}`));
      else w.ok(msg.result);
    } else if (msg.method) {
      for (const l of listeners) l(msg);
    }
  }
});
function send(method, params, sessionId) {
  const msg = { id: ++nextId, method, params: params || {} };
  if (sessionId) msg.sessionId = sessionId;
  browser.stdio[3].write(JSON.stringify(msg) + '\0');
  return new Promise((ok, fail) => waiting.set(msg.id, { ok, fail, method }));
}

async function main() {
  const requests = [], dialogs = [], consoleLines = [];
  let loaded;
  const load = new Promise(ok => { loaded = ok; });
  const { targetId } = await send('Target.createTarget', { url: 'about:blank' });
  const { sessionId } = await send('Target.attachToTarget', { targetId, flatten: true });
  const s = (method, params) => send(method, params, sessionId);
  listeners.push(msg => {
    if (msg.sessionId !== sessionId) return;
    if (msg.method === 'Network.requestWillBeSent') requests.push(msg.params.request.url);
    if (msg.method === 'Page.javascriptDialogOpening') {
      dialogs.push(`${msg.params.type}(${JSON.stringify(msg.params.message)})`);
      s('Page.handleJavaScriptDialog', { accept: true });
    }
    if (msg.method === 'Runtime.consoleAPICalled') consoleLines.push(msg.params.type);
    if (msg.method === 'Page.loadEventFired') loaded();
  });
  await s('Network.enable');
  await s('Page.enable');
  await s('Runtime.enable');
  await s('Page.navigate', { url: pageUrl });
  await load;
  await new Promise(ok => setTimeout(ok, 500)); // anything late: an image's error, say
  const evaluate = async expression => {
    const r = await s('Runtime.evaluate', { expression, returnByValue: true });
    if (r.exceptionDetails) throw new Error(`evaluate: ${r.exceptionDetails.text}`);
    return r.result.value;
  };
  const page = await evaluate(`(() => {
    const marks = [...document.querySelectorAll('mark')];
    const box = marks.length ? marks[0].getBoundingClientRect() : null;
    return {
      imgs: document.querySelectorAll('img').length,
      scripts: document.scripts.length,
      links: document.querySelectorAll('link, iframe, object, embed, [src], [href]').length,
      marks: marks.map(m => m.textContent),
      first: box && { x: box.left + 3, y: box.top + box.height / 2 },
    };
  })()`);
  const problems = [];
  const others = requests.filter(u => u !== pageUrl);
  if (!requests.includes(pageUrl)) problems.push(`the page itself was never requested: ${requests}`);
  if (others.length) problems.push(`it asked for ${others.join(', ')}`);
  if (dialogs.length) problems.push(`dialogs opened: ${dialogs.join(', ')}`);
  if (page.imgs) problems.push(`${page.imgs} <img> element(s)`);
  if (page.scripts) problems.push(`${page.scripts} script(s)`);
  if (page.links) problems.push(`${page.links} element(s) that load or link`);
  if (consoleLines.length) problems.push(`console output: ${consoleLines.join(', ')}`);
  if (!page.marks.some(t => t.includes('<img src=x onerror=alert(1)>')))
    problems.push(`no copy shows the corpus line as text: ${JSON.stringify(page.marks)}`);
  let tip = '';
  if (page.first) {
    await s('Input.dispatchMouseEvent', { type: 'mouseMoved', x: page.first.x, y: page.first.y });
    await new Promise(ok => setTimeout(ok, 200));
    tip = await evaluate(`getComputedStyle(document.querySelector('mark'), '::after').content`);
    if (!/copied from /.test(tip)) problems.push(`pointing at a copy shows no source: ${tip}`);
  } else {
    problems.push('no copy marked');
  }
  const shot = await s('Page.captureScreenshot', { format: 'png' });
  fs.writeFileSync(shotPath, Buffer.from(shot.data, 'base64'));
  if (problems.length) {
    console.log(problems.join('; '));
    process.exitCode = 1;
  } else {
    console.log(`${requests.length} request (the page), no dialog, ${page.marks.length} copies` +
                `, the pointer shows ${tip.slice(0, 60)}`);
  }
}

const timer = setTimeout(() => {
  console.log(`timed out; chromium said: ${log.split('\n').slice(-3).join(' / ')}`);
  process.exit(1);
}, 90000);
main()
  .catch(e => {
    console.log(`${e.message}; chromium said: ${log.split('\n').slice(-3).join(' / ')}`);
    process.exitCode = 1;
  })
  .finally(async () => {
    clearTimeout(timer);
    // closed through the protocol, so that its helper processes end too; then the profile goes
    // (a failure to remove it is no failure of the page)
    const exited = new Promise(ok => browser.on('exit', ok));
    await Promise.race([send('Browser.close').catch(() => {}),
                        new Promise(ok => setTimeout(ok, 5000))]);
    await Promise.race([exited, new Promise(ok => setTimeout(ok, 5000))]);
    browser.kill();
    try {
      fs.rmSync(profile, { recursive: true, force: true, maxRetries: 10, retryDelay: 200 });
    } catch (e) {
      console.error(`trace_page.js: could not remove ${profile}: ${e.message}`);
    }
  });

// page.js: the bot's page (docs/web-page.md). Reads the model from the page's two data blocks,
// runs the LSTM, GRU and RNN cells as src/lib/cell_math.h does, samples as src/lib/sampler.c
// does, and drives the tabs Write, Talk, Look inside and About. Plain JavaScript, no library,
// no network; every piece of text goes into the page with textContent, never as markup.
'use strict';
(function () {
  const started = performance.now();
  const $ = (id) => document.getElementById(id);

  // ---- the weights: base64 of little-endian binary16 or binary32 values ----
  // binary16 to a number, for all 65536 bit patterns at once
  function halfTable() {
    const t = new Float32Array(65536);
    for (let h = 0; h < 65536; h++) {
      const s = h & 0x8000 ? -1 : 1, e = (h >> 10) & 31, m = h & 1023;
      if (e === 0) t[h] = s * m * Math.pow(2, -24);
      else if (e === 31) t[h] = m ? NaN : s * Infinity;
      else t[h] = s * (1 + m / 1024) * Math.pow(2, e - 15);
    }
    return t;
  }

  function readWeights(meta) {
    const bin = atob($('bot-weights').textContent.replace(/\s+/g, ''));
    const width = meta.precision === 32 ? 4 : 2;
    if (bin.length !== meta.params * width) {
      throw new Error('the weights in this page are damaged (' + bin.length + ' bytes, ' +
                      meta.params * width + ' expected)');
    }
    const bytes = new Uint8Array(bin.length);
    for (let i = 0; i < bin.length; i++) bytes[i] = bin.charCodeAt(i);
    const dv = new DataView(bytes.buffer), w = new Float32Array(meta.params);
    if (width === 4) {
      for (let i = 0; i < w.length; i++) w[i] = dv.getFloat32(4 * i, true);
    } else {
      const t = halfTable();
      for (let i = 0; i < w.length; i++) w[i] = t[dv.getUint16(2 * i, true)];
    }
    return w;
  }

  // ---- the cells: gate order and unit equations of src/lib/cell_math.h ----
  // The gate blocks of H columns each in Wx, Wh and b, in this order (PyTorch's).
  const CR_LSTM_I = 0, CR_LSTM_F = 1, CR_LSTM_G = 2, CR_LSTM_O = 3; // input forget cand. output
  const CR_GRU_R = 0, CR_GRU_Z = 1, CR_GRU_N = 2;                   // reset update candidate
  const CR_RNN_A = 0;                                               // h's pre-activation
  const GATES = { lstm: 4, gru: 3, rnn: 1 };

  function sigmoid(x) { return 1 / (1 + Math.exp(-x)); }

  // LSTM: c = f c' + i g, h = o tanh(c), from the pre-activations ai af ag ao and cp, c[t-1].
  function lstmUnitForward(u, ai, af, ag, ao, cp) {
    u.i = sigmoid(ai);
    u.f = sigmoid(af);
    u.g = Math.tanh(ag);
    u.o = sigmoid(ao);
    u.c = u.f * cp + u.i * u.g;
    u.tc = Math.tanh(u.c);
    u.h = u.o * u.tc;
    return u;
  }

  // GRU: r = s(xr + sr), z = s(xz + sz), n = tanh(xn + r (sn + bhn)), h = (1 - z) n + z h'
  // where x* = x Wx + b (input side) and s* = h' Wh (recurrent side).
  function gruUnitForward(u, xr, xz, xn, sr, sz, sn, bhn, hp) {
    u.r = sigmoid(xr + sr);
    u.z = sigmoid(xz + sz);
    u.gh = sn + bhn;
    u.n = Math.tanh(xn + u.r * u.gh);
    u.h = (1 - u.z) * u.n + u.z * hp;
    return u;
  }

  // RNN: h = tanh(a), a = x Wx + b + h' Wh.
  function rnnUnitForward(a) { return Math.tanh(a); }

  // ---- the products: out (cols) += x (rows) W (rows, cols), W by rows, over one Float32Array ----
  // Every matrix, bias and vector of the network lives in one array of floats (f, below), at
  // offsets that are multiples of COLS_PER_PASS floats, with each matrix's columns padded with
  // zeros to a multiple of COLS_PER_PASS. A layer's input and recurrent weights are one matrix,
  // [Wx; Wh] stacked by rows, so that for an LSTM or an RNN one product over the vector [x; h']
  // computes every gate. Two engines compute the same product: WebAssembly SIMD (four floats at
  // a time, 48 columns per pass) when the browser has it, and plain JavaScript otherwise or with
  // engine=js in the page's address (docs/web-page.md). Measured in docs/web-page.md.
  const NA = 12; // WebAssembly: 12 sums of four floats in registers (8 and 16 were slower)
  const COLS_PER_PASS = 4 * NA;

  // Plain JavaScript: 8 columns at a time, their sums kept in local numbers over all the rows.
  function mvJs(f, w, x, rows, out, cols) {
    for (let j = 0; j < cols; j += 8) {
      let a0 = f[out + j], a1 = f[out + j + 1], a2 = f[out + j + 2], a3 = f[out + j + 3],
        a4 = f[out + j + 4], a5 = f[out + j + 5], a6 = f[out + j + 6], a7 = f[out + j + 7];
      for (let r = 0, p = w + j; r < rows; r++, p += cols) {
        const xr = f[x + r];
        a0 += xr * f[p];
        a1 += xr * f[p + 1];
        a2 += xr * f[p + 2];
        a3 += xr * f[p + 3];
        a4 += xr * f[p + 4];
        a5 += xr * f[p + 5];
        a6 += xr * f[p + 6];
        a7 += xr * f[p + 7];
      }
      f[out + j] = a0;
      f[out + j + 1] = a1;
      f[out + j + 2] = a2;
      f[out + j + 3] = a3;
      f[out + j + 4] = a4;
      f[out + j + 5] = a5;
      f[out + j + 6] = a6;
      f[out + j + 7] = a7;
    }
  }

  // WebAssembly: a module of one function, mv(w, x, rows, out, cols) (byte addresses in the
  // memory "m" "mem" the page gives it; cols a multiple of COLS_PER_PASS), written here byte by
  // byte. In the text format, with NA = 12 sums a0 .. a11 of four floats each:
  //   (func (export "mv") (param $w i32) (param $x i32) (param $rows i32) (param $out i32)
  //         (param $cols i32) (local $j $p $xp $r $stride i32) (local $xi $a0 .. $a11 v128)
  //     stride = cols * 4; j = 0
  //     loop: ak = out[j + 4k .. + 4) for each k; p = w + j; xp = x; r = rows
  //       loop while r: xi = splat(x[xp]); ak += W[p + 4k .. + 4) * xi; p += stride; xp += 4; r--
  //       out[j + 4k .. + 4) = ak; j += 4 * COLS_PER_PASS bytes; again while j < stride
  // The sums are in 32-bit floats, as the terminal's are, in the order of the rows (multiply,
  // then add: no fused multiply-add, whose rounding would vary between machines).
  // WebAssembly.validate refuses it where the browser has no SIMD.
  const I32 = 0x7f, V128 = 0x7b, VOID = 0x40;
  const GET = 0x20, SET = 0x21, CONST = 0x41, ADD = 0x6a, SUB = 0x6b, SHL = 0x74, LT_U = 0x49,
    EQZ = 0x45, BLOCK = 0x02, LOOP = 0x03, BR = 0x0c, BR_IF = 0x0d, END = 0x0b, F32_LOAD = 0x2a;
  const SIMD = 0xfd, V_LOAD = 0x00, V_STORE = 0x0b, SPLAT = 0x13, F4_ADD = [0xe4, 0x01],
    F4_MUL = [0xe6, 0x01]; // the SIMD opcodes after 0xfd, as LEB128
  const W = 0, X = 1, ROWS = 2, OUT = 3, COLS = 4, J = 5, P = 6, XP = 7, R = 8, STRIDE = 9, XI = 10,
    A = 11; // locals: the parameters, then j p xp r stride (i32), xi a0 .. a11 (v128)
  function uleb(n) { // unsigned LEB128: 7 bits a byte, the high bit set on all but the last
    const b = [];
    do { let c = n & 127; n >>>= 7; if (n) c |= 128; b.push(c); } while (n);
    return b;
  }
  function sleb(n) { // signed LEB128 (i32.const): ends when the rest is the sign of bit 6
    const b = [];
    for (;;) {
      const c = n & 127;
      n >>= 7;
      if ((n === 0 && !(c & 64)) || (n === -1 && (c & 64))) { b.push(c); return b; }
      b.push(c | 128);
    }
  }
  function vec(items) { return uleb(items.length).concat(...items); } // a count, then the items
  function section(id, bytes) { return [id].concat(uleb(bytes.length), bytes); }
  function name(s) { return vec(Array.from(s, (c) => [c.charCodeAt(0)])); }
  function mvModule() {
    const body = [2, 5, I32, 1 + NA, V128]; // the locals: 5 of i32, 1 + NA of v128
    const op = (...b) => body.push(...b.flat());
    op(GET, COLS, CONST, 2, SHL, SET, STRIDE); // stride = cols << 2
    op(CONST, 0, SET, J); // j = 0
    op(LOOP, VOID); // the columns, COLS_PER_PASS at a time
    for (let k = 0; k < NA; k++) op(GET, OUT, GET, J, ADD, SIMD, V_LOAD, 0, ...uleb(16 * k), SET, A + k); // ak = out[j + 4k ..]
    op(GET, W, GET, J, ADD, SET, P, GET, X, SET, XP, GET, ROWS, SET, R); // p = w + j; xp = x; r = rows
    op(BLOCK, VOID, LOOP, VOID); // the rows
    op(GET, R, EQZ, BR_IF, 1); // none left: out of the block
    op(GET, XP, F32_LOAD, 2, 0, SIMD, SPLAT, SET, XI); // xi = x[xp] in the four lanes
    for (let k = 0; k < NA; k++) {
      op(GET, A + k, GET, P, SIMD, V_LOAD, 0, ...uleb(16 * k), GET, XI, SIMD, F4_MUL, SIMD, F4_ADD, SET, A + k); // ak += W[p + 4k ..] xi
    }
    op(GET, P, GET, STRIDE, ADD, SET, P, GET, XP, CONST, 4, ADD, SET, XP, GET, R, CONST, 1, SUB, SET, R);
    op(BR, 0, END, END); // the next row; the rows' loop and block end
    for (let k = 0; k < NA; k++) op(GET, OUT, GET, J, ADD, GET, A + k, SIMD, V_STORE, 0, ...uleb(16 * k)); // out[j + 4k ..] = ak
    op(GET, J, CONST, ...sleb(4 * COLS_PER_PASS), ADD, SET, J); // j += the pass's bytes
    op(GET, J, GET, STRIDE, LT_U, BR_IF, 0, END); // more columns: again
    op(END); // the function's end
    return new Uint8Array([0x00, 0x61, 0x73, 0x6d, 1, 0, 0, 0].concat( // "\0asm", version 1
      section(1, vec([[0x60, 5, I32, I32, I32, I32, I32, 0]])), // type 0: five i32 in, none out
      section(2, vec([name('m').concat(name('mem'), [0x02, 0x00, 1])])), // import memory m.mem, 1 page or more
      section(3, vec([[0]])), // function 0 has type 0
      section(7, vec([name('mv').concat([0x00, 0])])), // export function 0 as "mv"
      section(10, vec([uleb(body.length).concat(body)])))); // its code: its size, then it
  }

  // The engine for a memory of n floats: { f, mv, name }. 'js' forces plain JavaScript.
  function engine(n, want) {
    if (want !== 'js' && typeof WebAssembly === 'object') {
      try {
        const bytes = mvModule();
        if (WebAssembly.validate(bytes)) { // false where the browser has no SIMD
          const mem = new WebAssembly.Memory({ initial: Math.ceil((4 * n + 64) / 65536) });
          const mv = new WebAssembly.Instance(new WebAssembly.Module(bytes), { m: { mem: mem } }).exports.mv;
          return { f: new Float32Array(mem.buffer, 0, n), name: 'WebAssembly SIMD',
                   mv: (w, x, rows, out, cols) => mv(4 * w, 4 * x, rows, 4 * out, cols) };
        }
      } catch (e) {
        // a policy or a browser without WebAssembly: the JavaScript below does the same
      }
    }
    const f = new Float32Array(n);
    return { f: f, name: 'JavaScript', mv: (w, x, rows, out, cols) => mvJs(f, w, x, rows, out, cols) };
  }

  const padded = (n) => Math.ceil(n / COLS_PER_PASS) * COLS_PER_PASS;

  // The network of a checkpoint: its tensor table (model.c) over the weights w, laid out in the
  // engine's memory as above.
  function Net(meta, w, want) {
    const t = {};
    for (const d of meta.tensors) {
      t[d.name] = { rows: d.rows, cols: d.cols, data: w.subarray(d.offset, d.offset + d.rows * d.cols) };
    }
    this.cell = meta.cell;
    this.L = meta.layers;
    this.H = meta.hidden;
    this.E = meta.embed;
    this.V = meta.chars.length;
    this.G = GATES[meta.cell];
    if (!this.G) throw new Error('this page does not know the cell "' + meta.cell + '"');
    const H = this.H, C = padded(this.G * H), Vp = padded(this.V);
    this.C = C;
    this.Vp = Vp;
    this.embed = t.embed || null; // (V, E), by rows
    let n = 0;
    const take = (k) => { const at = n; n += padded(k); return at; };
    this.layers = [];
    for (let l = 0; l < this.L; l++) {
      const In = l > 0 ? H : this.E > 0 ? this.E : this.V;
      // W: [Wx; Wh] (In + H, C); b; xin: [x; h'] (In + H); a: the gates' sums (C); a2: GRU's
      // recurrent side (C)
      this.layers.push({ In: In, W: take((In + H) * C), b: take(C), xin: take(In + H), a: take(C),
                         a2: take(C), Wx: t['l' + l + '.Wx'], Wh: t['l' + l + '.Wh'], bv: t['l' + l + '.b'],
                         bhn: t['l' + l + '.bhn'] || null });
    }
    this.oW = take(H * Vp);
    this.ob = take(Vp);
    this.oin = take(H);
    this.oz = take(Vp);
    const e = engine(n, want), f = e.f;
    this.f = f;
    this.mv = e.mv;
    this.engine = e.name;
    const put = (at, m, width) => { // a (rows, cols) tensor by rows into width-float rows at at
      for (let i = 0; i < m.rows; i++) f.set(m.data.subarray(i * m.cols, (i + 1) * m.cols), at + i * width);
    };
    for (const lay of this.layers) {
      put(lay.W, lay.Wx, C);
      put(lay.W + lay.In * C, lay.Wh, C);
      f.set(lay.bv.data, lay.b);
    }
    put(this.oW, t['out.W'], Vp);
    f.set(t['out.b'].data, this.ob);
    this.outb = t['out.b'];
    this.u = {};
  }

  // A fresh state: h (and c for an LSTM) zero in every layer; z the logits (V) once fed.
  Net.prototype.newState = function () {
    const s = { h: [], c: [], z: new Float64Array(this.V), fed: false };
    for (let l = 0; l < this.L; l++) {
      s.h.push(new Float32Array(this.H));
      s.c.push(new Float32Array(this.cell === 'lstm' ? this.H : 0));
    }
    return s;
  };

  // One character in (its id): every layer's step, then the logits, as infer.c's cr_infer_step.
  Net.prototype.step = function (s, id) {
    const H = this.H, C = this.C, f = this.f, u = this.u, mv = this.mv, gru = this.cell === 'gru';
    for (let l = 0; l < this.L; l++) {
      const lay = this.layers[l], h = s.h[l], In = lay.In, a = lay.a, hs = lay.a2;
      f.copyWithin(a, lay.b, lay.b + C); // the sums start at the bias
      f.set(h, lay.xin + In); // h' after x
      if (l === 0 && this.E === 0) { // one-hot: x Wx is row id of Wx
        for (let j = 0, r = lay.W + id * C; j < C; j++) f[a + j] += f[r + j];
      } else if (l === 0) f.set(this.embed.data.subarray(id * this.E, (id + 1) * this.E), lay.xin);
      else f.set(s.h[l - 1], lay.xin);
      const onehot = l === 0 && this.E === 0;
      if (gru) { // the recurrent side apart: n needs r (h' Wh + bhn)
        if (!onehot) mv(lay.W, lay.xin, In, a, C);
        f.fill(0, hs, hs + C);
        mv(lay.W + In * C, lay.xin + In, H, hs, C);
      } else if (onehot) mv(lay.W + In * C, lay.xin + In, H, a, C);
      else mv(lay.W, lay.xin, In + H, a, C);
      if (this.cell === 'lstm') {
        const c = s.c[l];
        for (let j = 0; j < H; j++) {
          lstmUnitForward(u, f[a + CR_LSTM_I * H + j], f[a + CR_LSTM_F * H + j],
                          f[a + CR_LSTM_G * H + j], f[a + CR_LSTM_O * H + j], c[j]);
          c[j] = u.c;
          h[j] = u.h;
        }
      } else if (gru) {
        const bhn = lay.bhn.data;
        for (let j = 0; j < H; j++) {
          gruUnitForward(u, f[a + CR_GRU_R * H + j], f[a + CR_GRU_Z * H + j], f[a + CR_GRU_N * H + j],
                         f[hs + CR_GRU_R * H + j], f[hs + CR_GRU_Z * H + j], f[hs + CR_GRU_N * H + j], bhn[j], h[j]);
          h[j] = u.h;
        }
      } else {
        for (let j = 0; j < H; j++) h[j] = rnnUnitForward(f[a + CR_RNN_A * H + j]);
      }
    }
    f.copyWithin(this.oz, this.ob, this.ob + this.Vp);
    f.set(s.h[this.L - 1], this.oin);
    mv(this.oW, this.oin, H, this.oz, this.Vp);
    for (let i = 0; i < this.V; i++) s.z[i] = f[this.oz + i];
    s.fed = true;
  };

  // ---- the bot: characters, probabilities, choices (src/lib/sampler.c) ----
  let meta, net, ids;
  const NEWLINE = 10;

  function idOf(cp) { const id = ids.get(cp); return id === undefined ? -1 : id; }

  // The logits after the last fed character; before any, after a newline (or the output bias).
  function logits(s) {
    if (!s.fed) {
      const nl = idOf(NEWLINE);
      if (nl < 0) return Float64Array.from(net.outb.data);
      net.step(s, nl);
    }
    return s.z;
  }

  // weights[i] = exp((z[i] - max) / temperature); their sum in w.sum
  function softmaxWeights(z, temp) {
    let mx = z[0];
    for (let i = 1; i < z.length; i++) mx = z[i] > mx ? z[i] : mx;
    const w = new Float64Array(z.length);
    let sum = 0;
    for (let i = 0; i < z.length; i++) sum += w[i] = Math.exp((z[i] - mx) / temp);
    return { w: w, sum: sum };
  }

  function probs(z) {
    const sw = softmaxWeights(z, 1);
    for (let i = 0; i < z.length; i++) sw.w[i] /= sw.sum;
    return sw.w;
  }

  function argmaxOf(z) {
    let pick = 0;
    for (let i = 1; i < z.length; i++) if (z[i] > z[pick]) pick = i;
    return pick;
  }

  // Our small generator (mulberry32): the same seed, the same text in this page. Its draws are
  // not those of the terminal's sampler (xoshiro256**); argmax texts are the same.
  function newRng(seed) {
    let a = seed >>> 0;
    return function () {
      a = (a + 0x6d2b79f5) >>> 0;
      let t = a;
      t = Math.imul(t ^ (t >>> 15), t | 1);
      t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
      return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
    };
  }

  function draw(z, temp, rng) {
    const sw = softmaxWeights(z, temp);
    let u = rng() * sw.sum, last = 0;
    for (let i = 0; i < z.length; i++) {
      if (sw.w[i] > 0) last = i;
      u -= sw.w[i];
      if (u < 0) return i;
    }
    return last; // rounding left u above every weight
  }

  // Feeds a text; returns the characters the model does not know (left out).
  function feed(s, text) {
    const unknown = [];
    for (const ch of text) {
      const id = idOf(ch.codePointAt(0));
      if (id < 0) { if (!unknown.includes(ch)) unknown.push(ch); continue; }
      net.step(s, id);
    }
    return unknown;
  }

  // How a character is shown in lists: the invisible ones by a sign.
  function shown(t) {
    if (t === ' ') return '\u2423';
    if (t === '\n') return '\u21b5';
    if (t === '\t') return '\u21e5';
    if (t === '') return '(nothing)';
    return t;
  }

  // ---- tabs ----
  function showTab(name) {
    for (const b of document.querySelectorAll('nav button')) {
      const on = b.dataset.panel === name;
      b.setAttribute('aria-selected', on ? 'true' : 'false');
      $(b.dataset.panel).hidden = !on;
    }
  }

  // ---- Write ----
  let writing = null; // the run in progress: { stop }

  function writeSettings() {
    return { prime: $('prime').value, temp: Number($('temp').value), argmax: $('argmax').checked,
             n: Math.max(1, Math.min(100000, Math.floor(Number($('length').value)) || 500)),
             seed: Math.max(0, Math.floor(Number($('seed').value)) || 0) };
  }

  function write() {
    if (writing) writing.stop = true;
    const o = writeSettings(), run = { stop: false };
    writing = run;
    remember(o);
    const s = net.newState(), rng = newRng(o.seed), out = $('output'), into = $('output-new');
    const unknown = feed(s, o.prime);
    $('prime-note').hidden = unknown.length === 0;
    $('prime-note').textContent = unknown.length ? 'The bot does not know ' +
      unknown.map((c) => '\u201c' + shown(c) + '\u201d').join(', ') + ', so it left them out.' : '';
    $('output-prime').textContent = o.prime;
    into.textContent = '';
    out.dataset.state = 'writing';
    $('go').disabled = true;
    $('stop').disabled = false;
    const t0 = performance.now();
    let done = 0;
    function more() {
      if (run.stop) return finish('stopped');
      const tick = performance.now();
      let chunk = '';
      while (done < o.n && performance.now() - tick < 25) {
        const z = logits(s);
        const id = o.argmax ? argmaxOf(z) : draw(z, o.temp, rng);
        chunk += meta.texts[id];
        net.step(s, id);
        done++;
      }
      into.appendChild(document.createTextNode(chunk));
      if (done < o.n) setTimeout(more, 0);
      else finish('done');
    }
    function finish(how) {
      const secs = (performance.now() - t0) / 1000;
      out.dataset.state = how;
      $('go').disabled = false;
      $('stop').disabled = true;
      $('write-status').textContent = done + ' characters in ' + secs.toFixed(2) + ' s (' +
        Math.round(done / Math.max(secs, 1e-3)) + ' per second)' + (how === 'stopped' ? ', stopped' : '');
      if (writing === run) writing = null;
    }
    more();
  }

  // The settings into the address, so that it can be copied as a link that writes the same.
  function remember(o) {
    const q = new URLSearchParams();
    q.set('prime', o.prime);
    if (o.argmax) q.set('argmax', '1');
    else q.set('t', String(o.temp));
    q.set('seed', String(o.seed));
    q.set('n', String(o.n));
    try {
      history.replaceState(null, '', '#' + q.toString().replace(/\+/g, '%20'));
    } catch (e) {
      // some browsers refuse it for pages opened from a file: the link is a comfort only
    }
  }

  // Settings from the address: #prime=...&t=0.8&seed=3&n=200&argmax=1&tab=look
  function fromAddress() {
    const q = new URLSearchParams(location.hash.replace(/^#/, ''));
    let any = false;
    if (q.has('prime')) { $('prime').value = q.get('prime'); any = true; }
    if (q.has('t') && Number(q.get('t')) > 0) { $('temp').value = q.get('t'); any = true; }
    if (q.has('seed')) { $('seed').value = q.get('seed'); any = true; }
    if (q.has('n')) { $('length').value = q.get('n'); any = true; }
    if (q.has('argmax')) { $('argmax').checked = q.get('argmax') === '1'; any = true; }
    $('temp-shown').textContent = $('temp').value;
    if (q.has('tab') && $(q.get('tab')) && $(q.get('tab')).classList.contains('panel')) showTab(q.get('tab'));
    return any;
  }

  // ---- Talk: one state across the turns ----
  let talk = null; // { s, rng }

  function say(e) {
    e.preventDefault();
    const text = $('say').value;
    if (!text.trim() || $('send').disabled) return;
    $('say').value = '';
    if (!talk) { // a new conversation starts after the Write tab's start, not shown (as sample --chat --prime)
      talk = { s: net.newState(), rng: newRng(writeSettings().seed) };
      feed(talk.s, $('prime').value);
    }
    const you = $('you').value, bot = $('botname').value, t = $('transcript');
    const mine = document.createElement('div');
    mine.className = 'you';
    mine.textContent = you + text;
    t.appendChild(mine);
    const unknown = feed(talk.s, you + text + '\n' + bot);
    const reply = document.createElement('div');
    reply.className = 'bot';
    reply.textContent = bot;
    t.appendChild(reply);
    if (unknown.length) {
      const note = document.createElement('div');
      note.className = 'quiet';
      note.textContent = '(the bot does not know ' + unknown.map(shown).join(' ') + ', left out)';
      t.insertBefore(note, reply);
    }
    const o = writeSettings(), most = Math.max(1, Math.floor(Number($('talk-length').value)) || 300);
    let n = 0;
    $('send').disabled = true;
    function more() {
      const tick = performance.now();
      let chunk = '', end = false;
      while (n < most && !end && performance.now() - tick < 25) {
        const z = logits(talk.s);
        const id = o.argmax ? argmaxOf(z) : draw(z, o.temp, talk.rng);
        net.step(talk.s, id);
        n++;
        if (meta.texts[id] === '\n') end = true;
        else chunk += meta.texts[id];
      }
      reply.appendChild(document.createTextNode(chunk));
      t.scrollTop = t.scrollHeight;
      if (!end && n < most) return setTimeout(more, 0);
      if (!end && idOf(NEWLINE) >= 0) net.step(talk.s, idOf(NEWLINE)); // the turn ends with a line
      $('send').disabled = false;
    }
    more();
  }

  // ---- Look inside ----
  const LOOK_MAX = 5000;
  let look = null; // the text as the model read it

  function analyse(text) {
    const s = net.newState(), chars = [], L = net.L, H = net.H;
    for (const ch of text) { if (chars.length < LOOK_MAX) chars.push(ch); }
    const T = chars.length, lstm = net.cell === 'lstm';
    const a = { chars: chars, id: [], loss: new Float64Array(T), p: new Float64Array(T), top: [],
                h: [], c: [] };
    for (let l = 0; l < L; l++) {
      a.h.push(new Float32Array(T * H));
      a.c.push(new Float32Array(lstm ? T * H : 0));
    }
    for (let t = 0; t < T; t++) {
      const id = idOf(chars[t].codePointAt(0));
      a.id.push(id);
      const p = probs(logits(s));
      const order = Array.from(p.keys()).sort((x, y) => p[y] - p[x] || x - y).slice(0, 5);
      a.top.push(order.map((k) => [k, p[k]]));
      a.p[t] = id >= 0 ? p[id] : NaN;
      a.loss[t] = id >= 0 ? -Math.log(p[id]) : NaN;
      if (id >= 0) net.step(s, id);
      for (let l = 0; l < L; l++) {
        a.h[l].set(s.h[l], t * H);
        if (lstm) a.c[l].set(s.c[l], t * H);
      }
    }
    return a;
  }

  // Simple features of the text at each character, for the units that follow them.
  function features(chars) {
    const T = chars.length, quote = new Float64Array(T), line = new Float64Array(T),
      word = new Float64Array(T);
    let inside = 0, col = 0, prevLetter = false;
    for (let t = 0; t < T; t++) {
      const ch = chars[t], letter = /\p{L}/u.test(ch);
      if (ch === '"') inside = 1 - inside;
      else if (ch === '\u201c') inside = 1;
      else if (ch === '\u201d') inside = 0;
      quote[t] = inside;
      col = ch === '\n' ? 0 : col + 1;
      line[t] = col;
      word[t] = letter && !prevLetter ? 1 : 0;
      prevLetter = letter;
    }
    return [['inside quotes', quote], ['position in the line', line], ['start of a word', word]];
  }

  function correlation(x, acts, u, H) {
    const T = x.length;
    let mx = 0, my = 0;
    for (let t = 0; t < T; t++) { mx += x[t]; my += acts[t * H + u]; }
    mx /= T;
    my /= T;
    let sxy = 0, sxx = 0, syy = 0;
    for (let t = 0; t < T; t++) {
      const dx = x[t] - mx, dy = acts[t * H + u] - my;
      sxy += dx * dy;
      sxx += dx * dx;
      syy += dy * dy;
    }
    return sxx > 0 && syy > 0 ? sxy / Math.sqrt(sxx * syy) : 0;
  }

  function lookValue() { return net.cell === 'lstm' ? $('look-state').value : 'h'; }

  function listFeatureUnits() {
    const box = $('look-features'), which = lookValue(), H = net.H;
    box.textContent = '';
    if (!look || look.chars.length < 3) return;
    for (const [name, x] of features(look.chars)) {
      const h = document.createElement('h3');
      h.textContent = name;
      box.appendChild(h);
      if (x.every((v) => v === x[0])) {
        const p = document.createElement('p');
        p.className = 'quiet';
        p.textContent = '(the same all through this text: nothing to follow)';
        box.appendChild(p);
        continue;
      }
      const best = [];
      for (let l = 0; l < net.L; l++) {
        for (let u = 0; u < H; u++) best.push([l, u, correlation(x, look[which][l], u, H)]);
      }
      best.sort((p, q) => Math.abs(q[2]) - Math.abs(p[2]));
      const ul = document.createElement('ul');
      for (const [l, u, r] of best.slice(0, 5)) {
        const li = document.createElement('li'), b = document.createElement('button');
        b.type = 'button';
        b.textContent = 'layer ' + (l + 1) + ', unit ' + u;
        b.addEventListener('click', () => {
          $('look-mode').value = 'neuron';
          $('look-layer').value = String(l);
          $('look-unit').value = String(u);
          colour();
        });
        li.appendChild(b);
        li.appendChild(document.createTextNode(' (correlation ' + r.toFixed(2) + ')'));
        ul.appendChild(li);
      }
      box.appendChild(ul);
    }
  }

  function renderLook() {
    const view = $('look-view');
    view.textContent = '';
    look.spans = [];
    look.chars.forEach((ch, t) => {
      const sp = document.createElement('span');
      sp.textContent = ch === '\n' ? '\u21b5' : ch;
      sp.dataset.t = String(t);
      view.appendChild(sp);
      look.spans.push(sp);
      if (ch === '\n') view.appendChild(document.createTextNode('\n'));
    });
    colour();
    listFeatureUnits();
  }

  function colour() {
    if (!look) return;
    const mode = $('look-mode').value, H = net.H;
    const l = Math.min(net.L - 1, Math.max(0, Number($('look-layer').value) || 0));
    const u = Math.min(H - 1, Math.max(0, Math.floor(Number($('look-unit').value)) || 0));
    const acts = look[lookValue()][l];
    let scale = 1;
    if (mode === 'neuron') {
      for (let t = 0; t < look.chars.length; t++) scale = Math.max(scale, Math.abs(acts[t * H + u]));
    }
    look.spans.forEach((sp, t) => {
      if (mode === 'surprise') {
        const loss = look.loss[t];
        sp.style.backgroundColor = isNaN(loss) ? '#ddd'
          : 'hsl(8, 85%, ' + (100 - 45 * Math.min(1, loss / 6)).toFixed(1) + '%)';
      } else {
        const v = acts[t * H + u] / scale;
        sp.style.backgroundColor = v >= 0 ? 'rgba(43, 95, 173, ' + v.toFixed(3) + ')'
          : 'rgba(230, 120, 20, ' + (-v).toFixed(3) + ')';
      }
    });
  }

  function inform(t) {
    const info = $('look-info'), ch = look.chars[t], H = net.H;
    info.textContent = '';
    for (const sp of look.spans) sp.classList.remove('picked');
    look.spans[t].classList.add('picked');
    const head = document.createElement('p');
    head.textContent = look.id[t] < 0 ? '\u201c' + shown(ch) + '\u201d is not a character this bot knows.'
      : '\u201c' + shown(ch) + '\u201d had probability ' + (100 * look.p[t]).toFixed(2) + '% (surprise ' +
        look.loss[t].toFixed(2) + ' nats). The five likeliest guesses here:';
    info.appendChild(head);
    const table = document.createElement('table');
    for (const [k, p] of look.top[t]) {
      const tr = document.createElement('tr'), a = document.createElement('td'), b = document.createElement('td');
      a.textContent = '\u201c' + shown(meta.texts[k]) + '\u201d';
      b.textContent = (100 * p).toFixed(2) + '%';
      tr.appendChild(a);
      tr.appendChild(b);
      table.appendChild(tr);
    }
    info.appendChild(table);
    if ($('look-mode').value === 'neuron') {
      const l = Number($('look-layer').value) || 0, u = Number($('look-unit').value) || 0;
      const v = document.createElement('p');
      v.textContent = 'Layer ' + (l + 1) + ', unit ' + u + ': ' + lookValue() + ' = ' +
        look[lookValue()][l][t * H + u].toFixed(3);
      info.appendChild(v);
    }
  }

  function lookAt() {
    const text = $('look-text').value;
    if (!text) { $('look-status').textContent = 'Paste a text first, or use the written one.'; return; }
    const t0 = performance.now();
    look = analyse(text);
    const known = look.loss.filter((x) => !isNaN(x));
    const mean = known.reduce((x, y) => x + y, 0) / Math.max(1, known.length);
    $('look-status').textContent = look.chars.length + ' characters' +
      (Array.from(text).length > LOOK_MAX ? ' (the first ' + LOOK_MAX + ')' : '') + ', mean surprise ' +
      mean.toFixed(3) + ' nats per character, in ' + ((performance.now() - t0) / 1000).toFixed(2) + ' s';
    renderLook();
  }

  // ---- About ----
  function card() {
    const dl = $('card'), cells = { lstm: 'LSTM', gru: 'GRU', rnn: 'simple RNN' };
    const rows = [
      ['name', meta.name],
      ['cell', cells[meta.cell] || meta.cell],
      ['size', meta.layers + ' layer' + (meta.layers === 1 ? '' : 's') + ' of ' + meta.hidden + ' units'],
      ['input', meta.embed ? 'an embedding, ' + meta.embed + ' wide' : 'one-hot, ' + meta.chars.length + ' wide'],
      ['vocabulary', meta.chars.length + ' characters'],
      ['parameters', meta.params.toLocaleString('en')],
      ['runs on', net.engine + ' in this browser'],
      ['weights here', meta.weights + ', ' + meta.precision + '-bit' +
        (meta.precision === 16 ? ' (close, not exact)' : ' (exact)')],
      ['training', meta.steps.toLocaleString('en') + ' steps, ' + meta.chars_seen.toLocaleString('en') +
        ' characters seen' + (meta.wall_s >= 60 ? ', ' + (meta.wall_s / 60).toFixed(1) + ' minutes'
        : meta.wall_s ? ', ' + meta.wall_s.toFixed(1) + ' seconds' : '')],
      ['best validation loss', meta.best_val === null ? 'none'
        : meta.best_val.toFixed(4) + ' nats (' + (meta.best_val / Math.LN2).toFixed(3) + ' bits) per character'],
    ];
    for (const [k, v] of rows) {
      const dt = document.createElement('dt'), dd = document.createElement('dd');
      dt.textContent = k;
      dd.textContent = v;
      dl.appendChild(dt);
      dl.appendChild(dd);
    }
    $('vocab').textContent = meta.texts.map(shown).join(' ');
    $('loss').src = 'data:image/svg+xml;base64,' + meta.loss_svg;
    $('version').textContent = meta.charrnn;
    const box = $('lineage');
    if (!meta.sessions.length) box.textContent = 'None recorded.';
    meta.sessions.forEach((s, i) => {
      const d = document.createElement('div'), p = document.createElement('p'),
        code = document.createElement('code'), ul = document.createElement('ul');
      d.className = 'session';
      p.textContent = 'Session ' + (i + 1) + ': ' + s.date + ', charrnn ' + s.version + ', from step ' + s.start_step;
      code.textContent = s.command;
      for (const src of s.sources) {
        const li = document.createElement('li');
        li.textContent = src.name + ' (' + src.bytes.toLocaleString('en') + ' bytes), SHA-256 ' + src.sha256;
        ul.appendChild(li);
      }
      d.appendChild(p);
      d.appendChild(code);
      d.appendChild(ul);
      box.appendChild(d);
    });
  }

  // ---- for tests and the curious (the browser's console): bot.probsAfter('To be') ----
  const api = {
    // the next character's probabilities after a text, as {text: probability}
    probsAfter(text) {
      const s = net.newState();
      feed(s, text);
      const p = probs(logits(s)), r = {};
      meta.texts.forEach((t, i) => { r[t] = p[i]; });
      return r;
    },
    // characters per second over n characters of sampling at temperature 1
    speed(n) {
      const s = net.newState(), rng = newRng(1), t0 = performance.now();
      for (let i = 0; i < n; i++) net.step(s, draw(logits(s), 1, rng));
      return n / ((performance.now() - t0) / 1000);
    },
  };

  function start() {
    meta = JSON.parse($('bot-meta').textContent);
    // engine=js in the address: the products in plain JavaScript, not WebAssembly (for tests)
    net = new Net(meta, readWeights(meta), new URLSearchParams(location.hash.replace(/^#/, '')).get('engine'));
    ids = new Map(meta.chars.map((c, i) => [c, i]));
    document.title = meta.name + ' \u2014 a charrnn bot';
    $('title').textContent = meta.name;
    $('subtitle').textContent = 'A character-level ' + meta.cell.toUpperCase() + ' bot, ' + meta.layers +
      ' \u00d7 ' + meta.hidden + ', trained with charrnn. It runs here, in this page, offline.';
    for (const b of document.querySelectorAll('nav button')) {
      b.addEventListener('click', () => showTab(b.dataset.panel));
    }
    $('temp').addEventListener('input', () => { $('temp-shown').textContent = $('temp').value; });
    $('go').addEventListener('click', write);
    $('stop').addEventListener('click', () => { if (writing) writing.stop = true; });
    $('again').addEventListener('click', () => {
      $('seed').value = String((Number($('seed').value) + 1) >>> 0);
      write();
    });
    $('talk-form').addEventListener('submit', say);
    $('talk-reset').addEventListener('click', () => { talk = null; $('transcript').textContent = ''; });
    for (let l = 0; l < meta.layers; l++) {
      const o = document.createElement('option');
      o.value = String(l);
      o.textContent = String(l + 1);
      $('look-layer').appendChild(o);
    }
    $('look-unit').max = String(meta.hidden - 1);
    if (meta.cell !== 'lstm') $('look-state').disabled = true;
    $('look-go').addEventListener('click', lookAt);
    $('look-generated').addEventListener('click', () => {
      $('look-text').value = $('output').textContent;
      lookAt();
    });
    for (const id of ['look-mode', 'look-layer', 'look-unit']) $(id).addEventListener('change', colour);
    $('look-state').addEventListener('change', () => { colour(); listFeatureUnits(); });
    $('look-view').addEventListener('mouseover', (e) => { if (e.target.dataset.t) inform(Number(e.target.dataset.t)); });
    $('look-view').addEventListener('click', (e) => { if (e.target.dataset.t) inform(Number(e.target.dataset.t)); });
    card();
    api.meta = meta;
    api.engine = net.engine;
    api.loadMs = performance.now() - started;
    window.bot = api;
    document.body.dataset.ready = '1';
    if (fromAddress()) write();
    window.addEventListener('hashchange', () => { if (fromAddress()) write(); });
  }

  try {
    start();
  } catch (e) {
    $('subtitle').textContent = 'This page cannot run its bot: ' + e.message;
    document.body.dataset.ready = 'failed';
  }
})();

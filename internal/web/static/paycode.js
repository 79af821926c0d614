// ShiLianTong payment code (付款码) in the browser.
//
// The device secret lives here, in localStorage, never on a page the
// server renders again: the enrolment answer hands it over once. Codes are
// derived exactly as pkg/paycode derives them — RFC 6238 TOTP over
// HMAC-SHA-256 (6 digits), the device number hidden by a keyed Feistel
// permutation whose tweak is the OTP — with WebCrypto, then drawn as a
// QR code (version 1-M, numeric mode) and a Code 128 (set C) barcode.
// The page asks the server every 2 s whether a till charged a code, and
// goes by itself to the PIN confirmation or to the receipt.
'use strict';
(function () {
  var root = document.getElementById('paycode');
  if (!root) return;
  var d = root.dataset;
  var storeKey = 'slt.paycode.' + d.user;
  var step = +d.step, digits = +d.digits, prefix = d.prefix;
  var skewMs = +d.now - Date.now(); // the server's clock minus this device's
  var shownAt = +d.now;
  var MASK_LABEL = 'shiliantong/paycode/mask/v1\u0000';
  var enc = new TextEncoder();

  if (d.device && d.secret) { // the enrolment's answer: keep the secret
    localStorage.setItem(storeKey, JSON.stringify({ device: d.device, secret: d.secret }));
    root.removeAttribute('data-secret');
    history.replaceState(null, '', '/app/paycode');
  }
  var saved = null;
  try { saved = JSON.parse(localStorage.getItem(storeKey) || 'null'); } catch (e) { saved = null; }
  var show = document.getElementById('pc-show');
  var enrol = document.getElementById('pc-enrol');
  if (!saved || !window.crypto || !crypto.subtle) {
    enrol.hidden = false;
    return;
  }
  show.hidden = false;
  document.getElementById('pc-forget').addEventListener('click', function () {
    localStorage.removeItem(storeKey);
    localStorage.removeItem(storeKey + '.used');
    show.hidden = true;
    enrol.hidden = false;
  });

  // --- derivation (pkg/paycode) ---
  function base32(s) {
    var abc = 'ABCDEFGHIJKLMNOPQRSTUVWXYZ234567', bits = 0, val = 0, out = [];
    s = s.replace(/[=\s-]/g, '').toUpperCase();
    for (var i = 0; i < s.length; i++) {
      var v = abc.indexOf(s[i]);
      if (v < 0) throw new Error('secret is not base32');
      val = (val << 5) | v; bits += 5;
      if (bits >= 8) { bits -= 8; out.push((val >>> bits) & 255); val &= (1 << bits) - 1; }
    }
    return new Uint8Array(out);
  }
  function hmacKey(raw) {
    return crypto.subtle.importKey('raw', raw, { name: 'HMAC', hash: 'SHA-256' }, false, ['sign']);
  }
  function be64(n) {
    var b = new Uint8Array(8), v = new DataView(b.buffer);
    v.setUint32(0, Math.floor(n / 4294967296)); v.setUint32(4, n >>> 0);
    return b;
  }
  function concat(parts) {
    var len = 0, i, off = 0;
    for (i = 0; i < parts.length; i++) len += parts[i].length;
    var out = new Uint8Array(len);
    for (i = 0; i < parts.length; i++) { out.set(parts[i], off); off += parts[i].length; }
    return out;
  }
  var secretKey = hmacKey(base32(saved.secret));
  var maskKey = hmacKey(Uint8Array.from(atob(d.maskKey), function (c) { return c.charCodeAt(0); }));

  async function hotp(counter) {
    var mac = new Uint8Array(await crypto.subtle.sign('HMAC', await secretKey, be64(counter)));
    var off = mac[mac.length - 1] & 15;
    var v = (((mac[off] & 0x7f) << 24) | (mac[off + 1] << 16) | (mac[off + 2] << 8) | mac[off + 3]) >>> 0;
    return String(v % Math.pow(10, digits)).padStart(digits, '0');
  }
  async function round(i, half, mod, tweak) {
    var t = enc.encode(tweak);
    var msg = concat([enc.encode(MASK_LABEL), new Uint8Array([t.length]), t, new Uint8Array([i]), be64(half)]);
    var h = new DataView(await crypto.subtle.sign('HMAC', await maskKey, msg));
    var big = (BigInt(h.getUint32(0)) << 32n) | BigInt(h.getUint32(4));
    return Number(big % BigInt(mod));
  }
  async function maskDevice(x, tweak, n) {
    var u = Math.floor(n / 2), pv = Math.pow(10, n - u), pu = Math.pow(10, u);
    var a = Math.floor(x / pv), b = x % pv;
    for (var i = 0; i < 10; i++) {
      var mod = i % 2 === 0 ? pu : pv;
      var next = (a + await round(i, b, mod, tweak)) % mod;
      a = b; b = next;
    }
    return a * pv + b;
  }
  async function codeAt(counter) {
    var otp = await hotp(counter);
    var n = 18 - prefix.length - digits;
    var field = String(await maskDevice(+saved.device, otp, n)).padStart(n, '0');
    return prefix + field + otp;
  }

  // --- QR code, version 1, error correction M, numeric mode ---
  function gfMul(x, y) {
    var z = 0;
    for (var i = 7; i >= 0; i--) { z = (z << 1) ^ ((z >>> 7) * 0x11d); z ^= ((y >>> i) & 1) * x; }
    return z;
  }
  function rsRemainder(data, degree) {
    var div = [], i, j, root = 1;
    for (i = 0; i < degree - 1; i++) div.push(0);
    div.push(1);
    for (i = 0; i < degree; i++) {
      for (j = 0; j < div.length; j++) { div[j] = gfMul(div[j], root); if (j + 1 < div.length) div[j] ^= div[j + 1]; }
      root = gfMul(root, 2);
    }
    var rem = div.map(function () { return 0; });
    data.forEach(function (b) {
      var f = b ^ rem.shift(); rem.push(0);
      div.forEach(function (c, k) { rem[k] ^= gfMul(c, f); });
    });
    return rem;
  }
  function qrMatrix(text) {
    var size = 21, bits = [], i, x, y;
    function put(v, n) { for (var k = n - 1; k >= 0; k--) bits.push((v >>> k) & 1); }
    put(1, 4); put(text.length, 10);
    for (i = 0; i < text.length; i += 3) {
      var g = text.substr(i, 3); put(+g, g.length * 3 + 1);
    }
    var cap = 16 * 8;
    put(0, Math.min(4, cap - bits.length));
    while (bits.length % 8) bits.push(0);
    var data = [];
    for (i = 0; i < bits.length; i += 8) data.push(parseInt(bits.slice(i, i + 8).join(''), 2));
    for (var pad = 0xec; data.length < 16; pad ^= 0xec ^ 0x11) data.push(pad);
    var all = data.concat(rsRemainder(data, 10));
    var m = [], fn = [];
    for (y = 0; y < size; y++) { m.push(new Array(size).fill(false)); fn.push(new Array(size).fill(false)); }
    function set(x, y, dark) { m[y][x] = dark; fn[y][x] = true; }
    function finder(cx, cy) {
      for (var dy = -4; dy <= 4; dy++) for (var dx = -4; dx <= 4; dx++) {
        var xx = cx + dx, yy = cy + dy, dist = Math.max(Math.abs(dx), Math.abs(dy));
        if (xx >= 0 && xx < size && yy >= 0 && yy < size) set(xx, yy, dist !== 2 && dist !== 4);
      }
    }
    finder(3, 3); finder(size - 4, 3); finder(3, size - 4);
    for (i = 8; i < size - 8; i++) { set(6, i, i % 2 === 0); set(i, 6, i % 2 === 0); }
    function format(f) { // the 15 format bits, twice, and the dark module
      function bit(n) { return ((f >>> n) & 1) === 1; }
      for (i = 0; i <= 5; i++) set(8, i, bit(i));
      set(8, 7, bit(6)); set(8, 8, bit(7)); set(7, 8, bit(8));
      for (i = 9; i < 15; i++) set(14 - i, 8, bit(i));
      for (i = 0; i < 8; i++) set(size - 1 - i, 8, bit(i));
      for (i = 8; i < 15; i++) set(8, size - 15 + i, bit(i));
      set(8, size - 8, true);
    }
    format(0); // reserve the modules
    var k = 0;
    for (var right = size - 1; right >= 1; right -= 2) {
      if (right === 6) right = 5;
      for (var vert = 0; vert < size; vert++) for (var j = 0; j < 2; j++) {
        x = right - j;
        y = ((right + 1) & 2) === 0 ? size - 1 - vert : vert;
        if (!fn[y][x] && k < all.length * 8) { m[y][x] = ((all[k >>> 3] >>> (7 - (k & 7))) & 1) === 1; k++; }
      }
    }
    var mask = 0; // (x + y) % 2 == 0
    for (y = 0; y < size; y++) for (x = 0; x < size; x++) if (!fn[y][x] && (x + y) % 2 === 0) m[y][x] = !m[y][x];
    var fdata = (0 << 3) | mask, rem = fdata; // level M is 00
    for (i = 0; i < 10; i++) rem = (rem << 1) ^ ((rem >>> 9) * 0x537);
    format(((fdata << 10) | rem) ^ 0x5412);
    return m;
  }
  function drawQR(svg, text) {
    var m = qrMatrix(text), q = 4, n = m.length + 2 * q, p = '';
    for (var y = 0; y < m.length; y++) for (var x = 0; x < m.length; x++) if (m[y][x]) p += 'M' + (x + q) + ' ' + (y + q) + 'h1v1h-1z';
    draw(svg, '0 0 ' + n + ' ' + n, n, n, p);
  }

  // --- Code 128, set C (pairs of digits) ---
  var C128 = '212222 222122 222221 121223 121322 131222 122213 122312 132212 221213 221312 231212 112232 122132 122231 113222 123122 123221 223211 221132 221231 213212 223112 312131 311222 321122 321221 312212 322112 322211 212123 212321 232121 111323 131123 131321 112313 132113 132311 211313 231113 231311 112133 112331 132131 113123 113321 133121 313121 211331 231131 213113 213311 213131 311123 311321 331121 312113 312311 332111 314111 221411 431111 111224 111422 121124 121421 141122 141221 112214 112412 122114 122411 142112 142211 241211 221114 413111 241112 134111 111242 121142 121241 114212 124112 124211 411212 421112 421211 212141 214121 412121 111143 111341 131141 114113 114311 411113 411311 113141 114131 311141 411131 211412 211214 211232 2331112'.split(' ');
  function drawBarcode(svg, text) {
    var vals = [105], sum = 105, i;
    for (i = 0; i < text.length; i += 2) { var v = +text.substr(i, 2); vals.push(v); sum += v * (i / 2 + 1); }
    vals.push(sum % 103); vals.push(106);
    var x = 10, p = '';
    vals.forEach(function (v) {
      var w = C128[v];
      for (var j = 0; j < w.length; j++) { var n = +w[j]; if (j % 2 === 0) p += 'M' + x + ' 0h' + n + 'v1h-' + n + 'z'; x += n; }
    });
    draw(svg, '0 0 ' + (x + 10) + ' 1', x + 10, 1, p);
    svg.setAttribute('preserveAspectRatio', 'none');
  }
  function draw(svg, box, w, h, path) {
    svg.setAttribute('viewBox', box);
    svg.textContent = '';
    var ns = 'http://www.w3.org/2000/svg';
    var bg = document.createElementNS(ns, 'rect');
    bg.setAttribute('width', w); bg.setAttribute('height', h); bg.setAttribute('fill', '#fff');
    var fg = document.createElementNS(ns, 'path');
    fg.setAttribute('d', path); fg.setAttribute('fill', '#000'); fg.setAttribute('shape-rendering', 'crispEdges');
    svg.appendChild(bg); svg.appendChild(fg);
  }

  // --- the page ---
  var usedKey = storeKey + '.used';
  var shown = -1;
  var texts = document.getElementById('pc-texts').getAttribute('data-t-waiting');
  function nowSec() { return (Date.now() + skewMs) / 1000; }
  async function tick() {
    var cur = Math.floor(nowSec() / step);
    var used = +(localStorage.getItem(usedKey) || -1);
    var counter = Math.max(cur, used + 1); // a code is single use: after one was charged, show the next
    if (counter !== shown) {
      shown = counter;
      var code = await codeAt(counter);
      drawQR(document.getElementById('pc-qr'), code);
      drawBarcode(document.getElementById('pc-barcode'), code);
      var el = document.getElementById('pc-digits');
      el.textContent = code.replace(/(\d{4})(?=\d)/g, '$1 ');
      el.setAttribute('data-code', code);
    }
    var left = Math.max(0, Math.ceil((counter + 1) * step - nowSec()));
    document.getElementById('pc-countdown').textContent = texts.replace('{s}', left);
  }
  async function poll() {
    try {
      var r = await fetch('/app/paycode/status?since=' + shownAt, { credentials: 'same-origin', headers: { Accept: 'application/json' } });
      if (r.ok) {
        var s = await r.json();
        if (s.state !== 'waiting' && s.url) {
          localStorage.setItem(usedKey, String(shown));
          location.assign(s.url);
          return;
        }
      }
    } catch (e) { /* offline for a moment: ask again */ }
    setTimeout(poll, 2000);
  }
  tick().then(function () { setInterval(tick, 1000); setTimeout(poll, 2000); });
})();

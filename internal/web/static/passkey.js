// ShiLianTong: passkeys (fingerprint / face) with navigator.credentials.
// Settings add one, the login page logs in with one, and the PIN pad pages
// pay with one: the server's options come as JSON with base64url fields,
// the authenticator's answer goes back the same way. Without WebAuthn the
// buttons stay hidden and the PIN works as before.
'use strict';
(function () {
  if (!window.PublicKeyCredential || !navigator.credentials) return;

  function dec(s) {
    s = s.replace(/-/g, '+').replace(/_/g, '/');
    while (s.length % 4) s += '=';
    var b = atob(s), u = new Uint8Array(b.length);
    for (var i = 0; i < b.length; i++) u[i] = b.charCodeAt(i);
    return u.buffer;
  }
  function enc(buf) {
    if (!buf) return undefined;
    var u = new Uint8Array(buf), s = '';
    for (var i = 0; i < u.length; i++) s += String.fromCharCode(u[i]);
    return btoa(s).replace(/\+/g, '-').replace(/\//g, '_').replace(/=+$/, '');
  }
  function ids(list) {
    (list || []).forEach(function (c) { c.id = dec(c.id); });
  }

  // post sends a form's fields (its CSRF token among them) and extra ones,
  // and reads the JSON answer; an error answer rejects with its message.
  function post(url, form, extra) {
    var body = new URLSearchParams();
    new FormData(form).forEach(function (v, k) { if (typeof v === 'string') body.append(k, v); });
    Object.keys(extra || {}).forEach(function (k) { body.set(k, extra[k]); });
    return fetch(url, { method: 'POST', body: body, credentials: 'same-origin' }).then(function (r) {
      return r.json().catch(function () { return {}; }).then(function (j) {
        if (!r.ok) throw new Error(j.error || r.statusText);
        return j;
      });
    });
  }

  function credentialJSON(c) {
    var r = c.response, out = {
      id: c.id, rawId: enc(c.rawId), type: c.type, authenticatorAttachment: c.authenticatorAttachment || undefined,
      clientExtensionResults: c.getClientExtensionResults ? c.getClientExtensionResults() : {},
      response: { clientDataJSON: enc(r.clientDataJSON) }
    };
    if (r.attestationObject) {
      out.response.attestationObject = enc(r.attestationObject);
      if (r.getTransports) out.response.transports = r.getTransports();
    } else {
      out.response.authenticatorData = enc(r.authenticatorData);
      out.response.signature = enc(r.signature);
      out.response.userHandle = enc(r.userHandle);
    }
    return JSON.stringify(out);
  }

  function create(options) {
    var pk = options.publicKey;
    pk.challenge = dec(pk.challenge);
    pk.user.id = dec(pk.user.id);
    ids(pk.excludeCredentials);
    return navigator.credentials.create({ publicKey: pk });
  }
  function get(options) {
    var pk = options.publicKey;
    pk.challenge = dec(pk.challenge);
    ids(pk.allowCredentials);
    return navigator.credentials.get({ publicKey: pk });
  }

  function say(form, err) {
    var m = form.querySelector('[data-passkey-msg]');
    if (!m) return;
    m.textContent = err && err.name === 'NotAllowedError' ? (m.getAttribute('data-cancelled') || err.message) : (err && err.message) || String(err);
    m.hidden = false;
  }
  function show(el) { if (el) el.hidden = false; }

  // Settings: add a passkey.
  document.querySelectorAll('form[data-passkey-register]').forEach(function (form) {
    show(form);
    form.addEventListener('submit', function (e) {
      e.preventDefault();
      post('/app/settings/passkeys/begin', form).then(create).then(function (c) {
        return post('/app/settings/passkeys', form, { credential: credentialJSON(c) });
      }).then(function (j) { location.assign(j.next); }, function (err) { say(form, err); });
    });
  });

  // The login page: log in with a passkey (the mobile number, if typed,
  // narrows it to that account's passkeys).
  document.querySelectorAll('[data-passkey-login]').forEach(function (b) {
    var form = b.form || b.closest('form');
    show(b);
    b.addEventListener('click', function () {
      post('/login/passkey/begin', form).then(get).then(function (c) {
        return post('/login/passkey', form, { credential: credentialJSON(c) });
      }).then(function (j) { location.assign(j.next); }, function (err) { say(form, err); });
    });
  });

  // The step-up page (a login from a new device): confirm with a passkey.
  document.querySelectorAll('form[data-passkey-stepup]').forEach(function (form) {
    show(form);
    form.querySelector('button').addEventListener('click', function () {
      post('/login/step-up/passkey/begin', form).then(get).then(function (c) {
        return post('/login/step-up/passkey', form, { credential: credentialJSON(c) });
      }).then(function (j) { location.assign(j.next); }, function (err) { say(form, err); });
    });
  });

  // PIN pad pages: pay with a passkey. The options are for this form's
  // payment (amount, payee, key); the assertion goes in its passkey field
  // and the form is posted as with the PIN.
  document.querySelectorAll('[data-passkey-pay]').forEach(function (b) {
    var form = b.form || b.closest('form');
    show(b);
    b.addEventListener('click', function () {
      var extra = { kind: form.getAttribute('data-passkey-kind') || '' };
      if (form.hasAttribute('data-order')) extra.order = form.getAttribute('data-order');
      post('/app/passkeys/pay/begin', form, extra).then(get).then(function (c) {
        form.querySelector('input[name=passkey]').value = credentialJSON(c);
        var pin = form.querySelector('[data-pin]');
        if (pin) { pin.value = ''; pin.required = false; }
        form.submit();
      }, function (err) { say(form, err); });
    });
  });
})();

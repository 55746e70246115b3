// The step-up page's HTML, script and style, served as they are (stepup/page.h). No inline script
// or style and nothing from another origin: the CSP forbids both. Text from the service is put in
// the page with textContent only. The browser test (tests/browser) relies on the ids and states.
#include "stepup/page.h"

namespace jit::stepup {

const std::string_view kPageHtml = R"html(<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<meta name="referrer" content="no-referrer">
<title>JIT Access: security-key step-up</title>
<link rel="stylesheet" href="/static/step-up.css">
<script src="/static/step-up.js" defer></script>
</head>
<body data-state="loading">
<main>
<h1 id="title">Loading&hellip;</h1>
<dl id="summary"></dl>
<div id="name-row" hidden>
<label for="name">Name of this security key</label>
<input id="name" type="text" maxlength="64" autocomplete="off" value="security key">
</div>
<button id="go" type="button" disabled>Please wait&hellip;</button>
<p id="status" role="status" aria-live="polite"></p>
</main>
<noscript><p>This page needs JavaScript to talk to your security key.</p></noscript>
</body>
</html>
)html";

const std::string_view kPageScript = R"js('use strict';
(function () {
  const body = document.body;
  const title = document.getElementById('title');
  const summary = document.getElementById('summary');
  const nameRow = document.getElementById('name-row');
  const nameInput = document.getElementById('name');
  const go = document.getElementById('go');
  const status = document.getElementById('status');
  const token = location.pathname.split('/').pop();
  let options = null;

  function setState(state, message) {
    body.dataset.state = state;
    if (message !== undefined) status.textContent = message;
  }

  function fromB64url(text) {
    const b64 = text.replace(/-/g, '+').replace(/_/g, '/') + '==='.slice((text.length + 3) % 4);
    const bytes = atob(b64);
    const out = new Uint8Array(bytes.length);
    for (let i = 0; i < bytes.length; i++) out[i] = bytes.charCodeAt(i);
    return out.buffer;
  }

  function toB64url(buffer) {
    const bytes = new Uint8Array(buffer);
    let text = '';
    for (let i = 0; i < bytes.length; i++) text += String.fromCharCode(bytes[i]);
    return btoa(text).replace(/\+/g, '-').replace(/\//g, '_').replace(/=+$/, '');
  }

  async function post(path, payload) {
    const response = await fetch(path, {
      method: 'POST',
      headers: {'Content-Type': 'application/json'},
      body: JSON.stringify(payload),
      cache: 'no-store',
      credentials: 'omit',
      referrerPolicy: 'no-referrer'
    });
    let data = null;
    try { data = await response.json(); } catch (e) { data = null; }
    return {status: response.status, data: data};
  }

  function addRow(label, value) {
    if (value === undefined || value === null || value === '') return;
    const dt = document.createElement('dt');
    dt.textContent = label;
    const dd = document.createElement('dd');
    dd.textContent = String(value);
    summary.appendChild(dt);
    summary.appendChild(dd);
  }

  function credentialList(list) {
    return (list || []).map(function (c) { return {type: c.type, id: fromB64url(c.id)}; });
  }

  function getOptions(get) {
    return {
      challenge: fromB64url(get.challenge),
      rpId: get.rpId,
      allowCredentials: credentialList(get.allowCredentials),
      userVerification: get.userVerification,
      timeout: get.timeout
    };
  }

  function createOptions(create) {
    return {
      challenge: fromB64url(create.challenge),
      rp: create.rp,
      user: {id: fromB64url(create.user.id), name: create.user.name, displayName: create.user.displayName},
      pubKeyCredParams: create.pubKeyCredParams,
      authenticatorSelection: create.authenticatorSelection,
      attestation: create.attestation,
      excludeCredentials: credentialList(create.excludeCredentials),
      timeout: create.timeout
    };
  }

  function render(data) {
    options = data;
    if (data.purpose === 'approve') {
      const s = data.summary || {};
      title.textContent = 'Approve request ' + (s.request_id || '');
      addRow('Requester', s.requester);
      addRow('Account', s.account);
      addRow('Role', s.role);
      addRow('Duration', s.duration);
      addRow('Reason', s.reason);
      addRow('Ticket', s.ticket);
      go.textContent = 'Approve with your security key';
    } else {
      title.textContent = 'Register a security key';
      addRow('User', data.user);
      nameRow.hidden = false;
      go.textContent = 'Register this security key';
    }
    go.disabled = false;
    setState('ready', data.get && data.create ?
      'You will be asked for a security key you registered before, then for the new one.' : '');
  }

  async function run() {
    go.disabled = true;
    setState('working', 'Waiting for your security key\u2026');
    const payload = {token: token, assertion: null, registration: null};
    try {
      if (options.get) {
        const got = await navigator.credentials.get({publicKey: getOptions(options.get)});
        payload.assertion = {
          id: toB64url(got.rawId),
          clientDataJSON: toB64url(got.response.clientDataJSON),
          authenticatorData: toB64url(got.response.authenticatorData),
          signature: toB64url(got.response.signature)
        };
      }
      if (options.create) {
        const made = await navigator.credentials.create({publicKey: createOptions(options.create)});
        payload.registration = {
          id: toB64url(made.rawId),
          clientDataJSON: toB64url(made.response.clientDataJSON),
          authenticatorData: toB64url(made.response.getAuthenticatorData()),
          publicKeyAlgorithm: made.response.getPublicKeyAlgorithm(),
          name: nameInput.value
        };
      }
    } catch (e) {
      setState('error', 'The security key did not answer (' + (e && e.name ? e.name : 'error') +
        '). This link still works until it expires: try again.');
      go.disabled = false;
      return;
    }
    try {
      const result = await post('/api/finish', payload);
      if (result.data && result.data.ok) {
        setState('done', result.data.message || 'Done.');
      } else {
        setState('error', (result.data && result.data.error) || ('The service answered ' + result.status + '.'));
      }
    } catch (e) {
      setState('error', 'Could not reach the service: ' + (e && e.message ? e.message : 'network error'));
    }
  }

  async function load() {
    try {
      const result = await post('/api/options', {token: token});
      if (result.status !== 200 || !result.data) {
        title.textContent = 'This link cannot be used';
        setState('error', (result.data && result.data.error) || ('The service answered ' + result.status + '.'));
        return;
      }
      render(result.data);
    } catch (e) {
      title.textContent = 'This link cannot be used';
      setState('error', 'Could not reach the service: ' + (e && e.message ? e.message : 'network error'));
    }
  }

  go.addEventListener('click', run);
  load();
})();
)js";

const std::string_view kPageStyle = R"css(:root { color-scheme: light dark; }
body { font-family: system-ui, -apple-system, "Segoe UI", sans-serif; margin: 0; padding: 2rem 1rem; line-height: 1.5; }
main { max-width: 36rem; margin: 0 auto; }
h1 { font-size: 1.4rem; margin: 0 0 1rem; overflow-wrap: anywhere; }
dl { display: grid; grid-template-columns: max-content 1fr; gap: 0.25rem 1rem; margin: 0 0 1.5rem; }
dt { font-weight: 600; }
dd { margin: 0; overflow-wrap: anywhere; white-space: pre-wrap; }
label { display: block; font-weight: 600; margin-bottom: 0.25rem; }
input { font: inherit; padding: 0.4rem; width: 100%; box-sizing: border-box; margin-bottom: 1rem; }
button { font: inherit; padding: 0.6rem 1.2rem; border-radius: 0.4rem; border: 1px solid #2b5fb4; background: #2f6fd6; color: #fff; cursor: pointer; }
button:disabled { opacity: 0.5; cursor: default; }
#status { margin-top: 1rem; overflow-wrap: anywhere; white-space: pre-wrap; }
body[data-state="done"] #status { color: #1d7a36; }
body[data-state="error"] #status { color: #b3261e; }
[hidden] { display: none; }
)css";

}  // namespace jit::stepup

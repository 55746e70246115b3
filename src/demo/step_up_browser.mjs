#!/usr/bin/env node
// The people's browsers in `jit demo --step-up` (src/demo/step_up_scene.h): Debian's headless
// chromium driven by playwright-core, one browser context per person, each with a virtual
// authenticator (Chrome DevTools Protocol, WebAuthn domain) standing in for their security key.
// Not part of `jit`: the demo runs it as a child process, as it runs the emulators, and drives it
// the same way: it prints its URL on stdout once it serves, answers JSON on
// POST /_emulator/<command> on 127.0.0.1, and stops on SIGTERM.
//
//   step_up_browser.mjs --port 0 --spki <base64 SHA-256 of the page's SubjectPublicKeyInfo>
//     [--screenshots DIR] [--chromium PATH]
//
//   POST /_emulator/enroll  {"person": "alice", "url": "https://localhost:P/s/...", "name": "..."}
//   POST /_emulator/approve {"person": "alice", "url": "https://localhost:P/s/..."}
//     -> {"state": "done"|"error", "status": "<the page's #status>", "title": "<#title>",
//         "summary": {"Requester": ..., ...}, "screenshot": "<path>"|null}
//
// The page's self-signed certificate is trusted by its key's pin (--ignore-certificate-errors-spki-list):
// no other certificate error is ignored.
// Run from a checkout where `npm ci` installed playwright-core (scripts/setup does).
import { createServer } from 'node:http';
import { existsSync } from 'node:fs';
import { join } from 'node:path';

function flag(name, fallback) {
  const at = process.argv.indexOf(`--${name}`);
  return at > 0 && at + 1 < process.argv.length ? process.argv[at + 1] : fallback;
}

const port = Number(flag('port', '0'));
const spki = flag('spki', '');
const screenshots = flag('screenshots', '');
const chromiumPath = flag('chromium', process.env.JIT_CHROMIUM
  || ['/usr/bin/chromium', '/usr/lib/chromium/chromium'].find((p) => existsSync(p)) || '');
if (!spki || !chromiumPath) {
  console.error(!spki ? 'step_up_browser: --spki is required'
    : 'step_up_browser: chromium not found: install Debian\'s chromium (scripts/setup) or set JIT_CHROMIUM');
  process.exit(2);
}

let playwright;
try {
  playwright = await import('playwright-core');
} catch (error) {
  console.error(`step_up_browser: cannot load playwright-core (${error.message}): run \`npm ci\` in the source tree `
    + '(scripts/setup does), and run jit from its build tree');
  process.exit(2);
}

const browser = playwright.chromium.launch({
  executablePath: chromiumPath,
  headless: true,
  // No name but localhost resolves and no background fetches start: the browser reaches loopback only.
  args: ['--no-sandbox', '--disable-gpu', '--disable-dev-shm-usage', '--disable-background-networking',
    '--host-resolver-rules=MAP * ~NOTFOUND , EXCLUDE localhost', `--ignore-certificate-errors-spki-list=${spki}`],
  timeout: 60000,
});
browser.catch(() => {});  // reported by the first command that needs it
const people = new Map();

// A person's own browser profile with a platform authenticator that verifies them.
async function personNamed(name) {
  if (!people.has(name)) {
    people.set(name, (async () => {
      const context = await (await browser).newContext({ viewport: { width: 900, height: 640 } });
      const page = await context.newPage();
      const cdp = await context.newCDPSession(page);
      await cdp.send('WebAuthn.enable');
      await cdp.send('WebAuthn.addVirtualAuthenticator', {
        options: { protocol: 'ctap2', transport: 'internal', hasResidentKey: true, hasUserVerification: true, isUserVerified: true },
      });
      return { page };
    })());
  }
  return people.get(name);
}

let shots = 0;
async function step({ person, url, name }, action) {
  if (typeof person !== 'string' || !/^[a-z]{1,32}$/.test(person)) throw new RangeError('"person" must be a short lowercase name');
  if (typeof url !== 'string' || !/^https:\/\/[^/]+\/s\/[A-Za-z0-9_-]+$/.test(url)) throw new RangeError('"url" must be a step-up link');
  const { page } = await personNamed(person);
  await page.goto(url, { waitUntil: 'load' });
  await page.waitForSelector('body[data-state="ready"], body[data-state="error"]');
  if (await page.getAttribute('body', 'data-state') === 'ready') {
    if (action === 'enroll' && typeof name === 'string') await page.fill('#name', name);
    await page.click('#go');
    await page.waitForSelector('body[data-state="done"], body[data-state="error"]');
  }
  let screenshot = null;
  if (screenshots) {
    screenshot = join(screenshots, `step-up-${++shots}-${action}-${person}.png`);
    await page.screenshot({ path: screenshot, fullPage: true });
  }
  return {
    state: await page.getAttribute('body', 'data-state'),
    status: await page.textContent('#status'),
    title: await page.textContent('#title'),
    summary: await page.$$eval('#summary dt', (dts) => Object.fromEntries(
      dts.map((dt) => [dt.textContent, dt.nextElementSibling?.textContent ?? '']))),
    screenshot,
  };
}

function answer(response, status, body) {
  response.writeHead(status, { 'Content-Type': 'application/json' });
  response.end(JSON.stringify(body));
}

const server = createServer((request, response) => {
  const command = /^\/_emulator\/(enroll|approve)$/.exec(request.url ?? '')?.[1];
  if (request.method !== 'POST' || !command) return answer(response, 404, { error: `no such command: ${request.url}` });
  let text = '';
  request.setEncoding('utf8');
  request.on('data', (chunk) => { text += chunk; if (text.length > 65536) request.destroy(); });
  request.on('end', async () => {
    let body;
    try { body = JSON.parse(text); } catch { return answer(response, 400, { error: 'the body is not JSON' }); }
    try {
      answer(response, 200, await step(body ?? {}, command));
    } catch (error) {
      answer(response, error instanceof RangeError ? 400 : 500, { error: String(error?.message ?? error) });
    }
  });
});

async function stop() {
  server.close();
  await (await browser.catch(() => null))?.close();
  process.exit(0);
}
process.on('SIGTERM', stop);
process.on('SIGINT', stop);

server.listen(port, '127.0.0.1', () => {
  console.log(`http://127.0.0.1:${server.address().port}`);
});

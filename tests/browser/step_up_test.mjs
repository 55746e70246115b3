// The WebAuthn step-up (issue 15) end to end, in a real headless Chromium: Debian's chromium
// driven by playwright-core, one browser for the whole file and a browser context per person, each
// with its own virtual authenticator (CDP WebAuthn domain). step_up_world runs the Slack and AWS
// emulators and `jit serve` with the step-up page on https://localhost:PORT (a certificate from a
// CA made for the World, which the browser does not know: trusted by the page's SPKI pin alone);
// this file acts as the people through the Slack emulator's control API
// (emulators/slack/README.md):
//   alice and bob /jit enroll and register their keys from the links in their DMs; dana requests
//   prod break-glass; her own Approve click is refused with no link; alice's and bob's clicks give
//   each a single-use link; alice cannot use bob's link nor dana alice's (no credential for it);
//   each approves on the page after reading the request; the grant is active in the emulated
//   Identity Center and dana is told. Then: a used link reloaded is refused (410), and a key whose sign count went
//   backwards (a cloned key) is refused with nothing approved.
// Not here: an expired link. [step_up] link_lifetime is at least 30 s and nothing in this world
// can move serve's clock, so it would cost a 30 s wait; the unit tests of stepup/ cover expiry.
// Fails (never skips) when chromium is missing: scripts/setup installs it.
//
//   node tests/browser/step_up_test.mjs build/default/tests/browser/step_up_world
//   (run from the source dir so node_modules resolves; JIT_CHROMIUM overrides the browser)
import { spawn } from 'node:child_process';
import { mkdtempSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import assert from 'node:assert/strict';
import { chromium } from 'playwright-core';
import { findChromium, kChromiumArgs } from './chromium.mjs';

const worldProgram = process.argv[2];
if (!worldProgram) {
  console.error('usage: node step_up_test.mjs <path to step_up_world>');
  process.exit(2);
}

// step_up_world as a child: its first line describes the world; then one answer line per command.
class World {
  static async start() {
    const child = spawn(worldProgram, [], { stdio: ['pipe', 'pipe', 'inherit'] });
    const lines = createInterface({ input: child.stdout });
    const waiting = [];
    const queued = [];
    lines.on('line', (line) => (waiting.length ? waiting.shift().resolve(line) : queued.push(line)));
    const exited = new Promise((resolve) => child.once('exit', (code, signal) => resolve({ code, signal })));
    exited.then((how) => { for (const w of waiting.splice(0)) w.reject(new Error(`step_up_world exited: ${JSON.stringify(how)}`)); });
    const world = new World(child, exited, () => new Promise((resolve, reject) => {
      if (queued.length) resolve(queued.shift()); else waiting.push({ resolve, reject });
    }));
    const first = await Promise.race([world.nextLine(), exited.then((how) => {
      throw new Error(`step_up_world did not start: ${JSON.stringify(how)}`);
    })]);
    world.info = JSON.parse(first);
    return world;
  }

  constructor(child, exited, nextLine) {
    this.child = child;
    this.exited = exited;
    this.nextLine = nextLine;
  }

  async ask(command) {
    this.child.stdin.write(command + '\n');
    return JSON.parse(await this.nextLine());
  }

  // The request as the store holds it: {state, approvals, denials}.
  request(id) { return this.ask(`request ${id}`); }

  // Closing stdin stops everything (serve reaped, emulators stopped); SIGKILL if it hangs.
  async stop() {
    this.child.stdin.end();
    const timer = setTimeout(() => this.child.kill('SIGKILL'), 30000);
    const how = await this.exited;
    clearTimeout(timer);
    return how;
  }
}

// The Slack emulator's control API.
class Slack {
  constructor(url) { this.base = `${url}/_emulator`; }

  async call(path, body) {
    const response = await fetch(`${this.base}/${path}`, body === undefined ? {} : {
      method: 'POST', headers: { 'Content-Type': 'application/json' }, body: JSON.stringify(body),
    });
    const data = await response.json();
    if (!response.ok) throw new Error(`${path}: HTTP ${response.status} ${JSON.stringify(data)}`);
    return data;
  }

  messages(channel) { return this.call(`messages?channel=${channel}`); }
  dm(user) { return this.call(`dm?user=${user}`); }

  // Calls `look` now and after each change of the emulator's state until it returns something
  // other than undefined (returned), or throws naming `what` after `timeoutMs`.
  async waitFor(what, look, timeoutMs = 15000) {
    const deadline = Date.now() + timeoutMs;
    let { version } = await this.call('wait');
    for (;;) {
      const found = await look();
      if (found !== undefined) return found;
      const left = deadline - Date.now();
      if (left <= 0) throw new Error(`timed out waiting for ${what}`);
      ({ version } = await this.call(`wait?version=${version}&timeout_ms=${Math.min(left, 60000)}`));
    }
  }
}

// The step-up URL in a Slack mrkdwn link "<https://...|text>" (undefined when there is none).
function linkIn(text, origin) {
  const at = text.indexOf(`<${origin}/s/`);
  if (at < 0) return undefined;
  return text.slice(at + 1, text.indexOf('|', at));
}

const settledState = 'body[data-state="done"], body[data-state="error"]';

async function main() {
  const started = Date.now();
  const dir = mkdtempSync(join(process.env.TEST_TMPDIR || tmpdir(), 'jit-step-up-'));
  const screenshots = [];
  const world = await World.start();
  const { origin, people, channels } = world.info;
  const slack = new Slack(world.info.slack);
  const alice = people.alice.slack, bob = people.bob.slack, dana = people.dana.slack, eve = people.eve.slack;
  console.log(`world up in ${Date.now() - started} ms: ${origin}, pin ${world.info.spki_sha256}`);

  let stopped;
  const browser = await chromium.launch({
    executablePath: findChromium(),
    headless: true,
    // The page's certificate is trusted by its key's pin, and nothing else is: a
    // WebAuthn origin the browser treats as properly secure, not one where any certificate goes.
    args: [...kChromiumArgs,
      `--ignore-certificate-errors-spki-list=${world.info.spki_sha256}`],
    timeout: 60000,
  });
  try {
    // A person at their own browser profile, with a platform authenticator that verifies them.
    async function personAt(name) {
      const context = await browser.newContext({ viewport: { width: 900, height: 700 } });
      const page = await context.newPage();
      const problems = [];
      // Refusals answer 4xx, which Chromium logs as a failed load; anything else is a problem.
      page.on('console', (m) => {
        if (m.type() === 'error' && !/Failed to load resource: the server responded with a status of 4\d\d/.test(m.text())) problems.push(m.text());
      });
      page.on('pageerror', (e) => problems.push(String(e)));
      const cdp = await context.newCDPSession(page);
      await cdp.send('WebAuthn.enable');
      const { authenticatorId } = await cdp.send('WebAuthn.addVirtualAuthenticator', {
        options: { protocol: 'ctap2', transport: 'internal', hasResidentKey: true, hasUserVerification: true, isUserVerified: true },
      });
      const credentials = async () => (await cdp.send('WebAuthn.getCredentials', { authenticatorId })).credentials;
      return { name, context, page, cdp, authenticatorId, credentials, problems };
    }

    // Opens a step-up link and waits until the page has read its options (ready) or refused it.
    async function open(person, url) {
      const response = await person.page.goto(url, { waitUntil: 'load' });
      assert.equal(response.status(), 200, `${url} serves the page`);
      const headers = response.headers();
      assert.match(headers['content-security-policy'] ?? '', /default-src 'none'/);
      assert.equal(headers['x-frame-options'], 'DENY');
      assert.equal(headers['cache-control'], 'no-store');
      await person.page.waitForSelector('body[data-state="ready"], body[data-state="error"]');
    }

    const stateOf = (person) => person.page.getAttribute('body', 'data-state');
    const statusOf = (person) => person.page.textContent('#status');
    // The summary's dt/dd pairs as an object.
    const summaryOf = (person) => person.page.$$eval('#summary dt', (dts) => Object.fromEntries(
      dts.map((dt) => [dt.textContent, dt.nextElementSibling?.textContent ?? ''])));

    async function shoot(person, name) {
      const path = join(dir, `${name}.png`);
      await person.page.screenshot({ path, fullPage: true });
      assert.ok(statSync(path).size > 5000, `${path} is a screenshot`);
      screenshots.push(path);
    }

    // Clicks #go and waits for the outcome: {state, status}.
    async function go(person) {
      await person.page.click('#go');
      await person.page.waitForSelector(settledState);
      return { state: await stateOf(person), status: await statusOf(person) };
    }

    const [alicePage, bobPage, danaPage] = await Promise.all(['alice', 'bob', 'dana'].map(personAt));

    // ---- Enrolment: /jit enroll, the link in the DM, register on the page. ----
    async function enroll(person, user) {
      const before = (await slack.dm(user)).length;
      await slack.call('slash', { user, text: 'enroll', channel: channels.general });
      const url = await slack.waitFor(`${person.name}'s enrolment link`, async () => {
        const dm = await slack.dm(user);
        for (const m of dm.slice(before)) { const link = linkIn(m.text ?? '', origin); if (link) return link; }
        return undefined;
      });
      await open(person, url);
      assert.equal(await person.page.textContent('#title'), 'Register a security key');
      assert.equal(await stateOf(person), 'ready', await statusOf(person));
      assert.ok(Object.values(await summaryOf(person)).includes(user), 'the page names whom the key is for');
      assert.equal(await person.page.textContent('#go'), 'Register this security key');
      await person.page.fill('#name', `${person.name}'s laptop`);
      await shoot(person, `enroll-${person.name}`);
      const outcome = await go(person);
      assert.equal(outcome.state, 'done', outcome.status);
      const held = await person.credentials();
      assert.equal(held.length, 1, `${person.name}'s authenticator made one credential`);
      return { url, credential: held[0] };
    }
    const aliceKey = await enroll(alicePage, alice);
    const bobKey = await enroll(bobPage, bob);
    // The link was consumed: opening it again is refused.
    await open(bobPage, bobKey.url);
    assert.equal(await stateOf(bobPage), 'error');
    assert.match(await statusOf(bobPage), /used already/);

    // ---- dana's break-glass request. ----
    async function request(user, text) {
      const before = (await slack.messages(channels.general)).length;
      await slack.call('slash', { user, text: `request ${text}`, channel: channels.general });
      const reply = await slack.waitFor(`the reply to ${user}'s request`, async () =>
        (await slack.messages(channels.general)).slice(before).find((m) => m.ephemeral_to === user)?.text);
      const id = /`([a-z0-9]+)` is waiting/.exec(reply)?.[1];
      assert.ok(id, `a request id in ${JSON.stringify(reply)}`);
      return id;
    }
    const reason = 'database <b>on fire</b> & paging';
    const requestId = await request(dana, `prod break-glass 1h ${reason} --ticket INC-1`);

    // The owner-channel message of a request (its ts), once posted.
    const postOf = (id) => slack.waitFor(`the post of ${id}`, async () =>
      (await slack.messages(channels.prod)).find((m) => !m.thread_ts && !m.ephemeral_to
        && JSON.stringify(m.blocks ?? []).includes(id))?.ts);

    // Clicks Approve on the request's post; returns the ephemeral answer shown only to `user`.
    async function clickApprove(user, id) {
      const ts = await postOf(id);
      const before = (await slack.messages(channels.prod)).length;
      await slack.call('click', { user, channel: channels.prod, ts, action_id: 'jit_approve' });
      return slack.waitFor(`the answer to ${user}'s Approve click`, async () =>
        (await slack.messages(channels.prod)).slice(before).find((m) => m.ephemeral_to === user)?.text);
    }

    // The requester's own click: refused, and no link.
    const own = await clickApprove(dana, requestId);
    assert.match(own, /your own request/);
    assert.equal(linkIn(own, origin), undefined, 'no link for the requester');

    const bobAnswer = await clickApprove(bob, requestId);
    const bobLink = linkIn(bobAnswer, origin);
    assert.ok(bobLink, `a step-up link in ${JSON.stringify(bobAnswer)}`);
    const aliceAnswer = await clickApprove(alice, requestId);
    const aliceLink = linkIn(aliceAnswer, origin);
    assert.ok(aliceLink, `a step-up link in ${JSON.stringify(aliceAnswer)}`);
    assert.notEqual(aliceLink, bobLink);
    assert.deepEqual(await world.request(requestId), { state: 'pending', approvals: [], denials: [] });

    // alice opens bob's link: her authenticator has no credential of bob's, so her browser has
    // nothing to sign with; the link is not consumed and nothing is approved.
    await open(alicePage, bobLink);
    assert.equal(await stateOf(alicePage), 'ready');
    const foreign = await go(alicePage);
    assert.equal(foreign.state, 'error');
    assert.match(foreign.status, /did not answer \(NotAllowedError\)/);
    assert.deepEqual(await world.request(requestId), { state: 'pending', approvals: [], denials: [] });

    // dana, the requester, opens alice's link: she has no key of alice's either.
    await open(danaPage, aliceLink);
    const stolen = await go(danaPage);
    assert.equal(stolen.state, 'error');
    assert.match(stolen.status, /did not answer \(NotAllowedError\)/);
    assert.deepEqual(await world.request(requestId), { state: 'pending', approvals: [], denials: [] });

    // alice approves on her own link, after reading what she approves.
    await open(alicePage, aliceLink);
    assert.equal(await stateOf(alicePage), 'ready', await statusOf(alicePage));
    assert.equal(await alicePage.page.textContent('#title'), `Approve request ${requestId}`);
    const summary = await summaryOf(alicePage);
    assert.match(summary.Requester, /U0DANA|dana/);
    assert.match(summary.Account, /^prod\b/);
    assert.equal(summary.Role, 'break-glass');
    assert.match(summary.Duration, /^(1h|1 hour|60m)/);
    assert.equal(summary.Reason, reason, 'the reason shows as text');
    assert.equal(summary.Ticket, 'INC-1');
    assert.equal(await alicePage.page.$$eval('#summary b', (bs) => bs.length), 0, 'no markup made of the reason');
    assert.equal(await alicePage.page.textContent('#go'), 'Approve with your security key');
    await shoot(alicePage, 'approve-alice');
    const aliceDone = await go(alicePage);
    assert.equal(aliceDone.state, 'done', aliceDone.status);
    await shoot(alicePage, 'approved-alice');
    assert.deepEqual(await world.request(requestId), { state: 'pending', approvals: [alice], denials: [] });

    // The same link again: used once, refused now (410).
    const refusedOptions = alicePage.page.waitForResponse((r) => r.url().endsWith('/api/options'));
    await alicePage.page.reload({ waitUntil: 'load' });
    assert.equal((await refusedOptions).status(), 410);
    await alicePage.page.waitForSelector(settledState);
    assert.equal(await stateOf(alicePage), 'error');
    assert.match(await statusOf(alicePage), /used already/);

    // bob approves on his link, which alice's failed attempt left unused: the grant starts.
    await open(bobPage, bobLink);
    assert.equal(await stateOf(bobPage), 'ready', await statusOf(bobPage));
    assert.equal((await summaryOf(bobPage)).Ticket, 'INC-1');
    await shoot(bobPage, 'approve-bob');
    const bobDone = await go(bobPage);
    assert.equal(bobDone.state, 'done', bobDone.status);
    const activeDm = await slack.waitFor('dana\'s DM that her access is active', async () =>
      (await slack.dm(dana)).find((m) => /Your access is active/.test(m.text ?? '') && (m.text ?? '').includes('break-glass'))?.text);
    assert.match(activeDm, /break-glass/);
    const granted = await world.request(requestId);
    assert.equal(granted.state, 'active');
    assert.deepEqual([...granted.approvals].sort(), [alice, bob].sort());
    const breakGlassSet = /ps-0000000000000002$/;
    const assignments = async () => (await (await fetch(`${world.info.aws}/_emulator/assignments`)).json()).assignments;
    const danas = (await assignments()).filter((a) => a.PrincipalId === people.dana.aws);
    assert.equal(danas.length, 1, JSON.stringify(danas));
    assert.equal(danas[0].AccountId, '123456789012');
    assert.match(danas[0].PermissionSetArn, breakGlassSet);

    // ---- A cloned key: bob's authenticator's sign count put back below what the service saw. ----
    const eveRequest = await request(eve, 'prod break-glass 30m second incident --ticket INC-2');
    const bobLink2 = linkIn(await clickApprove(bob, eveRequest), origin);
    assert.ok(bobLink2);
    const [held] = await bobPage.credentials();
    assert.ok(held.signCount >= 2, `bob's key signed twice (count ${held.signCount})`);
    await bobPage.cdp.send('WebAuthn.removeCredential', { authenticatorId: bobPage.authenticatorId, credentialId: held.credentialId });
    await bobPage.cdp.send('WebAuthn.addCredential', { authenticatorId: bobPage.authenticatorId, credential: { ...held, signCount: 0 } });
    await open(bobPage, bobLink2);
    assert.equal(await stateOf(bobPage), 'ready', await statusOf(bobPage));
    const cloned = await go(bobPage);
    assert.equal(cloned.state, 'error', 'a sign count going backwards is refused');
    assert.match(cloned.status, /sign count went from \d+ to \d+/);
    await shoot(bobPage, 'refused-sign-count-bob');
    assert.deepEqual(await world.request(eveRequest), { state: 'pending', approvals: [], denials: [] });
    assert.equal((await assignments()).filter((a) => a.PrincipalId === people.eve.aws).length, 0, 'nothing granted to eve');
    // The link was consumed by the refused attempt.
    await open(bobPage, bobLink2);
    assert.match(await statusOf(bobPage), /used already/);

    for (const p of [alicePage, bobPage, danaPage]) assert.deepEqual(p.problems, [], `${p.name}'s pages ran without errors`);
    assert.equal(aliceKey.credential.rpId, 'localhost');
    console.log(`PASS: step-up in ${browser.version()} in ${Date.now() - started} ms; screenshots:\n  ${screenshots.join('\n  ')}`);
  } catch (error) {
    const log = await world.ask('log').catch(() => ({ log: '(no log)' }));
    console.error(`serve's log:\n${log.log}`);
    throw error;
  } finally {
    await browser.close();
    stopped = await world.stop();
  }
  assert.equal(stopped.code, 0, `step_up_world stopped cleanly: ${JSON.stringify(stopped)}`);
}

main().then(() => process.exit(0), (error) => {
  console.error('FAIL:', error?.stack || error);
  process.exit(1);
});

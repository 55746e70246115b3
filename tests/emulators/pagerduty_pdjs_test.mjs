// Fidelity test of the PagerDuty emulator with PagerDuty's own JavaScript client (@pagerduty/pdjs):
// the token check (and its 401), GET /oncalls with schedule_ids[], include[]=users and since/until
// as PagerDuty documents them, offset pagination followed with pdjs's own next(), a schedule and a
// user by id, and the control API's faults (a 500; a 429 pdjs retries). Exits non-zero on any
// failure; always stops the emulator.
//
//   node tests/emulators/pagerduty_pdjs_test.mjs build/default/emulators/pagerduty/jit-pagerduty-emulator
//   (run from the source dir so node_modules resolves)
import { spawn } from 'node:child_process';
import assert from 'node:assert/strict';
import pdjs from '@pagerduty/pdjs';

const { api } = pdjs;

const binary = process.argv[2];
if (!binary) {
  console.error('usage: node pagerduty_pdjs_test.mjs <path to jit-pagerduty-emulator>');
  process.exit(2);
}
const OVERALL_TIMEOUT_MS = 30000;
const TOKEN = 'pd-emulator-token';
let emulator;
const overall = setTimeout(() => finish(new Error(`timed out after ${OVERALL_TIMEOUT_MS} ms`)), OVERALL_TIMEOUT_MS);

function finish(error) {
  clearTimeout(overall);
  if (emulator && emulator.exitCode === null) emulator.kill('SIGTERM');
  if (error) {
    console.error('FAIL:', error?.stack || error);
    process.exit(1);
  }
  console.log('PASS: @pagerduty/pdjs against jit-pagerduty-emulator');
  process.exit(0);
}

async function startEmulator() {
  emulator = spawn(binary, ['--port', '0', '--token', TOKEN, '--user', 'PDANA01:dana:dana@example.com',
    '--user', 'PBOB001:bob:bob@example.com', '--on-call', 'PSCHED1:PDANA01'], { stdio: ['ignore', 'pipe', 'inherit'] });
  let buffered = '';
  for await (const chunk of emulator.stdout) {
    buffered += chunk;
    if (buffered.includes('\n')) return buffered.split('\n')[0].trim();
  }
  throw new Error('jit-pagerduty-emulator exited before printing its URL');
}

const iso = (ms) => new Date(ms).toISOString().replace(/\.\d{3}Z$/, 'Z');

async function main() {
  const url = await startEmulator();
  const control = async (method, path, body) => {
    const response = await fetch(`${url}/_emulator/${path}`, {
      method, headers: { 'Content-Type': 'application/json' }, body: body ? JSON.stringify(body) : undefined,
    });
    const json = await response.json();
    if (!response.ok) throw new Error(`${method} /_emulator/${path}: ${response.status} ${JSON.stringify(json)}`);
    return json;
  };
  // pdjs builds https://<server>/<endpoint> unless given a url; the emulator is plain http on loopback.
  const pd = (endpoint, params = {}) => api({ token: TOKEN, url: `${url}${endpoint}`, retryTimeout: 50, ...params });

  // The token: accepted, and a wrong one refused as PagerDuty refuses it.
  const abilities = await pd('/abilities');
  assert.equal(abilities.status, 200);
  assert.ok(Array.isArray(abilities.data.abilities) && abilities.data.abilities.length > 0);
  const refused = await api({ token: 'wrong', url: `${url}/oncalls` });
  assert.equal(refused.status, 401);
  assert.equal(refused.data.error.message, 'Unauthorized');

  // Who is on call now on PSCHED1, users included.
  const now = Date.now();
  const oncalls = await pd('/oncalls', {
    data: { 'schedule_ids[]': ['PSCHED1'], 'include[]': ['users'], since: iso(now), until: iso(now), time_zone: 'UTC' },
  });
  assert.equal(oncalls.status, 200, JSON.stringify(oncalls.data));
  assert.equal(oncalls.data.oncalls.length, 1);
  const entry = oncalls.data.oncalls[0];
  assert.equal(entry.schedule.id, 'PSCHED1');
  assert.equal(entry.schedule.type, 'schedule_reference');
  assert.equal(entry.user.id, 'PDANA01');
  assert.equal(entry.user.type, 'user');
  assert.equal(entry.user.email, 'dana@example.com');
  assert.equal(entry.start, null);
  assert.equal(entry.end, null);
  assert.equal(oncalls.data.more, false);
  // Without include[]=users the user is a reference, with no e-mail.
  const references = await pd('/oncalls', { data: { 'schedule_ids[]': ['PSCHED1'] } });
  assert.equal(references.data.oncalls[0].user.type, 'user_reference');
  assert.equal(references.data.oncalls[0].user.email, undefined);
  // What pdjs sent, as the emulator saw it: the version header and the token.
  const seen = (await control('GET', 'requests')).requests;
  const first = seen.find((r) => r.target.startsWith('/oncalls') && r.authorized);
  assert.equal(first.accept, 'application/vnd.pagerduty+json;version=2');
  assert.match(first.target, /schedule_ids%5B%5D=PSCHED1/);

  // since/until: a shift that starts in an hour is not on call now, and is then.
  await control('PUT', 'schedules/PLATER1', { on_call: [{ user: 'PBOB001', start: iso(now + 3600e3), end: iso(now + 7200e3) }] });
  const later = (when) => pd('/oncalls', { data: { 'schedule_ids[]': ['PLATER1'], 'include[]': ['users'], since: iso(when), until: iso(when) } });
  assert.equal((await later(now)).data.oncalls.length, 0);
  const then = await later(now + 5400e3);
  assert.equal(then.data.oncalls.length, 1);
  assert.equal(then.data.oncalls[0].start, iso(now + 3600e3));
  assert.equal(then.data.oncalls[0].user.email, 'bob@example.com');

  // Offset pagination, followed with pdjs's next(): 60 people on call, 25 a page.
  const people = [];
  for (let i = 0; i < 60; i++) {
    const id = `PU${String(i).padStart(5, '0')}`;
    await control('POST', 'users', { id, name: id, email: `user${i}@example.com` });
    people.push({ user: id });
  }
  await control('PUT', 'schedules/PBIG001', { on_call: people });
  let response = await pd('/oncalls', { data: { 'schedule_ids[]': ['PBIG001'], 'include[]': ['users'], limit: 25 } });
  const emails = [];
  let pages = 0;
  for (;;) {
    pages++;
    assert.equal(response.status, 200);
    emails.push(...response.data.oncalls.map((o) => o.user.email));
    if (!response.next) break;
    response = await response.next();
  }
  assert.equal(pages, 3);
  assert.equal(emails.length, 60);
  assert.equal(new Set(emails).size, 60);
  assert.equal(emails[59], 'user59@example.com');

  // Bad input is PagerDuty's 400.
  const bad = await pd('/oncalls', { data: { since: 'yesterday' } });
  assert.equal(bad.status, 400);
  assert.equal(bad.data.error.message, 'Invalid Input Provided');

  // A schedule and a user by id; an unknown one is 404.
  const schedule = await pd('/schedules/PSCHED1');
  assert.equal(schedule.data.schedule.id, 'PSCHED1');
  const user = await pd('/users/PDANA01');
  assert.equal(user.data.user.email, 'dana@example.com');
  assert.equal((await pd('/users/PNOBODY')).status, 404);

  // Faults: one 500; then one 429, which pdjs itself retries.
  await control('POST', 'fault', { kind: 'status', status: 500, count: 1 });
  assert.equal((await pd('/abilities')).status, 500);
  assert.equal((await pd('/abilities')).status, 200);
  await control('POST', 'fault', { kind: 'status', status: 429, count: 1 });
  assert.equal((await pd('/abilities')).status, 200);
}

main().then(() => finish(), finish);

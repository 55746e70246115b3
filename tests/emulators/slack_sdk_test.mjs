// Fidelity test of the Slack emulator with Slack's own Node SDK: @slack/socket-mode receives a
// slash command, a button click and app_home_opened and acks them, @slack/web-api posts, updates, links
// (getPermalink), opens a DM and a modal, publishes a Home tab (views.publish) and reads users, and the emulator's control API shows that all of it landed as Slack
// would record it. Exits non-zero on any failure; always stops the emulator.
//
//   node tests/emulators/slack_sdk_test.mjs build/default/emulators/slack/jit-slack-emulator
//   (or JIT_SLACK_EMULATOR=...; run from the source dir so node_modules resolves)
import { spawn } from 'node:child_process';
import { once } from 'node:events';
import assert from 'node:assert/strict';
import { SocketModeClient, LogLevel } from '@slack/socket-mode';
import { WebClient, ErrorCode } from '@slack/web-api';

const binary = process.argv[2] || process.env.JIT_SLACK_EMULATOR;
if (!binary) {
  console.error('usage: node slack_sdk_test.mjs <path to jit-slack-emulator>');
  process.exit(2);
}
const OVERALL_TIMEOUT_MS = 30000;
const BOT_TOKEN = 'xoxb-emulator-bot';
const APP_TOKEN = 'xapp-emulator-app';

let emulator;
let socketClient;
const overall = setTimeout(() => finish(new Error(`timed out after ${OVERALL_TIMEOUT_MS} ms`)), OVERALL_TIMEOUT_MS);

async function finish(error) {
  clearTimeout(overall);
  try {
    await Promise.race([socketClient?.disconnect(), new Promise((r) => setTimeout(r, 2000))]);
  } catch {}
  if (emulator && emulator.exitCode === null) emulator.kill('SIGTERM');
  if (error) {
    console.error('FAIL:', error?.stack || error);
    process.exit(1);
  }
  console.log('PASS: @slack/socket-mode and @slack/web-api against jit-slack-emulator');
  process.exit(0);
}

async function startEmulator() {
  emulator = spawn(binary, ['--port', '0', '--ping-ms', '500', '--user', 'U0DANA:dana:dana@example.com',
    '--user', 'U0ERIN:erin:erin@example.com', '--usergroup', 'S0ONCALL:U0DANA,U0ERIN'],
  { stdio: ['ignore', 'pipe', 'inherit'] });
  let buffered = '';
  for await (const chunk of emulator.stdout) {
    buffered += chunk;
    if (buffered.includes('\n')) return buffered.split('\n')[0].trim();
  }
  throw new Error('jit-slack-emulator exited before printing its URL');
}

async function waitFor(what, predicate, timeoutMs = 8000) {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await predicate();
    if (value) return value;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 25));
  }
}

async function main() {
  const url = await startEmulator();
  const apiUrl = `${url}/api/`;
  const control = async (method, path, body) => {
    const response = await fetch(`${url}/_emulator/${path}`, {
      method, headers: { 'Content-Type': 'application/json' }, body: body ? JSON.stringify(body) : undefined,
    });
    const json = await response.json();
    if (!response.ok) throw new Error(`${method} /_emulator/${path}: ${response.status} ${JSON.stringify(json)}`);
    return json;
  };

  const web = new WebClient(BOT_TOKEN, { slackApiUrl: apiUrl, retryConfig: { retries: 0 }, logLevel: LogLevel.ERROR });
  const received = { slash: [], actions: [] };
  socketClient = new SocketModeClient({
    appToken: APP_TOKEN,
    clientOptions: { slackApiUrl: apiUrl, retryConfig: { retries: 0 } },
    logLevel: LogLevel.ERROR,
    // The emulator pings every 500 ms: a 3 s server-ping timeout proves the pings arrive.
    serverPingTimeout: 3000,
    clientPingTimeout: 2000,
  });
  socketClient.on('slash_commands', async ({ ack, body }) => {
    await ack();
    received.slash.push(body);
  });
  // The app's Home tab: app_home_opened arrives as the SDK's own event, and the app publishes.
  socketClient.on('app_home_opened', async ({ ack, event }) => {
    await ack();
    received.homeOpened = event;
    if (event.tab !== 'home') return;
    received.published = await web.views.publish({
      user_id: event.user,
      view: {
        type: 'home',
        blocks: [
          { type: 'section', text: { type: 'mrkdwn', text: `Hello <@${event.user}>` } },
          { type: 'actions', block_id: 'decision:req-1', elements: [
            { type: 'button', action_id: 'approve', text: { type: 'plain_text', text: 'Approve' }, value: 'req-1' }] },
        ],
      },
    });
  });
  socketClient.on('interactive', async ({ ack, body }) => {
    await ack();
    received.actions.push(body);
    if (body.type === 'block_actions' && body.container?.type === 'view') return;  // a Home tab click
    if (body.type === 'block_actions') {
      // A modal from the click's trigger_id, as the app's Deny button does (form-encoded `view`).
      received.view = await web.views.open({
        trigger_id: body.trigger_id,
        view: {
          type: 'modal', callback_id: 'deny', title: { type: 'plain_text', text: 'Deny request' },
          submit: { type: 'plain_text', text: 'Deny' }, private_metadata: 'req-1',
          blocks: [{ type: 'input', block_id: 'reason', label: { type: 'plain_text', text: 'Reason' },
            element: { type: 'plain_text_input', action_id: 'reason' } }],
        },
      });
    }
  });
  await socketClient.start();

  // Web API: auth, posting a message with a button, its update, DMs, users, groups.
  const auth = await web.auth.test();
  assert.equal(auth.user_id, 'U0JITBOT');
  assert.equal(auth.team_id, 'T0JIT');
  const posted = await web.chat.postMessage({
    channel: 'C0APPROVALS', text: 'dana requests admin',
    blocks: [
      { type: 'section', text: { type: 'mrkdwn', text: '<@U0DANA> requests *admin*' } },
      { type: 'actions', block_id: 'decision', elements: [
        { type: 'button', action_id: 'approve', text: { type: 'plain_text', text: 'Approve' }, value: 'req-1' },
        { type: 'button', action_id: 'deny', text: { type: 'plain_text', text: 'Deny' }, value: 'req-1' }] },
    ],
  });
  assert.equal(posted.channel, 'C0APPROVALS');
  assert.match(posted.ts, /^\d{10}\.\d{6}$/);

  // A slash command and a click reach the SDK, which acks them.
  const slash = await control('POST', 'slash', { user: 'U0DANA', text: 'request prod admin 1h' });
  await waitFor('the slash command', () => received.slash.length === 1);
  const command = received.slash[0];
  assert.equal(command.command, '/jit');
  assert.equal(command.text, 'request prod admin 1h');
  assert.equal(command.user_id, 'U0DANA');
  assert.equal(command.user_name, 'dana');
  assert.ok(command.trigger_id, 'slash payload has a trigger_id');

  const click = await control('POST', 'click', { user: 'U0ERIN', channel: 'C0APPROVALS', ts: posted.ts, action_id: 'deny' });
  await waitFor('the block action', () => received.actions.length === 1);
  const action = received.actions[0];
  assert.equal(action.type, 'block_actions');
  assert.equal(action.user.id, 'U0ERIN');
  assert.equal(action.container.message_ts, posted.ts);
  assert.equal(action.container.channel_id, 'C0APPROVALS');
  assert.equal(action.actions[0].action_id, 'deny');
  assert.equal(action.actions[0].value, 'req-1');
  assert.equal(action.message.ts, posted.ts);

  await waitFor('views.open from the click', () => received.view);
  assert.ok(received.view.view.id, 'views.open returned a view id');
  const views = await control('GET', 'views?user=U0ERIN');
  assert.equal(views.length, 1);
  assert.equal(views[0].view.private_metadata, 'req-1');

  const envelopes = await waitFor('both acks', async () => {
    const all = await control('GET', 'envelopes');
    return all.filter((e) => e.acked).length === 2 ? all : null;
  });
  for (const e of envelopes) {
    assert.ok([slash.envelope_id, click.envelope_id].includes(e.envelope_id));
    assert.equal(typeof e.ack_latency_ms, 'number');
    assert.equal(e.retry_attempt, 0);
  }

  const updated = await web.chat.update({ channel: 'C0APPROVALS', ts: posted.ts, text: 'denied by erin',
    blocks: [{ type: 'section', text: { type: 'mrkdwn', text: ':x: Denied by <@U0ERIN>' } }] });
  assert.equal(updated.ts, posted.ts);
  const messages = await control('GET', 'messages?channel=C0APPROVALS');
  assert.equal(messages.length, 1);
  assert.equal(messages[0].text, 'denied by erin');
  assert.equal(messages[0].edited, true);
  assert.equal(messages[0].blocks[0].text.text, ':x: Denied by <@U0ERIN>');

  // chat.getPermalink, as Slack links a message and a reply in its thread, and its two errors.
  const link = await web.chat.getPermalink({ channel: 'C0APPROVALS', message_ts: posted.ts });
  assert.equal(link.channel, 'C0APPROVALS');
  assert.equal(link.permalink, `https://jit-emulator.slack.com/archives/C0APPROVALS/p${posted.ts.replace('.', '')}`);
  const reply = await web.chat.postMessage({ channel: 'C0APPROVALS', thread_ts: posted.ts, text: 'approved' });
  const replyLink = await web.chat.getPermalink({ channel: 'C0APPROVALS', message_ts: reply.ts });
  assert.equal(replyLink.permalink, `https://jit-emulator.slack.com/archives/C0APPROVALS/p${reply.ts.replace('.', '')}`
    + `?thread_ts=${posted.ts}&cid=C0APPROVALS`);
  await assert.rejects(web.chat.getPermalink({ channel: 'C0NOWHERE', message_ts: posted.ts }),
    (e) => e.code === ErrorCode.PlatformError && e.data.error === 'channel_not_found');
  await assert.rejects(web.chat.getPermalink({ channel: 'C0APPROVALS', message_ts: '1000000000.000001' }),
    (e) => e.code === ErrorCode.PlatformError && e.data.error === 'message_not_found');

  const im = await web.conversations.open({ users: 'U0DANA' });
  assert.match(im.channel.id, /^D/);
  await web.chat.postMessage({ channel: im.channel.id, text: 'Your request was denied.' });
  const dm = await control('GET', 'dm?user=U0DANA');
  assert.equal(dm.at(-1).text, 'Your request was denied.');

  const user = await web.users.info({ user: 'U0DANA' });
  assert.equal(user.user.profile.email, 'dana@example.com');
  const group = await web.usergroups.users.list({ usergroup: 'S0ONCALL' });
  assert.deepEqual(group.users, ['U0DANA', 'U0ERIN']);
  await assert.rejects(web.users.info({ user: 'U0NOBODY' }),
    (e) => e.code === ErrorCode.PlatformError && e.data.error === 'user_not_found');
  // An admin's changes to a user and a group, as users.info and usergroups.users.list then show them.
  await control('POST', 'user', { user: 'U0ERIN', email: 'erin2@example.com', is_restricted: true, is_email_confirmed: false });
  const erin = await web.users.info({ user: 'U0ERIN' });
  assert.equal(erin.user.profile.email, 'erin2@example.com');
  assert.equal(erin.user.is_restricted, true);
  assert.equal(erin.user.is_email_confirmed, false);
  assert.equal(erin.user.team_id, user.user.team_id);
  await control('POST', 'usergroup', { usergroup: 'S0ONCALL', enabled: false });
  await assert.rejects(web.usergroups.users.list({ usergroup: 'S0ONCALL' }),
    (e) => e.code === ErrorCode.PlatformError && e.data.error === 'no_such_subteam');
  const disabled = await web.usergroups.users.list({ usergroup: 'S0ONCALL', include_disabled: true });
  assert.deepEqual(disabled.users, ['U0DANA', 'U0ERIN']);
  await assert.rejects(new WebClient('xoxb-wrong', { slackApiUrl: apiUrl, retryConfig: { retries: 0 } }).auth.test(),
    (e) => e.data?.error === 'invalid_auth');

  // The Home tab: opened (the SDK hands the event to its listener, which publishes with views.publish),
  // shown by the emulator, clicked (block_actions from a view), and Slack's refusals.
  await control('POST', 'home_opened', { user: 'U0DANA', tab: 'messages' });
  await waitFor('the Messages tab event', () => received.homeOpened?.tab === 'messages');
  await control('POST', 'home_opened', { user: 'U0DANA' });
  await waitFor('views.publish from app_home_opened', () => received.published);
  assert.equal(received.homeOpened.user, 'U0DANA');
  assert.match(received.homeOpened.channel, /^D/);
  assert.equal(received.published.view.type, 'home');
  const home = await control('GET', 'home?user=U0DANA');
  assert.equal(home.id, received.published.view.id);
  assert.equal(home.view.blocks[0].text.text, 'Hello <@U0DANA>');
  const actionsBefore = received.actions.length;
  await control('POST', 'home_click', { user: 'U0DANA', action_id: 'approve', value: 'req-1' });
  await waitFor('the Home tab click', () => received.actions.length === actionsBefore + 1);
  const homeClick = received.actions.at(-1);
  assert.equal(homeClick.container.type, 'view');
  assert.equal(homeClick.container.view_id, home.id);
  assert.equal(homeClick.view.type, 'home');
  assert.equal(homeClick.actions[0].value, 'req-1');
  await assert.rejects(web.views.publish({ user_id: 'U0DANA', hash: 'stale', view: { type: 'home', blocks: [] } }),
    (e) => e.code === ErrorCode.PlatformError && e.data.error === 'hash_conflict');
  await assert.rejects(web.views.publish({ user_id: 'U0DANA', view: { type: 'modal', blocks: [] } }),
    (e) => e.code === ErrorCode.PlatformError && e.data.error === 'invalid_arguments');

  // A 429 with Retry-After is what the SDK recognises as a rate limit.
  await control('POST', 'ratelimit', { method: 'chat.postMessage', count: 1, retry_after: 7 });
  const limited = new WebClient(BOT_TOKEN, { slackApiUrl: apiUrl, retryConfig: { retries: 0 }, rejectRateLimitedCalls: true, logLevel: LogLevel.ERROR });
  await assert.rejects(limited.chat.postMessage({ channel: 'C0APPROVALS', text: 'x' }),
    (e) => e.code === ErrorCode.RateLimitedError && e.retryAfter === 7);

  // Server pings keep the SDK's 3 s server-ping watchdog quiet: still one connection after 3.5 s.
  await new Promise((r) => setTimeout(r, 3500));
  let connections = await control('GET', 'connections');
  assert.equal(connections.length, 1, `the SDK reconnected: ${JSON.stringify(connections)}`);
  assert.equal(connections[0].open, true);

  // refresh_requested: the SDK reconnects, and envelopes flow on the new connection.
  await control('POST', 'disconnect', { reason: 'refresh_requested' });
  connections = await waitFor('a second connection', async () => {
    const all = await control('GET', 'connections');
    return all.length === 2 && all[1].open ? all : null;
  }, 15000);
  await control('POST', 'slash', { user: 'U0DANA', text: 'list' });
  await waitFor('the slash command on the new connection', () => received.slash.length === 2);
  const last = (await control('GET', 'envelopes')).at(-1);
  await waitFor('its ack', async () => (await control('GET', 'envelopes')).at(-1).acked);
  assert.equal(last.connection, 2);

  const calls = await control('GET', 'calls');
  assert.ok(calls.some((c) => c.method === 'apps.connections.open' && c.ok));
  assert.ok(calls.some((c) => c.method === 'chat.update' && c.ok));
}

main().then(() => finish(), (error) => finish(error));

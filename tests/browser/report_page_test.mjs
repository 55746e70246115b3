// The audit report's HTML page (`jit audit report --format html`) in a real headless Chromium:
// Debian's chromium driven by playwright-core. The page comes from the report_page program (a
// fixed trail of sealed events with facts); the test reads the table as a person sees it
// (requester, approvers, Slack link, escaped hostile text), checks that the page asks for nothing
// beyond its own file, that the timeline bars are drawn, that it prints, and takes a screenshot.
// Fails (never skips) when chromium is missing: scripts/setup installs it.
//
//   node tests/browser/report_page_test.mjs build/default/tests/browser/report_page
//   (run from the source dir so node_modules resolves; JIT_CHROMIUM overrides the browser)
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import assert from 'node:assert/strict';
import { chromium } from 'playwright-core';
import { findChromium, kChromiumArgs } from './chromium.mjs';

const generator = process.argv[2];
if (!generator) {
  console.error('usage: node report_page_test.mjs <path to report_page>');
  process.exit(2);
}

// Width and height from a PNG's IHDR chunk, after checking the signature.
function pngSize(path) {
  const png = readFileSync(path);
  assert.ok(png.subarray(0, 8).equals(Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a])),
    'the screenshot is a PNG');
  assert.equal(png.subarray(12, 16).toString('latin1'), 'IHDR');
  return { width: png.readUInt32BE(16), height: png.readUInt32BE(20), bytes: png.length };
}

async function main() {
  const dir = mkdtempSync(join(process.env.TEST_TMPDIR || tmpdir(), 'jit-report-page-'));
  const htmlPath = join(dir, 'report.html');
  execFileSync(generator, [htmlPath], { stdio: 'inherit' });
  const pageUrl = pathToFileURL(htmlPath).href;

  const browser = await chromium.launch({
    executablePath: findChromium(),
    headless: true,
    args: kChromiumArgs,
    timeout: 60000,
  });
  try {
    const context = await browser.newContext({ viewport: { width: 1400, height: 900 }, javaScriptEnabled: false });
    const page = await context.newPage();
    // Nothing but the page itself may be fetched: anything else is refused and remembered.
    const refused = [];
    await page.route('**/*', (route) => {
      const url = route.request().url();
      if (url === pageUrl) return route.continue();
      refused.push(url);
      return route.abort();
    });
    const dialogs = [];
    page.on('dialog', (d) => { dialogs.push(d.message()); d.dismiss(); });
    await page.goto(pageUrl, { waitUntil: 'load' });

    assert.match(await page.title(), /^JIT Access grants 2026-11-24T00:00:00Z to 2026-11-25T00:00:00Z$/);
    assert.match(await page.textContent('#chain'), /^verified: \d+ events, up to #\d+$/);
    assert.equal(await page.textContent('#checkpoint'), 'not checked');
    assert.equal(await page.textContent('#count'), '5');

    // The table as a person reads it: one row per grant, in order of access start.
    const rows = await page.$$eval('#grants tbody tr', (trs) => trs.map((tr) => ({
      id: tr.dataset.request,
      cells: [...tr.cells].map((td) => td.innerText.trim()),
      approvers: [...tr.querySelectorAll('.approvals .approver')].map((s) => s.textContent),
      link: tr.querySelector('a.permalink')?.getAttribute('href') ?? null,
      markup: tr.querySelectorAll('b, img, script').length,
    })));
    assert.deepEqual(rows.map((r) => r.id), ['r-nofm', 'r-released', 'r-failed', 'r-hostile', 'r-active']);
    const header = await page.$$eval('#grants thead th', (ths) => ths.map((th) => th.textContent));
    const col = (name) => header.indexOf(name);
    assert.ok(col('Requester') >= 0 && col('Approvals') >= 0 && col('Outcome') >= 0 && col('Slack') >= 0);

    const nofm = rows[0];
    assert.equal(nofm.cells[col('Requester')], 'U0DEV\ndev@example.com');
    assert.deepEqual(nofm.approvers, ['U0ALICE', 'U0BOB']);
    assert.match(nofm.cells[col('Approvals')], /2 needed/);
    assert.match(nofm.cells[col('Outcome')], /^revoked by U0ADMIN\nrevoked by U0ADMIN: incident closed$/);
    assert.equal(nofm.link, 'https://acme.slack.com/archives/C0PROD/p1764000000000100');
    assert.match(nofm.cells[col('Account')], /^prod\n123456789012$/);

    assert.match(rows[1].cells[col('Outcome')], /^released by U0DEV/);
    assert.deepEqual(rows[1].approvers, ['U0CAROL']);
    assert.match(rows[2].cells[col('Outcome')], /^failed\ngrant failed: AccessDeniedException$/);
    assert.equal(rows[2].cells[col('Granted')], '');
    assert.equal(rows[4].cells[col('Outcome')], 'active');
    assert.equal(rows[4].cells[col('Ended')], '');

    // Hostile text shows as text: no element made of it, no link from a javascript: permalink.
    const hostile = rows[3];
    assert.equal(hostile.cells[col('Reason')], '<b>bold</b> & =HYPERLINK("x") <img src=x onerror=alert(1)>');
    assert.equal(hostile.markup, 0);
    assert.equal(hostile.link, null);
    assert.equal(hostile.cells[col('Slack')], 'javascript:alert(1)');

    // The timeline: a bar per grant, drawn with a width, under each account's heading.
    const accounts = await page.$$eval('.timeline h3', (hs) => hs.map((h) => h.textContent));
    assert.deepEqual(accounts, ['prod', 'sandbox', 'staging']);
    const bars = await page.$$eval('.timeline .track .bar', (els) => els.map((e) => e.getBoundingClientRect().width));
    assert.equal(bars.length, 5);
    for (const w of bars) assert.ok(w >= 1, `a timeline bar is drawn (width ${w})`);

    const shot = join(dir, 'report.png');
    await page.screenshot({ path: shot, fullPage: true });
    const size = pngSize(shot);
    assert.equal(size.width, 1400, 'the page fits the window\'s width (long ARNs wrap)');
    assert.ok(size.height >= 400 && size.height <= 20000, `screenshot height ${size.height}`);
    assert.ok(size.bytes > 20000, `screenshot of ${size.bytes} bytes`);

    // It prints: the print CSS applies, and Chromium makes a PDF of it.
    await page.emulateMedia({ media: 'print' });
    const pdf = await page.pdf({ printBackground: true });
    assert.equal(pdf.subarray(0, 5).toString('latin1'), '%PDF-');
    assert.ok(pdf.length > 10000, `PDF of ${pdf.length} bytes`);

    assert.deepEqual(refused, [], 'the page fetched nothing beyond itself');
    assert.deepEqual(dialogs, [], 'no script ran');
    console.log(`PASS: the report page in ${browser.version()}: ${rows.length} rows, screenshot ${shot} `
      + `(${size.width}x${size.height}, ${size.bytes} bytes), PDF ${pdf.length} bytes`);
    assert.ok(statSync(shot).size === size.bytes);
  } finally {
    await browser.close();
  }
}

main().then(() => process.exit(0), (error) => {
  console.error('FAIL:', error?.stack || error);
  process.exit(1);
});

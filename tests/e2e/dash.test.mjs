// The dashboards in Debian Chromium: the wall display (SSR without JavaScript, live update after
// an ingested event without reload, the disconnected banner across a server restart), the
// national → province → office → officer → case drill-down, the overdue list's filters and CSV
// export, and every page without JavaScript. Screenshots land in tests/e2e/test-results/.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import path from 'node:path';
import { spawn, execFileSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { chromium } from 'playwright-core';
import { IOC, CHROMIUM, RESULTS, DEMO, login, serverEnv } from './server.mjs';

const TOKEN = 'e2e-ingest-token';
const ENV = serverEnv({ IOC_INGEST_TOKEN: TOKEN });

let dir;
let db;
let server;
let browser;

/** Serves `db` on `addr` (port 0 = any); resolves to `{ url, stop }`. */
function serve(addr) {
  const child = spawn(IOC, ['--database-url', db, 'serve', '--addr', addr], { env: ENV, stdio: ['ignore', 'pipe', 'inherit'] });
  return new Promise((resolve, reject) => {
    let out = '';
    const timer = setTimeout(() => reject(new Error(`server did not start: ${out}`)), 60_000);
    child.stdout.on('data', (chunk) => {
      out += chunk;
      const m = out.match(/http:\/\/[\d.]+:\d+\//);
      if (m) {
        clearTimeout(timer);
        const stop = () => new Promise((done) => { child.once('exit', done); child.kill('SIGTERM'); });
        resolve({ url: m[0], stop });
      }
    });
    child.on('exit', (code) => { clearTimeout(timer); reject(new Error(`server exited with ${code}`)); });
  });
}

before(async () => {
  dir = mkdtempSync(path.join(tmpdir(), 'ioc-dash-'));
  db = `sqlite:${path.join(dir, 'ioc.db')}`;
  execFileSync(IOC, ['--database-url', db, 'seed', '--scale', '0.005'], { env: ENV, stdio: 'ignore' });
  server = await serve('127.0.0.1:0');
  browser = await chromium.launch(CHROMIUM);
});

after(async () => {
  await browser?.close();
  await server?.stop();
  if (dir) rmSync(dir, { recursive: true, force: true });
});

const url = (p) => new URL(p, server.url).href;
const shot = (page, name) => page.screenshot({ path: path.join(RESULTS, name), fullPage: false });

async function postEvents(events) {
  const res = await fetch(url('/api/events'), {
    method: 'POST',
    headers: { 'content-type': 'application/json', authorization: `Bearer ${TOKEN}` },
    body: JSON.stringify({ events }),
  });
  assert.equal(res.status, 200, await res.text());
}

function cardValue(page, name) {
  return page.getByRole('group', { name }).locator('.wall-card-value').innerText();
}

const digits = (s) => Number(s.replace(/[^\d]/g, ''));

test('wall display renders completely without JavaScript', async () => {
  const context = await browser.newContext({ javaScriptEnabled: false, viewport: { width: 1920, height: 1080 } });
  const page = await context.newPage();
  const response = await page.goto(url(`/man-hinh?kiosk=${DEMO.kioskToken}`));
  assert.equal(response.status(), 200);
  await page.getByRole('heading', { level: 1, name: /Toàn quốc/ }).waitFor();
  for (const name of ['Tỷ lệ thi hành xong về việc', 'Tỷ lệ thi hành xong về tiền', 'Việc tồn đọng',
    'Vi phạm thời hạn', 'Biên lai thu hôm nay', 'Đơn thư đang giải quyết']) {
    assert.match(await cardValue(page, name), /\d/, name);
  }
  const tiles = page.getByRole('figure', { name: /Bản đồ 34 tỉnh/ }).getByRole('listitem');
  assert.equal(await tiles.count(), 34);
  assert.ok(await page.getByRole('link', { name: /Hà Nội: tỷ lệ xong về việc/ }).count() === 1);
  assert.match(await page.locator('.wall-clock').innerText(), /Cập nhật lúc \d\d:\d\d:\d\d/);
  const chart = page.getByRole('img', { name: /tỷ lệ thi hành xong về việc lũy kế/ });
  assert.match(await chart.innerHTML(), /<svg/);
  assert.match(await page.locator('.wall-sub').innerText(), /20\/11\/2026/);
  await shot(page, 'wall-no-js.png');
  await context.close();
});

test('wall display updates live after an ingested event, without reload', async () => {
  const context = await browser.newContext({ viewport: { width: 1920, height: 1080 } });
  const page = await context.newPage();
  const errors = [];
  page.on('pageerror', (e) => errors.push(e.message));
  await page.goto(url(`/man-hinh?kiosk=${DEMO.kioskToken}`));
  await page.waitForSelector('html[data-hydrated="true"]', { timeout: 30_000 });
  await page.locator('.live-status[data-state="open"]').waitFor({ timeout: 15_000 });
  await page.evaluate(() => { window.__sameDocument = true; });
  const before = digits(await cardValue(page, 'Đơn thư đang giải quyết'));
  const versionBefore = await page.locator('.wall-clock').getAttribute('data-version');
  await postEvents([{ type: 'complaint_received', id: 'e2e-c1', don_vi: 'T01-KV01', loai: 'khieu_nai', kenh: 'qr', ngay_nhan: '2026-11-20' }]);
  await page.waitForFunction(
    (n) => Number(document.querySelector('[aria-label="Đơn thư đang giải quyết"] .wall-card-value').innerText.replace(/[^\d]/g, '')) === n,
    before + 1, { timeout: 15_000 });
  assert.notEqual(await page.locator('.wall-clock').getAttribute('data-version'), versionBefore);
  assert.equal(await page.evaluate(() => window.__sameDocument), true, 'the page did not reload');
  await shot(page, 'wall-1080.png');
  await page.setViewportSize({ width: 3840, height: 2160 });
  await page.waitForTimeout(300);
  await shot(page, 'wall-4k.png');
  assert.deepEqual(errors, []);
  await context.close();
});

test('wall display shows a banner while the server is down and recovers by itself', async () => {
  const context = await browser.newContext({ viewport: { width: 1920, height: 1080 } });
  const page = await context.newPage();
  await page.goto(url(`/man-hinh?kiosk=${DEMO.kioskToken}`));
  await page.waitForSelector('html[data-hydrated="true"]', { timeout: 30_000 });
  await page.locator('.live-status[data-state="open"]').waitFor({ timeout: 15_000 });
  await page.evaluate(() => { window.__sameDocument = true; });
  const addr = new URL(server.url).host;
  await server.stop();
  const banner = page.locator('.live-banner.live-banner-on');
  await banner.waitFor({ timeout: 20_000 });
  assert.match(await banner.innerText(), /Mất kết nối máy chủ/);
  await shot(page, 'wall-disconnected.png');
  server = await serve(addr);
  await page.locator('.live-status[data-state="open"]').waitFor({ timeout: 30_000 });
  await page.locator('.live-banner:not(.live-banner-on)').waitFor({ timeout: 5_000 });
  assert.equal(await page.evaluate(() => window.__sameDocument), true, 'no reload');
  await context.close();
});

test('drill-down: country → province → office → officer → case', async () => {
  const context = await browser.newContext({ viewport: { width: 1440, height: 900 } });
  const page = await context.newPage();
  await login(page, server.url, DEMO.leader);
  await page.goto(url('/ca-nuoc'));
  await page.getByRole('heading', { level: 1, name: 'Toàn quốc' }).waitFor();
  await shot(page, 'country.png');
  await page.getByRole('table', { name: /Xếp hạng tỉnh/ }).getByRole('link', { name: 'Hà Nội' }).click();
  await page.waitForURL(/\/tinh\/01$/);
  await page.getByRole('heading', { level: 1, name: 'Hà Nội' }).waitFor();
  await shot(page, 'province-01.png');
  await page.getByRole('table', { name: /Xếp hạng phòng/ }).getByRole('link').first().click();
  await page.waitForURL(/\/don-vi\/\d+$/);
  await page.getByRole('heading', { level: 1, name: /Thi hành án dân sự/ }).waitFor();
  await shot(page, 'office.png');
  await page.getByRole('table', { name: /Khối lượng công việc/ }).getByRole('link').first().click();
  await page.waitForURL(/\/can-bo\/\d+$/);
  await page.getByRole('heading', { level: 2, name: 'Việc đang thi hành' }).waitFor();
  await shot(page, 'officer.png');
  await page.getByRole('table', { name: 'Việc đang thi hành' }).getByRole('link').first().click();
  await page.waitForURL(/\/viec\/\d+$/);
  await page.getByRole('heading', { level: 1, name: /Việc thi hành án/ }).waitFor();
  const timeline = page.getByRole('list', { name: 'Diễn biến hồ sơ' });
  assert.ok(await timeline.getByRole('listitem').count() >= 1);
  await shot(page, 'case.png');
  await context.close();
});

test('overdue list: filters in the query string, sorting, paging and CSV', async () => {
  const context = await browser.newContext({ javaScriptEnabled: false, viewport: { width: 1440, height: 900 } });
  const page = await context.newPage();
  await login(page, server.url, DEMO.leader);
  await page.goto(url('/tinh/01'));
  const form = page.getByRole('form', { name: 'Lọc danh sách' });
  await form.getByLabel('Quy tắc', { exact: true }).selectOption('QH11');
  await form.getByRole('button', { name: 'Lọc' }).click();
  await page.waitForURL(/quy_tac=QH11/);
  const rows = page.getByRole('table', { name: 'Danh sách vi phạm thời hạn' }).locator('tbody tr');
  const n = await rows.count();
  assert.ok(n > 0 && n <= 50, `rows: ${n}`);
  for (const rule of await rows.locator('td:first-child').allInnerTexts()) assert.equal(rule.trim(), 'QH11');
  await shot(page, 'province-01-filtered.png');
  // Sort by amount, descending, through the column header links.
  await page.getByRole('link', { name: /Phải thi hành/ }).click();
  await page.getByRole('link', { name: /Phải thi hành/ }).click();
  await page.waitForURL(/sap_xep=tien.*giam=true|giam=true.*sap_xep=tien/);
  const amounts = (await rows.locator('td:nth-child(6)').allInnerTexts()).map(digits);
  assert.deepEqual(amounts, [...amounts].sort((a, b) => b - a));
  // A shareable link opens the same filtered list.
  const shared = page.url();
  const other = await context.newPage();
  await other.goto(shared);
  assert.equal(await other.getByRole('table', { name: 'Danh sách vi phạm thời hạn' }).locator('tbody tr').count(), n);
  // CSV export with the same filters.
  const href = await page.getByRole('link', { name: 'Xuất CSV' }).getAttribute('href');
  assert.match(href, /quy_tac=QH11/);
  const csv = await context.request.get(url(href));
  assert.equal(csv.status(), 200);
  assert.match(csv.headers()['content-type'], /text\/csv/);
  const lines = (await csv.text()).trim().split(/\r\n/);
  assert.match(lines[0], /Quy tắc,Tên quy tắc/);
  assert.ok(lines.slice(1).every((l) => l.startsWith('QH11,')));
  await context.close();
});

test('every dashboard page renders without JavaScript', async () => {
  const context = await browser.newContext({ javaScriptEnabled: false, viewport: { width: 1366, height: 768 } });
  const page = await context.newPage();
  await login(page, server.url, DEMO.leader);
  for (const [p, heading] of [['/ca-nuoc', 'Toàn quốc'], ['/tinh/79', 'Hồ Chí Minh']]) {
    const res = await page.goto(url(p));
    assert.equal(res.status(), 200, p);
    await page.getByRole('heading', { level: 1, name: heading }).waitFor();
    assert.ok(await page.getByRole('table', { name: 'Danh sách vi phạm thời hạn' }).count() === 1, p);
  }
  await shot(page, 'province-79-no-js.png');
  const office = await page.getByRole('table', { name: /Xếp hạng phòng/ }).getByRole('link').first().getAttribute('href');
  let res = await page.goto(url(office));
  assert.equal(res.status(), 200);
  const officer = await page.getByRole('table', { name: /Khối lượng công việc/ }).getByRole('link').first().getAttribute('href');
  res = await page.goto(url(officer));
  assert.equal(res.status(), 200);
  const flagged = await page.getByRole('table', { name: 'Danh sách vi phạm thời hạn' }).getByRole('link', { name: /-\d{6}$/ }).first();
  const cases = await page.getByRole('table', { name: 'Việc đang thi hành' }).getByRole('link').first();
  const caseHref = (await flagged.count()) ? await flagged.getAttribute('href') : await cases.getAttribute('href');
  res = await page.goto(url(caseHref));
  assert.equal(res.status(), 200);
  await page.getByRole('list', { name: 'Diễn biến hồ sơ' }).waitFor();
  await shot(page, 'case-no-js.png');
  res = await page.goto(url('/tinh/99'));
  assert.equal(res.status(), 404);
  res = await page.goto(url('/viec/999999999'));
  assert.equal(res.status(), 404);
  await context.close();
});

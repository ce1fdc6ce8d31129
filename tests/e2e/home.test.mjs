// The leadership's home page: what needs attention and the national figures, server-rendered
// without JavaScript, and a control that works once the wasm bundle has hydrated the page.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import path from 'node:path';
import { chromium } from 'playwright-core';
import { startServer, login, CHROMIUM, RESULTS } from './server.mjs';

let server;
let browser;

before(async () => {
  server = await startServer();
  browser = await chromium.launch(CHROMIUM);
});

after(async () => {
  await browser?.close();
  await server?.stop();
});

test('home page renders national totals without JavaScript', async () => {
  const context = await browser.newContext({ javaScriptEnabled: false, viewport: { width: 1366, height: 768 } });
  const page = await context.newPage();
  await login(page, server.url);
  const response = await page.goto(server.url);
  assert.equal(response.status(), 200);
  assert.equal(await page.getAttribute('html', 'lang'), 'vi');
  await page.getByRole('heading', { level: 1, name: 'Trung tâm điều hành thi hành án dân sự' }).waitFor();
  const provinces = page.getByRole('group', { name: 'Tỉnh, thành phố' });
  assert.match(await provinces.innerText(), /34/);
  const offices = page.getByRole('group', { name: 'Phòng THADS khu vực' });
  assert.match(await offices.innerText(), /355/);
  assert.match(await page.getByRole('region', { name: 'Tổng quan toàn quốc' }).locator('time').innerText(), /^20\/11\/2026$/);
  // What needs attention leads the page, without JavaScript too.
  const attention = page.getByRole('region', { name: 'Cần chú ý hôm nay' });
  assert.equal(await attention.getByRole('region', { name: /thấp nhất/ }).getByRole('listitem').count(), 5);
  await page.screenshot({ path: path.join(RESULTS, 'home-no-js.png'), fullPage: true });
  await context.close();
});

test('home page hydrates and its refresh control works', async () => {
  const context = await browser.newContext({ viewport: { width: 1920, height: 1080 } });
  const page = await context.newPage();
  const errors = [];
  page.on('pageerror', (e) => errors.push(e.message));
  await login(page, server.url);
  await page.goto(server.url);
  await page.waitForSelector('html[data-hydrated="true"]', { timeout: 30_000 });
  await page.getByRole('button', { name: 'Làm mới số liệu' }).click();
  await page.getByRole('status').filter({ hasText: 'Đã làm mới 1 lần' }).waitFor({ timeout: 10_000 });
  assert.match(await page.getByRole('group', { name: 'Tỉnh, thành phố' }).innerText(), /34/);
  await page.screenshot({ path: path.join(RESULTS, 'home-wall.png'), fullPage: true });
  assert.deepEqual(errors, []);
  await context.close();
});

test('unknown path answers 404 in Vietnamese', async () => {
  const context = await browser.newContext({ javaScriptEnabled: false });
  const page = await context.newPage();
  await login(page, server.url);
  const response = await page.goto(new URL('/khong-co', server.url).href);
  assert.equal(response.status(), 404);
  await page.getByRole('heading', { name: 'Không tìm thấy trang' }).waitFor();
  await context.close();
});

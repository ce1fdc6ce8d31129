// Sign-in in Debian Chromium: the login form → home → logout, with and without JavaScript;
// throttling message; the wall display opened by its kiosk token; the audit log page.
// Screenshots land in tests/e2e/test-results/.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import path from 'node:path';
import { chromium } from 'playwright-core';
import { startServer, login, DEMO, CHROMIUM, RESULTS } from './server.mjs';

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

for (const javaScriptEnabled of [true, false]) {
  test(`login form → home → logout (JavaScript ${javaScriptEnabled ? 'on' : 'off'})`, async () => {
    const context = await browser.newContext({ javaScriptEnabled, viewport: { width: 1366, height: 768 } });
    const page = await context.newPage();
    const errors = [];
    page.on('pageerror', (e) => errors.push(e.message));
    // Anonymous: any page leads to the login form.
    await page.goto(new URL('/tinh/01', server.url).href);
    assert.equal(new URL(page.url()).pathname, '/dang-nhap');
    await page.getByRole('heading', { level: 1, name: 'Đăng nhập' }).waitFor();
    await page.getByRole('status').filter({ hasText: 'Vui lòng đăng nhập để tiếp tục.' }).waitFor();
    if (javaScriptEnabled) {
      await page.waitForSelector('html[data-hydrated="true"]', { timeout: 30_000 });
      await page.screenshot({ path: path.join(RESULTS, 'login.png') });
    }
    // A wrong password is explained.
    await page.getByLabel('Tên đăng nhập').fill(DEMO.hanoi.login);
    await page.getByLabel('Mật khẩu').fill('khong-dung-mat-khau');
    await Promise.all([
      page.waitForURL(/loi=sai/),
      page.getByRole('button', { name: 'Đăng nhập' }).click(),
    ]);
    await page.getByRole('alert').filter({ hasText: 'Tên đăng nhập hoặc mật khẩu không đúng.' }).waitFor();
    if (javaScriptEnabled) await page.screenshot({ path: path.join(RESULTS, 'login-wrong.png') });
    // The right one lands on the page asked for first.
    await page.getByLabel('Tên đăng nhập').fill(DEMO.hanoi.login);
    await page.getByLabel('Mật khẩu').fill(DEMO.hanoi.password);
    await Promise.all([
      page.waitForURL((u) => u.pathname === '/tinh/01'),
      page.getByRole('button', { name: 'Đăng nhập' }).click(),
    ]);
    const menu = page.getByRole('group', { name: 'Tài khoản' });
    await menu.getByText('Trưởng THADS TP Hà Nội').waitFor();
    const nav = page.getByRole('navigation', { name: 'Điều hướng chính' });
    assert.equal(await nav.getByRole('link', { name: 'Nhật ký' }).count(), 0, 'audit link for leadership only');
    // Home, then logout.
    await page.goto(server.url);
    await menu.waitFor();
    if (javaScriptEnabled) {
      await page.waitForSelector('html[data-hydrated="true"]', { timeout: 30_000 });
      await page.screenshot({ path: path.join(RESULTS, 'home-signed-in.png') });
    }
    await Promise.all([
      page.waitForURL(/\/dang-nhap\?da_thoat=1/),
      menu.getByRole('button', { name: 'Đăng xuất' }).click(),
    ]);
    await page.getByRole('status').filter({ hasText: 'Bạn đã đăng xuất.' }).waitFor();
    // The session is gone: home sends us back to the form.
    await page.goto(server.url);
    assert.equal(new URL(page.url()).pathname, '/dang-nhap');
    assert.deepEqual(errors, []);
    await context.close();
  });
}

test('a provincial head cannot open another province', async () => {
  const context = await browser.newContext({ javaScriptEnabled: false });
  const page = await context.newPage();
  await login(page, server.url, DEMO.hanoi);
  const response = await page.goto(new URL('/tinh/79', server.url).href);
  assert.equal(response.status(), 403);
  await page.getByRole('heading', { name: 'Không có quyền truy cập' }).waitFor();
  await context.close();
});

test('the wall display opens with its kiosk token and shows no account menu', async () => {
  const context = await browser.newContext({ viewport: { width: 1920, height: 1080 } });
  const page = await context.newPage();
  await page.goto(new URL(`/man-hinh?kiosk=${DEMO.kioskToken}`, server.url).href);
  assert.equal(new URL(page.url()).pathname, '/man-hinh');
  assert.equal(new URL(page.url()).search, '', 'the token leaves the address bar');
  assert.equal(await page.getByRole('group', { name: 'Tài khoản' }).count(), 0);
  assert.equal(await page.getByRole('navigation', { name: 'Điều hướng chính' }).count(), 0);
  // Later visits need no token: the cookie holds the screen's session.
  await page.goto(server.url);
  assert.equal(new URL(page.url()).pathname, '/man-hinh');
  await context.close();
});

test('leadership browses and filters the audit log', async () => {
  const context = await browser.newContext({ viewport: { width: 1366, height: 900 } });
  const page = await context.newPage();
  await login(page, server.url, DEMO.leader);
  await page.getByRole('navigation', { name: 'Điều hướng chính' }).getByRole('link', { name: 'Nhật ký' }).click();
  await page.getByRole('heading', { level: 1, name: 'Nhật ký truy cập và thao tác' }).waitFor();
  const table = page.getByRole('table', { name: 'Các mục nhật ký, mới nhất trước' });
  await table.waitFor();
  await page.getByLabel('Kết quả').selectOption('failed');
  await Promise.all([
    page.waitForURL(/ket_qua=failed/),
    page.getByRole('button', { name: 'Lọc' }).click(),
  ]);
  await table.getByRole('cell', { name: DEMO.hanoi.login }).first().waitFor();
  const outcomes = await table.locator('tbody tr td:nth-child(4)').allInnerTexts();
  assert.ok(outcomes.length > 0 && outcomes.every((o) => o === 'Không thành công'), outcomes.join(','));
  await page.screenshot({ path: path.join(RESULTS, 'audit-log.png'), fullPage: true });
  await context.close();
});

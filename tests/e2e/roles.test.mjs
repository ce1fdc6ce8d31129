// Every role lands where its work is. For each demo account: signing in lands on the role's
// home, the header shows exactly the sections the role may open (each one it hides answers 403
// when its address is typed), and every page the role reaches passes axe-core with no serious
// or critical violation. Then one journey per role: leadership opens the weakest province and
// a case; a provincial head exports their overdue list; a chấp hành viên opens their most
// urgent case and updates a task. (The analyst's journey needs the language model: it is in
// ask.test.mjs.) Home screenshots land in tests/e2e/test-results/home-*.png.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { chromium } from 'playwright-core';
import { startServer, login, signOut, assertAccessible, CHROMIUM, RESULTS, DEMO } from './server.mjs';

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

const url = (p) => new URL(p, server.url).href;

/** A signed-in, hydrated page of `account` at a laptop's size (the wall's for the kiosk). */
async function signedIn(account, viewport = { width: 1366, height: 768 }) {
  const context = await browser.newContext({ viewport, acceptDownloads: true });
  const page = await context.newPage();
  const errors = [];
  page.on('pageerror', (e) => errors.push(e.message));
  await login(page, server.url, account);
  await page.waitForSelector('html[data-hydrated="true"]', { timeout: 30_000 });
  return { context, page, errors };
}

const header = (page) => page.getByRole('navigation', { name: 'Điều hướng chính' });

async function navLabels(page) {
  return header(page).locator('.nav-label').allInnerTexts();
}

/** Opens `p` and checks it answers 200, hydrates, is accessible and links nowhere refused. */
async function visit(page, p, what) {
  const res = await page.goto(url(p));
  assert.equal(res.status(), 200, `${what}: ${p}`);
  await page.waitForSelector('html[data-hydrated="true"]', { timeout: 30_000 });
  await assertAccessible(page, what);
  await assertLinksOpen(page, what);
}

/**
 * Every kind of local link on the page (the first three of each first path segment) opens for
 * this user: a link the user would be refused is a dead end.
 */
async function assertLinksOpen(page, what) {
  const hrefs = await page.locator('a[href^="/"]').evaluateAll((as) => [...new Set(as.map((a) => a.getAttribute('href')))]);
  const perKind = new Map();
  for (const href of hrefs) {
    const kind = href.split(/[/?]/)[1];
    if (href.startsWith('/api/') || (perKind.get(kind) ?? 0) >= 3) continue;
    perKind.set(kind, (perKind.get(kind) ?? 0) + 1);
    assert.notEqual(await status(page, href), 403, `${what} links to ${href}, which this user may not open`);
  }
}

async function status(page, p) {
  return (await page.request.get(url(p), { maxRedirects: 0 })).status();
}

// Every section's address, as its own role's header links it (T01-KV01 is the demo office).
const EVERY_SECTION = {
  'Màn hình điều hành': '/man-hinh',
  'Toàn quốc': '/ca-nuoc',
  'Tỉnh của tôi': '/tinh/01',
  'Việc của tôi': '/viec-cua-toi',
  'Hỏi đáp': '/hoi-dap',
  'Nhiệm vụ': '/nhiem-vu',
  'Nhật ký': '/nhat-ky',
};

/** The office head's "Phòng của tôi" address, read by the office test for the officer's. */
let officeHref;

const ROLES = [
  { name: 'leader', account: DEMO.leader, home: '/', nav: ['Màn hình điều hành', 'Toàn quốc', 'Hỏi đáp', 'Nhiệm vụ', 'Nhật ký'], also: ['/tinh/01'] },
  { name: 'analyst', account: DEMO.analyst, home: '/hoi-dap', nav: ['Màn hình điều hành', 'Toàn quốc', 'Hỏi đáp', 'Nhiệm vụ'], also: ['/tinh/01'] },
  { name: 'province', account: DEMO.hanoi, home: '/tinh/01', nav: ['Tỉnh của tôi', 'Hỏi đáp', 'Nhiệm vụ'], also: [] },
  { name: 'office', account: DEMO.office, home: /^\/don-vi\/\d+$/, nav: ['Phòng của tôi', 'Hỏi đáp', 'Nhiệm vụ'], also: [] },
  { name: 'officer', account: DEMO.officer, home: '/viec-cua-toi', nav: ['Việc của tôi', 'Hỏi đáp', 'Nhiệm vụ'], also: [] },
];

for (const role of ROLES) {
  test(`${role.name}: lands on its home, sees only its sections, every page is accessible`, async () => {
    const { context, page, errors } = await signedIn(role.account);
    const landed = new URL(page.url()).pathname;
    if (role.home instanceof RegExp) assert.match(landed, role.home);
    else assert.equal(landed, role.home);
    await page.screenshot({ path: path.join(RESULTS, `home-${role.name}.png`) });
    assert.deepEqual(await navLabels(page), role.nav);
    // The current page is marked in the header.
    const current = header(page).locator('a[aria-current="page"]');
    assert.equal(await current.count(), role.home === '/' ? 0 : 1);
    await assertAccessible(page, `${role.name} home`);
    await assertLinksOpen(page, `${role.name} home`);
    // Every header link opens, hydrated and accessible; the office link is the office's own.
    const hrefs = await header(page).getByRole('link').evaluateAll((as) => as.map((a) => a.getAttribute('href')));
    for (const href of [...hrefs, ...role.also]) await visit(page, href, `${role.name} ${href}`);
    // Every section the header hides is refused when typed (a national role reaches a
    // province from the national view: that one is `also`, opened above).
    for (const [label, p] of Object.entries(EVERY_SECTION)) {
      if (role.nav.includes(label) || role.also.includes(p)) continue;
      assert.equal(await status(page, p), 403, `${role.name} typing ${p} (${label})`);
    }
    // The office head's own office is a drill-down for the province, refused to the officer.
    if (role.name === 'office') officeHref = hrefs[0];
    if (role.name === 'officer') assert.equal(await status(page, officeHref), 403, `officer typing ${officeHref}`);
    await visit(page, '/doi-mat-khau', `${role.name} password form`);
    assert.deepEqual(errors, []);
    await context.close();
  });
}

test('wall display token: the wall, no header, accessible at 1920×1080', async () => {
  const { context, page, errors } = await signedIn(DEMO.wall, { width: 1920, height: 1080 });
  assert.equal(new URL(page.url()).pathname, '/man-hinh');
  assert.equal(await header(page).count(), 0);
  await page.screenshot({ path: path.join(RESULTS, 'home-kiosk-wall.png') });
  await assertAccessible(page, 'wall display');
  assert.deepEqual(errors, []);
  await context.close();
});

test('the login page is accessible', async () => {
  const context = await browser.newContext({ viewport: { width: 1366, height: 768 } });
  const page = await context.newPage();
  await page.goto(url('/dang-nhap'));
  await page.waitForSelector('html[data-hydrated="true"]', { timeout: 30_000 });
  await assertAccessible(page, 'login');
  await context.close();
});

test('leadership journey: home → weakest province → a case → sign out', async () => {
  const { context, page, errors } = await signedIn(DEMO.leader);
  const attention = page.getByRole('region', { name: 'Cần chú ý hôm nay' });
  const weakest = page.getByRole('region', { name: /thấp nhất/ }).getByRole('link').first();
  await attention.waitFor();
  const name = (await weakest.innerText()).trim();
  await weakest.click();
  await page.waitForURL(/\/tinh\/\d\d$/);
  await page.getByRole('heading', { level: 1, name }).waitFor();
  await page.getByRole('table', { name: 'Danh sách vi phạm thời hạn' }).locator('a[href^="/viec/"]').first().click();
  await page.waitForURL(/\/viec\/\d+$/);
  await page.getByRole('heading', { level: 1, name: /Việc thi hành án/ }).waitFor();
  await assertAccessible(page, 'case page');
  await page.screenshot({ path: path.join(RESULTS, 'journey-leader-case.png') });
  await signOut(page);
  assert.deepEqual(errors, []);
  await context.close();
});

test('provincial head journey: home is the province → overdue list → CSV → sign out', async () => {
  const { context, page, errors } = await signedIn(DEMO.hanoi);
  assert.equal(new URL(page.url()).pathname, '/tinh/01');
  const rows = page.getByRole('table', { name: 'Danh sách vi phạm thời hạn' }).locator('tbody tr');
  assert.ok(await rows.count() > 0, 'the province has overdue cases');
  const [download] = await Promise.all([
    page.waitForEvent('download'),
    page.getByRole('link', { name: 'Xuất CSV' }).click(),
  ]);
  const lines = fs.readFileSync(await download.path(), 'utf8').trim().split(/\r\n/);
  assert.match(lines[0], /Quy tắc,Tên quy tắc/);
  assert.ok(lines.length >= 2, 'a header and the rows');
  await signOut(page);
  assert.deepEqual(errors, []);
  await context.close();
});

test('chấp hành viên journey: Việc của tôi → most urgent case → update a task → sign out', async () => {
  // The provincial head assigns the demo officer's office a task first.
  const head = await signedIn(DEMO.hanoi);
  const origin = new URL(server.url).origin;
  const due = new Date(Date.now() + 30 * 86_400_000).toISOString().slice(0, 10);
  const created = await head.page.request.post(url('/api/tasks'), {
    headers: { origin },
    data: {
      command: 'Phòng khu vực 1 rà soát việc quá hạn',
      units: ['T01-KV01'],
      loai_hanh_dong: 'ra_soat',
      tieu_de: 'Rà soát các việc quá hạn của phòng (hành trình chấp hành viên)',
      han_hoan_thanh: due,
      so_luong: null,
      max_linked: 0,
    },
  });
  assert.equal(created.status(), 201, await created.text());
  const [id] = (await created.json()).ids;
  await head.context.close();

  const { context, page, errors } = await signedIn(DEMO.officer);
  assert.equal(new URL(page.url()).pathname, '/viec-cua-toi');
  await page.getByRole('heading', { level: 1, name: 'Việc của tôi' }).waitFor();
  // Tasks come first, then the cases in breach (most urgent), then every open case.
  const tasks = page.getByRole('region', { name: 'Nhiệm vụ của phòng' });
  await tasks.getByText('hành trình chấp hành viên').waitFor({ timeout: 30_000 });
  const breach = page.getByRole('table', { name: 'Danh sách vi phạm thời hạn' }).locator('a[href^="/viec/"]');
  const open = page.getByRole('table', { name: 'Việc đang thi hành' }).locator('a[href^="/viec/"]');
  await ((await breach.count()) > 0 ? breach : open).first().click();
  await page.waitForURL(/\/viec\/\d+$/);
  await page.getByRole('heading', { level: 1, name: /Việc thi hành án/ }).waitFor();
  // Then the task, from the header.
  await header(page).getByRole('link', { name: /Nhiệm vụ/ }).click();
  await page.waitForURL(/\/nhiem-vu$/);
  await page.waitForSelector('html[data-hydrated="true"]', { timeout: 30_000 });
  const card = page.locator(`li.task-card[data-task-id="${id}"]`);
  await card.getByLabel('Trạng thái').selectOption('dang_thuc_hien');
  await card.getByLabel('Tiến độ (%)').fill('40');
  await card.getByLabel('Ghi chú').fill('Đã rà soát 4 việc');
  await card.getByRole('button', { name: 'Cập nhật' }).click();
  await page.locator(`li.task-card[data-task-id="${id}"][data-status="dang_thuc_hien"]`).waitFor({ timeout: 30_000 });
  assert.match(await card.locator('.task-progress').textContent(), /^40%$/);
  await page.screenshot({ path: path.join(RESULTS, 'journey-officer-task.png') });
  await signOut(page);
  assert.deepEqual(errors, []);
  await context.close();
});

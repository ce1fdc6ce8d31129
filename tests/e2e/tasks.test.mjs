// Task assignment in Debian Chromium (issue 9): a leader's command in the analyst console →
// the editable draft → "Xác nhận giao việc" → the assignee's board (another browser context,
// signed in as Hà Nội's head) and the wall display show it without a reload → the assignee
// reports progress with a comment → the leader's board shows it, also without a reload.
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

const COMMAND = 'Giao THADS TP Hà Nội rà soát 20 việc tồn đọng lâu nhất, báo cáo trước 15/12';

async function signedIn(account, next) {
  const context = await browser.newContext({ viewport: { width: 1440, height: 1000 }, locale: 'vi-VN' });
  const page = await context.newPage();
  const errors = [];
  page.on('pageerror', (e) => errors.push(e.message));
  await login(page, server.url, account, next);
  await page.waitForSelector('html[data-hydrated="true"]', { timeout: 30_000 });
  return { context, page, errors };
}

test('command → draft → confirm → assignee and wall see it live → progress → leader sees it', async () => {
  // The assignee and the wall are watching before anything is assigned.
  const hanoi = await signedIn(DEMO.hanoi, '/nhiem-vu');
  await hanoi.page.locator('.live-status[data-state="open"]').waitFor({ timeout: 30_000 });
  const wall = await signedIn(DEMO.wall, '/man-hinh');

  // The leader types the command in the console.
  const leader = await signedIn(DEMO.leader, '/hoi-dap');
  const { page } = leader;
  await page.getByRole('textbox', { name: 'Câu hỏi' }).fill(COMMAND);
  await page.getByRole('button', { name: 'Hỏi', exact: true }).click();
  const draft = page.locator('section.task-draft');
  await draft.waitFor({ timeout: 60_000 });
  // Every field is there and editable; the drafted unit is ticked.
  const unit = draft.getByRole('checkbox', { name: /\(T01\)/ });
  await unit.waitFor();
  assert.equal(await unit.isChecked(), true);
  assert.equal(await draft.getByLabel('Hạn hoàn thành').inputValue(), '15/12/2026');
  assert.equal(await draft.getByLabel('Số lượng theo yêu cầu').inputValue(), '20');
  assert.equal(await draft.getByLabel('Số hồ sơ liên quan được gắn').inputValue(), '20');
  const title = 'Rà soát 20 việc tồn đọng lâu nhất (kiểm thử)';
  await draft.getByLabel('Tiêu đề').fill(title);
  await draft.getByLabel('Hạn hoàn thành').fill('18/12/2026');
  await page.screenshot({ path: path.join(RESULTS, 'task-draft.png'), fullPage: true });
  assert.equal(await hanoi.page.locator('.task-card', { hasText: title }).count(), 0);
  const wallOpenTotal = () => wall.page.locator('.tasks-total').textContent().then((t) => Number(t.replace(/\D/g, '')));
  const openBefore = await wallOpenTotal();

  await draft.getByRole('button', { name: 'Xác nhận giao việc' }).click();
  const created = draft.locator('.task-created');
  await created.waitFor({ timeout: 30_000 });
  const id = (await created.textContent()).match(/#(\d+)/)[1];
  await page.screenshot({ path: path.join(RESULTS, 'task-confirmed.png'), fullPage: true });

  // The assignee's board shows it without a reload.
  const card = hanoi.page.locator(`li.task-card[data-task-id="${id}"]`);
  await card.waitFor({ timeout: 30_000 });
  assert.match(await card.textContent(), /Rà soát 20 việc tồn đọng lâu nhất \(kiểm thử\)/);
  assert.match(await card.textContent(), /18\/12\/2026/);
  assert.match(await card.textContent(), /Mới giao/);
  await hanoi.page.screenshot({ path: path.join(RESULTS, 'task-assignee-board.png'), fullPage: true });

  // So does the wall display's open-task panel.
  await wall.page.locator('section.tasks').getByText(title).waitFor({ timeout: 30_000 });
  // And its count of open tasks, re-read with the next KPI version.
  await wall.page.waitForFunction(
    (n) => Number(document.querySelector('.tasks-total').textContent.replace(/\D/g, '')) === n,
    openBefore + 1,
    { timeout: 30_000 },
  );
  await wall.page.screenshot({ path: path.join(RESULTS, 'task-wall.png') });

  // The leader opens the board; then the assignee reports progress with a comment.
  await page.goto(new URL('/nhiem-vu', server.url).href);
  await page.waitForSelector('html[data-hydrated="true"]', { timeout: 30_000 });
  await page.locator('.live-status[data-state="open"]').waitFor({ timeout: 30_000 });
  const leaderCard = page.locator(`li.task-card[data-task-id="${id}"]`);
  await leaderCard.waitFor();
  assert.match(await leaderCard.locator('.task-progress').textContent(), /^0%$/);

  await card.getByLabel('Trạng thái').selectOption('dang_thuc_hien');
  await card.getByLabel('Tiến độ (%)').fill('60');
  await card.getByLabel('Ghi chú').fill('Đã rà soát 12/20 việc, 3 việc đề nghị xác minh lại');
  await card.getByRole('button', { name: 'Cập nhật' }).click();
  await hanoi.page.locator(`li.task-card[data-task-id="${id}"][data-status="dang_thuc_hien"]`).waitFor({ timeout: 30_000 });
  await hanoi.page.screenshot({ path: path.join(RESULTS, 'task-assignee-updated.png'), fullPage: true });

  // The leader's board follows live.
  await page.locator(`li.task-card[data-task-id="${id}"][data-status="dang_thuc_hien"]`).waitFor({ timeout: 30_000 });
  const updated = page.locator(`li.task-card[data-task-id="${id}"]`);
  assert.match(await updated.locator('.task-progress').textContent(), /^60%$/);
  assert.match(await updated.textContent(), /Đã rà soát 12\/20 việc/);
  await page.screenshot({ path: path.join(RESULTS, 'task-leader-board.png'), fullPage: true });

  // Filters live in the query string.
  await page.goto(new URL('/nhiem-vu?trang_thai=hoan_thanh', server.url).href);
  assert.equal(await page.locator(`li.task-card[data-task-id="${id}"]`).count(), 0);

  for (const who of [leader, hanoi, wall]) {
    assert.deepEqual(who.errors, []);
    await who.context.close();
  }
});

test('another province does not see the task; the province view lists its open tasks', async () => {
  const hcm = await signedIn(DEMO.hcm, '/nhiem-vu');
  const cards = hcm.page.locator('li.task-card');
  const units = await cards.evaluateAll((els) => els.map((e) => e.textContent));
  assert.ok(units.every((t) => !/THADS TP Hà Nội|\(T01/.test(t)), 'no Hà Nội task for Hồ Chí Minh City');
  await hcm.context.close();

  const hanoi = await signedIn(DEMO.hanoi, '/tinh/01');
  const panel = hanoi.page.locator('section.area-tasks');
  await panel.waitFor();
  await panel.scrollIntoViewIfNeeded();
  await panel.screenshot({ path: path.join(RESULTS, 'task-province-panel.png') });
  assert.match(await panel.textContent(), /đang mở/);
  assert.deepEqual(hanoi.errors, []);
  await hanoi.context.close();
});

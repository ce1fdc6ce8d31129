// Starts the release `ioc` binary for a browser test: a fresh SQLite file seeded at a small
// scale, served on a free port. Call `stop()` when done. Also the demo accounts, signing in
// and out, and the accessibility check every page goes through.
import { spawn, execFileSync } from 'node:child_process';
import fs, { mkdtempSync, rmSync, mkdirSync } from 'node:fs';
import assert from 'node:assert/strict';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

export const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');
const TARGET = process.env.CARGO_TARGET_DIR || path.join(ROOT, 'target');
export const IOC = path.join(TARGET, 'release/ioc');
export const RESULTS = path.join(ROOT, 'tests/e2e/test-results');
mkdirSync(RESULTS, { recursive: true });

export const CHROMIUM = {
  executablePath: '/usr/bin/chromium',
  args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run',
    '--disable-background-networking', '--disable-component-update', '--disable-sync'],
};

/**
 * The environment of a test server: the built site and, unless `model` is set, no language
 * model (loading it would take both cores for a minute in every test that does not ask).
 */
export function serverEnv({ model = false, ...extra } = {}) {
  const env = { ...process.env, IOC_SITE_ROOT: path.join(TARGET, 'site'), RUST_LOG: 'warn', ...extra };
  if (!model) env.IOC_MODEL_PATH = 'off';
  return env;
}

/** Seeds a fresh database at `scale` and serves it; resolves to `{ url, stop }`. */
export async function startServer({ scale = 0.005, model = false } = {}) {
  const dir = mkdtempSync(path.join(tmpdir(), 'ioc-e2e-'));
  const db = `sqlite:${path.join(dir, 'ioc.db')}`;
  const env = serverEnv({ model });
  execFileSync(IOC, ['--database-url', db, 'seed', '--scale', String(scale)], { env, stdio: 'ignore' });
  const child = spawn(IOC, ['--database-url', db, 'serve', '--addr', '127.0.0.1:0'], { env, stdio: ['ignore', 'pipe', 'inherit'] });
  const url = await new Promise((resolve, reject) => {
    let out = '';
    const timer = setTimeout(() => reject(new Error(`server did not start: ${out}`)), 60_000);
    child.stdout.on('data', (chunk) => {
      out += chunk;
      const m = out.match(/http:\/\/[\d.]+:\d+\//);
      if (m) { clearTimeout(timer); resolve(m[0]); }
    });
    child.on('exit', (code) => { clearTimeout(timer); reject(new Error(`server exited with ${code}`)); });
  });
  const stop = async () => {
    const exited = new Promise((resolve) => child.once('exit', resolve));
    child.kill('SIGTERM');
    await exited;
    rmSync(dir, { recursive: true, force: true });
  };
  return { url, stop, child };
}

/** The demo accounts `ioc seed` creates (README), by role. */
export const DEMO = {
  leader: { login: 'lanhdao', password: 'LanhDao@2026' },
  analyst: { login: 'phantich', password: 'PhanTich@2026' },
  hanoi: { login: 'truongtinh.hn', password: 'HaNoi@2026' },
  hcm: { login: 'truongtinh.hcm', password: 'HoChiMinh@2026' },
  office: { login: 'truongphong.hn1', password: 'KhuVuc1@2026' },
  officer: { login: 'chv.hn1', password: 'ChapHanh@2026' },
  wall: { login: 'manhinh', password: 'ManHinh@2026' },
  kioskToken: 'demo-man-hinh-2026',
};

/**
 * Signs `page` in through the login form (works with and without JavaScript) and waits for the
 * page it lands on. `account` is one of DEMO's entries; `next` a local path to land on.
 */
export async function login(page, baseUrl, account = DEMO.leader, next) {
  const url = new URL('/dang-nhap', baseUrl);
  if (next) url.searchParams.set('next', next);
  await page.goto(url.href);
  await page.getByLabel('Tên đăng nhập').fill(account.login);
  await page.getByLabel('Mật khẩu').fill(account.password);
  await Promise.all([
    page.waitForURL((u) => !u.pathname.startsWith('/dang-nhap')),
    page.getByRole('button', { name: 'Đăng nhập' }).click(),
  ]);
}

const AXE = fs.readFileSync(path.join(ROOT, 'node_modules/axe-core/axe.min.js'), 'utf8');

/**
 * Runs axe-core on the page as it is and fails on any serious or critical violation, listing
 * each with the elements it found. The script is evaluated through the browser's debugging
 * protocol, so the page's Content-Security-Policy does not block it.
 */
export async function assertAccessible(page, what) {
  await page.evaluate(AXE);
  const violations = await page.evaluate(async () => {
    const r = await window.axe.run(document, { resultTypes: ['violations'] });
    return r.violations
      .filter((v) => v.impact === 'serious' || v.impact === 'critical')
      .map((v) => `${v.id} (${v.impact}): ${v.help} — ${v.nodes.slice(0, 3).map((n) => n.target.join(' ')).join(' | ')}`);
  });
  assert.deepEqual(violations, [], `accessibility of ${what} (${page.url()})`);
}

/** Signs out with the header's button and waits for the login form. */
export async function signOut(page) {
  await Promise.all([
    page.waitForURL(/\/dang-nhap\?da_thoat=1/),
    page.getByRole('group', { name: 'Tài khoản' }).getByRole('button', { name: 'Đăng xuất' }).click(),
  ]);
}

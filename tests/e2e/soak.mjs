// Soak run of the wall display (not part of the test suite; a measurement for
// docs/BENCHMARKS.md): seeds a small database, serves it, opens /man-hinh in Chromium with the
// kiosk token, streams simulated events into the server for a while and samples, once a
// minute, the page's JS heap, wasm memory and DOM size (Chrome DevTools Protocol
// `Performance.getMetrics`) and the renderer process's resident memory (before and after a
// forced garbage collection). Prints one JSON line per sample and a summary.
//
//   node tests/e2e/soak.mjs [--minutes 60] [--rate 5] [--scale 0.02] [--plain 1]
//
// `--plain 1`: as a wall display runs — Chromium started on its own, no DevTools client
// attached while it soaks (Playwright's CDP session enables the Network domain, whose buffer of
// response bodies grows in the renderer with every page update and is no leak of the page).
// The page is attached to only at the start (hydration) and at the end (its version), and the
// samples are the renderer's resident memory.
import { spawn, execFileSync } from 'node:child_process';
import { mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { chromium } from 'playwright-core';
import { IOC, CHROMIUM, RESULTS, DEMO, serverEnv } from './server.mjs';

const arg = (name, fallback) => {
  const i = process.argv.indexOf(`--${name}`);
  return i > 0 ? Number(process.argv[i + 1]) : fallback;
};
const MINUTES = arg('minutes', 60);
const RATE = arg('rate', 5);
const SCALE = arg('scale', 0.02);
const TOKEN = 'soak-ingest-token';
const ENV = serverEnv({ IOC_INGEST_TOKEN: TOKEN });

/** The Chromium renderer processes running now. */
function rendererPids() {
  return readdirSync('/proc').filter((pid) => {
    if (!/^\d+$/.test(pid)) return false;
    try {
      const cmd = readFileSync(`/proc/${pid}/cmdline`, 'utf8');
      return cmd.includes('chromium') && cmd.includes('--type=renderer');
    } catch { return false; /* the process ended */ }
  });
}

/** Resident memory (MiB) of the renderer processes `pids`. */
function rssMiB(pids) {
  let kib = 0;
  for (const pid of pids) {
    try {
      const m = readFileSync(`/proc/${pid}/status`, 'utf8').match(/VmRSS:\s+(\d+)/);
      if (m) kib += Number(m[1]);
    } catch { /* the process ended */ }
  }
  return Math.round(kib / 102.4) / 10;
}

const dir = mkdtempSync(path.join(tmpdir(), 'ioc-soak-'));
const db = `sqlite:${path.join(dir, 'ioc.db')}`;
execFileSync(IOC, ['--database-url', db, 'seed', '--scale', String(SCALE)], { env: ENV, stdio: 'ignore' });
const server = spawn(IOC, ['--database-url', db, 'serve', '--addr', '127.0.0.1:0'], { env: ENV, stdio: ['ignore', 'pipe', 'inherit'] });
const baseUrl = await new Promise((resolve, reject) => {
  let out = '';
  server.stdout.on('data', (c) => { out += c; const m = out.match(/http:\/\/[\d.]+:\d+\//); if (m) resolve(m[0]); });
  server.on('exit', (code) => reject(new Error(`server exited with ${code}`)));
});
const simulator = spawn(IOC, ['--database-url', db, 'simulate', '--url', baseUrl, '--rate', String(RATE), '--token', TOKEN], { env: ENV, stdio: ['ignore', 'ignore', 'inherit'] });
let soaking = true;
simulator.on('exit', (code) => {
  if (soaking) {
    console.error(`the simulator stopped (exit ${code}): no events, no soak`);
    process.exit(1);
  }
});

const before = new Set(rendererPids());
if (arg('plain', 0)) {
  await plainSoak();
  process.exit(0);
}
const browser = await chromium.launch(CHROMIUM);
const page = await (await browser.newContext({ viewport: { width: 1920, height: 1080 } })).newPage();
await page.goto(new URL(`/man-hinh?kiosk=${DEMO.kioskToken}`, baseUrl).href);
await page.waitForSelector('html[data-hydrated="true"]', { timeout: 60_000 });
// Only this run's renderers count (other browsers on the machine come and go).
const ours = rendererPids().filter((pid) => !before.has(pid));
const cdp = await page.context().newCDPSession(page);
await cdp.send('Performance.enable');

const samples = [];
const started = Date.now();
for (let minute = 0; minute <= MINUTES; minute++) {
  if (minute > 0) await new Promise((r) => setTimeout(r, 60_000));
  const rssBeforeGc = rssMiB(ours);
  // What the page holds, not what the collector has not come round to yet.
  await cdp.send('HeapProfiler.collectGarbage');
  await new Promise((r) => setTimeout(r, 2000));
  const { metrics } = await cdp.send('Performance.getMetrics');
  const metric = (name) => metrics.find((m) => m.name === name)?.value ?? null;
  const sample = {
    minute,
    js_heap_used_mib: Math.round(metric('JSHeapUsedSize') / 104857.6) / 10,
    dom_nodes: metric('Nodes'),
    listeners: metric('JSEventListeners'),
    renderer_rss_mib: rssMiB(ours),
    renderer_rss_before_gc_mib: rssBeforeGc,
    // The hydrated app's linear memory (it never shrinks: growth here is a Rust-side leak).
    wasm_memory_mib: Math.round(await page.evaluate(async () => (await (await import('/pkg/ioc.js')).default()).memory.buffer.byteLength) / 104857.6) / 10,
    version: await page.locator('.wall-clock').getAttribute('data-version'),
    banner: await page.locator('.live-banner.live-banner-on').count(),
  };
  samples.push(sample);
  console.log(JSON.stringify(sample));
}
const first = samples[1] ?? samples[0];
const last = samples[samples.length - 1];
const summary = {
  minutes: MINUTES, rate_per_s: RATE, scale: SCALE, wall_s: Math.round((Date.now() - started) / 1000),
  js_heap_mib: [first.js_heap_used_mib, last.js_heap_used_mib],
  dom_nodes: [first.dom_nodes, last.dom_nodes],
  renderer_rss_mib: [first.renderer_rss_mib, last.renderer_rss_mib],
  wasm_memory_mib: [first.wasm_memory_mib, last.wasm_memory_mib],
  versions: [first.version, last.version],
};
console.log(JSON.stringify({ summary }));
writeFileSync(path.join(RESULTS, 'soak.json'), JSON.stringify({ samples, summary }, null, 1));

soaking = false;
simulator.kill('SIGTERM');
await browser.close();
server.kill('SIGTERM');
await new Promise((r) => server.once('exit', r));
rmSync(dir, { recursive: true, force: true });

/** The `--plain` soak (see the header). */
async function plainSoak() {
  const port = 9300 + Math.floor(Math.random() * 500);
  const url = new URL(`/man-hinh?kiosk=${DEMO.kioskToken}`, baseUrl).href;
  const browserProc = spawn(CHROMIUM.executablePath, [...CHROMIUM.args, '--window-size=1920,1080',
    `--remote-debugging-port=${port}`, `--user-data-dir=${path.join(dir, 'profile')}`, url], { stdio: 'ignore' });
  const attach = async () => {
    for (let i = 0; i < 100; i++) {
      try { return await chromium.connectOverCDP(`http://127.0.0.1:${port}`); } catch { await new Promise((r) => setTimeout(r, 300)); }
    }
    throw new Error('cannot attach to Chromium');
  };
  const look = async () => {
    const b = await attach();
    const page = b.contexts()[0].pages()[0];
    await page.waitForSelector('html[data-hydrated="true"]', { timeout: 60_000 });
    const seen = {
      version: await page.locator('.wall-clock').getAttribute('data-version'),
      banner: await page.locator('.live-banner.live-banner-on').count(),
    };
    await b.close(); // disconnects; Chromium keeps running
    return seen;
  };
  const start = await look();
  const ours = rendererPids().filter((pid) => !before.has(pid));
  const samples = [];
  const started = Date.now();
  for (let minute = 0; minute <= MINUTES; minute++) {
    if (minute > 0) await new Promise((r) => setTimeout(r, 60_000));
    const sample = { minute, renderer_rss_mib: rssMiB(ours), renderers: ours.length };
    samples.push(sample);
    console.log(JSON.stringify(sample));
  }
  const end = await look();
  const health = await (await fetch(new URL('/api/health', baseUrl))).json();
  const summary = {
    plain: true, minutes: MINUTES, rate_per_s: RATE, scale: SCALE, wall_s: Math.round((Date.now() - started) / 1000),
    renderer_rss_mib: [samples[1]?.renderer_rss_mib ?? samples[0].renderer_rss_mib, samples[samples.length - 1].renderer_rss_mib],
    page_versions: [start.version, end.version], server_version: health.feed?.applied, banner_at_end: end.banner,
  };
  console.log(JSON.stringify({ summary }));
  writeFileSync(path.join(RESULTS, 'soak-plain.json'), JSON.stringify({ samples, summary }, null, 1));
  soaking = false;
  simulator.kill('SIGTERM');
  browserProc.kill('SIGTERM');
  server.kill('SIGTERM');
  await new Promise((r) => server.once('exit', r));
  rmSync(dir, { recursive: true, force: true });
}

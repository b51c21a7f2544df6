// Issue 6 figures for the dashboard, each beside its target and a peer, in headless Chromium:
//   1. the first chart of a run with 1,000,000 stage readings: time from navigation to the chart
//      drawn, with the server's min/max downsampling (one pair per pixel column) against the peer
//      that sends every reading (#points=all); plus bytes and time of the stage request itself.
//   2. live latency: from a stage reading being logged (its time on the run's clock, mapped to the
//      wall clock) to the page showing it, during a simulated run with --serve.
//
// node bench/dashboard/bench_dashboard.mjs [--build DIR] [--readings N] [--repeat N] [--live-s S]
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { execFileSync } from 'node:child_process';
import { setTimeout as sleep } from 'node:timers/promises';
import { fileURLToPath } from 'node:url';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');
const { launchChromium, parseArgs, startGlasslab, startServedRun, stats, waitFor } =
  await import(path.join(root, 'tests/e2e/dashboard/harness.mjs'));

const args = parseArgs(process.argv.slice(2), []);
const build = path.resolve(args.build || path.join(root, 'build'));
const glasslab = path.join(build, 'app/glasslab');
const npm = path.join(build, 'npm');
const readings = Number(args.readings || 1000000);
const repeat = Number(args.repeat || 3);
const work = fs.mkdtempSync(path.join(os.tmpdir(), 'glasslab-bench-dashboard-'));
const median = (xs) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];

async function firstChart(browser, url, mode) {
  const page = await browser.newPage();
  await page.goto(`${url}#run=1${mode === 'all' ? '&points=all' : ''}`);
  await waitFor(page, 'the first chart', () => window.glasslab.firstChartMs !== null, null, 120000);
  const result = await page.evaluate(() => ({ ms: window.glasslab.firstChartMs, points: window.glasslab.charts.stage.data[0].length }));
  await page.close();
  return result;
}

async function stageRequest(url, query) {
  const t0 = performance.now();
  const body = await (await fetch(`${url}api/runs/1/stage?${query}`)).text();
  return { ms: performance.now() - t0, bytes: body.length };
}

async function benchFirstChart(browser) {
  const db = path.join(work, 'million.sqlite');
  const t0 = performance.now();
  execFileSync(path.join(build, 'bench/dashboard/bench_dashboard_make_store'), [db, String(readings)]);
  console.log(`store of ${readings.toLocaleString('en')} stage readings written in ${((performance.now() - t0) / 1000).toFixed(1)} s`);
  const server = startGlasslab(glasslab, ['serve', '--db', db, '--port', '0'], /(http:\/\/127\.0\.0\.1:\d+\/)/);
  try {
    const [, url] = await server.ready;
    const rows = [];
    for (const mode of ['downsampled', 'all']) {
      const charts = [], requests = [];
      for (let i = 0; i < repeat; ++i) {
        charts.push(await firstChart(browser, url, mode));
        requests.push(await stageRequest(url, mode === 'all' ? 'all=1' : 'buckets=1200'));
      }
      rows.push({ mode, chart_s: median(charts.map((c) => c.ms)) / 1000, points: charts[0].points,
        request_s: median(requests.map((r) => r.ms)) / 1000, mb: requests[0].bytes / 1e6 });
    }
    console.log(`\nfirst chart of a run with ${readings.toLocaleString('en')} stage readings (median of ${repeat}, target < 2 s)`);
    console.log('  mode                              chart drawn   points drawn   GET stage       JSON size');
    for (const r of rows)
      console.log(`  ${(r.mode === 'all' ? 'peer: every reading' : 'min/max per pixel (server)').padEnd(33)} ${r.chart_s.toFixed(2).padStart(8)} s` +
        `   ${String(r.points).padStart(12)}   ${r.request_s.toFixed(2).padStart(7)} s   ${r.mb.toFixed(2).padStart(8)} MB`);
    const [ours, peer] = rows;
    console.log(`  => ${ours.chart_s < 2 ? 'PASS' : 'FAIL'}: ${ours.chart_s.toFixed(2)} s, ${(peer.chart_s / ours.chart_s).toFixed(1)}x faster than the peer`);
  } finally {
    await server.stop();
  }
}

async function benchLatency(browser) {
  const seconds = Number(args['live-s'] || 10);
  const schedule = path.join(root, 'tests/e2e/dashboard/fixtures/xrd_dashboard.toml');
  const run = startServedRun(glasslab, schedule, path.join(work, 'live.sqlite'), 10);
  try {
    const { url, run: id } = await run.started;
    const page = await browser.newPage();
    await page.goto(`${url}#run=${id}`);
    await waitFor(page, 'the stage chart', () => !!window.glasslab.charts.stage);
    await sleep(seconds * 1000);
    const s = stats(await page.evaluate(() => window.glasslab.latencies));
    await page.close();
    console.log(`\nlive: stage reading logged -> on screen, ${seconds} s of a dry run at x10 (2 Hz polling = 20 readings/s), target < 500 ms`);
    console.log(`  median ${s.median_ms} ms, p95 ${s.p95_ms} ms, max ${s.max_ms} ms over ${s.n} readings` +
      ` => ${s.p95_ms < 500 ? 'PASS' : 'FAIL'} (p95); the path: store batch <= 200 ms, socket poll 100 ms, one frame`);
  } finally {
    await run.stop();
  }
}

const browser = await launchChromium(npm, path.join(work, 'profile'), args.chromium);
try {
  await benchFirstChart(browser);
  await benchLatency(browser);
} finally {
  await browser.close();
  fs.rmSync(work, { recursive: true, force: true });
}

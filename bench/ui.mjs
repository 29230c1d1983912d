// bench/ui.mjs - how fast the web UI shows data at scale, in Chromium.
//
//   MLFLOWC_BIN=build/mlflowc node bench/ui.mjs [--runs 10000] [--points 100000] [--repeat 3]
//
// Starts the real server (MLFLOWC_BIN, default build/mlflowc) on a temp dir
// and a free port (tests/browser/harness.mjs), seeds through the REST API
// one experiment of --runs runs x 20 params x 20 metrics (runs/create then one
// runs/log-batch per run, 16 in flight) and another of 5 runs with --points
// points of one metric each (log-batch of 1000, 8 in flight), then drives
// Debian's chromium with playwright-core (tests/browser/node_modules) and
// times, from navigation until the page shows the data:
//   (a) experiments/<id>: the first rows of the runs table are drawn;
//   (b) compare?runs=<5 ids>&metric=loss: the chart has its points;
//   (c) on that chart, a drag-to-zoom until the finer sample is drawn.
// Prints every try and the median of --repeat tries. Targets: (a) and (b)
// <= 1000 ms. A benchmark, not a test: a missed target is not a failure;
// exit 1 only when the server or the page fails (a wrong answer, a console
// error, a timeout).

import path from 'node:path';
import { fileURLToPath } from 'node:url';

const HERE = path.dirname(fileURLToPath(import.meta.url));
const BROWSER_TESTS = path.join(HERE, '..', 'tests', 'browser');
const { startServer, stopServer, openBrowser, CHROMIUM, BIN } = await import(path.join(BROWSER_TESTS, 'harness.mjs'));

const opt = { runs: 10000, points: 100000, repeat: 3 };
const argv = process.argv.slice(2);
for (let i = 0; i < argv.length; i++) {
  const name = argv[i].replace(/^--/, '');
  if (!(name in opt) || !/^\d+$/.test(argv[i + 1] || '')) {
    console.error('usage: node bench/ui.mjs [--runs N] [--points N] [--repeat N]');
    process.exit(2);
  }
  opt[name] = Number(argv[++i]);
}
const KEYS = 20;
const HISTORY_RUNS = 5;
const T0 = 1714000000000;
const TARGET_MS = 1000;

/** Runs `n` jobs, `width` at a time. */
async function pool(n, width, job) {
  let next = 0;
  await Promise.all(Array.from({ length: Math.min(width, n) }, async () => {
    while (next < n) await job(next++);
  }));
}

const median = (xs) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];

let srv, browser;
try {
  srv = await startServer();
  const base = `http://127.0.0.1:${srv.port}`;
  const call = async (p, body) => {
    const res = await fetch(`${base}/api/2.0/mlflow/${p}`, { method: 'POST', headers: { 'Content-Type': 'application/json' },
      body: JSON.stringify(body) });
    const text = await res.text();
    if (res.status !== 200) throw new Error(`POST ${p}: ${res.status} ${text}`);
    return JSON.parse(text || '{}');
  };
  console.log(`server: ${BIN} on port ${srv.port}, chromium: ${CHROMIUM}`);

  // ---- seeding ----
  let t = Date.now();
  const { experiment_id: wide } = await call('experiments/create', { name: 'ui-bench-runs' });
  await pool(opt.runs, 16, async (i) => {
    const { run } = await call('runs/create', { experiment_id: wide, run_name: `r${i}`, start_time: T0 + i });
    await call('runs/log-batch', { run_id: run.info.run_id,
      params: Array.from({ length: KEYS }, (_, k) => ({ key: `p${k}`, value: String((i * (k + 1)) % 97) })),
      metrics: Array.from({ length: KEYS }, (_, k) => ({ key: `m${k}`, value: ((i * 7919 + k) % 10007) / 10007, timestamp: T0, step: 0 })) });
  });
  console.log(`seeded ${opt.runs} runs x ${KEYS} params x ${KEYS} metrics in ${Date.now() - t} ms`);

  t = Date.now();
  const { experiment_id: histExp } = await call('experiments/create', { name: 'ui-bench-history' });
  const ids = [];
  for (let r = 0; r < HISTORY_RUNS; r++) {
    const { run } = await call('runs/create', { experiment_id: histExp, run_name: `long-${r}`, start_time: T0 });
    ids.push(run.info.run_id);
    await call('runs/log-batch', { run_id: run.info.run_id, params: [{ key: 'lr', value: String(0.1 / (r + 1)) }] });
  }
  const batches = Math.ceil(opt.points / 1000);
  await pool(HISTORY_RUNS * batches, 8, async (j) => {
    const r = j % HISTORY_RUNS, b = Math.floor(j / HISTORY_RUNS);
    const metrics = [];
    for (let s = b * 1000; s < Math.min(opt.points, (b + 1) * 1000); s++)
      metrics.push({ key: 'loss', value: (r + 1) / (1 + s / 1000) + ((s * 7919) % 10007) / 100070, timestamp: T0 + s * 100, step: s });
    await call('runs/log-batch', { run_id: ids[r], metrics });
  });
  console.log(`seeded ${HISTORY_RUNS} runs x ${opt.points} points of one metric in ${Date.now() - t} ms`);

  // ---- the browser ----
  browser = await openBrowser({ viewport: { width: 1366, height: 900 } });
  const { page, problems } = browser;
  page.setDefaultTimeout(60000);
  const check = () => {
    if (problems.length) throw new Error(problems.join('\n'));
  };

  const table = [], chart = [], zoom = [];
  let drawn = '';
  for (let k = 0; k < opt.repeat; k++) {
    await page.goto('about:blank');
    let t0 = Date.now();
    await page.goto(`${base}/experiments/${wide}`);
    await page.locator('.vt-row').first().waitFor();
    table.push(Date.now() - t0);
    check();

    await page.goto('about:blank');
    t0 = Date.now();
    await page.goto(`${base}/compare?runs=${ids.join(',')}&metric=loss`);
    await page.waitForFunction(() => Number(document.querySelector('#compare-charts .chart[data-key="loss"]')?.dataset.points) > 0);
    chart.push(Date.now() - t0);
    const box = page.locator('#compare-charts .chart[data-key="loss"]');
    drawn = await box.getAttribute('data-line-points');
    if (drawn.split(',').length !== HISTORY_RUNS) throw new Error(`the chart drew ${drawn} points per run`);
    check();

    // (c) drag across the middle tenth of the x axis: a finer sample comes in
    const over = await box.locator('.u-over').boundingBox();
    const y = over.y + over.height / 2;
    await page.mouse.move(over.x + over.width * 0.45, y);
    await page.mouse.down();
    await page.mouse.move(over.x + over.width * 0.55, y, { steps: 4 });
    t0 = Date.now();
    await page.mouse.up();
    await page.locator('#compare-charts .chart[data-key="loss"][data-state="zoomed"]').waitFor();
    zoom.push(Date.now() - t0);
    check();
  }
  const show = (label, xs, target) => console.log(`${label}: median ${median(xs)} ms (tries: ${xs.join(', ')} ms)` +
    (target ? `  target <= ${target} ms: ${median(xs) <= target ? 'PASS' : 'MISS'}` : ''));
  console.log(`\n(${opt.repeat} tries each; the first try of each loads the UI's files into the cache)`);
  show(`(a) runs table of ${opt.runs} runs, first rows`, table, TARGET_MS);
  show(`(b) compare ${HISTORY_RUNS} runs x ${opt.points} points, chart drawn (${drawn} points per run)`, chart, TARGET_MS);
  show('(c) drag-to-zoom on that chart, finer sample drawn', zoom);
} catch (e) {
  console.error(`ui bench failed: ${e.stack || e}`);
  if (srv) console.error(`server output:\n${srv.output().slice(-2000)}`);
  process.exitCode = 1;
} finally {
  await browser?.close();
  await stopServer(srv);
}

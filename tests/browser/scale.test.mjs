// Scale test of the web UI: 10,000 runs x 20 params x 20 metrics in one
// experiment, seeded through log-batch. Checks that the runs table shows
// rows and answers a sort by a metric column, and prints how long each took
// in chromium (no timing assertion: machines differ). Same server and
// browser set-up as ui.test.mjs. MLFLOWC_UI_SCALE_RUNS changes the count.

import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { startServer, stopServer, apiOf, openBrowser } from './harness.mjs';

const N = Number(process.env.MLFLOWC_UI_SCALE_RUNS || 10000);
const KEYS = 20;
let srv, exp, browser, page;

before(async () => {
  srv = await startServer();
  const call = apiOf(srv);
  ({ experiment_id: exp } = await call('POST', 'experiments/create', { name: 'scale' }));
  const t0 = Date.now();
  const one = async (i) => {
    const { run } = await call('POST', 'runs/create', { experiment_id: exp, run_name: `r${i}`, start_time: 1714000000000 + i });
    await call('POST', 'runs/log-batch', { run_id: run.info.run_id,
      params: Array.from({ length: KEYS }, (_, k) => ({ key: `p${k}`, value: String((i * (k + 1)) % 97) })),
      metrics: Array.from({ length: KEYS }, (_, k) => ({ key: `m${k}`, value: ((i * 7919 + k) % 10007) / 10007, timestamp: 1714000000000, step: 0 })) });
  };
  for (let i = 0; i < N; i += 16) await Promise.all(Array.from({ length: Math.min(16, N - i) }, (_, k) => one(i + k)));
  console.log(`seeded ${N} runs x ${KEYS} params x ${KEYS} metrics in ${Date.now() - t0} ms`);
  browser = await openBrowser();
  page = browser.page;
  page.setDefaultTimeout(30000);
});

after(async () => {
  await browser?.close();
  await stopServer(srv);
});

test(`runs table with ${N} runs: first rows, then a sort`, async () => {
  const t0 = Date.now();
  await page.goto(`http://127.0.0.1:${srv.port}/experiments/${exp}`);
  await page.locator('.vt-row').first().waitFor();
  const firstRows = Date.now() - t0;
  assert.equal(await page.locator('.vt-row .td').first().textContent(), `r${N - 1}`);
  const t1 = Date.now();
  await page.locator('.vt-head .th[data-col="m:m0"]').click();
  await page.waitForFunction((n) => {
    const first = document.querySelector('.vt-row .td')?.textContent;
    return first && first !== `r${n - 1}`;
  }, N);
  const sorted = Date.now() - t1;
  const cells = await page.locator('.vt-row').first().locator('.td').allTextContents();
  assert.ok(Number(cells[3]) > 0.99, `the top run has the largest m0 (${cells[3]})`);
  assert.ok(await page.locator('.vt-row').count() < 100, 'only the visible rows are in the DOM');
  const api = async (order) => {
    const t = Date.now();
    await apiOf(srv)('POST', 'runs/search', { experiment_ids: [exp], max_results: 100, order_by: order });
    return Date.now() - t;
  };
  console.log(`runs/search, 100 runs, straight from node: by start_time ${await api(['attributes.start_time DESC'])} ms, ` +
    `by a metric ${await api(['metrics.\`m0\` DESC'])} ms`);
  console.log(`${N} runs: first rows drawn ${firstRows} ms after navigation; sort by a metric redrawn in ${sorted} ms`);
  browser.noProblems();
});

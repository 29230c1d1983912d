// Browser test of the embedded web UI: starts the real server (MLFLOWC_BIN,
// default ../../build/mlflowc) on a temp dir and a free port, seeds data
// through the REST API, then drives Debian's chromium with playwright-core:
// experiment list -> runs table (paging, virtual rows, filter, sort, column
// chooser, keyboard) -> run page -> artifact preview -> metric chart, and a
// deep link under --static-prefix. Screenshots go to build/ui-screenshots/.
// Any console error or uncaught page error fails the test.
//
// Also checks, without a browser, how the UI files are served: MIME types,
// ETag/304, gzip, index.html for client-side routes, 404 for the rest.

import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import path from 'node:path';
import { startServer, stopServer, apiOf, openBrowser, SHOTS } from './harness.mjs';

const N_RUNS = 600; // more than the UI's first runs/search page (100)
const HISTORY_RUN = 7;
const WIDE_KEYS = 1500; // metric keys on one run, for the column chooser
const T0 = 1714000000000;

// ---- seeding: the expected values are computed from the same formulas ----
const runName = (i) => `run-${String(i).padStart(3, '0')}`;
const optimizer = (i) => (i % 3 === 0 ? 'sgd' : 'adam');
const lossOf = (i) => Number((1 / (i + 1)).toFixed(6));
const accOf = (i) => Number(((i * 37) % 100 / 100).toFixed(2));

async function seed(srv) {
  const call = apiOf(srv);
  const { experiment_id: exp } = await call('POST', 'experiments/create', { name: 'ui-demo' });
  await call('POST', 'experiments/create', { name: 'other-experiment' });
  const ids = [];
  const one = async (i) => {
    const { run } = await call('POST', 'runs/create', { experiment_id: exp, run_name: runName(i), start_time: T0 + i * 1000,
      tags: [{ key: 'team', value: i % 2 ? 'vision' : 'nlp' }] });
    ids[i] = run.info.run_id;
    await call('POST', 'runs/log-batch', { run_id: run.info.run_id,
      params: [{ key: 'optimizer', value: optimizer(i) }, { key: 'lr', value: String(0.001 * (1 + (i % 5))) }],
      metrics: [{ key: 'loss', value: lossOf(i), timestamp: T0, step: 0 }, { key: 'acc', value: accOf(i), timestamp: T0, step: 0 }] });
    await call('POST', 'runs/update', { run_id: run.info.run_id, status: 'FINISHED', end_time: T0 + i * 1000 + 65000 });
    return run;
  };
  for (let i = 0; i < N_RUNS; i += 20) await Promise.all(Array.from({ length: Math.min(20, N_RUNS - i) }, (_, k) => one(i + k)));

  // one run with a history (steps 1-100 of loss and acc, after step 0 above), many metric keys and artifacts
  const rid = ids[HISTORY_RUN];
  const hist = [];
  for (let s = 1; s <= 100; s++) hist.push({ key: 'loss', value: 2 / (s + 1), timestamp: T0 + s, step: s }, { key: 'acc', value: s / 100, timestamp: T0 + s, step: s });
  for (let k = 0; k < hist.length; k += 1000) await call('POST', 'runs/log-batch', { run_id: rid, metrics: hist.slice(k, k + 1000) });
  const wide = Array.from({ length: WIDE_KEYS }, (_, k) => ({ key: `m_${String(k).padStart(4, '0')}`, value: k, timestamp: T0, step: 0 }));
  for (let k = 0; k < wide.length; k += 1000) await call('POST', 'runs/log-batch', { run_id: rid, metrics: wide.slice(k, k + 1000) });
  const { run } = await call('GET', `runs/get?run_id=${rid}`);
  const where = run.info.artifact_uri.replace(/^mlflow-artifacts:\/+/, '');
  const put = async (name, body) => {
    const res = await fetch(`http://127.0.0.1:${srv.port}${srv.prefix}/api/2.0/mlflow-artifacts/artifacts/${where}/${name}`, { method: 'PUT', body });
    assert.equal(res.status, 200, `upload ${name}: ${await res.text()}`);
  };
  await put('notes.txt', 'Training notes\nline two: the loss went down.\n');
  await put('config/params.json', JSON.stringify({ optimizer: 'adam', layers: [64, 32] }));
  // a 1x1 PNG
  await put('plot.png', Buffer.from('iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mNk+M9QDwADhgGAWjR9awAAAABJRU5ErkJggg==', 'base64'));
  return { exp, ids, historyRun: rid };
}

// ---- the browser ----
let srv, seeded, browser, page;
let allowHttpErrors = false;

before(async () => {
  srv = await startServer();
  seeded = await seed(srv);
  // the browser logs every 4xx answer; the bad-filter step expects one
  browser = await openBrowser({ ignore: (text) => allowHttpErrors && /status of 400/.test(text) });
  page = browser.page;
});

after(async () => {
  await browser?.close();
  await stopServer(srv);
});

const url = (p = '') => `http://127.0.0.1:${srv.port}/${p}`;
const shot = (name, fullPage = false) => browser.shot(name, fullPage);
const noProblems = () => browser.noProblems();
const statusText = () => page.locator('.footer .status').textContent();
const headers = () => page.locator('.vt-head .th').allTextContents();
const firstCells = async () => page.locator('.vt-row').first().locator('.td').allTextContents();

test('UI files are served with MIME types, ETag, gzip and client-side routing', async () => {
  const index = await fetch(url());
  assert.equal(index.status, 200);
  assert.match(index.headers.get('content-type'), /^text\/html/);
  const html = await index.text();
  assert.match(html, /<base href="\/">/);
  const js = html.match(/assets\/[^"]+\.js/)[0];
  const css = html.match(/assets\/[^"]+\.css/)[0];

  const r = await fetch(url(js), { headers: { 'Accept-Encoding': 'gzip' } });
  assert.equal(r.status, 200);
  assert.match(r.headers.get('content-type'), /^text\/javascript/);
  assert.equal(r.headers.get('content-encoding'), 'gzip');
  assert.match(r.headers.get('cache-control'), /immutable/);
  assert.equal(r.headers.get('vary'), 'Accept-Encoding');
  const body = await r.text(); // fetch decompresses
  assert.ok(body.length > 10000);
  const plain = await fetch(url(js), { headers: { 'Accept-Encoding': 'identity' } });
  assert.equal(plain.headers.get('content-encoding'), null);
  assert.equal(await plain.text(), body);
  const refused = await fetch(url(js), { headers: { 'Accept-Encoding': 'gzip;q=0, br;q=0, deflate' } });
  assert.equal(refused.headers.get('content-encoding'), null);
  await refused.arrayBuffer();

  const etag = plain.headers.get('etag');
  assert.match(etag, /^"[0-9a-f]+"$/);
  const again = await fetch(url(js), { headers: { 'If-None-Match': `"nope", W/${etag}` } });
  assert.equal(again.status, 304);
  assert.equal((await again.text()).length, 0);
  const gzAgain = await fetch(url(js), { headers: { 'If-None-Match': r.headers.get('etag') } });
  assert.equal(gzAgain.status, 304);

  assert.match((await fetch(url(css))).headers.get('content-type'), /^text\/css/);
  const deep = await fetch(url(`experiments/${seeded.exp}?filter=x`));
  assert.equal(deep.status, 200);
  assert.match(deep.headers.get('content-type'), /^text\/html/);
  assert.equal(deep.headers.get('cache-control'), 'no-cache');
  assert.equal((await fetch(url('assets/missing.js'))).status, 404);
  const api404 = await fetch(url('api/2.0/mlflow/no-such-endpoint'));
  assert.equal(api404.status, 404);
  assert.equal((await api404.json()).error_code, 'ENDPOINT_NOT_FOUND');
  assert.equal((await fetch(url('anything'), { method: 'POST' })).status, 404);
  const head = await fetch(url(), { method: 'HEAD' });
  assert.equal(head.status, 200);
});

test('experiment list: search and open', async () => {
  await page.goto(url());
  await page.locator('#experiments').getByText('ui-demo').waitFor();
  await page.locator('#experiments').getByText('other-experiment').waitFor();
  await page.keyboard.press('/');
  await page.keyboard.type('ui-d');
  await page.waitForFunction(() => document.querySelectorAll('#experiments tbody tr').length === 1);
  assert.match(page.url(), /\?q=ui-d$/);
  await shot('01-experiments.png');
  // create one from the form: it opens, empty
  await page.fill('#create-experiment input', 'made-in-the-ui');
  await page.press('#create-experiment input', 'Enter');
  await page.waitForURL(/\/experiments\/\d+$/);
  await page.locator('h1', { hasText: 'made-in-the-ui' }).waitFor();
  await page.waitForFunction(() => document.querySelector('.footer .status').textContent === '0 runs');
  await page.goBack();
  await page.waitForFunction(() => document.querySelectorAll('#experiments tbody tr').length === 1);
  await page.locator('#experiments').getByText('ui-demo').click();
  await page.waitForURL(`**/experiments/${seeded.exp}`);
  noProblems();
});

test('runs table: paging, virtual rows, filter, sort, columns, keyboard', async () => {
  await page.locator('.vt-row').first().waitFor();
  assert.equal(await page.locator('h1').textContent(), 'ui-demo');
  assert.match(await statusText(), /^100 runs loaded, more on the server/);
  const inDom = await page.locator('.vt-row').count();
  assert.ok(inDom > 10 && inDom < 100, `only the visible rows are in the DOM (${inDom})`);
  // default order: newest first
  assert.equal((await firstCells())[0], runName(N_RUNS - 1));
  assert.deepEqual((await headers()).slice(0, 3).map((s) => s.replace(/[▲▼]/g, '').trim()), ['Run name', 'Created', 'Status']);
  assert.ok((await headers()).some((s) => s.includes('loss')), 'a metric column by default');
  // scroll to the end: the second page comes in
  await page.locator('#runs-table').evaluate((el) => { el.scrollTop = el.scrollHeight; });
  await page.waitForFunction((n) => document.querySelector('.footer .status').textContent.startsWith(`${n} runs`), N_RUNS);
  assert.ok(await page.locator('.vt-row').count() < 100);
  await page.locator('#runs-table').evaluate((el) => { el.scrollTop = el.scrollHeight; });
  await page.locator('.vt-row', { hasText: runName(0) }).waitFor();

  // filter with MLflow's DSL
  const filter = 'params.optimizer = "sgd" and metrics.acc > 0.5';
  const expected = [...Array(N_RUNS).keys()].filter((i) => optimizer(i) === 'sgd' && accOf(i) > 0.5);
  await page.fill('#run-filter input', filter);
  await page.press('#run-filter input', 'Enter');
  await page.waitForFunction((n) => document.querySelector('.footer .status').textContent === `${n} runs`, expected.length);
  assert.ok(new URL(page.url()).searchParams.get('filter') === filter);

  // sort by loss: descending, then ascending (server-side order_by)
  const lossHeader = page.locator('.vt-head .th[data-col="m:loss"]');
  await lossHeader.click();
  await page.waitForURL(/sort=m%3Aloss&dir=desc/);
  const byLoss = [...expected].sort((a, b) => lossOf(b) - lossOf(a));
  await page.waitForFunction((name) => document.querySelector('.vt-row .td')?.textContent === name, runName(byLoss[0]));
  await lossHeader.click();
  await page.waitForURL(/dir=asc/);
  await page.waitForFunction((name) => document.querySelector('.vt-row .td')?.textContent === name, runName(byLoss[byLoss.length - 1]));
  assert.equal(await lossHeader.getAttribute('aria-sort'), 'ascending');

  // column chooser over 1,500+ keys: find one, add it
  await page.click('#columns-button');
  await page.locator('#column-chooser').getByText(/metrics \(\d+\)/).waitFor();
  assert.ok(await page.locator('#column-chooser input[type=checkbox]').count() <= 3 * 200 + 10, 'the chooser list is bounded');
  await page.fill('#column-chooser input[type=search]', 'm_1499');
  await page.locator('#column-chooser input[data-col="m:m_1499"]').check();
  await page.locator('.vt-head .th[data-col="m:m_1499"]').waitFor();
  assert.match(decodeURIComponent(page.url()), /cols=[^&]*m:m_1499/);
  await page.keyboard.press('Escape');
  assert.ok(await page.locator('#column-chooser').isHidden());
  await shot('02-runs.png');

  // a bad filter shows the server's message and keeps the page alive
  allowHttpErrors = true;
  await page.fill('#run-filter input', 'metrics.loss <<< 3');
  await page.press('#run-filter input', 'Enter');
  await page.locator('.error').waitFor();
  assert.match(await page.locator('.error').textContent(), /INVALID_PARAMETER_VALUE/);
  allowHttpErrors = false;

  // keyboard: filter to one run, arrow down, Enter opens it
  await page.fill('#run-filter input', `attributes.run_name = "${runName(HISTORY_RUN)}"`);
  await page.press('#run-filter input', 'Enter');
  await page.waitForFunction(() => document.querySelector('.footer .status').textContent === '1 run');
  await page.focus('#runs-table');
  await page.keyboard.press('ArrowDown');
  await page.locator('.vt-row.selected').waitFor();
  await page.keyboard.press('Enter');
  await page.waitForURL(`**/runs/${seeded.historyRun}`).catch(async (e) => {
    throw new Error(`${e.message}\nstill at ${page.url()}, focus on ${await page.evaluate(() => document.activeElement?.outerHTML.slice(0, 200))}`);
  });
  noProblems();
});

test('run page: params, metrics, tags, artifact preview, chart', async () => {
  await page.locator('#params').waitFor();
  assert.equal(await page.locator('h1').textContent(), runName(HISTORY_RUN));
  assert.match(await page.locator('#params').textContent(), /optimizer.*adam/s);
  assert.match(await page.locator('#tags').textContent(), /team.*vision/s);
  const lossRow = page.locator('#metrics tr', { has: page.locator('th', { hasText: /^loss$/ }) });
  assert.match(await lossRow.textContent(), /0\.019802/); // latest loss: 2 / 101 at step 100
  assert.equal(await page.locator('#metrics tbody tr').count(), WIDE_KEYS + 2);
  await page.fill('#metric-filter', 'm_149');
  await page.waitForFunction(() => document.querySelectorAll('#metrics tbody tr:not([hidden])').length === 10);
  await page.fill('#metric-filter', '');

  // artifacts: the text file, then the JSON file inside a folder
  await page.locator('#artifact-tree button.file', { hasText: 'notes.txt' }).click();
  await page.locator('#artifact-preview pre').getByText('the loss went down').waitFor();
  await page.locator('#artifact-tree button.dir', { hasText: 'config' }).click();
  await page.locator('#artifact-tree button.file', { hasText: 'params.json' }).click();
  await page.locator('#artifact-preview pre', { hasText: '"layers": [' }).waitFor();
  assert.match(decodeURIComponent(page.url()), /artifact=config\/params\.json/);
  await page.locator('#artifact-tree button.file', { hasText: 'plot.png' }).click();
  await page.waitForFunction(() => document.querySelector('#artifact-preview img')?.naturalWidth === 1);
  await page.locator('#artifact-tree button.file', { hasText: 'params.json' }).click();
  await page.locator('#artifact-preview pre', { hasText: '"layers": [' }).waitFor();

  // the chart: the first metric (acc) is drawn; add loss
  await page.waitForSelector('#metric-chart[data-points="101"] canvas');
  await page.locator('#metrics input[data-metric="loss"]').check();
  await page.waitForSelector('#metric-chart[data-points="202"] canvas');
  const legend = await page.locator('#metric-chart .u-legend').textContent();
  assert.match(legend, /acc/);
  assert.match(legend, /loss/);
  const inked = await page.locator('#metric-chart canvas').evaluate((c) => {
    const d = c.getContext('2d').getImageData(0, 0, c.width, c.height).data;
    let n = 0;
    for (let i = 3; i < d.length; i += 4) if (d[i] > 0) n++;
    return n;
  });
  assert.ok(inked > 500, `the chart has drawn lines (${inked} pixels)`);
  // x axis and log scale: the same points, redrawn; both kept in the URL
  await page.selectOption('#chart-x', 'relative');
  await page.locator('#metric-chart .u-legend', { hasText: 'seconds since start' }).waitFor();
  await page.waitForSelector('#metric-chart[data-points="202"] canvas');
  await page.check('#chart-log');
  await page.waitForURL((u) => u.searchParams.get('x') === 'relative' && u.searchParams.get('log') === '1');
  await page.waitForSelector('#metric-chart[data-points="202"] canvas');
  await page.selectOption('#chart-x', 'step');
  await page.uncheck('#chart-log');
  await page.locator('#metric-chart .u-legend', { hasText: 'step' }).waitFor();
  await page.locator('#metric-chart').hover();
  await shot('03-run.png', true);
  await page.locator('#metric-chart').screenshot({ path: path.join(SHOTS, '04-chart.png') });
  noProblems();
});

test('deep link to a run restores the chart and the preview', async () => {
  await page.goto(url(`runs/${seeded.historyRun}?metric=loss&artifact=notes.txt`));
  await page.waitForSelector('#metric-chart[data-points="101"] canvas');
  await page.locator('#artifact-preview pre').getByText('Training notes').waitFor();
  await page.goBack();
  await page.goForward();
  await page.locator('#params').waitFor();
  noProblems();
});

test('the UI works under --static-prefix, from a deep link', async () => {
  const prefixed = await startServer(['--static-prefix', '/ml/flow']);
  try {
    const call = apiOf(prefixed);
    const { experiment_id: exp } = await call('POST', 'experiments/create', { name: 'prefixed' });
    const { run } = await call('POST', 'runs/create', { experiment_id: exp, run_name: 'only-run' });
    await page.goto(`http://127.0.0.1:${prefixed.port}/ml/flow/experiments/${exp}`);
    await page.locator('.vt-row', { hasText: 'only-run' }).click();
    await page.waitForURL(`**/ml/flow/runs/${run.info.run_id}`);
    await page.locator('#overview').getByText(run.info.run_id, { exact: true }).waitFor();
    await page.click('.brand');
    await page.locator('#experiments').getByText('prefixed').waitFor();
    assert.equal(new URL(page.url()).pathname, '/ml/flow/');
    await page.goto(`http://127.0.0.1:${prefixed.port}/ml/flow`); // the prefix without its slash
    await page.locator('#experiments').getByText('prefixed').waitFor();
    assert.equal((await fetch(`http://127.0.0.1:${prefixed.port}/experiments/${exp}`)).status, 404);
    noProblems();
  } finally {
    await stopServer(prefixed);
  }
});

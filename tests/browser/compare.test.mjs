// Browser test of the compare page (web/src/pages/compare.ts) and the
// multi-run chart (web/src/chart.ts): seeds 3 runs with differing params and
// metric histories, opens compare?runs=..., and checks the highlighted
// differences, the best metric, a chart with all 3 runs, smoothing, drag to
// zoom (a finer sample is fetched) and double-click reset, the scatter plot,
// parallel coordinates with hover, links back to the runs and a deep link
// that restores every choice. Any console error fails the test. Screenshots
// go to $MLFLOWC_SCREENSHOTS (default build/ui-screenshots/).

import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import path from 'node:path';
import { startServer, stopServer, apiOf, openBrowser, SHOTS } from './harness.mjs';

const T0 = 1714000000000;
const STEPS = 3000; // more than the chart's 1000-point sample, so zooming fetches finer points
const RUNS = [
  { name: 'alpha', params: { lr: '0.1', optimizer: 'adam', layers: '2', activation: 'relu' }, scale: 3 },
  { name: 'beta', params: { lr: '0.01', optimizer: 'adam', layers: '3', activation: 'tanh' }, scale: 2 },
  { name: 'gamma', params: { lr: '0.001', optimizer: 'adam', activation: 'relu' }, scale: 1 },
];
// a noisy decreasing loss; the smallest latest loss is gamma's
const lossAt = (r, s) => RUNS[r].scale / (1 + s / 100) + 0.05 * Math.sin(s * 1.7 + r);
const accAt = (r, s) => Number((s / 100 * (0.5 + r / 10)).toFixed(4));

let srv, exp, ids, browser, page;

async function seed() {
  const call = apiOf(srv);
  ({ experiment_id: exp } = await call('POST', 'experiments/create', { name: 'compare-demo' }));
  ids = [];
  for (const [r, spec] of RUNS.entries()) {
    const { run } = await call('POST', 'runs/create', { experiment_id: exp, run_name: spec.name, start_time: T0 + r * 60000 });
    ids.push(run.info.run_id);
    const hist = [];
    for (let s = 0; s < STEPS; s++) hist.push({ key: 'loss', value: lossAt(r, s), timestamp: T0 + r * 60000 + s * 1000, step: s });
    for (let s = 0; s < 100; s++) hist.push({ key: 'acc', value: accAt(r, s), timestamp: T0 + r * 60000 + s * 1000, step: s });
    const params = Object.entries(spec.params).map(([key, value]) => ({ key, value }));
    await call('POST', 'runs/log-batch', { run_id: run.info.run_id, params });
    for (let k = 0; k < hist.length; k += 1000) await call('POST', 'runs/log-batch', { run_id: run.info.run_id, metrics: hist.slice(k, k + 1000) });
  }
}

before(async () => {
  srv = await startServer();
  await seed();
  browser = await openBrowser({ viewport: { width: 1366, height: 900 } });
  page = browser.page;
});

after(async () => {
  await browser?.close();
  await stopServer(srv);
});

const url = (p = '') => `http://127.0.0.1:${srv.port}/${p}`;
const shot = (name, fullPage = false) => browser.shot(name, fullPage);
const noProblems = () => browser.noProblems();
const lossChart = () => page.locator('#compare-charts .chart[data-key="loss"]');
const attr = (loc, name) => loc.getAttribute(name);
const linePoints = async () => (await attr(lossChart(), 'data-line-points')).split(',').map(Number);

test('params and metrics side by side: differences and best values', async () => {
  await page.goto(url(`compare?runs=${ids.join(',')}`));
  await page.locator('#compare-params').waitFor();
  assert.equal(await page.locator('h1').textContent(), 'Comparing 3 runs');
  const heads = await page.locator('#compare-overview thead th.run-col').allTextContents();
  assert.deepEqual(heads, ['alpha', 'beta', 'gamma']);
  // crumbs: back to the experiment
  await page.locator('#crumbs a', { hasText: 'compare-demo' }).waitFor(); // the name arrives after the runs
  const expCell = page.locator('#compare-overview tbody tr').first().locator('a').first();
  assert.equal(await expCell.getAttribute('href'), `experiments/${exp}`);
  assert.equal(await expCell.textContent(), 'compare-demo');

  const rowClass = (k) => page.locator(`#compare-params tr[data-key="${k}"]`).getAttribute('class');
  assert.equal(await rowClass('lr'), 'diff');
  assert.equal(await rowClass('layers'), 'diff', 'a value missing in one run is a difference');
  assert.equal(await rowClass('activation'), 'diff');
  assert.equal(await rowClass('optimizer'), 'same');
  assert.deepEqual(await page.locator('#compare-params tr[data-key="layers"] td').allTextContents(), ['2', '3', '—']);

  // latest loss: gamma's is the smallest (lower is better); latest acc: gamma's is the largest
  const best = async (k) => page.locator(`#compare-metrics tr[data-key="${k}"] td.best`).evaluate((td) => td.cellIndex);
  assert.equal(await best('loss'), 2 + 2, 'gamma column (after the checkbox and name cells)');
  assert.equal(await best('acc'), 2 + 2);
  assert.equal(await page.locator('#compare-metrics td.best').count(), 2);

  await page.check('#only-diff');
  await page.waitForURL((u) => u.searchParams.get('diff') === '1');
  assert.equal(await page.locator('#compare-params tr[data-key="optimizer"]').isHidden(), true);
  assert.equal(await page.locator('#compare-params tr[data-key="lr"]').isVisible(), true);
  await shot('20-compare.png', true);
  await page.uncheck('#only-diff');
  assert.equal(await page.locator('#compare-params tr[data-key="optimizer"]').isVisible(), true);
  noProblems();
});

test('chart: every run, smoothing, drag to zoom, double-click reset', async () => {
  // acc is charted by default (the first key); add loss
  await page.locator('#compare-charts .chart[data-key="acc"][data-state="full"] canvas').waitFor();
  await page.check('#compare-metrics input[data-metric="loss"]');
  await page.waitForURL((u) => u.searchParams.getAll('metric').includes('loss'));
  await page.locator('#compare-charts .chart[data-key="loss"][data-state="full"] canvas').waitFor();
  const full = await linePoints();
  assert.equal(full.length, 3, 'one line per run');
  for (const n of full) assert.ok(n > 900 && n < 1100, `a server-side sample of ~1000 of ${STEPS} points (${n})`);
  const legend = await lossChart().locator('.u-legend tr.u-series').evaluateAll((rows) =>
    rows.filter((r) => r.style.display !== 'none').map((r) => r.textContent));
  for (const name of ['alpha', 'beta', 'gamma']) assert.ok(legend.some((t) => t.includes(name)), `legend names ${name}: ${legend}`);
  const acc = (await attr(page.locator('#compare-charts .chart[data-key="acc"]'), 'data-line-points')).split(',').map(Number);
  assert.deepEqual(acc, [100, 100, 100]);

  // smoothing redraws the same points as a moving average (the raw lines stay, faint)
  const canvas = lossChart().locator('canvas');
  const before = await canvas.screenshot();
  await page.locator('#cmp-smooth').fill('0.95');
  await page.waitForURL((u) => u.searchParams.get('smooth') === '0.95');
  await page.waitForFunction(() => document.querySelectorAll('#compare-charts .chart[data-key="loss"] .u-legend tr.u-series').length === 7);
  const smoothed = await canvas.screenshot();
  assert.notDeepEqual(smoothed, before, 'smoothing changed the drawn lines');
  assert.equal(await lossChart().locator('.u-legend tr.u-series:visible').count(), 4, 'raw lines are not in the legend');
  await page.uncheck('#cmp-raw');
  await page.waitForFunction(() => document.querySelectorAll('#compare-charts .chart[data-key="loss"] .u-legend tr.u-series').length === 4);
  assert.notDeepEqual(await canvas.screenshot(), smoothed, 'without the raw lines');
  await lossChart().screenshot({ path: path.join(SHOTS, '21-compare-smoothed.png') });
  await page.check('#cmp-raw');
  await page.locator('#cmp-smooth').fill('0');
  await page.waitForURL((u) => !u.searchParams.has('smooth'));

  // drag across the middle fifth: the x range narrows and a finer sample comes in
  const x0 = Number(await attr(lossChart(), 'data-xmin')), x1 = Number(await attr(lossChart(), 'data-xmax'));
  assert.equal(x0, 0);
  assert.equal(x1, STEPS - 1);
  const over = lossChart().locator('.u-over');
  const drag = async (from, to) => {
    const box = await over.boundingBox();
    const y = box.y + box.height / 2;
    await page.mouse.move(box.x + box.width * from, y);
    await page.mouse.down();
    await page.mouse.move(box.x + box.width * (from + to) / 2, y, { steps: 5 });
    await page.mouse.move(box.x + box.width * to, y, { steps: 5 });
    await page.mouse.up();
  };
  await drag(0.4, 0.6);
  await page.locator('#compare-charts .chart[data-key="loss"][data-state="zoomed"] canvas').waitFor();
  const z0 = Number(await attr(lossChart(), 'data-xmin')), z1 = Number(await attr(lossChart(), 'data-xmax'));
  assert.ok(z0 > 0.3 * STEPS && z1 < 0.7 * STEPS && z1 - z0 < 0.3 * STEPS, `zoomed to [${z0}, ${z1}]`);
  const zoomed = await linePoints();
  zoomed.forEach((n, i) => assert.ok(n > full[i] + 300, `every step inside the zoomed range is drawn (${n} > ${full[i]})`));
  await lossChart().screenshot({ path: path.join(SHOTS, '22-compare-zoomed.png') });

  await over.dblclick();
  await page.locator('#compare-charts .chart[data-key="loss"][data-state="full"] canvas').waitFor();
  assert.equal(Number(await attr(lossChart(), 'data-xmin')), 0);
  assert.equal(Number(await attr(lossChart(), 'data-xmax')), STEPS - 1);
  assert.deepEqual(await linePoints(), full);

  // the x axis and the log scale redraw without losing the runs
  await page.selectOption('#cmp-x', 'relative');
  await lossChart().locator('.u-legend', { hasText: 'seconds since start' }).waitFor();
  await page.check('#cmp-log');
  await page.waitForURL((u) => u.searchParams.get('x') === 'relative' && u.searchParams.get('log') === '1');
  assert.deepEqual(await linePoints(), full);
  // zoom on a time axis: the range maps back to steps, and the finer sample comes in too
  await drag(0.2, 0.3);
  await page.locator('#compare-charts .chart[data-key="loss"][data-state="zoomed"] canvas').waitFor();
  (await linePoints()).forEach((n, i) => assert.ok(n > full[i] + 100, `finer points on a time axis (${n} > ${full[i]})`));
  await over.dblclick();
  await page.locator('#compare-charts .chart[data-key="loss"][data-state="full"] canvas').waitFor();
  await page.selectOption('#cmp-x', 'step');
  await page.uncheck('#cmp-log');
  noProblems();
});

test('scatter plot and parallel coordinates', async () => {
  await page.selectOption('#scatter-x', 'p:lr');
  await page.selectOption('#scatter-y', 'm:loss');
  await page.waitForURL((u) => u.searchParams.get('sx') === 'p:lr' && u.searchParams.get('sy') === 'm:loss');
  await page.locator('#scatter[data-points="3"] canvas').waitFor();
  assert.equal(await page.locator('#scatter .u-legend tr.u-series').count(), 4);
  // a non-numeric param becomes categories
  await page.selectOption('#scatter-x', 'p:activation');
  await page.locator('#scatter[data-points="3"][data-x-categories="relu,tanh"] canvas').waitFor();
  await page.locator('#scatter').screenshot({ path: path.join(SHOTS, '23-compare-scatter.png') });
  // a param only two runs have: two points
  await page.selectOption('#scatter-x', 'p:layers');
  await page.locator('#scatter[data-points="2"]').waitFor();

  await page.locator('#parallel svg').waitFor();
  assert.equal(await page.locator('#parallel path.pc-line').count(), 3);
  const axes = await page.locator('#pc-axes .chip').evaluateAll((xs) => xs.map((x) => x.dataset.field));
  assert.ok(axes.includes('p:lr') && axes.includes('m:acc'), `default axes: differing params, charted metrics (${axes})`);
  await page.selectOption('#pc-add', 'm:loss');
  await page.waitForURL((u) => u.searchParams.getAll('pc').includes('m:loss'));
  assert.equal(await page.locator('#parallel .pc-label').count(), axes.length + 1);
  assert.equal(await page.locator('#parallel path.pc-line').count(), 3);
  // hover the middle of beta's first segment
  const d = await page.locator(`#parallel .pc-run[data-run="${ids[1]}"] .pc-hit`).getAttribute('d');
  const [[ax, ay], [bx, by]] = [...d.matchAll(/[ML]([\d.]+),([\d.]+)/g)].map((m) => [Number(m[1]), Number(m[2])]);
  const svgBox = await page.locator('#parallel svg').boundingBox();
  await page.mouse.move(svgBox.x + (ax + bx) / 2, svgBox.y + (ay + by) / 2);
  await page.locator('#pc-hover', { hasText: 'beta' }).waitFor();
  assert.match(await page.locator('#pc-hover').textContent(), /lr = 0\.01/);
  await page.locator('#parallel').screenshot({ path: path.join(SHOTS, '24-compare-parallel.png') });
  // remove an axis
  await page.locator('#pc-axes .chip[data-field="m:loss"] button[aria-label="Remove loss"]').click();
  await page.waitForURL((u) => !u.searchParams.getAll('pc').includes('m:loss'));
  noProblems();
});

test('deep link restores every choice; links lead to the runs', async () => {
  const q = new URLSearchParams({ runs: ids.join(','), diff: '1', smooth: '0.5', x: 'relative', log: '1', sx: 'p:lr', sy: 'm:acc' });
  q.append('metric', 'loss');
  q.append('pc', 'm:loss');
  q.append('pc', 'p:activation');
  await page.goto(url(`compare?${q}`));
  await page.locator('#compare-charts .chart[data-key="loss"][data-state="full"] canvas').waitFor();
  assert.equal(await page.locator('#compare-charts .chart').count(), 1, 'only the linked metric is charted');
  assert.equal(await page.locator('#cmp-smooth').inputValue(), '0.5');
  assert.equal(await page.locator('#cmp-x').inputValue(), 'relative');
  assert.equal(await page.locator('#cmp-log').isChecked(), true);
  assert.equal(await page.locator('#only-diff').isChecked(), true);
  assert.equal(await page.locator('#compare-params tr[data-key="optimizer"]').isHidden(), true);
  assert.equal(await page.locator('#compare-metrics input[data-metric="loss"]').isChecked(), true);
  assert.equal(await page.locator('#compare-metrics input[data-metric="acc"]').isChecked(), false);
  assert.equal(await page.locator('#scatter-x').inputValue(), 'p:lr');
  assert.equal(await page.locator('#scatter-y').inputValue(), 'm:acc');
  await page.locator('#scatter[data-points="3"] canvas').waitFor();
  assert.deepEqual(await page.locator('#pc-axes .chip').evaluateAll((xs) => xs.map((x) => x.dataset.field)), ['m:loss', 'p:activation']);
  assert.equal(await page.locator('#parallel path.pc-line').count(), 3);
  assert.equal((await linePoints()).length, 3);
  await shot('25-compare-deep-link.png', true);

  // a run's name leads to its page; back returns to the comparison
  await page.locator('#compare-overview thead a', { hasText: 'beta' }).click();
  await page.waitForURL((u) => u.pathname === `/runs/${ids[1]}`); // the run page may add ?metric=
  await page.locator('#overview').getByText(ids[1], { exact: true }).waitFor();
  await page.goBack();
  await page.locator('#compare-charts .chart[data-key="loss"][data-state="full"] canvas').waitFor();
  assert.equal(await page.locator('#cmp-smooth').inputValue(), '0.5');
  noProblems();
});

test('no runs chosen: a hint, not an error', async () => {
  await page.goto(url('compare'));
  await page.locator('.page.compare', { hasText: 'No runs chosen' }).waitFor();
  noProblems();
});

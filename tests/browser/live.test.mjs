// Browser test of the UI's live updates: runs created through the REST API
// while an experiment's runs table is open appear without a reload (at the
// top in the default order, with the rows in view kept in place when the
// user has scrolled down; behind a "N new runs" button in any other order),
// the poll keeps the user's filter and stops while the tab is hidden; a
// RUNNING run's page shows artifacts uploaded through the artifact proxy
// (open folders and the chosen file stay); the run page's smoothing slider
// redraws without a fetch and is kept in the URL. Any console error fails.

import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { startServer, stopServer, apiOf, openBrowser, sleep } from './harness.mjs';

const T0 = 1714000000000;
const SEEDED = 60; // more rows than the table shows: it can scroll
const ROW_H = 28; // runs.ts

let srv, call, browser, page;

before(async () => {
  srv = await startServer();
  call = apiOf(srv);
  browser = await openBrowser({ prefix: 'live-' });
  page = browser.page;
});

after(async () => {
  await browser?.close();
  await stopServer(srv);
});

const url = (p = '') => `http://127.0.0.1:${srv.port}/${p}`;
const noProblems = () => browser.noProblems();
const runRow = (id) => page.locator(`.vt-row[data-run-id="${id}"]`);
const statusIs = (text) => page.waitForFunction((t) => document.querySelector('.footer .status')?.textContent === t,
  text, { timeout: 20000 });

/**
 * Creates a run; without a given start_time it starts now, as MLflow's clients
 * say (the REST API itself stores 0), a few ms after the last one.
 */
async function newRun(exp, name, extra = {}) {
  if (!extra.start_time) await sleep(5);
  return (await call('POST', 'runs/create', { experiment_id: exp, run_name: name, start_time: Date.now(), ...extra })).run.info.run_id;
}

async function upload(runId, name, body) {
  const { run } = await call('GET', `runs/get?run_id=${runId}`);
  const where = run.info.artifact_uri.replace(/^mlflow-artifacts:\/+/, ''); // <exp>/<run>/artifacts
  const res = await fetch(`http://127.0.0.1:${srv.port}/api/2.0/mlflow-artifacts/artifacts/${where}/${name}`, { method: 'PUT', body });
  assert.equal(res.status, 200, `upload ${name}: ${await res.text()}`);
}

/** The run row at the top edge of the table's body, and where it is on screen. */
const firstVisible = () => page.evaluate(() => {
  const vt = document.querySelector('#runs-table');
  const box = vt.getBoundingClientRect();
  const headH = vt.querySelector('.vt-head').getBoundingClientRect().height;
  const row = document.elementFromPoint(box.left + box.width / 2, box.top + headH + 3)?.closest('.vt-row');
  return row ? { id: row.dataset.runId, top: row.getBoundingClientRect().top } : null;
});

let tableExp; // the experiment of the runs-table tests
const seededIds = [];

test('runs table: new runs appear at the top without a reload; rows in view stay put', async () => {
  tableExp = (await call('POST', 'experiments/create', { name: 'live-table' })).experiment_id;
  for (let i = 0; i < SEEDED; i++) {
    const id = await newRun(tableExp, `r${String(i).padStart(2, '0')}`, { start_time: T0 + i * 1000 });
    await call('POST', 'runs/update', { run_id: id, status: 'FINISHED', end_time: T0 + i * 1000 + 500 });
    seededIds.push(id);
  }
  await page.goto(url(`experiments/${tableExp}`));
  await statusIs(`${SEEDED} runs`);
  await runRow(seededIds[SEEDED - 1]).waitFor();
  await runRow(seededIds[SEEDED - 2]).locator('.pick').click(); // a checked run stays checked
  await page.evaluate(() => { window.__samePage = true; });

  // at the top: the new runs show as the first rows, newest first
  const a = await newRun(tableExp, 'new-a');
  const b = await newRun(tableExp, 'new-b');
  await statusIs(`${SEEDED + 2} runs`);
  assert.equal(await runRow(b).getAttribute('data-index'), '0');
  assert.equal(await runRow(a).getAttribute('data-index'), '1');
  assert.equal(await runRow(seededIds[SEEDED - 1]).getAttribute('data-index'), '2');
  assert.equal(await runRow(seededIds[SEEDED - 2]).getAttribute('aria-selected'), 'true', 'the check mark stays');
  assert.match(await page.locator('#compare-runs').textContent(), /\(1\)/);
  assert.equal(await runRow(a).locator('.td.st-RUNNING').count(), 1);
  await browser.shot('01-new-runs-on-top.png');

  // scrolled down: new runs go in above, out of sight; the rows in view do not move
  await page.locator('#runs-table').evaluate((vt) => { vt.scrollTop = 20 * 28 + 11; });
  await page.waitForFunction(() => document.elementFromPoint(10, 10) && document.querySelector('.vt-row[data-index="25"]'));
  const before = await firstVisible();
  assert.ok(before, 'a row is at the top of the table');
  const scrollBefore = await page.locator('#runs-table').evaluate((vt) => vt.scrollTop);
  const later = [];
  for (let k = 0; k < 3; k++) later.push(await newRun(tableExp, `new-c${k}`));
  await statusIs(`${SEEDED + 5} runs`);
  await page.evaluate(() => new Promise((r) => requestAnimationFrame(() => requestAnimationFrame(r))));
  const after = await firstVisible();
  console.log(`first visible row before ${JSON.stringify(before)} after ${JSON.stringify(after)}`);
  assert.equal(after.id, before.id, 'the first visible row is the same run');
  assert.ok(Math.abs(after.top - before.top) < 1, `and at the same place (${before.top} -> ${after.top})`);
  assert.equal(await page.locator('#runs-table').evaluate((vt) => vt.scrollTop), scrollBefore + 3 * ROW_H);
  await browser.shot('02-scrolled-stays.png');

  // back at the top, the runs added while scrolled down are there, newest first
  await page.locator('#runs-table').evaluate((vt) => { vt.scrollTop = 0; });
  await runRow(later[2]).waitFor();
  const order = await page.$$eval('.vt-row', (rs) => rs.sort((x, y) => x.dataset.index - y.dataset.index).slice(0, 5)
    .map((r) => r.dataset.runId));
  assert.deepEqual(order, [...[...later].reverse(), b, a]);
  // loading the next pages (offsets moved by the new runs) brings no duplicates
  await page.locator('#runs-table').evaluate((vt) => { vt.scrollTop = vt.scrollHeight; });
  await runRow(seededIds[0]).waitFor();
  const ids = await page.$$eval('.vt-row', (rs) => rs.map((r) => r.dataset.runId));
  assert.equal(new Set(ids).size, ids.length);
  assert.equal(await page.evaluate(() => window.__samePage), true, 'no reload happened');
  noProblems();
});

test('runs table: in another order, a "new runs" button reloads the table', async () => {
  await page.goto(url(`experiments/${tableExp}`));
  await page.locator('.vt-head .th[data-col="a:run_name"]').click();
  await page.waitForURL((u) => u.searchParams.get('sort') === 'a:run_name');
  await page.locator('.vt-row[data-index="0"]', { hasText: 'new-a' }).waitFor();
  const total = await page.locator('.footer .status').textContent();
  await page.evaluate(() => { window.__samePage = true; });
  const x = await newRun(tableExp, 'a-first');
  await page.locator('#new-runs', { hasText: '1 new run — refresh' }).waitFor({ timeout: 20000 });
  await newRun(tableExp, 'a-second');
  await page.locator('#new-runs', { hasText: '2 new runs — refresh' }).waitFor({ timeout: 20000 });
  assert.equal(await page.locator('.footer .status').textContent(), total, 'the table itself is unchanged');
  assert.equal(await runRow(x).count(), 0);
  await browser.shot('03-new-runs-notice.png');
  await page.click('#new-runs');
  await page.locator('.vt-row[data-index="0"]', { hasText: 'a-first' }).waitFor();
  await page.locator('.vt-row[data-index="1"]', { hasText: 'a-second' }).waitFor();
  assert.ok(await page.locator('#new-runs').isHidden());
  assert.equal(new URL(page.url()).searchParams.get('sort'), 'a:run_name', 'the order stays');
  assert.equal(await page.evaluate(() => window.__samePage), true, 'the table reloaded, not the page');
  noProblems();
});

test('runs table: the poll keeps the filter and rests while the tab is hidden', async () => {
  const exp = (await call('POST', 'experiments/create', { name: 'live-filter' })).experiment_id;
  const old = await newRun(exp, 'old-keep', { start_time: T0, tags: [{ key: 'kind', value: 'keep' }] });
  await page.goto(url(`experiments/${exp}?filter=${encodeURIComponent("tags.kind = 'keep'")}`));
  await runRow(old).waitFor();
  const drop = await newRun(exp, 'new-drop', { tags: [{ key: 'kind', value: 'drop' }] });
  const keep = await newRun(exp, 'new-keep', { tags: [{ key: 'kind', value: 'keep' }] });
  await runRow(keep).waitFor({ timeout: 20000 });
  await statusIs('2 runs');
  assert.equal(await runRow(drop).count(), 0, 'a run the filter excludes stays out');

  // hidden: no request; shown again: the run created meanwhile arrives
  const searches = [];
  const onRequest = (r) => { if (r.url().includes('runs/search')) searches.push(r.url()); };
  page.on('request', onRequest);
  await page.evaluate(() => {
    Object.defineProperty(document, 'visibilityState', { configurable: true, get: () => 'hidden' });
    document.dispatchEvent(new Event('visibilitychange'));
  });
  const hiddenRun = await newRun(exp, 'while-hidden', { tags: [{ key: 'kind', value: 'keep' }] });
  await sleep(9000); // two poll periods and more
  assert.deepEqual(searches, [], 'no runs/search while the tab is hidden');
  assert.equal(await runRow(hiddenRun).count(), 0);
  await page.evaluate(() => {
    delete document.visibilityState; // back to the prototype's getter
    document.dispatchEvent(new Event('visibilitychange'));
  });
  await runRow(hiddenRun).waitFor({ timeout: 20000 });
  page.off('request', onRequest);
  await statusIs('3 runs');
  noProblems();
});

test('run page: a RUNNING run shows new artifacts without a reload, keeping open folders and the chosen file', async () => {
  const exp = (await call('POST', 'experiments/create', { name: 'live-artifacts' })).experiment_id;
  const rid = await newRun(exp, 'uploading');
  await upload(rid, 'first.txt', 'first\n');
  await upload(rid, 'logs/epoch-1.txt', 'epoch one\n');
  await page.goto(url(`runs/${rid}?artifact=${encodeURIComponent('logs/epoch-1.txt')}`));
  await page.locator('#artifact-preview', { hasText: 'epoch one' }).waitFor();
  assert.equal(await page.locator('[data-path="logs"]').getAttribute('aria-expanded'), 'true');
  await page.evaluate(() => { window.__samePage = true; });

  await upload(rid, 'second.txt', 'second\n');
  await upload(rid, 'logs/epoch-2.txt', 'epoch two\n');
  await upload(rid, 'plots/loss.csv', 'step,loss\n0,1\n');
  await page.locator('#artifact-tree [data-path="second.txt"]').waitFor({ timeout: 20000 });
  await page.locator('#artifact-tree [data-path="logs/epoch-2.txt"]').waitFor({ timeout: 20000 });
  await page.locator('#artifact-tree [data-path="plots"]').waitFor({ timeout: 20000 });
  // folders first, then files, each by name
  const top = await page.$$eval('#artifact-tree > li > .tree-item > button', (bs) => bs.map((b) => b.dataset.path));
  assert.deepEqual(top, ['logs', 'plots', 'first.txt', 'second.txt']);
  assert.equal(await page.locator('[data-path="logs"]').getAttribute('aria-expanded'), 'true', 'the open folder stays open');
  assert.ok(await page.locator('[data-path="logs/epoch-1.txt"]').evaluate((b) => b.classList.contains('current')), 'the chosen file stays chosen');
  assert.match(await page.locator('#artifact-preview').textContent(), /epoch one/);
  assert.equal(new URL(page.url()).searchParams.get('artifact'), 'logs/epoch-1.txt');
  // a file that grew shows its new size
  await upload(rid, 'first.txt', 'first\n'.repeat(400));
  await page.locator('[data-path="first.txt"] small', { hasText: '2.3 KB' }).waitFor({ timeout: 20000 });
  await browser.shot('04-artifacts-live.png', true);
  // the run ends: the last refresh still lists what was uploaded before it
  await upload(rid, 'final.txt', 'done\n');
  await call('POST', 'runs/update', { run_id: rid, status: 'FINISHED', end_time: Date.now() });
  await page.locator('#run-status', { hasText: 'FINISHED' }).waitFor({ timeout: 20000 });
  await page.locator('#artifact-tree [data-path="final.txt"]').waitFor();
  assert.equal(await page.evaluate(() => window.__samePage), true, 'no reload happened');
  noProblems();
});

test('run page: smoothing redraws the line without a fetch and is kept in the URL', async () => {
  const exp = (await call('POST', 'experiments/create', { name: 'live-smooth' })).experiment_id;
  const rid = await newRun(exp, 'noisy', { start_time: T0 });
  const metrics = Array.from({ length: 300 }, (_, s) => ({ key: 'loss', value: 1 / (1 + s / 30) + ((s * 7919) % 13) / 40,
    timestamp: T0 + s * 1000, step: s }));
  await call('POST', 'runs/log-batch', { run_id: rid, metrics });
  await call('POST', 'runs/update', { run_id: rid, status: 'FINISHED', end_time: T0 + 400000 });
  await page.goto(url(`runs/${rid}`));
  const canvas = page.locator('#metric-chart canvas');
  await page.waitForSelector('#metric-chart[data-points="300"] canvas');
  const raw = await canvas.screenshot();

  const fetches = [];
  const onRequest = (r) => { if (r.url().includes('get-history')) fetches.push(r.url()); };
  page.on('request', onRequest);
  await page.locator('#chart-smooth').fill('0.9');
  await page.waitForURL((u) => u.searchParams.get('smooth') === '0.9');
  assert.equal(await page.locator('output[for="chart-smooth"]').textContent(), '0.90');
  await page.waitForSelector('#metric-chart[data-state="full"][data-points="300"] canvas');
  await page.evaluate(() => new Promise((r) => requestAnimationFrame(() => requestAnimationFrame(r))));
  const smoothed = await canvas.screenshot();
  assert.notDeepEqual(smoothed, raw, 'smoothing changed the drawn line');
  assert.equal(await page.locator('#metric-chart .u-legend', { hasText: 'loss (raw)' }).count(), 1, 'the raw line is a series');
  page.off('request', onRequest);
  assert.deepEqual(fetches, [], 'smoothing redraws the points already fetched');
  await browser.shot('05-run-smoothed.png', true);

  // a reload keeps the choice
  await page.reload();
  await page.waitForSelector('#metric-chart[data-points="300"] canvas');
  assert.equal(await page.locator('#chart-smooth').inputValue(), '0.9');
  assert.equal(await page.locator('output[for="chart-smooth"]').textContent(), '0.90');
  assert.deepEqual(await canvas.screenshot(), smoothed, 'the reloaded chart is drawn smoothed');
  // back to 0: the parameter leaves the URL and the raw line is drawn again
  await page.locator('#chart-smooth').fill('0');
  await page.waitForURL((u) => !u.searchParams.has('smooth'));
  await page.evaluate(() => new Promise((r) => requestAnimationFrame(() => requestAnimationFrame(r))));
  assert.deepEqual(await canvas.screenshot(), raw, 'unsmoothed again');
  noProblems();
});

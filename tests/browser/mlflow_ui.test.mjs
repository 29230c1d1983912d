// Browser test of the UI as a user of MLflow's own UI expects it, on data
// shaped as MLflow's autologging leaves it: a sweep (a parent run with child
// runs tagged mlflow.parentRunId), dataset inputs, metrics logged once and
// metrics with a history, a logged model directory with an input example.
// Checks: every URL form of MLflow's UI (2.x/3.x hash routes, 3.x paths)
// opens the page it names; child runs are grouped under their parent in the
// runs table (expand/collapse) and linked both ways on the run page; the
// run page shows dataset inputs; a one-point metric is a bar with its value
// and the default chart has a history; the runs table's created time, full
// header names on hover, resizable columns, tag columns; "Register model"
// from the run page into a new and an existing model; the version page's
// input example; tick labels never repeat; parallel-coordinate labels do
// not overlap. Any console error fails the test. Screenshots: mlflow-*.png.

import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { startServer, stopServer, apiOf, openBrowser } from './harness.mjs';

let srv, call, browser, page, S;
let allowHttpErrors = false; // the browser logs every 4xx answer; the bad-input steps expect one

const LONG_METRIC = 'validation_weighted_f1_score_macro_average';
const LONG_PARAM = 'preprocessing_pipeline_scaler_with_mean_and_std';

const MLMODEL = `artifact_path: model
flavors:
  python_function:
    loader_module: mlflow.sklearn
    model_path: model.pkl
    python_version: 3.10.12
  sklearn:
    pickled_model: model.pkl
    sklearn_version: 1.3.0
mlflow_version: 2.9.2
model_uuid: 0a1b2c3d4e5f
run_id: RUNID
saved_input_example_info:
  artifact_path: input_example.json
  pandas_orient: split
  type: dataframe
signature:
  inputs: '[{"type": "double", "name": "sepal length (cm)", "required": true}, {"type": "double", "name": "petal width (cm)", "required": true}]'
  outputs: '[{"type": "tensor", "tensor-spec": {"dtype": "int64", "shape": [-1]}}]'
  params: null
utc_time_created: '2024-04-25 10:00:00.123456'
`;
const INPUT_EXAMPLE = JSON.stringify({ columns: ['sepal length (cm)', 'petal width (cm)'], data: [[5.1, 0.2], [6.7, 2.3]] });

async function upload(runId, name, body) {
  const { run } = await call('GET', `runs/get?run_id=${runId}`);
  const where = run.info.artifact_uri.replace(/^mlflow-artifacts:\/+/, '');
  const res = await fetch(`http://127.0.0.1:${srv.port}/api/2.0/mlflow-artifacts/artifacts/${where}/${name}`, { method: 'PUT', body });
  assert.equal(res.status, 200, `upload ${name}: ${await res.text()}`);
}

async function seed() {
  const now = Date.now();
  const exp = (await call('POST', 'experiments/create', { name: 'autolog-sweep' })).experiment_id;
  const mk = async (name, start, tags = []) => (await call('POST', 'runs/create',
    { experiment_id: exp, run_name: name, start_time: start, tags })).run.info.run_id;
  const parent = await mk('sweep', now - 65000, [{ key: 'team', value: 'vision' }]);
  // the parent: a history (loss) and metrics logged once (accuracy sorts first)
  await call('POST', 'runs/log-batch', { run_id: parent,
    metrics: [...Array.from({ length: 10 }, (_, s) => ({ key: 'loss', value: 1 / (s + 1), timestamp: now - 60000 + s, step: s })),
      { key: 'accuracy', value: 0.93, timestamp: now - 50000, step: 0 },
      { key: LONG_METRIC, value: 0.91, timestamp: now - 50000, step: 0 },
      // a history whose values differ in the 5th decimal: uPlot's default labels read "0.123" at every tick
      ...Array.from({ length: 5 }, (_, s) => ({ key: 'tiny', value: 0.12341 + s * 0.00001, timestamp: now - 60000 + s, step: s }))],
    params: [{ key: 'n_estimators', value: '100' }] });
  await call('POST', 'runs/log-inputs', { run_id: parent, datasets: [{
    tags: [{ key: 'mlflow.data.context', value: 'training' }],
    dataset: { name: 'iris', digest: 'd3adb33f', source_type: 'local', source: JSON.stringify({ uri: '/data/iris.csv' }),
      schema: JSON.stringify({ mlflow_colspec: [{ type: 'double', name: 'sepal length (cm)' }, { type: 'long', name: 'target' }] }),
      profile: JSON.stringify({ num_rows: 150, num_elements: 600 }) },
  }] });
  await upload(parent, 'model/MLmodel', MLMODEL.replace('RUNID', parent));
  await upload(parent, 'model/input_example.json', INPUT_EXAMPLE);
  await upload(parent, 'model/model.pkl', Buffer.from([0x80, 0x04, 0x95, 0]));
  const children = [];
  for (let i = 0; i < 3; i++) {
    const id = await mk(`trial-${i}`, now - 40000 + i * 1000, [{ key: 'mlflow.parentRunId', value: parent }]);
    await call('POST', 'runs/log-batch', { run_id: id,
      metrics: [{ key: 'training_score', value: 0.8 + i * 0.05, timestamp: now - 30000, step: 0 }],
      params: [{ key: 'max_depth', value: String(i + 2) }, { key: 'criterion', value: `criterion_option_${i}` },
        { key: LONG_PARAM, value: String(i % 2 === 0) }] });
    await call('POST', 'runs/update', { run_id: id, status: 'FINISHED', end_time: now - 20000 });
    children.push(id);
  }
  // a dataset as a client may send it: a schema that is not JSON, no profile, an http source
  await call('POST', 'runs/log-inputs', { run_id: children[0], datasets: [{ tags: [],
    dataset: { name: 'web-data', digest: 'feed', source_type: 'http', source: JSON.stringify({ url: 'https://example.com/d.csv' }),
      schema: 'not json' } }] });
  const solo = await mk('standalone', now - 5000);
  await call('POST', 'runs/update', { run_id: parent, status: 'FINISHED', end_time: now - 10000 });
  // a registered version (for the model URL forms)
  await call('POST', 'registered-models/create', { name: 'iris-model' });
  const { run } = await call('GET', `runs/get?run_id=${parent}`);
  await call('POST', 'model-versions/create', { name: 'iris-model', source: `${run.info.artifact_uri}/model`, run_id: parent });
  return { exp, parent, children, solo };
}

before(async () => {
  srv = await startServer();
  call = apiOf(srv);
  S = await seed();
  browser = await openBrowser({ prefix: 'mlflow-', ignore: (text) => allowHttpErrors && /status of 400/.test(text) });
  page = browser.page;
});

after(async () => {
  await browser?.close();
  await stopServer(srv);
});

const url = (p = '') => `http://127.0.0.1:${srv.port}/${p}`;
const runRow = (id) => page.locator(`.vt-row[data-run-id="${id}"]`);

test('MLflow UI links: 2.x/3.x hash routes and 3.x paths open the page they name', async () => {
  const { exp, parent, children } = S;
  const runTitle = () => page.locator('.run-title h1').textContent();
  const forms = [
    // what the Python client prints after a run
    { from: `#/experiments/${exp}/runs/${parent}`, path: `/runs/${parent}`, check: async () => assert.equal(await runTitle(), 'sweep') },
    { from: `#/experiments/${exp}`, path: `/experiments/${exp}`, check: () => runRow(parent).waitFor() },
    { from: `#/experiments/${exp}/runs`, path: `/experiments/${exp}`, check: () => runRow(parent).waitFor() },
    { from: `#/experiments/${exp}/s?searchFilter=${encodeURIComponent("attributes.run_name = 'standalone'")}`, path: `/experiments/${exp}`,
      check: async () => {
        await runRow(S.solo).waitFor();
        assert.equal(await page.locator('#run-filter input').inputValue(), "attributes.run_name = 'standalone'");
      } },
    { from: `#/experiments/${exp}?searchInput=&orderByKey=${encodeURIComponent('metrics.`loss`')}&orderByAsc=true`, path: `/experiments/${exp}`,
      check: async () => {
        await runRow(parent).waitFor();
        const q = new URL(page.url()).searchParams;
        assert.deepEqual([q.get('sort'), q.get('dir')], ['m:loss', 'asc']);
        assert.equal(await page.locator('.vt-head .th[data-col="m:loss"]').getAttribute('aria-sort'), 'ascending');
      } },
    { from: `#/runs/${children[0]}`, path: `/runs/${children[0]}`, check: async () => assert.equal(await runTitle(), 'trial-0') },
    { from: `#/experiments/${exp}/runs/${parent}/overview`, path: `/runs/${parent}`, check: async () => assert.equal(await runTitle(), 'sweep') },
    { from: `#/experiments/${exp}/runs/${parent}/artifacts/model/MLmodel`, path: `/runs/${parent}`,
      check: async () => {
        await page.locator('#artifact-preview .mlmodel, #artifact-preview pre').first().waitFor();
        assert.equal(new URL(page.url()).searchParams.get('artifact'), 'model/MLmodel');
      } },
    { from: `#/experiments/${exp}/runs/${parent}/artifactPath/model/MLmodel`, path: `/runs/${parent}`,
      check: async () => assert.equal(new URL(page.url()).searchParams.get('artifact'), 'model/MLmodel') },
    { from: `#/compare-runs?runs=${encodeURIComponent(JSON.stringify(children))}&experiments=${encodeURIComponent(JSON.stringify([exp]))}`,
      path: '/compare', check: async () => {
        await page.getByRole('heading', { name: 'Comparing 3 runs' }).waitFor();
        assert.equal(new URL(page.url()).searchParams.get('runs'), children.join(','));
      } },
    { from: `#/metric/loss?runs=${encodeURIComponent(JSON.stringify([parent]))}&experiments=["${exp}"]`, path: `/runs/${parent}`,
      check: async () => assert.deepEqual(new URL(page.url()).searchParams.getAll('metric'), ['loss']) },
    { from: '#/models', path: '/models', check: () => page.locator('#models').getByRole('link', { name: 'iris-model' }).waitFor() },
    { from: '#/models/iris-model', path: '/models/iris-model', check: () => page.getByRole('heading', { name: 'iris-model', exact: true }).waitFor() },
    { from: '#/models/iris-model/serving', path: '/models/iris-model', check: () => page.getByRole('heading', { name: 'iris-model', exact: true }).waitFor() },
    { from: '#/models/iris-model/versions/1', path: '/models/iris-model/versions/1',
      check: () => page.getByRole('heading', { name: 'iris-model · Version 1' }).waitFor() },
    { from: `#/compare-model-versions?name=${encodeURIComponent('"iris-model"')}&runs=${encodeURIComponent(JSON.stringify({ [parent]: '1', [children[0]]: '2' }))}`,
      path: '/compare', check: () => page.getByRole('heading', { name: 'Comparing 2 runs' }).waitFor() },
    { from: '#/', path: '/', check: () => page.locator(`#experiments tr[data-id="${exp}"]`).waitFor() },
    // 3.x path routing: the same paths without the hash
    { from: `experiments/${exp}/runs`, path: `/experiments/${exp}`, check: () => runRow(parent).waitFor() },
    { from: `experiments/${exp}/runs/${parent}/artifacts/model/MLmodel`, path: `/runs/${parent}`,
      check: async () => assert.equal(await runTitle(), 'sweep') },
    { from: `compare-runs?runs=${encodeURIComponent(JSON.stringify(children.slice(0, 2)))}`, path: '/compare',
      check: () => page.getByRole('heading', { name: 'Comparing 2 runs' }).waitFor() },
  ];
  for (const f of forms) {
    await page.goto('about:blank');
    await page.goto(url(f.from));
    await page.waitForURL((u) => u.pathname === f.path && !u.hash, { timeout: 5000 }).catch(() => {
      throw new Error(`${f.from} should open ${f.path}, got ${page.url()}`);
    });
    await f.check();
  }
  await page.goto(url(`#/experiments/${exp}/runs/${parent}`));
  await page.locator('#metric-chart .uplot').waitFor();
  await browser.shot('01-hash-run-link.png');
  // under --static-prefix, as `<tracking_uri>/#/experiments/N/runs/ID` with a prefixed tracking URI
  const prefixed = await startServer(['--static-prefix', '/ml']);
  try {
    const c = apiOf(prefixed);
    const e = (await c('POST', 'experiments/create', { name: 'prefixed' })).experiment_id;
    const { run } = await c('POST', 'runs/create', { experiment_id: e, run_name: 'under-prefix' });
    await page.goto(`http://127.0.0.1:${prefixed.port}/ml/#/experiments/${e}/runs/${run.info.run_id}`);
    await page.waitForURL((u) => u.pathname === `/ml/runs/${run.info.run_id}` && !u.hash);
    await page.locator('.run-title h1', { hasText: 'under-prefix' }).waitFor();
  } finally {
    await stopServer(prefixed);
  }
  // an unknown route says so instead of showing the experiment list
  await page.goto('about:blank');
  await page.goto(url('#/no-such-page/1'));
  await page.locator('#not-found').waitFor();
  assert.match(await page.locator('#not-found').textContent(), /no-such-page/);
  assert.equal(await page.locator('#experiments').count(), 0);
  browser.noProblems();
});

test('parent and child runs: grouped in the runs table, linked on the run page', async () => {
  const { exp, parent, children, solo } = S;
  await page.goto(url(`experiments/${exp}`));
  await runRow(parent).waitFor();
  // collapsed: the children are behind the parent's toggle
  const toggle = runRow(parent).locator('.expander');
  assert.equal((await toggle.textContent()).trim(), '▸ 3');
  assert.equal(await toggle.getAttribute('aria-expanded'), 'false');
  for (const c of children) assert.equal(await runRow(c).count(), 0);
  await runRow(solo).waitFor();
  assert.match(await page.locator('.status').first().textContent(), /^5 runs \(3 nested under their parents\)/);
  await browser.shot('02-parent-collapsed.png');
  await toggle.click();
  await runRow(children[2]).waitFor();
  assert.equal(new URL(page.url()).pathname, `/experiments/${exp}`, 'the toggle does not open the run');
  const order = await page.$$eval('.vt-row', (rs) => rs.sort((a, b) => a.dataset.index - b.dataset.index).map((r) => r.dataset.runId));
  const at = order.indexOf(parent);
  assert.deepEqual(order.slice(at + 1, at + 4).sort(), [...children].sort(), 'the children follow their parent');
  const indent = (id) => runRow(id).locator('[data-col="a:run_name"]').evaluate((e) => parseFloat(getComputedStyle(e).paddingLeft));
  assert.ok(await indent(children[0]) > await indent(parent), 'children are indented');
  assert.equal(await runRow(parent).locator('.expander').getAttribute('aria-expanded'), 'true');
  await browser.shot('03-parent-expanded.png');
  // keyboard: ← on the parent closes it
  await page.locator('#runs-table').focus();
  for (let k = 0; k <= order.indexOf(parent); k++) await page.keyboard.press('ArrowDown');
  await page.keyboard.press('ArrowLeft');
  await runRow(children[0]).waitFor({ state: 'detached' });
  await page.keyboard.press('ArrowRight');
  await runRow(children[0]).waitFor();

  // the run page: the parent lists its children, a child links its parent
  await page.goto(url(`runs/${parent}`));
  await page.locator('#run-children tr[data-run-id]').first().waitFor();
  assert.equal(await page.locator('#run-children tr[data-run-id]').count(), 3);
  assert.match(await page.locator('#run-children h2').textContent(), /Child runs \(3\)/);
  await page.locator('#run-children').getByRole('link', { name: 'trial-1' }).click();
  await page.waitForURL((u) => u.pathname === `/runs/${children[1]}`);
  await page.locator('#run-parent', { hasText: 'sweep' }).waitFor();
  await browser.shot('04-child-run-page.png');
  await page.locator('#run-parent').click();
  await page.waitForURL((u) => u.pathname === `/runs/${parent}`);
  browser.noProblems();
});

test('run page shows dataset inputs: name, digest, context, source, schema, profile', async () => {
  await page.goto(url(`runs/${S.parent}`));
  const ds = page.locator('#run-datasets .dataset[data-name="iris"]');
  await ds.waitFor();
  assert.match(await page.locator('#run-datasets h2').textContent(), /Datasets \(1\)/);
  const text = await ds.textContent();
  for (const want of ['iris', 'd3adb33f', 'training', 'local', '/data/iris.csv', 'sepal length (cm)', 'target', 'long', 'num_rows', '150'])
    assert.ok(text.includes(want), `dataset card shows ${want}: ${text}`);
  await ds.scrollIntoViewIfNeeded();
  await browser.shot('05-datasets.png');
  // odd fields are shown as they are
  await page.goto(url(`runs/${S.children[0]}`));
  const odd = page.locator('#run-datasets .dataset[data-name="web-data"]');
  await odd.waitFor();
  const oddText = await odd.textContent();
  for (const want of ['feed', 'http', 'https://example.com/d.csv', 'not json']) assert.ok(oddText.includes(want), `${want}: ${oddText}`);
  assert.equal(await odd.locator('.ds-profile').count(), 0);
  // a run without inputs says so
  await page.goto(url(`runs/${S.solo}`));
  await page.locator('#run-datasets', { hasText: 'No dataset inputs.' }).waitFor();
  browser.noProblems();
});

test('a metric logged once is a bar with its value; the default chart has a history', async () => {
  await page.goto(url(`runs/${S.parent}`));
  await page.locator('#metric-chart .uplot').waitFor();
  // accuracy sorts first but has one point: the chart starts on loss
  assert.equal(await page.locator('input[data-metric="loss"]').isChecked(), true);
  assert.equal(await page.locator('input[data-metric="accuracy"]').isChecked(), false);
  assert.deepEqual(new URL(page.url()).searchParams.getAll('metric'), []);
  await page.locator('input[data-metric="accuracy"]').check();
  const bar = page.locator('#metric-chart .metric-bars .bar-row[data-key="accuracy"]');
  await bar.waitFor();
  assert.match(await bar.textContent(), /0\.93/);
  assert.equal(await page.locator('#metric-chart .uplot').count(), 1, 'loss stays a line chart');
  await browser.shot('06-single-step-bar.png');
  // a run whose only metric was logged once: bars, no empty axes
  await page.goto(url(`runs/${S.children[1]}`));
  await page.locator('#metric-chart .metric-bars .bar-row[data-key="training_score"]').waitFor();
  assert.equal(await page.locator('#metric-chart .uplot').count(), 0);
  assert.match(await page.locator('#metric-chart').textContent(), /0\.85/);
  // the compare page: one bar per run
  await page.goto(url(`compare?runs=${S.children.join(',')}&metric=training_score`));
  await page.locator('.metric-bars .bar-row').nth(2).waitFor();
  assert.equal(await page.locator('.compare-charts .uplot').count(), 0);
  const widths = await page.locator('.metric-bars .bar').evaluateAll((bs) => bs.map((b) => b.getBoundingClientRect().width));
  assert.ok(widths[0] < widths[1] && widths[1] < widths[2], `bars grow with the value: ${widths}`);
  await browser.shot('07-compare-bars.png');
  browser.noProblems();
});

test('runs table: created time with seconds and age, full header names, resizable columns, tag columns', async () => {
  const { exp, parent } = S;
  await page.goto(url(`experiments/${exp}?cols=m:${LONG_METRIC},m:loss`));
  await runRow(parent).waitFor();
  const created = await runRow(parent).locator('[data-col="a:start_time"]').textContent();
  assert.match(created, /\d{4}-\d\d-\d\d \d\d:\d\d:\d\d \(\d+ min ago\)/);
  const cell = runRow(parent).locator('[data-col="a:start_time"]');
  assert.ok(await cell.evaluate((e) => e.scrollWidth <= e.clientWidth), 'the created time is not cut');
  // the long metric's header: the full name on hover, a drag on its edge widens it
  const th = page.locator(`.vt-head .th[data-col="m:${LONG_METRIC}"]`);
  assert.match(await th.getAttribute('title'), new RegExp(`^metric ${LONG_METRIC}`));
  const cut = () => th.evaluate((e) => e.scrollWidth > e.clientWidth);
  assert.ok(await cut(), 'the default width cuts the long name');
  const box = await th.boundingBox();
  const grip = th.locator('.col-resize');
  const g = await grip.boundingBox();
  await page.mouse.move(g.x + g.width / 2, g.y + g.height / 2);
  await page.mouse.down();
  await page.mouse.move(g.x + 200, g.y + g.height / 2, { steps: 5 });
  await page.mouse.up();
  const after = await th.boundingBox();
  assert.ok(after.width > box.width + 150, `the column widened: ${box.width} -> ${after.width}`);
  assert.ok(!await cut(), 'the whole name shows');
  const cellBox = await runRow(parent).locator(`[data-col="m:${LONG_METRIC}"]`).boundingBox();
  assert.ok(Math.abs(cellBox.width - after.width) < 2, 'the cells follow the header');
  assert.equal(new URL(page.url()).pathname, `/experiments/${exp}`, 'the drag is no sort and no navigation');
  assert.equal(new URL(page.url()).searchParams.get('sort'), null);
  assert.match(new URL(page.url()).searchParams.get('w') || '', new RegExp(`m:${LONG_METRIC}~\\d+`));
  // the widths survive a reload
  await page.reload();
  await runRow(parent).waitFor();
  const again = await page.locator(`.vt-head .th[data-col="m:${LONG_METRIC}"]`).boundingBox();
  assert.ok(Math.abs(again.width - after.width) < 2);
  // a tag as a column, from the chooser
  await page.click('#columns-button');
  await page.fill('#column-chooser input[type=search]', 'team');
  await page.locator('#column-chooser input[data-col="t:team"]').check();
  await page.keyboard.press('Escape');
  await runRow(parent).locator('[data-col="t:team"]', { hasText: 'vision' }).waitFor();
  assert.match(new URL(page.url()).searchParams.get('cols'), /t:team/);
  await browser.shot('08-runs-table-columns.png');
  browser.noProblems();
});

test('register a logged model from the run page; the version page shows its input example', async () => {
  const { parent } = S;
  await page.goto(url(`runs/${parent}`));
  await page.locator('#register-model').click();
  await page.locator('#register-dialog').waitFor();
  assert.deepEqual(await page.locator('#register-path option').evaluateAll((os) => os.map((o) => o.value)), ['model']);
  await page.locator('#register-target option[value="iris-model"]').waitFor({ state: 'attached' });
  // bad input: no name (nothing sent), a name that is taken (the server's message; the dialog stays)
  await page.fill('#register-name', '');
  await page.locator('#register-dialog button[type=submit]').click();
  await page.locator('#register-dialog .error', { hasText: 'Give the new model a name.' }).waitFor();
  allowHttpErrors = true;
  await page.fill('#register-name', 'iris-model');
  await page.locator('#register-dialog button[type=submit]').click();
  await page.locator('#register-dialog .error', { hasText: /already exists/i }).waitFor();
  allowHttpErrors = false;
  assert.equal((await call('GET', 'registered-models/get?name=iris-model')).registered_model.latest_versions.length, 1, 'nothing registered');
  await page.fill('#register-name', 'iris-from-ui');
  await browser.shot('09-register-dialog.png');
  await page.locator('#register-dialog button[type=submit]').click();
  await page.locator('#register-done').getByRole('link', { name: 'iris-from-ui version 1' }).waitFor();
  const v1 = (await call('GET', 'model-versions/get?name=iris-from-ui&version=1')).model_version;
  assert.equal(v1.source, `runs:/${parent}/model`);
  assert.equal(v1.run_id, parent);
  // into an existing model: a new version of it
  await page.locator('#register-model').click();
  await page.locator('#register-target option[value="iris-model"]').waitFor({ state: 'attached' });
  await page.selectOption('#register-target', 'iris-model');
  assert.equal(await page.locator('#register-name').isVisible(), false);
  await page.locator('#register-dialog button[type=submit]').click();
  await page.locator('#register-done').getByRole('link', { name: 'iris-model version 2' }).click();
  await page.waitForURL((u) => u.pathname === '/models/iris-model/versions/2');
  // the version page: the input example that MLmodel names
  const table = page.locator('#version-input-example #input-example-table');
  await table.waitFor();
  assert.deepEqual(await table.locator('th').allTextContents(), ['sepal length (cm)', 'petal width (cm)']);
  assert.deepEqual(await table.locator('tbody tr').first().locator('td').allTextContents(), ['5.1', '0.2']);
  await page.locator('#version-input-example-section').scrollIntoViewIfNeeded();
  await browser.shot('10-version-input-example.png', true);
  browser.noProblems();
});

test('chart tick labels never repeat; parallel-coordinate labels do not overlap', async () => {
  await page.goto(url(`runs/${S.parent}?metric=tiny`));
  await page.locator('#metric-chart .uplot[data-ticks1]').waitFor();
  const ticks = (await page.locator('#metric-chart .uplot').getAttribute('data-ticks1')).split('|').filter(Boolean);
  assert.ok(ticks.length >= 3, `y ticks: ${ticks}`);
  assert.equal(new Set(ticks).size, ticks.length, `y tick labels repeat: ${ticks}`);
  const xt = (await page.locator('#metric-chart .uplot').getAttribute('data-ticks0')).split('|').filter(Boolean);
  assert.ok(xt.every((t) => /^\d+$/.test(t)), `the step axis ticks whole steps: ${xt}`);
  await page.locator('#metric-chart').scrollIntoViewIfNeeded();
  await browser.shot('11-tick-labels.png');

  // parallel coordinates over long names and a categorical axis
  const ids = [S.parent, ...S.children];
  const axes = ['p:criterion', 'p:max_depth', `p:${LONG_PARAM}`, `m:${LONG_METRIC}`, 'm:training_score', 'm:accuracy']
    .map((a) => `pc=${encodeURIComponent(a)}`).join('&');
  await page.goto(url(`compare?runs=${ids.join(',')}&${axes}`));
  await page.locator('.parallel svg .pc-label').nth(5).waitFor();
  const boxes = await page.locator('.parallel svg .pc-label').evaluateAll((ts) => ts.map((t) => {
    const b = t.getBoundingClientRect();
    return { l: b.left, r: b.right, t: b.top, b: b.bottom, text: t.textContent };
  }));
  const svgBox = await page.locator('.parallel svg').boundingBox();
  for (let i = 0; i < boxes.length; i++) {
    assert.ok(boxes[i].l >= svgBox.x - 1 && boxes[i].r <= svgBox.x + svgBox.width + 1, `label ${boxes[i].text} inside the plot`);
    for (let j = i + 1; j < boxes.length; j++) {
      const a = boxes[i], b = boxes[j];
      const overlap = a.l < b.r && b.l < a.r && a.t < b.b && b.t < a.b;
      assert.ok(!overlap, `axis labels overlap: ${a.text} / ${b.text}`);
    }
  }
  // tick labels (the first axis's category names too) stay inside the plot
  const ticks0 = await page.locator('.parallel svg .pc-tick-label').evaluateAll((ts) => ts.map((t) => t.getBoundingClientRect().left));
  assert.ok(ticks0.length && ticks0.every((l) => l >= svgBox.x - 1), `tick labels cut at the left edge: ${ticks0}`);
  // the full name is on hover
  assert.equal(await page.locator('.parallel svg .pc-label title').first().textContent(), 'param criterion');
  await page.locator('.parallel').scrollIntoViewIfNeeded();
  await browser.shot('12-parallel-labels.png');

  // a categorical axis with more values than fit: every k-th label, none on top of another
  const many = (await call('POST', 'experiments/create', { name: 'many-optimizers' })).experiment_id;
  const manyIds = [];
  for (let i = 0; i < 40; i++) {
    const { run } = await call('POST', 'runs/create', { experiment_id: many, run_name: `opt-${i}` });
    await call('POST', 'runs/log-batch', { run_id: run.info.run_id, params: [{ key: 'optimizer', value: `optimizer_${String(i).padStart(2, '0')}` }],
      metrics: [{ key: 'score', value: i / 40, timestamp: 1, step: 0 }] });
    manyIds.push(run.info.run_id);
  }
  await page.goto(url(`compare?runs=${manyIds.join(',')}&pc=p:optimizer&pc=m:score`));
  await page.locator('.parallel svg[aria-label*="40 runs"]').waitFor();
  const labels = await page.locator('.parallel svg .pc-tick-label').evaluateAll((ts) => ts.map((t) => {
    const b = t.getBoundingClientRect();
    return { x: Math.round(b.left), t: b.top, b: b.bottom, text: t.textContent };
  }));
  const firstAxis = labels.filter((l) => l.text.startsWith('optimizer_'));
  assert.ok(firstAxis.length >= 5 && firstAxis.length < 40, `some category labels are shown: ${firstAxis.length}`);
  firstAxis.sort((p, q) => p.t - q.t);
  for (let i = 1; i < firstAxis.length; i++)
    assert.ok(firstAxis[i].t >= firstAxis[i - 1].b - 0.5, `tick labels overlap: ${firstAxis[i - 1].text} / ${firstAxis[i].text}`);
  await page.locator('.parallel').scrollIntoViewIfNeeded();
  await browser.shot('13-parallel-many-categories.png');
  browser.noProblems();
});

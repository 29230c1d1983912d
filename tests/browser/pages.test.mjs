// Browser test of the UI's page actions: experiments rename / delete /
// restore and the lifecycle filter; runs table selection (mouse and Space),
// the Compare button's URL, delete / restore of checked runs; run notes as
// Markdown (safe: a <script> in a note is text) edited and saved through the
// API; artifact previews (CSV, YAML, MLmodel, a file cut at 1 MB, binary);
// live refresh of a RUNNING run (run page and runs table); previews under
// --static-prefix. Data is seeded through the REST API; the expectations are
// read back from the same API. Any console error fails the test.

import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import path from 'node:path';
import { startServer, stopServer, apiOf, openBrowser } from './harness.mjs';

const T0 = 1714000000000;

const NOTE = `# Training notes

Loss went **down**, accuracy went *up*; see \`train.py\`. ~~Old plan.~~

| model | loss |
|:------|-----:|
| small | 0.31 |
| big \\| wide | **0.12** |

- first item
- second with [a link](https://example.com/docs)
- [bad link](javascript:alert(1))
  - nested under it, with snake_case_names and a_b kept

\`\`\`python
print("<b>not bold</b>")
\`\`\`

<script>window.__pwned = 1</script>
<img src=x onerror="window.__pwned = 2">
`;

// a CSV with the quoting cases: a comma, doubled quotes, a line break inside quotes
const CSV_ROWS = 700;
const CSV = ['id,name,comment',
  '0,"Smith, Jane","she said ""hi"""',
  '1,plain,"two\nlines"',
  ...Array.from({ length: CSV_ROWS - 2 }, (_, k) => `${k + 2},row${k + 2},x`)].join('\n') + '\n';

const YAML = `# environment
name: demo-env
channels:
  - conda-forge
dependencies:
  - python=3.10.12
  - pip:
    - mlflow==2.9.2
`;

// as PyYAML writes it: the long signature strings wrap onto indented lines
const MLMODEL = `artifact_path: model
flavors:
  python_function:
    env:
      conda: conda.yaml
      virtualenv: python_env.yaml
    loader_module: mlflow.sklearn
    model_path: model.pkl
    predict_fn: predict
    python_version: 3.10.12
  sklearn:
    code: null
    pickled_model: model.pkl
    serialization_format: cloudpickle
    sklearn_version: 1.3.0
mlflow_version: 2.9.2
model_size_bytes: 1234
model_uuid: 0a1b2c3d4e5f
run_id: RUNID
signature:
  inputs: '[{"type": "double", "name": "sepal length (cm)", "required": true}, {"type":
    "double", "name": "petal width (cm)", "required": false}]'
  outputs: '[{"type": "tensor", "tensor-spec": {"dtype": "int64", "shape": [-1]}}]'
  params: null
utc_time_created: '2024-04-25 10:00:00.123456'
`;

const BIG = 1536 * 1024; // 1.5 MB: the preview shows the first 1 MB

let srv, call, browser, page, seeded;
let allowHttpErrors = false; // the browser logs every 4xx answer; the error-path steps expect one

async function upload(server, runId, name, body) {
  const c = apiOf(server);
  const { run } = await c('GET', `runs/get?run_id=${runId}`);
  const where = run.info.artifact_uri.replace(/^mlflow-artifacts:\/+/, '');
  const res = await fetch(`http://127.0.0.1:${server.port}${server.prefix}/api/2.0/mlflow-artifacts/artifacts/${where}/${name}`,
    { method: 'PUT', body });
  assert.equal(res.status, 200, `upload ${name}: ${await res.text()}`);
}

async function seed() {
  const exps = {};
  for (const name of ['keep-me', 'rename-me', 'delete-me', 'runs-here', 'live-here'])
    exps[name] = (await call('POST', 'experiments/create', { name })).experiment_id;
  const runs = [];
  for (let i = 0; i < 5; i++) {
    const { run } = await call('POST', 'runs/create', { experiment_id: exps['runs-here'], run_name: `r${i}`, start_time: T0 + i * 1000 });
    await call('POST', 'runs/log-batch', { run_id: run.info.run_id,
      metrics: [{ key: 'loss', value: 1 / (i + 1), timestamp: T0, step: 0 }] });
    await call('POST', 'runs/update', { run_id: run.info.run_id, status: 'FINISHED', end_time: T0 + i * 1000 + 5000 });
    runs.push(run.info.run_id);
  }
  const rid = runs[0];
  await call('POST', 'runs/set-tag', { run_id: rid, key: 'mlflow.note.content', value: NOTE });
  await upload(srv, rid, 'data.csv', CSV);
  await upload(srv, rid, 'env/conda.yaml', YAML);
  await upload(srv, rid, 'table.tsv', 'a\tb\n1\t"x\ty"\n2\t\n');
  await upload(srv, rid, 'model/MLmodel', MLMODEL.replace('RUNID', rid));
  await upload(srv, rid, 'README.md', '# Model card\n\nTrained with **adam**.\n\n<script>window.__pwned = 3</script>\n');
  await upload(srv, rid, 'big.log', 'x'.repeat(BIG - 1) + '\n');
  await upload(srv, rid, 'model/model.pkl', Buffer.from([0x80, 0x04, 0x95, 0, 0, 0, 1, 2, 3, 0xff, 0xfe]));
  // a RUNNING run with a short history
  const { run: live } = await call('POST', 'runs/create', { experiment_id: exps['live-here'], run_name: 'live-run', start_time: T0 });
  await call('POST', 'runs/log-batch', { run_id: live.info.run_id,
    metrics: Array.from({ length: 5 }, (_, s) => ({ key: 'loss', value: 1 / (s + 1), timestamp: T0 + s, step: s })) });
  return { exps, runs, live: live.info.run_id };
}

before(async () => {
  srv = await startServer();
  call = apiOf(srv);
  seeded = await seed();
  browser = await openBrowser({ prefix: 'pages-', ignore: (text) => allowHttpErrors && /status of 400/.test(text) });
  page = browser.page;
});

after(async () => {
  await browser?.close();
  await stopServer(srv);
});

const url = (p = '') => `http://127.0.0.1:${srv.port}/${p}`;
const shot = (name, fullPage = false) => browser.shot(name, fullPage);
const noProblems = () => browser.noProblems();
const expRow = (id) => page.locator(`#experiments tr[data-id="${id}"]`);
const runRow = (id) => page.locator(`.vt-row[data-run-id="${id}"]`);
const lifecycleOf = async (runId) => (await call('GET', `runs/get?run_id=${runId}`)).run.info.lifecycle_stage;

test('experiments: rename, delete with a confirm step, lifecycle filter, restore', async () => {
  const { exps } = seeded;
  await page.goto(url());
  await expRow(exps['rename-me']).waitFor();

  // rename inline: Escape cancels, Enter saves through experiments/update
  await expRow(exps['rename-me']).getByRole('button', { name: 'Rename rename-me' }).click();
  const input = expRow(exps['rename-me']).locator('input');
  await input.fill('ignored');
  await input.press('Escape');
  await expRow(exps['rename-me']).getByRole('link', { name: 'rename-me' }).waitFor();
  await expRow(exps['rename-me']).getByRole('button', { name: 'Rename rename-me' }).click();
  await input.fill('renamed-in-ui');
  await input.press('Enter');
  await expRow(exps['rename-me']).getByRole('link', { name: 'renamed-in-ui' }).waitFor();
  assert.equal((await call('GET', `experiments/get?experiment_id=${exps['rename-me']}`)).experiment.name, 'renamed-in-ui');
  // focus goes back to the row's Rename button
  assert.equal(await page.evaluate(() => document.activeElement?.textContent), 'Rename');
  // a name that is taken: the server's message, the form stays open
  allowHttpErrors = true;
  await page.keyboard.press('Enter');
  await input.fill('keep-me');
  await input.press('Enter');
  await page.locator('#experiments-error .error').waitFor();
  assert.match(await page.locator('#experiments-error').textContent(), /keep-me/);
  assert.ok(await input.isVisible());
  allowHttpErrors = false;
  await input.press('Escape');
  await expRow(exps['rename-me']).getByRole('link', { name: 'renamed-in-ui' }).waitFor();
  assert.equal(await page.locator('#experiments-error .error').count(), 0, 'Cancel clears the error');

  // delete: Cancel keeps it, confirming deletes it
  await expRow(exps['delete-me']).getByRole('button', { name: 'Delete delete-me' }).click();
  await page.locator('dialog.confirm-dialog').waitFor();
  assert.match(await page.locator('dialog.confirm-dialog p').textContent(), /delete-me/);
  await shot('01-confirm.png');
  await page.keyboard.press('Escape');
  await page.locator('dialog.confirm-dialog').waitFor({ state: 'detached' });
  assert.equal((await call('GET', `experiments/get?experiment_id=${exps['delete-me']}`)).experiment.lifecycle_stage, 'active');
  await expRow(exps['delete-me']).getByRole('button', { name: 'Delete delete-me' }).click();
  await page.locator('dialog.confirm-dialog button[data-confirm="yes"]').click();
  await expRow(exps['delete-me']).waitFor({ state: 'detached' });
  assert.equal((await call('GET', `experiments/get?experiment_id=${exps['delete-me']}`)).experiment.lifecycle_stage, 'deleted');

  // lifecycle filter, kept in the URL
  await page.selectOption('#experiment-lifecycle', 'deleted');
  await page.waitForURL((u) => u.searchParams.get('lifecycle') === 'deleted');
  await expRow(exps['delete-me']).waitFor();
  assert.equal(await page.locator('#experiments tbody tr').count(), 1);
  await page.selectOption('#experiment-lifecycle', 'all');
  await page.waitForURL((u) => u.searchParams.get('lifecycle') === 'all');
  await expRow(exps['keep-me']).waitFor();
  await expRow(exps['delete-me']).waitFor();
  assert.match(await expRow(exps['delete-me']).textContent(), /deleted/);
  // a deep link restores the view
  await page.goto(url('?lifecycle=deleted'));
  await expRow(exps['delete-me']).waitFor();
  assert.equal(await page.locator('#experiment-lifecycle').inputValue(), 'deleted');
  await shot('02-deleted-experiments.png');

  // restore
  await expRow(exps['delete-me']).getByRole('button', { name: 'Restore delete-me' }).click();
  await expRow(exps['delete-me']).waitFor({ state: 'detached' });
  assert.equal((await call('GET', `experiments/get?experiment_id=${exps['delete-me']}`)).experiment.lifecycle_stage, 'active');
  await page.selectOption('#experiment-lifecycle', 'active');
  await expRow(exps['delete-me']).waitFor();
  noProblems();
});

test('runs table: checking rows, the Compare URL, delete and restore', async () => {
  const { exps, runs } = seeded;
  await page.goto(url(`experiments/${exps['runs-here']}`));
  await runRow(runs[0]).waitFor();
  const compare = page.locator('#compare-runs');
  assert.equal(await compare.textContent(), 'Compare (0)');
  assert.ok(await compare.isDisabled());

  // click two checkboxes (newest first: r4, r3, ...); the click does not open the run
  await runRow(runs[4]).locator('.pick').click();
  await runRow(runs[2]).locator('.pick').click();
  assert.match(page.url(), new RegExp(`/experiments/${exps['runs-here']}\\?`));
  await page.waitForURL((u) => u.searchParams.get('sel') === `${runs[4]},${runs[2]}`);
  assert.equal(await compare.textContent(), 'Compare (2)');
  assert.ok(await compare.isEnabled());
  // Space checks the focused row (keyboard only)
  await page.focus('#runs-table');
  await page.keyboard.press('ArrowDown'); // r4
  await page.keyboard.press('ArrowDown'); // r3
  await page.keyboard.press(' ');
  await page.waitForURL((u) => u.searchParams.get('sel') === `${runs[4]},${runs[2]},${runs[3]}`);
  // the address bar changes at once, the rows on the next animation frame: wait for the row
  await page.locator(`.vt-row[data-run-id="${runs[3]}"][aria-selected="true"]`).waitFor({ timeout: 10000 });
  await page.keyboard.press(' '); // and unchecks it
  await page.waitForURL((u) => u.searchParams.get('sel') === `${runs[4]},${runs[2]}`);
  await page.keyboard.press(' ');
  await shot('03-runs-checked.png');

  // the selection survives a reload
  await page.reload();
  await runRow(runs[0]).waitFor();
  assert.equal(await page.locator('.vt-row.checked').count(), 3);
  assert.equal(await compare.textContent(), 'Compare (3)');
  assert.equal(await page.locator('#select-all').evaluate((b) => b.indeterminate), true);
  // the header box checks every loaded run, then none; shift-click checks a range
  await page.check('#select-all');
  await page.waitForURL((u) => (u.searchParams.get('sel') || '').split(',').length === 5);
  await page.uncheck('#select-all');
  await page.waitForURL((u) => !u.searchParams.has('sel'));
  assert.ok(await compare.isDisabled());
  await runRow(runs[4]).locator('.pick').click();
  await runRow(runs[2]).locator('.pick').click({ modifiers: ['Shift'] });
  await page.waitForURL((u) => u.searchParams.get('sel') === `${runs[4]},${runs[3]},${runs[2]}`);
  await page.click('#clear-selection');
  await page.waitForURL((u) => !u.searchParams.has('sel'));
  await runRow(runs[4]).locator('.pick').click();
  await runRow(runs[2]).locator('.pick').click();
  await runRow(runs[3]).locator('.pick').click();
  noProblems();

  // Compare opens compare?runs=<ids, comma-separated> (the page itself belongs to another test)
  await compare.click();
  await page.waitForURL((u) => u.pathname === '/compare');
  assert.equal(new URL(page.url()).searchParams.get('runs'), `${runs[4]},${runs[2]},${runs[3]}`);
  assert.match(page.url(), new RegExp(`runs=${runs[4]},${runs[2]},${runs[3]}$`));
  browser.problems.splice(0); // what the compare page logs is its own test's business

  // delete two checked runs (after the confirm step)
  await page.goto(url(`experiments/${exps['runs-here']}?sel=${runs[1]},${runs[2]}`));
  await runRow(runs[1]).waitFor();
  assert.equal(await page.locator('#delete-runs').textContent(), 'Delete (2)');
  await page.click('#delete-runs');
  await page.locator('dialog.confirm-dialog button[data-confirm="no"]').click();
  assert.equal(await lifecycleOf(runs[1]), 'active');
  await page.click('#delete-runs');
  await page.locator('dialog.confirm-dialog button[data-confirm="yes"]').click();
  await runRow(runs[1]).waitFor({ state: 'detached' });
  await page.waitForFunction(() => document.querySelector('.footer .status').textContent === '3 runs');
  assert.equal(await lifecycleOf(runs[1]), 'deleted');
  assert.equal(await lifecycleOf(runs[2]), 'deleted');
  assert.equal(new URL(page.url()).searchParams.get('sel'), null, 'the selection is cleared');

  // the Deleted view lists them; restore one
  await page.selectOption('#run-lifecycle', 'deleted');
  await page.waitForURL((u) => u.searchParams.get('lifecycle') === 'deleted');
  await page.waitForFunction(() => document.querySelector('.footer .status').textContent === '2 runs');
  assert.ok(await page.locator('#delete-runs').isHidden());
  await runRow(runs[1]).locator('.pick').click();
  await page.click('#restore-runs');
  await page.locator('dialog.confirm-dialog button[data-confirm="yes"]').click();
  await page.waitForFunction(() => document.querySelector('.footer .status').textContent === '1 run');
  assert.equal(await lifecycleOf(runs[1]), 'active');
  // All: both states, the deleted one marked
  await page.selectOption('#run-lifecycle', 'all');
  await page.waitForFunction(() => document.querySelector('.footer .status').textContent === '5 runs');
  assert.equal(await page.locator('.vt-row.deleted').count(), 1);
  assert.equal(await page.locator('.vt-row.deleted').getAttribute('data-run-id'), runs[2]);
  // the deleted run's page says so
  await page.locator('.vt-row.deleted .td[data-col="a:run_name"]').click();
  await page.waitForURL((u) => u.pathname === `/runs/${runs[2]}`);
  await page.locator('#run-deleted').waitFor();
  assert.ok(await page.locator('#run-deleted').isVisible());
  noProblems();
});

test('run notes: Markdown rendered safely, edited and saved', async () => {
  const rid = seeded.runs[0];
  await page.goto(url(`runs/${rid}`));
  const notes = page.locator('#run-notes');
  await notes.locator('h3', { hasText: 'Training notes' }).waitFor();
  assert.equal(await page.locator('h1').count(), 1, 'note headings are demoted below the page title');
  assert.equal(await notes.locator('p strong').textContent(), 'down');
  assert.equal(await notes.locator('em').textContent(), 'up');
  assert.equal(await notes.locator('p code').textContent(), 'train.py');
  assert.equal(await notes.locator('del').textContent(), 'Old plan.');
  assert.deepEqual(await notes.locator('table thead th').allTextContents(), ['model', 'loss']);
  assert.deepEqual(await notes.locator('table tbody tr').nth(1).locator('td').allTextContents(), ['big | wide', '0.12']);
  assert.equal(await notes.locator('table tbody tr').nth(1).locator('td strong').textContent(), '0.12');
  assert.equal(await notes.locator('table tbody td').nth(1).evaluate((td) => td.style.textAlign), 'right');
  assert.equal(await notes.locator(':scope > ul > li').count(), 3);
  assert.equal(await notes.locator('ul ul > li').count(), 1);
  assert.match(await notes.locator('ul ul > li').textContent(), /snake_case_names and a_b kept/);
  assert.equal(await notes.locator('a').count(), 1, 'only the https link is a link');
  assert.equal(await notes.locator('a').getAttribute('href'), 'https://example.com/docs');
  assert.match(await notes.locator(':scope > ul > li').nth(2).textContent(), /^bad link \(javascript:alert\(1\)\)/);
  assert.equal(await notes.locator('pre code').textContent(), 'print("<b>not bold</b>")');
  // raw HTML is text: no element made from it, nothing ran
  assert.equal(await notes.locator('script, img, b').count(), 0);
  assert.match(await notes.textContent(), /<script>window.__pwned = 1<\/script>/);
  assert.match(await notes.textContent(), /<img src=x onerror=/);
  assert.equal(await page.evaluate(() => window.__pwned), undefined);

  // edit: the textarea holds the source; Save writes the tag
  await page.click('#notes-edit');
  assert.equal(await page.locator('#notes-editor').inputValue(), NOTE);
  const edited = '## Revised\n\n1. one\n2. two **bold**\n\nA `span` and <em>no html</em>.';
  await page.fill('#notes-editor', edited);
  await shot('04-notes-edit.png');
  await page.locator('#notes-form button[type=submit]').click();
  await notes.locator('h4', { hasText: 'Revised' }).waitFor();
  const { run } = await call('GET', `runs/get?run_id=${rid}`);
  assert.equal(run.data.tags.find((t) => t.key === 'mlflow.note.content').value, edited);
  assert.equal(await notes.locator('ol li').count(), 2);
  assert.equal(await notes.locator('em').count(), 0);
  assert.match(await notes.textContent(), /<em>no html<\/em>/);
  // Escape cancels an edit
  await page.click('#notes-edit');
  await page.fill('#notes-editor', 'thrown away');
  await page.press('#notes-editor', 'Escape');
  assert.ok(await page.locator('#notes-form').isHidden());
  assert.match(await notes.textContent(), /Revised/);
  // and it is still there after a reload
  await page.reload();
  await notes.locator('h4', { hasText: 'Revised' }).waitFor();
  noProblems();
});

test('artifact previews: CSV, YAML, MLmodel, a big file, a binary file', async () => {
  const rid = seeded.runs[0];
  const preview = page.locator('#artifact-preview');
  await page.goto(url(`runs/${rid}?artifact=data.csv`));
  await preview.locator('table.csv').waitFor();
  assert.deepEqual(await preview.locator('table.csv thead th').allTextContents(), ['id', 'name', 'comment']);
  assert.equal(await preview.locator('table.csv tbody tr').count(), 500);
  assert.deepEqual(await preview.locator('table.csv tbody tr').nth(0).locator('td').allTextContents(), ['0', 'Smith, Jane', 'she said "hi"']);
  assert.deepEqual(await preview.locator('table.csv tbody tr').nth(1).locator('td').allTextContents(), ['1', 'plain', 'two\nlines']);
  assert.match(await preview.locator('.csv-count').textContent(), /First 500 rows/);
  const dl = preview.locator('a.download');
  assert.equal(await dl.getAttribute('download'), 'data.csv');
  const bytes = await (await fetch(new URL(await dl.getAttribute('href'), url()).href)).text();
  assert.equal(bytes, CSV);
  assert.ok(await page.locator('#artifact-tree a.dl[aria-label="Download data.csv"]').count() === 1, 'each file has a download link');
  await shot('05-csv.png');
  await page.locator('#artifact-tree button.file', { hasText: 'table.tsv' }).click();
  await preview.locator('.csv-count', { hasText: '2 rows.' }).waitFor();
  assert.deepEqual(await preview.locator('table.csv tbody tr').nth(0).locator('td').allTextContents(), ['1', 'x\ty']);
  assert.deepEqual(await preview.locator('table.csv tbody tr').nth(1).locator('td').allTextContents(), ['2', '']);

  // YAML, highlighted
  await page.locator('#artifact-tree button.dir', { hasText: 'env' }).click();
  await page.locator('#artifact-tree button.file', { hasText: 'conda.yaml' }).click();
  await preview.locator('pre.yaml').waitFor();
  assert.equal(await preview.locator('pre.yaml').textContent(), YAML);
  assert.deepEqual(await preview.locator('pre.yaml .y-key').allTextContents(), ['name', 'channels', 'dependencies', 'pip']);
  assert.match(await preview.locator('pre.yaml .y-comment').first().textContent(), /# environment/);

  // MLmodel: flavors, signature, the run; then the raw file
  await page.locator('#artifact-tree button.dir', { hasText: 'model' }).click();
  await page.locator('#artifact-tree button.file', { hasText: 'MLmodel' }).click();
  await preview.locator('#mlmodel-flavors').waitFor();
  assert.deepEqual(await preview.locator('#mlmodel-flavors tbody th').allTextContents(), ['python_function', 'sklearn']);
  assert.match(await preview.locator('#mlmodel-flavors tbody tr').nth(0).textContent(), /loader_module: mlflow\.sklearn/);
  assert.match(await preview.locator('#mlmodel-flavors tbody tr').nth(0).textContent(), /env\.conda: conda\.yaml/);
  assert.match(await preview.locator('#mlmodel-flavors tbody tr').nth(1).textContent(), /sklearn_version: 1\.3\.0/);
  const inputs = preview.locator('table.schema[data-part="inputs"] tbody tr');
  assert.equal(await inputs.count(), 2);
  assert.deepEqual(await inputs.nth(0).locator('td').allTextContents(), ['sepal length (cm)', 'double', '']);
  assert.deepEqual(await inputs.nth(1).locator('td').allTextContents(), ['petal width (cm)', 'double', 'optional']);
  assert.deepEqual(await preview.locator('table.schema[data-part="outputs"] tbody td').allTextContents(), ['', 'tensor int64', 'shape [-1]']);
  const facts = await preview.locator('#mlmodel-facts').textContent();
  assert.match(facts, /2024-04-25 10:00:00\.123456/);
  assert.match(facts, /2\.9\.2/);
  assert.equal(await preview.locator(`#mlmodel-facts a[href="runs/${rid}"]`).count(), 1);
  assert.match(await preview.locator('pre.yaml').textContent(), /serialization_format: cloudpickle/);
  await shot('06-mlmodel.png', true);

  // Markdown is rendered (safely), its source one click away
  await page.locator('#artifact-tree button.file', { hasText: 'README.md' }).click();
  await preview.locator('.markdown h3', { hasText: 'Model card' }).waitFor();
  assert.equal(await preview.locator('.markdown strong').textContent(), 'adam');
  assert.equal(await preview.locator('.markdown script').count(), 0);
  assert.match(await preview.locator('details.raw pre').textContent(), /^# Model card/);

  // a binary file of unknown type: no preview, a download
  await page.locator('#artifact-tree button.file', { hasText: 'model.pkl' }).click();
  await preview.getByText('A binary file: no preview.').waitFor();
  assert.equal(await preview.getAttribute('data-kind'), 'binary');

  // a 1.5 MB log: the first 1 MB, and a note saying so
  await page.locator('#artifact-tree button.file', { hasText: 'big.log' }).click();
  await preview.locator('.preview-cut').waitFor();
  assert.match(await preview.locator('.preview-cut').textContent(), /first 1\.0 MB of 1\.5 MB/);
  assert.equal(await preview.locator('pre').evaluate((p) => p.textContent.length), 1024 * 1024);
  noProblems();
});

test('live refresh: a RUNNING run updates its metrics and chart without a reload', async () => {
  const rid = seeded.live;
  await page.goto(url(`runs/${rid}`));
  await page.waitForSelector('#metric-chart[data-points="5"] canvas');
  assert.ok(await page.locator('#run-live').isVisible());
  const latest = page.locator('#metrics tr[data-key="loss"] td.latest');
  assert.equal(await latest.textContent(), '0.2');
  await page.evaluate(() => { window.__samePage = true; });
  await call('POST', 'runs/log-metric', { run_id: rid, key: 'loss', value: 0.125, timestamp: T0 + 10, step: 7 });
  await page.waitForSelector('#metric-chart[data-points="6"] canvas', { timeout: 15000 });
  await page.waitForFunction(() => document.querySelector('#metrics tr[data-key="loss"] td.latest')?.textContent === '0.125');
  // a new metric key shows up as a row
  await call('POST', 'runs/log-metric', { run_id: rid, key: 'acc', value: 0.5, timestamp: T0 + 11, step: 7 });
  await page.locator('#metrics tr[data-key="acc"]').waitFor({ timeout: 15000 });
  // finishing the run stops the refresh
  await call('POST', 'runs/update', { run_id: rid, status: 'FINISHED', end_time: T0 + 60000 });
  await page.locator('#run-status', { hasText: 'FINISHED' }).waitFor({ timeout: 15000 });
  assert.ok(await page.locator('#run-live').isHidden());
  assert.equal(await page.evaluate(() => window.__samePage), true, 'no reload happened');
  await shot('07-live-run.png', true);

  // a run that has logged nothing yet: its first metric brings the chart
  const { run: empty } = await call('POST', 'runs/create', { experiment_id: seeded.exps['live-here'], run_name: 'empty-yet' });
  await page.goto(url(`runs/${empty.info.run_id}`));
  await page.locator('#metrics', { hasText: 'No metrics.' }).waitFor();
  assert.ok(await page.locator('#metric-chart').isHidden());
  await call('POST', 'runs/log-metric', { run_id: empty.info.run_id, key: 'first', value: 3, timestamp: Date.now(), step: 0 });
  // one point so far: a bar with its value (a line once there are more)
  await page.waitForSelector('#metric-chart[data-points="1"] .metric-bars .bar-row[data-key="first"]', { timeout: 15000 });
  assert.equal(await page.locator('#metrics input[data-metric="first"]').isChecked(), true);
  await call('POST', 'runs/update', { run_id: empty.info.run_id, status: 'KILLED', end_time: Date.now() });
  await page.locator('#run-status', { hasText: 'KILLED' }).waitFor({ timeout: 15000 });
  noProblems();
});

test('live refresh: the runs table re-reads RUNNING rows in place', async () => {
  const { exps } = seeded;
  const { run } = await call('POST', 'runs/create', { experiment_id: exps['live-here'], run_name: 'live-2', start_time: T0 + 5000 });
  const rid = run.info.run_id;
  await call('POST', 'runs/log-metric', { run_id: rid, key: 'loss', value: 0.9, timestamp: T0, step: 0 });
  await page.goto(url(`experiments/${exps['live-here']}?sel=${rid}`));
  const cell = runRow(rid).locator('.td[data-col="m:loss"]');
  await page.waitForFunction((id) => document.querySelector(`.vt-row[data-run-id="${id}"] .td.st-RUNNING`), rid);
  assert.equal(await cell.textContent(), '0.9');
  await page.evaluate(() => { window.__samePage = true; });
  await call('POST', 'runs/log-metric', { run_id: rid, key: 'loss', value: 0.25, timestamp: T0 + 1, step: 1 });
  await page.waitForFunction((id) => document.querySelector(`.vt-row[data-run-id="${id}"] .td[data-col="m:loss"]`)?.textContent === '0.25',
    rid, { timeout: 15000 });
  await call('POST', 'runs/update', { run_id: rid, status: 'FINISHED', end_time: T0 + 9000 });
  await page.waitForFunction((id) => document.querySelector(`.vt-row[data-run-id="${id}"] .td.st-FINISHED`), rid, { timeout: 15000 });
  assert.equal(await runRow(rid).getAttribute('aria-selected'), 'true', 'the check mark stays');
  assert.equal(await page.evaluate(() => window.__samePage), true, 'no reload happened');
  noProblems();
});

test('previews and actions under --static-prefix', async () => {
  const prefixed = await startServer(['--static-prefix', '/ml/flow']);
  try {
    const c = apiOf(prefixed);
    const { experiment_id: exp } = await c('POST', 'experiments/create', { name: 'prefixed' });
    const { run } = await c('POST', 'runs/create', { experiment_id: exp, run_name: 'only-run' });
    await upload(prefixed, run.info.run_id, 'data.csv', CSV);
    await page.goto(`http://127.0.0.1:${prefixed.port}/ml/flow/runs/${run.info.run_id}?artifact=data.csv`);
    await page.locator('#artifact-preview table.csv').waitFor();
    await page.click('#notes-edit');
    await page.fill('#notes-editor', 'under a **prefix**');
    await page.locator('#notes-form button[type=submit]').click();
    await page.locator('#run-notes strong', { hasText: 'prefix' }).waitFor();
    const { run: back } = await c('GET', `runs/get?run_id=${run.info.run_id}`);
    assert.equal(back.data.tags.find((t) => t.key === 'mlflow.note.content').value, 'under a **prefix**');
    await page.goto(`http://127.0.0.1:${prefixed.port}/ml/flow/?lifecycle=all`);
    await page.locator(`#experiments tr[data-id="${exp}"]`).waitFor();
    noProblems();
  } finally {
    await stopServer(prefixed);
  }
});

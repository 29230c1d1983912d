// Browser test of the model registry pages: starts the real server
// (MLFLOWC_BIN), seeds runs, registered models and versions through the
// REST API, then drives Debian's chromium with playwright-core: models list
// (search, paging) -> model page -> version page, a stage transition made
// in the UI and seen in the history table and by the API, an alias set and
// deleted, descriptions and tags edited, the signature read from MLmodel,
// deep links, a name with a quote, and --static-prefix. Any console error
// or uncaught page error fails the test.
//
// Also checks, without a browser, that the UI's script is served as brotli
// when asked (and that it decompresses to the identity bytes).

import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import http from 'node:http';
import zlib from 'node:zlib';
import { startServer, stopServer, apiOf, openBrowser } from './harness.mjs';

const MODEL = 'fraud-detector';
const SPACED = 'churn model';
const QUOTED = "it's-a-model";
const BULK = 55; // more than the list's page of 50
const MLMODEL = `artifact_path: model
flavors:
  python_function:
    loader_module: mlflow.sklearn
signature:
  inputs: '[{"type": "double", "name": "amount", "required": true}, {"type": "string",
    "name": "country", "required": false}]'
  outputs: '[{"type": "long", "required": true}]'
  params: null
`;

async function seed(srv) {
  const call = apiOf(srv);
  const { experiment_id: exp } = await call('POST', 'experiments/create', { name: 'registry-demo' });
  const runs = [];
  for (const name of ['train-a', 'train-b']) {
    const { run } = await call('POST', 'runs/create', { experiment_id: exp, run_name: name });
    runs.push(run.info);
  }
  const where = runs[0].artifact_uri.replace(/^mlflow-artifacts:\/+/, '');
  const res = await fetch(`http://127.0.0.1:${srv.port}${srv.prefix}/api/2.0/mlflow-artifacts/artifacts/${where}/model/MLmodel`,
    { method: 'PUT', body: MLMODEL });
  assert.equal(res.status, 200, await res.text());

  await call('POST', 'registered-models/create', { name: MODEL, description: 'Flags card payments.',
    tags: [{ key: 'team', value: 'risk' }] });
  for (const r of [runs[0], runs[1], runs[0]])
    await call('POST', 'model-versions/create', { name: MODEL, source: `${r.artifact_uri}/model`, run_id: r.run_id });
  await call('POST', 'model-versions/transition-stage', { name: MODEL, version: '1', stage: 'Staging', archive_existing_versions: false });
  await call('POST', 'registered-models/create', { name: SPACED });
  await call('POST', 'model-versions/create', { name: SPACED, source: 's3://bucket/churn', run_id: runs[1].run_id });
  await call('POST', 'registered-models/create', { name: QUOTED });
  // a model whose name the quoted one's LIKE fallback also matches: it must not be listed
  await call('POST', 'registered-models/create', { name: 'itXs-a-model' });
  for (const n of [QUOTED, QUOTED, 'itXs-a-model'])
    await call('POST', 'model-versions/create', { name: n, source: 's3://bucket/q' });
  for (let i = 0; i < BULK; i += 11)
    await Promise.all(Array.from({ length: Math.min(11, BULK - i) }, (_, k) =>
      call('POST', 'registered-models/create', { name: `zz-bulk-${String(i + k).padStart(2, '0')}` })));
  return { exp, runs };
}

let srv, seeded, browser, page, call;

before(async () => {
  srv = await startServer();
  seeded = await seed(srv);
  call = apiOf(srv);
  browser = await openBrowser({ viewport: { width: 1366, height: 860 } });
  page = browser.page;
});

after(async () => {
  await browser?.close();
  await stopServer(srv);
});

const url = (p = '') => `http://127.0.0.1:${srv.port}/${p}`;
const shot = (name) => browser.shot(name, true);
const noProblems = () => browser.noProblems();
const enc = encodeURIComponent;
const version = async (name, v) => (await call('GET', `model-versions/get?name=${enc(name)}&version=${v}`)).model_version;
const model = async (name) => (await call('GET', `registered-models/get?name=${enc(name)}`)).registered_model;
const historyOf = async (name) => {
  const r = await fetch(url(`api/2.0/mlflowc/registered-models/history?name=${enc(name)}`));
  assert.equal(r.status, 200);
  return (await r.json()).history || [];
};

/** GET (or HEAD) with node:http, so the body arrives as sent (fetch would decompress it). */
function rawGet(u, headers, method = 'GET') {
  return new Promise((resolve, reject) => {
    http.request(u, { headers, method }, (res) => {
      const chunks = [];
      res.on('data', (c) => chunks.push(c));
      res.on('end', () => resolve({ status: res.statusCode, headers: res.headers, body: Buffer.concat(chunks) }));
    }).on('error', reject).end();
  });
}

test('the UI script is served as brotli when the browser accepts it', async () => {
  const html = await (await fetch(url())).text();
  const js = url(html.match(/assets\/[^"]+\.js/)[0]);
  const plain = await rawGet(js, { 'Accept-Encoding': 'identity' });
  assert.equal(plain.status, 200);
  assert.equal(plain.headers['content-encoding'], undefined);
  const br = await rawGet(js, { 'Accept-Encoding': 'gzip, deflate, br' });
  assert.equal(br.status, 200);
  assert.equal(br.headers['content-encoding'], 'br');
  assert.equal(br.headers.vary, 'Accept-Encoding');
  assert.match(br.headers['content-type'], /^text\/javascript/);
  assert.ok(br.body.length < plain.body.length * 0.9, `brotli ${br.body.length} vs ${plain.body.length} bytes`);
  assert.ok(zlib.brotliDecompressSync(br.body).equals(plain.body), 'brotli decompresses to the identity bytes');
  const gz = await rawGet(js, { 'Accept-Encoding': 'br;q=0.5, gzip' });
  assert.equal(gz.headers['content-encoding'], 'gzip');
  assert.ok(zlib.gunzipSync(gz.body).equals(plain.body));
  console.log(`# script: ${plain.body.length} B, gzip ${gz.body.length} B, brotli ${br.body.length} B`);
  // one strong ETag per copy, and each revalidates
  const tags = new Set([plain.headers.etag, gz.headers.etag, br.headers.etag]);
  assert.equal(tags.size, 3);
  assert.match(br.headers.etag, /^"[0-9a-f]+-br"$/);
  const again = await rawGet(js, { 'Accept-Encoding': 'br', 'If-None-Match': br.headers.etag });
  assert.equal(again.status, 304);
  assert.equal(again.headers.etag, br.headers.etag);
  assert.equal(again.body.length, 0);
  // HEAD: the same headers, no body
  const head = await rawGet(js, { 'Accept-Encoding': 'br' }, 'HEAD');
  assert.equal(head.status, 200);
  assert.equal(head.headers['content-encoding'], 'br');
  assert.equal(head.headers.etag, br.headers.etag);
  assert.equal(Number(head.headers['content-length']), br.body.length);
  assert.equal(head.body.length, 0);
  // fetch, as the browser would, gets the same text
  assert.equal(await (await fetch(js, { headers: { 'Accept-Encoding': 'br' } })).text(), plain.body.toString());
});

test('models list: nav link, search, paging, keyboard', async () => {
  await page.goto(url());
  await page.locator('.sections a', { hasText: 'Models' }).click();
  await page.waitForURL('**/models');
  assert.equal(await page.locator('.sections a[aria-current]').textContent(), 'Models');
  const rows = page.locator('#models tbody tr');
  await page.locator('#models').getByText(MODEL, { exact: true }).waitFor();
  assert.equal(await rows.count(), 50);
  const fraud = page.locator('#models tbody tr', { hasText: MODEL });
  const cells = await fraud.locator('td').allTextContents();
  assert.deepEqual(cells.slice(0, 4), [MODEL, 'v3', 'v1', '']);
  assert.equal(cells[6], 'Flags card payments.');
  await shot('registry-01-models.png');
  await page.click('#models-next');
  await page.locator('#models').getByText('zz-bulk-54').waitFor();
  assert.equal(await rows.count(), BULK + 4 - 50);
  assert.match(await page.locator('.status').textContent(), /^Models 51–59$/);
  await page.click('#models-prev');
  await page.locator('#models').getByText('zz-bulk-00').waitFor();
  assert.equal(await rows.count(), 50);

  // sort by last change, newest first, then oldest first, then back to names
  const times = () => page.locator('#models tbody td:nth-child(6)').allTextContents();
  const sorted = (a, dir) => a.every((x, i) => !i || (dir > 0 ? a[i - 1] <= x : a[i - 1] >= x));
  await page.click('#models button[data-sort=updated]');
  await page.locator('#models th[aria-sort=descending]', { hasText: 'Last modified' }).waitFor();
  await page.waitForFunction(() => document.querySelector('#models tbody td')?.textContent?.startsWith('zz-'));
  assert.ok(sorted(await times(), -1), 'newest first');
  assert.equal(new URL(page.url()).searchParams.get('sort'), '-updated');
  await page.click('#models button[data-sort=updated]');
  await page.locator('#models th[aria-sort=ascending]', { hasText: 'Last modified' }).waitFor();
  await page.waitForFunction(() => document.querySelector('#models tbody td')?.textContent === 'fraud-detector');
  assert.ok(sorted(await times(), 1), 'oldest first');
  await page.click('#models button[data-sort=name]');
  await page.waitForFunction(() => document.querySelector('#models tbody td')?.textContent === 'churn model');
  assert.equal(new URL(page.url()).searchParams.get('sort'), null);
  await page.click('#models button[data-sort=name]');
  await page.waitForFunction(() => document.querySelector('#models tbody td')?.textContent === 'zz-bulk-54');
  await page.click('#models button[data-sort=name]');
  await page.waitForFunction(() => document.querySelector('#models tbody td')?.textContent === 'churn model');

  await page.keyboard.press('/');
  assert.equal(await page.evaluate(() => document.activeElement?.getAttribute('name')), 'q');
  await page.keyboard.type('FRAUD');
  await page.waitForFunction(() => [...document.querySelectorAll('#models tbody td:first-child')].map((td) => td.textContent).join() === 'fraud-detector');
  assert.equal(await rows.first().locator('td').first().textContent(), MODEL);
  assert.equal(new URL(page.url()).searchParams.get('q'), 'FRAUD');
  await page.fill('#app input[type=search]', "it's");
  // ' matches any one character
  await page.waitForFunction(() => [...document.querySelectorAll('#models tbody td:first-child')].map((td) => td.textContent).join() === "it's-a-model,itXs-a-model");
  await page.fill('#app input[type=search]', 'no-such-model');
  await page.locator('#models').getByText('No model matches.').waitFor();
  await page.fill('#app input[type=search]', 'fraud');
  await page.waitForFunction(() => [...document.querySelectorAll('#models tbody td:first-child')].map((td) => td.textContent).join() === 'fraud-detector');
  // keyboard: Tab from the box passes the two sort buttons, reaches the model link; Enter opens it
  await page.focus('#app input[type=search]');
  await page.keyboard.press('Tab');
  assert.equal(await page.evaluate(() => document.activeElement?.getAttribute('data-sort')), 'name');
  await page.keyboard.press('Tab');
  await page.keyboard.press('Tab');
  assert.equal(await page.evaluate(() => document.activeElement?.textContent), MODEL);
  await page.keyboard.press('Enter');
  await page.waitForURL(`**/models/${MODEL}`);
  await page.locator('#model-versions').waitFor();
  noProblems();
});

test('model page: versions, transition in the UI, history agrees with the API', async () => {
  await page.goto(url(`models/${MODEL}`));
  const vrows = page.locator('#model-versions tbody tr');
  await vrows.first().waitFor();
  assert.deepEqual(await vrows.locator('td:first-child').allTextContents(), ['Version 3', 'Version 2', 'Version 1']);
  const v1 = await page.locator('#model-versions tr[data-version="1"] td').allTextContents();
  assert.equal(v1[1], 'Staging');
  assert.equal(v1[4], seeded.runs[0].run_id);
  assert.equal(v1[5], 'READY');
  assert.match(await page.locator('#model-description').textContent(), /Flags card payments\./);
  assert.equal(await page.locator('#model-history tbody tr').count(), 1); // the seeded transition
  await shot('registry-02-model.png');

  // version 2 -> Production, archiving nothing yet; then version 1 (Staging) -> Production with archiving
  await page.locator('#model-versions').getByRole('link', { name: 'Version 2' }).click();
  await page.waitForURL(`**/models/${MODEL}/versions/2`);
  await page.locator('#stage-form').waitFor();
  await page.selectOption('#stage-form select[name=stage]', 'Production');
  await page.check('#stage-form input[name=archive_existing_versions]');
  await page.fill('#stage-form input[name=comment]', 'passed the A/B test');
  await page.click('#stage-form button[type=submit]');
  await page.locator('#version-overview .stage-Production').waitFor();
  await page.locator('#version-history tbody tr').first().waitFor();
  assert.deepEqual((await page.locator('#version-history tbody tr').first().locator('td').allTextContents()).slice(1),
    ['stage', 'None → Production', 'unknown', 'passed the A/B test']);
  assert.equal((await version(MODEL, 2)).current_stage, 'Production');
  // the archive box is only offered for Staging/Production
  await page.selectOption('#stage-form select[name=stage]', 'Archived');
  assert.equal(await page.isDisabled('#stage-form input[name=archive_existing_versions]'), true);
  await shot('registry-03-version.png');

  await page.goto(url(`models/${MODEL}/versions/1`));
  await page.selectOption('#stage-form select[name=stage]', 'Production');
  await page.check('#stage-form input[name=archive_existing_versions]');
  await page.click('#stage-form button[type=submit]');
  await page.locator('#version-overview .stage-Production').waitFor();
  assert.equal((await version(MODEL, 1)).current_stage, 'Production');
  assert.equal((await version(MODEL, 2)).current_stage, 'Archived');

  // the model page's history shows both moves, newest first, as the API recorded them
  await page.locator('#crumbs a', { hasText: MODEL }).click();
  await page.waitForURL(`**/models/${MODEL}`);
  const hrows = page.locator('#model-history tbody tr');
  await page.waitForFunction(() => document.querySelectorAll('#model-history tbody tr').length === 4);
  const table = [];
  for (let i = 0; i < 4; i++) table.push((await hrows.nth(i).locator('td').allTextContents()).slice(1, 4));
  // archiving is recorded first, in the same transaction
  assert.deepEqual(table, [['v1', 'stage', 'Staging → Production'], ['v2', 'stage', 'Production → Archived'],
    ['v2', 'stage', 'None → Production'], ['v1', 'stage', 'None → Staging']]);
  assert.equal(await hrows.nth(1).locator('td').nth(5).textContent(), 'archived when version 1 moved to Production');
  const api = (await historyOf(MODEL)).reverse();
  assert.deepEqual(api.map((e) => [`v${e.version}`, e.kind, `${e.from || 'None'} → ${e.to}`]), table);
  const v2 = await page.locator('#model-versions tr[data-version="2"] td').allTextContents();
  assert.equal(v2[1], 'Archived');
  noProblems();
});

test('model page: set and delete an alias, edit the description and tags', async () => {
  await page.goto(url(`models/${MODEL}`));
  await page.locator('#alias-form').waitFor();
  await page.fill('#alias-form input[name=alias]', 'champion');
  await page.selectOption('#alias-form select', '3');
  await page.focus('#alias-form input[name=alias]');
  await page.keyboard.press('Enter');
  await page.locator('#model-aliases li[data-alias="champion"]').waitFor();
  assert.match(await page.locator('#model-aliases li[data-alias="champion"]').textContent(), /@champion → Version 3/);
  assert.equal(await page.evaluate(() => document.activeElement?.getAttribute('name')), 'alias');
  assert.deepEqual((await model(MODEL)).aliases, [{ alias: 'champion', version: '3' }]);
  await page.locator('#model-versions tr[data-version="3"]').getByText('@champion').waitFor();
  await page.locator('#model-history tbody tr[data-kind="alias"]').getByText('@champion → 3').waitFor();

  await page.getByRole('button', { name: 'Delete alias champion' }).click();
  await page.locator('#model-aliases').getByText('No aliases.').waitFor();
  const gone = await fetch(url(`api/2.0/mlflow/registered-models/alias?name=${MODEL}&alias=champion`));
  assert.equal(gone.status, 400); // MLflow's answer for an unknown alias
  assert.equal((await gone.json()).error_code, 'INVALID_PARAMETER_VALUE');
  assert.equal((await model(MODEL)).aliases, undefined);
  await page.locator('#model-history tbody tr').first().getByText('@champion 3 → removed').waitFor();
  assert.deepEqual((await historyOf(MODEL)).slice(-2).map((e) => [e.kind, e.alias, e.from ?? null, e.to ?? null]),
    [['alias', 'champion', null, '3'], ['alias', 'champion', '3', null]]);

  // description: edit, Escape cancels; edit, Ctrl+Enter saves
  await page.click('#model-description button.edit');
  await page.keyboard.type(' Ignore me.');
  await page.keyboard.press('Escape');
  assert.equal(await page.locator('#model-description .desc-text').textContent(), 'Flags card payments.');
  await page.click('#model-description button.edit');
  await page.fill('#model-description textarea', 'Flags card payments.\nRetrained weekly.');
  await page.keyboard.press('Control+Enter');
  await page.locator('#model-description .desc-text').getByText('Retrained weekly.').waitFor();
  assert.equal((await model(MODEL)).description, 'Flags card payments.\nRetrained weekly.');

  // tags: add one, remove the seeded one
  await page.fill('#model-tags input[name=key]', 'owner');
  await page.fill('#model-tags input[name=value]', 'alice');
  await page.keyboard.press('Enter');
  await page.locator('#model-tags').getByText('alice').waitFor();
  await page.getByRole('button', { name: 'Remove tag team' }).click();
  await page.waitForFunction(() => !document.querySelector('#model-tags')?.textContent?.includes('risk'));
  assert.deepEqual((await model(MODEL)).tags, [{ key: 'owner', value: 'alice' }]);
  await page.reload();
  await page.locator('#model-description .desc-text').getByText('Retrained weekly.').waitFor();
  await page.locator('#model-tags').getByText('alice').waitFor();
  await shot('registry-04-model-edited.png');
  noProblems();
});

test('version page: description, tags, signature, source run link', async () => {
  await page.goto(url(`models/${MODEL}/versions/3`));
  await page.locator('#version-overview').waitFor();
  await page.locator('#version-signature').getByText('amount').waitFor();
  const inputs = await page.locator('#version-signature table').first().locator('tbody tr').evaluateAll(
    (trs) => trs.map((tr) => [...tr.children].map((td) => td.textContent)));
  assert.deepEqual(inputs, [['amount', 'double', '', 'required'], ['country', 'string', '', 'optional']]);
  assert.deepEqual(await page.locator('#version-signature table').nth(1).locator('tbody td').allTextContents(), ['—', 'long', '', 'required']);

  await page.click('#version-description button.edit');
  await page.fill('#version-description textarea', 'Candidate for next week.');
  await page.click('#version-description button[type=submit]');
  await page.locator('#version-description .desc-text').waitFor();
  assert.equal((await version(MODEL, 3)).description, 'Candidate for next week.');
  await page.fill('#version-tags input[name=key]', 'validated');
  await page.fill('#version-tags input[name=value]', 'yes');
  await page.click('#version-tags button[type=submit]');
  await page.locator('#version-tags').getByText('validated').waitFor();
  assert.deepEqual((await version(MODEL, 3)).tags, [{ key: 'validated', value: 'yes' }]);
  await shot('registry-05-version-signature.png');

  await page.locator('#version-overview').getByRole('link', { name: seeded.runs[0].run_id }).click();
  await page.waitForURL(`**/runs/${seeded.runs[0].run_id}`);
  await page.goBack();
  await page.locator('#version-overview').waitFor();
  noProblems();
});

test('deep links, odd names and a missing model', async () => {
  await page.goto(url(`models/${enc(SPACED)}/versions/1`));
  await page.locator('#version-overview').waitFor();
  assert.match(await page.locator('#crumbs').textContent(), /Models›churn model›Version 1/);
  await page.locator('#version-signature').getByText("The model's files are at s3://bucket/churn, which this server does not read.").waitFor();
  await page.locator('#crumbs a', { hasText: SPACED }).click();
  await page.locator('#model-versions tr[data-version="1"]').waitFor();
  assert.equal(new URL(page.url()).pathname, `/models/${enc(SPACED)}`);

  // a quote in the name: versions found with the LIKE fallback, the look-alike model left out
  await page.goto(url(`models/${enc(QUOTED)}`));
  await page.locator('#model-versions tbody tr').first().waitFor();
  assert.deepEqual(await page.locator('#model-versions tbody td:first-child').allTextContents(), ['Version 2', 'Version 1']);

  // an unknown model shows the server's error, in the page (no uncaught error)
  await page.goto(url('models/no-such-model'));
  await page.locator('.error').waitFor();
  assert.match(await page.locator('.error').textContent(), /no-such-model/);
  browser.problems.splice(0).forEach((p) => assert.match(p, /status of 404/)); // the browser logs the 404 itself
  noProblems();
});

test('rename a model, delete a version and the model, each asked twice', async () => {
  const renamed = 'churn-model-v2';
  await page.goto(url(`models/${enc(SPACED)}`));
  await page.click('#rename-model');
  await page.keyboard.press('Escape'); // the name input has the focus
  await page.locator('#rename-model').waitFor();
  await page.click('#rename-model');
  await page.fill('.reg-rename input[name=new_name]', renamed);
  await page.keyboard.press('Enter');
  await page.waitForURL(`**/models/${renamed}`);
  await page.locator('#model-versions tr[data-version="1"]').waitFor();
  assert.equal((await model(renamed)).name, renamed);
  assert.equal((await fetch(url(`api/2.0/mlflow/registered-models/get?name=${enc(SPACED)}`))).status, 404);

  await page.locator('#model-versions').getByRole('link', { name: 'Version 1' }).click();
  await page.getByRole('button', { name: 'Delete version' }).click();
  await page.getByRole('button', { name: 'Cancel' }).click(); // nothing happens
  assert.equal((await version(renamed, 1)).version, '1');
  await page.getByRole('button', { name: 'Delete version' }).click();
  await page.getByRole('button', { name: 'Confirm' }).click();
  await page.waitForURL(`**/models/${renamed}`);
  await page.locator('#model-versions').getByText('No versions.').waitFor();
  const left = await call('GET', `model-versions/search?filter=${enc(`name='${renamed}'`)}`);
  assert.equal(left.model_versions, undefined);

  await page.getByRole('button', { name: 'Delete model' }).click();
  await page.getByRole('button', { name: 'Confirm' }).click();
  await page.waitForURL('**/models');
  await page.locator('#models').getByText(MODEL, { exact: true }).waitFor();
  assert.equal(await page.locator('#models').getByText(renamed).count(), 0);
  assert.equal((await fetch(url(`api/2.0/mlflow/registered-models/get?name=${renamed}`))).status, 404);
  noProblems();
});

test('the registry pages work under --static-prefix', async () => {
  const prefixed = await startServer(['--static-prefix', '/ml/flow']);
  try {
    const pcall = apiOf(prefixed);
    await pcall('POST', 'registered-models/create', { name: 'prefixed-model' });
    await pcall('POST', 'model-versions/create', { name: 'prefixed-model', source: 's3://b/m' });
    const base = `http://127.0.0.1:${prefixed.port}/ml/flow`;
    await page.goto(`${base}/experiments`);
    await page.locator('.sections a[aria-current]', { hasText: 'Experiments' }).waitFor();
    await page.locator('.sections a', { hasText: 'Models' }).click();
    await page.locator('.sections a[aria-current]', { hasText: 'Models' }).waitFor();
    await page.waitForURL(`${base}/models`);
    await page.locator('#models').getByRole('link', { name: 'prefixed-model' }).click();
    await page.waitForURL(`${base}/models/prefixed-model`);
    await page.locator('#model-versions').getByRole('link', { name: 'Version 1' }).click();
    await page.waitForURL(`${base}/models/prefixed-model/versions/1`);
    await page.selectOption('#stage-form select[name=stage]', 'Staging');
    await page.click('#stage-form button[type=submit]');
    await page.locator('#version-overview .stage-Staging').waitFor();
    const r = await fetch(`${base}/api/2.0/mlflowc/registered-models/history?name=prefixed-model`);
    assert.deepEqual((await r.json()).history.map((e) => e.to), ['Staging']);
    await page.goto(`${base}/models/prefixed-model/versions/1`); // deep link
    await page.locator('#version-history tbody tr').getByText('None → Staging').waitFor();
    noProblems();
  } finally {
    await stopServer(prefixed);
  }
});

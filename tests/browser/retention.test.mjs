// Browser test of the experiment page's retention line: a policy set with
// `mlflowc retention set` on the server's store is shown, read-only, above the
// runs table (through GET /ajax-api/2.0/mlflowc/experiments/retention); an
// experiment without its own follows the server default and says so; with no
// policy at all nothing is shown. Below it, what the next application would do
// (GET .../retention/preview, a dry run): the runs it would delete, with their
// bytes, and their ids as the line's title; nothing changes on the server. Any
// console error fails the test.

import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { BIN, startServer, stopServer, apiOf, openBrowser } from './harness.mjs';

let srv, browser, page, own, other, ownRun, otherRun;

function retention(...args) {
  const p = spawnSync(BIN, ['retention', ...args, '--backend-store-uri', `sqlite:///${srv.tmp}/mlflow.db`],
    { encoding: 'utf8', timeout: 60000 });
  assert.equal(p.status, 0, p.stderr);
}

before(async () => {
  srv = await startServer();
  const call = apiOf(srv);
  ({ experiment_id: own } = await call('POST', 'experiments/create', { name: 'with-policy' }));
  ({ experiment_id: other } = await call('POST', 'experiments/create', { name: 'follows-default' }));
  const runs = [];
  for (const exp of [own, other]) {
    runs.push((await call('POST', 'runs/create', { experiment_id: exp, run_name: `run-${exp}`, start_time: 1714000000000 })).run.info.run_id);
  }
  [ownRun, otherRun] = runs;
  // a young run with a file: kept by the age rule, its checkpoints pruned
  const young = (await call('POST', 'runs/create', { experiment_id: own, run_name: 'young', start_time: Date.now() })).run.info;
  const base = young.artifact_uri.replace(/^mlflow-artifacts:\/*/, '');
  for (const name of ['c1', 'c2', 'c3', 'c4', 'c5']) {
    const r = await fetch(`http://127.0.0.1:${srv.port}/api/2.0/mlflow-artifacts/artifacts/${base}/checkpoints/${name}`,
      { method: 'PUT', body: 'x'.repeat(2048) });
    assert.equal(r.status, 200);
  }
  browser = await openBrowser();
  page = browser.page;
});

after(async () => {
  await browser?.close();
  await stopServer(srv);
});

const url = (p = '') => `http://127.0.0.1:${srv.port}/${p}`;

test('no policy: no retention line', async () => {
  await page.goto(url(`experiments/${own}`));
  await page.locator('[role="row"]', { hasText: `run-${own}` }).first().waitFor();
  await page.waitForLoadState('networkidle');
  assert.equal(await page.locator('p.retention').isHidden(), true);
  assert.equal(await page.locator('p.retention-next').isHidden(), true);
});

test('an experiment shows its own policy, another the default', async () => {
  retention('set', '--experiment-id', own, '--keep-days', '90', '--keep-registered', '--keep-tag', 'keep=yes',
    '--prune', 'checkpoints/*', '--keep-last', '3', '--archived-versions-days', '180', '--archived-action', 'delete');
  retention('set', '--default', '--keep-days', '30');
  await page.goto(url(`experiments/${own}`));
  const line = page.locator('p.retention');
  await line.waitFor();
  assert.equal(await line.textContent(), 'Retention: runs started more than 90 days ago are deleted unless registered ' +
    'or tagged keep=yes; artifacts matching checkpoints/* are pruned to the last 3 per run; files of versions ' +
    'archived more than 180 days ago are deleted.');
  const next = page.locator('p.retention-next');
  await next.waitFor();
  assert.equal(await next.textContent(),
    'Next pass: would delete 1 run (0 B of artifacts), prune 2 artifact paths (4.0 KB).');
  assert.equal((await next.getAttribute('title')).split('\n')[0], ownRun);
  await page.goto(url(`experiments/${other}`));
  await page.locator('p.retention', { hasText: 'server default' }).waitFor();
  assert.equal(await page.locator('p.retention').textContent(),
    'Retention (server default): runs started more than 30 days ago are deleted.');
  await page.locator('p.retention-next').waitFor();
  assert.equal(await page.locator('p.retention-next').textContent(), 'Next pass: would delete 1 run (0 B of artifacts).');
  // the preview changed nothing: both old runs are still active
  const call = apiOf(srv);
  for (const id of [ownRun, otherRun]) {
    assert.equal((await call('GET', `runs/get?run_id=${id}`)).run.info.lifecycle_stage, 'active');
  }
});

test('a move to S3 says its storage class', async () => {
  // setting the policy contacts no S3 (the preview has no archived version to move)
  retention('set', '--experiment-id', other, '--archived-versions-days', '30', '--archived-action', 'move',
    '--move-to', 's3://cold-bucket/archive', '--move-storage-class', 'GLACIER_IR');
  await page.goto(url(`experiments/${other}`));
  const line = page.locator('p.retention', { hasText: 'storage class' });
  await line.waitFor();
  assert.equal(await line.textContent(), 'Retention: files of versions archived more than 30 days ago are ' +
    'moved to s3://cold-bucket/archive (storage class GLACIER_IR).');
});

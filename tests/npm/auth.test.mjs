// The npm `mlflow` 2.0.7 client against mlflowc with the basic-auth app on
// (`mlflowc server --app-name basic-auth`). The client has no credentials of its own: its
// constructor's `headers` option (node_modules/mlflow/README.md: "Key-Value pairs of
// RequestHeaders which will be passed for fetch method", e.g. {Authorization: 'Bearer ...'})
// is sent with every request, so an Authorization header carries HTTP Basic credentials or a
// bearer token made with /api/2.0/mlflowc/users/tokens/create.
//
// The server starts on a temp dir and a free port with an [mlflow] INI file
// (MLFLOW_AUTH_CONFIG_PATH) naming the admin and default_permission READ. The admin makes the
// user `editor`, an experiment `granted` where editor has EDIT and one `read-only` where
// editor only has the default READ. As editor (Basic, then a token) the client logs a run,
// params and metrics into `granted` and reads them back; in `read-only` it is refused with 403
// (MLflow's plain-text "Permission denied") and nothing is written; without credentials or with a wrong password, 401.

import { test, describe, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { createRequire } from 'node:module';
import fs from 'node:fs/promises';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const HERE = path.dirname(fileURLToPath(import.meta.url));
const BIN = path.resolve(process.env.MLFLOWC_BIN || path.join(HERE, '..', '..', 'build', 'mlflowc'));
const ADMIN = ['admin', 'npm-admin-password-1'];
const EDITOR = ['editor', 'npm-editor-password-1'];

// The client prints every POST body with console.log; keep the test output readable.
if (!process.env.MLFLOWC_NPM_VERBOSE) console.log = () => {};
const require = createRequire(import.meta.url);
const MLflow = require('mlflow');

const basic = ([user, password]) => `Basic ${Buffer.from(`${user}:${password}`).toString('base64')}`;
const sleep = (ms) => new Promise((r) => setTimeout(r, ms));
// Like sleep, but does not keep the process alive (only raced against an exit).
const deadlineAfter = (ms) => new Promise((r) => setTimeout(r, ms).unref());

let server; // { proc, tmp, port, base, output() }

async function freePort() {
  return new Promise((resolve, reject) => {
    const srv = net.createServer();
    srv.unref();
    srv.on('error', reject);
    srv.listen(0, '127.0.0.1', () => {
      const { port } = srv.address();
      srv.close(() => resolve(port));
    });
  });
}

async function startAuthServer() {
  await fs.access(BIN);
  const tmp = await fs.mkdtemp(path.join(os.tmpdir(), 'mlflowc-npm-auth-'));
  const config = path.join(tmp, 'auth.ini');
  await fs.writeFile(config, `[mlflow]\ndefault_permission = READ\nadmin_username = ${ADMIN[0]}\n` +
    `admin_password = ${ADMIN[1]}\n`);
  const port = await freePort();
  const args = ['server', '--app-name', 'basic-auth', '--backend-store-uri', `sqlite:///${tmp}/mlflow.db`,
    '--artifacts-destination', `${tmp}/mlartifacts`, '--host', '127.0.0.1', '--port', String(port)];
  const env = { ...process.env, MLFLOW_AUTH_CONFIG_PATH: config };
  delete env.MLFLOW_AUTH_ADMIN_PASSWORD;
  const proc = spawn(BIN, args, { cwd: tmp, env, stdio: ['ignore', 'pipe', 'pipe'], detached: true });
  let out = '';
  const keep = (chunk) => { out = (out + chunk).slice(-65536); };
  proc.stdout.setEncoding('utf8').on('data', keep);
  proc.stderr.setEncoding('utf8').on('data', keep);
  const exited = new Promise((resolve) => proc.on('exit', resolve));
  const srv = { proc, tmp, port, exited, base: `http://127.0.0.1:${port}`, output: () => out };
  process.on('exit', () => { try { process.kill(-proc.pid, 'SIGKILL'); } catch { /* gone */ } });
  for (let i = 0; i < 100; i++) { // 10 s
    if (proc.exitCode !== null) break;
    try {
      const res = await fetch(`${srv.base}/health`, { signal: AbortSignal.timeout(1000) });
      if (res.status === 200) return srv;
    } catch { /* not up yet */ }
    await sleep(100);
  }
  try { process.kill(-proc.pid, 'SIGKILL'); } catch { /* gone */ }
  throw new Error(`the auth server did not come up\nserver output:\n${out}`);
}

async function stopServer(srv) {
  try { process.kill(-srv.proc.pid, 'SIGTERM'); } catch { /* gone */ }
  const code = await Promise.race([srv.exited, deadlineAfter(10000).then(() => 'timeout')]);
  if (code === 'timeout') process.kill(-srv.proc.pid, 'SIGKILL');
  await fs.rm(srv.tmp, { recursive: true, force: true });
  assert.equal(code, 0, `the server's exit on SIGTERM\n${srv.output()}`);
}

// A REST call as the admin (setup and checks), not through the client under test.
async function asAdmin(method, apiPath, body) {
  const res = await fetch(`${server.base}/api/2.0${apiPath}`, {
    method,
    headers: { Authorization: basic(ADMIN), 'Content-Type': 'application/json' },
    body: body === undefined ? undefined : JSON.stringify(body),
  });
  const text = await res.text();
  assert.equal(res.status, 200, `${method} ${apiPath}: ${text}`);
  return text ? JSON.parse(text) : {};
}

// Awaits a client call that must fail; returns the client's {status, statusText, data}.
async function rejection(promise) {
  let err = null;
  try {
    const value = await promise;
    assert.fail(`expected a refusal, got ${JSON.stringify(value)}`);
  } catch (e) {
    if (e instanceof assert.AssertionError) throw e;
    err = e;
  }
  const m = /^Error: (\{.*\})$/s.exec(err.message);
  assert.ok(m, `not an HTTP error: ${err.message}`);
  return JSON.parse(m[1]);
}

const clientWith = (authorization) =>
  new MLflow({ endpoint: server.base, headers: authorization ? { Authorization: authorization } : {} });

let granted, readOnly;

describe('npm mlflow@2.0.7 client against mlflowc with basic-auth', () => {
  before(async () => {
    server = await startAuthServer();
    await asAdmin('POST', '/mlflow/users/create', { username: EDITOR[0], password: EDITOR[1] });
    granted = (await asAdmin('POST', '/mlflow/experiments/create', { name: 'npm-granted' })).experiment_id;
    readOnly = (await asAdmin('POST', '/mlflow/experiments/create', { name: 'npm-read-only' })).experiment_id;
    await asAdmin('POST', '/mlflow/experiments/permissions/create',
      { experiment_id: granted, username: EDITOR[0], permission: 'EDIT' });
  });

  after(async () => {
    if (server) await stopServer(server);
  });

  async function logAndReadBack(client, tag) {
    const { run } = await client.Runs.create({ experiment_id: granted, start_time: 1714000000000 });
    const run_id = run.info.run_id;
    await client.Runs.logParameter({ run_id, key: 'optimizer', value: tag });
    await client.Runs.logMetric({ run_id, key: 'loss', value: 0.5, timestamp: 1714000000001, step: 0 });
    await client.Runs.logMetric({ run_id, key: 'loss', value: 0.25, timestamp: 1714000000002, step: 1 });
    await client.Runs.logBatch({ run_id, metrics: [{ key: 'acc', value: 0.9, timestamp: 1714000000003, step: 1 }],
      params: [{ key: 'layers', value: '3' }], tags: [{ key: 'who', value: tag }] });
    const got = await client.Runs.get({ run_id });
    const params = Object.fromEntries(got.run.data.params.map((p) => [p.key, p.value]));
    assert.deepEqual(params, { optimizer: tag, layers: '3' });
    const metrics = Object.fromEntries(got.run.data.metrics.map((m) => [m.key, m.value]));
    assert.deepEqual(metrics, { loss: 0.25, acc: 0.9 });
    const history = await client.Metrics.getHistory({ run_id, metric_key: 'loss' });
    assert.deepEqual(history.metrics.map((m) => m.value), [0.5, 0.25]);
    return run_id;
  }

  test('an EDIT user logs a run, params and metrics with Basic credentials in the headers option', async () => {
    const run_id = await logAndReadBack(clientWith(basic(EDITOR)), 'basic');
    // and the admin sees what the editor wrote
    const seen = await asAdmin('GET', `/mlflow/runs/get?run_id=${run_id}`);
    assert.equal(seen.run.data.params.length, 2);
  });

  test('the same with a bearer token', async () => {
    const res = await fetch(`${server.base}/api/2.0/mlflowc/users/tokens/create`, {
      method: 'POST',
      headers: { Authorization: basic(EDITOR), 'Content-Type': 'application/json' },
      body: JSON.stringify({ name: 'npm' }),
    });
    assert.equal(res.status, 200);
    const { secret: token } = await res.json(); // shown this once
    assert.match(token, /^mlfct_/);
    await logAndReadBack(clientWith(`Bearer ${token}`), 'bearer');
  });

  test('refused with 403 where the user only has READ, and nothing is written', async () => {
    const client = clientWith(basic(EDITOR));
    const r = await rejection(client.Runs.create({ experiment_id: readOnly, start_time: 1714000000000 }));
    assert.equal(r.status, 403);
    assert.equal(r.data, null, 'MLflow answers a refusal with the text "Permission denied", not JSON');
    // READ still reads
    const exp = await client.Experiments.get({ experiment_id: readOnly });
    assert.equal(exp.experiment.name, 'npm-read-only');
    // a run the admin made there cannot be written to by the editor either
    const { run } = await asAdmin('POST', '/mlflow/runs/create', { experiment_id: readOnly });
    const run_id = run.info.run_id;
    const m = await rejection(client.Runs.logMetric({ run_id, key: 'loss', value: 1, timestamp: 1, step: 0 }));
    assert.equal(m.status, 403);
    const p = await rejection(client.Runs.logParameter({ run_id, key: 'k', value: 'v' }));
    assert.equal(p.status, 403);
    const after = await asAdmin('GET', `/mlflow/runs/get?run_id=${run_id}`);
    assert.deepEqual(after.run.data.metrics || [], []);
    assert.deepEqual(after.run.data.params || [], []);
    const search = await asAdmin('POST', '/mlflow/runs/search', { experiment_ids: [readOnly] });
    assert.equal(search.runs.length, 1, 'only the admin\'s run');
  });

  test('no credentials or a wrong password: 401', async () => {
    const none = await rejection(clientWith(null).Runs.create({ experiment_id: granted }));
    assert.equal(none.status, 401);
    const wrong = await rejection(clientWith(basic([EDITOR[0], 'not-the-password'])).Runs.create({ experiment_id: granted }));
    assert.equal(wrong.status, 401);
  });
});

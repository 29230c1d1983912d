// Third-party-client test: drives mlflowc through the unofficial npm `mlflow` 2.0.7 JS client.
// Starts the real server binary (MLFLOWC_BIN, default ../../build/mlflowc) on a temp dir and a
// free port, then writes experiments, runs, params, metrics and tags with the client and reads
// them back.
//
// Facts about mlflow@2.0.7 this file relies on (read from node_modules/mlflow/lib/*.js):
// - CommonJS; `require('mlflow')` is the MLflow class; `new MLflow({endpoint})` exposes getters
//   Experiments, Runs, Metrics, Artifacts, each a fresh MLflowBase subclass instance.
// - Every call goes through MLflowBase.req(method, path, param): POST/PUT/PATCH send a JSON body
//   with Content-Type: application/json, GET sends the params as a query string (undefined values
//   dropped); URL = `${endpoint}/api/2.0/mlflow${this.path}${path}`. It console.logs each POST
//   body. A 200 resolves to the parsed JSON (null if unparseable); anything else rejects with
//   Error(Error(JSON.stringify({status, statusText, data}))), i.e. message "Error: {...}".
// - HTTP goes through isomorphic-unfetch, which uses globalThis.fetch when it exists (Node 20:
//   built-in fetch), captured once at require time.
// - The client has no get-by-name and no experiments/search: those (and a correct
//   set-experiment-tag) are sent through the client's own `req` on its Experiments instance.
// - Experiments.setExperimentTag uses the path 'set-experiment-tag' without a leading slash, so it
//   requests /api/2.0/mlflow/experimentsset-experiment-tag: broken against any MLflow server.
// - Experiments.list calls GET experiments/list, which MLflow 2.0 removed: not exercised.
// - Runs.create has no run_name (the name goes in the mlflow.runName tag); the README's logParam
//   is really Runs.logParameter; Runs.* send both run_id and run_uuid; Metrics.getHistory sends
//   no max_results (the server must then return every point).

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
const VERBOSE = !!process.env.MLFLOWC_NPM_VERBOSE;

// Record every HTTP exchange the client makes, so a failing test can show the wire traffic.
// Must be installed before the client is required: isomorphic-unfetch captures globalThis.fetch.
const realFetch = globalThis.fetch;
const exchanges = [];
globalThis.fetch = async function recordingFetch(url, opts = {}) {
  const entry = { method: String(opts.method || 'GET').toUpperCase(), url: String(url), body: opts.body };
  exchanges.push(entry);
  if (exchanges.length > 200) exchanges.splice(0, exchanges.length - 200);
  try {
    const res = await realFetch(url, opts);
    entry.status = res.status;
    entry.response = await res.clone().text().catch((e) => `<unreadable body: ${e}>`);
    return res;
  } catch (e) {
    entry.error = String(e && e.cause ? `${e} (${e.cause})` : e);
    throw e;
  }
};

// The client prints every POST body with console.log; keep the test output readable.
const realLog = console.log;
if (!VERBOSE) console.log = () => {};

const require = createRequire(import.meta.url);
const MLflow = require('mlflow');
const { ViewType, RunStatus, LifecycleStage } = require('mlflow/enum');

const T0 = 1714000000000; // fixed epoch-ms base for deterministic ordering

let server; // { proc, tmp, port, output() }
let client;
let seq = 0;
const uniq = (prefix) => `${prefix}-${process.pid}-${++seq}`;

function clip(s, n = 1500) {
  if (s === undefined) return '';
  s = String(s);
  return s.length > n ? `${s.slice(0, n)}...(${s.length} chars)` : s;
}

// Pretty-printed JSON bodies are shown on one line.
function compact(text) {
  try {
    return JSON.stringify(JSON.parse(text));
  } catch {
    return text;
  }
}

function formatExchanges(list) {
  return list
    .map((x) => `${x.method} ${x.url}${x.body ? `\n  body: ${clip(x.body)}` : ''}\n  -> ${
      x.error ? `error ${x.error}` : `${x.status} ${clip(compact(x.response))}`}`)
    .join('\n');
}

// A test that, when it fails, prints the HTTP exchanges it made (request and response).
function tc(name, fn) {
  test(name, { timeout: 30000 }, async (t) => {
    const mark = exchanges.length;
    try {
      await fn(t);
    } catch (e) {
      const mine = exchanges.slice(mark).slice(-10);
      for (const line of formatExchanges(mine).split('\n')) t.diagnostic(line);
      throw e;
    }
  });
}

// Awaits a client call that must fail; returns the client's {status, statusText, data}.
async function rejection(promise) {
  let err;
  try {
    const value = await promise;
    assert.fail(`expected the call to be rejected, but it resolved with ${JSON.stringify(value)}`);
  } catch (e) {
    if (e instanceof assert.AssertionError) throw e;
    err = e;
  }
  const m = /^Error: (\{.*\})$/s.exec(err.message);
  assert.ok(m, `client error is not an HTTP error: ${err.message}`);
  return JSON.parse(m[1]);
}

async function expectApiError(promise, status, errorCode) {
  const r = await rejection(promise);
  assert.equal(r.status, status, `HTTP status (data: ${JSON.stringify(r.data)})`);
  assert.ok(r.data && typeof r.data === 'object', `error body must be JSON, got ${JSON.stringify(r.data)}`);
  assert.equal(r.data.error_code, errorCode);
  assert.equal(typeof r.data.message, 'string');
  assert.ok(r.data.message.length > 0, 'error message is empty');
  return r.data;
}

// Experiments endpoints the client lacks, sent through the client's own request machinery.
const getExperimentByName = (name) => client.Experiments.req('get', '/get-by-name', { experiment_name: name });
const searchExperiments = (body) => client.Experiments.req('post', '/search', body);
const setExperimentTag = (body) => client.Experiments.req('post', '/set-experiment-tag', body);

const tagMap = (tags) => Object.fromEntries((tags || []).map((t) => [t.key, t.value]));
const pickMetric = (m) => ({ key: m.key, value: m.value, timestamp: m.timestamp, step: m.step });
const sortByKey = (a, b) => (a.key < b.key ? -1 : a.key > b.key ? 1 : 0);

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

const sleep = (ms) => new Promise((r) => setTimeout(r, ms));
// Like sleep, but does not keep the process alive (used only in races against an exit).
const deadlineAfter = (ms) => new Promise((r) => setTimeout(r, ms).unref());

async function startServer() {
  await fs.access(BIN).catch(() => {
    throw new Error(`server binary not found: ${BIN} (build it, or set MLFLOWC_BIN)`);
  });
  const tmp = await fs.mkdtemp(path.join(os.tmpdir(), 'mlflowc-npm-'));
  const port = await freePort();
  const args = ['server',
    '--backend-store-uri', `sqlite:///${tmp}/mlflow.db`,
    '--default-artifact-root', `${tmp}/artifacts`,
    '--host', '127.0.0.1', '--port', String(port)];
  let out = '';
  const keep = (chunk) => {
    out += chunk;
    if (out.length > 65536) out = out.slice(-65536);
    if (VERBOSE) process.stderr.write(chunk);
  };
  // Own process group, so a server that forks can be stopped as a whole.
  const proc = spawn(BIN, args, { cwd: tmp, stdio: ['ignore', 'pipe', 'pipe'], detached: true });
  proc.stdout.setEncoding('utf8').on('data', keep);
  proc.stderr.setEncoding('utf8').on('data', keep);
  let spawnError = null;
  proc.on('error', (e) => { spawnError = e; });
  const exited = new Promise((resolve) => proc.on('exit', (code, signal) => resolve({ code, signal })));
  const srv = { proc, tmp, port, exited, output: () => out };
  process.on('exit', () => { if (isRunning(srv)) signalServer(srv, 'SIGKILL'); });

  const deadline = Date.now() + 10000;
  let last = 'no attempt';
  let problem = null;
  while (!problem) {
    if (spawnError) {
      problem = `cannot start ${BIN}: ${spawnError.message}`;
    } else if (!isRunning(srv)) {
      problem = `server exited early (code ${proc.exitCode}, signal ${proc.signalCode})`;
    } else if (Date.now() >= deadline) {
      problem = `GET /health did not answer 200 within 10 s (last: ${last})`;
    } else {
      try {
        const res = await realFetch(`http://127.0.0.1:${port}/health`, { signal: AbortSignal.timeout(1000) });
        const body = await res.text();
        if (res.status === 200) return srv;
        last = `status ${res.status} body ${clip(body, 200)}`;
      } catch (e) {
        last = String(e.cause ? `${e} (${e.cause.message || e.cause})` : e);
      }
      await sleep(100);
    }
  }
  await stopServer(srv, { quiet: true });
  throw new Error(`${problem}\ncommand: ${BIN} ${args.join(' ')}\nserver output:\n${out}`);
}

const isRunning = (srv) => srv.proc.exitCode === null && srv.proc.signalCode === null && srv.proc.pid !== undefined;

function signalServer(srv, sig) {
  try {
    process.kill(-srv.proc.pid, sig);
  } catch {
    // the group is already gone
  }
}

// SIGTERM, wait up to 5 s for the exit, else SIGKILL; then remove the temp dir.
async function stopServer(srv, { quiet = false } = {}) {
  const { proc, exited } = srv;
  let problem = null;
  if (isRunning(srv)) {
    signalServer(srv, 'SIGTERM');
    const r = await Promise.race([exited, deadlineAfter(5000).then(() => null)]);
    if (r === null) {
      signalServer(srv, 'SIGKILL');
      await Promise.race([exited, deadlineAfter(2000)]);
      problem = 'server did not exit within 5 s of SIGTERM (killed with SIGKILL)';
    } else if (VERBOSE) {
      process.stderr.write(`server exited: code ${r.code}, signal ${r.signal}\n`);
    }
  }
  proc.stdout.destroy();
  proc.stderr.destroy();
  await fs.rm(srv.tmp, { recursive: true, force: true });
  if (problem && !quiet) throw new Error(`${problem}\nserver output:\n${srv.output()}`);
}

async function createExperiment(prefix = 'exp') {
  const name = uniq(prefix);
  const res = await client.Experiments.create({ name });
  assert.equal(typeof res.experiment_id, 'string', 'experiment_id must be a JSON string');
  assert.match(res.experiment_id, /^[0-9]+$/);
  return { id: res.experiment_id, name };
}

async function createRun(experiment_id, { name, start_time = Date.now(), tags = [] } = {}) {
  const allTags = name ? [{ key: 'mlflow.runName', value: name }, ...tags] : tags;
  const { run } = await client.Runs.create({ experiment_id, user_id: 'npm-tester', start_time, tags: allTags });
  assert.ok(run && run.info, 'runs/create must return {run: {info}}');
  return run;
}

describe('npm mlflow@2.0.7 client against mlflowc', () => {
  before(async () => {
    server = await startServer();
    client = new MLflow({ endpoint: `http://127.0.0.1:${server.port}` });
  }, { timeout: 20000 });

  after(async () => {
    console.log = realLog;
    if (server) await stopServer(server);
  }, { timeout: 15000 });

  // ---------------------------------------------------------------- experiments

  tc('experiments: create then get returns what was written', async () => {
    const before = Date.now();
    const { id, name } = await createExperiment('create-get');
    const after = Date.now();
    assert.notEqual(id, '0', 'a new experiment must not get the default id');

    const res = await client.Experiments.get({ experiment_id: id });
    const e = res.experiment;
    assert.ok(e, 'response must have "experiment"');
    assert.equal(e.experiment_id, id);
    assert.equal(e.name, name);
    assert.equal(e.lifecycle_stage, LifecycleStage.active);
    assert.equal(e.artifact_location, `${server.tmp}/artifacts/${id}`);
    assert.equal(typeof e.creation_time, 'number', 'creation_time must be a JSON number');
    assert.equal(typeof e.last_update_time, 'number', 'last_update_time must be a JSON number');
    assert.ok(e.creation_time >= before - 1000 && e.creation_time <= after + 1000,
      `creation_time ${e.creation_time} not within [${before}, ${after}]`);
    assert.equal(e.tags, undefined, 'an experiment without tags must omit "tags"');

    // A second experiment gets a different id; an explicit artifact_location is kept verbatim.
    const loc = `${server.tmp}/custom-location`;
    const name2 = uniq('create-loc');
    const { experiment_id: id2 } = await client.Experiments.create({ name: name2, artifact_location: loc });
    assert.notEqual(id2, id);
    const e2 = (await client.Experiments.get({ experiment_id: id2 })).experiment;
    assert.equal(e2.name, name2);
    assert.equal(e2.artifact_location, loc);
  });

  tc('experiments: duplicate name and unknown id are API errors', async () => {
    const { name } = await createExperiment('dup');
    await expectApiError(client.Experiments.create({ name }), 400, 'RESOURCE_ALREADY_EXISTS');
    await expectApiError(client.Experiments.get({ experiment_id: '987654321' }), 404, 'RESOURCE_DOES_NOT_EXIST');
  });

  tc('experiments: get by name (exact match, default experiment, missing name)', async () => {
    const { id, name } = await createExperiment('byname');
    const res = await getExperimentByName(name);
    assert.equal(res.experiment.experiment_id, id);
    assert.equal(res.experiment.name, name);

    const def = await getExperimentByName('Default');
    assert.equal(def.experiment.experiment_id, '0');
    assert.equal(def.experiment.name, 'Default');

    await expectApiError(getExperimentByName(name.toUpperCase()), 404, 'RESOURCE_DOES_NOT_EXIST');
    await expectApiError(getExperimentByName(uniq('never-created')), 404, 'RESOURCE_DOES_NOT_EXIST');
  });

  tc('experiments: search with filter, order_by, paging and view_type', async () => {
    const prefix = uniq('srch');
    const ids = {};
    for (const suffix of ['b', 'a', 'c']) {
      const name = `${prefix}-${suffix}`;
      ids[suffix] = (await client.Experiments.create({ name })).experiment_id;
    }
    const filter = `name LIKE '${prefix}-%'`;

    const all = await searchExperiments({ filter, order_by: ['name ASC'], max_results: 10 });
    assert.deepEqual(all.experiments.map((e) => e.name), ['a', 'b', 'c'].map((s) => `${prefix}-${s}`));
    assert.deepEqual(all.experiments.map((e) => e.experiment_id), [ids.a, ids.b, ids.c]);
    assert.equal(all.next_page_token, undefined, 'no next_page_token when everything fits');

    const desc = await searchExperiments({ filter, order_by: ['name DESC'], max_results: 10 });
    assert.deepEqual(desc.experiments.map((e) => e.experiment_id), [ids.c, ids.b, ids.a]);

    const page1 = await searchExperiments({ filter, order_by: ['name ASC'], max_results: 2 });
    assert.deepEqual(page1.experiments.map((e) => e.experiment_id), [ids.a, ids.b]);
    assert.equal(typeof page1.next_page_token, 'string');
    assert.ok(page1.next_page_token.length > 0);
    const page2 = await searchExperiments({ filter, order_by: ['name ASC'], max_results: 2, page_token: page1.next_page_token });
    assert.deepEqual(page2.experiments.map((e) => e.experiment_id), [ids.c]);
    assert.equal(page2.next_page_token, undefined);

    const exact = await searchExperiments({ filter: `name = '${prefix}-b'`, max_results: 5 });
    assert.deepEqual(exact.experiments.map((e) => e.experiment_id), [ids.b]);

    const none = await searchExperiments({ filter: `name = '${prefix}-zzz'`, max_results: 5 });
    assert.deepEqual(none, {}, 'an empty search result must be {}');

    await client.Experiments.delete({ experiment_id: ids.b });
    const active = await searchExperiments({ filter, order_by: ['name ASC'], max_results: 10 });
    assert.deepEqual(active.experiments.map((e) => e.experiment_id), [ids.a, ids.c]);
    const deleted = await searchExperiments({ filter, view_type: ViewType.DELETED_ONLY, max_results: 10 });
    assert.deepEqual(deleted.experiments.map((e) => e.experiment_id), [ids.b]);
    const every = await searchExperiments({ filter, view_type: ViewType.ALL, order_by: ['name ASC'], max_results: 10 });
    assert.deepEqual(every.experiments.map((e) => e.experiment_id), [ids.a, ids.b, ids.c]);

    // The same search as a GET with query parameters, through the client's query-string encoder.
    const viaGet = await client.Experiments.req('get', '/search', { filter, order_by: 'name DESC', max_results: 10 });
    assert.deepEqual(viaGet.experiments.map((e) => e.experiment_id), [ids.c, ids.a]);
  });

  tc('experiments: update renames the experiment', async () => {
    const { id, name } = await createExperiment('rename-old');
    const before = (await client.Experiments.get({ experiment_id: id })).experiment;
    const newName = uniq('rename-new');
    const res = await client.Experiments.update({ experiment_id: id, new_name: newName });
    assert.deepEqual(res, {});

    const e = (await client.Experiments.get({ experiment_id: id })).experiment;
    assert.equal(e.name, newName);
    assert.equal(e.experiment_id, id);
    assert.ok(e.last_update_time >= before.last_update_time, 'last_update_time must not go back');
    assert.equal((await getExperimentByName(newName)).experiment.experiment_id, id);
    await expectApiError(getExperimentByName(name), 404, 'RESOURCE_DOES_NOT_EXIST');
  });

  tc('experiments: set-experiment-tag upserts and is read back', async () => {
    const { id } = await createExperiment('exptag');
    assert.deepEqual(await setExperimentTag({ experiment_id: id, key: 'team', value: 'ml' }), {});
    await setExperimentTag({ experiment_id: id, key: 'env', value: 'dev' });
    let e = (await client.Experiments.get({ experiment_id: id })).experiment;
    assert.deepEqual(tagMap(e.tags), { team: 'ml', env: 'dev' });
    assert.equal(e.tags.length, 2);

    await setExperimentTag({ experiment_id: id, key: 'env', value: 'prod' });
    e = (await client.Experiments.get({ experiment_id: id })).experiment;
    assert.deepEqual(tagMap(e.tags), { team: 'ml', env: 'prod' });
    assert.equal(e.tags.length, 2, 'setting an existing key must not add a second tag');

    const found = await searchExperiments({ filter: `tags.env = 'prod' AND name = '${e.name}'`, max_results: 5 });
    assert.deepEqual(found.experiments.map((x) => x.experiment_id), [id]);
  });

  tc('experiments: client setExperimentTag (path lacks a slash) gets a 404 and changes nothing', async () => {
    // Documents the client bug: it requests /api/2.0/mlflow/experimentsset-experiment-tag.
    const { id } = await createExperiment('exptag-bug');
    const r = await rejection(client.Experiments.setExperimentTag({ experiment_id: id, key: 'k', value: 'v' }));
    assert.equal(r.status, 404);
    const e = (await client.Experiments.get({ experiment_id: id })).experiment;
    assert.equal(e.tags, undefined);
  });

  tc('experiments: delete and restore (with the cascade to runs)', async () => {
    const { id, name } = await createExperiment('delres');
    const run = await createRun(id, { name: 'in-deleted-exp', start_time: T0 });
    const runId = run.info.run_id;

    assert.deepEqual(await client.Experiments.delete({ experiment_id: id }), {});
    let e = (await client.Experiments.get({ experiment_id: id })).experiment;
    assert.equal(e.lifecycle_stage, LifecycleStage.deleted);
    assert.equal((await getExperimentByName(name)).experiment.lifecycle_stage, LifecycleStage.deleted);
    assert.equal((await client.Runs.get({ run_id: runId })).run.info.lifecycle_stage, LifecycleStage.deleted,
      'deleting an experiment must mark its runs deleted');
    await expectApiError(client.Experiments.delete({ experiment_id: id }), 404, 'RESOURCE_DOES_NOT_EXIST');
    await expectApiError(client.Runs.create({ experiment_id: id, user_id: 'u', start_time: T0 }), 400, 'INVALID_PARAMETER_VALUE');

    assert.deepEqual(await client.Experiments.restore({ experiment_id: id }), {});
    e = (await client.Experiments.get({ experiment_id: id })).experiment;
    assert.equal(e.lifecycle_stage, LifecycleStage.active);
    assert.equal((await client.Runs.get({ run_id: runId })).run.info.lifecycle_stage, LifecycleStage.active,
      'restoring an experiment must restore its runs');
    await expectApiError(client.Experiments.restore({ experiment_id: id }), 404, 'RESOURCE_DOES_NOT_EXIST');
  });

  // ---------------------------------------------------------------- runs

  tc('runs: create then get returns the same run', async () => {
    const { id } = await createExperiment('run-create');
    const exp = (await client.Experiments.get({ experiment_id: id })).experiment;
    const run = await createRun(id, { name: 'npm-run-1', start_time: T0 + 42, tags: [{ key: 'team', value: 'ml' }] });
    const info = run.info;
    assert.match(info.run_id, /^[0-9a-f]{32}$/);
    assert.equal(info.run_uuid, info.run_id);
    assert.equal(info.experiment_id, id);
    assert.equal(info.user_id, 'npm-tester');
    assert.equal(info.run_name, 'npm-run-1');
    assert.equal(info.status, RunStatus.RUNNING);
    assert.equal(info.start_time, T0 + 42);
    assert.equal(info.end_time, undefined, 'end_time must be omitted while unset');
    assert.equal(info.lifecycle_stage, LifecycleStage.active);
    assert.equal(info.artifact_uri, `${exp.artifact_location}/${info.run_id}/artifacts`);
    assert.deepEqual(tagMap(run.data.tags), { 'mlflow.runName': 'npm-run-1', team: 'ml' });
    assert.equal(run.data.metrics, undefined);
    assert.equal(run.data.params, undefined);

    const got = (await client.Runs.get({ run_id: info.run_id })).run;
    assert.deepEqual(got.info, info);
    assert.deepEqual([...got.data.tags].sort(sortByKey), [...run.data.tags].sort(sortByKey));

    const other = await createRun(id, { start_time: T0 });
    assert.notEqual(other.info.run_id, info.run_id);
    assert.equal(typeof other.info.run_name, 'string');
    assert.ok(other.info.run_name.length > 0, 'a run created without a name gets a generated one');

    await expectApiError(client.Runs.get({ run_id: 'f'.repeat(32) }), 404, 'RESOURCE_DOES_NOT_EXIST');
  });

  tc('runs: update sets status and end_time', async () => {
    const { id } = await createExperiment('run-update');
    const run = await createRun(id, { name: 'to-finish', start_time: T0 });
    const runId = run.info.run_id;
    const res = await client.Runs.update({ run_id: runId, status: RunStatus.FINISHED, end_time: T0 + 5000 });
    assert.equal(res.run_info.run_id, runId);
    assert.equal(res.run_info.status, RunStatus.FINISHED);
    assert.equal(res.run_info.end_time, T0 + 5000);
    assert.equal(res.run_info.start_time, T0);

    const got = (await client.Runs.get({ run_id: runId })).run.info;
    assert.equal(got.status, RunStatus.FINISHED);
    assert.equal(got.end_time, T0 + 5000);
    assert.equal(got.run_name, 'to-finish');

    await client.Runs.update({ run_id: runId, status: RunStatus.KILLED, end_time: T0 + 6000 });
    const again = (await client.Runs.get({ run_id: runId })).run.info;
    assert.equal(again.status, RunStatus.KILLED);
    assert.equal(again.end_time, T0 + 6000);
  });

  tc('runs: set-tag upserts, delete-tag removes', async () => {
    const { id } = await createExperiment('run-tag');
    const runId = (await createRun(id, { name: 'tagged' })).info.run_id;
    assert.deepEqual(await client.Runs.setTag({ run_id: runId, key: 'stage', value: 'dev' }), {});
    await client.Runs.setTag({ run_id: runId, key: 'owner', value: 'alice' });
    let tags = (await client.Runs.get({ run_id: runId })).run.data.tags;
    assert.deepEqual(tagMap(tags), { 'mlflow.runName': 'tagged', stage: 'dev', owner: 'alice' });

    await client.Runs.setTag({ run_id: runId, key: 'stage', value: 'prod' });
    tags = (await client.Runs.get({ run_id: runId })).run.data.tags;
    assert.deepEqual(tagMap(tags), { 'mlflow.runName': 'tagged', stage: 'prod', owner: 'alice' });
    assert.equal(tags.length, 3);

    assert.deepEqual(await client.Runs.deleteTag({ run_id: runId, key: 'owner' }), {});
    tags = (await client.Runs.get({ run_id: runId })).run.data.tags;
    assert.deepEqual(tagMap(tags), { 'mlflow.runName': 'tagged', stage: 'prod' });
    await expectApiError(client.Runs.deleteTag({ run_id: runId, key: 'owner' }), 404, 'RESOURCE_DOES_NOT_EXIST');

    // Setting mlflow.runName renames the run.
    await client.Runs.setTag({ run_id: runId, key: 'mlflow.runName', value: 'renamed' });
    assert.equal((await client.Runs.get({ run_id: runId })).run.info.run_name, 'renamed');
  });

  tc('runs: log-parameter is write-once', async () => {
    const { id } = await createExperiment('run-param');
    const runId = (await createRun(id)).info.run_id;
    assert.deepEqual(await client.Runs.logParameter({ run_id: runId, key: 'lr', value: '0.01' }), {});
    await client.Runs.logParameter({ run_id: runId, key: 'optimizer', value: 'adam' });
    let params = (await client.Runs.get({ run_id: runId })).run.data.params;
    assert.deepEqual(tagMap(params), { lr: '0.01', optimizer: 'adam' });
    assert.equal(params.length, 2);

    // Same value again is a no-op; a different value is rejected and the old one is kept.
    assert.deepEqual(await client.Runs.logParameter({ run_id: runId, key: 'lr', value: '0.01' }), {});
    await expectApiError(client.Runs.logParameter({ run_id: runId, key: 'lr', value: '0.02' }), 400, 'INVALID_PARAMETER_VALUE');
    params = (await client.Runs.get({ run_id: runId })).run.data.params;
    assert.deepEqual(tagMap(params), { lr: '0.01', optimizer: 'adam' });
    assert.equal(params.length, 2);
  });

  tc('runs: log-metric keeps the latest value per key; get-history returns every point in order', async () => {
    const { id } = await createExperiment('run-metric');
    const runId = (await createRun(id)).info.run_id;
    const points = [
      { key: 'loss', value: 0.9, timestamp: T0 + 10, step: 0 },
      { key: 'loss', value: 1 / 3, timestamp: T0 + 20, step: 1 },
      { key: 'loss', value: 0.125, timestamp: T0 + 30, step: 2 },
      { key: 'acc', value: -2.5, timestamp: T0 + 15, step: 7 },
    ];
    // Log out of order: history is sorted by (timestamp, step, value), latest is by step.
    for (const p of [points[2], points[0], points[3], points[1]]) {
      assert.deepEqual(await client.Runs.logMetric({ run_id: runId, ...p }), {});
    }

    const metrics = (await client.Runs.get({ run_id: runId })).run.data.metrics.map(pickMetric).sort(sortByKey);
    assert.deepEqual(metrics, [points[3], points[2]]);

    const hist = await client.Metrics.getHistory({ run_id: runId, metric_key: 'loss' });
    assert.deepEqual(Object.keys(hist), ['metrics'], 'get-history returns {"metrics": [...]}');
    assert.deepEqual(hist.metrics.map(pickMetric), points.slice(0, 3));
    assert.equal(hist.metrics[1].value, 1 / 3, 'doubles must round-trip exactly');

    const acc = await client.Metrics.getHistory({ run_id: runId, metric_key: 'acc' });
    assert.deepEqual(acc.metrics.map(pickMetric), [points[3]]);

    assert.deepEqual(await client.Metrics.getHistory({ run_id: runId, metric_key: 'no-such-key' }), {},
      'history of an unknown key is empty: {}');

    // Without a step the metric is stored at step 0.
    await client.Runs.logMetric({ run_id: runId, key: 'nostep', value: 4, timestamp: T0 });
    const ns = await client.Metrics.getHistory({ run_id: runId, metric_key: 'nostep' });
    assert.deepEqual(ns.metrics.map(pickMetric), [{ key: 'nostep', value: 4, timestamp: T0, step: 0 }]);
  });

  tc('runs: log-batch writes metrics, params and tags', async () => {
    const { id } = await createExperiment('run-batch');
    const runId = (await createRun(id, { name: 'batched' })).info.run_id;
    const metrics = [
      { key: 'rmse', value: 3.5, timestamp: T0 + 1, step: 0 },
      { key: 'rmse', value: 2.25, timestamp: T0 + 2, step: 1 },
      { key: 'rmse', value: 1.75, timestamp: T0 + 3, step: 2 },
      { key: 'mae', value: 0.5, timestamp: T0 + 1, step: 0 },
    ];
    const res = await client.Runs.logBatch({
      run_id: runId,
      metrics,
      params: [{ key: 'depth', value: '6' }, { key: 'model', value: 'gbm' }],
      tags: [{ key: 'phase', value: 'train' }],
    });
    assert.deepEqual(res, {});

    const data = (await client.Runs.get({ run_id: runId })).run.data;
    assert.deepEqual(data.metrics.map(pickMetric).sort(sortByKey), [metrics[3], metrics[2]]);
    assert.deepEqual([...data.params].sort(sortByKey), [{ key: 'depth', value: '6' }, { key: 'model', value: 'gbm' }]);
    assert.deepEqual(tagMap(data.tags), { 'mlflow.runName': 'batched', phase: 'train' });

    const hist = await client.Metrics.getHistory({ run_id: runId, metric_key: 'rmse' });
    assert.deepEqual(hist.metrics.map(pickMetric), metrics.slice(0, 3));

    // A second batch: tags upsert, a same-value param is fine, and an empty batch is accepted.
    await client.Runs.logBatch({ run_id: runId, params: [{ key: 'depth', value: '6' }], tags: [{ key: 'phase', value: 'eval' }] });
    assert.deepEqual(await client.Runs.logBatch({ run_id: runId }), {});
    const data2 = (await client.Runs.get({ run_id: runId })).run.data;
    assert.deepEqual(tagMap(data2.tags), { 'mlflow.runName': 'batched', phase: 'eval' });
    assert.equal(data2.params.length, 2);

    await expectApiError(client.Runs.logBatch({ run_id: runId, params: [{ key: 'p', value: '1' }, { key: 'p', value: '2' }] }),
      400, 'INVALID_PARAMETER_VALUE');
    await expectApiError(client.Runs.logBatch({ run_id: runId, params: [{ key: 'depth', value: '7' }] }),
      400, 'INVALID_PARAMETER_VALUE');
  });

  tc('runs: delete and restore', async () => {
    const { id } = await createExperiment('run-delres');
    const keep = (await createRun(id, { name: 'keep', start_time: T0 + 1 })).info.run_id;
    const gone = (await createRun(id, { name: 'gone', start_time: T0 + 2 })).info.run_id;

    assert.deepEqual(await client.Runs.delete({ run_id: gone }), {});
    assert.equal((await client.Runs.get({ run_id: gone })).run.info.lifecycle_stage, LifecycleStage.deleted);
    assert.equal((await client.Runs.get({ run_id: keep })).run.info.lifecycle_stage, LifecycleStage.active);

    const active = await client.Runs.search({ experiment_ids: [id] });
    assert.deepEqual(active.runs.map((r) => r.info.run_id), [keep]);
    const deleted = await client.Runs.search({ experiment_ids: [id], run_view_type: ViewType.DELETED_ONLY });
    assert.deepEqual(deleted.runs.map((r) => r.info.run_id), [gone]);
    const all = await client.Runs.search({ experiment_ids: [id], run_view_type: ViewType.ALL });
    assert.deepEqual(all.runs.map((r) => r.info.run_id), [gone, keep], 'default order is start_time DESC');

    await expectApiError(client.Runs.logMetric({ run_id: gone, key: 'm', value: 1, timestamp: T0 }), 400, 'INVALID_PARAMETER_VALUE');
    await expectApiError(client.Runs.logParameter({ run_id: gone, key: 'p', value: '1' }), 400, 'INVALID_PARAMETER_VALUE');

    assert.deepEqual(await client.Runs.restore({ run_id: gone }), {});
    assert.equal((await client.Runs.get({ run_id: gone })).run.info.lifecycle_stage, LifecycleStage.active);
    const after = await client.Runs.search({ experiment_ids: [id] });
    assert.deepEqual(after.runs.map((r) => r.info.run_id), [gone, keep]);
    await client.Runs.logParameter({ run_id: gone, key: 'p', value: '1' });
    assert.deepEqual((await client.Runs.get({ run_id: gone })).run.data.params, [{ key: 'p', value: '1' }]);
  });

  tc('runs: search with filter, order_by and paging', async () => {
    const { id } = await createExperiment('run-search');
    const other = await createExperiment('run-search-other');
    const spec = [
      { name: 'r1', model: 'lr', acc: 0.9 },
      { name: 'r2', model: 'lr', acc: 0.6 },
      { name: 'r3', model: 'lr', acc: 0.3 },
      { name: 'r4', model: 'tree', acc: 0.95 },
      { name: 'r5', model: 'lr' },
    ];
    const ids = {};
    for (const [i, s] of spec.entries()) {
      const runId = (await createRun(id, { name: s.name, start_time: T0 + i * 1000, tags: [{ key: 'group', value: i % 2 ? 'odd' : 'even' }] })).info.run_id;
      ids[s.name] = runId;
      await client.Runs.logParameter({ run_id: runId, key: 'model', value: s.model });
      if (s.acc !== undefined) {
        await client.Runs.logMetric({ run_id: runId, key: 'acc', value: s.acc / 2, timestamp: T0 + i, step: 0 });
        await client.Runs.logMetric({ run_id: runId, key: 'acc', value: s.acc, timestamp: T0 + i, step: 1 });
      }
    }
    // A matching run in another experiment must not leak into searches scoped to `id`.
    const stray = (await createRun(other.id, { name: 'stray', start_time: T0 })).info.run_id;
    await client.Runs.logParameter({ run_id: stray, key: 'model', value: 'lr' });
    await client.Runs.logMetric({ run_id: stray, key: 'acc', value: 0.99, timestamp: T0, step: 0 });

    const names = (res) => (res.runs || []).map((r) => r.info.run_name);

    const best = await client.Runs.search({
      experiment_ids: [id], filter: "params.model = 'lr' and metrics.acc > 0.5", order_by: ['metrics.acc DESC'],
    });
    assert.deepEqual(names(best), ['r1', 'r2']);
    assert.deepEqual(best.runs.map((r) => r.info.run_id), [ids.r1, ids.r2]);
    const r1 = best.runs[0];
    assert.deepEqual(r1.data.metrics.map(pickMetric), [{ key: 'acc', value: 0.9, timestamp: T0, step: 1 }]);
    assert.deepEqual(r1.data.params, [{ key: 'model', value: 'lr' }]);
    assert.equal(tagMap(r1.data.tags).group, 'even');

    const asc = await client.Runs.search({ experiment_ids: [id], filter: "params.model = 'lr'", order_by: ['metrics.acc ASC'] });
    assert.deepEqual(names(asc), ['r3', 'r2', 'r1', 'r5'], 'runs without the metric sort last');

    const byDefault = await client.Runs.search({ experiment_ids: [id] });
    assert.deepEqual(names(byDefault), ['r5', 'r4', 'r3', 'r2', 'r1'], 'default order is start_time DESC');
    const byStart = await client.Runs.search({ experiment_ids: [id], order_by: ['attributes.start_time ASC'] });
    assert.deepEqual(names(byStart), ['r1', 'r2', 'r3', 'r4', 'r5']);
    const byName = await client.Runs.search({ experiment_ids: [id], order_by: ['attributes.run_name DESC'] });
    assert.deepEqual(names(byName), ['r5', 'r4', 'r3', 'r2', 'r1']);

    const tagged = await client.Runs.search({ experiment_ids: [id], filter: "tags.group = 'odd'", order_by: ['start_time ASC'] });
    assert.deepEqual(names(tagged), ['r2', 'r4']);

    const both = await client.Runs.search({ experiment_ids: [id, other.id], filter: 'metrics.acc >= 0.9', order_by: ['metrics.acc DESC'] });
    assert.deepEqual(both.runs.map((r) => r.info.run_id), [stray, ids.r4, ids.r1]);

    const page1 = await client.Runs.search({ experiment_ids: [id], filter: "params.model = 'lr'", order_by: ['metrics.acc DESC'], max_results: 2 });
    assert.deepEqual(names(page1), ['r1', 'r2']);
    assert.equal(typeof page1.next_page_token, 'string');
    const page2 = await client.Runs.search({
      experiment_ids: [id], filter: "params.model = 'lr'", order_by: ['metrics.acc DESC'], max_results: 2, page_token: page1.next_page_token,
    });
    assert.deepEqual(names(page2), ['r3', 'r5']);
    // like MLflow, a full page carries a token; the page after the last is empty
    assert.equal(typeof page2.next_page_token, 'string', 'a full page carries a next_page_token');
    const page3 = await client.Runs.search({
      experiment_ids: [id], filter: "params.model = 'lr'", order_by: ['metrics.acc DESC'], max_results: 2, page_token: page2.next_page_token,
    });
    assert.deepEqual(page3, {}, 'the page after the last is empty and has no token');

    const none = await client.Runs.search({ experiment_ids: [id], filter: "params.model = 'svm'" });
    assert.deepEqual(none, {}, 'an empty search result must be {}');

    // OR is an mlflowc extension: the lr runs and the runs with an accuracy are all five
    const either = await client.Runs.search({ experiment_ids: [id], filter: "params.model = 'lr' OR metrics.acc > 0.9" });
    assert.deepEqual(either.runs.map((r) => r.info.run_name).sort(), ['r1', 'r2', 'r3', 'r4', 'r5']);
    const lrNotAccurate = await client.Runs.search({ experiment_ids: [id], filter: "params.model = 'lr' AND NOT metrics.acc > 0.5" });
    assert.deepEqual(lrNotAccurate.runs.map((r) => r.info.run_name).sort(), ['r3', 'r5']);
    await expectApiError(client.Runs.search({ experiment_ids: [id], filter: "foo.model = 'lr'" }),
      400, 'INVALID_PARAMETER_VALUE');
    await expectApiError(client.Runs.search({ experiment_ids: [id], filter: "params.model = 'lr' AND" }),
      400, 'INVALID_PARAMETER_VALUE');
  });
});

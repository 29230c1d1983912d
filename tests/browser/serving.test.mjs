// Browser test of serving a registered model from the UI (issue #13's UI):
// the model version page shows the exact mlflowc commands for that name and
// version (run through /bin/sh here with stand-ins for mlflowc and curl, so
// the quoting of names with spaces, quotes and $ is checked by a real
// shell), copies them to the clipboard, and shows the signature (inputs,
// outputs, params) and input example read from the version's own files,
// whether its source is runs:/, a run's mlflow-artifacts: path, a
// models:/ URI resolved at creation, or a mlflow-artifacts: folder outside
// any run. The curl body is the model's serving example, or one built from
// the signature; a model without signature or example says so; hostile
// names render as text and huge files stay bounded. The run page lists its
// logged models (history tag and listing) with a Register button each; the
// dialog registers runs:/RUN/PATH into a new or existing model, shows the
// server's error when the name was taken meanwhile, and links to the new
// version, which the registry API then returns. Any console error fails
// the test. Screenshots: serving-*.png.

import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { startServer, stopServer, apiOf, openBrowser } from './harness.mjs';

let srv, call, browser, page, S;
let allowHttpErrors = false; // the browser logs every 4xx answer; the race step expects one

const yq = (s) => `'${s.replace(/'/g, "''")}'`; // a YAML single-quoted scalar
const enc = encodeURIComponent;

// as MLflow 2.17's log_model writes them (a PythonModel with a column signature)
const PYFUNC_MLMODEL = `artifact_path: model
flavors:
  python_function:
    cloudpickle_version: 2.2.0
    code: null
    env:
      conda: conda.yaml
      virtualenv: python_env.yaml
    loader_module: mlflow.pyfunc.model
    python_model: python_model.pkl
    python_version: 3.11.2
    streamable: false
mlflow_version: 2.17.0
model_size_bytes: 1326
model_uuid: 7b66d98cca404ff7be19697cef6cba22
run_id: RUNID
saved_input_example_info:
  artifact_path: input_example.json
  pandas_orient: split
  serving_input_path: serving_input_example.json
  type: dataframe
signature:
  inputs: '[{"type": "double", "name": "a", "required": true}, {"type": "double",
    "name": "b", "required": true}]'
  outputs: '[{"type": "double", "name": "a", "required": true}, {"type": "double",
    "name": "b", "required": true}]'
  params: '[{"name": "temperature", "type": "double", "default": 0.5, "shape": null}]'
utc_time_created: '2026-12-07 01:04:17.356291'
`;
const PYFUNC_INPUT = '{"columns": ["a", "b"], "data": [[1.0, 3.0], [2.0, 4.0]]}';
const PYFUNC_SERVING = `{
  "dataframe_split": {
    "columns": [
      "a",
      "b"
    ],
    "data": [
      [
        1.0,
        3.0
      ],
      [
        2.0,
        4.0
      ]
    ]
  }
}`;
// an xgboost model: no signature, no example
const XGB_MLMODEL = `artifact_path: model
flavors:
  python_function:
    data: model.xgb
    env:
      conda: conda.yaml
      virtualenv: python_env.yaml
    loader_module: mlflow.xgboost
    python_version: 3.11.2
  xgboost:
    code: null
    data: model.xgb
    model_class: xgboost.core.Booster
    model_format: xgb
    xgb_version: 1.7.4
mlflow_version: 2.17.0
utc_time_created: '2026-12-07 01:04:16.014210'
`;
// a column signature without a serving example: the curl body is built from it
const COLS_MLMODEL = `artifact_path: model
flavors:
  python_function:
    loader_module: mlflow.sklearn
signature:
  inputs: ${yq(JSON.stringify([{ type: 'double', name: 'x', required: true }, { type: 'string', name: 'city', required: false },
    { type: 'datetime', name: 'when', required: true }]))}
  outputs: '[{"type": "long", "required": true}]'
  params: null
`;
// a tensor signature without any example
const TENSOR_MLMODEL = `artifact_path: model
flavors:
  python_function:
    loader_module: mlflow.sklearn
signature:
  inputs: '[{"type": "tensor", "tensor-spec": {"dtype": "float32", "shape": [-1, 3]}}]'
  outputs: '[{"type": "tensor", "tensor-spec": {"dtype": "int64", "shape": [-1]}}]'
  params: null
`;
// hostile: markup in column names, 2,000 columns, a 2 MB input example, a 100 KB serving example
const HOSTILE_COLS = ['<script>window.__pwned=1</script>', '<img src=x onerror="window.__pwned=2">',
  ...Array.from({ length: 1998 }, (_, i) => `c${i}`)];
const HOSTILE_MLMODEL = `artifact_path: model
flavors:
  python_function:
    loader_module: mlflow.sklearn
saved_input_example_info:
  artifact_path: input_example.json
  serving_input_path: serving_input_example.json
  type: dataframe
signature:
  inputs: ${yq(JSON.stringify(HOSTILE_COLS.map((name) => ({ type: 'double', name, required: true }))))}
  outputs: '[{"type": "long", "required": true}]'
  params: null
`;
const HOSTILE_INPUT = JSON.stringify({ columns: HOSTILE_COLS.slice(0, 2),
  data: Array.from({ length: 120000 }, (_, i) => [i, i + 0.5]) });
const HOSTILE_SERVING = JSON.stringify({ dataframe_split: { columns: HOSTILE_COLS.slice(0, 2),
  data: Array.from({ length: 6000 }, (_, i) => [i, i + 0.5]) } });

const SPACED = 'fraud detector';
const ODD = 'it\'s "odd" $HOME';

async function put(where, name, body) {
  const res = await fetch(`http://127.0.0.1:${srv.port}/api/2.0/mlflow-artifacts/artifacts/${where}/${name}`, { method: 'PUT', body });
  assert.equal(res.status, 200, `upload ${name}: ${await res.text()}`);
}
const runDir = (run) => run.info.artifact_uri.replace(/^mlflow-artifacts:\/+/, '');

async function newRun(exp, name, tags = []) {
  return (await call('POST', 'runs/create', { experiment_id: exp, run_name: name, tags })).run;
}

async function register(name, source, runId) {
  await call('POST', 'registered-models/create', { name }).catch(() => undefined); // may exist
  return (await call('POST', 'model-versions/create', { name, source, run_id: runId })).model_version.version;
}

async function seed() {
  const exp = (await call('POST', 'experiments/create', { name: 'serving-demo' })).experiment_id;
  const py = await newRun(exp, 'pyfunc');
  await put(runDir(py), 'model/MLmodel', PYFUNC_MLMODEL.replace('RUNID', py.info.run_id));
  await put(runDir(py), 'model/input_example.json', PYFUNC_INPUT);
  await put(runDir(py), 'model/serving_input_example.json', PYFUNC_SERVING);
  const xgb = await newRun(exp, 'xgb');
  await put(runDir(xgb), 'model/MLmodel', XGB_MLMODEL);
  const cols = await newRun(exp, 'cols');
  await put(runDir(cols), 'model/MLmodel', COLS_MLMODEL);
  const tensor = await newRun(exp, 'tensor');
  await put(runDir(tensor), 'model/MLmodel', TENSOR_MLMODEL);
  const hostile = await newRun(exp, 'hostile');
  await put(runDir(hostile), 'model/MLmodel', HOSTILE_MLMODEL);
  await put(runDir(hostile), 'model/input_example.json', HOSTILE_INPUT);
  await put(runDir(hostile), 'model/serving_input_example.json', HOSTILE_SERVING);
  // a model folder of the proxy's store outside any run
  await put('0/standalone/xgb', 'MLmodel', XGB_MLMODEL);

  await register(SPACED, `runs:/${py.info.run_id}/model`, py.info.run_id); // v1: runs:/
  await register(SPACED, `models:/${SPACED}/1`, py.info.run_id); // v2: models:/, resolved at creation
  await register(ODD, `${py.info.artifact_uri}/model`, py.info.run_id); // a run's mlflow-artifacts: path
  await register('xgb-model', `runs:/${xgb.info.run_id}/model`, xgb.info.run_id);
  await register('standalone', 'mlflow-artifacts:/0/standalone/xgb');
  await register('cols-model', `runs:/${cols.info.run_id}/model`, cols.info.run_id);
  await register('tensor-model', `runs:/${tensor.info.run_id}/model`, tensor.info.run_id);
  await register('hostile', `runs:/${hostile.info.run_id}/model`, hostile.info.run_id);
  await register('no-files', 's3://bucket/elsewhere');

  // the register flow: two logged models named by the history tag, a folder without MLmodel
  const history = JSON.stringify([
    { run_id: 'x', artifact_path: 'clf', utc_time_created: '2026-12-07 10:00:00.000000',
      flavors: { python_function: {}, sklearn: {} } },
    { run_id: 'x', artifact_path: 'extra/nested', utc_time_created: '2026-12-07 11:00:00.000000',
      flavors: { python_function: {}, xgboost: {} } },
  ]);
  const logged = await newRun(exp, 'logged', [{ key: 'mlflow.log-model.history', value: history }]);
  await put(runDir(logged), 'clf/MLmodel', PYFUNC_MLMODEL.replace('RUNID', logged.info.run_id));
  await put(runDir(logged), 'clf/input_example.json', PYFUNC_INPUT);
  await put(runDir(logged), 'clf/serving_input_example.json', PYFUNC_SERVING);
  await put(runDir(logged), 'extra/nested/MLmodel', XGB_MLMODEL);
  await put(runDir(logged), 'notes/readme.txt', 'not a model\n');
  await call('POST', 'registered-models/create', { name: 'existing-model' });
  return { exp, py, logged };
}

before(async () => {
  srv = await startServer();
  call = apiOf(srv);
  S = await seed();
  browser = await openBrowser({ prefix: 'serving-', viewport: { width: 1366, height: 900 },
    ignore: (text) => allowHttpErrors && /status of 400/.test(text) });
  page = browser.page;
  await browser.context.grantPermissions(['clipboard-read', 'clipboard-write'], { origin: url() });
});

after(async () => {
  await browser?.close();
  await stopServer(srv);
});

function url(p = '') {
  return `http://127.0.0.1:${srv.port}/${p}`;
}

const versionPage = async (name, v) => {
  await page.goto(url(`models/${enc(name)}/versions/${v}`));
  await page.locator('#version-serving .cmd').first().waitFor();
};
const command = (id) => page.locator(`#cmd-${id}`).textContent();

/** The words a POSIX shell makes of `cmd`, with mlflowc and curl replaced by printers of their arguments. */
function shellWords(cmd) {
  const out = execFileSync('/bin/sh', ['-c', `mlflowc() { printf '%s\\0' "$@"; }\ncurl() { printf '%s\\0' "$@"; }\n${cmd}`],
    { encoding: 'utf8' });
  return out.split('\0').slice(0, -1);
}

/** Every command of the page, checked word by word against what a shell makes of it. */
async function checkCommands(name, version, body) {
  const uri = `models:/${name}/${version}`;
  const exported = execFileSync('/bin/sh', ['-c', `${await command('tracking')}\nprintf '%s' "$MLFLOW_TRACKING_URI"`],
    { encoding: 'utf8' });
  assert.equal(exported, `http://127.0.0.1:${srv.port}`);
  assert.deepEqual(shellWords(await command('serve')), ['models', 'serve', '-m', uri, '-p', '5001']);
  const curl = shellWords(await command('curl'));
  assert.deepEqual(curl.slice(0, -1), ['-X', 'POST', 'localhost:5001/invocations', '-H', 'Content-Type: application/json', '-d']);
  if (typeof body === 'string') assert.equal(curl.at(-1), body);
  else assert.deepEqual(JSON.parse(curl.at(-1)), body);
  assert.deepEqual(shellWords(await command('predict')), ['models', 'predict', '-m', uri, '-i', 'input.json']);
  assert.deepEqual(shellWords(await command('docker')), ['models', 'generate-dockerfile', '-m', uri, '-d', './image']);
  assert.deepEqual(shellWords(await command('lambda')), ['models', 'build-lambda', '-m', uri, '-o', `${name}-lambda.zip`]);
  const k8s = shellWords(await command('k8s'));
  assert.deepEqual(k8s.slice(0, 4), ['models', 'generate-k8s', '-m', uri]);
  assert.equal(k8s[4], '--image');
  assert.match(k8s[5], new RegExp(`^registry/[a-z0-9][a-z0-9._-]*:${version}$`));
  return k8s[5];
}

const rowsOf = (sel) => page.locator(`${sel} tbody tr`).evaluateAll((trs) => trs.map((tr) => [...tr.children].map((td) => td.textContent)));

test('a version logged with a signature and examples: commands, copy, signature, input example', async () => {
  await versionPage(SPACED, 1);
  const image = await checkCommands(SPACED, '1', JSON.parse(PYFUNC_SERVING));
  assert.equal(image, 'registry/fraud-detector:1');
  // the body is the serving example, whitespace dropped, numbers as written
  assert.match(await command('curl'), /-d '\{"dataframe_split":\{"columns":\["a","b"\],"data":\[\[1\.0,3\.0\],\[2\.0,4\.0\]\]\}\}'$/);
  assert.match(await page.locator('#curl-body-from').textContent(), /serving_input_example\.json/);
  assert.match(await page.locator('#serving-example-download').getAttribute('href'), /model-versions\/get-artifact\?.*path=serving_input_example\.json/);
  // copy: the clipboard holds the command exactly as shown
  await page.locator('#version-serving button.copy[data-cmd="serve"]').click();
  await page.locator('#version-serving button.copy[data-cmd="serve"][data-copied="1"]').waitFor();
  assert.equal(await page.evaluate(() => navigator.clipboard.readText()), await command('serve'));
  await page.locator('#version-serving button.copy[data-cmd="curl"]').click();
  await page.locator('#version-serving button.copy[data-cmd="curl"][data-copied="1"]').waitFor();
  assert.equal(await page.evaluate(() => navigator.clipboard.readText()), await command('curl'));

  assert.deepEqual(await rowsOf('#signature-inputs'), [['a', 'double', '', 'required'], ['b', 'double', '', 'required']]);
  assert.deepEqual(await rowsOf('#signature-outputs'), [['a', 'double', '', 'required'], ['b', 'double', '', 'required']]);
  assert.deepEqual(await rowsOf('#signature-params'), [['temperature', 'double', '0.5', '']]);
  const table = page.locator('#version-input-example #input-example-table');
  assert.deepEqual(await table.locator('th').allTextContents(), ['a', 'b']);
  assert.deepEqual(await table.locator('tbody tr').first().locator('td').allTextContents(), ['1', '3']);
  await page.locator('#version-serving-section').scrollIntoViewIfNeeded();
  await browser.shot('01-version-serving.png', true);
  browser.noProblems();
});

test('sources: models:/ resolved at creation, a run\'s mlflow-artifacts: path, a proxy folder outside runs, s3', async () => {
  await versionPage(SPACED, 2); // models:/fraud detector/1
  await page.locator('#signature-inputs').waitFor();
  assert.deepEqual(await rowsOf('#signature-inputs'), [['a', 'double', '', 'required'], ['b', 'double', '', 'required']]);
  await checkCommands(SPACED, '2', JSON.parse(PYFUNC_SERVING));

  await versionPage('standalone', 1);
  await page.locator('#no-signature', { hasText: 'This model was logged without a signature.' }).waitFor();
  await page.locator('#no-input-example', { hasText: 'This model was logged without an input example.' }).waitFor();

  await versionPage('no-files', 1);
  await page.locator('#no-signature', { hasText: 'The model\'s files are at s3://bucket/elsewhere, which this server does not read.' }).waitFor();
  await checkCommands('no-files', '1', { dataframe_split: { columns: ['COLUMN'], data: [[0]] } });
  browser.noProblems();
});

test('odd names are quoted for the shell', async () => {
  await versionPage(ODD, 1); // source: the run's mlflow-artifacts: path
  const image = await checkCommands(ODD, '1', JSON.parse(PYFUNC_SERVING));
  assert.equal(image, 'registry/it-s-odd-home:1');
  assert.match(await command('serve'), /^mlflowc models serve -m 'models:\/it'\\''s "odd" \$HOME\/1' -p 5001$/);
  assert.deepEqual(await rowsOf('#signature-inputs'), [['a', 'double', '', 'required'], ['b', 'double', '', 'required']]);
  browser.noProblems();
});

test('no signature, no example: said plainly; bodies built from column and tensor signatures', async () => {
  await versionPage('xgb-model', 1);
  await page.locator('#no-signature', { hasText: 'This model was logged without a signature.' }).waitFor();
  await page.locator('#no-input-example', { hasText: 'This model was logged without an input example.' }).waitFor();
  await checkCommands('xgb-model', '1', { dataframe_split: { columns: ['COLUMN'], data: [[0]] } });
  assert.match(await page.locator('#curl-body-from').textContent(), /no signature or serving input example/);
  await browser.shot('02-no-signature.png', true);

  await versionPage('cols-model', 1);
  await checkCommands('cols-model', '1', { dataframe_split: { columns: ['x', 'city', 'when'], data: [[0, '', '2024-01-01T00:00:00']] } });
  assert.deepEqual(await rowsOf('#signature-inputs'), [['x', 'double', '', 'required'], ['city', 'string', '', 'optional'],
    ['when', 'datetime', '', 'required']]);
  assert.deepEqual(await rowsOf('#signature-outputs'), [['—', 'long', '', 'required']]);
  assert.equal(await page.locator('#signature-params').count(), 0, 'params: null is no params');

  await versionPage('tensor-model', 1);
  await checkCommands('tensor-model', '1', { inputs: [[0, 0, 0]] });
  assert.deepEqual(await rowsOf('#signature-inputs'), [['—', 'tensor float32', '[-1,3]', 'required']]);
  browser.noProblems();
});

test('hostile names render as text; huge signature and examples stay bounded', async () => {
  await versionPage('hostile', 1);
  await page.locator('#signature-inputs').waitFor();
  assert.equal(await page.evaluate(() => window.__pwned), undefined);
  assert.equal(await page.locator('#version-signature script, #version-signature img, #version-input-example img').count(), 0);
  const first = await page.locator('#signature-inputs tbody tr').evaluateAll((trs) => trs.slice(0, 2).map((tr) => tr.children[0].textContent));
  assert.deepEqual(first, HOSTILE_COLS.slice(0, 2));
  assert.equal(await page.locator('#signature-inputs tbody tr').count(), 500);
  await page.locator('#version-signature', { hasText: 'First 500 of 2000.' }).waitFor();
  // the 2 MB input example: only its first 1 MB is read, and a bounded part of that shown
  const shown = await page.locator('#input-example-json').textContent();
  assert.ok(shown.length <= 20002, `input example shown: ${shown.length} chars`);
  // the 100 KB serving example is not inlined: curl sends the file
  await checkCommands('hostile', '1', '@serving_input_example.json');
  assert.ok((await command('curl')).length < 200);
  await page.locator('#version-serving a[download="serving_input_example.json"]').waitFor();
  browser.noProblems();
});

test('the run page lists its logged models; Register creates versions the registry returns', async () => {
  const { logged } = S;
  const runId = logged.info.run_id;
  await page.goto(url(`runs/${runId}`));
  await page.locator('#logged-models tbody tr').nth(1).waitFor();
  assert.deepEqual(await rowsOf('#logged-models'), [
    ['clf', 'python_function, sklearn', '2026-12-07 10:00:00.000000', 'Register', ''],
    ['extra/nested', 'python_function, xgboost', '2026-12-07 11:00:00.000000', 'Register', ''],
  ]);
  // the second model's own button: the dialog has its path chosen
  await page.locator('#logged-models button.register-one[data-path="extra/nested"]').click();
  await page.locator('#register-dialog').waitFor();
  assert.equal(await page.locator('#register-path').inputValue(), 'extra/nested');
  assert.equal(await page.locator('#register-name').inputValue(), 'nested');
  await page.locator('#register-target option[value="existing-model"]').waitFor({ state: 'attached' });
  // the name is taken after the dialog listed the models: the server's answer is shown, nothing is registered
  await call('POST', 'registered-models/create', { name: 'nested' });
  allowHttpErrors = true;
  await page.locator('#register-dialog button[type=submit]').click();
  await page.locator('#register-dialog .error', { hasText: /Creating the registered model nested failed: .*already exists/ }).waitFor();
  allowHttpErrors = false;
  assert.equal((await call('GET', 'registered-models/get?name=nested')).registered_model.latest_versions, undefined);
  await browser.shot('03-register-race.png');
  await page.fill('#register-name', 'nested-2');
  await page.locator('#register-dialog button[type=submit]').click();
  await page.locator('#logged-models tr[data-path="extra/nested"] td.registered a', { hasText: 'nested-2 version 1' }).waitFor();
  await page.locator('#register-done a', { hasText: 'nested-2 version 1' }).waitFor();
  const v = (await call('GET', 'model-versions/get?name=nested-2&version=1')).model_version;
  assert.equal(v.source, `runs:/${runId}/extra/nested`);
  assert.equal(v.run_id, runId);

  // the title's button: the first model, into an existing registered model
  await page.locator('#register-model').click();
  assert.equal(await page.locator('#register-path').inputValue(), 'clf');
  await page.locator('#register-target option[value="existing-model"]').waitFor({ state: 'attached' });
  await page.selectOption('#register-target', 'existing-model');
  await page.locator('#register-dialog button[type=submit]').click();
  await page.locator('#logged-models tr[data-path="clf"] td.registered a', { hasText: 'existing-model version 1' }).click();
  await page.waitForURL((u) => u.pathname === '/models/existing-model/versions/1');
  const mv = (await call('GET', 'model-versions/get?name=existing-model&version=1')).model_version;
  assert.equal(mv.source, `runs:/${runId}/clf`);
  assert.equal(mv.run_id, runId);
  // the new version's page reads the registered folder
  await page.locator('#signature-inputs').waitFor();
  assert.deepEqual(await rowsOf('#signature-inputs'), [['a', 'double', '', 'required'], ['b', 'double', '', 'required']]);
  await page.locator('#version-serving .cmd').first().waitFor();
  await checkCommands('existing-model', '1', JSON.parse(PYFUNC_SERVING));
  browser.noProblems();
});

// Browser test of the UI's text parsers, seen from the page: run notes
// (Markdown) with hostile content stay inert (no script runs: the payloads
// would set window.__pwned; no on* attribute, <script>, <iframe>, <svg>,
// javascript: or data: URL reaches the DOM), Markdown still renders headings,
// lists, code, tables and safe links (rel=noopener); an MLmodel file with YAML
// anchors, multi-line strings and flow maps is summarised right; CSV with
// quoted commas, line breaks and doubled quotes, and a TSV, preview as tables.

import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { startServer, stopServer, apiOf, openBrowser } from './harness.mjs';

const HOSTILE = `# Notes

<script>window.__pwned = 'script'</script>
<img src=x onerror="window.__pwned = 'img'">
<iframe src="javascript:window.top.__pwned = 'iframe'"></iframe>
<svg onload="window.__pwned = 'svg'"><circle r="5" onclick="window.__pwned = 'svg2'"/></svg>
<a href="javascript:window.__pwned='a'">raw link</a>

[md js link](javascript:window.__pwned='md')
[md data link](data:text/html;base64,PHNjcmlwdD5hbGVydCgxKTwvc2NyaXB0Pg==)
![img](javascript:window.__pwned='mdimg')
[JS upper](JaVaScRiPt:window.__pwned='upper')

## Section two

1. one
2. two
   - nested

\`inline code\` and

\`\`\`
block <b>code</b>
\`\`\`

| a | b |
|---|--:|
| 1 | 2 |

[safe](https://example.com/x) and <mailto:me@example.com>
`;

// anchors and aliases, a folded and a literal multi-line string, a flow map
const MLMODEL = `artifact_path: model
base: &base
  env: conda.yaml
  loader_module: mlflow.sklearn
flavors:
  python_function:
    <<: *base
    python_version: "3.11"
  sklearn: {pickled_model: model.pkl, sklearn_version: 1.5.2, serialization_format: cloudpickle}
mlflow_version: 2.16.0
model_uuid: >-
  abc
  def
run_id: RUNID
signature:
  inputs: '[{"type": "double", "name": "x"},
    {"type": "long", "name": "y", "required": false}]'
  outputs: |
    [{"type": "double"}]
utc_time_created: '2024-05-01 12:00:00.000000'
`;

const CSV = 'id,name,comment\r\n1,"Smith, Jane","she said ""hi"""\r\n2,"multi\nline",plain\r\n3,"",""""\r\n';
const TSV = 'k\tv\n"a"\t"tab\there"\nb\t"q ""x"""\n';

let srv, call, browser, page, rid;

async function upload(runId, name, body) {
  const { run } = await call('GET', `runs/get?run_id=${runId}`);
  const where = run.info.artifact_uri.replace(/^mlflow-artifacts:\/+/, '');
  const res = await fetch(`http://127.0.0.1:${srv.port}/api/2.0/mlflow-artifacts/artifacts/${where}/${name}`, { method: 'PUT', body });
  assert.equal(res.status, 200, `upload ${name}: ${await res.text()}`);
}

before(async () => {
  srv = await startServer();
  call = apiOf(srv);
  const { experiment_id } = await call('POST', 'experiments/create', { name: 'parsers' });
  const { run } = await call('POST', 'runs/create', { experiment_id, run_name: 'p', start_time: 1714000000000 });
  rid = run.info.run_id;
  await call('POST', 'runs/set-tag', { run_id: rid, key: 'mlflow.note.content', value: HOSTILE });
  await upload(rid, 'model/MLmodel', MLMODEL.replace('RUNID', rid));
  await upload(rid, 'quoted.csv', CSV);
  await upload(rid, 'cells.tsv', TSV);
  await upload(rid, 'notes.md', HOSTILE);
  browser = await openBrowser({ prefix: 'parsers-' });
  page = browser.page;
});

after(async () => {
  await browser?.close();
  await stopServer(srv);
});

async function assertInert(root) {
  // give event handlers (onerror, onload) a chance to fire
  await page.waitForTimeout(300);
  assert.equal(await page.evaluate(() => window.__pwned), undefined, 'no payload ran');
  const bad = await root.evaluate((el) => {
    const found = [];
    for (const n of el.querySelectorAll('*')) {
      if (/^(script|iframe|svg|img|object|embed|style)$/i.test(n.localName)) found.push(`<${n.localName}>`);
      for (const a of n.attributes) {
        if (/^on/i.test(a.name)) found.push(`${n.localName}[${a.name}]`);
        if (/^\s*(javascript|data|vbscript):/i.test(a.value)) found.push(`${n.localName}[${a.name}=${a.value}]`);
      }
    }
    return found;
  });
  assert.deepEqual(bad, []);
}

test('a hostile run note renders inert and its Markdown still renders', async () => {
  await page.goto(`http://127.0.0.1:${srv.port}/runs/${rid}`);
  const notes = page.locator('#run-notes');
  await notes.locator('h3', { hasText: 'Notes' }).waitFor();
  await assertInert(notes);
  assert.equal(await notes.locator('h4').textContent(), 'Section two');
  assert.equal(await notes.locator('ol > li').count(), 2);
  assert.equal(await notes.locator('ol li ul li').textContent(), 'nested');
  assert.equal(await notes.locator('p code').textContent(), 'inline code');
  assert.equal(await notes.locator('pre code').textContent(), 'block <b>code</b>');
  assert.deepEqual(await notes.locator('table thead th').allTextContents(), ['a', 'b']);
  assert.equal(await notes.locator('table tbody td').nth(1).evaluate((td) => td.style.textAlign), 'right');
  const links = await notes.locator('a').evaluateAll((as) => as.map((a) => [a.textContent, a.getAttribute('href'), a.rel]));
  assert.deepEqual(links.map(([t, h]) => [t, h]), [['safe', 'https://example.com/x'], ['mailto:me@example.com', 'mailto:me@example.com']]);
  for (const [, , rel] of links) assert.match(rel, /noopener/);
  // unsafe links keep their label as text
  assert.match(await notes.textContent(), /md js link/);
});

test('a hostile .md artifact renders inert', async () => {
  await page.goto(`http://127.0.0.1:${srv.port}/runs/${rid}?artifact=notes.md`);
  const md = page.locator('.markdown.rendered');
  await md.locator('h3', { hasText: 'Notes' }).waitFor();
  await assertInert(md);
});

test('an MLmodel file with anchors, multi-line strings and flow maps', async () => {
  await page.goto(`http://127.0.0.1:${srv.port}/runs/${rid}?artifact=model/MLmodel`);
  const preview = page.locator('#mlmodel-flavors');
  await preview.waitFor();
  const pyfunc = await preview.locator('tbody tr').filter({ hasText: 'python_function' }).textContent();
  assert.match(pyfunc, /env: conda\.yaml/, 'the merge key brings in the anchored map');
  assert.match(pyfunc, /loader_module: mlflow\.sklearn/);
  assert.match(pyfunc, /python_version: 3\.11/);
  const sk = await preview.locator('tbody tr').filter({ hasText: 'sklearn_version' }).textContent();
  assert.match(sk, /pickled_model: model\.pkl/);
  assert.match(sk, /serialization_format: cloudpickle/);
  assert.match(await page.locator('#mlmodel-facts').textContent(), /Model UUIDabc def/);
  assert.deepEqual(await page.locator('#mlmodel-signature table[data-part=inputs] tbody td:first-child').allTextContents(), ['x', 'y']);
  assert.match(await page.locator('#mlmodel-signature table[data-part=inputs]').textContent(), /optional/);
  assert.equal(await page.locator('#mlmodel-signature table[data-part=outputs] tbody tr').count(), 1);
});

test('CSV with quoted commas, line breaks and doubled quotes; a TSV', async () => {
  await page.goto(`http://127.0.0.1:${srv.port}/runs/${rid}?artifact=quoted.csv`);
  const t = page.locator('table.csv');
  await t.waitFor();
  assert.deepEqual(await t.locator('thead th').allTextContents(), ['id', 'name', 'comment']);
  const rows = await t.locator('tbody tr').evaluateAll((trs) => trs.map((tr) => [...tr.cells].map((c) => c.textContent)));
  assert.deepEqual(rows, [['1', 'Smith, Jane', 'she said "hi"'], ['2', 'multi\nline', 'plain'], ['3', '', '"']]);
  await page.goto(`http://127.0.0.1:${srv.port}/runs/${rid}?artifact=cells.tsv`);
  await page.locator('table.csv').waitFor();
  const trows = await page.locator('table.csv tbody tr').evaluateAll((trs) => trs.map((tr) => [...tr.cells].map((c) => c.textContent)));
  assert.deepEqual(trows, [['a', 'tab\there'], ['b', 'q "x"']]);
  browser.noProblems();
});

// Browser test of the UI under its Content-Security-Policy (src/api/security.c): every page
// (experiments, runs table, run page with a chart and a previewed image, compare page with
// colour swatches, charts and parallel coordinates, models) renders with no
// securitypolicyviolation event and no console error; then the page itself tries what the
// policy forbids (a style attribute, an inline script, a foreign fetch, an image from another
// origin) and each is refused and reported, which shows the policy is enforced and that a UI
// change breaking it would fail the other browser tests. Screenshot: csp-compare.png.

import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { startServer, stopServer, apiOf, openBrowser } from './harness.mjs';

const PNG_1x1 = Buffer.from('iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mP8z8BQDwAEhQGAhKmMIQAAAABJRU5ErkJggg==', 'base64');

let srv, browser, page, exp, ids;

// Records every violation the page reports, from the first script on.
const RECORD = () => {
  window.__csp = [];
  document.addEventListener('securitypolicyviolation', (e) => {
    window.__csp.push(`${e.violatedDirective} ${e.blockedURI || ''}`.trim());
  });
};
const violations = () => page.evaluate(() => window.__csp.splice(0));

before(async () => {
  srv = await startServer();
  const call = apiOf(srv);
  ({ experiment_id: exp } = await call('POST', 'experiments/create', { name: 'csp-demo' }));
  ids = [];
  for (const [r, name] of ['red', 'green'].entries()) {
    const { run } = await call('POST', 'runs/create', { experiment_id: exp, run_name: name, start_time: 1714000000000 });
    ids.push(run.info.run_id);
    const metrics = [];
    for (let s = 0; s < 50; s++) metrics.push({ key: 'loss', value: (r + 1) / (1 + s), timestamp: 1714000000000 + s, step: s });
    await call('POST', 'runs/log-batch', { run_id: run.info.run_id, metrics, params: [{ key: 'lr', value: String(0.1 / (r + 1)) }] });
  }
  const put = await fetch(`http://127.0.0.1:${srv.port}/api/2.0/mlflow-artifacts/artifacts/${exp}/${ids[0]}/artifacts/dot.png`,
    { method: 'PUT', body: PNG_1x1 });
  assert.equal(put.status, 200);
  await call('POST', 'registered-models/create', { name: 'csp-model' });
  // the refusals provoked at the end are console errors on purpose
  browser = await openBrowser({ ignore: (t) => /Content Security Policy|Refused to/.test(t) });
  page = browser.page;
  await page.addInitScript(RECORD);
});

after(async () => {
  await browser?.close();
  await stopServer(srv);
});

const url = (p = '') => `http://127.0.0.1:${srv.port}/${p}`;

test('the UI HTML is served with the policy', async () => {
  const res = await page.goto(url());
  const csp = res.headers()['content-security-policy'];
  assert.match(csp, /script-src 'self'/);
  assert.match(csp, /style-src 'self'/);
  assert.doesNotMatch(csp, /unsafe/);
  assert.equal(res.headers()['x-frame-options'], 'SAMEORIGIN');
});

test('every page renders without a violation', async () => {
  await page.goto(url());
  await page.locator('a', { hasText: 'csp-demo' }).waitFor();
  await page.goto(url(`experiments/${exp}`));
  await page.locator('[role="row"]', { hasText: 'green' }).first().waitFor();
  await page.goto(url(`runs/${ids[0]}?metric=loss`));
  await page.locator('.chart canvas').first().waitFor();
  await page.goto(url(`runs/${ids[0]}?artifact=dot.png`));
  await page.locator('.preview img').waitFor();
  await page.waitForFunction(() => document.querySelector('.preview img')?.complete);
  assert.equal(await page.locator('.preview img').evaluate((img) => img.naturalWidth), 1);
  await page.goto(url(`compare?runs=${ids.join(',')}&metric=loss&pc=p:lr&pc=m:loss`));
  await page.locator('#compare-charts .chart canvas').first().waitFor();
  await page.locator('#parallel svg').waitFor();
  // the swatches' colours are set (through the CSSOM) and applied
  const swatch = page.locator('.swatch').first();
  await swatch.waitFor();
  assert.notEqual(await swatch.evaluate((el) => getComputedStyle(el).backgroundColor), 'rgba(0, 0, 0, 0)');
  const d = await page.locator(`#parallel .pc-run[data-run="${ids[1]}"] .pc-hit`).getAttribute('d');
  const [[ax, ay], [bx, by]] = [...d.matchAll(/[ML]([\d.]+),([\d.]+)/g)].map((m) => [Number(m[1]), Number(m[2])]);
  await page.locator('#parallel svg').scrollIntoViewIfNeeded();
  const box = await page.locator('#parallel svg').boundingBox();
  await page.mouse.move(box.x + (ax + bx) / 2, box.y + (ay + by) / 2);
  await page.locator('#pc-hover .swatch').waitFor();
  await browser.shot('csp-compare.png', true);
  assert.deepEqual(await violations(), []);
  await page.goto(url('models'));
  await page.locator('a', { hasText: 'csp-model' }).waitFor();
  await page.goto(url('models/csp-model'));
  await page.locator('h1', { hasText: 'csp-model' }).waitFor();
  assert.deepEqual(await violations(), []);
  browser.noProblems();
});

test('what the policy forbids is refused', async () => {
  await page.goto(url());
  await page.locator('#app').waitFor();
  const outcome = await page.evaluate(async () => {
    const styled = document.createElement('span');
    styled.setAttribute('style', 'color: rgb(255, 0, 0)');
    document.body.append(styled);
    const script = document.createElement('script');
    script.textContent = 'window.__inlineRan = true';
    document.body.append(script);
    let fetched = 'yes';
    try {
      await fetch('http://127.0.0.2:9/x');
    } catch {
      fetched = 'refused';
    }
    const img = new Image();
    const loaded = new Promise((r) => { img.onload = () => r('loaded'); img.onerror = () => r('refused'); });
    img.src = 'http://127.0.0.2:9/x.png';
    return { color: getComputedStyle(styled).color, inlineRan: window.__inlineRan === true, fetched, img: await loaded };
  });
  assert.notEqual(outcome.color, 'rgb(255, 0, 0)');
  assert.equal(outcome.inlineRan, false);
  assert.equal(outcome.fetched, 'refused');
  assert.equal(outcome.img, 'refused');
  await page.waitForFunction(() => window.__csp.length >= 4);
  const seen = (await violations()).map((v) => v.split(' ')[0]);
  for (const directive of ['style-src-attr', 'script-src-elem', 'connect-src', 'img-src'])
    assert.ok(seen.includes(directive), `${directive} not reported in ${seen}`);
});

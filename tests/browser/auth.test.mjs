// Browser test of the UI with the basic-auth app on (startAuthServer: --app-name basic-auth,
// default permission NO_PERMISSIONS so what a user sees is what they were granted) and off.
// On: the first visit shows the sign-in page with no browser password prompt (the UI's 401s carry
// no WWW-Authenticate); a wrong password is said in the form, and so is the slow-down after
// repeated failures (429); signing in returns to the deep link
// the user came from and shows the username in the header; the admin page creates a user, makes
// and unmakes an admin, grants and changes a permission, and pages through the audit trail; the
// account page makes a token shown once that works as a bearer token until it is revoked; sign
// out returns to the sign-in page and the old session cookie is refused; the new user then sees
// only the experiment granted (the server filters experiments/search); a READ-only user trying a
// rename gets a plain permission message and the store is unchanged, and the admin page tells
// them it is for administrators; a session that ends mid-use leads to the sign-in page and back;
// under --static-prefix the sign-in page and the way back stay below the prefix.
// Off: no user, no sign-in, no request about users, and /signin is an unknown page.
// Screenshots: auth-*.png.

import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { startServer, startAuthServer, stopServer, apiOf, openBrowser, basic, AUTH_ADMIN, sleep } from './harness.mjs';

const READER = { username: 'reader', password: 'reader-password-1234' };
const CAROL = { username: 'carol', password: 'carol-password-1234' };

let srv, browser, page, admin, teamExp, secretExp;
let allow400 = false; // while a step provokes a refusal on purpose
const challenges = []; // 401 answers that would make a browser prompt for a password
const refused = []; // every 401 the page got
const requests = []; // every API path the page asked for

before(async () => {
  srv = await startAuthServer({ defaultPermission: 'NO_PERMISSIONS' });
  admin = apiOf(srv, { Authorization: basic(AUTH_ADMIN.username, AUTH_ADMIN.password) });
  ({ experiment_id: teamExp } = await admin('POST', 'experiments/create', { name: 'team-exp' }));
  ({ experiment_id: secretExp } = await admin('POST', 'experiments/create', { name: 'secret-exp' }));
  await admin('POST', 'registered-models/create', { name: 'team-model' });
  await admin('POST', 'users/create', READER);
  await admin('POST', 'experiments/permissions/create', { experiment_id: teamExp, username: READER.username, permission: 'READ' });
  // the 401s and 403s provoked on purpose are logged by the browser as failed loads
  browser = await openBrowser({ prefix: 'auth-', ignore: (t) => /status of (401|403|429)/.test(t)
    || (allow400 && /status of 400/.test(t)) });
  page = browser.page;
  page.on('response', (r) => {
    if (r.status() === 401) refused.push(new URL(r.url()).pathname);
    if (r.status() === 401 && r.headers()['www-authenticate']) challenges.push(r.url());
  });
  page.on('request', (r) => requests.push(new URL(r.url()).pathname));
  page.on('dialog', (d) => { challenges.push(`dialog ${d.message()}`); void d.dismiss(); });
});

after(async () => {
  await browser?.close();
  await stopServer(srv);
});

const url = (p = '') => `http://127.0.0.1:${srv.port}/${p}`;

/** The raw answer to an API call made from the test with `headers`. */
async function raw(method, p, headers, body) {
  const res = await fetch(url(`api/2.0/${p}`), { method, headers: { ...headers, 'Content-Type': 'application/json' },
    body: body ? JSON.stringify(body) : undefined });
  return { status: res.status, text: await res.text() };
}

async function signIn(who) {
  await page.locator('#sign-in').waitFor();
  await page.fill('#sign-in-username', who.username);
  await page.fill('#sign-in-password', who.password);
  await page.click('#sign-in button[type=submit]');
  await page.locator('#session .username', { hasText: who.username }).waitFor();
}

async function signOut() {
  await page.click('#sign-out');
  await page.locator('#sign-in').waitFor();
}

test('the first visit shows the sign-in page, with no browser password prompt', async () => {
  const res = await page.goto(url('?q=team'));
  assert.equal(res.status(), 200);
  assert.equal(await page.locator('meta[name="mlflowc-auth"]').getAttribute('content'), 'on');
  await page.locator('#sign-in').waitFor();
  assert.equal(new URL(page.url()).pathname, '/signin');
  assert.equal(new URL(page.url()).searchParams.get('next'), '?q=team');
  assert.equal(await page.locator('#session').textContent(), '');
  assert.equal(await page.locator('#experiments').count(), 0);
  assert.ok(refused.includes('/ajax-api/2.0/mlflow/users/current'), 'the UI asked who is signed in and was refused');
  assert.deepEqual(challenges, []);
  await browser.shot('signin.png');
  browser.noProblems();
});

test('a wrong password is said in the form', async () => {
  await page.fill('#sign-in-username', AUTH_ADMIN.username);
  await page.fill('#sign-in-password', 'not-the-password-1');
  await page.click('#sign-in button[type=submit]');
  await page.locator('#sign-in-error .error', { hasText: 'Wrong username or password.' }).waitFor();
  assert.equal(new URL(page.url()).pathname, '/signin');
  assert.equal(await page.locator('#session').textContent(), '');
  assert.deepEqual(challenges, []);
  await browser.shot('signin-wrong.png');
  browser.noProblems();
});

test('repeated failures are slowed down, and the form says so', async () => {
  await page.fill('#sign-in-username', 'ghost');
  await page.fill('#sign-in-password', 'guess-password-1');
  let status = 0;
  for (let i = 0; i < 12 && status !== 429; i++) { // free failures, then a wait that doubles: a 429 comes
    const [res] = await Promise.all([page.waitForResponse((r) => r.url().endsWith('/mlflowc/auth/sign-in')),
      page.click('#sign-in button[type=submit]')]);
    status = res.status();
    await page.locator('#sign-in button[type=submit]:enabled').waitFor();
  }
  assert.equal(status, 429);
  await page.locator('#sign-in-error .error', { hasText: /Too many failed sign-ins from this address: try again in \d+ s/ }).waitFor();
  browser.noProblems();
});

test('signing in returns to the page asked for and shows the user in the header', async () => {
  await signIn(AUTH_ADMIN);
  await page.locator('#experiments a', { hasText: 'team-exp' }).waitFor();
  assert.equal(new URL(page.url()).pathname, '/');
  assert.equal(new URL(page.url()).search, '?q=team');
  assert.equal(await page.inputValue('input[name=q]'), 'team');
  assert.equal(await page.locator('#experiments tbody tr').count(), 1); // the filter came back too
  assert.equal(await page.locator('#session .admin-link').textContent(), 'Admin');
  assert.match(await page.locator('#session').textContent(), /Signed in as admin/);
  await browser.shot('experiments-admin.png');
  browser.noProblems();
});

test('the admin page creates a user, changes roles and grants a permission', async () => {
  await page.click('#session .admin-link');
  await page.locator('#users tr[data-user="reader"]').waitFor();
  assert.equal(await page.locator('#users tbody tr').count(), 2);
  // a password the server refuses is said, nothing is made
  await page.fill('#new-username', CAROL.username);
  await page.fill('#new-user-password', 'short');
  await page.click('#create-user button[type=submit]');
  await page.locator('#users-error .error', { hasText: '12' }).waitFor();
  await page.fill('#new-user-password', CAROL.password);
  await page.click('#create-user button[type=submit]');
  const row = page.locator('#users tr[data-user="carol"]');
  await row.waitFor();
  // make admin and back
  await row.locator('.toggle-admin', { hasText: 'Make admin' }).click();
  await row.locator('td', { hasText: /^admin$/ }).waitFor();
  assert.equal((await admin('GET', `users/get?username=${CAROL.username}`)).user.is_admin, true);
  await row.locator('.toggle-admin', { hasText: 'Remove admin' }).click();
  await row.locator('td', { hasText: /^user$/ }).waitFor();
  assert.equal((await admin('GET', `users/get?username=${CAROL.username}`)).user.is_admin, false);
  await browser.shot('admin-users.png');
  // her permissions: none yet; grant READ on secret-exp, then change it to EDIT
  await row.locator('td.name a').click();
  await page.locator('#experiment-permissions', { hasText: 'default permission applies' }).waitFor();
  await page.fill('#grant-experiment .grant-target', secretExp);
  await page.selectOption('#grant-experiment select', 'READ');
  await page.click('#grant-experiment button[type=submit]');
  const perm = page.locator(`#experiment-permissions tr[data-key="${secretExp}"]`);
  await perm.locator('a', { hasText: 'secret-exp' }).waitFor();
  let got = (await admin('GET', `users/get?username=${CAROL.username}`)).user.experiment_permissions;
  assert.deepEqual(got.map((p) => [p.experiment_id, p.permission]), [[secretExp, 'READ']]);
  await perm.locator('select').selectOption('EDIT');
  for (let i = 0; i < 50; i++) { // the change is saved in the background
    got = (await admin('GET', `users/get?username=${CAROL.username}`)).user.experiment_permissions;
    if (got[0].permission === 'EDIT') break;
    await sleep(100);
  }
  assert.equal(got[0].permission, 'EDIT');
  await perm.locator('select').selectOption('READ');
  for (let i = 0; i < 50; i++) {
    got = (await admin('GET', `users/get?username=${CAROL.username}`)).user.experiment_permissions;
    if (got[0].permission === 'READ') break;
    await sleep(100);
  }
  assert.equal(got[0].permission, 'READ');
  // a registered model: granted, then removed (after the confirm step)
  await page.fill('#grant-model .grant-target', 'team-model');
  await page.selectOption('#grant-model select', 'EDIT');
  await page.click('#grant-model button[type=submit]');
  await page.locator('#model-permissions tr[data-key="team-model"]').waitFor();
  await browser.shot('admin-user.png', true);
  got = (await admin('GET', `users/get?username=${CAROL.username}`)).user.registered_model_permissions;
  assert.deepEqual(got.map((p) => [p.name, p.permission]), [['team-model', 'EDIT']]);
  await page.locator('#model-permissions tr[data-key="team-model"] .remove').click();
  await page.click('dialog [data-confirm=yes]');
  await page.locator('p#model-permissions', { hasText: 'default permission applies' }).waitFor();
  assert.deepEqual((await admin('GET', `users/get?username=${CAROL.username}`)).user.registered_model_permissions, []);
  // a grant the server refuses (she has one there already) is said
  allow400 = true;
  await page.fill('#grant-experiment .grant-target', secretExp);
  await page.click('#grant-experiment button[type=submit]');
  await page.locator('#permissions-error .error', { hasText: 'already exists' }).waitFor();
  allow400 = false;
  browser.noProblems();
});

test('the admin page resets a password and deletes a user', async () => {
  await admin('POST', 'users/create', { username: 'temp-user', password: 'temp-password-1234' });
  await page.goto(url('admin'));
  const row = page.locator('#users tr[data-user="temp-user"]');
  await row.locator('.reset-password').click();
  await row.locator('.reset-form input').fill('reset-password-5678');
  await row.locator('.reset-form button[type=submit]').click();
  await page.locator('#users-error .ok', { hasText: 'password was reset' }).waitFor();
  assert.equal((await raw('GET', 'mlflow/users/current', { Authorization: basic('temp-user', 'temp-password-1234') })).status, 401);
  assert.equal((await raw('GET', 'mlflow/users/current', { Authorization: basic('temp-user', 'reset-password-5678') })).status, 200);
  await row.locator('.delete').click();
  await page.click('dialog [data-confirm=yes]');
  await row.waitFor({ state: 'detached' });
  assert.equal((await raw('GET', 'mlflow/users/get?username=temp-user', { Authorization: basic(AUTH_ADMIN.username, AUTH_ADMIN.password) })).status, 404);
  browser.noProblems();
});

test('the audit trail shows who wrote what, a page at a time', async () => {
  const rows = page.locator('#audit tbody tr');
  // a write of the admin's, then wait until the trail has it (it is written within a second)
  const asAdmin = { Authorization: basic(AUTH_ADMIN.username, AUTH_ADMIN.password) };
  await admin('POST', 'experiments/set-experiment-tag', { experiment_id: teamExp, key: 'audit-marker', value: '1' });
  for (let i = 0; i < 100; i++) {
    const r = JSON.parse((await raw('GET', 'mlflowc/audit/search?max_results=1', asAdmin)).text);
    if (r.entries[0]?.path.endsWith('/experiments/set-experiment-tag')) break;
    await sleep(100);
  }
  await page.goto(url('admin/audit?per=3'));
  await page.locator('#audit-page', { hasText: 'page 1' }).waitFor();
  let first = await page.locator('#audit tbody tr').first().textContent();
  assert.match(first, /admin\s*POST \/api\/2.0\/mlflow\/experiments\/set-experiment-tag\s*200/); // newest first
  assert.equal(await rows.count(), 3);
  first = await page.locator('#audit tbody').textContent();
  assert.ok(await page.locator('#audit-newer').isDisabled());
  await page.click('#audit-older');
  await page.locator('#audit-page', { hasText: 'page 2' }).waitFor();
  assert.notEqual(await page.locator('#audit tbody').textContent(), first);
  await page.click('#audit-newer');
  await page.locator('#audit-page', { hasText: 'page 1' }).waitFor();
  assert.equal(await page.locator('#audit tbody').textContent(), first);
  // only the reader's writes: none
  await page.fill('#audit-user', READER.username);
  await page.click('#audit-filter button[type=submit]');
  await page.locator('.status', { hasText: 'No entries.' }).waitFor();
  assert.equal(await rows.count(), 0);
  await page.fill('#audit-user', '');
  await page.click('#audit-filter button[type=submit]');
  await rows.first().waitFor();
  await browser.shot('admin-audit.png');
  browser.noProblems();
});

test('a token made on the account page works as a bearer token until revoked', async () => {
  await page.click('#session .username');
  await page.locator('#token-form').waitFor();
  await page.fill('#token-name', 'ci-token');
  await page.selectOption('#token-expiry', '30');
  await page.click('#token-form button[type=submit]');
  const secret = (await page.locator('#token-secret').textContent()).trim();
  assert.match(secret, /^mlfct_/);
  assert.match(await page.locator('.token-secret').textContent(), /will not be shown again/);
  assert.equal(await page.locator('#copy-token').count(), 1);
  await page.locator('#tokens tr', { hasText: 'ci-token' }).waitFor();
  await browser.shot('account-token.png', true);
  const bearer = { Authorization: `Bearer ${secret}` };
  const ok = await raw('POST', 'mlflow/experiments/search', bearer, { max_results: 10 });
  assert.equal(ok.status, 200, ok.text);
  assert.deepEqual(JSON.parse(ok.text).experiments.map((e) => e.name).sort(), ['Default', 'secret-exp', 'team-exp']);
  // the list never shows the secret again
  assert.doesNotMatch(await page.locator('#tokens').textContent(), /mlfct_/);
  await page.reload();
  await page.locator('#tokens tr', { hasText: 'ci-token' }).waitFor();
  assert.equal(await page.locator('#token-secret').count(), 0);
  await page.locator('#tokens tr', { hasText: 'ci-token' }).locator('.revoke').click();
  await page.click('dialog [data-confirm=yes]');
  await page.locator('#tokens tr', { hasText: 'ci-token' }).locator('td', { hasText: 'revoked' }).waitFor();
  assert.equal((await raw('POST', 'mlflow/experiments/search', bearer, { max_results: 10 })).status, 401);
  browser.noProblems();
});

test('sign out returns to the sign-in page and the old session is refused', async () => {
  const [cookie] = (await browser.context.cookies()).filter((c) => c.name === 'mlflowc_session');
  assert.ok(cookie?.httpOnly, 'the session cookie is HttpOnly');
  const session = { Cookie: `mlflowc_session=${cookie.value}` };
  assert.equal((await raw('GET', 'mlflow/users/current', session)).status, 200);
  await page.goto(url());
  await page.locator('#experiments').waitFor();
  await signOut();
  assert.equal(new URL(page.url()).pathname, '/signin');
  assert.equal(await page.locator('#session').textContent(), '');
  assert.equal((await raw('GET', 'mlflow/users/current', session)).status, 401);
  assert.equal((await raw('POST', 'mlflow/experiments/search', session, {})).status, 401);
  browser.noProblems();
});

test('the new user signs in and sees only the experiment granted', async () => {
  await signIn(CAROL);
  await page.locator('#experiments a', { hasText: 'secret-exp' }).waitFor();
  assert.deepEqual(await page.locator('#experiments td.name').allTextContents(), ['secret-exp']);
  assert.equal(await page.locator('#session .admin-link').count(), 0);
  await browser.shot('experiments-carol.png');
  browser.noProblems();
});

test('the account page changes the password: the current one is asked, the old one stops working', async () => {
  await page.click('#session .username');
  await page.fill('#current-password', 'not-her-password-1');
  await page.fill('#new-password', 'carol-new-password-99');
  await page.fill('#new-password-again', 'carol-new-password-99');
  await page.click('#password-form button[type=submit]');
  await page.locator('#password-status .error', { hasText: 'The current password is wrong.' }).waitFor();
  await page.fill('#current-password', CAROL.password);
  await page.fill('#new-password-again', 'something-else-1234');
  await page.click('#password-form button[type=submit]');
  await page.locator('#password-status .error', { hasText: 'differ' }).waitFor();
  await page.fill('#new-password-again', 'carol-new-password-99');
  await page.click('#password-form button[type=submit]');
  await page.locator('#password-status .ok', { hasText: 'Password changed' }).waitFor();
  assert.equal((await raw('GET', 'mlflow/users/current', { Authorization: basic(CAROL.username, CAROL.password) })).status, 401);
  assert.equal((await raw('GET', 'mlflow/users/current',
    { Authorization: basic(CAROL.username, 'carol-new-password-99') })).status, 200);
  // still signed in (a new session): the experiments load
  await page.goto(url());
  await page.locator('#experiments a', { hasText: 'secret-exp' }).waitFor();
  await signOut();
  browser.noProblems();
});

test('a READ-only user is told plainly that a rename needs EDIT, and nothing changes', async () => {
  await signIn(READER);
  const row = page.locator(`#experiments tr[data-id="${teamExp}"]`);
  await row.waitFor();
  assert.equal(await page.locator('#experiments tbody tr').count(), 1);
  await row.locator('.rename').click();
  await row.locator('.rename-form input').fill('renamed-by-reader');
  await row.locator('.rename-form button[type=submit]').click();
  const msg = page.locator('#experiments-error .error.denied');
  await msg.waitFor();
  assert.equal(await msg.textContent(), `You do not have permission to change this (needs EDIT on experiment ${teamExp}).`);
  await browser.shot('denied-rename.png');
  assert.equal((await admin('GET', `experiments/get?experiment_id=${teamExp}`)).experiment.name, 'team-exp');
  // an experiment they may not read: its page says so instead of staying blank
  await page.goto(url(`experiments/${secretExp}`));
  await page.locator('.error.denied', { hasText: `needs READ on experiment ${secretExp}` }).first().waitFor();
  // the admin page is not theirs
  await page.goto(url('admin'));
  await page.locator('.error.denied', { hasText: 'only an administrator may' }).waitFor();
  assert.deepEqual(challenges, []);
  browser.noProblems();
});

test('a session that ends mid-use leads to the sign-in page and back to the same page', async () => {
  await page.goto(url('?lifecycle=all'));
  await page.locator('#experiments').waitFor();
  await browser.context.clearCookies();
  await page.selectOption('#experiment-lifecycle', 'deleted'); // a request with no session
  await page.locator('#sign-in').waitFor();
  assert.equal(new URL(page.url()).searchParams.get('next'), '?lifecycle=deleted');
  await signIn(READER);
  await page.locator('#experiments').waitFor();
  assert.equal(new URL(page.url()).search, '?lifecycle=deleted');
  assert.equal(await page.inputValue('#experiment-lifecycle'), 'deleted');
  // a ?next= pointing at another site is not followed
  await signOut();
  await page.goto(url(`signin?next=${encodeURIComponent('http://127.0.0.2:9/x')}`));
  await signIn(READER);
  await page.locator('#experiments').waitFor();
  assert.equal(new URL(page.url()).host, `127.0.0.1:${srv.port}`);
  assert.deepEqual(challenges, []);
  browser.noProblems();
});

test('under --static-prefix the sign-in page and the way back stay below the prefix', async () => {
  const prefixed = await startAuthServer({ extra: ['--static-prefix', '/ml'] });
  const b = await openBrowser({ prefix: 'auth-prefix-', ignore: (t) => /status of 401/.test(t) });
  try {
    const base = `http://127.0.0.1:${prefixed.port}/ml`;
    await b.page.goto(`${base}/models`);
    await b.page.locator('#sign-in').waitFor();
    assert.equal(new URL(b.page.url()).pathname, '/ml/signin');
    assert.equal(new URL(b.page.url()).searchParams.get('next'), 'models');
    await b.page.fill('#sign-in-username', AUTH_ADMIN.username);
    await b.page.fill('#sign-in-password', AUTH_ADMIN.password);
    await b.page.click('#sign-in button[type=submit]');
    await b.page.locator('#session .username', { hasText: AUTH_ADMIN.username }).waitFor();
    await b.page.waitForURL(`${base}/models`);
    await b.page.click('#sign-out');
    await b.page.locator('#sign-in').waitFor();
    assert.equal(new URL(b.page.url()).pathname, '/ml/signin');
    b.noProblems();
  } finally {
    await b.close();
    await stopServer(prefixed);
  }
});

test('with auth off there is no user, no sign-in and no request about users', async () => {
  const plain = await startServer();
  const b = await openBrowser({ prefix: 'auth-off-' });
  const asked = [];
  b.page.on('request', (r) => asked.push(new URL(r.url()).pathname));
  try {
    await apiOf(plain)('POST', 'experiments/create', { name: 'open-exp' });
    await b.page.goto(`http://127.0.0.1:${plain.port}/`);
    await b.page.locator('#experiments a', { hasText: 'open-exp' }).waitFor();
    assert.equal(await b.page.locator('meta[name="mlflowc-auth"]').getAttribute('content'), 'off');
    assert.equal(await b.page.locator('#session, #sign-in, #sign-out').count(), 0);
    assert.deepEqual(asked.filter((p) => /users|auth/.test(p)), []);
    await b.page.goto(`http://127.0.0.1:${plain.port}/signin`);
    await b.page.locator('#not-found').waitFor();
    await b.page.goto(`http://127.0.0.1:${plain.port}/admin`);
    await b.page.locator('#not-found').waitFor();
    await b.shot('experiments.png');
    b.noProblems();
  } finally {
    await b.close();
    await stopServer(plain);
  }
});

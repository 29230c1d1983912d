// harness.mjs - what the browser tests share: start the real server
// (MLFLOWC_BIN, default ../../build/mlflowc) on a temp dir and a free port,
// stop it, call its REST API, and open Chromium on a page that records
// every console error and uncaught page error (openBrowser).

import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import fs from 'node:fs/promises';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { chromium } from 'playwright-core';

const HERE = path.dirname(fileURLToPath(import.meta.url));
export const BIN = path.resolve(process.env.MLFLOWC_BIN || path.join(HERE, '..', '..', 'build', 'mlflowc'));
export const CHROMIUM = process.env.CHROMIUM || '/usr/bin/chromium';
// headless, no sandbox (runs as root in CI), nothing that phones home
export const launchArgs = ['--headless', '--no-sandbox', '--disable-gpu', '--disable-background-networking',
  '--disable-component-update', '--disable-quic', '--no-first-run', '--disable-sync'];

export const sleep = (ms) => new Promise((r) => setTimeout(r, ms));

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

/**
 * Starts the server with `extra` arguments on a fresh temp dir. Options: `files` ({name: text})
 * written into that dir first, `env` (an object, or a function of the dir giving one) added to
 * the environment, e.g. an auth INI and MLFLOW_AUTH_CONFIG_PATH (see authServer).
 */
export async function startServer(extra = [], { files = {}, env = {} } = {}) {
  await fs.access(BIN);
  const tmp = await fs.mkdtemp(path.join(os.tmpdir(), 'mlflowc-ui-'));
  for (const [name, text] of Object.entries(files)) await fs.writeFile(path.join(tmp, name), text);
  const port = await freePort();
  const args = ['server', '--backend-store-uri', `sqlite:///${tmp}/mlflow.db`, '--artifacts-destination', `${tmp}/mlartifacts`,
    '--host', '127.0.0.1', '--port', String(port), ...extra];
  const procEnv = { ...process.env, ...(typeof env === 'function' ? env(tmp) : env) };
  const proc = spawn(BIN, args, { cwd: tmp, stdio: ['ignore', 'pipe', 'pipe'], detached: true, env: procEnv });
  let out = '';
  proc.stdout.setEncoding('utf8').on('data', (c) => { out += c; });
  proc.stderr.setEncoding('utf8').on('data', (c) => { out += c; });
  const exited = new Promise((r) => proc.on('exit', r));
  const srv = { proc, tmp, port, exited, output: () => out, prefix: extra.includes('--static-prefix') ? extra[extra.indexOf('--static-prefix') + 1] : '' };
  process.on('exit', () => { try { process.kill(-proc.pid, 'SIGKILL'); } catch { /* gone */ } });
  for (let i = 0; i < 100; i++) {
    if (proc.exitCode !== null) break;
    try {
      const r = await fetch(`http://127.0.0.1:${port}/health`);
      if (r.status === 200) return srv;
    } catch { /* not up yet */ }
    await sleep(100);
  }
  throw new Error(`server did not start: ${BIN} ${args.join(' ')}\n${out}`);
}

export const AUTH_ADMIN = { username: 'admin', password: 'admin-password-1234' };

/**
 * A server with the basic-auth app on (--app-name basic-auth and an [mlflow] INI at
 * MLFLOW_AUTH_CONFIG_PATH naming AUTH_ADMIN); `defaultPermission` is the INI's default_permission.
 */
export function startAuthServer({ defaultPermission = 'READ', extra = [] } = {}) {
  const ini = `[mlflow]\ndefault_permission = ${defaultPermission}\nadmin_username = ${AUTH_ADMIN.username}\n`
    + `admin_password = ${AUTH_ADMIN.password}\n`;
  return startServer(['--app-name', 'basic-auth', ...extra], {
    files: { 'auth.ini': ini },
    env: (tmp) => ({ MLFLOW_AUTH_CONFIG_PATH: path.join(tmp, 'auth.ini'), MLFLOW_AUTH_ADMIN_PASSWORD: '' }),
  });
}

/** The Authorization header value of HTTP Basic credentials. */
export const basic = (username, password) => `Basic ${Buffer.from(`${username}:${password}`).toString('base64')}`;

export async function stopServer(srv) {
  if (!srv) return;
  try { process.kill(-srv.proc.pid, 'SIGTERM'); } catch { /* gone */ }
  await Promise.race([srv.exited, sleep(5000)]);
  await fs.rm(srv.tmp, { recursive: true, force: true });
}

/** A caller of the REST API that asserts 200; `headers` go with every call (e.g. Authorization). */
export function apiOf(srv, headers = {}) {
  const base = `http://127.0.0.1:${srv.port}${srv.prefix}`;
  return async (method, p, body) => {
    const url = `${base}/api/2.0/mlflow/${p}`;
    const res = await fetch(url, method === 'GET' ? { headers }
      : { method, headers: { ...headers, 'Content-Type': 'application/json' }, body: JSON.stringify(body) });
    const text = await res.text();
    assert.equal(res.status, 200, `${method} ${p}: ${text}`);
    return JSON.parse(text || '{}');
  };
}

// Screenshots of the test runs: $MLFLOWC_SCREENSHOTS, else build/ui-screenshots/.
export const SHOTS = path.resolve(process.env.MLFLOWC_SCREENSHOTS || path.join(HERE, '..', '..', 'build', 'ui-screenshots'));

/**
 * Opens headless Chromium (Debian's, launchArgs) on a fresh profile and one page with a 10 s
 * default timeout. Console errors and uncaught page errors are collected in `problems`, except
 * console messages for which `ignore(text)` says true (e.g. a 4xx a step provokes on purpose).
 * Returns { context, page, problems, shot(name, fullPage), noProblems(), close() }: shot saves
 * SHOTS/<prefix><name>; noProblems asserts nothing was logged since the last call.
 */
export async function openBrowser({ viewport = { width: 1366, height: 800 }, ignore = () => false, prefix = '' } = {}) {
  await fs.mkdir(SHOTS, { recursive: true });
  const profile = await fs.mkdtemp(path.join(os.tmpdir(), 'mlflowc-chromium-'));
  const context = await chromium.launchPersistentContext(profile, {
    executablePath: CHROMIUM, headless: true, args: launchArgs, viewport,
  });
  const page = context.pages()[0] || await context.newPage();
  page.setDefaultTimeout(10000);
  const problems = [];
  page.on('console', (m) => {
    if (m.type() === 'error' && !ignore(m.text())) problems.push(`console error: ${m.text()} (${m.location().url})`);
  });
  page.on('pageerror', (e) => problems.push(`page error: ${e.stack || e}`));
  return {
    context, page, problems,
    shot: (name, fullPage = false) => page.screenshot({ path: path.join(SHOTS, prefix + name), fullPage }),
    noProblems: () => assert.deepEqual(problems.splice(0), [], 'the page logged errors'),
    close: async () => {
      await context.close();
      await fs.rm(profile, { recursive: true, force: true });
    },
  };
}

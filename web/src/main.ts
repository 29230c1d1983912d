// main.ts - the UI's entry point: styles, routes, global keys; with auth on
// (auth.ts) also the sign-in, account and admin pages, and the router starts
// once it is known who is signed in.

import './style.css';
import { addRoute, basePath, startRouter } from './router';
import { experimentsPage } from './pages/experiments';
import { runsPage } from './pages/runs';
import { runPage } from './pages/run';
import { modelsPage } from './pages/models';
import { modelPage } from './pages/model';
import { modelVersionPage } from './pages/model_version';
import { comparePage } from './pages/compare';
import { authEnabled, startAuth } from './auth';
import { signInPage } from './pages/signin';
import { accountPage } from './pages/account';
import { adminPage } from './pages/admin';
import { adminUserPage } from './pages/admin_user';
import { auditPage } from './pages/admin_audit';

addRoute(/^(?:experiments\/?)?$/, experimentsPage);
addRoute(/^experiments\/([^/]+)\/?$/, runsPage);
addRoute(/^runs\/([^/]+)\/?$/, runPage);
addRoute(/^experiments\/[^/]+\/runs\/([^/]+)\/?$/, runPage);
// the model registry; a name may hold "/" (the path is matched decoded)
addRoute(/^models\/?$/, modelsPage);
addRoute(/^models\/(.+)\/versions\/([0-9]+)\/?$/, modelVersionPage);
addRoute(/^models\/(.+?)\/?$/, modelPage);
addRoute(/^compare\/?$/, comparePage);
const auth = authEnabled();
if (auth) { // with auth off these paths stay "page not found", as before
  addRoute(/^signin\/?$/, signInPage);
  addRoute(/^account\/?$/, accountPage);
  addRoute(/^admin\/?$/, adminPage);
  addRoute(/^admin\/audit\/?$/, auditPage);
  addRoute(/^admin\/users\/(.+?)\/?$/, adminUserPage);
}

// "/" focuses the page's search box, as in most web apps.
document.addEventListener('keydown', (ev) => {
  const t = ev.target as HTMLElement;
  if (ev.key !== '/' || ev.ctrlKey || ev.metaKey || ev.altKey) return;
  if (t.closest('input, textarea, select, [contenteditable]')) return;
  const box = document.querySelector<HTMLInputElement>('#app input[type=search]');
  if (box) {
    ev.preventDefault();
    box.focus();
    box.select();
  }
});

// The header's section links mark the section the page belongs to (none on the account and admin pages).
function markSection(): void {
  const rel = location.pathname.slice(basePath().length);
  const onModels = /^models(\/|$)/.test(rel);
  const elsewhere = auth && /^(signin|account|admin)(\/|$)/.test(rel);
  document.querySelectorAll<HTMLAnchorElement>('.sections a').forEach((a) => {
    if (!elsewhere && (a.getAttribute('href') === 'models') === onModels) a.setAttribute('aria-current', 'page');
    else a.removeAttribute('aria-current');
  });
  document.querySelectorAll<HTMLAnchorElement>('#session a').forEach((a) => {
    const href = a.getAttribute('href') || '';
    if (href && (rel === href || rel.startsWith(`${href}/`))) a.setAttribute('aria-current', 'page');
    else a.removeAttribute('aria-current');
  });
}
new MutationObserver(markSection).observe(document.getElementById('app')!, { childList: true });

if (auth) void startAuth().then(startRouter);
else startRouter();

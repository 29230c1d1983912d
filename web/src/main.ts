// main.ts - the UI's entry point: styles, routes, global keys.

import './style.css';
import { addRoute, basePath, startRouter } from './router';
import { experimentsPage } from './pages/experiments';
import { runsPage } from './pages/runs';
import { runPage } from './pages/run';
import { modelsPage } from './pages/models';
import { modelPage } from './pages/model';
import { modelVersionPage } from './pages/model_version';
import { comparePage } from './pages/compare';

addRoute(/^(?:experiments\/?)?$/, experimentsPage);
addRoute(/^experiments\/([^/]+)\/?$/, runsPage);
addRoute(/^runs\/([^/]+)\/?$/, runPage);
addRoute(/^experiments\/[^/]+\/runs\/([^/]+)\/?$/, runPage);
// the model registry; a name may hold "/" (the path is matched decoded)
addRoute(/^models\/?$/, modelsPage);
addRoute(/^models\/(.+)\/versions\/([0-9]+)\/?$/, modelVersionPage);
addRoute(/^models\/(.+?)\/?$/, modelPage);
addRoute(/^compare\/?$/, comparePage);

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

// The header's section links mark the section the page belongs to.
function markSection(): void {
  const onModels = /^models(\/|$)/.test(location.pathname.slice(basePath().length));
  document.querySelectorAll<HTMLAnchorElement>('.sections a').forEach((a) => {
    if ((a.getAttribute('href') === 'models') === onModels) a.setAttribute('aria-current', 'page');
    else a.removeAttribute('aria-current');
  });
}
new MutationObserver(markSection).observe(document.getElementById('app')!, { childList: true });

startRouter();

// experiments.ts - the start page: every active experiment, a search box
// that filters as you type (kept in ?q=), and a form to create one.

import { api, Experiment } from '../api';
import { link, navigate, Page, setQuery } from '../router';
import { errorBox, fmtTime, h, isAbort, setCrumbs } from '../util';

/** Loads every active experiment, page by page (bounded). */
async function loadAll(signal: AbortSignal): Promise<Experiment[]> {
  const out: Experiment[] = [];
  let token: string | undefined;
  for (let i = 0; i < 100; i++) {
    const r = await api.searchExperiments({ max_results: 1000, view_type: 'ACTIVE_ONLY', page_token: token,
      order_by: ['last_update_time DESC'] }, signal);
    out.push(...(r.experiments || []));
    token = r.next_page_token;
    if (!token) break;
  }
  return out;
}

export function experimentsPage(root: HTMLElement, _m: RegExpExecArray, query: URLSearchParams): Page {
  const ctl = new AbortController();
  setCrumbs('Experiments');
  const search = h('input', { type: 'search', name: 'q', placeholder: 'Filter experiments by name',
    'aria-label': 'Filter experiments by name', value: query.get('q') || '', autocomplete: 'off' });
  const name = h('input', { type: 'text', name: 'name', placeholder: 'New experiment name', required: true,
    'aria-label': 'New experiment name' });
  const create = h('form', { class: 'inline', id: 'create-experiment' }, name, h('button', { type: 'submit' }, 'Create'));
  const status = h('div', { class: 'status', 'aria-live': 'polite' }, 'Loading…');
  const tbody = h('tbody');
  const table = h('table', { class: 'grid', id: 'experiments' },
    h('thead', {}, h('tr', {}, h('th', {}, 'Name'), h('th', { class: 'num' }, 'ID'), h('th', {}, 'Created'),
      h('th', {}, 'Last update'))), tbody);
  root.append(h('section', { class: 'page' }, h('div', { class: 'toolbar' }, h('h1', {}, 'Experiments'), search, create),
    status, table));

  let all: Experiment[] = [];
  const show = () => {
    const q = search.value.trim().toLowerCase();
    const rows = q ? all.filter((e) => e.name.toLowerCase().includes(q)) : all;
    tbody.replaceChildren(...rows.slice(0, 2000).map((e) => h('tr', {},
      h('td', {}, link(`experiments/${encodeURIComponent(e.experiment_id)}`, e.name)),
      h('td', { class: 'num' }, e.experiment_id), h('td', {}, fmtTime(e.creation_time)),
      h('td', {}, fmtTime(e.last_update_time)))));
    status.textContent = `${rows.length} of ${all.length} experiments${rows.length > 2000 ? ' (first 2000 shown)' : ''}`;
  };
  search.addEventListener('input', () => {
    const p = new URLSearchParams(location.search);
    if (search.value) p.set('q', search.value);
    else p.delete('q');
    setQuery(p);
    show();
  });
  create.addEventListener('submit', async (ev) => {
    ev.preventDefault();
    create.querySelector('.error')?.remove();
    try {
      const r = await api.createExperiment(name.value.trim());
      navigate(`experiments/${encodeURIComponent(r.experiment_id)}`);
    } catch (e) {
      create.append(errorBox(e));
    }
  });
  loadAll(ctl.signal).then((list) => {
    all = list;
    show();
  }).catch((e) => {
    if (!isAbort(e)) status.replaceChildren(errorBox(e));
  });
  return { dispose: () => ctl.abort() };
}

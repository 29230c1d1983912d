// experiments.ts - the start page: the experiments, a search box that
// filters as you type (kept in ?q=), a lifecycle filter (Active / Deleted /
// All, kept in ?lifecycle=), a form to create one, and per row: rename
// (inline), delete (after a confirm step) or restore.

import { api, Experiment } from '../api';
import { link, navigate, Page, setQuery } from '../router';
import { confirmDialog, errorBox, fmtTime, h, isAbort, setCrumbs } from '../util';

const SHOWN = 2000;

/** ?lifecycle= values and the view_type each asks for. */
const LIFECYCLES: { value: string; label: string; view: string }[] = [
  { value: 'active', label: 'Active', view: 'ACTIVE_ONLY' },
  { value: 'deleted', label: 'Deleted', view: 'DELETED_ONLY' },
  { value: 'all', label: 'All', view: 'ALL' },
];

/** Loads every experiment of a lifecycle view, page by page (bounded). */
async function loadAll(viewType: string, signal: AbortSignal): Promise<Experiment[]> {
  const out: Experiment[] = [];
  let token: string | undefined;
  for (let i = 0; i < 100; i++) {
    const r = await api.searchExperiments({ max_results: 1000, view_type: viewType, page_token: token,
      order_by: ['last_update_time DESC'] }, signal);
    out.push(...(r.experiments || []));
    token = r.next_page_token;
    if (!token) break;
  }
  return out;
}

export function experimentsPage(root: HTMLElement, _m: RegExpExecArray, query: URLSearchParams): Page {
  const ctl = new AbortController();
  let gen = 0;
  setCrumbs('Experiments');
  let lifecycle = LIFECYCLES.some((l) => l.value === query.get('lifecycle')) ? query.get('lifecycle')! : 'active';
  const search = h('input', { type: 'search', name: 'q', placeholder: 'Filter experiments by name',
    'aria-label': 'Filter experiments by name', value: query.get('q') || '', autocomplete: 'off' });
  const lifeSelect = h('select', { id: 'experiment-lifecycle', 'aria-label': 'Show active, deleted or all experiments' },
    ...LIFECYCLES.map((l) => h('option', { value: l.value, selected: l.value === lifecycle }, l.label)));
  const name = h('input', { type: 'text', name: 'name', placeholder: 'New experiment name', required: true,
    'aria-label': 'New experiment name' });
  const create = h('form', { class: 'inline', id: 'create-experiment' }, name, h('button', { type: 'submit' }, 'Create'));
  const status = h('div', { class: 'status', 'aria-live': 'polite' }, 'Loading…');
  const errBox = h('div', { id: 'experiments-error' });
  const tbody = h('tbody');
  const headRow = h('tr');
  const table = h('table', { class: 'grid', id: 'experiments' }, h('thead', {}, headRow), tbody);
  root.append(h('section', { class: 'page' },
    h('div', { class: 'toolbar' }, h('h1', {}, 'Experiments'), search, lifeSelect, create), errBox, status, table));

  let all: Experiment[] = [];
  const fail = (e: unknown) => errBox.replaceChildren(errorBox(e));

  const rowOf = (e: Experiment): HTMLElement => {
    const deleted = e.lifecycle_stage === 'deleted';
    const id = e.experiment_id;
    const nameCell = h('td', { class: 'name' }, deleted ? h('span', {}, e.name) : link(`experiments/${encodeURIComponent(id)}`, e.name));
    const acts = h('td', { class: 'actions' });
    const tr = h('tr', { 'data-id': id, class: deleted ? 'deleted' : '' }, nameCell, h('td', { class: 'num' }, id),
      h('td', {}, fmtTime(e.creation_time)), h('td', {}, fmtTime(e.last_update_time)),
      lifecycle !== 'active' ? h('td', {}, deleted ? 'deleted' : 'active') : null, acts);
    if (deleted) {
      const restore = h('button', { type: 'button', class: 'restore', 'aria-label': `Restore ${e.name}` }, 'Restore');
      restore.addEventListener('click', async () => {
        restore.disabled = true;
        try {
          await api.restoreExperiment(id);
          errBox.replaceChildren();
          search.focus(); // the row goes away
          reload();
        } catch (err) {
          restore.disabled = false;
          fail(err);
        }
      });
      acts.append(restore);
      return tr;
    }
    const rename = h('button', { type: 'button', class: 'rename', 'aria-label': `Rename ${e.name}` }, 'Rename');
    const del = h('button', { type: 'button', class: 'delete danger-outline', 'aria-label': `Delete ${e.name}` }, 'Delete');
    rename.addEventListener('click', () => {
      const input = h('input', { type: 'text', value: e.name, required: true, 'aria-label': `New name for ${e.name}` });
      const cancel = h('button', { type: 'button' }, 'Cancel');
      const form = h('form', { class: 'inline rename-form' }, input, h('button', { type: 'submit' }, 'Save'), cancel);
      const close = () => {
        errBox.replaceChildren(); // an error was about this rename
        nameCell.replaceChildren(link(`experiments/${encodeURIComponent(id)}`, e.name));
        rename.hidden = false;
        rename.focus();
      };
      cancel.addEventListener('click', close);
      input.addEventListener('keydown', (ev) => {
        if (ev.key === 'Escape') {
          ev.preventDefault();
          close();
        }
      });
      form.addEventListener('submit', async (ev) => {
        ev.preventDefault();
        const next = input.value.trim();
        if (!next || next === e.name) {
          close();
          return;
        }
        try {
          await api.updateExperiment(id, next);
          e.name = next;
          errBox.replaceChildren();
          close();
        } catch (err) {
          fail(err);
          input.focus();
        }
      });
      nameCell.replaceChildren(form);
      rename.hidden = true;
      input.focus();
      input.select();
    });
    del.addEventListener('click', async () => {
      const ok = await confirmDialog(`Delete the experiment "${e.name}" and its runs? It can be restored from the Deleted view.`,
        'Delete');
      if (!ok) {
        del.focus();
        return;
      }
      try {
        await api.deleteExperiment(id);
        errBox.replaceChildren();
        search.focus(); // the row goes away
        reload();
      } catch (err) {
        fail(err);
      }
    });
    acts.append(rename, del);
    return tr;
  };

  const show = () => {
    const q = search.value.trim().toLowerCase();
    const rows = q ? all.filter((e) => e.name.toLowerCase().includes(q)) : all;
    headRow.replaceChildren(h('th', {}, 'Name'), h('th', { class: 'num' }, 'ID'), h('th', {}, 'Created'),
      h('th', {}, 'Last update'), ...lifecycle !== 'active' ? [h('th', {}, 'State')] : [],
      h('th', { class: 'actions' }, h('span', { class: 'sr-only' }, 'Actions')));
    tbody.replaceChildren(...rows.slice(0, SHOWN).map(rowOf));
    const what = lifecycle === 'active' ? '' : lifecycle === 'deleted' ? 'deleted ' : 'active and deleted ';
    status.textContent = `${rows.length} of ${all.length} ${what}experiments${rows.length > SHOWN ? ` (first ${SHOWN} shown)` : ''}`;
  };
  const setUrl = (push: boolean) => {
    const p = new URLSearchParams(location.search);
    if (search.value) p.set('q', search.value);
    else p.delete('q');
    if (lifecycle !== 'active') p.set('lifecycle', lifecycle);
    else p.delete('lifecycle');
    setQuery(p, push);
  };
  search.addEventListener('input', () => {
    setUrl(false);
    show();
  });
  lifeSelect.addEventListener('change', () => {
    lifecycle = lifeSelect.value;
    setUrl(true);
    reload();
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
  function reload(): void {
    const g = ++gen;
    status.textContent = 'Loading…';
    loadAll(LIFECYCLES.find((l) => l.value === lifecycle)!.view, ctl.signal).then((list) => {
      if (g !== gen) return;
      all = list;
      show();
    }).catch((e) => {
      if (!isAbort(e) && g === gen) status.replaceChildren(errorBox(e));
    });
  }
  reload();
  return { dispose: () => ctl.abort() };
}

// models.ts - the registered models list: a search box (a name ILIKE
// filter, kept in ?q=), sorting by name or last change (the column
// headers, kept in ?sort=), pages of 50 models with Previous/Next (the
// page tokens are kept so Previous needs no recount), and per model its
// latest version per stage, its aliases, when it changed and its
// description.

import { registry, RegisteredModel } from '../api';
import { link, Page, setQuery } from '../router';
import { errorBox, fmtTime, h, isAbort, setCrumbs } from '../util';
import { aliasChip, modelHref, versionHref } from './model_parts';

const PAGE = 50;

/** ?sort= values and the order_by each sends. */
const SORTS: Record<string, string> = {
  name: 'name ASC', '-name': 'name DESC', updated: 'last_updated_timestamp ASC', '-updated': 'last_updated_timestamp DESC',
};

/** A name ILIKE filter for what the user typed. Filter strings cannot
 * escape a quote, so ' and \ match any one character ("_"). */
export function nameFilter(q: string): string | undefined {
  const t = q.trim();
  return t ? `name ILIKE '%${t.replace(/['\\]/g, '_')}%'` : undefined;
}

function excerpt(s: string | undefined, n = 120): string {
  const one = (s || '').replace(/\s+/g, ' ').trim();
  return one.length > n ? `${one.slice(0, n - 1)}…` : one;
}

/** "v3" links, one per stage that has a latest version. */
function latestCell(m: RegisteredModel, stages: string[]): HTMLElement {
  const td = h('td', {});
  for (const v of m.latest_versions || []) {
    if (!stages.includes(v.current_stage || 'None')) continue;
    if (td.childNodes.length) td.append(' ');
    td.append(link(versionHref(m.name, v.version), `v${v.version}`));
  }
  return td;
}

/** The highest version number among the latest per stage: the newest version. */
function newestCell(m: RegisteredModel): HTMLElement {
  const vs = (m.latest_versions || []).map((v) => Number(v.version)).filter(Number.isFinite);
  if (!vs.length) return h('td', { class: 'muted' }, '—');
  const top = String(Math.max(...vs));
  return h('td', {}, link(versionHref(m.name, top), `v${top}`));
}

export function modelsPage(root: HTMLElement, _m: RegExpExecArray, query: URLSearchParams): Page {
  let ctl = new AbortController();
  setCrumbs('Models');
  const search = h('input', { type: 'search', name: 'q', placeholder: 'Search models by name', 'aria-label': 'Search models by name',
    value: query.get('q') || '', autocomplete: 'off' });
  const status = h('div', { class: 'status', 'aria-live': 'polite' }, 'Loading…');
  const tbody = h('tbody');
  let sort = SORTS[query.get('sort') || ''] ? query.get('sort')! : 'name';
  // a sortable header: a button that flips the direction, with aria-sort
  const sortHead = (key: string, label: string, first: string) => {
    const th = h('th', {});
    const b = h('button', { type: 'button', class: 'sort', 'data-sort': key }, label);
    b.addEventListener('click', () => {
      sort = sort === first ? (first.startsWith('-') ? key : `-${key}`) : first;
      const p = new URLSearchParams(location.search);
      if (sort === 'name') p.delete('sort');
      else p.set('sort', sort);
      setQuery(p);
      restart();
    });
    th.append(b);
    return th;
  };
  const heads = [sortHead('name', 'Name', 'name'), sortHead('updated', 'Last modified', '-updated')];
  const showSort = () => heads.forEach((th) => {
    const key = th.querySelector('button')!.dataset.sort!;
    const on = sort.replace(/^-/, '') === key;
    if (on) th.setAttribute('aria-sort', sort.startsWith('-') ? 'descending' : 'ascending');
    else th.removeAttribute('aria-sort');
  });
  const table = h('table', { class: 'grid', id: 'models' },
    h('thead', {}, h('tr', {}, heads[0], h('th', {}, 'Latest version'), h('th', {}, 'Staging'),
      h('th', {}, 'Production'), h('th', {}, 'Aliases'), heads[1], h('th', {}, 'Description'))),
    tbody);
  const prev = h('button', { type: 'button', id: 'models-prev', disabled: true }, '‹ Previous');
  const next = h('button', { type: 'button', id: 'models-next', disabled: true }, 'Next ›');
  const pageNo = h('span', { class: 'muted' });
  root.append(h('section', { class: 'page' }, h('div', { class: 'toolbar' }, h('h1', {}, 'Registered models'), search),
    status, table, h('div', { class: 'footer' }, prev, pageNo, next)));

  // tokens[i] opens page i; tokens[0] is undefined (the first page)
  let tokens: (string | undefined)[] = [undefined];
  let index = 0;
  const load = () => {
    ctl.abort();
    ctl = new AbortController();
    const signal = ctl.signal;
    status.textContent = 'Loading…';
    showSort();
    registry.searchModels(nameFilter(search.value), SORTS[sort], PAGE, tokens[index], signal).then((r) => {
      const models = r.registered_models || [];
      tokens = tokens.slice(0, index + 1);
      if (r.next_page_token) tokens.push(r.next_page_token);
      tbody.replaceChildren(...models.map((m) => h('tr', {},
        h('td', {}, link(modelHref(m.name), m.name)),
        newestCell(m), latestCell(m, ['Staging']), latestCell(m, ['Production']),
        h('td', {}, ...(m.aliases || []).flatMap((a, i) => [i ? ' ' : '', aliasChip(a.alias), ` v${a.version}`])),
        h('td', {}, fmtTime(m.last_updated_timestamp || m.creation_timestamp)),
        h('td', { class: 'muted' }, excerpt(m.description)))));
      if (!models.length) tbody.append(h('tr', {}, h('td', { colspan: 7, class: 'muted' },
        search.value.trim() ? 'No model matches.' : 'No registered models yet.')));
      const first = index * PAGE;
      status.textContent = models.length ? `Models ${first + 1}–${first + models.length}` : '';
      pageNo.textContent = `Page ${index + 1}`;
      prev.disabled = index === 0;
      next.disabled = !r.next_page_token;
    }).catch((e) => {
      if (!isAbort(e)) status.replaceChildren(errorBox(e));
    });
  };

  const restart = () => {
    tokens = [undefined];
    index = 0;
    load();
  };
  let timer: number | undefined;
  search.addEventListener('input', () => {
    const p = new URLSearchParams(location.search);
    if (search.value) p.set('q', search.value);
    else p.delete('q');
    setQuery(p);
    window.clearTimeout(timer);
    timer = window.setTimeout(restart, 200);
  });
  prev.addEventListener('click', () => {
    if (index > 0) index--;
    load();
  });
  next.addEventListener('click', () => {
    if (index + 1 < tokens.length) index++;
    load();
  });
  load();
  return { dispose: () => { ctl.abort(); window.clearTimeout(timer); } };
}

// runs.ts - an experiment's runs table. Everything the user chooses lives in
// the URL (?filter=, ?sort=, ?dir=, ?cols=, ?lifecycle=, ?sel=), so a view
// can be bookmarked. Filtering and sorting are done by the server
// (runs/search with MLflow's filter DSL and order_by); a small first page,
// then pages of PAGE runs are fetched as the user scrolls. Only the rows in
// view are in the DOM (virtual scrolling), so 10,000 runs cost no more to
// draw than 30. Checked rows can be compared, deleted or restored; while a
// run in view is RUNNING, the rows in view are re-read every few seconds.
// Runs created after the table loaded are found by a cheap poll (runs/search
// for start_time >= the newest start seen, with the user's filter): in the
// default order (newest first) they are inserted at the top without moving
// the rows in view; in any other order a "N new runs" button offers a reload.
// Neither poll runs while the tab is hidden.
// Nested runs (tag mlflow.parentRunId, as autologged sweeps make) are grouped:
// a child whose parent is loaded is drawn under it, behind the parent's
// expand/collapse toggle (collapsed at first); `rows` holds the runs as
// loaded, `shown` the rows drawn. Columns can be resized by dragging the
// edge of their header (?w= keeps the widths).

import { api, ApiError } from '../api';
import { link, navigate, Page, setQuery } from '../router';
import { confirmDialog, errorBox, h, isAbort, setCrumbs } from '../util';
import { groupRuns } from './runs_group';
import {
  cellText, Col, colLabel, FIXED, KIND_LABEL, LIFECYCLES, MIN_COL_PX, orderBy, parseWidths, Row, toRow,
} from './runs_model';

const FIRST_PAGE = 100; // small, so the first rows show quickly
const PAGE = 1000;
const ROW_H = 28;
const OVERSCAN = 8;
const CHOOSER_LIMIT = 200;
const LIVE_MS = 3000;
const NEW_MS = 4000; // the poll for runs created since the table loaded
const NEW_PAGE = 100;
const NEW_PAGES_MAX = 10; // per poll; more waits for the next one
const PICK_W = '2.25rem'; // the checkbox column
const URL_SEL_MAX = 500; // more checked runs than this are not written into ?sel= (the URL would be huge)
const COMPARE_MAX = 100; // the compare page draws every run it is given

export function runsPage(root: HTMLElement, m: RegExpExecArray, query: URLSearchParams): Page {
  const expId = decodeURIComponent(m[1]);
  const ctl = new AbortController();
  let gen = 0; // bumps on every reload; stale answers are dropped
  let rows: Row[] = []; // as loaded, in the server's order
  let shown: Row[] = []; // as drawn: children under their parents (regroup())
  const expanded = new Set<string>(); // parents whose children are shown
  let depth = new Map<string, number>(), kidCount = new Map<string, number>();
  // the keyboard's row and the Shift-click anchor stay on their runs when rows move
  const regroup = () => {
    const sel = shown[selected]?.id, anc = shown[anchor]?.id;
    const g = groupRuns(rows, expanded);
    shown = g.shown;
    depth = g.depth;
    kidCount = g.kids;
    const at = new Map(shown.map((r, i) => [r.id, i]));
    selected = sel ? at.get(sel) ?? -1 : -1;
    anchor = anc ? at.get(anc) ?? -1 : -1;
  };
  const widths = parseWidths(query.get('w'));
  let token: string | undefined;
  let loading = false;
  let selected = -1, anchor = -1; // anchor: the last row checked by a click: shift-click checks the range up to here
  const keys = { m: new Set<string>(), p: new Set<string>(), t: new Set<string>() };
  const state = {
    filter: query.get('filter') || '',
    sort: query.get('sort') || 'a:start_time',
    dir: query.get('dir') === 'asc' ? 'asc' : 'desc',
    cols: query.has('cols') ? (query.get('cols') || '').split(',').filter((c) => /^[mpt]:./.test(c)) : null as Col[] | null,
    lifecycle: LIFECYCLES.some((l) => l.value === query.get('lifecycle')) ? query.get('lifecycle')! : 'active',
  };
  // checked runs, by id, in the order they were checked (the URL's ?sel=)
  const picked = new Set((query.get('sel') || '').split(',').filter(Boolean));
  let autoCols = !state.cols; // the columns are the default pick (not the URL's, not the user's)

  const expLink = link(`experiments/${encodeURIComponent(expId)}`, `Experiment ${expId}`);
  setCrumbs(link('', 'Experiments'), expLink);
  const title = h('h1', {}, `Experiment ${expId}`);
  api.getExperiment(expId, ctl.signal).then((r) => {
    title.textContent = r.experiment.name;
    expLink.textContent = r.experiment.name;
    setCrumbs(link('', 'Experiments'), expLink);
  }).catch(() => undefined);

  // ---- toolbar: filter box and column chooser ----
  const filterInput = h('input', { type: 'search', name: 'filter', value: state.filter, autocomplete: 'off',
    spellcheck: 'false', placeholder: 'metrics.loss < 0.5 and params.lr = "0.01"', 'aria-label': 'Filter runs' });
  const filterForm = h('form', { class: 'filter', id: 'run-filter' }, filterInput, h('button', { type: 'submit' }, 'Search'));
  const lifeSelect = h('select', { id: 'run-lifecycle', 'aria-label': 'Show active, deleted or all runs' },
    ...LIFECYCLES.map((l) => h('option', { value: l.value, selected: l.value === state.lifecycle }, l.label)));
  const compareBtn = h('button', { type: 'button', id: 'compare-runs', title: 'Compare the checked runs (2 or more)' }, 'Compare');
  const deleteBtn = h('button', { type: 'button', id: 'delete-runs', class: 'danger-outline' }, 'Delete');
  const restoreBtn = h('button', { type: 'button', id: 'restore-runs' }, 'Restore');
  const clearBtn = h('button', { type: 'button', id: 'clear-selection', class: 'link' }, 'Clear');
  const pickNote = h('span', { class: 'muted', 'aria-live': 'polite' });
  // in the actions row (no layout shift when it shows), right-aligned
  const newRuns = h('button', { type: 'button', id: 'new-runs', class: 'new-runs', hidden: true,
    title: 'Runs were created since the table loaded: reload the table to show them in this order' });
  const actions = h('div', { class: 'run-actions', role: 'group', 'aria-label': 'Checked runs' },
    compareBtn, deleteBtn, restoreBtn, clearBtn, pickNote,
    h('span', { class: 'hint' }, 'In the table: ', h('kbd', {}, '↑'), h('kbd', {}, '↓'), ' move, ', h('kbd', {}, 'Space'),
      ' checks, ', h('kbd', {}, 'Shift'), '+click checks a range, ', h('kbd', {}, 'Enter'), ' opens, ',
      h('kbd', {}, '→'), h('kbd', {}, '←'), ' child runs'), newRuns);
  const colBtn = h('button', { type: 'button', id: 'columns-button', 'aria-expanded': 'false' }, 'Columns');
  const chooser = h('div', { class: 'chooser', id: 'column-chooser', hidden: true });
  const status = h('div', { class: 'status', 'aria-live': 'polite' });
  const errBox = h('div');
  const more = h('button', { type: 'button', class: 'more', hidden: true }, 'Load more');

  // ---- the virtual table ----
  const head = h('div', { class: 'vt-head', role: 'row' });
  const body = h('div', { class: 'vt-body', role: 'rowgroup' });
  const scroller = h('div', { class: 'vt', id: 'runs-table', role: 'grid', tabindex: '0', 'aria-label': 'Runs' }, head, body);
  root.append(h('section', { class: 'page' },
    h('div', { class: 'toolbar' }, title, filterForm, lifeSelect, h('div', { class: 'chooser-wrap' }, colBtn, chooser)),
    actions, errBox, scroller, h('div', { class: 'footer' }, status, more)));

  const columns = (): Col[] => [...FIXED.map((f) => f.col), ...(state.cols || [])];
  const pushUrl = (push: boolean) => {
    const q = new URLSearchParams();
    if (state.filter) q.set('filter', state.filter);
    if (state.sort !== 'a:start_time' || state.dir !== 'desc') {
      q.set('sort', state.sort);
      q.set('dir', state.dir);
    }
    if (state.cols) q.set('cols', state.cols.join(','));
    if (state.lifecycle !== 'active') q.set('lifecycle', state.lifecycle);
    if (picked.size && picked.size <= URL_SEL_MAX) q.set('sel', [...picked].join(','));
    if (widths.size) q.set('w', [...widths].map(([c, px]) => `${c}~${px}`).join('|'));
    setQuery(q, push);
  };
  const viewType = () => LIFECYCLES.find((l) => l.value === state.lifecycle)!.view;

  // ---- checked rows: the header box, the action buttons ----
  const allBox = h('input', { type: 'checkbox', id: 'select-all', 'aria-label': 'Check all loaded runs' });
  const updateActions = () => {
    const n = picked.size;
    compareBtn.textContent = `Compare (${n})`;
    compareBtn.disabled = n < 2 || n > COMPARE_MAX;
    compareBtn.title = n > COMPARE_MAX ? `Compare at most ${COMPARE_MAX} runs at a time` : 'Compare the checked runs (2 or more)';
    deleteBtn.textContent = `Delete (${n})`;
    deleteBtn.disabled = !n;
    deleteBtn.hidden = state.lifecycle === 'deleted';
    restoreBtn.textContent = `Restore (${n})`;
    restoreBtn.disabled = !n;
    restoreBtn.hidden = state.lifecycle === 'active';
    clearBtn.hidden = !n;
    pickNote.textContent = n > URL_SEL_MAX ? `${n} runs checked: too many to keep in the address bar.` : '';
    const loadedPicked = rows.reduce((k, r) => k + Number(picked.has(r.id)), 0);
    allBox.checked = !!rows.length && loadedPicked === rows.length;
    allBox.indeterminate = loadedPicked > 0 && loadedPicked < rows.length;
  };
  const pickChanged = () => {
    pushUrl(false);
    updateActions();
    schedule();
  };
  const toggle = (i: number, range: boolean) => {
    const r = shown[i];
    if (!r) return;
    const on = !picked.has(r.id);
    const [a, b] = range && anchor >= 0 ? [Math.min(anchor, i), Math.max(anchor, i)] : [i, i];
    for (let k = a; k <= b && k < shown.length; k++) {
      if (on) picked.add(shown[k].id);
      else picked.delete(shown[k].id);
    }
    anchor = i;
    pickChanged();
  };
  allBox.addEventListener('change', () => {
    rows.forEach((r) => (allBox.checked ? picked.add(r.id) : picked.delete(r.id)));
    pickChanged();
  });
  clearBtn.addEventListener('click', () => {
    picked.clear();
    pickChanged();
  });
  compareBtn.addEventListener('click', () => {
    if (picked.size >= 2) navigate(`compare?runs=${[...picked].map(encodeURIComponent).join(',')}`);
  });
  lifeSelect.addEventListener('change', () => {
    state.lifecycle = lifeSelect.value;
    pushUrl(true);
    updateActions();
    reload();
  });

  /** Deletes or restores the checked runs (each one that is in the other state, or not loaded). */
  const changeLifecycle = async (del: boolean) => {
    const known = new Map(rows.map((r) => [r.id, r]));
    const ids = [...picked].filter((id) => !known.has(id) || known.get(id)!.deleted !== del);
    if (!ids.length) return;
    const verb = del ? 'Delete' : 'Restore';
    if (!await confirmDialog(`${verb} ${ids.length} run${ids.length === 1 ? '' : 's'}?` +
      (del ? ' Deleted runs can be restored from the Deleted view.' : ''), verb, del) || ctl.signal.aborted) return;
    const failed: string[] = [];
    for (let k = 0; k < ids.length; k += 8) { // a few at a time
      if (ids.length > 8) status.textContent = `${del ? 'Deleting' : 'Restoring'} ${k} of ${ids.length} runs…`;
      await Promise.all(ids.slice(k, k + 8).map((id) => (del ? api.deleteRun(id) : api.restoreRun(id))
        .then(() => picked.delete(id))
        .catch((e) => { failed.push(`${id}: ${e instanceof Error ? e.message : e}`); })));
    }
    if (ctl.signal.aborted) return; // the user has left: this page's URL is not the address bar's any more
    pushUrl(false);
    reload();
    if (failed.length) errBox.replaceChildren(errorBox(`${verb} failed for ${failed.length} run(s):\n${failed.slice(0, 5).join('\n')}`));
  };
  deleteBtn.addEventListener('click', () => void changeLifecycle(true));
  restoreBtn.addEventListener('click', () => void changeLifecycle(false));

  const drawHead = () => {
    colsGen++;
    const cols = columns();
    setWidths(cols);
    head.replaceChildren(h('label', { class: 'pick' }, allBox), ...cols.map((c) => {
      const active = c === state.sort;
      const full = c[0] === 'a' ? colLabel(c) : `${KIND_LABEL[c[0]]} ${colLabel(c)}`;
      const b = h('button', { type: 'button', class: `th${c[0] === 'm' ? ' num' : ''}`, 'data-col': c,
        title: `${full} (click to sort)`, 'aria-label': `Sort by ${full}`,
        'aria-sort': active ? (state.dir === 'asc' ? 'ascending' : 'descending') : undefined },
      c[0] !== 'a' ? h('small', {}, KIND_LABEL[c[0]]) : null, h('span', { class: 'th-name' }, colLabel(c)),
      active ? (state.dir === 'asc' ? ' ▲' : ' ▼') : '');
      const grip = h('span', { class: 'col-resize', 'data-col': c, 'aria-hidden': 'true', title: `Drag to resize ${full}` });
      grip.addEventListener('pointerdown', (ev) => startResize(ev, c, b));
      grip.addEventListener('click', (ev) => ev.stopPropagation()); // not a sort
      b.append(grip);
      b.addEventListener('click', () => {
        if (state.sort === c) state.dir = state.dir === 'asc' ? 'desc' : 'asc';
        else {
          state.sort = c;
          state.dir = c === 'a:run_name' ? 'asc' : 'desc';
        }
        pushUrl(true);
        reload();
      });
      return b;
    }));
  };

  function setWidths(cols: Col[]): void {
    const tracks = cols.map((c) => {
      const px = widths.get(c);
      return px ? `${px}px` : FIXED.find((f) => f.col === c)?.width || 'minmax(7rem, 1fr)';
    });
    scroller.style.setProperty('--cols', [PICK_W, ...tracks].join(' '));
    const fixedPx = cols.reduce((n, c) => n + (widths.get(c) || 0), 0);
    const rem = 22 + 7 * cols.filter((c) => !widths.has(c)).length;
    scroller.style.setProperty('--min-width', `calc(${rem}rem + ${fixedPx}px)`);
  }
  /** Dragging a header's right edge: the column follows the pointer (the rows too, as they share --cols). */
  function startResize(ev: PointerEvent, c: Col, th: HTMLElement): void {
    ev.preventDefault();
    ev.stopPropagation();
    const grip = ev.currentTarget as HTMLElement;
    grip.setPointerCapture(ev.pointerId);
    const x0 = ev.clientX, w0 = th.getBoundingClientRect().width;
    const move = (e: PointerEvent) => {
      widths.set(c, Math.max(MIN_COL_PX, Math.round(w0 + e.clientX - x0)));
      setWidths(columns());
    };
    const up = () => {
      grip.removeEventListener('pointermove', move);
      grip.removeEventListener('pointerup', up);
      grip.removeEventListener('pointercancel', up);
      pushUrl(false);
    };
    grip.addEventListener('pointermove', move);
    grip.addEventListener('pointerup', up);
    grip.addEventListener('pointercancel', up);
  }

  /** Puts a row element at row index i. */
  const placeRow = (a: HTMLElement, i: number) => {
    a.setAttribute('aria-rowindex', String(i + 2)); // the header is row 1
    a.style.transform = `translateY(${i * ROW_H}px)`;
    a.dataset.index = String(i);
    a.classList.toggle('odd', i % 2 === 1);
  };
  let frame = 0;
  // Row elements drawn, by what they show: a row that has not changed keeps its
  // element (a click whose mousedown and mouseup land on different elements is lost).
  let drawn = new Map<string, HTMLElement>();
  const drawnRow = new WeakMap<HTMLElement, Row>();
  let colsGen = 0;
  const drawRows = () => {
    frame = 0;
    const cols = columns();
    body.style.height = `${shown.length * ROW_H}px`;
    const top = Math.max(0, scroller.scrollTop - head.offsetHeight);
    const first = Math.max(0, Math.floor(top / ROW_H) - OVERSCAN);
    const last = Math.min(shown.length, Math.ceil((top + scroller.clientHeight) / ROW_H) + OVERSCAN);
    const next = new Map<string, HTMLElement>();
    const order: (HTMLElement | null)[] = []; // per row in view: its kept element, or null (to build)
    const keys: string[] = [];
    for (let i = first; i < last; i++) {
      const r = shown[i];
      const key = `${colsGen}|${r.id}|${i === selected ? 1 : 0}|${picked.has(r.id) ? 1 : 0}|` +
        `${depth.get(r.id) || 0}|${kidCount.get(r.id) || 0}|${expanded.has(r.id) ? 1 : 0}`;
      const old = drawn.get(key);
      const keep = old && drawnRow.get(old) === r ? old : null;
      if (keep) {
        drawn.delete(key);
        if (keep.dataset.index !== String(i)) placeRow(keep, i); // runs were inserted above it
      }
      order.push(keep);
      keys.push(key);
    }
    drawn.forEach((el) => el.remove()); // first the stale rows, so kept ones never move
    let prev: Element | null = null;
    for (let i = first; i < last; i++) {
      const key = keys[i - first];
      const kept = order[i - first];
      if (kept) {
        next.set(key, kept);
        prev = kept;
        continue;
      }
      const r = shown[i];
      const on = picked.has(r.id);
      const a = link(`runs/${encodeURIComponent(r.id)}`, '', `vt-row${i === selected ? ' selected' : ''}` +
        `${on ? ' checked' : ''}${r.deleted ? ' deleted' : ''}`);
      a.setAttribute('role', 'row');
      a.setAttribute('aria-selected', String(on));
      placeRow(a, i);
      a.dataset.runId = r.id;
      a.tabIndex = -1;
      // not an <input>: interactive content inside a link is invalid; clicks are handled on the body
      a.append(h('span', { class: 'pick', role: 'checkbox', 'aria-checked': String(on), 'aria-label': `Check ${r.name}` },
        h('span', { class: 'box', 'aria-hidden': 'true' }, on ? '✓' : '')));
      for (const c of cols) {
        const t = cellText(r, c);
        const cell = h('span', { class: `td${c[0] === 'm' ? ' num' : ''}${c === 'a:status' ? ` st-${t}` : ''}`, role: 'gridcell', 'data-col': c, title: t });
        if (c === 'a:run_name') nameCell(cell, r, t);
        else cell.textContent = t;
        a.append(cell);
      }
      drawnRow.set(a, r);
      next.set(key, a);
      body.insertBefore(a, prev ? prev.nextSibling : body.firstChild); // DOM order = row order
      prev = a;
    }
    drawn = next;
    if (token && !loading && last > shown.length - OVERSCAN * 4) void loadPage(gen);
    startLive();
  };
  /** The run name, indented by nesting depth, after the expand/collapse toggle of a parent. */
  function nameCell(cell: HTMLElement, r: Row, t: string): void {
    const d = depth.get(r.id) || 0, n = kidCount.get(r.id) || 0;
    if (d) cell.style.paddingLeft = `${8 + d * 18}px`;
    if (n) {
      const open = expanded.has(r.id);
      cell.append(h('span', { class: 'expander', role: 'button', 'aria-expanded': String(open), 'data-run-id': r.id,
        title: `${open ? 'Hide' : 'Show'} ${n} child run${n === 1 ? '' : 's'}`, 'aria-label': `${open ? 'Collapse' : 'Expand'} ${t}` },
      `${open ? '▾' : '▸'} ${n}`), ' ');
    } else if (d) cell.append(h('span', { class: 'child-mark', 'aria-hidden': 'true' }, '└ '));
    cell.append(t);
  }
  const setExpanded = (id: string, open: boolean) => {
    if (open === expanded.has(id)) return;
    if (open) expanded.add(id);
    else expanded.delete(id);
    regroup();
    schedule();
  };
  body.addEventListener('click', (ev) => {
    const exp = (ev.target as Element).closest('.expander') as HTMLElement | null;
    if (exp) {
      ev.preventDefault(); // not the row's link
      setExpanded(exp.dataset.runId || '', !expanded.has(exp.dataset.runId || ''));
      return;
    }
    const box = (ev.target as Element).closest('.pick');
    if (!box) return;
    ev.preventDefault(); // no navigation (the router skips prevented clicks)
    const i = Number((box.parentElement as HTMLElement).dataset.index);
    toggle(i, ev.shiftKey);
  });
  const schedule = () => {
    if (!frame) frame = requestAnimationFrame(drawRows);
  };
  scroller.addEventListener('scroll', schedule, { passive: true });
  const resize = new ResizeObserver(schedule);
  resize.observe(scroller);

  const updateStatus = () => {
    const nested = [...kidCount.values()].reduce((n, k) => n + k, 0);
    status.textContent = `${rows.length} run${rows.length === 1 ? '' : 's'}${token ? ' loaded, more on the server' : ''}` +
      (nested > 0 ? ` (${nested} nested under their parents)` : '') +
      (loading ? ' · loading…' : '');
    more.hidden = !token;
  };

  // ---- live refresh: re-read the rows in view while one of them is RUNNING ----
  let liveTimer = 0, liveBusy = false;
  function startLive(): void {
    if (!liveTimer && !liveBusy && !ctl.signal.aborted && document.visibilityState !== 'hidden' &&
      rows.some((r) => r.status === 'RUNNING'))
      liveTimer = window.setTimeout(liveTick, LIVE_MS);
  }
  async function liveTick(): Promise<void> {
    liveTimer = 0;
    liveBusy = true;
    const g = gen;
    const top = Math.max(0, scroller.scrollTop - head.offsetHeight);
    const first = Math.max(0, Math.floor(top / ROW_H));
    const last = Math.min(shown.length, Math.ceil((top + scroller.clientHeight) / ROW_H));
    const inView = shown.slice(first, last);
    try {
      if (inView.some((r) => r.status === 'RUNNING')) {
        const ids = inView.map((r) => r.id);
        const res = await api.searchRuns({ experiment_ids: [expId], run_view_type: 'ALL', max_results: ids.length,
          filter: `attributes.run_id IN (${ids.map((id) => `'${id.replace(/'/g, '')}'`).join(', ')})` }, ctl.signal);
        if (g !== gen) return;
        const fresh = new Map((res.runs || []).map((r) => [r.info.run_id, toRow(r)]));
        rows = rows.map((r) => fresh.get(r.id) || r);
        regroup();
        for (const row of fresh.values())
          for (const k of ['m', 'p', 't'] as const) for (const key of row[k].keys()) keys[k].add(key);
        schedule();
      }
    } catch {
      // a failed refresh is retried on the next tick (an abort ends the page: startLive checks)
    } finally {
      liveBusy = false;
      startLive();
    }
  }

  // ---- new runs: poll for runs started since the table loaded ----
  // `newest`: the latest start_time seen and the runs seen with it (a poll asks
  // for start_time >= it, so runs started in the same millisecond are not lost)
  let newest: { start: number; ids: Set<string> } | null = null;
  let newTimer = 0, newBusy = false, unseen = 0;
  const defaultOrder = () => state.sort === 'a:start_time' && state.dir === 'desc';
  const noteNewest = (rs: Row[]) => {
    for (const r of rs) {
      const t = Number(r.start);
      if (!Number.isFinite(t) || !newest) continue;
      if (t > newest.start) newest = { start: t, ids: new Set([r.id]) };
      else if (t === newest.start) newest.ids.add(r.id);
    }
  };
  function startNew(ms = NEW_MS): void {
    if (!newTimer && !newBusy && newest && !ctl.signal.aborted && document.visibilityState !== 'hidden')
      newTimer = window.setTimeout(newTick, ms);
  }
  /** Where polls start: the newest run the table's query matched when it loaded. */
  async function setBaseline(g: number, firstPage: Row[]): Promise<void> {
    let seen = firstPage;
    if (!defaultOrder()) { // the first page is not the newest runs: ask for them
      const r = await api.searchRuns({ experiment_ids: [expId], filter: state.filter || undefined,
        order_by: ['attributes.start_time DESC'], max_results: 10, run_view_type: viewType() }, ctl.signal);
      seen = (r.runs || []).map(toRow);
    }
    if (g !== gen) return;
    newest = { start: 0, ids: new Set() };
    noteNewest(seen);
    startNew();
  }
  async function newTick(): Promise<void> {
    newTimer = 0;
    if (!newest) return;
    newBusy = true;
    const g = gen, since = newest;
    try {
      // the user's filter in parentheses: it may hold OR, which binds looser than AND
      const typed = state.filter.trim(), where = `attributes.start_time >= ${since.start}`;
      const found: Row[] = [];
      let pageToken: string | undefined;
      for (let k = 0; k < NEW_PAGES_MAX; k++) {
        const r = await api.searchRuns({ experiment_ids: [expId], filter: typed ? `(${typed}) and ${where}` : where,
          order_by: ['attributes.start_time ASC'], max_results: NEW_PAGE, page_token: pageToken, run_view_type: viewType() },
        ctl.signal);
        if (g !== gen) return;
        found.push(...(r.runs || []).map(toRow).filter((x) => !since.ids.has(x.id)));
        pageToken = r.next_page_token || undefined;
        if (!pageToken) break;
      }
      noteNewest(found);
      if (found.length) addNew(found);
    } catch {
      // retried on the next poll (an abort ends the page: startNew checks)
    } finally {
      newBusy = false;
      startNew();
    }
  }
  /** Runs created since the table loaded: at the top in the default order, else counted for the notice. */
  function addNew(found: Row[]): void {
    const have = new Set(rows.map((r) => r.id));
    const add = found.filter((r) => !have.has(r.id));
    if (!add.length) return;
    if (!defaultOrder()) {
      unseen += add.length;
      newRuns.textContent = `${unseen} new run${unseen === 1 ? '' : 's'} — refresh`;
      newRuns.hidden = false;
      return;
    }
    add.sort((a, b) => Number(b.start) - Number(a.start));
    let newKeys = false;
    for (const row of add)
      for (const k of ['m', 'p', 't'] as const)
        for (const key of row[k].keys())
          if (!keys[k].has(key)) {
            keys[k].add(key);
            newKeys = true;
          }
    if (autoCols && !state.cols?.length && newKeys) { // the table was empty: pick the default columns now
      state.cols = defaultColumns();
      drawHead();
    }
    if (newKeys && !chooser.hidden) drawChooser();
    // Rows move down by add.length; unless the user is at the top (where new
    // runs should show), scroll by as much, so the rows in view stay put.
    const atTop = scroller.scrollTop < ROW_H / 2;
    const before = shown.length;
    rows = add.concat(rows);
    regroup();
    const shift = (shown.length - before) * ROW_H; // new children of collapsed parents add no row
    body.style.height = `${shown.length * ROW_H}px`;
    if (!atTop) scroller.scrollTop += shift;
    if (frame) cancelAnimationFrame(frame);
    drawRows(); // now, before the next paint: nothing flickers
    updateStatus();
    updateActions();
  }
  const defaultColumns = (): Col[] =>
    [...[...keys.m].sort().slice(0, 4).map((k) => `m:${k}`), ...[...keys.p].sort().slice(0, 4).map((k) => `p:${k}`)];
  newRuns.addEventListener('click', () => reload());
  const onVisibility = () => {
    if (document.visibilityState === 'hidden') {
      clearTimeout(newTimer);
      clearTimeout(liveTimer);
      newTimer = liveTimer = 0;
    } else {
      startNew(0); // catch up at once
      startLive();
    }
  };
  document.addEventListener('visibilitychange', onVisibility);

  async function loadPage(g: number): Promise<void> {
    loading = true;
    updateStatus();
    try {
      const r = await api.searchRuns({ experiment_ids: [expId], filter: state.filter || undefined,
        order_by: [orderBy(state.sort, state.dir)], max_results: rows.length ? PAGE : FIRST_PAGE, page_token: token,
        run_view_type: viewType() }, ctl.signal);
      if (g !== gen) return;
      const first = !rows.length;
      let fresh = (r.runs || []).map(toRow);
      if (!first) { // page tokens are offsets: runs created meanwhile push rows already here into this page
        const have = new Set(rows.map((x) => x.id));
        fresh = fresh.filter((x) => !have.has(x.id));
      }
      rows = rows.concat(fresh);
      regroup();
      token = r.next_page_token || undefined;
      let newKeys = false;
      for (const row of fresh)
        for (const k of ['m', 'p', 't'] as const)
          for (const key of row[k].keys())
            if (!keys[k].has(key)) {
              keys[k].add(key);
              newKeys = true;
            }
      if (!state.cols) { // default: a few metrics and params
        state.cols = defaultColumns();
        drawHead();
      }
      if (newKeys && !chooser.hidden) drawChooser();
      errBox.replaceChildren();
      if (first && !newest) setBaseline(g, fresh).catch(() => undefined); // no polls: a reload retries
    } catch (e) {
      if (g !== gen || isAbort(e)) return;
      errBox.replaceChildren(errorBox(e instanceof ApiError ? `${e.code}: ${e.message}` : e));
    } finally {
      if (g === gen) {
        loading = false;
        updateStatus();
        updateActions();
        drawRows();
      }
    }
  }

  function reload(): void {
    gen++;
    clearTimeout(newTimer);
    newTimer = 0;
    newest = null;
    unseen = 0;
    newRuns.hidden = true;
    rows = [];
    regroup();
    token = undefined;
    selected = -1;
    anchor = -1;
    scroller.scrollTop = 0;
    drawHead();
    drawRows();
    void loadPage(gen);
  }

  // ---- column chooser: a filter box over thousands of keys, a bounded list ----
  const chooserFilter = h('input', { type: 'search', placeholder: 'Find a metric, param or tag', 'aria-label': 'Find a column' });
  const chooserList = h('div', { class: 'chooser-list' });
  chooser.append(chooserFilter, chooserList);
  function drawChooser(): void {
    const q = chooserFilter.value.trim().toLowerCase();
    const chosen = new Set(state.cols || []);
    const items: HTMLElement[] = [];
    let total = 0;
    for (const k of ['m', 'p', 't'] as const) {
      const all = [...keys[k]].sort();
      const hits = q ? all.filter((x) => x.toLowerCase().includes(q)) : all;
      total += hits.length;
      if (!hits.length) continue;
      items.push(h('div', { class: 'chooser-kind' }, `${KIND_LABEL[k]}s (${hits.length})`));
      for (const key of hits.slice(0, CHOOSER_LIMIT)) {
        const col = `${k}:${key}`;
        const box = h('input', { type: 'checkbox', 'data-col': col, checked: chosen.has(col) });
        box.addEventListener('change', () => {
          autoCols = false;
          const cur = state.cols || [];
          state.cols = box.checked ? [...cur, col] : cur.filter((c) => c !== col);
          pushUrl(false);
          drawHead();
          drawRows();
        });
        items.push(h('label', {}, box, key));
      }
      if (hits.length > CHOOSER_LIMIT)
        items.push(h('div', { class: 'muted' }, `…and ${hits.length - CHOOSER_LIMIT} more: type to narrow`));
    }
    if (!total) items.push(h('div', { class: 'muted' }, q ? 'No key matches.' : 'No keys in the loaded runs.'));
    chooserList.replaceChildren(...items);
  }
  chooserFilter.addEventListener('input', drawChooser);
  const toggleChooser = (open: boolean) => {
    chooser.hidden = !open;
    colBtn.setAttribute('aria-expanded', String(open));
    if (open) {
      drawChooser();
      chooserFilter.focus();
    }
  };
  colBtn.addEventListener('click', () => toggleChooser(chooser.hidden));
  chooser.addEventListener('keydown', (ev) => {
    if (ev.key === 'Escape') {
      toggleChooser(false);
      colBtn.focus();
    }
  });

  filterForm.addEventListener('submit', (ev) => {
    ev.preventDefault();
    state.filter = filterInput.value.trim();
    pushUrl(true);
    reload();
  });
  more.addEventListener('click', () => {
    if (token && !loading) void loadPage(gen);
  });

  // ---- keyboard: arrows / j k move, Enter opens, Space checks, Home / End jump ----
  scroller.addEventListener('keydown', (ev) => {
    if (ev.key === ' ' && selected >= 0 && shown[selected]) {
      ev.preventDefault();
      toggle(selected, ev.shiftKey);
      return;
    }
    const step: Record<string, number> = { ArrowDown: 1, j: 1, ArrowUp: -1, k: -1, PageDown: 20, PageUp: -20,
      Home: -Infinity, End: Infinity };
    if (ev.key === 'Enter' && selected >= 0 && shown[selected]) {
      navigate(`runs/${encodeURIComponent(shown[selected].id)}`);
      return;
    }
    // → / ← open and close a parent's child runs
    if ((ev.key === 'ArrowRight' || ev.key === 'ArrowLeft') && shown[selected] && kidCount.get(shown[selected].id)) {
      ev.preventDefault();
      setExpanded(shown[selected].id, ev.key === 'ArrowRight');
      return;
    }
    if (!(ev.key in step) || !shown.length) return;
    ev.preventDefault();
    selected = Math.max(0, Math.min(shown.length - 1, (selected < 0 ? -1 : selected) + step[ev.key]));
    const y = selected * ROW_H, view = scroller.clientHeight - head.offsetHeight;
    if (y < scroller.scrollTop) scroller.scrollTop = y;
    else if (y + ROW_H > scroller.scrollTop + view) scroller.scrollTop = y + ROW_H - view;
    drawRows();
  });

  updateActions();
  reload();
  return {
    dispose: () => {
      gen++;
      clearTimeout(liveTimer);
      clearTimeout(newTimer);
      document.removeEventListener('visibilitychange', onVisibility);
      ctl.abort();
      resize.disconnect();
      if (frame) cancelAnimationFrame(frame);
    },
  };
}

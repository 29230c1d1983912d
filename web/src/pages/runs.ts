// runs.ts - an experiment's runs table, the page that wires its components.
// Everything the user chooses lives in the URL (runs_view.ts), so a view can
// be bookmarked. Filtering and sorting are done by the server (runs/search
// with MLflow's filter DSL and order_by, set in runs_filter.ts and by the
// table's header); a small first page, then pages of PAGE runs are fetched
// as the user scrolls. Only the rows in view are in the DOM (runs_table.ts,
// with its keyboard in runs_keyboard.ts), so 10,000 runs cost no more to
// draw than 30. Checked rows can be compared, deleted or restored
// (runs_actions.ts); while a run in view is RUNNING, the rows in view are
// re-read every few seconds (runs_live.ts). Runs created after the table
// loaded are found by a cheap poll (runs_newruns.ts): in the default order
// (newest first) they are inserted at the top without moving the rows in
// view; in any other order a "N new runs" button offers a reload. Neither
// poll runs while the tab is hidden. Nested runs (tag mlflow.parentRunId)
// are grouped under their parents (runs_group.ts), and the columns are
// picked in runs_chooser.ts. This file owns the loading: the page token, the
// generation that drops stale answers, the status line and the error box.

import { api, ApiError, RetentionPolicy, RetentionPreview } from '../api';
import { link, Page, setQuery } from '../router';
import { errorBox, fmtBytes, h, isAbort, setCrumbs } from '../util';
import { runsActions } from './runs_actions';
import { RunKeys, runsChooser } from './runs_chooser';
import { runsFilterBar } from './runs_filter';
import { runsKeyboard } from './runs_keyboard';
import { runsLive } from './runs_live';
import { Row, orderBy, toRow } from './runs_model';
import { runsNewRuns } from './runs_newruns';
import { runsTable } from './runs_table';
import { runsViewDefaultOrder, runsViewFromQuery, runsViewToQuery, runsViewType } from './runs_view';

const FIRST_PAGE = 100; // small, so the first rows show quickly
const PAGE = 1000;

export function runsPage(root: HTMLElement, m: RegExpExecArray, query: URLSearchParams): Page {
  const expId = decodeURIComponent(m[1]);
  const ctl = new AbortController();
  let gen = 0; // bumps on every reload; stale answers are dropped
  const generation = () => gen;
  let token: string | undefined;
  let loading = false;
  const view = runsViewFromQuery(query);
  let autoCols = !view.cols; // the columns are the default pick (not the URL's, not the user's)
  const keys = new RunKeys();

  const expLink = link(`experiments/${encodeURIComponent(expId)}`, `Experiment ${expId}`);
  setCrumbs(link('', 'Experiments'), expLink);
  const title = h('h1', {}, `Experiment ${expId}`);
  const denied = h('div', { id: 'experiment-denied' });
  api.getExperiment(expId, ctl.signal).then((r) => {
    title.textContent = r.experiment.name;
    expLink.textContent = r.experiment.name;
    setCrumbs(link('', 'Experiments'), expLink);
  }).catch((e) => { // not theirs to read (auth on): the search below just finds nothing, so say why
    if (e instanceof ApiError && e.status === 403) denied.replaceChildren(errorBox(e));
  });

  // the retention policy that governs the experiment, read-only (set with `mlflowc retention set`)
  // and, below it, what its next application would do (a dry run on the server)
  const retention = h('p', { class: 'retention', hidden: true });
  const retentionNext = h('p', { class: 'retention-next', hidden: true });
  api.getRetention(expId, ctl.signal).then((r) => {
    if (!r.policy) return;
    retention.textContent = retentionText(r.policy);
    retention.hidden = false;
    return api.getRetentionPreview(expId, ctl.signal).then((p) => {
      retentionNext.textContent = retentionPreviewText(p.preview);
      retentionNext.title = p.preview.soft_delete_run_ids.concat(p.preview.prune_path_uris,
        p.preview.archived_version_names).join('\n');
      retentionNext.hidden = false;
    });
  }).catch(() => undefined);

  const pushUrl = (push: boolean) => setQuery(runsViewToQuery(view), push);
  const status = h('div', { class: 'status', 'aria-live': 'polite' });
  const errBox = h('div');
  const more = h('button', { type: 'button', class: 'more', hidden: true }, 'Load more');

  const filterBar = runsFilterBar(view, () => {
    pushUrl(true);
    reload();
  }, () => {
    pushUrl(true);
    updateActions();
    reload();
  });
  const table = runsTable(view, {
    picked: () => pickChanged(),
    sorted: () => {
      pushUrl(true);
      reload();
    },
    resized: () => pushUrl(false),
    drawn: (nearEnd) => {
      if (token && !loading && nearEnd) void loadPage(gen);
      live.start();
    },
  });
  runsKeyboard(table);
  const chooser = runsChooser(keys, view, () => {
    autoCols = false;
    pushUrl(false);
    table.drawHead();
    table.drawRows();
  });
  const live = runsLive(expId, table, keys, generation, ctl.signal);
  const newRuns = runsNewRuns(expId, view, generation, ctl.signal, (found) => addNew(found), () => reload());
  const actions = runsActions(view, ctl.signal, newRuns.button, {
    rows: () => table.rows,
    cleared: () => pickChanged(),
    progress: (text) => { status.textContent = text; },
    changed: (failure) => {
      pushUrl(false);
      reload();
      if (failure) errBox.replaceChildren(errorBox(failure));
    },
  });
  root.append(h('section', { class: 'page' },
    h('div', { class: 'toolbar' }, title, filterBar.form, filterBar.lifecycle, chooser.wrap),
    retention, retentionNext, denied, actions.bar, errBox, table.scroller, h('div', { class: 'footer' }, status, more)));

  function updateActions(): void {
    actions.update();
    table.updateAllBox();
  }
  function pickChanged(): void {
    pushUrl(false);
    updateActions();
    table.schedule();
  }
  const updateStatus = () => {
    const rows = table.rows, nested = table.nested();
    status.textContent = `${rows.length} run${rows.length === 1 ? '' : 's'}${token ? ' loaded, more on the server' : ''}` +
      (nested > 0 ? ` (${nested} nested under their parents)` : '') +
      (loading ? ' · loading…' : '');
    more.hidden = !token;
  };

  /** Runs created since the table loaded: at the top in the default order, else counted for the notice. */
  function addNew(found: Row[]): void {
    const have = new Set(table.rows.map((r) => r.id));
    const add = found.filter((r) => !have.has(r.id));
    if (!add.length) return;
    if (!runsViewDefaultOrder(view)) {
      newRuns.notice(add.length);
      return;
    }
    add.sort((a, b) => Number(b.start) - Number(a.start));
    const newKeys = keys.add(add);
    if (autoCols && !view.cols?.length && newKeys) { // the table was empty: pick the default columns now
      view.cols = keys.defaultColumns();
      table.drawHead();
    }
    if (newKeys) chooser.refresh();
    table.prepend(add);
    updateStatus();
    updateActions();
  }
  const onVisibility = () => {
    if (document.visibilityState === 'hidden') {
      newRuns.stop();
      live.stop();
    } else {
      newRuns.resume();
      live.start();
    }
  };
  document.addEventListener('visibilitychange', onVisibility);

  async function loadPage(g: number): Promise<void> {
    loading = true;
    updateStatus();
    try {
      const r = await api.searchRuns({ experiment_ids: [expId], filter: view.filter || undefined,
        order_by: [orderBy(view.sort, view.dir)], max_results: table.rows.length ? PAGE : FIRST_PAGE, page_token: token,
        run_view_type: runsViewType(view) }, ctl.signal);
      if (g !== gen) return;
      const first = !table.rows.length;
      let fresh = (r.runs || []).map(toRow);
      if (!first) { // page tokens are offsets: runs created meanwhile push rows already here into this page
        const have = new Set(table.rows.map((x) => x.id));
        fresh = fresh.filter((x) => !have.has(x.id));
      }
      table.setRows(table.rows.concat(fresh));
      token = r.next_page_token || undefined;
      const newKeys = keys.add(fresh);
      if (!view.cols) { // default: a few metrics and params
        view.cols = keys.defaultColumns();
        table.drawHead();
      }
      if (newKeys) chooser.refresh();
      errBox.replaceChildren();
      if (first && !newRuns.armed) newRuns.baseline(g, fresh).catch(() => undefined); // no polls: a reload retries
    } catch (e) {
      if (g !== gen || isAbort(e)) return;
      errBox.replaceChildren(errorBox(e instanceof ApiError && e.status !== 403 ? `${e.code}: ${e.message}` : e));
    } finally {
      if (g === gen) {
        loading = false;
        updateStatus();
        updateActions();
        table.drawRows();
      }
    }
  }

  function reload(): void {
    gen++;
    newRuns.reset();
    table.setRows([]);
    token = undefined;
    table.reset();
    table.drawHead();
    table.drawRows();
    void loadPage(gen);
  }
  more.addEventListener('click', () => {
    if (token && !loading) void loadPage(gen);
  });

  updateActions();
  reload();
  return {
    dispose: () => {
      gen++;
      live.stop();
      newRuns.stop();
      document.removeEventListener('visibilitychange', onVisibility);
      ctl.abort();
      table.dispose();
    },
  };
}

/** One sentence saying what `p` does to the experiment's runs and archived versions. */
export function retentionText(p: RetentionPolicy): string {
  const parts: string[] = [];
  if (p.keep_days !== undefined) {
    const keeps = [p.keep_registered ? 'registered' : '',
      ...(p.keep_tags || []).map((t) => `tagged ${t.key}${t.value !== undefined ? `=${t.value}` : ''}`)].filter(Boolean);
    parts.push(`runs started more than ${p.keep_days} days ago are deleted${keeps.length ? ` unless ${keeps.join(' or ')}` : ''}`);
  }
  if (p.prune !== undefined) parts.push(`artifacts matching ${p.prune} are pruned to the last ${p.keep_last} per run`);
  if (p.archived_versions_days !== undefined) {
    parts.push(`files of versions archived more than ${p.archived_versions_days} days ago are ` +
      (p.archived_action === 'move' ? `moved to ${p.move_to}` +
        (p.move_storage_class ? ` (storage class ${p.move_storage_class})` : '') : 'deleted'));
  }
  return `Retention${p.is_default ? ' (server default)' : ''}: ${parts.join('; ')}.`;
}

/** One sentence saying what the next application of the policy would do (counts and bytes). */
export function retentionPreviewText(p: RetentionPreview): string {
  const plural = (n: number, one: string) => `${n} ${one}${n === 1 ? '' : 's'}`;
  const parts: string[] = [];
  if (p.soft_delete_runs) parts.push(`delete ${plural(p.soft_delete_runs, 'run')} (${fmtBytes(p.soft_delete_bytes)} of artifacts)`);
  if (p.prune_paths) parts.push(`prune ${plural(p.prune_paths, 'artifact path')} (${fmtBytes(p.prune_bytes)})`);
  if (p.archived_versions) {
    parts.push(`remove the files of ${plural(p.archived_versions, 'archived version')} (${fmtBytes(p.archived_bytes)})`);
  }
  const kept = p.kept_runs ? `; ${plural(p.kept_runs, 'old run')} kept` : '';
  const failed = p.failures ? ` (${plural(p.failures, 'location')} could not be checked)` : '';
  return `Next pass: ${parts.length ? `would ${parts.join(', ')}` : 'nothing to do'}${kept}.${failed}`;
}

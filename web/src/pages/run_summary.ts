// run_summary.ts - the run page's summary: the title (name, status badge,
// "deleted" badge, live marker and the actions the page gives it, such as
// "Register model" from run_models.ts), the overview table (id,
// experiment, status, start, duration, user, artifact URI) and the
// parameter and tag tables (system tags folded). It owns the run info last
// read; update() takes a refresh and redraws only what changed.

import { Run, RunInfo } from '../api';
import { link } from '../router';
import { fmtDuration, fmtTime, h } from '../util';
import { byKey } from './run_metrics';
import { NOTE_TAG } from './run_notes';

/** A table of name / value rows with `id`, or the `empty` note when there are none. */
function kvTable(id: string, rows: [string, Node | string][], empty: string): HTMLElement {
  if (!rows.length) return h('p', { class: 'muted', id }, empty);
  return h('table', { class: 'grid kv', id },
    h('tbody', {}, ...rows.map(([k, v]) => h('tr', {}, h('th', { scope: 'row' }, k), h('td', {}, v)))));
}

export interface RunSummary {
  title: HTMLElement;
  overview: HTMLElement;
  params: HTMLElement; // "Parameters (n)" and its table
  tags: HTMLElement; // "Tags (n)", its table and the system tags
  /** The run info last read (the object belongs to the summary). */
  readonly info: RunInfo;
  /** Takes a refresh of the run. */
  update(r: Run): void;
}

/** The summary of `run` in experiment `expName`, `actions` at the title's end; the caller owns the nodes. */
export function runSummary(run: Run, expName: string, actions: Node): RunSummary {
  let info: RunInfo = run.info;
  const runId = info.run_id;

  // ---- header: name, status, live marker ----
  const statusBadge = h('span', { class: `badge st-${info.status}`, id: 'run-status' }, info.status || '');
  const deletedBadge = h('span', { class: 'badge deleted', id: 'run-deleted', hidden: info.lifecycle_stage !== 'deleted',
    title: 'This run is deleted; restore it from the runs table (Deleted view)' }, 'deleted');
  const live = h('span', { class: 'live', id: 'run-live', title: 'This run is RUNNING: the page refreshes itself every 3 s',
    hidden: info.status !== 'RUNNING' }, '● live');
  const title = h('div', { class: 'run-title' }, h('h1', {}, info.run_name || runId), statusBadge, deletedBadge, live, actions);

  // ---- overview ----
  const statusCell = h('span', { class: `st-${info.status}` }, info.status || '');
  const durationCell = h('span', {}, '');
  const showTimes = () => {
    statusCell.className = `st-${info.status}`;
    statusCell.textContent = info.status || '';
    statusBadge.className = `badge st-${info.status}`;
    statusBadge.textContent = info.status || '';
    live.hidden = info.status !== 'RUNNING';
    deletedBadge.hidden = info.lifecycle_stage !== 'deleted';
    durationCell.textContent = fmtDuration(info.start_time, info.end_time) || (info.status === 'RUNNING' ? 'running' : '');
  };
  showTimes();
  const overview = kvTable('overview', [
    ['Run ID', h('code', {}, runId)],
    ['Experiment', link(`experiments/${encodeURIComponent(info.experiment_id)}`, expName)],
    ['Status', statusCell],
    ['Started', fmtTime(info.start_time)],
    ['Duration', durationCell],
    ['User', info.user_id || ''],
    ['Artifact URI', h('code', {}, info.artifact_uri || '')],
  ], '');

  // ---- params and tags (re-drawn when a refresh brings new ones) ----
  const paramsBox = h('div', {});
  const tagsBox = h('div', {});
  let lastParams = '', lastTags = '';
  const showParamsTags = (r: Run) => {
    const params = byKey(r.data.params);
    const tags = byKey(r.data.tags).filter((t) => t.key !== NOTE_TAG);
    const p = JSON.stringify(params), t = JSON.stringify(tags);
    if (p !== lastParams) {
      lastParams = p;
      paramsBox.replaceChildren(h('h2', {}, `Parameters (${params.length})`),
        kvTable('params', params.map((x) => [x.key, x.value]), 'No parameters.'));
    }
    if (t !== lastTags) {
      lastTags = t;
      const userTags = tags.filter((x) => !x.key.startsWith('mlflow.'));
      const sysTags = tags.filter((x) => x.key.startsWith('mlflow.'));
      tagsBox.replaceChildren(h('h2', {}, `Tags (${userTags.length})`),
        kvTable('tags', userTags.map((x) => [x.key, x.value]), 'No tags.'),
        sysTags.length ? h('details', {}, h('summary', {}, `System tags (${sysTags.length})`),
          kvTable('system-tags', sysTags.map((x) => [x.key, x.value]), '')) : '');
    }
  };
  showParamsTags(run);

  return {
    title, overview, params: paramsBox, tags: tagsBox,
    get info() { return info; },
    update: (r: Run) => {
      info = r.info;
      showTimes();
      showParamsTags(r);
    },
  };
}

// run.ts - one run: its description (Markdown in the tag mlflow.note.content,
// editable), overview, parameters, metrics with their latest values, tags,
// the artifact tree with previews (preview.ts) and download links, and a
// uPlot chart of the chosen metrics (?metric=, repeatable; x=, log=1 and
// smooth= as on the compare page; ?artifact= keeps the preview). While the
// run is RUNNING the page re-reads it every few seconds (not while the tab is
// hidden) and updates the metric values, the chart and the artifact tree in
// place. The sections of run_parts.ts add the parent and child runs, the
// dataset inputs and "Register model" for a model directory in the artifacts.

import { api, artifactUrl, FileInfo, Metric, Run, RunInfo } from '../api';
import { link, Page, setQuery } from '../router';
import { errorBox, fmtBytes, fmtDuration, fmtNumber, fmtTime, h, isAbort, setCrumbs } from '../util';
import { ChartOptions, drawChart, parseSmoothing, restyleChart, smoothingControl, XAxis } from '../chart';
import { renderMarkdown } from '../markdown';
import { renderPreview } from '../preview';
import { datasetsSection, findModelDirs, nestedRunsSection, registerButton } from './run_parts';

const NOTE_TAG = 'mlflow.note.content';
const LIVE_MS = 3000;

function kvTable(id: string, rows: [string, Node | string][], empty: string): HTMLElement {
  if (!rows.length) return h('p', { class: 'muted', id }, empty);
  return h('table', { class: 'grid kv', id },
    h('tbody', {}, ...rows.map(([k, v]) => h('tr', {}, h('th', { scope: 'row' }, k), h('td', {}, v)))));
}

interface RunView { nodes: Node[]; update: (run: Run) => void }

export function runPage(root: HTMLElement, m: RegExpExecArray, query: URLSearchParams): Page {
  const runId = decodeURIComponent(m[1]);
  const ctl = new AbortController();
  const disposers: (() => void)[] = [];
  let timer = 0;
  setCrumbs(link('', 'Experiments'), `Run ${runId}`);
  const page = h('section', { class: 'page run' }, h('p', { class: 'status' }, 'Loading…'));
  root.append(page);

  // live refresh: one request in flight at a time, the next one LIVE_MS after it
  // ends; a hidden tab asks nothing until it is shown again
  let onShown: (() => void) | null = null;
  const tick = async (view: RunView) => {
    if (document.visibilityState === 'hidden') {
      onShown = () => {
        if (document.visibilityState === 'hidden') return;
        document.removeEventListener('visibilitychange', onShown!);
        onShown = null;
        void tick(view);
      };
      document.addEventListener('visibilitychange', onShown);
      return;
    }
    try {
      const { run } = await api.getRun(runId, ctl.signal);
      view.update(run);
      if (run.info.status === 'RUNNING') poll(view);
    } catch (e) {
      if (!isAbort(e)) poll(view); // a hiccup: try again later
    }
  };
  const poll = (view: RunView) => {
    timer = window.setTimeout(() => void tick(view), LIVE_MS);
  };

  api.getRun(runId, ctl.signal).then(async ({ run }) => {
    const exp = await api.getExperiment(run.info.experiment_id, ctl.signal).catch(() => null);
    const expName = exp?.experiment.name || `Experiment ${run.info.experiment_id}`;
    const name = run.info.run_name || run.info.run_id;
    setCrumbs(link('', 'Experiments'), link(`experiments/${encodeURIComponent(run.info.experiment_id)}`, expName), name);
    const view = build(run, expName, query, ctl.signal, disposers);
    page.replaceChildren(...view.nodes);
    if (run.info.status === 'RUNNING') poll(view);
  }).catch((e) => {
    if (!isAbort(e)) page.replaceChildren(errorBox(e));
  });
  return {
    dispose: () => {
      ctl.abort();
      clearTimeout(timer);
      if (onShown) document.removeEventListener('visibilitychange', onShown);
      disposers.forEach((d) => d());
    },
  };
}

/** The metric the chart shows first: the first (by key) whose latest step is past 0, so it has a history to draw. */
function defaultMetric(metrics: Metric[]): string {
  return (metrics.find((x) => Number(x.step) > 0) || metrics[0]).key;
}

const byKey = <T extends { key: string }>(xs: T[] | undefined): T[] => [...(xs || [])].sort((a, b) => a.key.localeCompare(b.key));

function build(run: Run, expName: string, query: URLSearchParams, signal: AbortSignal, disposers: (() => void)[]): RunView {
  let info: RunInfo = run.info;
  let metrics = byKey(run.data.metrics);
  const runId = info.run_id;

  // ---- header: name, status, live marker ----
  const statusBadge = h('span', { class: `badge st-${info.status}`, id: 'run-status' }, info.status || '');
  const deletedBadge = h('span', { class: 'badge deleted', id: 'run-deleted', hidden: info.lifecycle_stage !== 'deleted',
    title: 'This run is deleted; restore it from the runs table (Deleted view)' }, 'deleted');
  const live = h('span', { class: 'live', id: 'run-live', title: 'This run is RUNNING: the page refreshes itself every 3 s',
    hidden: info.status !== 'RUNNING' }, '● live');
  const registerSlot = h('span', { class: 'run-title-actions' });
  const title = h('div', { class: 'run-title' }, h('h1', {}, info.run_name || runId), statusBadge, deletedBadge, live, registerSlot);
  // "Register model" once a model directory (one with an MLmodel file) is found in the artifacts
  findModelDirs(run, signal).then((dirs) => {
    const done = h('span', { id: 'register-done', 'aria-live': 'polite' });
    if (dirs.length) registerSlot.replaceChildren(done, registerButton(run, dirs, (name, version) => {
      done.replaceChildren('Registered as ', link(`models/${encodeURIComponent(name)}/versions/${version}`, `${name} version ${version}`));
    }));
  }).catch(() => undefined);

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

  // ---- notes ----
  const notes = notesEditor(runId, run.data.tags?.find((t) => t.key === NOTE_TAG)?.value || '');

  // ---- chart: the chosen metric keys (default: the first one with a history) ----
  const chosen = new Set(query.getAll('metric').filter((k) => metrics.some((x) => x.key === k)));
  if (!chosen.size && metrics.length) chosen.add(defaultMetric(metrics));
  const chartBox = h('div', { class: 'chart', id: 'metric-chart' });
  const xs: [XAxis, string][] = [['step', 'Step'], ['time', 'Time'], ['relative', 'Relative time']];
  const xWanted = query.get('x') as XAxis;
  const xSelect = h('select', { id: 'chart-x', 'aria-label': 'X axis' },
    ...xs.map(([v, label]) => h('option', { value: v, selected: v === xWanted }, label)));
  const logBox = h('input', { type: 'checkbox', id: 'chart-log', checked: query.get('log') === '1' });
  // x axis, log scale and smoothing redraw the fetched points (restyle); the chosen metrics fetch (redraw)
  const smoothing = smoothingControl('chart-smooth', parseSmoothing(query.get('smooth')), () => restyle());
  const chartControls = h('div', { class: 'chart-controls' }, h('label', {}, 'X axis ', xSelect),
    h('label', {}, logBox, ' log scale'), smoothing.node);
  const chartArea = h('div', {}, chartControls, chartBox);
  const chartOpts = (): ChartOptions => ({ x: xSelect.value as XAxis, log: logBox.checked,
    runStart: Number(info.start_time) || 0, smoothing: Number(smoothing.input.value) });
  const saveChoices = () => {
    const q = new URLSearchParams(location.search);
    q.delete('metric');
    chosen.forEach((k) => q.append('metric', k));
    if (xSelect.value !== 'step') q.set('x', xSelect.value);
    else q.delete('x');
    if (logBox.checked) q.set('log', '1');
    else q.delete('log');
    if (Number(smoothing.input.value) > 0) q.set('smooth', smoothing.input.value);
    else q.delete('smooth');
    setQuery(q);
  };
  // 'user': a choice, written to the URL; 'load': the first draw (the default needs no URL); 'live': new points
  const redraw = (why: 'user' | 'load' | 'live' = 'user') => {
    if (why === 'user') saveChoices();
    // a live redraw keeps the box's height while the new points load: no jump
    if (why === 'live' && chartBox.offsetHeight) chartBox.style.minHeight = `${chartBox.offsetHeight}px`;
    void drawChart(chartBox, runId, [...chosen], chartOpts(), signal, disposers)
      .finally(() => { chartBox.style.minHeight = ''; });
  };
  let restyleFrame = 0; // slider input comes faster than frames
  const restyle = () => {
    saveChoices();
    if (restyleFrame) return;
    restyleFrame = requestAnimationFrame(() => {
      restyleFrame = 0;
      if (!restyleChart(chartBox, chartOpts())) redraw('load');
    });
  };
  disposers.push(() => cancelAnimationFrame(restyleFrame));
  xSelect.addEventListener('change', restyle);
  logBox.addEventListener('change', restyle);

  // ---- metric table: rows keyed by metric, updated in place by a refresh ----
  const metricsHead = h('h2', {}, '');
  const metricFilter = h('input', { type: 'search', placeholder: '', 'aria-label': 'Filter metrics', id: 'metric-filter' });
  const tableBox = h('div', { class: 'scroll-box' });
  const rowOf = new Map<string, { tr: HTMLElement; cells: HTMLElement[] }>();
  const filterRows = () => {
    const q = metricFilter.value.trim().toLowerCase();
    rowOf.forEach(({ tr }, key) => { tr.hidden = !!q && !key.toLowerCase().includes(q); });
  };
  metricFilter.addEventListener('input', filterRows);
  const metricCells = (x: Metric) => [fmtNumber(x.value), String(x.step ?? ''), fmtTime(x.timestamp)];
  const drawMetricTable = () => {
    rowOf.clear();
    metricsHead.textContent = `Metrics (${metrics.length})`;
    metricFilter.placeholder = `Filter ${metrics.length} metrics`;
    metricFilter.hidden = metrics.length <= 10;
    chartArea.hidden = !metrics.length;
    const trs = metrics.map((x) => {
      const box = h('input', { type: 'checkbox', 'data-metric': x.key, checked: chosen.has(x.key), 'aria-label': `Chart ${x.key}` });
      box.addEventListener('change', () => {
        if (box.checked) chosen.add(x.key);
        else chosen.delete(x.key);
        redraw();
      });
      const [v, s, t] = metricCells(x);
      const cells = [h('td', { class: 'num latest' }, v), h('td', { class: 'num' }, s), h('td', {}, t)];
      const tr = h('tr', { 'data-key': x.key }, h('td', {}, box), h('th', { scope: 'row' }, x.key), ...cells);
      rowOf.set(x.key, { tr, cells });
      return tr;
    });
    tableBox.replaceChildren(metrics.length
      ? h('table', { class: 'grid', id: 'metrics' }, h('thead', {}, h('tr', {}, h('th', {}, 'Chart'), h('th', {}, 'Metric'),
        h('th', { class: 'num' }, 'Latest'), h('th', { class: 'num' }, 'Step'), h('th', {}, 'Logged'))), h('tbody', {}, ...trs))
      : h('p', { class: 'muted', id: 'metrics' }, 'No metrics.'));
    filterRows();
  };
  drawMetricTable();

  const artifacts = artifactBrowser(runId, query.get('artifact') || '', signal);
  if (metrics.length) redraw('load');

  // ---- live refresh: what changed since the last read ----
  let chartStale = false; // new points wait while the user is zoomed into the chart
  const update = (r: Run) => {
    info = r.info;
    showTimes();
    showParamsTags(r);
    notes.external(r.data.tags?.find((t) => t.key === NOTE_TAG)?.value || '');
    const fresh = byKey(r.data.metrics);
    const sameKeys = fresh.length === metrics.length && fresh.every((x, k) => x.key === metrics[k].key);
    const changed = new Set(fresh.filter((x, k) => !sameKeys || x.step !== metrics[k].step || x.timestamp !== metrics[k].timestamp ||
      x.value !== metrics[k].value).map((x) => x.key));
    const hadNone = !metrics.length;
    metrics = fresh;
    if (!sameKeys) drawMetricTable();
    else {
      for (const x of fresh) {
        if (!changed.has(x.key)) continue;
        const row = rowOf.get(x.key)!;
        metricCells(x).forEach((text, k) => { row.cells[k].textContent = text; });
      }
    }
    if (hadNone && metrics.length && !chosen.size) {
      chosen.add(defaultMetric(metrics));
      drawMetricTable();
    }
    if ([...chosen].some((k) => changed.has(k))) chartStale = true;
    if (chartStale && !/^zoom/.test(chartBox.dataset.state || '')) {
      chartStale = false;
      redraw('live');
    }
    void artifacts.refresh();
  };

  return {
    nodes: [
      title,
      nestedRunsSection(run, signal),
      notes.node,
      h('div', { class: 'cols' },
        h('div', {}, h('h2', {}, 'Overview'), overview, paramsBox, datasetsSection(run), tagsBox),
        h('div', {}, metricsHead, chartArea, metricFilter, tableBox)),
      h('h2', {}, 'Artifacts'), artifacts.node,
    ],
    update,
  };
}

// ---- the description: Markdown, rendered safely, editable ----
function notesEditor(runId: string, initial: string): { node: HTMLElement; external: (text: string) => void } {
  let text = initial;
  const shown = h('div', { class: 'markdown', id: 'run-notes' });
  const edit = h('button', { type: 'button', id: 'notes-edit' }, 'Edit');
  const area = h('textarea', { id: 'notes-editor', rows: 8, 'aria-label': 'Description (Markdown)', spellcheck: 'true' });
  const save = h('button', { type: 'submit', class: 'primary' }, 'Save');
  const cancel = h('button', { type: 'button' }, 'Cancel');
  const msg = h('div', {});
  const form = h('form', { class: 'notes-form', id: 'notes-form', hidden: true }, area,
    h('div', { class: 'notes-buttons' }, save, cancel, h('span', { class: 'muted' }, 'Markdown · Ctrl+Enter saves · Esc cancels')), msg);
  const show = () => {
    shown.replaceChildren(text.trim() ? renderMarkdown(text, 2) : h('p', { class: 'muted' }, 'No description.'));
  };
  const open = (on: boolean) => {
    form.hidden = !on;
    shown.hidden = on;
    edit.hidden = on;
    msg.replaceChildren();
    if (on) {
      area.value = text;
      area.focus();
    } else edit.focus();
  };
  edit.addEventListener('click', () => open(true));
  cancel.addEventListener('click', () => open(false));
  area.addEventListener('keydown', (ev) => {
    if (ev.key === 'Escape') {
      ev.preventDefault();
      open(false);
    } else if (ev.key === 'Enter' && (ev.ctrlKey || ev.metaKey)) {
      ev.preventDefault();
      form.requestSubmit();
    }
  });
  form.addEventListener('submit', async (ev) => {
    ev.preventDefault();
    save.disabled = true;
    try {
      await api.setRunTag(runId, NOTE_TAG, area.value);
      text = area.value;
      show();
      open(false);
    } catch (e) {
      msg.replaceChildren(errorBox(e));
    } finally {
      save.disabled = false;
    }
  });
  show();
  return {
    node: h('section', { class: 'notes' }, h('div', { class: 'notes-head' }, h('h2', {}, 'Description'), edit), shown, form),
    // a refresh of a running run: take someone else's edit unless ours is open
    external: (t: string) => {
      if (t !== text && form.hidden) {
        text = t;
        show();
      }
    },
  };
}

// ---- artifacts: a lazily expanded tree and a preview pane ----

/** Makes `parent`'s children exactly `nodes`, in order, moving only those out of place (open folders, focus stay). */
function syncChildren(parent: HTMLElement, nodes: HTMLElement[]): void {
  nodes.forEach((n, i) => {
    const at = parent.children[i] || null;
    if (at !== n) parent.insertBefore(n, at);
  });
  while (parent.children.length > nodes.length) parent.lastElementChild!.remove();
}

/** A listed folder of the tree: its entries by path, each open sub-folder's own Folder. */
interface Entry { li: HTMLElement; dir: boolean; size: HTMLElement | null; open: () => Folder | null }
interface Folder { ul: HTMLElement; path: string; entries: Map<string, Entry> }

/**
 * The artifact tree (folders listed when opened) and a preview pane. refresh()
 * re-lists the root and every open folder and merges what it finds: new
 * files appear, gone ones leave, sizes update; open folders and the chosen
 * file stay (the run page calls it while the run is RUNNING).
 */
function artifactBrowser(runId: string, initial: string, signal: AbortSignal): { node: HTMLElement; refresh: () => Promise<void> } {
  const tree = h('ul', { class: 'tree', id: 'artifact-tree' });
  const preview = h('div', { class: 'preview', id: 'artifact-preview', 'aria-live': 'polite' },
    h('p', { class: 'muted' }, 'Choose a file to preview it.'));

  let wanted = initial; // the ?artifact= to open, until a file is shown
  const showFile = (f: FileInfo, btn: HTMLElement) => {
    wanted = '';
    const q = new URLSearchParams(location.search);
    q.set('artifact', f.path);
    setQuery(q);
    tree.querySelectorAll('.current').forEach((x) => x.classList.remove('current'));
    btn.classList.add('current'); // (a deep link's button is not in the tree yet)
    void renderPreview(preview, { path: f.path, size: f.file_size, url: artifactUrl(runId, f.path) }, signal);
  };

  const entryOf = (f: FileInfo): Entry => {
    const label = f.path.split('/').pop() || f.path;
    const size = f.is_dir ? null : h('small', {}, ` ${fmtBytes(f.file_size)}`);
    const btn = h('button', { type: 'button', class: f.is_dir ? 'dir' : 'file', 'data-path': f.path },
      f.is_dir ? `▸ ${label}/` : label, size);
    const li = h('li', {}, h('div', { class: 'tree-item' }, btn, f.is_dir ? null
      : h('a', { href: artifactUrl(runId, f.path), download: label, class: 'dl', title: `Download ${label}`,
        'aria-label': `Download ${f.path}` }, '⤓')));
    let sub: Folder | null = null;
    if (f.is_dir) {
      btn.setAttribute('aria-expanded', 'false');
      btn.addEventListener('click', () => {
        if (sub) {
          sub.ul.remove();
          sub = null;
          btn.firstChild!.textContent = `▸ ${label}/`;
          btn.setAttribute('aria-expanded', 'false');
          return;
        }
        sub = { ul: h('ul', {}), path: f.path, entries: new Map() };
        li.append(sub.ul);
        btn.firstChild!.textContent = `▾ ${label}/`;
        btn.setAttribute('aria-expanded', 'true');
        void list(sub);
      });
      if (wanted.startsWith(`${f.path}/`)) btn.click();
    } else {
      btn.addEventListener('click', () => showFile(f, btn));
      if (wanted === f.path) showFile(f, btn);
    }
    return { li, dir: !!f.is_dir, size, open: () => sub };
  };

  /** Lists `folder` and merges the answer into what it shows. */
  const list = async (folder: Folder, quiet = false): Promise<void> => {
    try {
      const r = await api.listArtifacts(runId, folder.path, signal);
      if (!folder.ul.isConnected && folder.path) return; // closed meanwhile
      const files = (r.files || []).sort((a, b) => Number(!!b.is_dir) - Number(!!a.is_dir) || a.path.localeCompare(b.path));
      const next = new Map<string, Entry>();
      for (const f of files) {
        let e = folder.entries.get(f.path);
        if (!e || e.dir !== !!f.is_dir) e = entryOf(f);
        else if (e.size) e.size.textContent = ` ${fmtBytes(f.file_size)}`;
        next.set(f.path, e);
      }
      folder.entries = next;
      syncChildren(folder.ul, files.length ? [...next.values()].map((e) => e.li)
        : [folder.ul.querySelector<HTMLElement>(':scope > li.empty') ||
          h('li', { class: 'muted empty' }, folder.path ? 'Empty folder.' : 'No artifacts.')]);
    } catch (e) {
      // a failed refresh keeps what is shown; the next one retries
      if (!isAbort(e) && !quiet) folder.ul.replaceChildren(h('li', {}, errorBox(e)));
    }
  };
  const root: Folder = { ul: tree, path: '', entries: new Map() };
  void list(root);

  let busy = false;
  const refresh = async () => {
    if (busy) return;
    busy = true;
    try {
      const open: Folder[] = [];
      const walk = (f: Folder) => {
        open.push(f);
        f.entries.forEach((e) => { const s = e.open(); if (s) walk(s); });
      };
      walk(root);
      await Promise.all(open.map((f) => list(f, true)));
    } finally {
      busy = false;
    }
  };
  return { node: h('div', { class: 'artifacts' }, tree, preview), refresh };
}

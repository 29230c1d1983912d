// run.ts - one run: overview, parameters, metrics with their latest values,
// tags, the artifact tree with a text/JSON/image preview, and a uPlot chart
// of the chosen metrics (?metric=, repeatable; ?artifact= keeps the preview).

import { api, artifactUrl, FileInfo, Run } from '../api';
import { link, Page, setQuery } from '../router';
import { errorBox, fmtBytes, fmtDuration, fmtNumber, fmtTime, h, isAbort, setCrumbs } from '../util';
import { drawChart, XAxis } from '../chart';

const TEXT_EXT = /\.(txt|log|json|ya?ml|md|csv|tsv|py|sh|cfg|ini|toml|xml|html?|js|ts|r|sql|conf|env)$|(^|\/)(MLmodel|MLproject|Dockerfile|[^./]+)$/i;
const IMAGE_EXT = /\.(png|jpe?g|gif|svg|webp|bmp)$/i;
const PREVIEW_MAX = 1024 * 1024;

function kvTable(id: string, rows: [string, Node | string][], empty: string): HTMLElement {
  if (!rows.length) return h('p', { class: 'muted', id }, empty);
  return h('table', { class: 'grid kv', id },
    h('tbody', {}, ...rows.map(([k, v]) => h('tr', {}, h('th', { scope: 'row' }, k), h('td', {}, v)))));
}

export function runPage(root: HTMLElement, m: RegExpExecArray, query: URLSearchParams): Page {
  const runId = decodeURIComponent(m[1]);
  const ctl = new AbortController();
  const disposers: (() => void)[] = [];
  setCrumbs(link('', 'Experiments'), `Run ${runId}`);
  const page = h('section', { class: 'page run' }, h('p', { class: 'status' }, 'Loading…'));
  root.append(page);

  api.getRun(runId, ctl.signal).then(async ({ run }) => {
    const exp = await api.getExperiment(run.info.experiment_id, ctl.signal).catch(() => null);
    const expName = exp?.experiment.name || `Experiment ${run.info.experiment_id}`;
    const name = run.info.run_name || run.info.run_id;
    setCrumbs(link('', 'Experiments'), link(`experiments/${encodeURIComponent(run.info.experiment_id)}`, expName), name);
    page.replaceChildren(...build(run, expName, query, ctl.signal, disposers));
  }).catch((e) => {
    if (!isAbort(e)) page.replaceChildren(errorBox(e));
  });
  return { dispose: () => { ctl.abort(); disposers.forEach((d) => d()); } };
}

function build(run: Run, expName: string, query: URLSearchParams, signal: AbortSignal, disposers: (() => void)[]): Node[] {
  const i = run.info;
  const params = [...(run.data.params || [])].sort((a, b) => a.key.localeCompare(b.key));
  const metrics = [...(run.data.metrics || [])].sort((a, b) => a.key.localeCompare(b.key));
  const tags = [...(run.data.tags || [])].sort((a, b) => a.key.localeCompare(b.key));
  const userTags = tags.filter((t) => !t.key.startsWith('mlflow.'));
  const sysTags = tags.filter((t) => t.key.startsWith('mlflow.'));

  const overview = kvTable('overview', [
    ['Run ID', h('code', {}, i.run_id)],
    ['Experiment', link(`experiments/${encodeURIComponent(i.experiment_id)}`, expName)],
    ['Status', h('span', { class: `st-${i.status}` }, i.status || '')],
    ['Started', fmtTime(i.start_time)],
    ['Duration', fmtDuration(i.start_time, i.end_time) || (i.status === 'RUNNING' ? 'running' : '')],
    ['User', i.user_id || ''],
    ['Artifact URI', h('code', {}, i.artifact_uri || '')],
  ], '');

  // ---- chart: the chosen metric keys (default: the first) ----
  const chosen = new Set(query.getAll('metric').filter((k) => metrics.some((x) => x.key === k)));
  if (!chosen.size && metrics.length) chosen.add(metrics[0].key);
  const chartBox = h('div', { class: 'chart', id: 'metric-chart' });
  const xs: [XAxis, string][] = [['step', 'Step'], ['time', 'Time'], ['relative', 'Relative time']];
  const xWanted = query.get('x') as XAxis;
  const xSelect = h('select', { id: 'chart-x', 'aria-label': 'X axis' },
    ...xs.map(([v, label]) => h('option', { value: v, selected: v === xWanted }, label)));
  const logBox = h('input', { type: 'checkbox', id: 'chart-log', checked: query.get('log') === '1' });
  const chartControls = h('div', { class: 'chart-controls' }, h('label', {}, 'X axis ', xSelect),
    h('label', {}, logBox, ' log scale'));
  const redraw = () => {
    const q = new URLSearchParams(location.search);
    q.delete('metric');
    chosen.forEach((k) => q.append('metric', k));
    if (xSelect.value !== 'step') q.set('x', xSelect.value);
    else q.delete('x');
    if (logBox.checked) q.set('log', '1');
    else q.delete('log');
    setQuery(q);
    void drawChart(chartBox, i.run_id, [...chosen],
      { x: xSelect.value as XAxis, log: logBox.checked, runStart: Number(i.start_time) || 0 }, signal, disposers);
  };
  xSelect.addEventListener('change', redraw);
  logBox.addEventListener('change', redraw);

  const metricRows = metrics.map((x) => {
    const box = h('input', { type: 'checkbox', 'data-metric': x.key, checked: chosen.has(x.key), 'aria-label': `Chart ${x.key}` });
    box.addEventListener('change', () => {
      if (box.checked) chosen.add(x.key);
      else chosen.delete(x.key);
      redraw();
    });
    return h('tr', {}, h('td', {}, box), h('th', { scope: 'row' }, x.key), h('td', { class: 'num' }, fmtNumber(x.value)),
      h('td', { class: 'num' }, String(x.step ?? '')), h('td', {}, fmtTime(x.timestamp)));
  });
  const metricTable = metrics.length
    ? h('table', { class: 'grid', id: 'metrics' }, h('thead', {}, h('tr', {}, h('th', {}, 'Chart'), h('th', {}, 'Metric'),
      h('th', { class: 'num' }, 'Latest'), h('th', { class: 'num' }, 'Step'), h('th', {}, 'Logged'))), h('tbody', {}, ...metricRows))
    : h('p', { class: 'muted', id: 'metrics' }, 'No metrics.');

  // thousands of metric keys: a filter box over the rows (case-insensitive substring)
  const metricFilter = h('input', { type: 'search', placeholder: `Filter ${metrics.length} metrics`, 'aria-label': 'Filter metrics',
    id: 'metric-filter' });
  metricFilter.addEventListener('input', () => {
    const q = metricFilter.value.trim().toLowerCase();
    metricRows.forEach((tr, k) => { tr.hidden = !!q && !metrics[k].key.toLowerCase().includes(q); });
  });

  const artifacts = artifactBrowser(i.run_id, query.get('artifact') || '', signal);
  if (metrics.length) redraw();

  return [
    h('h1', {}, i.run_name || i.run_id),
    h('div', { class: 'cols' },
      h('div', {}, h('h2', {}, 'Overview'), overview,
        h('h2', {}, `Parameters (${params.length})`), kvTable('params', params.map((p) => [p.key, p.value]), 'No parameters.'),
        h('h2', {}, `Tags (${userTags.length})`), kvTable('tags', userTags.map((t) => [t.key, t.value]), 'No tags.'),
        sysTags.length ? h('details', {}, h('summary', {}, `System tags (${sysTags.length})`),
          kvTable('system-tags', sysTags.map((t) => [t.key, t.value]), '')) : null),
      h('div', {}, h('h2', {}, `Metrics (${metrics.length})`), metrics.length ? chartControls : null, metrics.length ? chartBox : null,
        metrics.length > 10 ? metricFilter : null,
        h('div', { class: 'scroll-box' }, metricTable))),
    h('h2', {}, 'Artifacts'), artifacts,
  ];
}

// ---- artifacts: a lazily expanded tree and a preview pane ----
function artifactBrowser(runId: string, initial: string, signal: AbortSignal): HTMLElement {
  const tree = h('ul', { class: 'tree', id: 'artifact-tree' });
  const preview = h('div', { class: 'preview', id: 'artifact-preview', 'aria-live': 'polite' },
    h('p', { class: 'muted' }, 'Choose a file to preview it.'));

  const showFile = async (f: FileInfo) => {
    const q = new URLSearchParams(location.search);
    q.set('artifact', f.path);
    setQuery(q);
    tree.querySelectorAll('.current').forEach((x) => x.classList.remove('current'));
    tree.querySelector(`[data-path="${CSS.escape(f.path)}"]`)?.classList.add('current');
    const url = artifactUrl(runId, f.path);
    const headLine = h('div', { class: 'preview-head' }, h('strong', {}, f.path), ` ${fmtBytes(f.file_size)} `,
      h('a', { href: url, download: f.path.split('/').pop() || 'artifact' }, 'Download'));
    if (IMAGE_EXT.test(f.path)) {
      preview.replaceChildren(headLine, h('img', { src: url, alt: f.path }));
      return;
    }
    if (!TEXT_EXT.test(f.path) || Number(f.file_size) > PREVIEW_MAX) {
      preview.replaceChildren(headLine, h('p', { class: 'muted' }, 'No preview for this file.'));
      return;
    }
    preview.replaceChildren(headLine, h('p', { class: 'muted' }, 'Loading…'));
    try {
      const res = await fetch(url, { signal });
      if (!res.ok) throw new Error(`HTTP ${res.status}: ${await res.text()}`);
      let text = await res.text();
      if (/\.json$/i.test(f.path)) {
        try {
          text = JSON.stringify(JSON.parse(text), null, 2);
        } catch { /* show as is */ }
      }
      preview.replaceChildren(headLine, h('pre', { class: 'text' }, text));
    } catch (e) {
      if (!isAbort(e)) preview.replaceChildren(headLine, errorBox(e));
    }
  };

  const listInto = async (ul: HTMLElement, path: string) => {
    try {
      const r = await api.listArtifacts(runId, path, signal);
      const files = (r.files || []).sort((a, b) => Number(!!b.is_dir) - Number(!!a.is_dir) || a.path.localeCompare(b.path));
      if (!files.length) {
        ul.replaceChildren(h('li', { class: 'muted' }, path ? 'Empty folder.' : 'No artifacts.'));
        return;
      }
      ul.replaceChildren(...files.map((f) => {
        const label = f.path.split('/').pop() || f.path;
        const btn = h('button', { type: 'button', class: f.is_dir ? 'dir' : 'file', 'data-path': f.path },
          f.is_dir ? `▸ ${label}/` : label, f.is_dir ? '' : h('small', {}, ` ${fmtBytes(f.file_size)}`));
        const li = h('li', {}, btn);
        if (f.is_dir) {
          let sub: HTMLElement | null = null;
          btn.addEventListener('click', () => {
            if (sub) {
              sub.remove();
              sub = null;
              btn.firstChild!.textContent = `▸ ${label}/`;
              return;
            }
            sub = h('ul', {});
            li.append(sub);
            btn.firstChild!.textContent = `▾ ${label}/`;
            void listInto(sub, f.path);
          });
          if (initial.startsWith(`${f.path}/`)) btn.click();
        } else {
          btn.addEventListener('click', () => void showFile(f));
          if (initial === f.path) void showFile(f);
        }
        return li;
      }));
    } catch (e) {
      if (!isAbort(e)) ul.replaceChildren(h('li', {}, errorBox(e)));
    }
  };
  void listInto(tree, '');
  return h('div', { class: 'artifacts' }, tree, preview);
}

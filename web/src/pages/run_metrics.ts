// run_metrics.ts - the run page's metrics: the table of latest values
// (value, step, time; a filter box past 10 metrics; a checkbox per metric
// choosing it for the chart) and the uPlot chart of the chosen metrics
// (chart.ts) with its x axis, log scale and smoothing. ?metric= (repeatable),
// ?x=, ?log=1 and ?smooth= keep the choices. It owns the metrics last read
// and the chosen keys; update() takes a refresh's metrics and changes only
// what changed, redrawing the chart unless the user is zoomed into it.

import { Metric } from '../api';
import { setQuery } from '../router';
import { fmtNumber, fmtTime, h } from '../util';
import { ChartOptions, drawChart, parseSmoothing, restyleChart, smoothingControl, XAxis } from '../chart';

/** A new array of `xs` sorted by key. */
export const byKey = <T extends { key: string }>(xs: T[] | undefined): T[] => [...(xs || [])].sort((a, b) => a.key.localeCompare(b.key));

/** The metric the chart shows first: the first (by key) whose latest step is past 0, so it has a history to draw. */
function defaultMetric(metrics: Metric[]): string {
  return (metrics.find((x) => Number(x.step) > 0) || metrics[0]).key;
}

export interface RunMetrics {
  head: HTMLElement; // "Metrics (n)"
  chartArea: HTMLElement; // the chart and its controls
  filter: HTMLElement; // the filter box
  table: HTMLElement; // the metric table
  /** Takes the run's latest metrics from a refresh. */
  update(latest: Metric[] | undefined): void;
}

/**
 * The metrics of run `runId` (`initial`: its latest values; `runStart()`: its
 * start time, for the relative x axis), choices read from `query`; the chart
 * is drawn at once. Its disposers go to `disposers`; the caller owns the nodes.
 */
export function runMetrics(runId: string, initial: Metric[] | undefined, runStart: () => number, query: URLSearchParams,
  signal: AbortSignal, disposers: (() => void)[]): RunMetrics {
  let metrics = byKey(initial);

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
    runStart: runStart(), smoothing: Number(smoothing.input.value) });
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
  if (metrics.length) redraw('load');

  let chartStale = false; // new points wait while the user is zoomed into the chart
  const update = (latest: Metric[] | undefined) => {
    const fresh = byKey(latest);
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
  };
  return { head: metricsHead, chartArea, filter: metricFilter, table: tableBox, update };
}

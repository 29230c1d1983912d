// compare.ts - runs side by side: compare?runs=<id1>,<id2>,... (the runs
// table's "Compare" button links here). Shows the runs' overview, their
// parameters (rows whose values differ are highlighted; "only differences"
// hides the rest), their latest metrics (the best value of each row
// highlighted), charts of chosen metrics across all the runs (chart.ts), a
// scatter plot of one param/metric against another, and parallel
// coordinates over chosen params/metrics. Every choice is in the URL:
// ?metric= (repeatable), x=, log=1, smooth=, raw=0, diff=1, sx=, sy=,
// pc= (repeatable), so a comparison can be bookmarked.

import uPlot from 'uplot';
import { api, Run } from '../api';
import { link, navigate, Page, setQuery } from '../router';
import { errorBox, fmtDuration, fmtNumber, fmtTime, h, isAbort, setCrumbs } from '../util';
import {
  ChartOptions, ChartRun, MetricChart, parseSmoothing, prefetchHistories, seriesColor, smoothingControl, tickLabels, XAxis,
} from '../chart';

const MAX_RUNS = 100;
const PC_DEFAULT_AXES = 6;
const PC_CHAR_PX = 7.2; // about the width of a character of the 12px axis names
const PC_TICK_PX = 14; // the least distance between two tick labels of an axis
const PC_TICK_CHARS = 14; // tick labels longer than this are cut
const PC_TICK_CHAR_PX = 6.6; // about the width of a character of the 11px tick labels
const SVG_NS = 'http://www.w3.org/2000/svg';
// metrics where a smaller value is better; every other metric: larger is better
const LOWER_IS_BETTER = /loss|err|mse|mae|rmse|mape|perplexity|latency|time|duration|cost|regret|distance/i;

/** A compared run with its colour (the same in every chart) and latest metrics/params by key. */
interface Col {
  run: Run; id: string; name: string; color: string;
  params: Map<string, string>; metrics: Map<string, number | string>;
}
/** A field: "p:<param>" or "m:<metric>". */
type Field = string;

const fieldKind = (f: Field) => f.slice(0, 2);
const fieldKey = (f: Field) => f.slice(2);
const fieldLabel = (f: Field) => `${fieldKind(f) === 'p:' ? 'param' : 'metric'} ${fieldKey(f)}`;

function rawValue(c: Col, f: Field): string | number | undefined {
  return fieldKind(f) === 'p:' ? c.params.get(fieldKey(f)) : c.metrics.get(fieldKey(f));
}

function asNumber(v: string | number | undefined): number | null {
  if (v === undefined) return null;
  if (typeof v === 'number') return Number.isFinite(v) ? v : null;
  if (!v.trim()) return null;
  const n = Number(v);
  return Number.isFinite(n) ? n : null;
}

/**
 * How a field is placed on an axis: numbers as they are, or (when some value
 * is not a number) the sorted distinct values as categories 0, 1, 2, ...
 */
interface Axis { field: Field; cats: string[] | null; pos: (c: Col) => number | null }
function axisOf(cols: Col[], f: Field): Axis {
  const vals = cols.map((c) => rawValue(c, f)).filter((v) => v !== undefined) as (string | number)[];
  if (vals.every((v) => asNumber(v) !== null)) return { field: f, cats: null, pos: (c) => asNumber(rawValue(c, f)) };
  const cats = [...new Set(vals.map(String))].sort((a, b) => a.localeCompare(b, undefined, { numeric: true }));
  return { field: f, cats, pos: (c) => { const v = rawValue(c, f); return v === undefined ? null : cats.indexOf(String(v)); } };
}

/** A colour chip; its colour is set through the CSSOM (a style attribute would need 'unsafe-inline' under the UI's CSP). */
function swatch(color: string): HTMLElement {
  const s = h('span', { class: 'swatch' });
  s.style.background = color;
  return s;
}

function same(values: (string | number | undefined)[]): boolean {
  return values.every((v) => String(v) === String(values[0]));
}

export function comparePage(root: HTMLElement, _m: RegExpExecArray, query: URLSearchParams): Page {
  const ids = [...new Set((query.get('runs') || '').split(',').map((s) => s.trim()).filter(Boolean))].slice(0, MAX_RUNS);
  const ctl = new AbortController();
  const disposers: (() => void)[] = [];
  setCrumbs(link('', 'Experiments'), 'Compare runs');
  const page = h('section', { class: 'page compare' }, h('p', { class: 'status' }, ids.length ? `Loading ${ids.length} runs…` : ''));
  root.append(page);
  if (!ids.length) {
    page.replaceChildren(h('h1', {}, 'Compare runs'),
      h('p', { class: 'muted' }, 'No runs chosen. Select runs in an experiment\'s runs table and press Compare.'));
    return {};
  }
  const loading = ids.map((id) => api.getRun(id, ctl.signal));
  // the charts' histories need only the run ids: fetch them while the runs load (after
  // the small run requests, which the browser's 6 connections per host then serve first)
  prefetchHistories(ids, query.getAll('metric'), ctl.signal);
  void (async () => {
    const got = await Promise.allSettled(loading);
    if (ctl.signal.aborted) return;
    const runs: Run[] = [];
    const failed: HTMLElement[] = [];
    got.forEach((g, i) => {
      if (g.status === 'fulfilled') runs.push(g.value.run);
      else failed.push(errorBox(`Run ${ids[i]}: ${g.reason instanceof Error ? g.reason.message : String(g.reason)}`));
    });
    // experiment names arrive later and fill in the links
    const expIds = [...new Set(runs.map((r) => r.info.experiment_id))];
    const expLinks: [string, HTMLAnchorElement][] = [];
    const expLink = (id: string) => {
      const a = link(`experiments/${encodeURIComponent(id)}`, `Experiment ${id}`);
      expLinks.push([id, a]);
      return a;
    };
    const title = `Comparing ${runs.length} run${runs.length === 1 ? '' : 's'}`;
    if (expIds.length === 1) setCrumbs(link('', 'Experiments'), expLink(expIds[0]), title);
    else setCrumbs(link('', 'Experiments'), title);
    const cols: Col[] = runs.map((run, i) => ({
      run, id: run.info.run_id, name: run.info.run_name || run.info.run_id, color: seriesColor(i),
      params: new Map((run.data.params || []).map((p) => [p.key, p.value])),
      metrics: new Map((run.data.metrics || []).map((m) => [m.key, m.value])),
    }));
    page.replaceChildren(h('h1', {}, title), ...failed, ...(cols.length ? build(cols, expLink, query, ctl.signal, disposers) : []));
    await Promise.all(expIds.map((e) => api.getExperiment(e, ctl.signal).then((r) => {
      expLinks.forEach(([id, a]) => { if (id === e) a.textContent = r.experiment.name; });
    }).catch(() => null)));
  })().catch((e) => {
    if (!isAbort(e)) page.replaceChildren(errorBox(e));
  });
  return { dispose: () => { ctl.abort(); disposers.forEach((d) => d()); } };
}

/** Sets or deletes one query parameter (repeated when given a list) in the address bar. */
function saveQuery(name: string, value: string | string[] | null): void {
  const q = new URLSearchParams(location.search);
  q.delete(name);
  if (Array.isArray(value)) value.forEach((v) => q.append(name, v));
  else if (value !== null) q.set(name, value);
  setQuery(q);
}

function runHead(cols: Col[], first: string): HTMLElement {
  return h('thead', {}, h('tr', {}, h('th', {}, first), ...cols.map((c) => h('th', { class: 'run-col', 'data-run': c.id },
    swatch(c.color), link(`runs/${encodeURIComponent(c.id)}`, c.name)))));
}

function build(cols: Col[], expLink: (id: string) => HTMLAnchorElement, query: URLSearchParams, signal: AbortSignal,
  disposers: (() => void)[]): Node[] {
  const paramKeys = [...new Set(cols.flatMap((c) => [...c.params.keys()]))].sort();
  const metricKeys = [...new Set(cols.flatMap((c) => [...c.metrics.keys()]))].sort();

  // ---- overview ----
  const overview = h('table', { class: 'grid compare-grid', id: 'compare-overview' }, runHead(cols, 'Run'),
    h('tbody', {},
      h('tr', {}, h('th', { scope: 'row' }, 'Experiment'), ...cols.map((c) => h('td', {}, expLink(c.run.info.experiment_id)))),
      h('tr', {}, h('th', { scope: 'row' }, 'Status'), ...cols.map((c) => h('td', { class: `st-${c.run.info.status}` }, c.run.info.status || ''))),
      h('tr', {}, h('th', { scope: 'row' }, 'Started'), ...cols.map((c) => h('td', {}, fmtTime(c.run.info.start_time)))),
      h('tr', {}, h('th', { scope: 'row' }, 'Duration'), ...cols.map((c) => h('td', {}, fmtDuration(c.run.info.start_time, c.run.info.end_time)))),
      h('tr', {}, h('th', { scope: 'row' }, 'Run ID'), ...cols.map((c) => h('td', {}, h('code', {}, c.id))))));

  // ---- params: rows whose values differ are highlighted ----
  const onlyDiff = h('input', { type: 'checkbox', id: 'only-diff', checked: query.get('diff') === '1' });
  const paramRows = paramKeys.map((k) => {
    const vals = cols.map((c) => c.params.get(k));
    const differs = !same(vals);
    return h('tr', { class: differs ? 'diff' : 'same', 'data-key': k }, h('th', { scope: 'row' }, k),
      ...vals.map((v) => (v === undefined ? h('td', { class: 'muted' }, '—') : h('td', {}, v))));
  });
  const paramTable = paramKeys.length
    ? h('table', { class: 'grid compare-grid', id: 'compare-params' }, runHead(cols, 'Parameter'), h('tbody', {}, ...paramRows))
    : h('p', { class: 'muted', id: 'compare-params' }, 'No parameters.');

  // ---- metrics: latest values, the best of each row highlighted; checkboxes choose the charts ----
  const chosen = new Set(query.getAll('metric').filter((k) => metricKeys.includes(k)));
  if (!query.has('metric') && metricKeys.length) chosen.add(metricKeys[0]);
  const metricRows = metricKeys.map((k) => {
    const vals = cols.map((c) => c.metrics.get(k));
    const nums = vals.map(asNumber);
    const lower = LOWER_IS_BETTER.test(k);
    const finite = nums.filter((n): n is number => n !== null);
    const best = finite.length > 1 && !same(finite) ? (lower ? Math.min(...finite) : Math.max(...finite)) : null;
    const box = h('input', { type: 'checkbox', 'data-metric': k, checked: chosen.has(k), 'aria-label': `Chart ${k}` });
    box.addEventListener('change', () => {
      if (box.checked) chosen.add(k);
      else chosen.delete(k);
      saveQuery('metric', [...chosen]);
      drawCharts();
    });
    return h('tr', { class: same(vals) ? 'same' : 'diff', 'data-key': k }, h('td', {}, box),
      h('th', { scope: 'row', title: lower ? 'lower is better' : 'higher is better' }, k, h('small', { class: 'muted' }, lower ? ' ↓' : ' ↑')),
      ...vals.map((v, i) => (v === undefined ? h('td', { class: 'num muted' }, '—')
        : h('td', { class: `num${best !== null && nums[i] === best ? ' best' : ''}`, title: best !== null && nums[i] === best ? 'best' : undefined },
          fmtNumber(v)))));
  });
  const metricTable = metricKeys.length
    ? h('table', { class: 'grid compare-grid', id: 'compare-metrics' }, (() => {
      const head = runHead(cols, 'Metric');
      head.firstElementChild!.prepend(h('th', {}, 'Chart'));
      return head;
    })(), h('tbody', {}, ...metricRows))
    : h('p', { class: 'muted', id: 'compare-metrics' }, 'No metrics.');
  const metricFilter = h('input', { type: 'search', placeholder: `Filter ${metricKeys.length} metrics`, 'aria-label': 'Filter metrics',
    id: 'compare-metric-filter' });

  const applyRowFilters = () => {
    const q = metricFilter.value.trim().toLowerCase();
    paramRows.forEach((tr) => { tr.hidden = onlyDiff.checked && tr.classList.contains('same'); });
    metricRows.forEach((tr, i) => {
      tr.hidden = (onlyDiff.checked && tr.classList.contains('same')) || (!!q && !metricKeys[i].toLowerCase().includes(q));
    });
  };
  onlyDiff.addEventListener('change', () => {
    saveQuery('diff', onlyDiff.checked ? '1' : null);
    applyRowFilters();
  });
  metricFilter.addEventListener('input', applyRowFilters);
  applyRowFilters();

  // ---- charts: one per chosen metric, every run on it ----
  const xs: [XAxis, string][] = [['step', 'Step'], ['time', 'Time'], ['relative', 'Relative time']];
  const xWanted = query.get('x') as XAxis;
  const xSelect = h('select', { id: 'cmp-x', 'aria-label': 'X axis' },
    ...xs.map(([v, label]) => h('option', { value: v, selected: v === xWanted }, label)));
  const logBox = h('input', { type: 'checkbox', id: 'cmp-log', checked: query.get('log') === '1' });
  const smooth = smoothingControl('cmp-smooth', parseSmoothing(query.get('smooth')), () => restyle());
  const smoothRange = smooth.input;
  const rawBox = h('input', { type: 'checkbox', id: 'cmp-raw', checked: query.get('raw') !== '0' });
  const controls = h('div', { class: 'chart-controls' }, h('label', {}, 'X axis ', xSelect), h('label', {}, logBox, ' log scale'),
    smooth.node, h('label', {}, rawBox, ' raw lines'),
    h('span', { class: 'hint' }, 'drag to zoom, double-click to reset'));
  const chartsBox = h('div', { class: 'compare-charts', id: 'compare-charts' });
  const chartRuns: ChartRun[] = cols.map((c) => ({ id: c.id, name: c.name, start: Number(c.run.info.start_time) || 0, color: c.color }));
  const charts = new Map<string, MetricChart>();
  disposers.push(() => charts.forEach((c) => c.destroy()));
  const chartOpts = (): ChartOptions => ({ x: xSelect.value as XAxis, log: logBox.checked, runStart: 0,
    smoothing: Number(smoothRange.value), showRaw: rawBox.checked, sync: 'compare' });

  function drawCharts(): void {
    for (const [k, c] of charts) {
      if (chosen.has(k)) continue;
      c.destroy();
      c.box.closest('.chart-card')?.remove();
      charts.delete(k);
    }
    for (const k of metricKeys) { // in the table's order
      if (!chosen.has(k) || charts.has(k)) continue;
      const box = h('div', { class: 'chart', 'data-key': k });
      chartsBox.append(h('figure', { class: 'chart-card' }, h('figcaption', {}, k), box));
      const c = new MetricChart(box, signal);
      charts.set(k, c);
      void c.load(chartRuns, [k], chartOpts());
    }
    if (!chosen.size) chartsBox.replaceChildren(h('p', { class: 'muted' }, metricKeys.length ? 'Tick metrics above to chart them.' : 'No metrics.'));
    else chartsBox.querySelector(':scope > p')?.remove();
  }
  let pending = 0;
  const restyle = () => {
    saveQuery('x', xSelect.value === 'step' ? null : xSelect.value);
    saveQuery('log', logBox.checked ? '1' : null);
    saveQuery('smooth', Number(smoothRange.value) > 0 ? smoothRange.value : null);
    saveQuery('raw', rawBox.checked ? null : '0');
    if (pending) return;
    pending = requestAnimationFrame(() => { // slider input comes faster than frames
      pending = 0;
      const o = chartOpts();
      charts.forEach((c) => c.setOptions(o));
    });
  };
  disposers.push(() => cancelAnimationFrame(pending));
  xSelect.addEventListener('change', restyle);
  logBox.addEventListener('change', restyle);
  rawBox.addEventListener('change', restyle);
  drawCharts();

  // ---- scatter and parallel coordinates over params and metrics ----
  const fields: Field[] = [...paramKeys.map((k) => `p:${k}`), ...metricKeys.map((k) => `m:${k}`)];
  const differing = paramKeys.filter((k) => !same(cols.map((c) => c.params.get(k)))).map((k) => `p:${k}`);
  const fieldSelect = (id: string, label: string, value: Field) => h('select', { id, 'aria-label': label },
    h('optgroup', { label: 'Parameters' }, ...paramKeys.map((k) => h('option', { value: `p:${k}`, selected: `p:${k}` === value }, k))),
    h('optgroup', { label: 'Metrics' }, ...metricKeys.map((k) => h('option', { value: `m:${k}`, selected: `m:${k}` === value }, k))));
  const valid = (f: string | null): f is Field => !!f && fields.includes(f);
  const sxWanted = query.get('sx'), syWanted = query.get('sy');
  const sx = valid(sxWanted) ? sxWanted : differing[0] || fields[0];
  const sy = valid(syWanted) ? syWanted : metricKeys.length ? `m:${metricKeys[0]}` : fields[Math.min(1, fields.length - 1)];
  const sxSelect = fieldSelect('scatter-x', 'Scatter X axis', sx);
  const sySelect = fieldSelect('scatter-y', 'Scatter Y axis', sy);
  const scatterBox = h('div', { class: 'chart scatter', id: 'scatter' });
  const scatter = new ScatterPlot(scatterBox, cols);
  disposers.push(() => scatter.destroy());
  const drawScatter = () => {
    saveQuery('sx', sxSelect.value);
    saveQuery('sy', sySelect.value);
    scatter.draw(sxSelect.value, sySelect.value);
  };
  sxSelect.addEventListener('change', drawScatter);
  sySelect.addEventListener('change', drawScatter);

  const pcWanted = query.getAll('pc').filter(valid);
  const pcAxes: Field[] = pcWanted.length ? pcWanted
    : [...differing, ...[...chosen].map((k) => `m:${k}`)].slice(0, PC_DEFAULT_AXES);
  if (pcAxes.length < 2) pcAxes.push(...fields.filter((f) => !pcAxes.includes(f)).slice(0, 2 - pcAxes.length));
  const parallel = new ParallelCoords(cols, pcAxes, (axes) => saveQuery('pc', axes));
  disposers.push(() => parallel.destroy());

  const scatterSection = fields.length ? [h('div', { class: 'chart-controls' }, h('label', {}, 'X ', sxSelect), h('label', {}, 'Y ', sySelect)),
    scatterBox] : [h('p', { class: 'muted' }, 'No parameters or metrics.')];
  const result = [
    h('div', { class: 'scroll-x' }, overview),
    h('div', { class: 'section-head' }, h('h2', {}, `Parameters (${paramKeys.length})`),
      h('label', {}, onlyDiff, ' only differences')),
    h('div', { class: 'scroll-x' }, paramTable),
    h('h2', {}, `Metrics (${metricKeys.length})`),
    metricKeys.length > 10 ? metricFilter : null,
    h('div', { class: 'scroll-box scroll-x' }, metricTable),
    h('h2', {}, 'Charts'), metricKeys.length ? controls : null, chartsBox,
    h('h2', {}, 'Scatter plot'), ...scatterSection,
    h('h2', {}, 'Parallel coordinates'), fields.length ? parallel.root : h('p', { class: 'muted' }, 'No parameters or metrics.'),
  ].filter((n): n is HTMLElement => n !== null);
  // uPlot and the SVG need their boxes laid out for a width: draw after insertion
  requestAnimationFrame(() => {
    if (signal.aborted) return;
    if (fields.length) {
      scatter.draw(sx, sy);
      parallel.draw();
    }
  });
  return result;
}

// ---- scatter plot: one uPlot series per run, points only ----
class ScatterPlot {
  private plot: uPlot | null = null;
  private resizer: ResizeObserver | null = null;
  constructor(private readonly box: HTMLElement, private readonly cols: Col[]) {}

  draw(fx: Field, fy: Field): void {
    this.destroy();
    this.box.replaceChildren();
    const ax = axisOf(this.cols, fx), ay = axisOf(this.cols, fy);
    const pts = this.cols.map((c) => ({ x: ax.pos(c), y: ay.pos(c) }));
    const n = pts.filter((p) => p.x !== null && p.y !== null).length;
    this.box.dataset.points = String(n);
    this.box.dataset.xCategories = ax.cats ? ax.cats.join(',') : '';
    this.box.dataset.yCategories = ay.cats ? ay.cats.join(',') : '';
    if (!n) {
      this.box.append(h('p', { class: 'muted' }, 'No run has both values.'));
      return;
    }
    const xs = [...new Set(pts.filter((p) => p.x !== null && p.y !== null).map((p) => p.x as number))].sort((a, b) => a - b);
    const data: uPlot.AlignedData = [xs, ...pts.map((p) => xs.map((x) => (p.x === x && p.y !== null ? p.y : null)))];
    const catAxis = (a: Axis): Partial<uPlot.Axis> => (a.cats
      ? { incrs: [1], values: (_u, splits) => splits.map((v) => (Number.isInteger(v) ? a.cats![v] ?? '' : '')) }
      : { values: tickLabels });
    const catRange = (a: Axis): uPlot.Scale.Range | undefined => (a.cats ? [-0.5, a.cats.length - 0.5] : undefined);
    const width = () => Math.max(300, this.box.clientWidth || 600);
    const yRange = catRange(ay);
    this.plot = new uPlot({
      width: width(),
      height: 300,
      scales: { x: { time: false, range: catRange(ax) }, ...(yRange ? { y: { range: yRange } } : {}) },
      axes: [{ label: fieldLabel(fx), ...catAxis(ax) }, { label: fieldLabel(fy), ...catAxis(ay), size: ay.cats ? 90 : 60 }],
      legend: { live: true },
      cursor: { drag: { x: false, y: false } },
      series: [{ label: fieldKey(fx), value: (_u, v) => (v === null || v === undefined ? '' : ax.cats ? ax.cats[v] ?? '' : fmtNumber(v)) },
        ...this.cols.map((c) => ({
          label: c.name, stroke: c.color, fill: c.color, paths: () => null,
          points: { show: true, size: 10, fill: c.color, stroke: c.color },
          value: (_u: uPlot, v: number | null) => (v === null || v === undefined ? '' : ay.cats ? ay.cats[v] ?? '' : fmtNumber(v)),
        }))],
    }, data, this.box);
    this.resizer = new ResizeObserver(() => this.plot?.setSize({ width: width(), height: 300 }));
    this.resizer.observe(this.box);
  }

  destroy(): void {
    this.resizer?.disconnect();
    this.resizer = null;
    this.plot?.destroy();
    this.plot = null;
  }
}

// ---- parallel coordinates: SVG, one vertical axis per field, one path per run ----
class ParallelCoords {
  readonly root: HTMLElement;
  private readonly chips = h('div', { class: 'pc-axes', id: 'pc-axes' });
  private readonly add = h('select', { id: 'pc-add', 'aria-label': 'Add an axis' });
  private readonly canvas = h('div', { class: 'parallel', id: 'parallel' });
  private readonly hover = h('p', { class: 'pc-hover', id: 'pc-hover', 'aria-live': 'polite' }, 'Hover a line to see its run.');
  private readonly resizer: ResizeObserver;
  private lastWidth = 0;

  constructor(private readonly cols: Col[], private axes: Field[], private readonly save: (axes: Field[]) => void) {
    this.root = h('div', {}, h('div', { class: 'chart-controls' }, 'Axes ', this.chips, this.add), this.canvas, this.hover);
    this.add.addEventListener('change', () => {
      if (this.add.value) this.setAxes([...this.axes, this.add.value]);
    });
    this.resizer = new ResizeObserver(() => {
      if (this.canvas.clientWidth !== this.lastWidth) this.draw();
    });
    this.resizer.observe(this.canvas);
  }

  destroy(): void {
    this.resizer.disconnect();
  }

  private setAxes(axes: Field[]): void {
    this.axes = axes;
    this.save(axes);
    this.draw();
  }

  private drawChooser(): void {
    const paramFields = new Set(this.cols.flatMap((c) => [...c.params.keys()].map((k) => `p:${k}`)));
    const metricFields = new Set(this.cols.flatMap((c) => [...c.metrics.keys()].map((k) => `m:${k}`)));
    this.chips.replaceChildren(...this.axes.map((f, i) => {
      const left = h('button', { type: 'button', class: 'chip-btn', title: 'Move left', disabled: i === 0 }, '‹');
      const remove = h('button', { type: 'button', class: 'chip-btn', title: `Remove ${fieldKey(f)}`, 'aria-label': `Remove ${fieldKey(f)}` }, '×');
      left.addEventListener('click', () => {
        const a = [...this.axes];
        [a[i - 1], a[i]] = [a[i], a[i - 1]];
        this.setAxes(a);
      });
      remove.addEventListener('click', () => this.setAxes(this.axes.filter((x) => x !== f)));
      return h('span', { class: 'chip', 'data-field': f }, left, h('small', {}, fieldKind(f) === 'p:' ? 'param ' : 'metric '), fieldKey(f), remove);
    }));
    const option = (f: Field) => h('option', { value: f }, fieldKey(f));
    const unused = (s: Set<Field>) => [...s].filter((f) => !this.axes.includes(f)).sort();
    this.add.replaceChildren(h('option', { value: '' }, 'Add an axis…'),
      h('optgroup', { label: 'Parameters' }, ...unused(paramFields).map(option)),
      h('optgroup', { label: 'Metrics' }, ...unused(metricFields).map(option)));
  }

  draw(): void {
    this.drawChooser();
    const width = this.lastWidth = Math.max(320, this.canvas.clientWidth || 800);
    // room on the left for the first axis's tick labels (category names), up to PC_TICK_CHARS of them
    const first = this.axes.length ? axisOf(this.cols, this.axes[0]) : null;
    const firstChars = Math.min(PC_TICK_CHARS, Math.max(0, ...(first?.cats || []).map((c) => c.length)));
    const bottom = 28, left = Math.max(70, Math.ceil(firstChars * PC_TICK_CHAR_PX + 16)), right = 70;
    // axis names wider than the space between axes go on two staggered rows, cut to fit (the full name on hover)
    const gap = this.axes.length > 1 ? (width - left - right) / (this.axes.length - 1) : width - left - right;
    const longest = Math.max(0, ...this.axes.map((f) => fieldKey(f).length * PC_CHAR_PX));
    const stagger = this.axes.length > 1 && longest > gap - 8;
    const labelChars = Math.max(4, Math.floor(((stagger ? 2 * gap : gap) - 12) / PC_CHAR_PX));
    const top = stagger ? 56 : 36, height = 320 + top - 36;
    const svg = document.createElementNS(SVG_NS, 'svg');
    const el = (tag: string, attrs: Record<string, string | number>, text?: string) => {
      const e = document.createElementNS(SVG_NS, tag);
      for (const [k, v] of Object.entries(attrs)) e.setAttribute(k, String(v));
      if (text !== undefined) e.textContent = text;
      return e;
    };
    svg.setAttribute('width', String(width));
    svg.setAttribute('height', String(height));
    svg.setAttribute('role', 'img');
    svg.setAttribute('aria-label', `Parallel coordinates of ${this.cols.length} runs over ${this.axes.length} axes`);
    if (!this.axes.length) {
      this.canvas.replaceChildren(h('p', { class: 'muted' }, 'Add an axis to draw the runs.'));
      this.canvas.dataset.lines = '0';
      return;
    }
    const axes = this.axes.map((f) => axisOf(this.cols, f));
    const span = this.axes.length > 1 ? (width - left - right) / (this.axes.length - 1) : 0;
    const xAt = (i: number) => (this.axes.length > 1 ? left + i * span : width / 2);
    const ys = axes.map((a) => {
      const vals = this.cols.map(a.pos).filter((v): v is number => v !== null);
      const lo = a.cats ? 0 : Math.min(...vals), hi = a.cats ? Math.max(0, a.cats.length - 1) : Math.max(...vals);
      const y = (v: number) => (hi > lo ? top + (1 - (v - lo) / (hi - lo)) * (height - top - bottom) : (top + height - bottom) / 2);
      return { lo, hi, y, any: vals.length > 0 };
    });
    const gAxes = el('g', { class: 'pc-axis-layer' });
    axes.forEach((a, i) => {
      const x = xAt(i), s = ys[i];
      gAxes.append(el('line', { x1: x, x2: x, y1: top, y2: height - bottom, class: 'pc-axis' }));
      const name = fieldKey(a.field);
      const label = el('text', { x, y: top - (stagger && i % 2 ? 38 : 20), 'text-anchor': 'middle', class: 'pc-label' },
        name.length > labelChars ? `${name.slice(0, labelChars - 1)}…` : name);
      label.append(el('title', {}, fieldLabel(a.field)));
      gAxes.append(label);
      if (!s.any) return;
      // category labels at least PC_TICK_PX apart: every k-th one when they are many
      const every = a.cats ? Math.max(1, Math.ceil(PC_TICK_PX / ((height - top - bottom) / Math.max(1, a.cats.length - 1)))) : 1;
      const ticks: [number, string][] = a.cats ? a.cats.map((c, k): [number, string] => [k, c]).filter(([k]) => k % every === 0)
        : s.hi > s.lo ? [[s.hi, fmtNumber(s.hi)], [(s.lo + s.hi) / 2, fmtNumber((s.lo + s.hi) / 2)], [s.lo, fmtNumber(s.lo)]]
          : [[s.lo, fmtNumber(s.lo)]];
      for (const [v, t] of ticks) {
        gAxes.append(el('line', { x1: x - 4, x2: x, y1: s.y(v), y2: s.y(v), class: 'pc-tick' }));
        gAxes.append(el('text', { x: x - 7, y: s.y(v) + 4, 'text-anchor': 'end', class: 'pc-tick-label' },
          t.length > PC_TICK_CHARS ? `${t.slice(0, PC_TICK_CHARS - 1)}…` : t));
      }
    });
    const gLines = el('g', { class: 'pc-line-layer' });
    let lines = 0;
    const describe = (c: Col) => `${c.name}: ${this.axes.map((f) => {
      const v = rawValue(c, f);
      return `${fieldKey(f)} = ${v === undefined ? '—' : typeof v === 'number' ? fmtNumber(v) : v}`;
    }).join(', ')}`;
    for (const c of this.cols) {
      // a value missing on an axis breaks the line there
      let d = '', pen = false;
      axes.forEach((a, i) => {
        const v = a.pos(c);
        if (v === null) {
          pen = false;
          return;
        }
        d += `${pen ? 'L' : 'M'}${xAt(i).toFixed(1)},${ys[i].y(v).toFixed(1)}`;
        pen = true;
      });
      if (!d) continue;
      if (!/L/.test(d)) d += 'h0.01'; // a lone point still shows (round caps)
      lines++;
      const g = el('g', { class: 'pc-run', 'data-run': c.id });
      const line = el('path', { d, class: 'pc-line', stroke: c.color });
      const hit = el('path', { d, class: 'pc-hit' });
      hit.append(el('title', {}, describe(c)));
      g.append(line, hit);
      g.addEventListener('mouseenter', () => {
        svg.classList.add('focus');
        g.classList.add('hover');
        gLines.append(g); // on top
        this.hover.replaceChildren(swatch(c.color), describe(c));
      });
      g.addEventListener('mouseleave', () => {
        svg.classList.remove('focus');
        g.classList.remove('hover');
      });
      g.addEventListener('click', () => navigate(`runs/${encodeURIComponent(c.id)}`));
      gLines.append(g);
    }
    svg.append(gLines, gAxes); // axes and their labels over the lines (they take no pointer events)
    this.canvas.dataset.lines = String(lines);
    this.canvas.replaceChildren(svg);
  }
}

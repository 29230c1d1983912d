// chart.ts - metric charts with uPlot: one or many runs, one or many keys.
// Points come from get-history-bulk-interval, which down-samples long
// histories on the server (at most MAX_POINTS steps per series), so a chart
// costs the same for 100 or 1,000,000 logged steps. One request per
// run × key, so runs logging different step grids each keep their own sample.
//
// On top of the fetched points, all client-side: the x axis (step, wall-clock
// time, seconds since the run started), a log y scale, exponential moving
// average smoothing (the raw line stays, faint), and zoom: drag across the
// plot to zoom in on x, which fetches a finer sample of the chosen step range;
// double-click goes back to the whole history.
//
// A line whose whole history is one point (a metric logged once, as
// autologging does for final scores) is drawn as a labelled bar with its
// value instead of a lone dot on an empty axis (bars()). Axis tick labels get
// as many decimals as their spacing needs, so no two read the same
// (tickLabels()); the step axis ticks only whole steps.
//
// State is exposed on the chart box for tests and benchmarks:
// data-points (points drawn, all series), data-line-points (per series,
// comma-separated), data-state (loading / full / zooming / zoomed),
// data-xmin / data-xmax (the visible x range); on uPlot's root, data-ticks0 /
// data-ticks1 (the x and y tick labels, "|"-joined).

import uPlot from 'uplot';
import 'uplot/dist/uPlot.min.css';
import { api, Metric } from './api';
import { errorBox, fmtNumber, h, isAbort } from './util';

export const MAX_POINTS = 1000;
const COLORS = ['#2563eb', '#dc2626', '#16a34a', '#9333ea', '#ea580c', '#0891b2', '#be185d', '#4d7c0f'];
const DASHES: (number[] | undefined)[] = [undefined, [6, 4], [2, 3], [10, 3, 2, 3]];
const HEIGHT = 280;
const RAW_ALPHA = 0.25;

/** The i-th series colour: a fixed palette, then golden-angle hues. */
export function seriesColor(i: number): string {
  if (i < COLORS.length) return COLORS[i];
  return `hsl(${Math.round((i * 137.508) % 360)}, 70%, 42%)`;
}

/** What the x axis shows: the step, the wall-clock time, or seconds since the run started. */
export type XAxis = 'step' | 'time' | 'relative';
export interface ChartOptions {
  x: XAxis; log: boolean;
  /** Start time (ms) of the run drawn by drawChart(), for the relative x axis. */
  runStart: number;
  /** Exponential moving average weight, 0 (none) .. 0.99. */
  smoothing?: number;
  /** With smoothing, also draw the raw line, faint (default true). */
  showRaw?: boolean;
  /** Charts given the same key show the cursor at the same x together. */
  sync?: string;
}
/** A run on a chart: its id, legend name, start time (ms, for the relative axis) and colour. */
export interface ChartRun { id: string; name: string; start: number; color: string }

const X_LABEL: Record<XAxis, string> = { step: 'step', time: 'time', relative: 'seconds since start' };

interface Pt { step: number; t: number; v: number }
interface Line { run: ChartRun; key: string; label: string; color: string; dash?: number[]; overview: Pt[]; shown: Pt[] }

function toPoints(ms: Metric[] | undefined): Pt[] {
  return (ms || []).map((m) => ({ step: Number(m.step), t: Number(m.timestamp), v: Number(m.value) }))
    .sort((a, b) => a.step - b.step || a.t - b.t);
}

async function fetchPoints(runId: string, key: string, range: [number, number] | null, signal: AbortSignal): Promise<Pt[]> {
  const r = range ? await api.historyRange([runId], key, MAX_POINTS, range[0], range[1], signal)
    : await api.historyInterval([runId], key, MAX_POINTS, signal);
  return toPoints(r.metrics);
}

// Overview fetches started early (before a page knows its runs' names), each
// used once by the next load() of the same run and key.
const early = new Map<string, Promise<Pt[]>>();

/** Starts fetching the histories a chart will load, so they overlap the page's other requests. */
export function prefetchHistories(runIds: string[], keys: string[], signal: AbortSignal): void {
  for (const id of runIds) {
    for (const key of keys) {
      const name = `${id}\n${key}`, p = fetchPoints(id, key, null, signal);
      p.catch(() => undefined); // a failure is reported by the load() that uses it
      early.set(name, p);
      signal.addEventListener('abort', () => { if (early.get(name) === p) early.delete(name); });
    }
  }
}

function overview(runId: string, key: string, signal: AbortSignal): Promise<Pt[]> {
  const name = `${runId}\n${key}`, p = early.get(name);
  if (!p) return fetchPoints(runId, key, null, signal);
  early.delete(name);
  return p;
}

/**
 * Exponential moving average with bias correction (the first points are not
 * pulled towards 0): s_n = (w s_{n-1} + (1-w) y_n) / (1 - w^n). Gaps (null,
 * NaN, ±Infinity) stay gaps and do not reset the average.
 */
export function smooth(ys: (number | null)[], w: number): (number | null)[] {
  if (!(w > 0)) return ys.slice();
  let acc = 0, n = 0;
  return ys.map((y) => {
    if (y === null || !Number.isFinite(y)) return null;
    acc = acc * w + (1 - w) * y;
    n++;
    return acc / (1 - Math.pow(w, n));
  });
}

/** A uPlot chart of metric histories in `box`; reused across option changes, refetched by load(). */
export class MetricChart {
  private plot: uPlot | null = null;
  private resizer: ResizeObserver | null = null;
  private lines: Line[] = [];
  private opts: ChartOptions = { x: 'step', log: false, runStart: 0 };
  private gen = 0; // the latest load or zoom wins
  private zoom: [number, number] | null = null;
  private zoomCtl: AbortController | null = null;
  private readonly onAbort = () => this.zoomCtl?.abort();

  constructor(readonly box: HTMLElement, private readonly signal: AbortSignal) {
    signal.addEventListener('abort', this.onAbort);
  }

  /** Fetches the histories of `keys` for `runs` and draws them. */
  async load(runs: ChartRun[], keys: string[], opts: ChartOptions): Promise<void> {
    const me = ++this.gen;
    this.cancelZoom();
    this.zoom = null;
    this.opts = opts;
    this.box.dataset.state = 'loading';
    const specs: Omit<Line, 'overview' | 'shown'>[] = [];
    runs.forEach((run) => keys.forEach((key, k) => specs.push({
      run, key,
      label: runs.length === 1 ? key : keys.length === 1 ? run.name : `${run.name} · ${key}`,
      color: runs.length === 1 ? seriesColor(k) : run.color,
      dash: runs.length > 1 ? DASHES[k % DASHES.length] : undefined,
    })));
    if (!specs.length) {
      this.lines = [];
      this.draw();
      return;
    }
    try {
      const pts = await Promise.all(specs.map((s) => overview(s.run.id, s.key, this.signal)));
      if (me !== this.gen) return;
      this.lines = specs.map((s, i) => ({ ...s, overview: pts[i], shown: pts[i] }));
      this.draw();
    } catch (e) {
      if (isAbort(e) || me !== this.gen) return;
      this.destroyPlot();
      this.box.dataset.state = 'error';
      this.box.replaceChildren(errorBox(e));
    }
  }

  /** Redraws the fetched points with new options (x axis, log, smoothing): no fetch. */
  setOptions(opts: ChartOptions): void {
    if (opts.x !== this.opts.x) {
      this.cancelZoom();
      this.zoom = null;
      this.lines.forEach((l) => { l.shown = l.overview; });
    }
    this.opts = opts;
    this.draw();
  }

  destroy(): void {
    this.gen++;
    this.cancelZoom();
    this.signal.removeEventListener('abort', this.onAbort);
    this.destroyPlot();
  }

  private destroyPlot(): void {
    this.resizer?.disconnect();
    this.resizer = null;
    this.plot?.destroy();
    this.plot = null;
  }

  private cancelZoom(): void {
    this.zoomCtl?.abort();
    this.zoomCtl = null;
  }

  private xOf(p: Pt, run: ChartRun): number {
    const x = this.opts.x;
    return x === 'step' ? p.step : x === 'time' ? p.t / 1000 : (p.t - run.start) / 1000;
  }

  /** The aligned data of `lines` and, per uPlot series (after x), whether it is a faint raw line. */
  private buildData(lines: Line[]): { data: uPlot.AlignedData; raw: boolean[]; counts: number[] } {
    const w = Math.min(0.99, Math.max(0, this.opts.smoothing || 0));
    const withRaw = w > 0 && this.opts.showRaw !== false;
    const raw: boolean[] = [];
    const counts: number[] = [];
    const tables = lines.map((l) => {
      const pts = l.shown.map((p) => [this.xOf(p, l.run), p.v]).sort((a, b) => a[0] - b[0]);
      counts.push(pts.length);
      const xs = pts.map((p) => p[0]);
      // NaN and ±Infinity cannot be placed; on a log scale neither can values <= 0: gaps
      const ys = pts.map((p) => (!Number.isFinite(p[1]) || (this.opts.log && !(p[1] > 0)) ? null : p[1]));
      if (w <= 0) {
        raw.push(false);
        return [xs, ys] as uPlot.AlignedData;
      }
      const sm = smooth(ys, w);
      if (!withRaw) {
        raw.push(false);
        return [xs, sm] as uPlot.AlignedData;
      }
      raw.push(true, false);
      return [xs, ys, sm] as uPlot.AlignedData;
    });
    const data = tables.length === 1 ? tables[0] : uPlot.join(tables);
    return { data, raw, counts };
  }

  private draw(): void {
    this.destroyPlot();
    this.box.replaceChildren();
    const total = this.lines.reduce((n, l) => n + l.shown.length, 0);
    this.box.dataset.points = '0';
    this.box.dataset.linePoints = '';
    if (!this.lines.length) {
      this.box.dataset.state = 'full';
      return;
    }
    if (!total) {
      this.box.dataset.state = 'full';
      this.box.append(h('p', { class: 'muted' }, 'No points logged.'));
      return;
    }
    // histories of one point: bars with their values; the rest: lines
    const single = this.lines.filter((l) => l.overview.length === 1);
    const plotted = this.lines.filter((l) => l.overview.length > 1); // (a line with no point is left out)
    const bars = single.length ? barList(single) : null;
    if (!plotted.length) {
      this.box.append(bars!);
      this.box.dataset.points = String(total);
      this.box.dataset.linePoints = this.lines.map((l) => l.shown.length).join(',');
      this.box.dataset.state = 'full';
      return;
    }
    const { data, raw, counts } = this.buildData(plotted);
    const series: uPlot.Series[] = [{ label: X_LABEL[this.opts.x] }];
    const dense = total / plotted.length >= 200;
    let li = 0;
    raw.forEach((isRaw) => {
      const l = plotted[li];
      series.push(isRaw
        ? { label: `${l.label} (raw)`, stroke: l.color, width: 1, alpha: RAW_ALPHA, dash: l.dash, spanGaps: true, points: { show: false } }
        : { label: l.label, stroke: l.color, width: 1.5, dash: l.dash, spanGaps: true, points: { show: !dense } });
      if (!isRaw) li++;
    });
    const width = () => Math.max(300, this.box.clientWidth || 600);
    const xRange = (u: uPlot) => {
      this.box.dataset.xmin = String(u.scales.x.min);
      this.box.dataset.xmax = String(u.scales.x.max);
    };
    this.plot = new uPlot({
      width: width(),
      height: HEIGHT,
      scales: { x: { time: this.opts.x === 'time' }, y: this.opts.log ? { distr: 3 } : {} },
      axes: [{ label: X_LABEL[this.opts.x], ...(this.opts.x === 'time' ? {} : { values: tickLabels }),
        ...(this.opts.x === 'step' ? { incrs: STEP_INCRS } : {}) }, { values: tickLabels }],
      series,
      cursor: {
        drag: { x: true, y: false, setScale: true },
        sync: this.opts.sync ? { key: this.opts.sync } : undefined,
        // double-click: back to the whole history (uPlot's own reset would keep the zoomed sample)
        bind: { dblclick: () => () => { this.resetZoom(); return null; } },
      },
      hooks: {
        // a drag-to-zoom ends with a selection; uPlot then zooms, and we fetch finer points
        setSelect: [(u) => {
          if (u.select.width < 2) return;
          const lo = u.posToVal(u.select.left, 'x'), hi = u.posToVal(u.select.left + u.select.width, 'x');
          if (hi > lo) void this.zoomTo(lo, hi);
        }],
        setScale: [(u, key) => { if (key === 'x') xRange(u); }],
        // hiding a line from the legend hides its faint raw line too
        setSeries: [(u, i, o) => {
          if (i && i > 1 && raw[i - 2] && !raw[i - 1] && o.show !== undefined) u.setSeries(i - 1, { show: o.show }, false);
        }],
      },
    }, data, this.box);
    // the faint raw lines are not listed in the legend
    const rows = this.plot.root.querySelectorAll<HTMLElement>('.u-legend tr.u-series');
    raw.forEach((isRaw, i) => { if (isRaw && rows[i + 1]) rows[i + 1].style.display = 'none'; });
    if (bars) this.box.append(bars);
    if (this.zoom) this.plot.setScale('x', { min: this.zoom[0], max: this.zoom[1] });
    xRange(this.plot);
    this.box.dataset.points = String(total);
    this.box.dataset.linePoints = [...counts, ...single.map((l) => l.shown.length)].join(',');
    this.box.dataset.state = this.zoom ? 'zoomed' : 'full';
    this.resizer = new ResizeObserver(() => this.plot?.setSize({ width: width(), height: HEIGHT }));
    this.resizer.observe(this.box);
  }

  /** The step range to fetch for x in [lo, hi]: the points inside plus one neighbour each side. */
  private stepRange(l: Line, lo: number, hi: number): [number, number] | null {
    const pts = l.overview.map((p) => ({ x: this.xOf(p, l.run), step: p.step })).sort((a, b) => a.x - b.x);
    if (!pts.length) return null;
    let first = pts.findIndex((p) => p.x >= lo);
    if (first < 0) return null;
    let last = first;
    while (last + 1 < pts.length && pts[last + 1].x <= hi) last++;
    first = Math.max(0, first - 1);
    last = Math.min(pts.length - 1, last + 1);
    let s0 = Infinity, s1 = -Infinity;
    for (let i = first; i <= last; i++) {
      s0 = Math.min(s0, pts[i].step);
      s1 = Math.max(s1, pts[i].step);
    }
    return [s0, s1];
  }

  private async zoomTo(lo: number, hi: number): Promise<void> {
    this.cancelZoom();
    const ctl = this.zoomCtl = new AbortController();
    const me = this.gen;
    this.zoom = [lo, hi];
    this.box.dataset.state = 'zooming';
    try {
      const fine = await Promise.all(this.lines.map((l) => {
        const r = this.stepRange(l, lo, hi);
        return r ? fetchPoints(l.run.id, l.key, r, ctl.signal).then((pts) => ({ r, pts })) : null;
      }));
      if (ctl !== this.zoomCtl || me !== this.gen || !this.plot) return;
      // the finer sample inside the range, the overview outside it (smoothing stays continuous)
      this.lines.forEach((l, i) => {
        const f = fine[i];
        l.shown = f ? [...l.overview.filter((p) => p.step < f.r[0]), ...f.pts, ...l.overview.filter((p) => p.step > f.r[1])]
          : l.overview;
      });
      this.zoomCtl = null;
      this.draw();
    } catch (e) {
      if (!isAbort(e) && ctl === this.zoomCtl) this.box.append(errorBox(e));
    }
  }

  private resetZoom(): void {
    this.cancelZoom();
    this.zoom = null;
    this.lines.forEach((l) => { l.shown = l.overview; });
    this.draw();
  }
}

/** Whole steps only on the step axis: 1, 2, 5, 10, 20, 50, ... */
const STEP_INCRS = Array.from({ length: 16 }, (_, k) => [1, 2, 5].map((m) => m * 10 ** k)).flat();

/**
 * Tick labels with as many decimals as the tick spacing needs (uPlot's
 * default rounds to 3 decimals, so a range such as 0.12341 .. 0.12345 read
 * "0.123" at every tick); if two labels still come out the same (the
 * spacing is below what a double shows), only the first of them is kept.
 */
export function tickLabels(u: uPlot, splits: number[], axis: number, _space: number, incr: number): string[] {
  const scale = u.axes[axis]?.scale;
  const log = !!scale && u.scales[scale]?.distr === 3;
  const step = Number.isFinite(incr) && incr > 0 ? Math.min(20, Math.max(0, Math.ceil(-Math.log10(incr) - 1e-9))) : 3;
  const out = splits.map((v) => {
    if (v === null || !Number.isFinite(v)) return '';
    if (Math.abs(v) >= 1e15) return v.toExponential(3);
    // a log axis spans decades: each tick needs the decimals of its own magnitude
    const dec = log && v !== 0 ? Math.min(20, Math.max(0, Math.ceil(-Math.log10(Math.abs(v)) - 1e-9))) : step;
    const t = v.toFixed(dec);
    return (t.includes('.') ? t.replace(/\.?0+$/, '') : t).replace(/^-0$/, '0');
  });
  const labels = out.map((t, i) => (i > 0 && t === out[i - 1] ? '' : t));
  u.root.dataset[`ticks${axis}`] = labels.join('|'); // what the axis reads, for tests
  return labels;
}

/** Histories of one point each: a bar per line, as long as its value is large, with the value and step written out. */
function barList(lines: Line[]): HTMLElement {
  const vals = lines.map((l) => l.shown[0]?.v ?? l.overview[0].v);
  const max = Math.max(...vals.filter(Number.isFinite).map(Math.abs), 0);
  const box = h('div', { class: 'metric-bars', 'data-bars': lines.length });
  lines.forEach((l, i) => {
    const v = vals[i], p = l.overview[0];
    const bar = h('span', { class: `bar${v < 0 ? ' neg' : ''}` });
    bar.style.width = `${max > 0 && Number.isFinite(v) ? Math.max(0.5, (Math.abs(v) / max) * 100) : 0}%`;
    bar.style.background = l.color;
    box.append(h('div', { class: 'bar-row', 'data-key': l.key, title: `${l.label}: ${v} at step ${p.step}` },
      h('span', { class: 'bar-label' }, l.label), h('span', { class: 'bar-track' }, bar),
      h('span', { class: 'bar-value num' }, fmtNumber(v)), h('small', { class: 'muted' }, `step ${p.step}`)));
  });
  return box;
}

/** A ?smooth= value as a smoothing weight: a number in 0..0.99, else 0. */
export function parseSmoothing(s: string | null): number {
  return Math.min(0.99, Math.max(0, Number(s) || 0));
}

/**
 * The smoothing slider the chart pages show (0 .. 0.99, with its value as
 * text): `onInput` runs on every move. Returns the control's label and its
 * range input (whose value is the weight).
 */
export function smoothingControl(id: string, value: number, onInput: () => void): { node: HTMLElement; input: HTMLInputElement } {
  const input = h('input', { type: 'range', id, min: 0, max: 0.99, step: 0.01, value, 'aria-label': 'Smoothing' });
  const out = h('output', { for: id, class: 'num' }, value.toFixed(2));
  input.addEventListener('input', () => {
    out.textContent = Number(input.value).toFixed(2);
    onInput();
  });
  return { node: h('label', {}, 'Smoothing ', input, ' ', out), input };
}

// ---- the single-run entry point used by the run page ----
const charts = new WeakMap<HTMLElement, MetricChart>();

/** Redraws the chart drawChart() made in `box` with new options, without fetching; false if there is none. */
export function restyleChart(box: HTMLElement, opts: ChartOptions): boolean {
  const chart = charts.get(box);
  chart?.setOptions(opts);
  return !!chart;
}

/** Draws the history of `keys` for one run into `box` (replacing what was there). */
export async function drawChart(box: HTMLElement, runId: string, keys: string[], opts: ChartOptions,
  signal: AbortSignal, disposers: (() => void)[]): Promise<void> {
  let chart = charts.get(box);
  if (!chart) {
    const c = chart = new MetricChart(box, signal);
    charts.set(box, c);
    disposers.push(() => {
      c.destroy();
      charts.delete(box);
    });
  }
  await chart.load([{ id: runId, name: runId, start: opts.runStart, color: seriesColor(0) }], keys, opts);
}

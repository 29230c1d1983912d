// chart.ts - a metric chart with uPlot. Points come from
// get-history-bulk-interval, which down-samples long histories on the
// server, so a chart costs the same for 100 or 1,000,000 logged steps.

import uPlot from 'uplot';
import 'uplot/dist/uPlot.min.css';
import { api } from './api';
import { errorBox, isAbort } from './util';

const MAX_POINTS = 1000;
const COLORS = ['#2563eb', '#dc2626', '#16a34a', '#9333ea', '#ea580c', '#0891b2', '#be185d', '#4d7c0f'];

let plot: uPlot | null = null;
let resizer: ResizeObserver | null = null;
let drawing = 0; // the latest call wins when checkboxes change faster than the fetches

/** What the x axis shows: the step, the wall-clock time, or seconds since the run started. */
export type XAxis = 'step' | 'time' | 'relative';
export interface ChartOptions { x: XAxis; log: boolean; runStart: number }

const X_LABEL: Record<XAxis, string> = { step: 'step', time: 'time', relative: 'seconds since start' };

/** Draws the history of `keys` for one run into `box` (replacing what was there). */
export async function drawChart(box: HTMLElement, runId: string, keys: string[], opts: ChartOptions,
  signal: AbortSignal, disposers: (() => void)[]): Promise<void> {
  const me = ++drawing;
  resizer?.disconnect();
  resizer = null;
  plot?.destroy();
  plot = null;
  box.replaceChildren();
  box.dataset.points = '0';
  if (!keys.length) return;
  try {
    const series = await Promise.all(keys.map((k) => api.historyInterval([runId], k, MAX_POINTS, signal)));
    if (me !== drawing) return;
    const tables: uPlot.AlignedData[] = series.map((s) => {
      const xOf = (m: { step: number; timestamp: number }) => (opts.x === 'step' ? Number(m.step)
        : opts.x === 'time' ? Number(m.timestamp) / 1000 : (Number(m.timestamp) - opts.runStart) / 1000);
      const pts = (s.metrics || []).map((m) => [xOf(m), typeof m.value === 'number' ? m.value : Number(m.value)])
        .sort((a, b) => a[0] - b[0]);
      // log scale: uPlot cannot place values <= 0 (nor NaN), so they become gaps
      return [pts.map((p) => p[0]), pts.map((p) => (opts.log && !(p[1] > 0) ? null : p[1]))] as uPlot.AlignedData;
    });
    const data = tables.length === 1 ? tables[0] : uPlot.join(tables as uPlot.AlignedData[]);
    const points = tables.reduce((n, t) => n + t[0].length, 0);
    const width = () => Math.max(300, box.clientWidth || 600);
    plot = new uPlot({
      width: width(),
      height: 280,
      scales: { x: { time: opts.x === 'time' }, y: opts.log ? { distr: 3 } : {} },
      axes: [{ label: X_LABEL[opts.x] }, {}],
      series: [{ label: X_LABEL[opts.x] }, ...keys.map((k, i) => ({ label: k, stroke: COLORS[i % COLORS.length], width: 1.5,
        spanGaps: true, points: { show: points < 200 } }))],
    }, data, box);
    box.dataset.points = String(points);
    resizer = new ResizeObserver(() => plot?.setSize({ width: width(), height: 280 }));
    resizer.observe(box);
    if (!disposers.includes(disposeChart)) disposers.push(disposeChart);
  } catch (e) {
    if (!isAbort(e) && me === drawing) box.replaceChildren(errorBox(e));
  }
}

function disposeChart(): void {
  drawing++;
  resizer?.disconnect();
  resizer = null;
  plot?.destroy();
  plot = null;
}

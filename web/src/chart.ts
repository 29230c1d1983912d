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
let drawing = 0; // the latest call wins when checkboxes change faster than the fetches

/** Draws the history of `keys` for one run into `box` (replacing what was there). */
export async function drawChart(box: HTMLElement, runId: string, keys: string[], signal: AbortSignal,
  disposers: (() => void)[]): Promise<void> {
  const me = ++drawing;
  plot?.destroy();
  plot = null;
  box.replaceChildren();
  box.dataset.points = '0';
  if (!keys.length) return;
  try {
    const series = await Promise.all(keys.map((k) => api.historyInterval([runId], k, MAX_POINTS, signal)));
    if (me !== drawing) return;
    const tables: uPlot.AlignedData[] = series.map((s) => {
      const pts = (s.metrics || []).map((x) => [Number(x.step), typeof x.value === 'number' ? x.value : Number(x.value)])
        .sort((a, b) => a[0] - b[0]);
      return [pts.map((p) => p[0]), pts.map((p) => p[1])];
    });
    const data = tables.length === 1 ? tables[0] : uPlot.join(tables as uPlot.AlignedData[]);
    const points = tables.reduce((n, t) => n + t[0].length, 0);
    const width = () => Math.max(300, box.clientWidth || 600);
    plot = new uPlot({
      width: width(),
      height: 280,
      scales: { x: { time: false } },
      axes: [{ label: 'step' }, {}],
      series: [{ label: 'step' }, ...keys.map((k, i) => ({ label: k, stroke: COLORS[i % COLORS.length], width: 1.5,
        spanGaps: true, points: { show: points < 200 } }))],
    }, data, box);
    box.dataset.points = String(points);
    const ro = new ResizeObserver(() => plot?.setSize({ width: width(), height: 280 }));
    ro.observe(box);
    disposers.push(() => {
      ro.disconnect();
      plot?.destroy();
      plot = null;
    });
  } catch (e) {
    if (!isAbort(e) && me === drawing) box.replaceChildren(errorBox(e));
  }
}

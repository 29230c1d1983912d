// compare_charts.ts - the compare page's charts: one uPlot chart (chart.ts)
// per charted metric with every run on it, in the metrics table's order, and
// their controls (x axis, log scale, smoothing, raw lines: ?x=, log=1,
// smooth=, raw=0). It owns the charts it drew; draw() follows the charted
// set, adding and removing charts.

import {
  ChartOptions, ChartRun, MetricChart, parseSmoothing, smoothingControl, XAxis,
} from '../chart';
import { h } from '../util';
import { CompareRun } from './compare_model';
import { compareSave } from './compare_view';

export interface CompareCharts {
  controls: HTMLElement | null; // the options bar (none without metrics)
  box: HTMLElement; // the charts
  /** Makes the charts those of the charted set. */
  draw(): void;
  /** Destroys every chart and a pending restyle. */
  destroy(): void;
}

/** Charts of `runs` for the metrics of `chosen` among `keys`; the caller owns the nodes and calls destroy(). */
export function compareCharts(runs: CompareRun[], keys: string[], chosen: ReadonlySet<string>, query: URLSearchParams,
  signal: AbortSignal): CompareCharts {
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
  const box = h('div', { class: 'compare-charts', id: 'compare-charts' });
  const chartRuns: ChartRun[] = runs.map((c) => ({ id: c.id, name: c.name, start: Number(c.run.info.start_time) || 0, color: c.color }));
  const charts = new Map<string, MetricChart>();
  const options = (): ChartOptions => ({ x: xSelect.value as XAxis, log: logBox.checked, runStart: 0,
    smoothing: Number(smoothRange.value), showRaw: rawBox.checked, sync: 'compare' });

  const draw = () => {
    for (const [k, c] of charts) {
      if (chosen.has(k)) continue;
      c.destroy();
      c.box.closest('.chart-card')?.remove();
      charts.delete(k);
    }
    for (const k of keys) { // in the table's order
      if (!chosen.has(k) || charts.has(k)) continue;
      const chartBox = h('div', { class: 'chart', 'data-key': k });
      box.append(h('figure', { class: 'chart-card' }, h('figcaption', {}, k), chartBox));
      const c = new MetricChart(chartBox, signal);
      charts.set(k, c);
      void c.load(chartRuns, [k], options());
    }
    if (!chosen.size) box.replaceChildren(h('p', { class: 'muted' }, keys.length ? 'Tick metrics above to chart them.' : 'No metrics.'));
    else box.querySelector(':scope > p')?.remove();
  };
  let pending = 0;
  const restyle = () => {
    compareSave('x', xSelect.value === 'step' ? null : xSelect.value);
    compareSave('log', logBox.checked ? '1' : null);
    compareSave('smooth', Number(smoothRange.value) > 0 ? smoothRange.value : null);
    compareSave('raw', rawBox.checked ? null : '0');
    if (pending) return;
    pending = requestAnimationFrame(() => { // slider input comes faster than frames
      pending = 0;
      const o = options();
      charts.forEach((c) => c.setOptions(o));
    });
  };
  xSelect.addEventListener('change', restyle);
  logBox.addEventListener('change', restyle);
  rawBox.addEventListener('change', restyle);
  return {
    controls: keys.length ? controls : null, box, draw,
    destroy: () => {
      charts.forEach((c) => c.destroy());
      cancelAnimationFrame(pending);
    },
  };
}

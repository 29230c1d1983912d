// compare_scatter.ts - the compare page's scatter plot of one param or
// metric against another (?sx=, ?sy=; by default the first differing param
// against the first metric): one uPlot series per run, points only, and
// category axes for values that are not numbers. It owns its plot, redrawn
// when an axis changes and resized with its box.

import uPlot from 'uplot';
import { tickLabels } from '../chart';
import { fmtNumber, h } from '../util';
import { Axis, axisOf, CompareKeys, CompareRun, Field, fieldKey, fieldLabel } from './compare_model';
import { compareSave } from './compare_view';

export interface CompareScatter {
  nodes: HTMLElement[]; // the axis selects and the plot, or "No parameters or metrics."
  /** Draws the plot (once its box is laid out). */
  draw(): void;
  destroy(): void;
}

/** The scatter plot of `runs` over the fields of `keys`; the caller owns the nodes and calls destroy(). */
export function compareScatter(runs: CompareRun[], keys: CompareKeys, query: URLSearchParams): CompareScatter {
  const { fields, differing } = keys;
  const fieldSelect = (id: string, label: string, value: Field) => h('select', { id, 'aria-label': label },
    h('optgroup', { label: 'Parameters' }, ...keys.params.map((k) => h('option', { value: `p:${k}`, selected: `p:${k}` === value }, k))),
    h('optgroup', { label: 'Metrics' }, ...keys.metrics.map((k) => h('option', { value: `m:${k}`, selected: `m:${k}` === value }, k))));
  const valid = (f: string | null): f is Field => !!f && fields.includes(f);
  const sxWanted = query.get('sx'), syWanted = query.get('sy');
  const sx = valid(sxWanted) ? sxWanted : differing[0] || fields[0];
  const sy = valid(syWanted) ? syWanted : keys.metrics.length ? `m:${keys.metrics[0]}` : fields[Math.min(1, fields.length - 1)];
  const sxSelect = fieldSelect('scatter-x', 'Scatter X axis', sx);
  const sySelect = fieldSelect('scatter-y', 'Scatter Y axis', sy);
  const box = h('div', { class: 'chart scatter', id: 'scatter' });
  const plot = new ScatterPlot(box, runs);
  const redraw = () => {
    compareSave('sx', sxSelect.value);
    compareSave('sy', sySelect.value);
    plot.draw(sxSelect.value, sySelect.value);
  };
  sxSelect.addEventListener('change', redraw);
  sySelect.addEventListener('change', redraw);
  return {
    nodes: fields.length ? [h('div', { class: 'chart-controls' }, h('label', {}, 'X ', sxSelect), h('label', {}, 'Y ', sySelect)), box]
      : [h('p', { class: 'muted' }, 'No parameters or metrics.')],
    draw: () => { if (fields.length) plot.draw(sx, sy); },
    destroy: () => plot.destroy(),
  };
}

// ---- one uPlot series per run, points only ----
class ScatterPlot {
  private plot: uPlot | null = null;
  private resizer: ResizeObserver | null = null;
  constructor(private readonly box: HTMLElement, private readonly runs: CompareRun[]) {}

  draw(fx: Field, fy: Field): void {
    this.destroy();
    this.box.replaceChildren();
    const ax = axisOf(this.runs, fx), ay = axisOf(this.runs, fy);
    const pts = this.runs.map((c) => ({ x: ax.pos(c), y: ay.pos(c) }));
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
        ...this.runs.map((c) => ({
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

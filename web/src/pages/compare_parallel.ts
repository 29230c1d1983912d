// compare_parallel.ts - the compare page's parallel coordinates: an SVG
// with one vertical axis per chosen param or metric (?pc=, repeatable; by
// default the differing params and the charted metrics) and one line per
// run (hover names it, a click opens it), axes added, moved and removed with
// chips. It owns its axes and redraws itself when its box is resized.

import { navigate } from '../router';
import { fmtNumber, h } from '../util';
import { axisOf, CompareKeys, CompareRun, Field, fieldKey, fieldKind, fieldLabel, rawValue } from './compare_model';
import { swatch } from './compare_overview';
import { compareSave } from './compare_view';

const PC_DEFAULT_AXES = 6;
const PC_CHAR_PX = 7.2; // about the width of a character of the 12px axis names
const PC_TICK_PX = 14; // the least distance between two tick labels of an axis
const PC_TICK_CHARS = 14; // tick labels longer than this are cut
const PC_TICK_CHAR_PX = 6.6; // about the width of a character of the 11px tick labels
const SVG_NS = 'http://www.w3.org/2000/svg';

/**
 * The parallel coordinates of `runs`: the axes of ?pc=, else the differing
 * params and the metrics of `charted` (at most PC_DEFAULT_AXES), at least
 * two when there are. The caller owns the chart, places its root, calls
 * draw() once the root is laid out and destroy() at the end.
 */
export function compareParallel(runs: CompareRun[], keys: CompareKeys, charted: ReadonlySet<string>,
  query: URLSearchParams): ParallelCoords {
  const wanted = query.getAll('pc').filter((f) => keys.fields.includes(f));
  const axes: Field[] = wanted.length ? wanted
    : [...keys.differing, ...[...charted].map((k) => `m:${k}`)].slice(0, PC_DEFAULT_AXES);
  if (axes.length < 2) axes.push(...keys.fields.filter((f) => !axes.includes(f)).slice(0, 2 - axes.length));
  return new ParallelCoords(runs, axes, (a) => compareSave('pc', a));
}

/** SVG, one vertical axis per field, one path per run. */
export class ParallelCoords {
  readonly root: HTMLElement;
  private readonly chips = h('div', { class: 'pc-axes', id: 'pc-axes' });
  private readonly add = h('select', { id: 'pc-add', 'aria-label': 'Add an axis' });
  private readonly canvas = h('div', { class: 'parallel', id: 'parallel' });
  private readonly hover = h('p', { class: 'pc-hover', id: 'pc-hover', 'aria-live': 'polite' }, 'Hover a line to see its run.');
  private readonly resizer: ResizeObserver;
  private lastWidth = 0;

  constructor(private readonly runs: CompareRun[], private axes: Field[], private readonly save: (axes: Field[]) => void) {
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
    const paramFields = new Set(this.runs.flatMap((c) => [...c.params.keys()].map((k) => `p:${k}`)));
    const metricFields = new Set(this.runs.flatMap((c) => [...c.metrics.keys()].map((k) => `m:${k}`)));
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
    const first = this.axes.length ? axisOf(this.runs, this.axes[0]) : null;
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
    svg.setAttribute('aria-label', `Parallel coordinates of ${this.runs.length} runs over ${this.axes.length} axes`);
    if (!this.axes.length) {
      this.canvas.replaceChildren(h('p', { class: 'muted' }, 'Add an axis to draw the runs.'));
      this.canvas.dataset.lines = '0';
      return;
    }
    const axes = this.axes.map((f) => axisOf(this.runs, f));
    const span = this.axes.length > 1 ? (width - left - right) / (this.axes.length - 1) : 0;
    const xAt = (i: number) => (this.axes.length > 1 ? left + i * span : width / 2);
    const ys = axes.map((a) => {
      const vals = this.runs.map(a.pos).filter((v): v is number => v !== null);
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
    const describe = (c: CompareRun) => `${c.name}: ${this.axes.map((f) => {
      const v = rawValue(c, f);
      return `${fieldKey(f)} = ${v === undefined ? '—' : typeof v === 'number' ? fmtNumber(v) : v}`;
    }).join(', ')}`;
    for (const c of this.runs) {
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

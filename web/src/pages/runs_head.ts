// runs_head.ts - the header row of the runs table (runs_table.ts): the
// check-all box, a sort button per column (click: sort by it, again: the
// other direction) and the grip on each header's right edge that resizes its
// column. It writes the column tracks (--cols, --min-width) on the grid, so
// the rows follow; it changes the view's sort, dir, widths and checked runs
// and reports each change.

import { h } from '../util';
import { Col, colLabel, FIXED, KIND_LABEL, MIN_COL_PX, Row } from './runs_model';
import { RunsView, runsViewColumns } from './runs_view';

const PICK_W = '2.25rem'; // the checkbox column

export interface RunsHeadEvents {
  /** The checked runs (view.picked) changed. */
  picked(): void;
  /** The view's sort or direction changed. */
  sorted(): void;
  /** A column's width (view.widths) changed: the drag ended. */
  resized(): void;
}

export interface RunsHead {
  node: HTMLElement; // the header row, owned by the caller once placed
  /** How many times the header was drawn: rows drawn under an older header are stale. */
  readonly drawCount: number;
  /** Redraws the header from the view's columns, sort and widths. */
  draw(): void;
  /** Sets the check-all box from the checked runs among `rows`. */
  updateAllBox(rows: Row[]): void;
}

/** The header of `grid` over `view`; `rows()` is the loaded runs (check all). */
export function runsHead(view: RunsView, grid: HTMLElement, rows: () => Row[], emit: RunsHeadEvents): RunsHead {
  const picked = view.picked, widths = view.widths;
  const node = h('div', { class: 'vt-head', role: 'row' });
  const columns = () => runsViewColumns(view);
  let drawCount = 0;
  const allBox = h('input', { type: 'checkbox', id: 'select-all', 'aria-label': 'Check all loaded runs' });
  allBox.addEventListener('change', () => {
    rows().forEach((r) => (allBox.checked ? picked.add(r.id) : picked.delete(r.id)));
    emit.picked();
  });

  const draw = () => {
    drawCount++;
    const cols = columns();
    setWidths(cols);
    node.replaceChildren(h('label', { class: 'pick' }, allBox), ...cols.map((c) => {
      const active = c === view.sort;
      const full = c[0] === 'a' ? colLabel(c) : `${KIND_LABEL[c[0]]} ${colLabel(c)}`;
      const b = h('button', { type: 'button', class: `th${c[0] === 'm' ? ' num' : ''}`, 'data-col': c,
        title: `${full} (click to sort)`, 'aria-label': `Sort by ${full}`,
        'aria-sort': active ? (view.dir === 'asc' ? 'ascending' : 'descending') : undefined },
      c[0] !== 'a' ? h('small', {}, KIND_LABEL[c[0]]) : null, h('span', { class: 'th-name' }, colLabel(c)),
      active ? (view.dir === 'asc' ? ' ▲' : ' ▼') : '');
      const grip = h('span', { class: 'col-resize', 'data-col': c, 'aria-hidden': 'true', title: `Drag to resize ${full}` });
      grip.addEventListener('pointerdown', (ev) => startResize(ev, c, b));
      grip.addEventListener('click', (ev) => ev.stopPropagation()); // not a sort
      b.append(grip);
      b.addEventListener('click', () => {
        if (view.sort === c) view.dir = view.dir === 'asc' ? 'desc' : 'asc';
        else {
          view.sort = c;
          view.dir = c === 'a:run_name' ? 'asc' : 'desc';
        }
        emit.sorted();
      });
      return b;
    }));
  };

  function setWidths(cols: Col[]): void {
    const tracks = cols.map((c) => {
      const px = widths.get(c);
      return px ? `${px}px` : FIXED.find((f) => f.col === c)?.width || 'minmax(7rem, 1fr)';
    });
    grid.style.setProperty('--cols', [PICK_W, ...tracks].join(' '));
    const fixedPx = cols.reduce((n, c) => n + (widths.get(c) || 0), 0);
    const rem = 22 + 7 * cols.filter((c) => !widths.has(c)).length;
    grid.style.setProperty('--min-width', `calc(${rem}rem + ${fixedPx}px)`);
  }
  /** Dragging a header's right edge: the column follows the pointer (the rows too, as they share --cols). */
  function startResize(ev: PointerEvent, c: Col, th: HTMLElement): void {
    ev.preventDefault();
    ev.stopPropagation();
    const grip = ev.currentTarget as HTMLElement;
    grip.setPointerCapture(ev.pointerId);
    const x0 = ev.clientX, w0 = th.getBoundingClientRect().width;
    const move = (e: PointerEvent) => {
      widths.set(c, Math.max(MIN_COL_PX, Math.round(w0 + e.clientX - x0)));
      setWidths(columns());
    };
    const up = () => {
      grip.removeEventListener('pointermove', move);
      grip.removeEventListener('pointerup', up);
      grip.removeEventListener('pointercancel', up);
      emit.resized();
    };
    grip.addEventListener('pointermove', move);
    grip.addEventListener('pointerup', up);
    grip.addEventListener('pointercancel', up);
  }

  return {
    node,
    get drawCount() { return drawCount; },
    draw,
    updateAllBox: (loaded: Row[]) => {
      const loadedPicked = loaded.reduce((k, r) => k + Number(picked.has(r.id)), 0);
      allBox.checked = !!loaded.length && loadedPicked === loaded.length;
      allBox.indeterminate = loadedPicked > 0 && loadedPicked < loaded.length;
    },
  };
}

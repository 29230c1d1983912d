// runs_table.ts - the runs table's virtual grid: its header (runs_head.ts)
// and the rows, of which only those in view are in the DOM, so 10,000 runs
// cost no more to draw than 30. It owns the rows as loaded (in the server's
// order), the rows as drawn (children under their expanded parents,
// runs_group.ts), the keyboard's row, the Shift-click anchor and the drawing
// itself; it reads the view's columns and checked runs, and reports checks,
// sorts, resizes and draws to the page through its callbacks.

import { link } from '../router';
import { h } from '../util';
import { groupRuns } from './runs_group';
import { cellText, Row } from './runs_model';
import { runsHead, RunsHeadEvents } from './runs_head';
import { RunsView, runsViewColumns } from './runs_view';

export const ROW_H = 28;
const OVERSCAN = 8;

export interface RunsTableEvents extends RunsHeadEvents {
  /** Rows were drawn; `nearEnd`: the rows in view are close to the last loaded one. */
  drawn(nearEnd: boolean): void;
}

export interface RunsTable {
  scroller: HTMLElement; // the grid, owned by the caller once placed
  /** The rows as loaded; the array belongs to the table. */
  readonly rows: Row[];
  /** The rows as drawn; the array belongs to the table. */
  readonly shown: Row[];
  /** The keyboard's row in `shown`, or -1. */
  readonly selected: number;
  /** Replaces the loaded rows (the table keeps the array) and regroups them. */
  setRows(rows: Row[]): void;
  /** Inserts runs above the loaded ones, keeping the rows in view put unless at the top; draws now. */
  prepend(add: Row[]): void;
  /** Forgets the keyboard's row and the anchor and scrolls to the top (a reload). */
  reset(): void;
  /** The number of runs drawn under a parent. */
  nested(): number;
  /** The number of loaded children of run `id`. */
  kids(id: string): number;
  /** The shown rows in view (no overscan): a new array. */
  inView(): Row[];
  /** Checks or unchecks row i (with `range`, up to the anchor too). */
  toggle(i: number, range: boolean): void;
  /** Shows or hides the child runs of run `id`. */
  setExpanded(id: string, open: boolean): void;
  /** Moves the keyboard's row to i, scrolls it into view and draws. */
  select(i: number): void;
  /** Sets the check-all box from the checked runs. */
  updateAllBox(): void;
  drawHead(): void;
  drawRows(): void;
  /** Draws in the next frame. */
  schedule(): void;
  dispose(): void;
}

/** Builds an empty table over `view`; the caller owns the result and calls dispose(). */
export function runsTable(view: RunsView, emit: RunsTableEvents): RunsTable {
  const picked = view.picked;
  let rows: Row[] = []; // as loaded, in the server's order
  let shown: Row[] = []; // as drawn: children under their parents (regroup())
  const expanded = new Set<string>(); // parents whose children are shown
  let depth = new Map<string, number>(), kidCount = new Map<string, number>();
  let selected = -1, anchor = -1; // anchor: the last row checked by a click: shift-click checks the range up to here
  // the keyboard's row and the Shift-click anchor stay on their runs when rows move
  const regroup = () => {
    const sel = shown[selected]?.id, anc = shown[anchor]?.id;
    const g = groupRuns(rows, expanded);
    shown = g.shown;
    depth = g.depth;
    kidCount = g.kids;
    const at = new Map(shown.map((r, i) => [r.id, i]));
    selected = sel ? at.get(sel) ?? -1 : -1;
    anchor = anc ? at.get(anc) ?? -1 : -1;
  };

  const body = h('div', { class: 'vt-body', role: 'rowgroup' });
  const scroller = h('div', { class: 'vt', id: 'runs-table', role: 'grid', tabindex: '0', 'aria-label': 'Runs' });
  const head = runsHead(view, scroller, () => rows, emit);
  scroller.append(head.node, body);
  const columns = () => runsViewColumns(view);

  // ---- checked rows: clicks and Shift-clicks ----
  const toggle = (i: number, range: boolean) => {
    const r = shown[i];
    if (!r) return;
    const on = !picked.has(r.id);
    const [a, b] = range && anchor >= 0 ? [Math.min(anchor, i), Math.max(anchor, i)] : [i, i];
    for (let k = a; k <= b && k < shown.length; k++) {
      if (on) picked.add(shown[k].id);
      else picked.delete(shown[k].id);
    }
    anchor = i;
    emit.picked();
  };

  // ---- the rows in view ----
  /** Puts a row element at row index i. */
  const placeRow = (a: HTMLElement, i: number) => {
    a.setAttribute('aria-rowindex', String(i + 2)); // the header is row 1
    a.style.transform = `translateY(${i * ROW_H}px)`;
    a.dataset.index = String(i);
    a.classList.toggle('odd', i % 2 === 1);
  };
  let frame = 0;
  // Row elements drawn, by what they show: a row that has not changed keeps its
  // element (a click whose mousedown and mouseup land on different elements is lost).
  let drawn = new Map<string, HTMLElement>();
  const drawnRow = new WeakMap<HTMLElement, Row>();
  const drawRows = () => {
    frame = 0;
    const cols = columns();
    body.style.height = `${shown.length * ROW_H}px`;
    const top = Math.max(0, scroller.scrollTop - head.node.offsetHeight);
    const first = Math.max(0, Math.floor(top / ROW_H) - OVERSCAN);
    const last = Math.min(shown.length, Math.ceil((top + scroller.clientHeight) / ROW_H) + OVERSCAN);
    const next = new Map<string, HTMLElement>();
    const order: (HTMLElement | null)[] = []; // per row in view: its kept element, or null (to build)
    const keys: string[] = [];
    for (let i = first; i < last; i++) {
      const r = shown[i];
      const key = `${head.drawCount}|${r.id}|${i === selected ? 1 : 0}|${picked.has(r.id) ? 1 : 0}|` +
        `${depth.get(r.id) || 0}|${kidCount.get(r.id) || 0}|${expanded.has(r.id) ? 1 : 0}`;
      const old = drawn.get(key);
      const keep = old && drawnRow.get(old) === r ? old : null;
      if (keep) {
        drawn.delete(key);
        if (keep.dataset.index !== String(i)) placeRow(keep, i); // runs were inserted above it
      }
      order.push(keep);
      keys.push(key);
    }
    drawn.forEach((el) => el.remove()); // first the stale rows, so kept ones never move
    let prev: Element | null = null;
    for (let i = first; i < last; i++) {
      const key = keys[i - first];
      const kept = order[i - first];
      if (kept) {
        next.set(key, kept);
        prev = kept;
        continue;
      }
      const r = shown[i];
      const on = picked.has(r.id);
      const a = link(`runs/${encodeURIComponent(r.id)}`, '', `vt-row${i === selected ? ' selected' : ''}` +
        `${on ? ' checked' : ''}${r.deleted ? ' deleted' : ''}`);
      a.setAttribute('role', 'row');
      a.setAttribute('aria-selected', String(on));
      placeRow(a, i);
      a.dataset.runId = r.id;
      a.tabIndex = -1;
      // not an <input>: interactive content inside a link is invalid; clicks are handled on the body
      a.append(h('span', { class: 'pick', role: 'checkbox', 'aria-checked': String(on), 'aria-label': `Check ${r.name}` },
        h('span', { class: 'box', 'aria-hidden': 'true' }, on ? '✓' : '')));
      for (const c of cols) {
        const t = cellText(r, c);
        const cell = h('span', { class: `td${c[0] === 'm' ? ' num' : ''}${c === 'a:status' ? ` st-${t}` : ''}`, role: 'gridcell', 'data-col': c, title: t });
        if (c === 'a:run_name') nameCell(cell, r, t);
        else cell.textContent = t;
        a.append(cell);
      }
      drawnRow.set(a, r);
      next.set(key, a);
      body.insertBefore(a, prev ? prev.nextSibling : body.firstChild); // DOM order = row order
      prev = a;
    }
    drawn = next;
    emit.drawn(last > shown.length - OVERSCAN * 4);
  };
  /** The run name, indented by nesting depth, after the expand/collapse toggle of a parent. */
  function nameCell(cell: HTMLElement, r: Row, t: string): void {
    const d = depth.get(r.id) || 0, n = kidCount.get(r.id) || 0;
    if (d) cell.style.paddingLeft = `${8 + d * 18}px`;
    if (n) {
      const open = expanded.has(r.id);
      cell.append(h('span', { class: 'expander', role: 'button', 'aria-expanded': String(open), 'data-run-id': r.id,
        title: `${open ? 'Hide' : 'Show'} ${n} child run${n === 1 ? '' : 's'}`, 'aria-label': `${open ? 'Collapse' : 'Expand'} ${t}` },
      `${open ? '▾' : '▸'} ${n}`), ' ');
    } else if (d) cell.append(h('span', { class: 'child-mark', 'aria-hidden': 'true' }, '└ '));
    cell.append(t);
  }
  const setExpanded = (id: string, open: boolean) => {
    if (open === expanded.has(id)) return;
    if (open) expanded.add(id);
    else expanded.delete(id);
    regroup();
    schedule();
  };
  body.addEventListener('click', (ev) => {
    const exp = (ev.target as Element).closest('.expander') as HTMLElement | null;
    if (exp) {
      ev.preventDefault(); // not the row's link
      setExpanded(exp.dataset.runId || '', !expanded.has(exp.dataset.runId || ''));
      return;
    }
    const box = (ev.target as Element).closest('.pick');
    if (!box) return;
    ev.preventDefault(); // no navigation (the router skips prevented clicks)
    const i = Number((box.parentElement as HTMLElement).dataset.index);
    toggle(i, ev.shiftKey);
  });
  const schedule = () => {
    if (!frame) frame = requestAnimationFrame(drawRows);
  };
  scroller.addEventListener('scroll', schedule, { passive: true });
  const resize = new ResizeObserver(schedule);
  resize.observe(scroller);

  return {
    scroller,
    get rows() { return rows; },
    get shown() { return shown; },
    get selected() { return selected; },
    setRows: (next: Row[]) => {
      rows = next;
      regroup();
    },
    prepend: (add: Row[]) => {
      // Rows move down by add.length; unless the user is at the top (where new
      // runs should show), scroll by as much, so the rows in view stay put.
      const atTop = scroller.scrollTop < ROW_H / 2;
      const before = shown.length;
      rows = add.concat(rows);
      regroup();
      const shift = (shown.length - before) * ROW_H; // new children of collapsed parents add no row
      body.style.height = `${shown.length * ROW_H}px`;
      if (!atTop) scroller.scrollTop += shift;
      if (frame) cancelAnimationFrame(frame);
      drawRows(); // now, before the next paint: nothing flickers
    },
    reset: () => {
      selected = -1;
      anchor = -1;
      scroller.scrollTop = 0;
    },
    nested: () => [...kidCount.values()].reduce((n, k) => n + k, 0),
    kids: (id: string) => kidCount.get(id) || 0,
    inView: () => {
      const top = Math.max(0, scroller.scrollTop - head.node.offsetHeight);
      const first = Math.max(0, Math.floor(top / ROW_H));
      const last = Math.min(shown.length, Math.ceil((top + scroller.clientHeight) / ROW_H));
      return shown.slice(first, last);
    },
    toggle,
    setExpanded,
    select: (i: number) => {
      selected = i;
      const y = selected * ROW_H, viewH = scroller.clientHeight - head.node.offsetHeight;
      if (y < scroller.scrollTop) scroller.scrollTop = y;
      else if (y + ROW_H > scroller.scrollTop + viewH) scroller.scrollTop = y + ROW_H - viewH;
      drawRows();
    },
    updateAllBox: () => head.updateAllBox(rows),
    drawHead: () => head.draw(),
    drawRows,
    schedule,
    dispose: () => {
      resize.disconnect();
      if (frame) cancelAnimationFrame(frame);
    },
  };
}

// runs_chooser.ts - the runs table's column chooser: the metric, param and
// tag keys seen in the loaded runs (RunKeys), and the "Columns" button's
// panel, a filter box over thousands of keys with a bounded list of
// checkboxes. Checking a key changes the view's columns and tells the page.

import { h } from '../util';
import { Col, KIND_LABEL, Row } from './runs_model';
import { RunsView } from './runs_view';

const CHOOSER_LIMIT = 200;

/** The keys of the loaded runs, by kind. */
export class RunKeys {
  readonly m = new Set<string>();
  readonly p = new Set<string>();
  readonly t = new Set<string>();

  /** Notes the keys of `rows`; true when one was new. */
  add(rows: Iterable<Row>): boolean {
    let newKeys = false;
    for (const row of rows)
      for (const k of ['m', 'p', 't'] as const)
        for (const key of row[k].keys())
          if (!this[k].has(key)) {
            this[k].add(key);
            newKeys = true;
          }
    return newKeys;
  }

  /** The default pick: a few metrics and params (a new array). */
  defaultColumns(): Col[] {
    return [...[...this.m].sort().slice(0, 4).map((k) => `m:${k}`), ...[...this.p].sort().slice(0, 4).map((k) => `p:${k}`)];
  }
}

export interface RunsChooser {
  wrap: HTMLElement; // the button and its panel, owned by the caller once placed
  /** Redraws the list if the panel is open (keys were added). */
  refresh(): void;
}

/** Builds the chooser over `keys` and `view.cols`; `onChosen` runs after the user changed view.cols. */
export function runsChooser(keys: RunKeys, view: RunsView, onChosen: () => void): RunsChooser {
  const colBtn = h('button', { type: 'button', id: 'columns-button', 'aria-expanded': 'false' }, 'Columns');
  const chooser = h('div', { class: 'chooser', id: 'column-chooser', hidden: true });
  const chooserFilter = h('input', { type: 'search', placeholder: 'Find a metric, param or tag', 'aria-label': 'Find a column' });
  const chooserList = h('div', { class: 'chooser-list' });
  chooser.append(chooserFilter, chooserList);
  function draw(): void {
    const q = chooserFilter.value.trim().toLowerCase();
    const chosen = new Set(view.cols || []);
    const items: HTMLElement[] = [];
    let total = 0;
    for (const k of ['m', 'p', 't'] as const) {
      const all = [...keys[k]].sort();
      const hits = q ? all.filter((x) => x.toLowerCase().includes(q)) : all;
      total += hits.length;
      if (!hits.length) continue;
      items.push(h('div', { class: 'chooser-kind' }, `${KIND_LABEL[k]}s (${hits.length})`));
      for (const key of hits.slice(0, CHOOSER_LIMIT)) {
        const col = `${k}:${key}`;
        const box = h('input', { type: 'checkbox', 'data-col': col, checked: chosen.has(col) });
        box.addEventListener('change', () => {
          const cur = view.cols || [];
          view.cols = box.checked ? [...cur, col] : cur.filter((c) => c !== col);
          onChosen();
        });
        items.push(h('label', {}, box, key));
      }
      if (hits.length > CHOOSER_LIMIT)
        items.push(h('div', { class: 'muted' }, `…and ${hits.length - CHOOSER_LIMIT} more: type to narrow`));
    }
    if (!total) items.push(h('div', { class: 'muted' }, q ? 'No key matches.' : 'No keys in the loaded runs.'));
    chooserList.replaceChildren(...items);
  }
  chooserFilter.addEventListener('input', draw);
  const toggle = (open: boolean) => {
    chooser.hidden = !open;
    colBtn.setAttribute('aria-expanded', String(open));
    if (open) {
      draw();
      chooserFilter.focus();
    }
  };
  colBtn.addEventListener('click', () => toggle(chooser.hidden));
  chooser.addEventListener('keydown', (ev) => {
    if (ev.key === 'Escape') {
      toggle(false);
      colBtn.focus();
    }
  });
  return {
    wrap: h('div', { class: 'chooser-wrap' }, colBtn, chooser),
    refresh: () => {
      if (!chooser.hidden) draw();
    },
  };
}

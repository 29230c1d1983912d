// compare_params.ts - the compare page's parameter table: one row per param,
// rows whose values differ between the runs highlighted, and the "only
// differences" box (?diff=1) that hides the rest. It owns the box's state;
// the metrics table follows the same box through `changed`.

import { h } from '../util';
import { CompareRun, same } from './compare_model';
import { compareHead } from './compare_overview';
import { compareSave } from './compare_view';

export interface CompareParams {
  head: HTMLElement; // "Parameters (n)" and the "only differences" box
  table: HTMLElement; // the table, or "No parameters."
  /** Whether "only differences" is ticked. */
  onlyDiff(): boolean;
  /** Shows or hides the rows as the box says. */
  apply(): void;
}

/** The parameter table of `runs` over `keys`; `changed` runs after the box changes. The caller owns the nodes. */
export function compareParams(runs: CompareRun[], keys: string[], query: URLSearchParams, changed: () => void): CompareParams {
  const box = h('input', { type: 'checkbox', id: 'only-diff', checked: query.get('diff') === '1' });
  const rows = keys.map((k) => {
    const vals = runs.map((c) => c.params.get(k));
    const differs = !same(vals);
    return h('tr', { class: differs ? 'diff' : 'same', 'data-key': k }, h('th', { scope: 'row' }, k),
      ...vals.map((v) => (v === undefined ? h('td', { class: 'muted' }, '—') : h('td', {}, v))));
  });
  const table = keys.length
    ? h('table', { class: 'grid compare-grid', id: 'compare-params' }, compareHead(runs, 'Parameter'), h('tbody', {}, ...rows))
    : h('p', { class: 'muted', id: 'compare-params' }, 'No parameters.');
  const apply = () => rows.forEach((tr) => { tr.hidden = box.checked && tr.classList.contains('same'); });
  box.addEventListener('change', () => {
    compareSave('diff', box.checked ? '1' : null);
    apply();
    changed();
  });
  const head = h('div', { class: 'section-head' }, h('h2', {}, `Parameters (${keys.length})`),
    h('label', {}, box, ' only differences'));
  return { head, table, onlyDiff: () => box.checked, apply };
}

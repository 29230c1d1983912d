// compare_metrics.ts - the compare page's metrics table: the latest value of
// each metric in each run, the best of each row highlighted (smaller or
// larger is better by the metric's name), a box per row that charts it
// (?metric=, the first metric when the URL names none), and a filter by name
// when there are many. It owns the set of charted metrics, which the charts
// read, and tells the page when it changes.

import { fmtNumber, h } from '../util';
import { asNumber, CompareRun, LOWER_IS_BETTER, same } from './compare_model';
import { compareHead } from './compare_overview';
import { compareSave } from './compare_view';

const FILTER_FROM = 10; // more metrics than this get the filter box

export interface CompareMetrics {
  table: HTMLElement; // the table, or "No metrics."
  filter: HTMLInputElement | null; // the name filter, when there are many metrics
  /** The charted metrics (the set belongs to the table; readers must not change it). */
  readonly chosen: ReadonlySet<string>;
  /** Shows or hides the rows by the filter and "only differences". */
  apply(): void;
}

/**
 * The metrics table of `runs` over `keys`. `onlyDiff` says whether only the
 * rows that differ are shown; `charted` runs after a box changes the charted
 * set. The caller owns the nodes.
 */
export function compareMetrics(runs: CompareRun[], keys: string[], query: URLSearchParams, onlyDiff: () => boolean,
  charted: () => void): CompareMetrics {
  const chosen = new Set(query.getAll('metric').filter((k) => keys.includes(k)));
  if (!query.has('metric') && keys.length) chosen.add(keys[0]);
  const rows = keys.map((k) => {
    const vals = runs.map((c) => c.metrics.get(k));
    const nums = vals.map(asNumber);
    const lower = LOWER_IS_BETTER.test(k);
    const finite = nums.filter((n): n is number => n !== null);
    const best = finite.length > 1 && !same(finite) ? (lower ? Math.min(...finite) : Math.max(...finite)) : null;
    const box = h('input', { type: 'checkbox', 'data-metric': k, checked: chosen.has(k), 'aria-label': `Chart ${k}` });
    box.addEventListener('change', () => {
      if (box.checked) chosen.add(k);
      else chosen.delete(k);
      compareSave('metric', [...chosen]);
      charted();
    });
    return h('tr', { class: same(vals) ? 'same' : 'diff', 'data-key': k }, h('td', {}, box),
      h('th', { scope: 'row', title: lower ? 'lower is better' : 'higher is better' }, k, h('small', { class: 'muted' }, lower ? ' ↓' : ' ↑')),
      ...vals.map((v, i) => (v === undefined ? h('td', { class: 'num muted' }, '—')
        : h('td', { class: `num${best !== null && nums[i] === best ? ' best' : ''}`, title: best !== null && nums[i] === best ? 'best' : undefined },
          fmtNumber(v)))));
  });
  const table = keys.length
    ? h('table', { class: 'grid compare-grid', id: 'compare-metrics' }, (() => {
      const head = compareHead(runs, 'Metric');
      head.firstElementChild!.prepend(h('th', {}, 'Chart'));
      return head;
    })(), h('tbody', {}, ...rows))
    : h('p', { class: 'muted', id: 'compare-metrics' }, 'No metrics.');
  const filter = h('input', { type: 'search', placeholder: `Filter ${keys.length} metrics`, 'aria-label': 'Filter metrics',
    id: 'compare-metric-filter' });
  const apply = () => {
    const q = filter.value.trim().toLowerCase();
    rows.forEach((tr, i) => {
      tr.hidden = (onlyDiff() && tr.classList.contains('same')) || (!!q && !keys[i].toLowerCase().includes(q));
    });
  };
  filter.addEventListener('input', apply);
  return { table, filter: keys.length > FILTER_FROM ? filter : null, chosen, apply };
}

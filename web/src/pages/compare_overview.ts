// compare_overview.ts - the head row every table of the compare page starts
// with (one column per run: its colour chip and a link to it) and the
// overview table (experiment, status, start, duration, run id). It keeps no
// state; the experiment links come from the page, which names them later.

import { link } from '../router';
import { fmtDuration, fmtTime, h } from '../util';
import { CompareRun } from './compare_model';

/** A colour chip; its colour is set through the CSSOM (a style attribute would need 'unsafe-inline' under the UI's CSP). */
export function swatch(color: string): HTMLElement {
  const s = h('span', { class: 'swatch' });
  s.style.background = color;
  return s;
}

/** The <thead> of a compare table: `first` over the row names, then one column per run (the caller owns it). */
export function compareHead(runs: CompareRun[], first: string): HTMLElement {
  return h('thead', {}, h('tr', {}, h('th', {}, first), ...runs.map((c) => h('th', { class: 'run-col', 'data-run': c.id },
    swatch(c.color), link(`runs/${encodeURIComponent(c.id)}`, c.name)))));
}

/** The overview table of `runs`; `expLink` makes each experiment's link. The caller owns the table. */
export function compareOverview(runs: CompareRun[], expLink: (id: string) => HTMLAnchorElement): HTMLElement {
  return h('table', { class: 'grid compare-grid', id: 'compare-overview' }, compareHead(runs, 'Run'),
    h('tbody', {},
      h('tr', {}, h('th', { scope: 'row' }, 'Experiment'), ...runs.map((c) => h('td', {}, expLink(c.run.info.experiment_id)))),
      h('tr', {}, h('th', { scope: 'row' }, 'Status'), ...runs.map((c) => h('td', { class: `st-${c.run.info.status}` }, c.run.info.status || ''))),
      h('tr', {}, h('th', { scope: 'row' }, 'Started'), ...runs.map((c) => h('td', {}, fmtTime(c.run.info.start_time)))),
      h('tr', {}, h('th', { scope: 'row' }, 'Duration'), ...runs.map((c) => h('td', {}, fmtDuration(c.run.info.start_time, c.run.info.end_time)))),
      h('tr', {}, h('th', { scope: 'row' }, 'Run ID'), ...runs.map((c) => h('td', {}, h('code', {}, c.id))))));
}

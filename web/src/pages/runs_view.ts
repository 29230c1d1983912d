// runs_view.ts - what the user chose for an experiment's runs table, as the
// URL keeps it (?filter=, ?sort=, ?dir=, ?cols=, ?lifecycle=, ?sel=, ?w=):
// read from the query when the page opens, written back on every change, so
// a view can be bookmarked. The page owns the one RunsView; its components
// read and change its fields.

import { Col, FIXED, LIFECYCLES, parseWidths } from './runs_model';

export const URL_SEL_MAX = 500; // more checked runs than this are not written into ?sel= (the URL would be huge)

export interface RunsView {
  filter: string;
  sort: Col;
  dir: string; // 'asc' or 'desc'
  cols: Col[] | null; // the chosen columns after the fixed ones; null: not chosen yet (the default pick)
  lifecycle: string; // a LIFECYCLES value
  picked: Set<string>; // checked runs, by id, in the order they were checked
  widths: Map<Col, number>; // columns resized by the user, in px
}

/** The view a query asks for; the caller owns the new object. */
export function runsViewFromQuery(query: URLSearchParams): RunsView {
  return {
    filter: query.get('filter') || '',
    sort: query.get('sort') || 'a:start_time',
    dir: query.get('dir') === 'asc' ? 'asc' : 'desc',
    cols: query.has('cols') ? (query.get('cols') || '').split(',').filter((c) => /^[mpt]:./.test(c)) : null,
    lifecycle: LIFECYCLES.some((l) => l.value === query.get('lifecycle')) ? query.get('lifecycle')! : 'active',
    picked: new Set((query.get('sel') || '').split(',').filter(Boolean)),
    widths: parseWidths(query.get('w')),
  };
}

/** The query that keeps `v` (defaults left out); the caller owns it. */
export function runsViewToQuery(v: RunsView): URLSearchParams {
  const q = new URLSearchParams();
  if (v.filter) q.set('filter', v.filter);
  if (v.sort !== 'a:start_time' || v.dir !== 'desc') {
    q.set('sort', v.sort);
    q.set('dir', v.dir);
  }
  if (v.cols) q.set('cols', v.cols.join(','));
  if (v.lifecycle !== 'active') q.set('lifecycle', v.lifecycle);
  if (v.picked.size && v.picked.size <= URL_SEL_MAX) q.set('sel', [...v.picked].join(','));
  if (v.widths.size) q.set('w', [...v.widths].map(([c, px]) => `${c}~${px}`).join('|'));
  return q;
}

/** Every column drawn: the fixed ones, then the chosen ones (a new array). */
export function runsViewColumns(v: RunsView): Col[] {
  return [...FIXED.map((f) => f.col), ...(v.cols || [])];
}

/** The run_view_type runs/search is asked for. */
export function runsViewType(v: RunsView): string {
  return LIFECYCLES.find((l) => l.value === v.lifecycle)!.view;
}

/** Newest first: the order new runs can be inserted at the top of. */
export function runsViewDefaultOrder(v: RunsView): boolean {
  return v.sort === 'a:start_time' && v.dir === 'desc';
}

// runs_model.ts - the runs table's data model, free of DOM and state: the
// lifecycle choices, the fixed and per-key columns (a Col is "a:name",
// "m:key", "p:key" or "t:key"), a run flattened to a Row, a cell's text, a
// column's label and order_by clause, and ?w= column widths. runs.ts and its
// components read these; none of them keeps state.

import { Run } from '../api';
import { fmtAgo, fmtNumber, fmtTime } from '../util';

/** ?lifecycle= values and the run_view_type each asks for. */
export const LIFECYCLES: { value: string; label: string; view: string }[] = [
  { value: 'active', label: 'Active', view: 'ACTIVE_ONLY' },
  { value: 'deleted', label: 'Deleted', view: 'DELETED_ONLY' },
  { value: 'all', label: 'All', view: 'ALL' },
];

/** A column: "a:<attribute>", "m:<metric>", "p:<param>" or "t:<tag>". */
export type Col = string;
export const KIND_FIELD: Record<string, string> = { m: 'metrics', p: 'params', t: 'tags', a: 'attributes' };
export const KIND_LABEL: Record<string, string> = { m: 'metric', p: 'param', t: 'tag' };
export const FIXED: { col: Col; label: string; width: string }[] = [
  { col: 'a:run_name', label: 'Run name', width: 'minmax(10rem, 1.6fr)' },
  { col: 'a:start_time', label: 'Created', width: '18.5rem' },
  { col: 'a:status', label: 'Status', width: '6.5rem' },
];

export interface Row {
  id: string; name: string; status: string; start?: number; end?: number; deleted: boolean; parent?: string;
  m: Map<string, number | string>; p: Map<string, string>; t: Map<string, string>;
}
export const PARENT_TAG = 'mlflow.parentRunId';
export const MIN_COL_PX = 48;

export function toRow(r: Run): Row {
  return {
    id: r.info.run_id, name: r.info.run_name || r.info.run_id, status: r.info.status || '',
    start: r.info.start_time, end: r.info.end_time, deleted: r.info.lifecycle_stage === 'deleted',
    m: new Map((r.data.metrics || []).map((x) => [x.key, x.value])),
    p: new Map((r.data.params || []).map((x) => [x.key, x.value])),
    t: new Map((r.data.tags || []).map((x) => [x.key, x.value])),
    parent: r.data.tags?.find((x) => x.key === PARENT_TAG)?.value,
  };
}

export function cellText(row: Row, col: Col): string {
  const kind = col[0], key = col.slice(2);
  if (kind === 'm') return fmtNumber(row.m.get(key));
  if (kind === 'p') return row.p.get(key) ?? '';
  if (kind === 't') return row.t.get(key) ?? '';
  if (key === 'run_name') return row.name;
  if (key === 'start_time') {
    const ago = fmtAgo(row.start);
    return ago ? `${fmtTime(row.start)} (${ago})` : fmtTime(row.start);
  }
  if (key === 'status') return row.status;
  return '';
}

/** MLflow order_by clause for a column. */
export function orderBy(col: Col, dir: string): string {
  const kind = col[0], key = col.slice(2);
  const name = kind === 'a' ? key : `\`${key}\``;
  return `${KIND_FIELD[kind]}.${name} ${dir === 'asc' ? 'ASC' : 'DESC'}`;
}

export function colLabel(col: Col): string {
  const f = FIXED.find((x) => x.col === col);
  return f ? f.label : col.slice(2);
}

/** ?w=: column widths in px, "<col>~<px>" joined by "|" (a key may hold commas). */
export function parseWidths(s: string | null): Map<Col, number> {
  const out = new Map<Col, number>();
  for (const part of (s || '').split('|')) {
    const at = part.lastIndexOf('~');
    const px = Number(part.slice(at + 1));
    if (at > 2 && Number.isFinite(px) && px >= MIN_COL_PX) out.set(part.slice(0, at), Math.min(2000, Math.round(px)));
  }
  return out;
}

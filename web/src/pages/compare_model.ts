// compare_model.ts - the compare page's data model, free of DOM and state: a
// compared run (its colour and its latest params and metrics by key), a field
// ("p:<param>" or "m:<metric>") and its value in a run, numbers read from
// values, an axis placing a field's values (numbers as they are, or sorted
// categories), which metrics are better when lower, and the keys the runs
// have. compare.ts and its components read these; none of them keeps state.

import { Run } from '../api';
import { seriesColor } from '../chart';

// metrics where a smaller value is better; every other metric: larger is better
export const LOWER_IS_BETTER = /loss|err|mse|mae|rmse|mape|perplexity|latency|time|duration|cost|regret|distance/i;

/** A compared run with its colour (the same in every chart) and latest metrics/params by key. */
export interface CompareRun {
  run: Run; id: string; name: string; color: string;
  params: Map<string, string>; metrics: Map<string, number | string>;
}

/** The `i`-th compared run of `run`; the caller owns the new object. */
export function compareRunOf(run: Run, i: number): CompareRun {
  return {
    run, id: run.info.run_id, name: run.info.run_name || run.info.run_id, color: seriesColor(i),
    params: new Map((run.data.params || []).map((p) => [p.key, p.value])),
    metrics: new Map((run.data.metrics || []).map((m) => [m.key, m.value])),
  };
}

/** A field: "p:<param>" or "m:<metric>". */
export type Field = string;

export const fieldKind = (f: Field) => f.slice(0, 2);
export const fieldKey = (f: Field) => f.slice(2);
export const fieldLabel = (f: Field) => `${fieldKind(f) === 'p:' ? 'param' : 'metric'} ${fieldKey(f)}`;

export function rawValue(c: CompareRun, f: Field): string | number | undefined {
  return fieldKind(f) === 'p:' ? c.params.get(fieldKey(f)) : c.metrics.get(fieldKey(f));
}

export function asNumber(v: string | number | undefined): number | null {
  if (v === undefined) return null;
  if (typeof v === 'number') return Number.isFinite(v) ? v : null;
  if (!v.trim()) return null;
  const n = Number(v);
  return Number.isFinite(n) ? n : null;
}

export function same(values: (string | number | undefined)[]): boolean {
  return values.every((v) => String(v) === String(values[0]));
}

/**
 * How a field is placed on an axis: numbers as they are, or (when some value
 * is not a number) the sorted distinct values as categories 0, 1, 2, ...
 */
export interface Axis { field: Field; cats: string[] | null; pos: (c: CompareRun) => number | null }

/** The axis of `f` over `runs`; the caller owns it. */
export function axisOf(runs: CompareRun[], f: Field): Axis {
  const vals = runs.map((c) => rawValue(c, f)).filter((v) => v !== undefined) as (string | number)[];
  if (vals.every((v) => asNumber(v) !== null)) return { field: f, cats: null, pos: (c) => asNumber(rawValue(c, f)) };
  const cats = [...new Set(vals.map(String))].sort((a, b) => a.localeCompare(b, undefined, { numeric: true }));
  return { field: f, cats, pos: (c) => { const v = rawValue(c, f); return v === undefined ? null : cats.indexOf(String(v)); } };
}

/** The keys the runs have, sorted: params, metrics, both as fields, and the params whose values differ. */
export interface CompareKeys { params: string[]; metrics: string[]; fields: Field[]; differing: Field[] }

/** The keys of `runs`; the caller owns the new arrays. */
export function compareKeys(runs: CompareRun[]): CompareKeys {
  const params = [...new Set(runs.flatMap((c) => [...c.params.keys()]))].sort();
  const metrics = [...new Set(runs.flatMap((c) => [...c.metrics.keys()]))].sort();
  return {
    params, metrics,
    fields: [...params.map((k) => `p:${k}`), ...metrics.map((k) => `m:${k}`)],
    differing: params.filter((k) => !same(runs.map((c) => c.params.get(k)))).map((k) => `p:${k}`),
  };
}

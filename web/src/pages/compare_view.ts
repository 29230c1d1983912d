// compare_view.ts - what the user chose on the compare page, as the URL keeps
// it: ?runs= (the compared runs), ?metric= (repeatable: the charted
// metrics), x=, log=1, smooth=, raw=0 (the charts' options), diff=1 (only
// differences), sx=, sy= (the scatter plot's axes), pc= (repeatable: the
// parallel coordinates' axes). Each component reads its choices from the
// query when the page opens and writes its own parameter back on every
// change, so a comparison can be bookmarked. It keeps no state: the address
// bar does.

import { setQuery } from '../router';

export const MAX_RUNS = 100;

/** The run ids of ?runs=, deduplicated, at most MAX_RUNS (a new array). */
export function compareRunIds(query: URLSearchParams): string[] {
  return [...new Set((query.get('runs') || '').split(',').map((s) => s.trim()).filter(Boolean))].slice(0, MAX_RUNS);
}

/** Sets or deletes one query parameter (repeated when given a list) in the address bar. */
export function compareSave(name: string, value: string | string[] | null): void {
  const q = new URLSearchParams(location.search);
  q.delete(name);
  if (Array.isArray(value)) value.forEach((v) => q.append(name, v));
  else if (value !== null) q.set(name, value);
  setQuery(q);
}

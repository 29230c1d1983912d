// runs_newruns.ts - finding runs created after the runs table loaded: a
// cheap poll (runs/search for start_time >= the newest start seen, with the
// user's filter) hands what it finds to the page, which inserts them at the
// top in the default order; in any other order this module's "N new runs"
// button offers a reload. It owns the poll's timer, its baseline and the
// button; the poll does not run while the tab is hidden.

import { api } from '../api';
import { h } from '../util';
import { Row, toRow } from './runs_model';
import { RunsView, runsViewDefaultOrder, runsViewType } from './runs_view';

const NEW_MS = 4000; // the poll for runs created since the table loaded
const NEW_PAGE = 100;
const NEW_PAGES_MAX = 10; // per poll; more waits for the next one

export interface RunsNewRuns {
  button: HTMLButtonElement; // "N new runs — refresh", owned by the caller once placed
  /** True once the poll has its baseline (until reset). */
  readonly armed: boolean;
  /** Where polls start: the newest run the table's query matched when it loaded (`firstPage` in the default order). */
  baseline(g: number, firstPage: Row[]): Promise<void>;
  /** Counts runs the table does not show (another order) on the button. */
  notice(count: number): void;
  /** Forgets the baseline and the count and hides the button (a reload). */
  reset(): void;
  /** Polls at once (the tab is shown again). */
  resume(): void;
  /** Disarms the timer. */
  stop(): void;
}

/**
 * Polls experiment `expId` under `view`'s filter and lifecycle; `found` gets
 * new Row objects it then owns; answers are dropped when `generation()` changed.
 */
export function runsNewRuns(expId: string, view: RunsView, generation: () => number, signal: AbortSignal,
  found: (rows: Row[]) => void, reload: () => void): RunsNewRuns {
  // `newest`: the latest start_time seen and the runs seen with it (a poll asks
  // for start_time >= it, so runs started in the same millisecond are not lost)
  let newest: { start: number; ids: Set<string> } | null = null;
  let timer = 0, busy = false, unseen = 0;
  // in the actions row (no layout shift when it shows), right-aligned
  const button = h('button', { type: 'button', id: 'new-runs', class: 'new-runs', hidden: true,
    title: 'Runs were created since the table loaded: reload the table to show them in this order' });
  button.addEventListener('click', () => reload());
  const noteNewest = (rs: Row[]) => {
    for (const r of rs) {
      const t = Number(r.start);
      if (!Number.isFinite(t) || !newest) continue;
      if (t > newest.start) newest = { start: t, ids: new Set([r.id]) };
      else if (t === newest.start) newest.ids.add(r.id);
    }
  };
  function start(ms = NEW_MS): void {
    if (!timer && !busy && newest && !signal.aborted && document.visibilityState !== 'hidden')
      timer = window.setTimeout(tick, ms);
  }
  async function baseline(g: number, firstPage: Row[]): Promise<void> {
    let seen = firstPage;
    if (!runsViewDefaultOrder(view)) { // the first page is not the newest runs: ask for them
      const r = await api.searchRuns({ experiment_ids: [expId], filter: view.filter || undefined,
        order_by: ['attributes.start_time DESC'], max_results: 10, run_view_type: runsViewType(view) }, signal);
      seen = (r.runs || []).map(toRow);
    }
    if (g !== generation()) return;
    newest = { start: 0, ids: new Set() };
    noteNewest(seen);
    start();
  }
  async function tick(): Promise<void> {
    timer = 0;
    if (!newest) return;
    busy = true;
    const g = generation(), since = newest;
    try {
      // the user's filter in parentheses: it may hold OR, which binds looser than AND
      const typed = view.filter.trim(), where = `attributes.start_time >= ${since.start}`;
      const got: Row[] = [];
      let pageToken: string | undefined;
      for (let k = 0; k < NEW_PAGES_MAX; k++) {
        const r = await api.searchRuns({ experiment_ids: [expId], filter: typed ? `(${typed}) and ${where}` : where,
          order_by: ['attributes.start_time ASC'], max_results: NEW_PAGE, page_token: pageToken,
          run_view_type: runsViewType(view) }, signal);
        if (g !== generation()) return;
        got.push(...(r.runs || []).map(toRow).filter((x) => !since.ids.has(x.id)));
        pageToken = r.next_page_token || undefined;
        if (!pageToken) break;
      }
      noteNewest(got);
      if (got.length) found(got);
    } catch {
      // retried on the next poll (an abort ends the page: start checks)
    } finally {
      busy = false;
      start();
    }
  }
  const stop = () => {
    clearTimeout(timer);
    timer = 0;
  };
  return {
    button,
    get armed() { return newest !== null; },
    baseline,
    notice: (count: number) => {
      unseen += count;
      button.textContent = `${unseen} new run${unseen === 1 ? '' : 's'} — refresh`;
      button.hidden = false;
    },
    reset: () => {
      stop();
      newest = null;
      unseen = 0;
      button.hidden = true;
    },
    resume: () => start(0), // catch up at once
    stop,
  };
}

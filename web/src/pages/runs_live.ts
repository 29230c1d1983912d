// runs_live.ts - live refresh of the runs table: while a run in view is
// RUNNING, the rows in view are re-read every few seconds and replaced in the
// table. It owns its timer; the page starts it after each draw, pauses it
// while the tab is hidden and stops it when the page goes.

import { api } from '../api';
import { RunKeys } from './runs_chooser';
import { toRow } from './runs_model';
import { RunsTable } from './runs_table';

const LIVE_MS = 3000;

export interface RunsLive {
  /** Arms the timer when a loaded run is RUNNING (and the tab is shown). */
  start(): void;
  /** Disarms the timer (a tick in flight finishes). */
  stop(): void;
}

/**
 * Refreshes `table`'s rows of experiment `expId`, noting their keys in `keys`;
 * an answer is dropped when `generation()` changed meanwhile (a reload).
 */
export function runsLive(expId: string, table: RunsTable, keys: RunKeys, generation: () => number,
  signal: AbortSignal): RunsLive {
  let timer = 0, busy = false;
  function start(): void {
    if (!timer && !busy && !signal.aborted && document.visibilityState !== 'hidden' &&
      table.rows.some((r) => r.status === 'RUNNING'))
      timer = window.setTimeout(tick, LIVE_MS);
  }
  async function tick(): Promise<void> {
    timer = 0;
    busy = true;
    const g = generation();
    const inView = table.inView();
    try {
      if (inView.some((r) => r.status === 'RUNNING')) {
        const ids = inView.map((r) => r.id);
        const res = await api.searchRuns({ experiment_ids: [expId], run_view_type: 'ALL', max_results: ids.length,
          filter: `attributes.run_id IN (${ids.map((id) => `'${id.replace(/'/g, '')}'`).join(', ')})` }, signal);
        if (g !== generation()) return;
        const fresh = new Map((res.runs || []).map((r) => [r.info.run_id, toRow(r)]));
        table.setRows(table.rows.map((r) => fresh.get(r.id) || r));
        keys.add(fresh.values());
        table.schedule();
      }
    } catch {
      // a failed refresh is retried on the next tick (an abort ends the page: start checks)
    } finally {
      busy = false;
      start();
    }
  }
  return {
    start,
    stop: () => {
      clearTimeout(timer);
      timer = 0;
    },
  };
}

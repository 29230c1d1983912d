// run_live.ts - the run page's live refresh while the run is RUNNING: one
// request in flight at a time, the next one LIVE_MS after it ends; a hidden
// tab asks nothing until it is shown again. It owns its timer and its
// visibility listener; each read run goes to the page's update.

import { api, Run } from '../api';
import { isAbort } from '../util';

const LIVE_MS = 3000;

export interface RunLive {
  /** Starts polling: `update` gets each run read (a new object it owns) until the run is no longer RUNNING. */
  start(update: (run: Run) => void): void;
  /** Stops polling (the page goes). */
  dispose(): void;
}

/** The live refresh of run `runId`; requests end with `signal`. */
export function runLive(runId: string, signal: AbortSignal): RunLive {
  let timer = 0;
  let onShown: (() => void) | null = null;
  const tick = async (update: (run: Run) => void) => {
    if (document.visibilityState === 'hidden') {
      onShown = () => {
        if (document.visibilityState === 'hidden') return;
        document.removeEventListener('visibilitychange', onShown!);
        onShown = null;
        void tick(update);
      };
      document.addEventListener('visibilitychange', onShown);
      return;
    }
    try {
      const { run } = await api.getRun(runId, signal);
      update(run);
      if (run.info.status === 'RUNNING') poll(update);
    } catch (e) {
      if (!isAbort(e)) poll(update); // a hiccup: try again later
    }
  };
  const poll = (update: (run: Run) => void) => {
    timer = window.setTimeout(() => void tick(update), LIVE_MS);
  };
  return {
    start: (update) => poll(update),
    dispose: () => {
      clearTimeout(timer);
      if (onShown) document.removeEventListener('visibilitychange', onShown);
    },
  };
}

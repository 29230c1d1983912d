// runs_actions.ts - the runs table's actions on the checked runs: Compare,
// Delete, Restore and Clear, the note when too many are checked for the URL,
// and the keyboard hint. Deleting and restoring ask first, then go a few runs
// at a time, telling the page their progress and the outcome.

import { api } from '../api';
import { navigate } from '../router';
import { confirmDialog, h } from '../util';
import { Row } from './runs_model';
import { RunsView, URL_SEL_MAX } from './runs_view';

const COMPARE_MAX = 100; // the compare page draws every run it is given

export interface RunsActionsEvents {
  /** The loaded rows (to skip runs already in the asked state); the table's array. */
  rows(): Row[];
  /** Clear emptied view.picked. */
  cleared(): void;
  /** Progress of a long delete or restore. */
  progress(text: string): void;
  /** A delete or restore ended (`failure`: what failed, or null); view.picked lost the runs changed. */
  changed(failure: string | null): void;
}

export interface RunsActions {
  bar: HTMLElement; // the row of buttons, owned by the caller once placed
  /** Sets the buttons from view.picked and view.lifecycle. */
  update(): void;
}

/** Builds the bar over `view`; `trailing` (the new-runs button) ends it, right-aligned. */
export function runsActions(view: RunsView, signal: AbortSignal, trailing: HTMLElement, on: RunsActionsEvents): RunsActions {
  const picked = view.picked;
  const compareBtn = h('button', { type: 'button', id: 'compare-runs', title: 'Compare the checked runs (2 or more)' }, 'Compare');
  const deleteBtn = h('button', { type: 'button', id: 'delete-runs', class: 'danger-outline' }, 'Delete');
  const restoreBtn = h('button', { type: 'button', id: 'restore-runs' }, 'Restore');
  const clearBtn = h('button', { type: 'button', id: 'clear-selection', class: 'link' }, 'Clear');
  const pickNote = h('span', { class: 'muted', 'aria-live': 'polite' });
  const bar = h('div', { class: 'run-actions', role: 'group', 'aria-label': 'Checked runs' },
    compareBtn, deleteBtn, restoreBtn, clearBtn, pickNote,
    h('span', { class: 'hint' }, 'In the table: ', h('kbd', {}, '↑'), h('kbd', {}, '↓'), ' move, ', h('kbd', {}, 'Space'),
      ' checks, ', h('kbd', {}, 'Shift'), '+click checks a range, ', h('kbd', {}, 'Enter'), ' opens, ',
      h('kbd', {}, '→'), h('kbd', {}, '←'), ' child runs'), trailing);

  const update = () => {
    const n = picked.size;
    compareBtn.textContent = `Compare (${n})`;
    compareBtn.disabled = n < 2 || n > COMPARE_MAX;
    compareBtn.title = n > COMPARE_MAX ? `Compare at most ${COMPARE_MAX} runs at a time` : 'Compare the checked runs (2 or more)';
    deleteBtn.textContent = `Delete (${n})`;
    deleteBtn.disabled = !n;
    deleteBtn.hidden = view.lifecycle === 'deleted';
    restoreBtn.textContent = `Restore (${n})`;
    restoreBtn.disabled = !n;
    restoreBtn.hidden = view.lifecycle === 'active';
    clearBtn.hidden = !n;
    pickNote.textContent = n > URL_SEL_MAX ? `${n} runs checked: too many to keep in the address bar.` : '';
  };
  clearBtn.addEventListener('click', () => {
    picked.clear();
    on.cleared();
  });
  compareBtn.addEventListener('click', () => {
    if (picked.size >= 2) navigate(`compare?runs=${[...picked].map(encodeURIComponent).join(',')}`);
  });

  /** Deletes or restores the checked runs (each one that is in the other state, or not loaded). */
  const changeLifecycle = async (del: boolean) => {
    const known = new Map(on.rows().map((r) => [r.id, r]));
    const ids = [...picked].filter((id) => !known.has(id) || known.get(id)!.deleted !== del);
    if (!ids.length) return;
    const verb = del ? 'Delete' : 'Restore';
    if (!await confirmDialog(`${verb} ${ids.length} run${ids.length === 1 ? '' : 's'}?` +
      (del ? ' Deleted runs can be restored from the Deleted view.' : ''), verb, del) || signal.aborted) return;
    const failed: string[] = [];
    for (let k = 0; k < ids.length; k += 8) { // a few at a time
      if (ids.length > 8) on.progress(`${del ? 'Deleting' : 'Restoring'} ${k} of ${ids.length} runs…`);
      await Promise.all(ids.slice(k, k + 8).map((id) => (del ? api.deleteRun(id) : api.restoreRun(id))
        .then(() => picked.delete(id))
        .catch((e) => { failed.push(`${id}: ${e instanceof Error ? e.message : e}`); })));
    }
    if (signal.aborted) return; // the user has left: this page's URL is not the address bar's any more
    on.changed(failed.length ? `${verb} failed for ${failed.length} run(s):\n${failed.slice(0, 5).join('\n')}` : null);
  };
  deleteBtn.addEventListener('click', () => void changeLifecycle(true));
  restoreBtn.addEventListener('click', () => void changeLifecycle(false));
  return { bar, update };
}

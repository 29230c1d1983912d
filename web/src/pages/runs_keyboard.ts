// runs_keyboard.ts - the runs table's keyboard: arrows / j k move the
// keyboard's row, PageUp / PageDown by 20, Home / End to the ends, Space
// checks (Shift+Space a range), Enter opens the run, → / ← open and close a
// parent's child runs. It keeps no state: the row is the table's.

import { navigate } from '../router';
import { RunsTable } from './runs_table';

const STEP: Record<string, number> = { ArrowDown: 1, j: 1, ArrowUp: -1, k: -1, PageDown: 20, PageUp: -20,
  Home: -Infinity, End: Infinity };

/** Handles the keys pressed in `table`'s grid (the listener lives as long as the grid). */
export function runsKeyboard(table: RunsTable): void {
  table.scroller.addEventListener('keydown', (ev) => {
    const shown = table.shown, selected = table.selected;
    if (ev.key === ' ' && selected >= 0 && shown[selected]) {
      ev.preventDefault();
      table.toggle(selected, ev.shiftKey);
      return;
    }
    if (ev.key === 'Enter' && selected >= 0 && shown[selected]) {
      navigate(`runs/${encodeURIComponent(shown[selected].id)}`);
      return;
    }
    // → / ← open and close a parent's child runs
    if ((ev.key === 'ArrowRight' || ev.key === 'ArrowLeft') && shown[selected] && table.kids(shown[selected].id)) {
      ev.preventDefault();
      table.setExpanded(shown[selected].id, ev.key === 'ArrowRight');
      return;
    }
    if (!(ev.key in STEP) || !shown.length) return;
    ev.preventDefault();
    table.select(Math.max(0, Math.min(shown.length - 1, (selected < 0 ? -1 : selected) + STEP[ev.key])));
  });
}

// runs_filter.ts - the runs table's search bar: the filter box (MLflow's
// filter DSL, run by the server) and the active / deleted / all select. It
// changes the view's filter and lifecycle and tells the page, which writes the
// URL and reloads the table.

import { h } from '../util';
import { LIFECYCLES } from './runs_model';
import { RunsView } from './runs_view';

export interface RunsFilterBar {
  form: HTMLFormElement; // the filter box and its Search button
  lifecycle: HTMLSelectElement;
}

/** Builds the bar over `view`; the caller owns the elements and places them. */
export function runsFilterBar(view: RunsView, onFilter: () => void, onLifecycle: () => void): RunsFilterBar {
  const input = h('input', { type: 'search', name: 'filter', value: view.filter, autocomplete: 'off',
    spellcheck: 'false', placeholder: 'metrics.loss < 0.5 and params.lr = "0.01"', 'aria-label': 'Filter runs' });
  const form = h('form', { class: 'filter', id: 'run-filter' }, input, h('button', { type: 'submit' }, 'Search'));
  const lifecycle = h('select', { id: 'run-lifecycle', 'aria-label': 'Show active, deleted or all runs' },
    ...LIFECYCLES.map((l) => h('option', { value: l.value, selected: l.value === view.lifecycle }, l.label)));
  lifecycle.addEventListener('change', () => {
    view.lifecycle = lifecycle.value;
    onLifecycle();
  });
  form.addEventListener('submit', (ev) => {
    ev.preventDefault();
    view.filter = input.value.trim();
    onFilter();
  });
  return { form, lifecycle };
}

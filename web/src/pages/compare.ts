// compare.ts - runs side by side: compare?runs=<id1>,<id2>,... (the runs
// table's "Compare" button links here), the page that wires its
// components. It loads the runs and names their experiments; then shows the
// overview (compare_overview.ts), the parameters with their differences
// (compare_params.ts), the latest metrics with the best of each highlighted
// (compare_metrics.ts), charts of the chosen metrics across all the runs
// (compare_charts.ts), a scatter plot of one param/metric against another
// (compare_scatter.ts) and parallel coordinates over chosen params/metrics
// (compare_parallel.ts). The data model is compare_model.ts; every choice is
// in the URL (compare_view.ts), so a comparison can be bookmarked. This file
// owns the loading, the error boxes and the components' disposal.

import { api, Run } from '../api';
import { prefetchHistories } from '../chart';
import { link, Page } from '../router';
import { errorBox, h, isAbort, setCrumbs } from '../util';
import { compareCharts } from './compare_charts';
import { compareMetrics } from './compare_metrics';
import { compareKeys, CompareRun, compareRunOf } from './compare_model';
import { compareOverview } from './compare_overview';
import { compareParallel } from './compare_parallel';
import { compareParams } from './compare_params';
import { compareScatter } from './compare_scatter';
import { compareRunIds } from './compare_view';

export function comparePage(root: HTMLElement, _m: RegExpExecArray, query: URLSearchParams): Page {
  const ids = compareRunIds(query);
  const ctl = new AbortController();
  const disposers: (() => void)[] = [];
  setCrumbs(link('', 'Experiments'), 'Compare runs');
  const page = h('section', { class: 'page compare' }, h('p', { class: 'status' }, ids.length ? `Loading ${ids.length} runs…` : ''));
  root.append(page);
  if (!ids.length) {
    page.replaceChildren(h('h1', {}, 'Compare runs'),
      h('p', { class: 'muted' }, 'No runs chosen. Select runs in an experiment\'s runs table and press Compare.'));
    return {};
  }
  const loading = ids.map((id) => api.getRun(id, ctl.signal));
  // the charts' histories need only the run ids: fetch them while the runs load (after
  // the small run requests, which the browser's 6 connections per host then serve first)
  prefetchHistories(ids, query.getAll('metric'), ctl.signal);
  void (async () => {
    const got = await Promise.allSettled(loading);
    if (ctl.signal.aborted) return;
    const runs: Run[] = [];
    const failed: HTMLElement[] = [];
    got.forEach((g, i) => {
      if (g.status === 'fulfilled') runs.push(g.value.run);
      else failed.push(errorBox(`Run ${ids[i]}: ${g.reason instanceof Error ? g.reason.message : String(g.reason)}`));
    });
    // experiment names arrive later and fill in the links
    const expIds = [...new Set(runs.map((r) => r.info.experiment_id))];
    const expLinks: [string, HTMLAnchorElement][] = [];
    const expLink = (id: string) => {
      const a = link(`experiments/${encodeURIComponent(id)}`, `Experiment ${id}`);
      expLinks.push([id, a]);
      return a;
    };
    const title = `Comparing ${runs.length} run${runs.length === 1 ? '' : 's'}`;
    if (expIds.length === 1) setCrumbs(link('', 'Experiments'), expLink(expIds[0]), title);
    else setCrumbs(link('', 'Experiments'), title);
    const compared = runs.map(compareRunOf);
    page.replaceChildren(h('h1', {}, title), ...failed,
      ...(compared.length ? build(compared, expLink, query, ctl.signal, disposers) : []));
    await Promise.all(expIds.map((e) => api.getExperiment(e, ctl.signal).then((r) => {
      expLinks.forEach(([id, a]) => { if (id === e) a.textContent = r.experiment.name; });
    }).catch(() => null)));
  })().catch((e) => {
    if (!isAbort(e)) page.replaceChildren(errorBox(e));
  });
  return { dispose: () => { ctl.abort(); disposers.forEach((d) => d()); } };
}

/** The page's sections for `runs`, in order; what must be torn down goes into `disposers`. */
function build(runs: CompareRun[], expLink: (id: string) => HTMLAnchorElement, query: URLSearchParams, signal: AbortSignal,
  disposers: (() => void)[]): Node[] {
  const keys = compareKeys(runs);
  const params = compareParams(runs, keys.params, query, () => metrics.apply());
  const metrics = compareMetrics(runs, keys.metrics, query, params.onlyDiff, () => charts.draw());
  params.apply();
  metrics.apply();
  const charts = compareCharts(runs, keys.metrics, metrics.chosen, query, signal);
  disposers.push(() => charts.destroy());
  charts.draw();
  const scatter = compareScatter(runs, keys, query);
  disposers.push(() => scatter.destroy());
  const parallel = compareParallel(runs, keys, metrics.chosen, query);
  disposers.push(() => parallel.destroy());

  const result = [
    h('div', { class: 'scroll-x' }, compareOverview(runs, expLink)),
    params.head,
    h('div', { class: 'scroll-x' }, params.table),
    h('h2', {}, `Metrics (${keys.metrics.length})`),
    metrics.filter,
    h('div', { class: 'scroll-box scroll-x' }, metrics.table),
    h('h2', {}, 'Charts'), charts.controls, charts.box,
    h('h2', {}, 'Scatter plot'), ...scatter.nodes,
    h('h2', {}, 'Parallel coordinates'), keys.fields.length ? parallel.root : h('p', { class: 'muted' }, 'No parameters or metrics.'),
  ].filter((n): n is HTMLElement => n !== null);
  // uPlot and the SVG need their boxes laid out for a width: draw after insertion
  requestAnimationFrame(() => {
    if (signal.aborted) return;
    if (keys.fields.length) {
      scatter.draw();
      parallel.draw();
    }
  });
  return result;
}

// run.ts - one run, the page that wires its sections: the summary (title,
// overview, parameters and tags: run_summary.ts), the description
// (run_notes.ts), the metrics with their latest values and a uPlot chart of
// the chosen ones (run_metrics.ts), the artifact tree with previews and
// download links (run_artifacts.ts), the logged models with "Register
// model" (run_models.ts), and from run_parts.ts the parent and child runs
// and the dataset inputs. While the run is RUNNING the page
// re-reads it every few seconds (run_live.ts; not while the tab is hidden)
// and hands each read to the sections, which update in place.

import { api, Run } from '../api';
import { link, Page } from '../router';
import { errorBox, h, isAbort, setCrumbs } from '../util';
import { runArtifactBrowser } from './run_artifacts';
import { runLive } from './run_live';
import { runMetrics } from './run_metrics';
import { runModels } from './run_models';
import { NOTE_TAG, runNotesEditor } from './run_notes';
import { datasetsSection, nestedRunsSection } from './run_parts';
import { runSummary } from './run_summary';

interface RunView { nodes: Node[]; update: (run: Run) => void }

export function runPage(root: HTMLElement, m: RegExpExecArray, query: URLSearchParams): Page {
  const runId = decodeURIComponent(m[1]);
  const ctl = new AbortController();
  const disposers: (() => void)[] = [];
  setCrumbs(link('', 'Experiments'), `Run ${runId}`);
  const page = h('section', { class: 'page run' }, h('p', { class: 'status' }, 'Loading…'));
  root.append(page);

  const live = runLive(runId, ctl.signal);

  api.getRun(runId, ctl.signal).then(async ({ run }) => {
    const exp = await api.getExperiment(run.info.experiment_id, ctl.signal).catch(() => null);
    const expName = exp?.experiment.name || `Experiment ${run.info.experiment_id}`;
    const name = run.info.run_name || run.info.run_id;
    setCrumbs(link('', 'Experiments'), link(`experiments/${encodeURIComponent(run.info.experiment_id)}`, expName), name);
    const view = build(run, expName, query, ctl.signal, disposers);
    page.replaceChildren(...view.nodes);
    if (run.info.status === 'RUNNING') live.start(view.update);
  }).catch((e) => {
    if (!isAbort(e)) page.replaceChildren(errorBox(e));
  });
  return {
    dispose: () => {
      ctl.abort();
      live.dispose();
      disposers.forEach((d) => d());
    },
  };
}

function build(run: Run, expName: string, query: URLSearchParams, signal: AbortSignal, disposers: (() => void)[]): RunView {
  const runId = run.info.run_id;

  const models = runModels(run, signal);
  const summary = runSummary(run, expName, models.action);

  // ---- notes ----
  const notes = runNotesEditor(runId, run.data.tags?.find((t) => t.key === NOTE_TAG)?.value || '');

  // ---- artifacts, then metrics and the chart (drawn at once) ----
  const artifacts = runArtifactBrowser(runId, query.get('artifact') || '', signal);
  const metricsView = runMetrics(runId, run.data.metrics, () => Number(summary.info.start_time) || 0, query, signal, disposers);

  // ---- live refresh: what changed since the last read ----
  const update = (r: Run) => {
    summary.update(r);
    notes.external(r.data.tags?.find((t) => t.key === NOTE_TAG)?.value || '');
    metricsView.update(r.data.metrics);
    void artifacts.refresh();
  };

  return {
    nodes: [
      summary.title,
      nestedRunsSection(run, signal),
      notes.node,
      h('div', { class: 'cols' },
        h('div', {}, h('h2', {}, 'Overview'), summary.overview, summary.params, datasetsSection(run), models.section,
          summary.tags),
        h('div', {}, metricsView.head, metricsView.chartArea, metricsView.filter, metricsView.table)),
      h('h2', {}, 'Artifacts'), artifacts.node,
    ],
    update,
  };
}

// run_parts.ts - sections of the run page (run.ts) that stand on their own:
// the run's dataset inputs (name, digest, context, source, schema, profile),
// and its place among nested runs (the parent it was started under, the
// child runs started under it, by the tag mlflow.parentRunId).

import { api, DatasetInput, Run } from '../api';
import { link } from '../router';
import { errorBox, fmtTime, h, isAbort } from '../util';

export const PARENT_TAG = 'mlflow.parentRunId';
const CONTEXT_TAG = 'mlflow.data.context';
const CHILDREN_SHOWN = 100;

/** Parses a JSON string field of a dataset; undefined when it is empty or not JSON. */
function json(s: string | undefined): unknown {
  if (!s) return undefined;
  try {
    return JSON.parse(s);
  } catch {
    return undefined;
  }
}

/** The columns of an MLflow dataset schema ({"mlflow_colspec": [...]} or {"mlflow_tensorspec": ...}). */
function schemaTable(schema: unknown): HTMLElement | null {
  const s = schema as Record<string, unknown> | undefined;
  const cols = s && (Array.isArray(s.mlflow_colspec) ? s.mlflow_colspec : Array.isArray(s) ? s : null);
  if (!cols) return null;
  return h('table', { class: 'grid ds-schema' }, h('thead', {}, h('tr', {}, h('th', {}, 'Column'), h('th', {}, 'Type'))),
    h('tbody', {}, ...(cols as Record<string, unknown>[]).map((c) => h('tr', {}, h('td', {}, String(c.name ?? '—')),
      h('td', { class: 'mono' }, typeof c.type === 'string' ? c.type : JSON.stringify(c.type ?? c['tensor-spec'] ?? ''))))));
}

/** A JSON object as key/value rows, a plain value as text. */
function jsonRows(v: unknown, raw: string): HTMLElement {
  if (v && typeof v === 'object' && !Array.isArray(v)) {
    return h('table', { class: 'grid kv' }, h('tbody', {}, ...Object.entries(v as Record<string, unknown>).map(([k, x]) =>
      h('tr', {}, h('th', { scope: 'row' }, k), h('td', {}, typeof x === 'string' ? x : JSON.stringify(x))))));
  }
  return h('pre', { class: 'mono' }, raw);
}

/** The dataset inputs of a run, one card each. */
export function datasetsSection(run: Run): HTMLElement {
  const inputs: DatasetInput[] = run.inputs?.dataset_inputs || [];
  const box = h('section', { id: 'run-datasets' }, h('h2', {}, `Datasets (${inputs.length})`));
  if (!inputs.length) {
    box.append(h('p', { class: 'muted' }, 'No dataset inputs.'));
    return box;
  }
  for (const inp of inputs) {
    const d = inp.dataset || { name: '' };
    const context = inp.tags?.find((t) => t.key === CONTEXT_TAG)?.value;
    const otherTags = (inp.tags || []).filter((t) => t.key !== CONTEXT_TAG);
    const source = json(d.source), schema = json(d.schema), profile = json(d.profile);
    const parts: HTMLElement[] = [
      h('div', { class: 'ds-head' }, h('strong', { class: 'ds-name' }, d.name || '(unnamed)'),
        context ? h('span', { class: 'badge ds-context', title: 'mlflow.data.context' }, context) : null,
        d.digest ? h('code', { class: 'ds-digest', title: 'digest' }, d.digest) : null),
      h('div', { class: 'ds-source' }, h('span', { class: 'muted' }, `Source (${d.source_type || 'unknown'}): `),
        h('code', {}, sourceText(source, d.source || ''))),
    ];
    const sch = schema !== undefined ? schemaTable(schema) : null;
    if (sch || d.schema) parts.push(h('details', { class: 'ds-schema-box', open: true },
      h('summary', {}, 'Schema'), sch || h('pre', { class: 'mono' }, d.schema || '')));
    if (d.profile) parts.push(h('details', { class: 'ds-profile', open: true }, h('summary', {}, 'Profile'),
      jsonRows(profile, d.profile)));
    if (otherTags.length) parts.push(h('div', { class: 'ds-tags muted' }, otherTags.map((t) => `${t.key}=${t.value}`).join(', ')));
    box.append(h('div', { class: 'dataset', 'data-name': d.name, 'data-digest': d.digest || '' }, ...parts));
  }
  return box;
}

/** Where a dataset came from: its URI, path or table name when the source JSON has one. */
function sourceText(source: unknown, raw: string): string {
  if (source && typeof source === 'object') {
    const s = source as Record<string, unknown>;
    for (const k of ['uri', 'url', 'path', 'table_name', 'file_path']) if (typeof s[k] === 'string') return s[k] as string;
  }
  return raw;
}

/** The parent run (a link, named once it loads) and the child runs of `run`. */
export function nestedRunsSection(run: Run, signal: AbortSignal): HTMLElement {
  const parentId = run.data.tags?.find((t) => t.key === PARENT_TAG)?.value;
  const box = h('section', { id: 'run-nesting' });
  if (parentId) {
    const a = link(`runs/${encodeURIComponent(parentId)}`, parentId, 'mono');
    a.id = 'run-parent';
    box.append(h('p', {}, 'Child run of ', a));
    api.getRun(parentId, signal).then((r) => {
      a.textContent = r.run.info.run_name || parentId;
      a.classList.remove('mono');
    }).catch(() => undefined);
  }
  const list = h('div', { id: 'run-children' });
  box.append(list);
  api.searchRuns({ experiment_ids: [run.info.experiment_id], max_results: CHILDREN_SHOWN, run_view_type: 'ALL',
    filter: `tags.\`${PARENT_TAG}\` = '${run.info.run_id.replace(/'/g, '')}'`, order_by: ['attributes.start_time ASC'] }, signal)
    .then((r) => {
      const kids = r.runs || [];
      if (!kids.length) return;
      list.replaceChildren(h('h2', {}, `Child runs (${kids.length}${r.next_page_token ? '+' : ''})`),
        h('table', { class: 'grid' }, h('thead', {}, h('tr', {}, h('th', {}, 'Run'), h('th', {}, 'Status'), h('th', {}, 'Started'))),
          h('tbody', {}, ...kids.map((k) => h('tr', { 'data-run-id': k.info.run_id },
            h('td', {}, link(`runs/${encodeURIComponent(k.info.run_id)}`, k.info.run_name || k.info.run_id)),
            h('td', { class: `st-${k.info.status}` }, k.info.status || ''), h('td', {}, fmtTime(k.info.start_time)))))),
        r.next_page_token ? h('p', { class: 'muted' }, `Showing the first ${CHILDREN_SHOWN}.`) : '');
    }).catch((e) => {
      if (!isAbort(e)) list.replaceChildren(errorBox(e));
    });
  return box;
}

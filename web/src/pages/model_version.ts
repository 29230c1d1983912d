// model_version.ts - one model version (models/<name>/versions/<v>): its
// overview with the source run, a stage transition control (with
// archive_existing_versions for Staging and Production, and a comment that
// goes into the history), the description and tags, this version's history,
// the signature from the MLmodel file next to its source when the run's
// artifacts hold one, the input example that MLmodel names
// (saved_input_example_info, read through /model-versions/get-artifact), and
// a delete button that asks again.

import { api, artifactUrl, ModelVersion, registry, versionArtifactUrl } from '../api';
import { link, navigate, Page } from '../router';
import { errorBox, fmtTime, h, isAbort, setCrumbs } from '../util';
import {
  aliasChip, confirmButton, descriptionEditor, historyTable, modelHref, section, stageBadge, STAGES, tagsEditor,
} from './model_parts';

/** Where the version's MLmodel lies: its run and the artifact path of the
 * model folder, from a runs:/ source or one inside the run's artifacts. */
export function mlmodelLocation(v: ModelVersion): { runId: string; path: string } | null {
  const src = v.source || '';
  const runs = /^runs:\/([^/]+)\/?(.*)$/.exec(src);
  if (runs) return { runId: runs[1], path: runs[2].replace(/\/+$/, '') };
  if (!v.run_id) return null;
  const marker = `/${v.run_id}/artifacts`;
  const at = src.indexOf(marker);
  if (at < 0) return null;
  const rest = src.slice(at + marker.length);
  if (rest && !rest.startsWith('/')) return null;
  return { runId: v.run_id, path: rest.replace(/^\/+|\/+$/g, '') };
}

/** The `signature:` block of an MLmodel file: its inputs and outputs as
 * parsed JSON when they are, else the raw text of the block. */
export function parseSignature(mlmodel: string): { inputs?: unknown; outputs?: unknown; raw: string } | null {
  const lines = mlmodel.split(/\r?\n/);
  const at = lines.findIndex((l) => /^signature:\s*$/.test(l));
  if (at < 0) return null;
  const block: string[] = [];
  for (let i = at + 1; i < lines.length && (/^\s/.test(lines[i]) || lines[i] === ''); i++) block.push(lines[i]);
  const raw = block.join('\n');
  // YAML folds a long quoted scalar over indented lines: join them with a space
  const flat = raw.replace(/\n\s+/g, ' ');
  const field = (k: string): unknown => {
    const m = new RegExp(`(?:^|\\s)${k}:\\s*'((?:[^']|'')*)'`).exec(flat);
    if (!m) return undefined;
    try {
      return JSON.parse(m[1].replace(/''/g, "'"));
    } catch {
      return undefined;
    }
  };
  return { inputs: field('inputs'), outputs: field('outputs'), raw };
}

function specTable(title: string, spec: unknown): HTMLElement | null {
  if (!Array.isArray(spec)) return null;
  const rows = spec.map((c: Record<string, unknown>) => {
    const t = c['tensor-spec'] as Record<string, unknown> | undefined;
    const type = t ? `tensor ${String(t.dtype ?? '')} ${JSON.stringify(t.shape ?? '')}` : String(c.type ?? '');
    return h('tr', {}, h('td', {}, c.name === undefined ? '—' : String(c.name)), h('td', { class: 'mono' }, type),
      h('td', {}, c.required === false ? 'optional' : ''));
  });
  return h('div', {}, h('h3', {}, title), h('table', { class: 'grid' },
    h('thead', {}, h('tr', {}, h('th', {}, 'Name'), h('th', {}, 'Type'), h('th', {}, ''))), h('tbody', {}, ...rows)));
}

/** Shows the signature of the version's MLmodel in `slot`; returns the MLmodel's text, or null when there is none. */
async function loadSignature(v: ModelVersion, slot: HTMLElement, signal: AbortSignal): Promise<string | null> {
  const where = mlmodelLocation(v);
  if (!where) {
    slot.replaceChildren(h('div', { class: 'muted' }, 'The source is not in a run\'s artifacts.'));
    return null;
  }
  const file = where.path ? `${where.path}/MLmodel` : 'MLmodel';
  const listing = await api.listArtifacts(where.runId, where.path, signal);
  if (!(listing.files || []).some((f) => f.path === file && !f.is_dir)) {
    slot.replaceChildren(h('div', { class: 'muted' }, 'No MLmodel file next to the source.'));
    return null;
  }
  const res = await fetch(artifactUrl(where.runId, file), { signal });
  if (!res.ok) throw new Error(`MLmodel: HTTP ${res.status}`);
  const text = await res.text();
  const sig = parseSignature(text);
  if (!sig) {
    slot.replaceChildren(h('div', { class: 'muted' }, 'The MLmodel file has no signature.'));
    return text;
  }
  const tables = [specTable('Inputs', sig.inputs), specTable('Outputs', sig.outputs)].filter((x): x is HTMLElement => !!x);
  slot.replaceChildren(...(tables.length ? tables : [h('pre', {}, sig.raw)]));
  return text;
}

/** The file that MLmodel's `saved_input_example_info` names (its artifact_path), or null. */
export function inputExamplePath(mlmodel: string): string | null {
  const lines = mlmodel.split(/\r?\n/);
  const at = lines.findIndex((l) => /^saved_input_example_info:\s*$/.test(l));
  if (at < 0) return null;
  for (let i = at + 1; i < lines.length && /^\s/.test(lines[i]); i++) {
    const m = /^\s+artifact_path:\s*(.+?)\s*$/.exec(lines[i]);
    if (m) return m[1].replace(/^(['"])(.*)\1$/, '$2');
  }
  return null;
}

const EXAMPLE_ROWS = 50;
const EXAMPLE_CHARS = 20000;

/** An input example as MLflow saves it: a table for the split orient ({columns, data}), else the JSON. */
function exampleView(x: unknown, raw: string): HTMLElement {
  let v = x as Record<string, unknown> | null;
  if (v && typeof v === 'object' && !Array.isArray(v)) {
    if (v.dataframe_split && typeof v.dataframe_split === 'object') v = v.dataframe_split as Record<string, unknown>;
    else if (v.inputs && typeof v.inputs === 'object' && !Array.isArray(v.inputs)) v = v.inputs as Record<string, unknown>;
  }
  if (v && Array.isArray(v.columns) && Array.isArray(v.data)) {
    const rows = (v.data as unknown[]).slice(0, EXAMPLE_ROWS);
    const cell = (c: unknown) => h('td', { class: typeof c === 'number' ? 'num' : '' }, typeof c === 'string' ? c : JSON.stringify(c));
    return h('div', { class: 'csv-wrap' }, h('table', { class: 'grid csv', id: 'input-example-table' },
      h('thead', {}, h('tr', {}, ...(v.columns as unknown[]).map((c) => h('th', {}, String(c))))),
      h('tbody', {}, ...rows.map((r) => h('tr', {}, ...(Array.isArray(r) ? r : [r]).map(cell))))),
    (v.data as unknown[]).length > EXAMPLE_ROWS ? h('p', { class: 'muted' }, `First ${EXAMPLE_ROWS} of ${(v.data as unknown[]).length} rows.`) : '');
  }
  const text = x === undefined ? raw : JSON.stringify(x, null, 2);
  return h('pre', { class: 'mono', id: 'input-example-json' }, text.length > EXAMPLE_CHARS ? `${text.slice(0, EXAMPLE_CHARS)}\n…` : text);
}

async function loadInputExample(v: ModelVersion, mlmodel: string | null, slot: HTMLElement, signal: AbortSignal): Promise<void> {
  const file = mlmodel ? inputExamplePath(mlmodel) : null;
  if (!file) {
    slot.replaceChildren(h('div', { class: 'muted' }, mlmodel ? 'The model was logged without an input example.' : 'No MLmodel file next to the source.'));
    return;
  }
  const res = await fetch(versionArtifactUrl(v.name, v.version, file), { signal });
  if (!res.ok) throw new Error(`${file}: HTTP ${res.status}`);
  const raw = await res.text();
  let x: unknown;
  try {
    x = JSON.parse(raw);
  } catch {
    x = undefined;
  }
  slot.replaceChildren(h('div', { class: 'muted' }, file), exampleView(x, raw));
}

/** Stage select, the archive checkbox (only for Staging/Production, as the
 * server requires), an optional comment, and the button. */
function stageForm(v: ModelVersion, done: () => void): HTMLElement {
  const current = v.current_stage || 'None';
  const stage = h('select', { name: 'stage', 'aria-label': 'New stage' },
    ...STAGES.filter((s) => s !== current).map((s) => h('option', { value: s }, s)));
  const archive = h('input', { type: 'checkbox', name: 'archive_existing_versions' });
  const archiveLabel = h('label', { class: 'check' }, archive, ' Archive the versions now in this stage');
  const comment = h('input', { type: 'text', name: 'comment', placeholder: 'Comment (optional)', 'aria-label': 'Comment' });
  const go = h('button', { type: 'submit' }, 'Transition');
  const status = h('div', { class: 'form-status', 'aria-live': 'polite' });
  const sync = () => {
    const active = stage.value === 'Staging' || stage.value === 'Production';
    archive.disabled = !active;
    if (!active) archive.checked = false;
  };
  stage.addEventListener('change', sync);
  sync();
  const form = h('form', { id: 'stage-form', class: 'stage-form' },
    h('label', {}, 'Move to ', stage), archiveLabel, comment, go, status);
  form.addEventListener('submit', async (ev) => {
    ev.preventDefault();
    status.replaceChildren();
    go.disabled = true;
    try {
      await registry.transitionStage(v.name, v.version, stage.value, archive.checked, comment.value.trim());
      done();
    } catch (e) {
      go.disabled = false;
      status.replaceChildren(errorBox(e));
    }
  });
  return form;
}

export function modelVersionPage(root: HTMLElement, match: RegExpExecArray): Page {
  const ctl = new AbortController();
  const name = match[1];
  const version = match[2];
  setCrumbs(link('models', 'Models'), link(modelHref(name), name), `Version ${version}`);
  const status = h('div', { class: 'status', 'aria-live': 'polite' }, 'Loading…');
  const page = h('section', { class: 'page version-page' },
    h('div', { class: 'toolbar' }, h('h1', { title: `${name} version ${version}` }, `${name} · Version ${version}`),
      h('span', { class: 'spacer' }),
      confirmButton('Delete version', `Delete version ${version} of ${name}?`, async () => {
        await registry.deleteVersion(name, version);
        navigate(modelHref(name));
      })), status);
  root.append(page);

  const overviewSlot = h('div');
  const stageSlot = h('div');
  const historySlot = h('div');
  const signatureSlot = h('div', { id: 'version-signature' }, h('div', { class: 'muted' }, 'Loading…'));
  const exampleSlot = h('div', { id: 'version-input-example' }, h('div', { class: 'muted' }, 'Loading…'));
  const fail = (e: unknown) => {
    if (!isAbort(e)) status.replaceChildren(errorBox(e));
  };

  const refresh = async (first: boolean) => {
    const [{ model_version: v }, hist] = await Promise.all([registry.getVersion(name, version, ctl.signal),
      registry.history(name, version, ctl.signal)]);
    const row = (k: string, ...val: (Node | string)[]) => h('tr', {}, h('th', {}, k), h('td', {}, ...val));
    overviewSlot.replaceChildren(h('table', { class: 'grid kv', id: 'version-overview' }, h('tbody', {},
      row('Stage', stageBadge(v.current_stage)),
      row('Aliases', ...((v.aliases || []).length ? (v.aliases || []).flatMap((a, i) => [i ? ' ' : '', aliasChip(a)]) : ['—'])),
      row('Status', v.status || '', v.status_message ? ` (${v.status_message})` : ''),
      row('Created', fmtTime(v.creation_timestamp)),
      row('Last updated', fmtTime(v.last_updated_timestamp)),
      row('User', v.user_id || '—'),
      row('Source', h('code', {}, v.source || '')),
      row('Run', v.run_id ? link(`runs/${encodeURIComponent(v.run_id)}`, v.run_id, 'mono') : '—'),
      v.model_id ? row('Logged model', h('code', {}, v.model_id)) : null
    )));
    stageSlot.replaceChildren(stageForm(v, () => {
      refresh(false).then(() => stageSlot.querySelector<HTMLSelectElement>('select')?.focus()).catch(fail);
    }));
    historySlot.replaceChildren(historyTable('version-history', name, hist.history || [], false));
    if (first) {
      page.append(h('div', { class: 'cols' },
        h('div', {},
          section('version-overview-section', 'Overview', overviewSlot),
          section('version-stage-section', 'Stage', stageSlot),
          section('version-description-section', 'Description', descriptionEditor('version-description', v.description || '',
            async (t) => { await registry.updateVersion(name, version, t); }))),
        h('div', {},
          section('version-tags-section', 'Tags', tagsEditor('version-tags', v.tags || [],
            (k, val) => registry.setVersionTag(name, version, k, val), (k) => registry.deleteVersionTag(name, version, k))),
          section('version-signature-section', 'Signature', signatureSlot),
          section('version-input-example-section', 'Input example', exampleSlot))),
        section('version-history-section', 'Stage transitions and alias moves', historySlot));
      loadSignature(v, signatureSlot, ctl.signal).then((text) => loadInputExample(v, text, exampleSlot, ctl.signal)
        .catch((e) => { if (!isAbort(e)) exampleSlot.replaceChildren(errorBox(e)); }), (e) => {
        if (isAbort(e)) return;
        signatureSlot.replaceChildren(errorBox(e));
        exampleSlot.replaceChildren();
      });
    }
    status.textContent = '';
  };
  refresh(true).catch(fail);
  return { dispose: () => ctl.abort() };
}

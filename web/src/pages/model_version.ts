// model_version.ts - one model version (models/<name>/versions/<v>), the
// page that wires its sections: its overview with the source run, a stage
// transition control (with archive_existing_versions for Staging and
// Production, and a comment that goes into the history), the description and
// tags, the signature and input example read from the version's own files
// (model_files.ts, drawn by model_signature.ts), how to serve it: the exact
// commands with copy buttons (model_serving.ts), this version's history, and
// a delete button that asks again.

import { ModelVersion, registry } from '../api';
import { link, navigate, Page } from '../router';
import { errorBox, fmtTime, h, isAbort, setCrumbs } from '../util';
import { loadModelFiles } from './model_files';
import {
  aliasChip, confirmButton, descriptionEditor, historyTable, modelHref, section, stageBadge, STAGES, tagsEditor,
} from './model_parts';
import { servingView } from './model_serving';
import { inputExampleView, signatureView } from './model_signature';

/** Reads the version's model files, then fills the signature, input example and serving sections. */
function showModelFiles(v: ModelVersion, signatureSlot: HTMLElement, exampleSlot: HTMLElement, servingSlot: HTMLElement,
  signal: AbortSignal): void {
  loadModelFiles(v, signal).then((files) => {
    signatureSlot.replaceChildren(...signatureView(files));
    exampleSlot.replaceChildren(...inputExampleView(files));
    servingSlot.replaceChildren(...servingView(v.name, v.version, files));
  }, (e) => {
    if (isAbort(e)) return;
    signatureSlot.replaceChildren(errorBox(e));
    exampleSlot.replaceChildren();
    servingSlot.replaceChildren(...servingView(v.name, v.version, null));
  });
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
  const servingSlot = h('div', { id: 'version-serving' }, h('div', { class: 'muted' }, 'Loading…'));
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
        section('version-serving-section', 'Serve this version', servingSlot),
        section('version-history-section', 'Stage transitions and alias moves', historySlot));
      showModelFiles(v, signatureSlot, exampleSlot, servingSlot, ctl.signal);
    }
    status.textContent = '';
  };
  refresh(true).catch(fail);
  return { dispose: () => ctl.abort() };
}

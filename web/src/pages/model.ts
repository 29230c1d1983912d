// model.ts - one registered model (models/<name>): its description (edited
// in place, saved with registered-models/update), tags, aliases (set to a
// version, deleted), every version with its stage, aliases and source run,
// and mlflowc's audit trail of stage transitions and alias moves; rename
// and delete in the title bar.

import { ModelVersion, registry, RegisteredModel } from '../api';
import { link, navigate, Page } from '../router';
import { errorBox, fmtTime, h, isAbort, setCrumbs } from '../util';
import {
  aliasChip, confirmButton, descriptionEditor, historyTable, loadVersions, modelHref, section, stageBadge, tagsEditor,
  versionHref,
} from './model_parts';

/** `aliases`: the model's alias -> version list (model-versions/search
 * does not carry a version's aliases; registered-models/get does). */
function versionsTable(name: string, versions: ModelVersion[], aliases: { alias: string; version: string }[]): HTMLElement {
  if (!versions.length) return h('div', { id: 'model-versions', class: 'muted' }, 'No versions.');
  return h('table', { class: 'grid', id: 'model-versions' },
    h('thead', {}, h('tr', {}, h('th', { class: 'num' }, 'Version'), h('th', {}, 'Stage'), h('th', {}, 'Aliases'),
      h('th', {}, 'Created'), h('th', {}, 'Source run'), h('th', {}, 'Status'))),
    h('tbody', {}, ...versions.map((v) => h('tr', { 'data-version': v.version },
      h('td', { class: 'num' }, link(versionHref(name, v.version), `Version ${v.version}`)),
      h('td', {}, stageBadge(v.current_stage)),
      h('td', {}, ...aliases.filter((a) => a.version === v.version).flatMap((a, i) => [i ? ' ' : '', aliasChip(a.alias)])),
      h('td', {}, fmtTime(v.creation_timestamp)),
      h('td', {}, v.run_id ? link(`runs/${encodeURIComponent(v.run_id)}`, v.run_id, 'mono') : h('span', { class: 'muted' }, '—')),
      h('td', { class: `mv-${v.status || ''}` }, v.status || '')))));
}

/** The aliases as chips with a delete button each, and a form to point an
 * alias at a version (moving it when it exists). */
function aliasesBlock(m: RegisteredModel, versions: ModelVersion[], changed: () => void): HTMLElement {
  const status = h('div', { class: 'form-status', 'aria-live': 'polite' });
  const list = h('ul', { class: 'aliases' }, ...(m.aliases || []).map((a) => {
    const rm = h('button', { type: 'button', class: 'icon', 'aria-label': `Delete alias ${a.alias}`, title: 'Delete alias' }, '×');
    rm.addEventListener('click', async () => {
      try {
        await registry.deleteAlias(m.name, a.alias);
        changed();
      } catch (e) {
        status.replaceChildren(errorBox(e));
      }
    });
    return h('li', { 'data-alias': a.alias }, aliasChip(a.alias), ' → ', link(versionHref(m.name, a.version), `Version ${a.version}`), rm);
  }));
  if (!m.aliases?.length) list.append(h('li', { class: 'muted' }, 'No aliases.'));
  const alias = h('input', { type: 'text', name: 'alias', placeholder: 'Alias, e.g. champion', required: true, 'aria-label': 'Alias' });
  const version = h('select', { name: 'version', 'aria-label': 'Version for the alias' },
    ...versions.map((v) => h('option', { value: v.version }, `Version ${v.version}`)));
  const form = h('form', { class: 'inline', id: 'alias-form' }, alias, version, h('button', { type: 'submit', disabled: !versions.length }, 'Set alias'));
  form.addEventListener('submit', async (ev) => {
    ev.preventDefault();
    status.replaceChildren();
    try {
      await registry.setAlias(m.name, alias.value.trim(), version.value);
      changed();
    } catch (e) {
      status.replaceChildren(errorBox(e));
    }
  });
  return h('div', { id: 'model-aliases' }, list, form, status);
}

/** The name with a Rename button that turns it into a form (Escape cancels). */
function renameBlock(name: string): HTMLElement {
  const box = h('div', { class: 'reg-rename' });
  const idle = () => {
    const b = h('button', { type: 'button', id: 'rename-model' }, 'Rename');
    b.addEventListener('click', () => {
      const input = h('input', { type: 'text', name: 'new_name', value: name, required: true, 'aria-label': 'New model name' });
      const cancel = h('button', { type: 'button' }, 'Cancel');
      const form = h('form', { class: 'inline' }, input, h('button', { type: 'submit' }, 'Save'), cancel);
      const back = () => {
        idle();
        box.querySelector('button')?.focus();
      };
      cancel.addEventListener('click', back);
      input.addEventListener('keydown', (ev) => { if (ev.key === 'Escape') back(); });
      form.addEventListener('submit', async (ev) => {
        ev.preventDefault();
        form.querySelector('.error')?.remove();
        const to = input.value.trim();
        if (to === name) return back();
        try {
          await registry.renameModel(name, to);
          navigate(modelHref(to), true);
        } catch (e) {
          form.append(errorBox(e));
        }
      });
      box.replaceChildren(form);
      input.select();
    });
    box.replaceChildren(b);
  };
  idle();
  return box;
}

export function modelPage(root: HTMLElement, match: RegExpExecArray): Page {
  const ctl = new AbortController();
  const name = match[1];
  setCrumbs(link('models', 'Models'), name);
  const page = h('section', { class: 'page model-page' }, h('div', { class: 'toolbar' }, h('h1', { title: name }, name),
    renameBlock(name), h('span', { class: 'spacer' }),
    confirmButton('Delete model', `Delete ${name} with all its versions?`, async () => {
      await registry.deleteModel(name);
      navigate('models');
    })));
  const status = h('div', { class: 'status', 'aria-live': 'polite' }, 'Loading…');
  page.append(status);
  root.append(page);

  // Aliases and history change together (an alias move is history), so
  // both are redrawn after any alias or stage change.
  const aliasSlot = h('div');
  const versionsSlot = h('div');
  const historySlot = h('div');
  const refresh = async (first: boolean) => {
    const [{ registered_model: m }, versions, hist] = await Promise.all([
      registry.getModel(name, ctl.signal), loadVersions(name, ctl.signal), registry.history(name, undefined, ctl.signal)]);
    if (first) {
      const meta = h('div', { class: 'reg-meta muted' }, `Created ${fmtTime(m.creation_timestamp)}`,
        m.last_updated_timestamp ? ` · last modified ${fmtTime(m.last_updated_timestamp)}` : '',
        ` · ${versions.length} version${versions.length === 1 ? '' : 's'}`);
      page.append(meta,
        h('div', { class: 'cols' },
          h('div', {},
            section('model-description-section', 'Description', descriptionEditor('model-description', m.description || '',
              async (t) => { await registry.updateModel(name, t); })),
            section('model-tags-section', 'Tags', tagsEditor('model-tags', m.tags || [],
              (k, v) => registry.setModelTag(name, k, v), (k) => registry.deleteModelTag(name, k)))),
          h('div', {}, section('model-aliases-section', 'Aliases', aliasSlot))),
        section('model-versions-section', 'Versions', versionsSlot),
        section('model-history-section', 'Stage transitions and alias moves', historySlot));
    }
    const redraw = () => { // after an alias change: keep the keyboard where it was
      refresh(false).then(() => aliasSlot.querySelector<HTMLInputElement>('input[name=alias]')?.focus()).catch((e) => {
        if (!isAbort(e)) status.replaceChildren(errorBox(e));
      });
    };
    aliasSlot.replaceChildren(aliasesBlock(m, versions, redraw));
    versionsSlot.replaceChildren(versionsTable(name, versions, m.aliases || []));
    historySlot.replaceChildren(historyTable('model-history', name, hist.history || [], true));
    status.textContent = '';
  };
  refresh(true).catch((e) => {
    if (!isAbort(e)) status.replaceChildren(errorBox(e));
  });
  return { dispose: () => ctl.abort() };
}

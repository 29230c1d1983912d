// model_parts.ts - pieces the model registry pages share (models.ts,
// model.ts, model_version.ts): links, stage badges, the description and tag
// editors, the history table, a two-step delete button and loading every
// version of a model.

import { KV, ModelVersion, registry, RegistryEvent } from '../api';
import { link } from '../router';
import { errorBox, fmtTime, h } from '../util';

export const STAGES = ['None', 'Staging', 'Production', 'Archived'];

export const modelHref = (name: string) => `models/${encodeURIComponent(name)}`;
export const versionHref = (name: string, v: string) => `${modelHref(name)}/versions/${encodeURIComponent(v)}`;

export function stageBadge(stage?: string): HTMLElement {
  const s = stage || 'None';
  return h('span', { class: `stage stage-${STAGES.includes(s) ? s : 'None'}` }, s);
}

export function aliasChip(alias: string): HTMLElement {
  return h('span', { class: 'alias-chip' }, `@${alias}`);
}

/** A filter matching one model's versions. Filter strings cannot escape a
 * quote, so a name with ' or \ is matched with LIKE (those characters as
 * "_") and the caller keeps only exact names. */
export function versionsFilter(name: string): string {
  return /['\\]/.test(name) ? `name LIKE '${name.replace(/['\\]/g, '_')}'` : `name='${name}'`;
}

/** Every version of `name`, newest first (bounded at 20 pages of 1000). */
export async function loadVersions(name: string, signal: AbortSignal): Promise<ModelVersion[]> {
  const out: ModelVersion[] = [];
  let token: string | undefined;
  for (let i = 0; i < 20; i++) {
    const r = await registry.searchVersions(versionsFilter(name), 1000, token, signal);
    out.push(...(r.model_versions || []).filter((v) => v.name === name));
    token = r.next_page_token;
    if (!token) break;
  }
  return out.sort((a, b) => Number(b.version) - Number(a.version));
}

/** A section with a heading and an id, as every block of these pages is. */
export function section(id: string, title: string, ...children: (Node | string)[]): HTMLElement {
  return h('section', { id, 'aria-labelledby': `${id}-h` }, h('h2', { id: `${id}-h` }, title), ...children);
}

/** Text shown read-only with an Edit button; editing shows a textarea
 * (Ctrl+Enter saves, Escape cancels). `save` rejects to keep the editor. */
export function descriptionEditor(id: string, initial: string, save: (text: string) => Promise<void>): HTMLElement {
  let text = initial;
  const box = h('div', { class: 'description', id });
  const show = () => {
    const edit = h('button', { type: 'button', class: 'edit' }, 'Edit');
    edit.addEventListener('click', editMode);
    box.replaceChildren(text ? h('div', { class: 'desc-text' }, text) : h('div', { class: 'muted' }, 'No description.'),
      h('div', { class: 'row' }, edit));
  };
  const editMode = () => {
    const area = h('textarea', { rows: 5, 'aria-label': 'Description' });
    area.value = text;
    const saveBtn = h('button', { type: 'submit' }, 'Save');
    const cancel = h('button', { type: 'button' }, 'Cancel');
    const form = h('form', { class: 'desc-form' }, area, h('div', { class: 'row' }, saveBtn, cancel));
    const done = () => {
      show();
      box.querySelector<HTMLButtonElement>('button.edit')?.focus();
    };
    cancel.addEventListener('click', done);
    area.addEventListener('keydown', (ev) => {
      if (ev.key === 'Escape') done();
      else if (ev.key === 'Enter' && (ev.ctrlKey || ev.metaKey)) form.requestSubmit();
    });
    form.addEventListener('submit', async (ev) => {
      ev.preventDefault();
      form.querySelector('.error')?.remove();
      saveBtn.disabled = true;
      try {
        await save(area.value);
        text = area.value;
        done();
      } catch (e) {
        saveBtn.disabled = false;
        form.append(errorBox(e));
      }
    });
    box.replaceChildren(form);
    area.focus();
  };
  show();
  return box;
}

/** A key/value table with a remove button per tag and a form to add or
 * overwrite one. The callbacks call the API; the table follows on success. */
export function tagsEditor(id: string, initial: KV[], set: (k: string, v: string) => Promise<unknown>,
  del: (k: string) => Promise<unknown>): HTMLElement {
  const tags = new Map(initial.map((t) => [t.key, t.value]));
  const tbody = h('tbody');
  const status = h('div', { class: 'form-status', 'aria-live': 'polite' });
  const fail = (e: unknown) => status.replaceChildren(errorBox(e));
  const draw = () => {
    const keys = [...tags.keys()].sort();
    tbody.replaceChildren(...keys.map((k) => {
      const rm = h('button', { type: 'button', class: 'icon', 'aria-label': `Remove tag ${k}`, title: 'Remove' }, '×');
      rm.addEventListener('click', async () => {
        status.replaceChildren();
        try {
          await del(k);
          tags.delete(k);
          draw();
          key.focus();
        } catch (e) {
          fail(e);
        }
      });
      return h('tr', {}, h('th', {}, k), h('td', {}, tags.get(k) || ''), h('td', { class: 'act' }, rm));
    }));
    if (!keys.length) tbody.append(h('tr', {}, h('td', { colspan: 3, class: 'muted' }, 'No tags.')));
  };
  const key = h('input', { type: 'text', name: 'key', placeholder: 'Key', required: true, 'aria-label': 'Tag key' });
  const value = h('input', { type: 'text', name: 'value', placeholder: 'Value', 'aria-label': 'Tag value' });
  const form = h('form', { class: 'inline' }, key, value, h('button', { type: 'submit' }, 'Add tag'));
  form.addEventListener('submit', async (ev) => {
    ev.preventDefault();
    status.replaceChildren();
    const k = key.value.trim();
    if (!k) return;
    try {
      await set(k, value.value);
      tags.set(k, value.value);
      key.value = '';
      value.value = '';
      draw();
      key.focus();
    } catch (e) {
      fail(e);
    }
  });
  draw();
  return h('div', { id }, h('table', { class: 'grid kv' }, tbody), form, status);
}

/** "Staging → Production", "@champion → 3", "@champion 3 → removed". */
export function describeEvent(e: RegistryEvent): string {
  const from = e.from || (e.kind === 'alias' ? '' : 'None');
  const to = e.to || 'removed';
  if (e.kind === 'alias') return `@${e.alias || ''}${from ? ` ${from}` : ''} → ${to}`;
  return `${from} → ${to}`;
}

/** The audit trail, newest first, as a table. */
export function historyTable(id: string, name: string, events: RegistryEvent[], withVersion: boolean): HTMLElement {
  if (!events.length) return h('div', { id, class: 'muted' }, 'No stage transitions or alias moves recorded.');
  const rows = [...events].sort((a, b) => b.event_id - a.event_id).map((e) => h('tr', { 'data-kind': e.kind },
    h('td', {}, fmtTime(e.timestamp)),
    withVersion ? h('td', { class: 'num' }, link(versionHref(name, e.version), `v${e.version}`)) : null,
    h('td', {}, e.kind === 'stage' ? 'stage' : 'alias'),
    h('td', { class: 'change' }, describeEvent(e)),
    h('td', {}, e.user_id || ''),
    h('td', {}, e.comment || '')));
  return h('table', { class: 'grid', id },
    h('thead', {}, h('tr', {}, h('th', {}, 'Time'), withVersion ? h('th', { class: 'num' }, 'Version') : null,
      h('th', {}, 'Kind'), h('th', {}, 'Change'), h('th', {}, 'User'), h('th', {}, 'Comment'))),
    h('tbody', {}, ...rows));
}

/** A button that asks again in place before a destructive action: the
 * first press shows "Confirm" and "Cancel" (focused, so Enter cancels). */
export function confirmButton(label: string, question: string, action: () => Promise<void>): HTMLElement {
  const box = h('div', { class: 'reg-confirm' });
  const idle = () => {
    const b = h('button', { type: 'button', class: 'reg-danger' }, label);
    b.addEventListener('click', () => {
      const yes = h('button', { type: 'button', class: 'reg-danger' }, 'Confirm');
      const no = h('button', { type: 'button' }, 'Cancel');
      no.addEventListener('click', () => {
        idle();
        box.querySelector('button')?.focus();
      });
      yes.addEventListener('click', async () => {
        yes.disabled = true;
        try {
          await action();
        } catch (e) {
          yes.disabled = false;
          box.append(errorBox(e));
        }
      });
      box.replaceChildren(h('span', {}, question), yes, no);
      no.focus();
    });
    box.replaceChildren(b);
  };
  idle();
  return box;
}

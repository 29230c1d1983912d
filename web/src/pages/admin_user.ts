// admin_user.ts - one user's permissions (admin/users/<name>, only with
// auth on): the experiments and registered models they have their own
// permission on, each changeable (a select) or removable, and forms to grant
// one more. Anything without a row gets the server's default permission.

import { api, registry, User, users } from '../api';
import { link, Page } from '../router';
import { PERMISSIONS } from '../permissions';
import { confirmDialog, errorBox, h, isAbort, setCrumbs } from '../util';

interface Kind {
  key: 'experiment' | 'model'; title: string; id: string; label: string;
  rows: (u: User) => { key: string; permission: string }[];
  grant: (key: string, username: string, p: string) => Promise<object>;
  update: (key: string, username: string, p: string) => Promise<object>;
  revoke: (key: string, username: string) => Promise<object>;
  show: (key: string, names: Map<string, string>) => Node;
}

/** The two kinds of resource a permission is on, as a table. */
const KINDS: Kind[] = [
  { key: 'experiment', title: 'Experiment permissions', id: 'experiment-permissions', label: 'Experiment',
    rows: (u) => (u.experiment_permissions || []).map((p) => ({ key: p.experiment_id, permission: p.permission })),
    grant: users.grantExperiment, update: users.updateExperiment, revoke: users.revokeExperiment,
    show: (id, names) => h('span', {}, link(`experiments/${encodeURIComponent(id)}`, names.get(id) || `experiment ${id}`),
      h('span', { class: 'muted' }, ` (id ${id})`)) },
  { key: 'model', title: 'Registered model permissions', id: 'model-permissions', label: 'Registered model',
    rows: (u) => (u.registered_model_permissions || []).map((p) => ({ key: p.name, permission: p.permission })),
    grant: users.grantModel, update: users.updateModel, revoke: users.revokeModel,
    show: (name) => link(`models/${encodeURIComponent(name)}`, name) },
];

const permissionSelect = (value: string, label: string) =>
  h('select', { 'aria-label': label, class: 'permission' },
    ...PERMISSIONS.map((p) => h('option', { value: p, selected: p === value }, p)));

/** Experiment ids to names and the registered models' names, for the pickers (what exists now; bounded). */
async function choices(signal: AbortSignal): Promise<{ experiments: Map<string, string>; models: string[] }> {
  const experiments = new Map<string, string>();
  const models: string[] = [];
  let token: string | undefined;
  for (let i = 0; i < 20; i++) {
    const r = await api.searchExperiments({ max_results: 1000, view_type: 'ALL', page_token: token }, signal);
    for (const e of r.experiments || []) experiments.set(e.experiment_id, e.name);
    token = r.next_page_token;
    if (!token) break;
  }
  token = undefined;
  for (let i = 0; i < 20; i++) {
    const r = await registry.searchModels(undefined, 'name ASC', 1000, token, signal);
    for (const m of r.registered_models || []) models.push(m.name);
    token = r.next_page_token;
    if (!token) break;
  }
  return { experiments, models };
}

export function adminUserPage(root: HTMLElement, m: RegExpExecArray): Page {
  const ctl = new AbortController();
  const username = m[1];
  setCrumbs(link('admin', 'Admin'), link('admin', 'Users'), username);
  const head = h('div', { class: 'toolbar' }, h('h1', {}, username));
  const errBox = h('div', { id: 'permissions-error' });
  const body = h('div', {}, h('div', { class: 'status' }, 'Loading…'));
  root.append(h('section', { class: 'page admin-user' }, head, errBox, body));
  const fail = (e: unknown) => errBox.replaceChildren(errorBox(e));
  let names = { experiments: new Map<string, string>(), models: [] as string[] };

  const section = (u: User, k: Kind): HTMLElement => {
    const tbody = h('tbody');
    for (const row of k.rows(u).sort((a, b) => a.key.localeCompare(b.key, undefined, { numeric: true }))) {
      const select = permissionSelect(row.permission, `Permission on ${k.label.toLowerCase()} ${row.key}`);
      select.addEventListener('change', async () => {
        try {
          await k.update(row.key, username, select.value);
          row.permission = select.value;
          errBox.replaceChildren();
        } catch (e) {
          select.value = row.permission;
          fail(e);
        }
      });
      const remove = h('button', { type: 'button', class: 'danger-outline remove',
        'aria-label': `Remove the permission on ${k.label.toLowerCase()} ${row.key}` }, 'Remove');
      remove.addEventListener('click', async () => {
        if (!await confirmDialog(`Remove ${username}'s own permission on ${k.label.toLowerCase()} ${row.key}? `
          + 'The default permission applies then.', 'Remove')) {
          remove.focus();
          return;
        }
        try {
          await k.revoke(row.key, username);
          errBox.replaceChildren();
          reload();
        } catch (e) {
          fail(e);
        }
      });
      tbody.append(h('tr', { 'data-key': row.key }, h('td', {}, k.show(row.key, names.experiments)), h('td', {}, select),
        h('td', { class: 'act' }, remove)));
    }
    const listId = `${k.id}-choices`;
    const options = k.key === 'experiment'
      ? [...names.experiments].map(([id, name]) => h('option', { value: id }, name))
      : names.models.map((n) => h('option', { value: n }));
    const target = h('input', { type: 'text', required: true, list: listId, class: 'grant-target',
      placeholder: k.key === 'experiment' ? 'Experiment id' : 'Model name', 'aria-label': `${k.label} to grant on` });
    const level = permissionSelect('READ', 'Permission to grant');
    const form = h('form', { class: 'inline grant-form', id: `grant-${k.key}` }, target, level,
      h('button', { type: 'submit' }, 'Grant'), h('datalist', { id: listId }, ...options));
    form.addEventListener('submit', async (ev) => {
      ev.preventDefault();
      try {
        await k.grant(target.value.trim(), username, level.value);
        errBox.replaceChildren();
        reload();
      } catch (e) {
        fail(e);
      }
    });
    const rows = tbody.children.length ? h('table', { class: 'grid', id: k.id }, h('thead', {}, h('tr', {},
      h('th', {}, k.label), h('th', {}, 'Permission'), h('th', { class: 'act' }, h('span', { class: 'sr-only' }, 'Actions')))),
    tbody) : h('p', { class: 'muted', id: k.id }, 'None of their own: the default permission applies.');
    return h('section', { class: 'permission-part' }, h('h2', {}, k.title), rows, form);
  };

  function reload(): void {
    users.get(username, ctl.signal).then((r) => {
      const u = r.user;
      head.replaceChildren(h('h1', {}, username), ...u.is_admin ? [h('span', { class: 'badge' }, 'administrator')] : []);
      body.replaceChildren(
        u.is_admin ? h('p', { class: 'muted' }, 'An administrator may read and change everything; the rows below apply if they stop being one.') : '',
        ...KINDS.map((k) => section(u, k)));
    }).catch((e) => {
      if (!isAbort(e)) body.replaceChildren(errorBox(e));
    });
  }
  choices(ctl.signal).then((c) => {
    names = c;
    reload();
  }).catch((e) => {
    if (isAbort(e)) return;
    fail(e);
    reload();
  });
  return { dispose: () => ctl.abort() };
}

// admin.ts - the administrators' page of users (only with auth on): every
// user with their role, a form to create one, and per user: make or unmake
// admin, reset the password (inline), delete (after a confirm step), and a
// link to their experiment and model permissions (admin_user.ts). Links to
// the audit trail (admin_audit.ts). For anyone else the server refuses
// users/list and the page says so.

import { User, users } from '../api';
import { currentUser, setSignedIn } from '../auth';
import { link, Page } from '../router';
import { confirmDialog, errorBox, h, isAbort, setCrumbs } from '../util';
import { MIN_PASSWORD } from './account';

/** The sections of the admin pages, for their toolbars. */
export function adminTabs(current: 'users' | 'audit'): HTMLElement {
  const tab = (rel: string, text: string, on: boolean) => {
    const a = link(rel, text);
    if (on) a.setAttribute('aria-current', 'page');
    return a;
  };
  return h('nav', { class: 'admin-tabs', 'aria-label': 'administration' },
    tab('admin', 'Users', current === 'users'), tab('admin/audit', 'Audit trail', current === 'audit'));
}

export function adminPage(root: HTMLElement): Page {
  const ctl = new AbortController();
  setCrumbs(link('admin', 'Admin'), 'Users');
  const username = h('input', { type: 'text', id: 'new-username', placeholder: 'Username', required: true,
    autocomplete: 'off', 'aria-label': 'New user\'s name' });
  const password = h('input', { type: 'password', id: 'new-user-password', placeholder: `Password, ${MIN_PASSWORD}+ characters`,
    required: true, autocomplete: 'new-password', 'aria-label': 'New user\'s password' });
  const create = h('form', { class: 'inline', id: 'create-user' }, username, password,
    h('button', { type: 'submit' }, 'Create user'));
  const errBox = h('div', { id: 'users-error' });
  const status = h('div', { class: 'status', 'aria-live': 'polite' }, 'Loading…');
  const tbody = h('tbody');
  const table = h('table', { class: 'grid', id: 'users' }, h('thead', {}, h('tr', {}, h('th', {}, 'Username'),
    h('th', {}, 'Role'), h('th', {}, 'Permissions'), h('th', { class: 'actions' }, h('span', { class: 'sr-only' }, 'Actions')))),
  tbody);
  root.append(h('section', { class: 'page admin' },
    h('div', { class: 'toolbar' }, h('h1', {}, 'Users'), adminTabs('users'), create), errBox, status, table));
  const fail = (e: unknown) => errBox.replaceChildren(errorBox(e));

  const rowOf = (u: User): HTMLElement => {
    const self = currentUser()?.username === u.username;
    const page = `admin/users/${encodeURIComponent(u.username)}`;
    const acts = h('td', { class: 'actions' });
    const cell = h('td', { class: 'name' }, link(page, u.username), self ? h('span', { class: 'muted' }, ' (you)') : null);
    const tr = h('tr', { 'data-user': u.username }, cell, h('td', {}, u.is_admin ? 'admin' : 'user'),
      h('td', {}, link(page, u.is_admin ? 'all (admin)' : 'view / change')), acts);
    const role = h('button', { type: 'button', class: 'toggle-admin' }, u.is_admin ? 'Remove admin' : 'Make admin');
    role.addEventListener('click', async () => {
      role.disabled = true;
      try {
        await users.setAdmin(u.username, !u.is_admin);
        if (self) setSignedIn({ ...u, is_admin: !u.is_admin }); // the header's Admin link follows
        errBox.replaceChildren();
        reload();
      } catch (e) {
        role.disabled = false;
        fail(e);
      }
    });
    const reset = h('button', { type: 'button', class: 'reset-password' }, 'Reset password');
    reset.addEventListener('click', () => {
      const input = h('input', { type: 'password', required: true, autocomplete: 'new-password',
        placeholder: 'New password', 'aria-label': `New password for ${u.username}` });
      const cancel = h('button', { type: 'button' }, 'Cancel');
      const form = h('form', { class: 'inline reset-form' }, input, h('button', { type: 'submit' }, 'Save'), cancel);
      const close = () => {
        form.remove();
        reset.hidden = false;
        reset.focus();
      };
      cancel.addEventListener('click', close);
      form.addEventListener('submit', async (ev) => {
        ev.preventDefault();
        try {
          // an admin resetting someone else's needs no current password; their own goes through the account page
          await users.setPassword(u.username, input.value);
          errBox.replaceChildren(h('div', { class: 'ok', role: 'status' }, `${u.username}'s password was reset; their sessions ended.`));
          close();
        } catch (e) {
          fail(e);
          input.focus();
        }
      });
      reset.hidden = true;
      acts.prepend(form);
      input.focus();
    });
    if (self) reset.hidden = true; // their own password: the account page, which asks the current one
    const del = h('button', { type: 'button', class: 'delete danger-outline', 'aria-label': `Delete ${u.username}` }, 'Delete');
    del.addEventListener('click', async () => {
      if (!await confirmDialog(`Delete the user "${u.username}", their permissions and tokens?`, 'Delete')) {
        del.focus();
        return;
      }
      try {
        await users.remove(u.username);
        errBox.replaceChildren();
        reload();
      } catch (e) {
        fail(e);
      }
    });
    acts.append(role, reset, del);
    return tr;
  };

  function reload(): void {
    users.list(ctl.signal).then((r) => {
      const list = (r.users || []).slice().sort((a, b) => a.username.localeCompare(b.username));
      tbody.replaceChildren(...list.map(rowOf));
      status.textContent = `${list.length} user${list.length === 1 ? '' : 's'}`;
    }).catch((e) => {
      if (!isAbort(e)) status.replaceChildren(errorBox(e));
    });
  }
  create.addEventListener('submit', async (ev) => {
    ev.preventDefault();
    if (password.value.length < MIN_PASSWORD) {
      fail(`A password needs at least ${MIN_PASSWORD} characters.`);
      return;
    }
    try {
      await users.create(username.value.trim(), password.value);
      errBox.replaceChildren(h('div', { class: 'ok', role: 'status' }, `User ${username.value.trim()} created.`));
      create.reset();
      reload();
    } catch (e) {
      fail(e);
    }
  });
  reload();
  return { dispose: () => ctl.abort() };
}

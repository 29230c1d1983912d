// account.ts - the signed-in user's own account (only with auth on): change
// the password (the current one is asked; the change ends every session, so
// the page signs in again with the new one), and access tokens for clients
// (MLFLOW_TRACKING_TOKEN, sent as "Authorization: Bearer"): create one with
// an expiry (its secret shown once, with a copy button), list, revoke.

import { ApiError, Token, users } from '../api';
import { currentUser, setSignedIn } from '../auth';
import { Page } from '../router';
import { confirmDialog, errorBox, fmtTime, h, isAbort, setCrumbs } from '../util';

export const MIN_PASSWORD = 12; // the server's rule (users/create, update-password)

const EXPIRIES: { days: number; label: string }[] = [
  { days: 30, label: '30 days' }, { days: 90, label: '90 days' }, { days: 365, label: '1 year' },
  { days: 0, label: 'never' },
];

/** A form's message line: an error box or a quiet confirmation. */
function say(box: HTMLElement, what: unknown, ok = false): void {
  box.replaceChildren(ok ? h('div', { class: 'ok', role: 'status' }, String(what)) : errorBox(what));
}

function passwordSection(username: string): HTMLElement {
  const current = h('input', { type: 'password', id: 'current-password', autocomplete: 'current-password', required: true });
  const next = h('input', { type: 'password', id: 'new-password', autocomplete: 'new-password', required: true });
  const again = h('input', { type: 'password', id: 'new-password-again', autocomplete: 'new-password', required: true });
  const status = h('div', { id: 'password-status', 'aria-live': 'polite' });
  const form = h('form', { id: 'password-form', class: 'auth-form' },
    h('label', { for: 'current-password' }, 'Current password'), current,
    h('label', { for: 'new-password' }, `New password (at least ${MIN_PASSWORD} characters)`), next,
    h('label', { for: 'new-password-again' }, 'New password again'), again,
    status, h('div', { class: 'form-buttons' }, h('button', { type: 'submit' }, 'Change password')));
  form.addEventListener('submit', async (ev) => {
    ev.preventDefault();
    if (next.value.length < MIN_PASSWORD) return say(status, `The new password needs at least ${MIN_PASSWORD} characters.`);
    if (next.value !== again.value) return say(status, 'The two new passwords differ.');
    try {
      await users.setPassword(username, next.value, current.value);
    } catch (e) {
      return say(status, e);
    }
    try { // the change signed every session out, this one too
      setSignedIn((await users.signIn(username, next.value)).user);
      form.reset();
      say(status, 'Password changed. Other sessions were signed out.', true);
    } catch (e) {
      say(status, e);
    }
  });
  return h('section', { class: 'account-part' }, h('h2', {}, 'Password'), form);
}

function tokensSection(signal: AbortSignal): HTMLElement {
  const name = h('input', { type: 'text', id: 'token-name', placeholder: 'Token name, e.g. laptop', maxlength: 255,
    'aria-label': 'Token name' });
  const expiry = h('select', { id: 'token-expiry', 'aria-label': 'Expires after' },
    ...EXPIRIES.map((x) => h('option', { value: x.days, selected: x.days === 90 }, x.label)));
  const form = h('form', { class: 'inline', id: 'token-form' }, name, h('span', { class: 'muted' }, 'expires after'), expiry,
    h('button', { type: 'submit' }, 'Create token'));
  const secretBox = h('div', { id: 'token-secret-box' });
  const status = h('div', { id: 'tokens-status', 'aria-live': 'polite' });
  const tbody = h('tbody');
  const table = h('table', { class: 'grid', id: 'tokens' }, h('thead', {}, h('tr', {}, h('th', {}, 'Name'),
    h('th', {}, 'Created'), h('th', {}, 'Expires'), h('th', {}, 'Last used'), h('th', {}, 'State'),
    h('th', { class: 'actions' }, h('span', { class: 'sr-only' }, 'Actions')))), tbody);

  const rowOf = (t: Token): HTMLElement => {
    const expired = !!t.expiry_time && t.expiry_time < Date.now();
    const state = t.revoked ? 'revoked' : expired ? 'expired' : 'active';
    const acts = h('td', { class: 'act' });
    if (state === 'active') {
      const revoke = h('button', { type: 'button', class: 'danger-outline revoke', 'aria-label': `Revoke ${t.name || t.id}` },
        'Revoke');
      revoke.addEventListener('click', async () => {
        if (!await confirmDialog(`Revoke the token "${t.name || t.id}"? Clients using it are refused from then on.`, 'Revoke')) {
          revoke.focus();
          return;
        }
        try {
          await users.revokeToken(t.id);
          reload();
        } catch (e) {
          say(status, e);
        }
      });
      acts.append(revoke);
    }
    return h('tr', { 'data-id': t.id, class: state === 'active' ? '' : 'inactive' }, h('td', {}, t.name || '(no name)'),
      h('td', {}, fmtTime(t.creation_time)), h('td', {}, t.expiry_time ? fmtTime(t.expiry_time) : 'never'),
      h('td', {}, fmtTime(t.last_used_time) || '—'), h('td', { class: `token-${state}` }, state), acts);
  };
  function reload(): void {
    users.listTokens(signal).then((r) => {
      const list = (r.tokens || []).slice().sort((a, b) => b.creation_time - a.creation_time);
      tbody.replaceChildren(...list.map(rowOf));
      status.replaceChildren(list.length ? '' : h('span', { class: 'muted' }, 'No tokens yet.'));
    }).catch((e) => {
      if (!isAbort(e)) say(status, e);
    });
  }
  form.addEventListener('submit', async (ev) => {
    ev.preventDefault();
    secretBox.replaceChildren();
    try {
      const r = await users.createToken(name.value.trim(), Number(expiry.value));
      const secret = h('code', { id: 'token-secret', class: 'mono' }, r.secret);
      const copy = h('button', { type: 'button', class: 'copy', id: 'copy-token' }, 'Copy');
      copy.addEventListener('click', async () => {
        try {
          await navigator.clipboard.writeText(r.secret);
          copy.textContent = 'Copied';
        } catch { // no clipboard (an insecure origin): select it for Ctrl+C
          getSelection()?.selectAllChildren(secret);
          copy.textContent = 'Selected: press Ctrl+C';
        }
      });
      secretBox.replaceChildren(h('div', { class: 'token-secret', role: 'status' },
        h('p', {}, h('strong', {}, `Token "${r.token.name || r.token.id}" created. `),
          'Copy it now: it will not be shown again. Clients send it as MLFLOW_TRACKING_TOKEN.'),
        h('div', { class: 'secret-row' }, secret, copy)));
      form.reset();
      reload();
    } catch (e) {
      secretBox.replaceChildren(errorBox(e));
    }
  });
  reload();
  return h('section', { class: 'account-part' }, h('h2', {}, 'Access tokens'),
    h('p', { class: 'muted' }, 'For clients and scripts: a token stands for your password (Authorization: Bearer).'),
    form, secretBox, status, table);
}

export function accountPage(root: HTMLElement): Page {
  const ctl = new AbortController();
  const me = currentUser();
  setCrumbs('Account');
  if (!me) {
    root.append(h('section', { class: 'page' }, errorBox(new ApiError(401, 'UNAUTHENTICATED', 'Not signed in.'))));
    return {};
  }
  root.append(h('section', { class: 'page account' },
    h('div', { class: 'toolbar' }, h('h1', {}, `Account: ${me.username}`),
      me.is_admin ? h('span', { class: 'badge' }, 'administrator') : null),
    passwordSection(me.username), tokensSection(ctl.signal)));
  return { dispose: () => ctl.abort() };
}

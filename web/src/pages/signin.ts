// signin.ts - the sign-in page (only with auth on): a username and a
// password traded for a session cookie (/mlflowc/auth/sign-in), then back to
// the page the user was on (?next=). Wrong credentials and the server's
// slow-down after repeated failures (429) are said in the form.

import { ApiError, users } from '../api';
import { safeNext, setSignedIn } from '../auth';
import { navigate, Page } from '../router';
import { h, setCrumbs } from '../util';

export function signInPage(root: HTMLElement, _m: RegExpExecArray, query: URLSearchParams): Page {
  setCrumbs('Sign in');
  const username = h('input', { type: 'text', name: 'username', id: 'sign-in-username', autocomplete: 'username',
    required: true, autocapitalize: 'none', spellcheck: 'false' });
  const password = h('input', { type: 'password', name: 'password', id: 'sign-in-password',
    autocomplete: 'current-password', required: true });
  const submit = h('button', { type: 'submit', class: 'primary' }, 'Sign in');
  const status = h('div', { id: 'sign-in-error', 'aria-live': 'assertive' });
  const form = h('form', { id: 'sign-in', class: 'auth-form', 'aria-labelledby': 'sign-in-title' },
    h('h1', { id: 'sign-in-title' }, 'Sign in to mlflowc'),
    h('label', { for: 'sign-in-username' }, 'Username'), username,
    h('label', { for: 'sign-in-password' }, 'Password'), password,
    status, h('div', { class: 'form-buttons' }, submit));
  root.append(h('section', { class: 'page signin' }, form));
  let live = true;
  form.addEventListener('submit', async (ev) => {
    ev.preventDefault();
    status.replaceChildren();
    submit.disabled = true;
    try {
      const r = await users.signIn(username.value.trim(), password.value);
      if (!live) return;
      setSignedIn(r.user);
      navigate(safeNext(query.get('next')), true);
    } catch (e) {
      if (!live) return;
      submit.disabled = false;
      const msg = e instanceof ApiError && e.status === 401 ? 'Wrong username or password.'
        : e instanceof ApiError && e.status === 429 && e.retryAfter // else the server's message says how long
          ? `Too many failed sign-ins from this address: try again in ${e.retryAfter} s.`
          : e instanceof Error ? e.message : String(e);
      status.replaceChildren(h('div', { class: 'error', role: 'alert' }, msg));
      password.select();
      password.focus();
    }
  });
  username.focus();
  return { dispose: () => { live = false; } };
}

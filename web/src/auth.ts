// auth.ts - who is signed in, when the server runs the basic-auth app
// (index.html's <meta name="mlflowc-auth" content="on">; with auth off none
// of this runs and the UI asks nothing about users). Holds the current user
// (asked once at start, then what sign-in answers), shows it in the header
// with "Sign out" (and "Admin" for administrators), and sends every page to
// the sign-in page while nobody is signed in or as soon as a request is
// answered 401, remembering where the user was (?next=) to go back there.

import { onSignedOut, User, users } from './api';
import { basePath, link, navigate, setGuard } from './router';
import { h } from './util';

const SIGN_IN = 'signin';
let me: User | null = null;

/** Whether the server asks users to sign in (the page it served says so). */
export function authEnabled(): boolean {
  return document.querySelector<HTMLMetaElement>('meta[name="mlflowc-auth"]')?.content === 'on';
}

/** The signed-in user, or null (auth off, or nobody signed in). Owned by this module: do not change it. */
export function currentUser(): User | null {
  return me;
}

/** The current address relative to the base, query included ("experiments/3?q=x"). */
function here(): string {
  const base = basePath();
  const p = location.pathname.startsWith(base) ? location.pathname.slice(base.length) : location.pathname.replace(/^\//, '');
  return p + location.search;
}

const onSignIn = () => /^signin\/?$/.test(here().split('?')[0]);

/** The sign-in page's address that comes back to `rel` (relative to the base) afterwards. */
function signInUrl(rel: string): string {
  return rel && !/^signin\/?(\?|$)/.test(rel) ? `${SIGN_IN}?next=${encodeURIComponent(rel)}` : SIGN_IN;
}

/** Where a sign-in page's ?next= leads: a page of this UI, else the start page (never another site). */
export function safeNext(next: string | null): string {
  if (!next) return './';
  let url: URL;
  try {
    url = new URL(next, document.baseURI);
  } catch {
    return './';
  }
  const base = basePath();
  if (url.origin !== location.origin || !url.pathname.startsWith(base)) return './';
  return url.pathname.slice(base.length) + url.search || './';
}

function renderHeader(): void {
  const top = document.querySelector('header.top');
  if (!top) return;
  let box = document.getElementById('session');
  if (!box) {
    box = h('div', { id: 'session', class: 'session' });
    top.append(box);
  }
  if (!me) {
    box.replaceChildren();
    return;
  }
  const out = h('button', { type: 'button', id: 'sign-out', class: 'link' }, 'Sign out');
  out.addEventListener('click', () => void signOut());
  box.replaceChildren(
    ...(me.is_admin ? [link('admin', 'Admin', 'admin-link')] : []),
    h('span', { class: 'signed-in' }, 'Signed in as ', link('account', me.username, 'username')),
    out);
}

/** Records `user` as signed in (the sign-in page's answer) and shows them in the header. */
export function setSignedIn(user: User): void {
  me = { id: user.id, username: user.username, is_admin: user.is_admin };
  renderHeader();
}

/** Ends the session (the server forgets it and clears the cookie) and shows the sign-in page. */
export async function signOut(): Promise<void> {
  try {
    await users.signOut();
  } catch {
    /* the session is dropped here either way; the next request would be refused */
  }
  me = null;
  renderHeader();
  navigate(SIGN_IN);
}

/**
 * Asks who is signed in (the session cookie), then keeps every page but the sign-in page for
 * signed-in users and turns a 401 into the sign-in page. Resolves once the answer is in, so
 * the router starts knowing it.
 */
export async function startAuth(): Promise<void> {
  try {
    setSignedIn((await users.current()).user);
  } catch {
    me = null; // not signed in (401), or the server cannot say: the sign-in page
  }
  renderHeader();
  setGuard(() => (!me && !onSignIn() ? signInUrl(here()) : null));
  onSignedOut(() => {
    if (onSignIn()) return; // a burst of refused requests goes there once
    me = null;
    renderHeader();
    navigate(signInUrl(here()), true);
  });
}

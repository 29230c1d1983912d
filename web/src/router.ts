// router.ts - client-side routing over the History API. Paths are relative
// to <base href> (the server's --static-prefix), so "experiments/3" is
// /prefix/experiments/3 in the address bar; the server answers index.html
// for every such path. The URLs of MLflow's own UI (its hash routes, its
// paths: mlflow_urls.ts) are rewritten in place to the page that shows the
// same thing.

import { mlflowTranslate } from './mlflow_urls';

export interface Page {
  /** Called when the page is left: abort fetches, drop observers. */
  dispose?: () => void;
}
export type Render = (root: HTMLElement, match: RegExpExecArray, query: URLSearchParams) => Page | void;

const routes: { re: RegExp; render: Render }[] = [];
let current: Page | void;
let guard: (() => string | null) | null = null;

/** Sets a check every page change passes first: it returns where to go instead (relative to the base), or null. */
export function setGuard(g: () => string | null): void {
  guard = g;
}

export function basePath(): string {
  return new URL(document.baseURI).pathname;
}

export function addRoute(re: RegExp, render: Render): void {
  routes.push({ re, render });
}

function decoded(s: string): string {
  try {
    return decodeURIComponent(s);
  } catch {
    return s; // a stray "%": taken as it is
  }
}

/** The route path without the base, e.g. "experiments/3". */
function routePath(): string {
  const base = basePath();
  const p = decoded(location.pathname);
  if (`${p}/` === base) return ''; // "/prefix" without its slash
  return p.startsWith(base) ? p.slice(base.length) : p.replace(/^\//, '');
}

const match = (path: string) => {
  for (const r of routes) {
    const m = r.re.exec(path);
    if (m) return { r, m };
  }
  return null;
};

/** Replaces the address bar's URL with `rel` (relative to the base), no history entry. */
function rewrite(rel: string): void {
  history.replaceState(null, '', new URL(rel || './', document.baseURI));
}

function notFound(root: HTMLElement, what: string): void {
  const home = document.createElement('a');
  home.href = './';
  home.dataset.nav = '';
  home.textContent = 'the experiments';
  const p = document.createElement('p');
  p.id = 'not-found';
  p.append(`Page not found: ${what}. Go to `, home, '.');
  root.replaceChildren(p);
}

export function render(): void {
  const root = document.getElementById('app')!;
  current?.dispose?.();
  current = undefined;
  root.replaceChildren();
  // "#/experiments/2/runs/<id>": an MLflow UI link (the hash never reaches the server)
  if (location.hash.startsWith('#/')) {
    const inner = new URL(location.hash.slice(1), 'http://h');
    const to = mlflowTranslate(decoded(inner.pathname.slice(1)), inner.searchParams, true);
    if (to === null) {
      notFound(root, location.hash);
      return;
    }
    rewrite(to);
  }
  const instead = guard?.();
  if (instead) rewrite(instead);
  let path = routePath();
  let hit = match(path);
  if (!hit) { // one of MLflow's paths without the hash (3.x path routing: experiments/2/runs, compare-runs, ...)
    const to = mlflowTranslate(path, new URLSearchParams(location.search), false);
    if (to !== null && match(decoded(to.split('?')[0]))) {
      rewrite(to);
      path = routePath();
      hit = match(path);
    }
  }
  if (hit) current = hit.r.render(root, hit.m, new URLSearchParams(location.search));
  else notFound(root, path);
}

/** Goes to a path relative to the base ("experiments/3?filter=..."). */
export function navigate(rel: string, replace = false): void {
  const url = new URL(rel, document.baseURI);
  if (replace) history.replaceState(null, '', url);
  else history.pushState(null, '', url);
  render();
}

/** Changes the query string of the current page without re-rendering it. */
export function setQuery(q: URLSearchParams, push = false): void {
  const s = q.toString();
  const url = location.pathname + (s ? `?${s}` : '');
  if (push) history.pushState(null, '', url);
  else history.replaceState(null, '', url);
}

export function startRouter(): void {
  window.addEventListener('popstate', render);
  document.addEventListener('click', (ev) => {
    if (ev.defaultPrevented || ev.button !== 0 || ev.metaKey || ev.ctrlKey || ev.shiftKey || ev.altKey) return;
    const a = (ev.target as Element).closest?.('a[data-nav]') as HTMLAnchorElement | null;
    if (!a || a.target) return;
    const url = new URL(a.href);
    if (url.origin !== location.origin) return;
    ev.preventDefault();
    history.pushState(null, '', url);
    render();
  });
  render();
}

/** A relative link inside the app. */
export function link(rel: string, text: string, cls = ''): HTMLAnchorElement {
  const a = document.createElement('a');
  a.href = rel;
  a.dataset.nav = '';
  if (cls) a.className = cls;
  a.textContent = text;
  return a;
}

// router.ts - client-side routing over the History API. Paths are relative
// to <base href> (the server's --static-prefix), so "experiments/3" is
// /prefix/experiments/3 in the address bar; the server answers index.html
// for every such path.

export interface Page {
  /** Called when the page is left: abort fetches, drop observers. */
  dispose?: () => void;
}
export type Render = (root: HTMLElement, match: RegExpExecArray, query: URLSearchParams) => Page | void;

const routes: { re: RegExp; render: Render }[] = [];
let current: Page | void;

export function basePath(): string {
  return new URL(document.baseURI).pathname;
}

export function addRoute(re: RegExp, render: Render): void {
  routes.push({ re, render });
}

/** The route path without the base, e.g. "experiments/3". */
function routePath(): string {
  const base = basePath();
  const p = decodeURIComponent(location.pathname);
  if (`${p}/` === base) return ''; // "/prefix" without its slash
  return p.startsWith(base) ? p.slice(base.length) : p.replace(/^\//, '');
}

export function render(): void {
  const root = document.getElementById('app')!;
  current?.dispose?.();
  current = undefined;
  root.replaceChildren();
  const path = routePath();
  for (const r of routes) {
    const m = r.re.exec(path);
    if (m) {
      current = r.render(root, m, new URLSearchParams(location.search));
      return;
    }
  }
  root.textContent = 'Page not found.';
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

// util.ts - small DOM and formatting helpers shared by the pages. Text is
// always set through textContent, never parsed as HTML.

import { ApiError } from './api';

type Attrs = Record<string, string | number | boolean | undefined>;
type Child = Node | string | null | undefined | false;

/** Creates an element with attributes (on* keys are not supported: use listeners). */
export function h<K extends keyof HTMLElementTagNameMap>(tag: K, attrs: Attrs = {}, ...children: Child[]): HTMLElementTagNameMap[K] {
  const el = document.createElement(tag);
  for (const [k, v] of Object.entries(attrs)) {
    if (v === undefined || v === false) continue;
    if (k === 'class') el.className = String(v);
    else el.setAttribute(k, v === true ? '' : String(v));
  }
  for (const c of children) if (c !== null && c !== undefined && c !== false) el.append(c);
  return el;
}

export function fmtTime(ms?: number | string): string {
  const n = Number(ms);
  if (!ms || !Number.isFinite(n)) return '';
  const d = new Date(n);
  const p = (x: number) => String(x).padStart(2, '0');
  return `${d.getFullYear()}-${p(d.getMonth() + 1)}-${p(d.getDate())} ${p(d.getHours())}:${p(d.getMinutes())}:${p(d.getSeconds())}`;
}

/** How long ago `ms` was, coarsely ("12 s ago", "5 min ago", "3 h ago", "2 d ago"); '' past 30 days or in the future. */
export function fmtAgo(ms?: number | string, now = Date.now()): string {
  const n = Number(ms);
  if (!ms || !Number.isFinite(n)) return '';
  const s = Math.floor((now - n) / 1000);
  if (s < 0 || s >= 30 * 86400) return '';
  if (s < 60) return `${s} s ago`;
  if (s < 3600) return `${Math.floor(s / 60)} min ago`;
  if (s < 86400) return `${Math.floor(s / 3600)} h ago`;
  return `${Math.floor(s / 86400)} d ago`;
}

export function fmtDuration(start?: number, end?: number): string {
  if (!start || !end) return '';
  let s = Math.max(0, Math.round((Number(end) - Number(start)) / 1000));
  const hh = Math.floor(s / 3600);
  s -= hh * 3600;
  const mm = Math.floor(s / 60);
  s -= mm * 60;
  return hh ? `${hh}h ${mm}m` : mm ? `${mm}m ${s}s` : `${s}s`;
}

export function fmtNumber(v: number | string | undefined): string {
  if (v === undefined || v === null) return '';
  if (typeof v === 'string') return v; // "NaN", "Infinity"
  if (Number.isInteger(v) && Math.abs(v) < 1e15) return String(v);
  const a = Math.abs(v);
  if (a !== 0 && (a < 1e-3 || a >= 1e6)) return v.toExponential(3);
  return String(Number(v.toPrecision(5)));
}

export function fmtBytes(n?: number | string): string {
  const v = Number(n);
  if (!Number.isFinite(v)) return '';
  if (v < 1024) return `${v} B`;
  if (v < 1024 * 1024) return `${(v / 1024).toFixed(1)} KB`;
  return `${(v / 1024 / 1024).toFixed(1)} MB`;
}

/** An error as a message box; a refused permission (a 403: the message says what was needed) is marked "denied". */
export function errorBox(e: unknown): HTMLElement {
  const msg = e instanceof Error ? e.message : String(e);
  const denied = e instanceof ApiError && e.status === 403;
  return h('div', { class: denied ? 'error denied' : 'error', role: 'alert' }, msg);
}

export function isAbort(e: unknown): boolean {
  return e instanceof DOMException && e.name === 'AbortError';
}

/** Replaces the breadcrumb trail in the top bar and the document title. */
export function setCrumbs(...parts: (Node | string)[]): void {
  const nav = document.getElementById('crumbs');
  if (!nav) return;
  nav.replaceChildren();
  parts.forEach((p, i) => {
    if (i) nav.append(h('span', { class: 'sep', 'aria-hidden': 'true' }, '›'));
    nav.append(p);
  });
  const last = parts[parts.length - 1];
  document.title = `${last ? (typeof last === 'string' ? last : last.textContent) : 'Experiments'} · mlflowc`;
}

// ---- confirm step (added for the page actions: delete, restore) ----
/**
 * Asks a yes/no question in a modal <dialog> (focus stays inside it; Escape
 * cancels). Resolves true only when the confirm button is pressed.
 */
export function confirmDialog(message: string, confirmLabel = 'OK', danger = true): Promise<boolean> {
  return new Promise((resolve) => {
    const ok = h('button', { type: 'button', class: danger ? 'danger-fill' : '', 'data-confirm': 'yes' }, confirmLabel);
    const cancel = h('button', { type: 'button', 'data-confirm': 'no' }, 'Cancel');
    const dlg = h('dialog', { class: 'confirm-dialog', 'aria-label': 'Confirm' },
      h('p', {}, message), h('div', { class: 'confirm-buttons' }, cancel, ok));
    let answer = false;
    ok.addEventListener('click', () => { answer = true; dlg.close(); });
    cancel.addEventListener('click', () => dlg.close());
    const leave = () => dlg.close(); // Back/Forward while asking: the page asking is gone, so the answer is no
    window.addEventListener('popstate', leave);
    dlg.addEventListener('close', () => {
      window.removeEventListener('popstate', leave);
      dlg.remove();
      resolve(answer);
    });
    document.body.append(dlg);
    dlg.showModal();
    cancel.focus();
  });
}

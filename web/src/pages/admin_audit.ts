// admin_audit.ts - the audit trail (admin/audit, only with auth on): every
// write with who made it, newest first, a page at a time (?per=, default 50;
// Older / Newer walk the server's page tokens), filtered by username (?user=).

import { AuditEntry, users } from '../api';
import { link, Page, setQuery } from '../router';
import { errorBox, fmtTime, h, isAbort, setCrumbs } from '../util';
import { adminTabs } from './admin';

const PER_PAGE = 50;

export function auditPage(root: HTMLElement, _m: RegExpExecArray, query: URLSearchParams): Page {
  const ctl = new AbortController();
  setCrumbs(link('admin', 'Admin'), 'Audit trail');
  const per = Math.min(1000, Math.max(1, Number(query.get('per')) || PER_PAGE));
  const who = h('input', { type: 'search', id: 'audit-user', placeholder: 'Only this user', value: query.get('user') || '',
    'aria-label': 'Only the writes of this user', autocomplete: 'off' });
  const filter = h('form', { class: 'inline', id: 'audit-filter' }, who, h('button', { type: 'submit' }, 'Filter'));
  const status = h('div', { class: 'status', 'aria-live': 'polite' }, 'Loading…');
  const tbody = h('tbody');
  const table = h('table', { class: 'grid', id: 'audit' }, h('thead', {}, h('tr', {}, h('th', {}, 'Time'), h('th', {}, 'User'),
    h('th', {}, 'Request'), h('th', { class: 'num' }, 'Status'), h('th', {}, 'Resource'))), tbody);
  const newer = h('button', { type: 'button', id: 'audit-newer' }, '‹ Newer');
  const older = h('button', { type: 'button', id: 'audit-older' }, 'Older ›');
  const where = h('span', { class: 'muted', id: 'audit-page' });
  root.append(h('section', { class: 'page admin' },
    h('div', { class: 'toolbar' }, h('h1', {}, 'Audit trail'), adminTabs('audit'), filter), status, table,
    h('div', { class: 'footer' }, newer, where, older)));

  // tokens[i]: the page token of page i (page 0 has none)
  let tokens: (string | undefined)[] = [undefined];
  let index = 0;
  let gen = 0;
  const rowOf = (e: AuditEntry) => h('tr', { 'data-id': e.id }, h('td', {}, fmtTime(e.time)),
    h('td', {}, e.username || h('span', { class: 'muted' }, '—')),
    h('td', { class: 'mono' }, `${e.method} ${e.path}`),
    h('td', { class: e.status >= 400 ? 'num audit-failed' : 'num' }, String(e.status)), h('td', {}, e.resource || ''));
  function load(): void {
    const g = ++gen;
    newer.disabled = older.disabled = true;
    status.textContent = 'Loading…';
    users.audit(per, tokens[index], who.value.trim(), ctl.signal).then((r) => {
      if (g !== gen) return;
      const list = r.entries || [];
      tbody.replaceChildren(...list.map(rowOf));
      if (r.next_page_token) tokens[index + 1] = r.next_page_token;
      else tokens = tokens.slice(0, index + 1);
      newer.disabled = index === 0;
      older.disabled = !r.next_page_token;
      where.textContent = `page ${index + 1}`;
      status.textContent = list.length ? `${list.length} entries on this page, newest first` : 'No entries.';
    }).catch((e) => {
      if (!isAbort(e) && g === gen) status.replaceChildren(errorBox(e));
    });
  }
  newer.addEventListener('click', () => {
    if (index > 0) index--;
    load();
  });
  older.addEventListener('click', () => {
    if (tokens[index + 1] !== undefined) index++;
    load();
  });
  filter.addEventListener('submit', (ev) => {
    ev.preventDefault();
    const p = new URLSearchParams(location.search);
    if (who.value.trim()) p.set('user', who.value.trim());
    else p.delete('user');
    setQuery(p);
    tokens = [undefined];
    index = 0;
    load();
  });
  load();
  return { dispose: () => ctl.abort() };
}

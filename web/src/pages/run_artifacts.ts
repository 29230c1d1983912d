// run_artifacts.ts - the run page's artifacts: a lazily expanded tree
// (folders listed when opened, download links on files) and a preview pane
// (preview.ts). ?artifact= keeps the chosen file. It owns the tree's listed
// folders; refresh() merges a new listing in without closing anything.

import { api, artifactUrl, FileInfo } from '../api';
import { setQuery } from '../router';
import { errorBox, fmtBytes, h, isAbort } from '../util';
import { renderPreview } from '../preview';

/** Makes `parent`'s children exactly `nodes`, in order, moving only those out of place (open folders, focus stay). */
function syncChildren(parent: HTMLElement, nodes: HTMLElement[]): void {
  nodes.forEach((n, i) => {
    const at = parent.children[i] || null;
    if (at !== n) parent.insertBefore(n, at);
  });
  while (parent.children.length > nodes.length) parent.lastElementChild!.remove();
}

/** A listed folder of the tree: its entries by path, each open sub-folder's own Folder. */
interface Entry { li: HTMLElement; dir: boolean; size: HTMLElement | null; open: () => Folder | null }
interface Folder { ul: HTMLElement; path: string; entries: Map<string, Entry> }

/**
 * The artifact tree (folders listed when opened) and a preview pane. refresh()
 * re-lists the root and every open folder and merges what it finds: new
 * files appear, gone ones leave, sizes update; open folders and the chosen
 * file stay (the run page calls it while the run is RUNNING). The caller owns
 * the node once placed.
 */
export function runArtifactBrowser(runId: string, initial: string, signal: AbortSignal):
  { node: HTMLElement; refresh: () => Promise<void> } {
  const tree = h('ul', { class: 'tree', id: 'artifact-tree' });
  const preview = h('div', { class: 'preview', id: 'artifact-preview', 'aria-live': 'polite' },
    h('p', { class: 'muted' }, 'Choose a file to preview it.'));

  let wanted = initial; // the ?artifact= to open, until a file is shown
  const showFile = (f: FileInfo, btn: HTMLElement) => {
    wanted = '';
    const q = new URLSearchParams(location.search);
    q.set('artifact', f.path);
    setQuery(q);
    tree.querySelectorAll('.current').forEach((x) => x.classList.remove('current'));
    btn.classList.add('current'); // (a deep link's button is not in the tree yet)
    void renderPreview(preview, { path: f.path, size: f.file_size, url: artifactUrl(runId, f.path) }, signal);
  };

  const entryOf = (f: FileInfo): Entry => {
    const label = f.path.split('/').pop() || f.path;
    const size = f.is_dir ? null : h('small', {}, ` ${fmtBytes(f.file_size)}`);
    const btn = h('button', { type: 'button', class: f.is_dir ? 'dir' : 'file', 'data-path': f.path },
      f.is_dir ? `▸ ${label}/` : label, size);
    const li = h('li', {}, h('div', { class: 'tree-item' }, btn, f.is_dir ? null
      : h('a', { href: artifactUrl(runId, f.path), download: label, class: 'dl', title: `Download ${label}`,
        'aria-label': `Download ${f.path}` }, '⤓')));
    let sub: Folder | null = null;
    if (f.is_dir) {
      btn.setAttribute('aria-expanded', 'false');
      btn.addEventListener('click', () => {
        if (sub) {
          sub.ul.remove();
          sub = null;
          btn.firstChild!.textContent = `▸ ${label}/`;
          btn.setAttribute('aria-expanded', 'false');
          return;
        }
        sub = { ul: h('ul', {}), path: f.path, entries: new Map() };
        li.append(sub.ul);
        btn.firstChild!.textContent = `▾ ${label}/`;
        btn.setAttribute('aria-expanded', 'true');
        void list(sub);
      });
      if (wanted.startsWith(`${f.path}/`)) btn.click();
    } else {
      btn.addEventListener('click', () => showFile(f, btn));
      if (wanted === f.path) showFile(f, btn);
    }
    return { li, dir: !!f.is_dir, size, open: () => sub };
  };

  /** Lists `folder` and merges the answer into what it shows. */
  const list = async (folder: Folder, quiet = false): Promise<void> => {
    try {
      const r = await api.listArtifacts(runId, folder.path, signal);
      if (!folder.ul.isConnected && folder.path) return; // closed meanwhile
      const files = (r.files || []).sort((a, b) => Number(!!b.is_dir) - Number(!!a.is_dir) || a.path.localeCompare(b.path));
      const next = new Map<string, Entry>();
      for (const f of files) {
        let e = folder.entries.get(f.path);
        if (!e || e.dir !== !!f.is_dir) e = entryOf(f);
        else if (e.size) e.size.textContent = ` ${fmtBytes(f.file_size)}`;
        next.set(f.path, e);
      }
      folder.entries = next;
      syncChildren(folder.ul, files.length ? [...next.values()].map((e) => e.li)
        : [folder.ul.querySelector<HTMLElement>(':scope > li.empty') ||
          h('li', { class: 'muted empty' }, folder.path ? 'Empty folder.' : 'No artifacts.')]);
    } catch (e) {
      // a failed refresh keeps what is shown; the next one retries
      if (!isAbort(e) && !quiet) folder.ul.replaceChildren(h('li', {}, errorBox(e)));
    }
  };
  const root: Folder = { ul: tree, path: '', entries: new Map() };
  void list(root);

  let busy = false;
  const refresh = async () => {
    if (busy) return;
    busy = true;
    try {
      const open: Folder[] = [];
      const walk = (f: Folder) => {
        open.push(f);
        f.entries.forEach((e) => { const s = e.open(); if (s) walk(s); });
      };
      walk(root);
      await Promise.all(open.map((f) => list(f, true)));
    } finally {
      busy = false;
    }
  };
  return { node: h('div', { class: 'artifacts' }, tree, preview), refresh };
}

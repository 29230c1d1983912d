// preview.ts - what an artifact looks like in the run page's preview pane:
// text, JSON (pretty-printed), YAML (highlighted), CSV/TSV (a table of the
// first 500 rows), images, and MLmodel files (a summary of flavors and the
// signature, then the raw file). Only the first 1 MB of a file is fetched (a
// Range request, and the stream is cut there if the store ignores Range);
// the pane says when it shows a part. Files of unknown type are sniffed
// (first 4 KB): text is shown, binary is offered for download only.
// Everything is put into the DOM as text nodes; nothing is parsed as HTML.

import { reportUnauthenticated, UI_HEADERS } from './api';
import type * as Parsers from './parsers';
import { renderMarkdown } from './markdown';
import { link } from './router';
import { fmtBytes, h } from './util';

export const PREVIEW_LIMIT = 1024 * 1024;
const SNIFF = 4096;
const CSV_ROWS = 500;
const CSV_COLS = 200;
const YAML_LINES = 5000; // highlighted; the rest of a big file is plain text

export interface PreviewFile {
  /** Path shown in the header; its name decides the kind. */
  path: string;
  /** Size in bytes when the listing knows it. */
  size?: number | string;
  /** Where the bytes are (relative URL). */
  url: string;
}

type Kind = 'image' | 'mlmodel' | 'json' | 'yaml' | 'csv' | 'tsv' | 'markdown' | 'text' | 'unknown';

const KINDS: { re: RegExp; kind: Kind }[] = [
  { re: /(^|\/)MLmodel$/, kind: 'mlmodel' },
  { re: /\.(png|jpe?g|gif|svg|webp|bmp|ico)$/i, kind: 'image' },
  { re: /\.(json|jsonl|ipynb)$/i, kind: 'json' },
  { re: /(\.ya?ml|(^|\/)MLproject)$/i, kind: 'yaml' },
  { re: /\.csv$/i, kind: 'csv' },
  { re: /\.tsv$/i, kind: 'tsv' },
  { re: /\.(md|markdown)$/i, kind: 'markdown' },
  { re: /\.(txt|log|py|sh|cfg|ini|toml|xml|html?|js|ts|r|sql|conf|env|out|err|diff|patch|java|scala|c|h|cc|cpp|go|rs|rb|txt\.\d+)$|(^|\/)(Dockerfile|requirements\.txt|LICENSE|README)$/i, kind: 'text' },
];

export function kindOf(path: string): Kind {
  return KINDS.find((k) => k.re.test(path))?.kind || 'unknown';
}

// ---- fetching at most `limit` bytes ----
/** The first bytes of a file as text: `total` is its size when known, `cut` says bytes were left out. */
export interface Head { text: string; total: number | null; cut: boolean; binary: boolean }

/**
 * Fetches at most `limit` bytes of `url` (a Range request, and the stream
 * cut there if the server ignores Range); `size` is the file's size when a
 * listing told it. Throws on an HTTP error. The caller owns the result.
 */
export async function fetchHead(url: string, size: number | null, limit: number, signal: AbortSignal): Promise<Head> {
  const headers: Record<string, string> = { ...UI_HEADERS };
  if (size === null || size > limit) headers.Range = `bytes=0-${limit - 1}`;
  const res = await fetch(url, { signal, headers });
  if (res.status === 416) return { text: '', total: 0, cut: false, binary: false }; // an empty file
  if (res.status === 401) reportUnauthenticated();
  if (res.status === 403) throw new Error('You do not have permission to see this file (needs READ on its experiment).');
  if (!res.ok) throw new Error(`HTTP ${res.status}: ${(await res.text()).slice(0, 500)}`);
  const range = /\/(\d+)\s*$/.exec(res.headers.get('Content-Range') || '');
  let total: number | null = range ? Number(range[1]) : size;
  const chunks: Uint8Array[] = [];
  let got = 0, more = false;
  const reader = res.body?.getReader();
  if (reader) {
    for (;;) {
      const { done, value } = await reader.read();
      if (done) break;
      const room = limit - got;
      if (value.length > room) {
        chunks.push(value.subarray(0, room));
        got += room;
        more = true;
        await reader.cancel().catch(() => undefined);
        break;
      }
      chunks.push(value);
      got += value.length;
    }
  }
  const bytes = new Uint8Array(got);
  let at = 0;
  for (const c of chunks) {
    bytes.set(c, at);
    at += c.length;
  }
  if (total === null && !more) total = got;
  const cut = more || (total !== null && total > got);
  const binary = bytes.subarray(0, SNIFF).includes(0);
  // stream: true drops a multi-byte character cut in half at the end
  const text = new TextDecoder('utf-8').decode(bytes, { stream: cut });
  return { text, total, cut, binary };
}

// ---- YAML: highlighting (line by line) and a small parser for MLmodel ----
const YAML_KEY = /^(\s*)(- +)?((?:"(?:[^"\\]|\\.)*"|'(?:[^']|'')*'|[^\s#'"\-][^#]*?|-[^\s#][^#]*?))(:)(?=\s|$)(.*)$/;
const YAML_ITEM = /^(\s*)(- +)(.*)$/;

function yamlValueClass(v: string): string {
  if (/^['"]/.test(v)) return 'y-str';
  if (/^(true|false|null|~|yes|no|-?\d[\d_.eE+-]*|\.inf|\.nan)$/i.test(v)) return 'y-lit';
  if (/^[|>][-+0-9]*$/.test(v)) return 'y-punct';
  return 'y-val';
}

/** Appends ` value  # comment` as spans. */
function yamlValue(out: Node[], rest: string): void {
  const m = /^(\s*)(.*?)(\s+#.*|^#.*)?$/.exec(rest)!;
  if (m[1]) out.push(document.createTextNode(m[1]));
  if (m[2]) out.push(h('span', { class: yamlValueClass(m[2]) }, m[2]));
  if (m[3]) out.push(h('span', { class: 'y-comment' }, m[3]));
}

/** YAML as a <pre> with keys, values and comments in spans. */
export function highlightYaml(src: string): HTMLElement {
  const out: Node[] = [];
  const lines = src.split('\n');
  lines.slice(0, YAML_LINES).forEach((line, n) => {
    if (n) out.push(document.createTextNode('\n'));
    let m: RegExpExecArray | null;
    if (/^\s*#/.test(line)) out.push(h('span', { class: 'y-comment' }, line));
    else if ((m = YAML_KEY.exec(line))) {
      out.push(document.createTextNode(m[1]));
      if (m[2]) out.push(h('span', { class: 'y-punct' }, m[2]));
      out.push(h('span', { class: 'y-key' }, m[3]), h('span', { class: 'y-punct' }, m[4]));
      yamlValue(out, m[5]);
    } else if ((m = YAML_ITEM.exec(line))) {
      out.push(document.createTextNode(m[1]), h('span', { class: 'y-punct' }, m[2]));
      yamlValue(out, m[3]);
    } else out.push(document.createTextNode(line));
  });
  if (lines.length > YAML_LINES) out.push(document.createTextNode(`\n${lines.slice(YAML_LINES).join('\n')}`));
  return h('pre', { class: 'text yaml' }, ...out);
}

export type { Yaml } from './parsers';
type Yaml = Parsers.Yaml;

// the YAML and CSV parsers are a lazily loaded chunk: most pages never need them
let parsers: typeof Parsers | null = null;
const NEEDS_PARSERS: Kind[] = ['mlmodel', 'csv', 'tsv'];
// ---- the MLmodel summary ----
const isMap = (y: Yaml | undefined): y is { [key: string]: Yaml } => !!y && typeof y === 'object' && !Array.isArray(y);

function flat(y: Yaml, prefix = ''): [string, string][] {
  if (isMap(y)) return Object.entries(y).flatMap(([k, v]) => flat(v, prefix ? `${prefix}.${k}` : k));
  if (Array.isArray(y)) return [[prefix, y.map((v) => (typeof v === 'string' ? v : JSON.stringify(v))).join(', ')]];
  return [[prefix, y === null ? 'null' : y]];
}

interface SchemaField { name?: string; type?: string; required?: boolean; optional?: boolean; default?: unknown;
  shape?: unknown; 'tensor-spec'?: { dtype?: string; shape?: unknown } }

/** A signature part (a JSON string in MLmodel) as a table. */
function schemaTable(label: string, raw: Yaml | undefined): Node[] {
  if (raw === undefined || raw === null) return [];
  let fields: SchemaField[];
  try {
    const parsed = typeof raw === 'string' ? JSON.parse(raw) : raw;
    if (!Array.isArray(parsed)) throw new Error('not a list');
    fields = parsed as SchemaField[];
  } catch {
    return [h('h4', {}, label), h('pre', { class: 'text' }, typeof raw === 'string' ? raw : JSON.stringify(raw))];
  }
  const rows = fields.map((f, i) => {
    const spec = f['tensor-spec'];
    const type = spec ? `tensor ${spec.dtype || ''}`.trim() : f.type || '';
    const details: string[] = [];
    const shape = spec?.shape ?? f.shape;
    if (shape !== undefined) details.push(`shape ${JSON.stringify(shape)}`);
    if (f.required === false || f.optional === true) details.push('optional');
    if (f.default !== undefined) details.push(`default ${JSON.stringify(f.default)}`);
    return h('tr', {}, h('td', {}, f.name ?? (fields.length > 1 ? `#${i}` : '')), h('td', {}, type), h('td', {}, details.join(', ')));
  });
  return [h('h4', {}, `${label} (${fields.length})`),
    h('table', { class: 'grid schema', 'data-part': label.toLowerCase() },
      h('thead', {}, h('tr', {}, h('th', {}, 'Name'), h('th', {}, 'Type'), h('th', {}, 'Details'))), h('tbody', {}, ...rows))];
}

function mlmodelSummary(src: string): Node[] {
  let y: Yaml;
  try {
    y = parsers!.parseYaml(src);
  } catch {
    return [];
  }
  if (!isMap(y)) return [];
  const facts: [string, Node | string][] = [];
  const fact = (label: string, v: Yaml | undefined, node?: Node) => {
    if (typeof v === 'string' && v) facts.push([label, node || v]);
  };
  fact('Run', y.run_id, typeof y.run_id === 'string' ? link(`runs/${encodeURIComponent(y.run_id)}`, y.run_id) : undefined);
  fact('Artifact path', y.artifact_path);
  fact('Model ID', y.model_id);
  fact('Created (UTC)', y.utc_time_created);
  fact('MLflow version', y.mlflow_version);
  fact('Model UUID', y.model_uuid);
  if (typeof y.model_size_bytes === 'string') facts.push(['Size', `${fmtBytes(y.model_size_bytes)} (${y.model_size_bytes} bytes)`]);
  const out: Node[] = [h('h3', {}, 'Model'),
    h('table', { class: 'grid kv', id: 'mlmodel-facts' }, h('tbody', {},
      ...facts.map(([k, v]) => h('tr', {}, h('th', { scope: 'row' }, k), h('td', {}, v)))))];
  const flavors = isMap(y.flavors) ? Object.entries(y.flavors) : [];
  out.push(h('h3', {}, `Flavors (${flavors.length})`));
  out.push(flavors.length ? h('table', { class: 'grid', id: 'mlmodel-flavors' },
    h('thead', {}, h('tr', {}, h('th', {}, 'Flavor'), h('th', {}, 'Details'))),
    h('tbody', {}, ...flavors.map(([name, conf]) => h('tr', {}, h('th', { scope: 'row' }, name),
      h('td', {}, ...flat(conf).filter(([k]) => k).map(([k, v]) => h('div', {}, h('span', { class: 'muted' }, `${k}: `), v)))))))
    : h('p', { class: 'muted' }, 'No flavors.'));
  const sig = isMap(y.signature) ? y.signature : null;
  out.push(h('h3', {}, 'Signature'));
  if (sig) {
    out.push(h('div', { id: 'mlmodel-signature' }, ...schemaTable('Inputs', sig.inputs), ...schemaTable('Outputs', sig.outputs),
      ...schemaTable('Params', sig.params)));
  } else out.push(h('p', { class: 'muted' }, 'No signature.'));
  return out;
}

// ---- CSV / TSV ----
function csvTable(src: string, delim: string, cut: boolean): Node[] {
  // a cut file ends mid-row: drop the partial last line
  const body = cut ? src.slice(0, Math.max(0, src.lastIndexOf('\n'))) : src;
  const { rows, more } = parsers!.parseDelimited(body, delim, CSV_ROWS + 1);
  if (!rows.length) return [h('p', { class: 'muted' }, 'Empty file.')];
  const [header, ...data] = rows;
  const fullWidth = rows.reduce((w, r) => Math.max(w, r.length), 0);
  const width = Math.min(fullWidth, CSV_COLS);
  const cells = (r: string[], tag: 'td' | 'th') => Array.from({ length: width }, (_, k) => h(tag, {}, r[k] ?? ''));
  const count = more || cut ? `First ${data.length} rows` : `${data.length} row${data.length === 1 ? '' : 's'}`;
  return [
    h('p', { class: 'muted csv-count' }, `${count}${fullWidth > width ? `, first ${width} of ${fullWidth} columns` : ''}.`),
    h('div', { class: 'csv-wrap' }, h('table', { class: 'grid csv' }, h('thead', {}, h('tr', {}, ...cells(header, 'th'))),
      h('tbody', {}, ...data.map((r) => h('tr', {}, ...cells(r, 'td')))))),
  ];
}

// ---- the pane ----
const current = new WeakMap<HTMLElement, number>();

function cutNote(head: Head): HTMLElement | null {
  if (!head.cut) return null;
  return h('p', { class: 'muted preview-cut' },
    `Showing the first ${fmtBytes(PREVIEW_LIMIT)}${head.total ? ` of ${fmtBytes(head.total)}` : ''}; download the file for all of it.`);
}

/** Renders `f` into `box` (replacing it). A later call for the same box wins over an earlier one. */
export async function renderPreview(box: HTMLElement, f: PreviewFile, signal: AbortSignal): Promise<void> {
  const me = (current.get(box) || 0) + 1;
  current.set(box, me);
  const name = f.path.split('/').pop() || 'artifact';
  const size = f.size === undefined || f.size === '' || !Number.isFinite(Number(f.size)) ? null : Number(f.size);
  const headLine = h('div', { class: 'preview-head' }, h('strong', {}, f.path), size !== null ? ` ${fmtBytes(size)} ` : ' ',
    h('a', { href: f.url, download: name, class: 'download' }, 'Download'));
  let kind = kindOf(f.path);
  box.dataset.kind = kind;
  if (kind === 'image') {
    box.replaceChildren(headLine, h('img', { src: f.url, alt: f.path }));
    return;
  }
  box.replaceChildren(headLine, h('p', { class: 'muted' }, 'Loading…'));
  const stale = () => current.get(box) !== me;
  try {
    let head: Head;
    if (kind === 'unknown') {
      head = await fetchHead(f.url, size, SNIFF, signal);
      if (stale()) return;
      if (head.binary || /\uFFFD/.test(head.text)) {
        box.replaceChildren(headLine, h('p', { class: 'muted' }, 'A binary file: no preview.'));
        box.dataset.kind = 'binary';
        return;
      }
      kind = 'text';
      box.dataset.kind = kind;
      if (head.cut) head = await fetchHead(f.url, size, PREVIEW_LIMIT, signal);
    } else head = await fetchHead(f.url, size, PREVIEW_LIMIT, signal);
    if (stale()) return;
    if (!parsers && NEEDS_PARSERS.includes(kind)) {
      parsers = await import('./parsers');
      if (stale()) return;
    }
    const body = RENDER[kind](head);
    box.replaceChildren(headLine, ...[cutNote(head), ...body].filter((x): x is Node => !!x));
  } catch (e) {
    if (e instanceof DOMException && e.name === 'AbortError') return;
    if (!stale()) box.replaceChildren(headLine, h('div', { class: 'error', role: 'alert' }, e instanceof Error ? e.message : String(e)));
  }
}

const plain = (head: Head): Node[] => [h('pre', { class: 'text' }, head.text)];

const RENDER: Record<Kind, (head: Head) => Node[]> = {
  text: plain,
  unknown: plain,
  image: () => [],
  json: (head) => {
    if (head.cut) return plain(head);
    try {
      return [h('pre', { class: 'text json' }, JSON.stringify(JSON.parse(head.text), null, 2))];
    } catch {
      return plain(head); // JSON lines, or not JSON after all
    }
  },
  yaml: (head) => [highlightYaml(head.text)],
  csv: (head) => csvTable(head.text, ',', head.cut),
  tsv: (head) => csvTable(head.text, '\t', head.cut),
  // rendered by markdown.ts (text nodes only), with the source a click away
  markdown: (head) => [h('div', { class: 'markdown rendered' }, renderMarkdown(head.text, 2)),
    h('details', { class: 'raw' }, h('summary', {}, 'Source'), h('pre', { class: 'text' }, head.text))],
  mlmodel: (head) => [h('div', { class: 'mlmodel' }, ...mlmodelSummary(head.text)), h('h3', {}, 'MLmodel file'),
    highlightYaml(head.text)],
};

// model_serving.ts - the model version page's "Serve this version": the
// exact mlflowc commands for this model and version (serve, a curl request
// to /invocations, predict, a Docker build context, a Lambda zip,
// Kubernetes manifests), each with a copy button. Every argument is
// shell-quoted (POSIX single quotes), so a model name with spaces or quotes
// pastes as one word. The request body is the model's serving input
// example when it has one (inlined when small, else sent from the file),
// else a body built from its signature's inputs. It keeps no state but the
// copy buttons' labels.

import { h } from '../util';
import { ModelFiles, SpecField } from './model_files';

export const SERVE_PORT = 5001;
const INLINE_BODY = 4096; // a larger serving example is sent with -d @file, not inlined
const TENSOR_ELEMENTS = 64; // a body built from a tensor spec holds at most about this many values
const COPIED_MS = 2000;

/** `s` as one word of a POSIX shell: as it is when it holds only safe characters, else in single quotes. */
export function shellQuote(s: string): string {
  if (/^[A-Za-z0-9_@%+=:,./-]+$/.test(s)) return s;
  return `'${s.replace(/'/g, `'\\''`)}'`;
}

/** JSON text without the whitespace outside strings; numbers and strings stay exactly as written. */
export function compactJson(src: string): string {
  let out = '', inString = false, escaped = false;
  for (const ch of src) {
    if (inString) {
      out += ch;
      if (escaped) escaped = false;
      else if (ch === '\\') escaped = true;
      else if (ch === '"') inString = false;
    } else if (ch === '"') {
      inString = true;
      out += ch;
    } else if (!/\s/.test(ch)) out += ch;
  }
  return out;
}

/** A docker image name for model `name`: lower case, [a-z0-9._-], never empty. */
export function imageName(name: string): string {
  const s = name.toLowerCase().replace(/[^a-z0-9._-]+/g, '-').replace(/^[-._]+|[-._]+$/g, '');
  return s || 'model';
}

/** A file name for model `name`: no slashes or control characters, not starting with "-". */
export function fileStem(name: string): string {
  const s = name.replace(/[/\\\u0000-\u001f\u007f]+/g, '_').replace(/^-+/, '_');
  return s || 'model';
}

const NUMERIC = /^(double|float|long|integer|int32|int64|float32|float64|int|int8|int16|uint8|uint16|uint32|uint64|number)$/i;

/** A value of a column or tensor type, for a request body built from the signature. */
function placeholder(type: unknown): unknown {
  const t = typeof type === 'string' ? type : '';
  if (NUMERIC.test(t)) return 0;
  if (/^bool/i.test(t)) return false;
  if (/^datetime/i.test(t)) return '2024-01-01T00:00:00';
  if (/^(string|str|binary|bytes|object)$/i.test(t)) return '';
  return null;
}

/** A nested array of `shape` (-1 and unknown dims as 1) filled with `v`, kept small. */
function tensorOf(shape: unknown, v: unknown): unknown {
  let dims = Array.isArray(shape) ? shape.map((d) => (typeof d === 'number' && d > 0 ? Math.floor(d) : 1)) : [1];
  while (dims.reduce((a, b) => a * b, 1) > TENSOR_ELEMENTS) dims = dims.map((d) => Math.max(1, Math.ceil(d / 2)));
  const build = (k: number): unknown => (k === dims.length ? v : Array.from({ length: dims[k] }, () => build(k + 1)));
  return dims.length ? build(0) : v;
}

/** A request body for /invocations built from the signature's inputs: one row of placeholders, or tensors. */
export function bodyFromSignature(fields: SpecField[]): string {
  if (fields.every((f) => f['tensor-spec'])) {
    const one = (f: SpecField) => tensorOf(f['tensor-spec']!.shape, placeholder(f['tensor-spec']!.dtype));
    const named = fields.filter((f) => typeof f.name === 'string');
    if (fields.length === 1 && !named.length) return JSON.stringify({ inputs: one(fields[0]) });
    return JSON.stringify({ inputs: Object.fromEntries(named.map((f) => [f.name as string, one(f)])) });
  }
  const row = fields.map((f) => placeholder(f.type));
  const names = fields.map((f) => f.name);
  if (names.every((n) => typeof n === 'string')) return JSON.stringify({ dataframe_split: { columns: names, data: [row] } });
  return JSON.stringify({ dataframe_split: { data: [row] } });
}

/** One command of the section: its id, what it does, its words (quoted when shown) or its exact text. */
export interface ServeCommand { id: string; title: string; text: string }

/** What the request body of the curl command is, and where it came from. */
interface Body { arg: string; from: string; file?: { name: string; url: string } }

function requestBody(files: ModelFiles): Body {
  const ex = files.servingExample;
  if (ex && !ex.head.cut) {
    let valid = true;
    try {
      JSON.parse(ex.head.text);
    } catch {
      valid = false;
    }
    const compact = valid ? compactJson(ex.head.text) : '';
    if (valid && compact.length <= INLINE_BODY) return { arg: compact, from: `the model's ${ex.path}` };
  }
  if (ex) return { arg: `@${ex.path}`, from: `the model's ${ex.path} (too large to inline: download it first)`,
    file: { name: ex.path, url: ex.url } };
  const inputs = files.signature?.inputs;
  if (inputs && 'fields' in inputs && inputs.fields.length) {
    return { arg: bodyFromSignature(inputs.fields), from: 'the signature\'s inputs (replace the placeholder values)' };
  }
  return { arg: JSON.stringify({ dataframe_split: { columns: ['COLUMN'], data: [[0]] } }),
    from: 'nothing: the model has no signature or serving input example, so name its real columns' };
}

/** The commands for version `version` of model `name`, tracked at `trackingUri`; the caller owns the list. */
export function serveCommands(name: string, version: string, trackingUri: string, body: string): ServeCommand[] {
  const uri = shellQuote(`models:/${name}/${version}`);
  const line = (...words: string[]) => words.map(shellQuote).join(' ');
  return [
    { id: 'tracking', title: 'Point the command line at this server', text: `export MLFLOW_TRACKING_URI=${shellQuote(trackingUri)}` },
    { id: 'serve', title: 'Serve it on port 5001', text: `mlflowc models serve -m ${uri} -p ${SERVE_PORT}` },
    { id: 'curl', title: 'Ask it for predictions', text: line('curl', '-X', 'POST', `localhost:${SERVE_PORT}/invocations`,
      '-H', 'Content-Type: application/json', '-d', body) },
    { id: 'predict', title: 'Predict without a server', text: `mlflowc models predict -m ${uri} -i input.json` },
    { id: 'docker', title: 'Write a Docker build context', text: `mlflowc models generate-dockerfile -m ${uri} -d ./image` },
    { id: 'lambda', title: 'Build an AWS Lambda zip', text: `mlflowc models build-lambda -m ${uri} -o ${shellQuote(`${fileStem(name)}-lambda.zip`)}` },
    { id: 'k8s', title: 'Print Kubernetes manifests', text: `mlflowc models generate-k8s -m ${uri} --image ${shellQuote(`registry/${imageName(name)}:${version}`)}` },
  ];
}

/** Copies `text` to the clipboard; false when the browser refused. */
async function copyText(text: string): Promise<boolean> {
  try {
    await navigator.clipboard.writeText(text);
    return true;
  } catch {
    const area = h('textarea', { class: 'sr-only', readonly: true, 'aria-hidden': 'true' });
    area.value = text;
    document.body.append(area);
    area.select();
    let ok = false;
    try {
      ok = document.execCommand('copy');
    } catch {
      ok = false;
    }
    area.remove();
    return ok;
  }
}

function commandBlock(c: ServeCommand): HTMLElement {
  const pre = h('pre', { class: 'cmd-text', id: `cmd-${c.id}` }, c.text);
  const copy = h('button', { type: 'button', class: 'copy', 'aria-label': `Copy: ${c.title}`, 'data-cmd': c.id }, 'Copy');
  let timer = 0;
  copy.addEventListener('click', async () => {
    const ok = await copyText(c.text);
    copy.textContent = ok ? 'Copied' : 'Select and copy';
    if (ok) copy.dataset.copied = String(Number(copy.dataset.copied || 0) + 1); // how many times, for whoever checks
    if (!ok) getSelection()?.selectAllChildren(pre);
    clearTimeout(timer);
    timer = window.setTimeout(() => { copy.textContent = 'Copy'; }, COPIED_MS);
  });
  return h('div', { class: 'cmd', 'data-cmd': c.id }, h('div', { class: 'cmd-head' }, h('h3', {}, c.title), copy), pre);
}

/** The URL of this server's tracking API (where the page was loaded, under any --static-prefix). */
export function trackingUri(): string {
  return new URL('.', document.baseURI).href.replace(/\/+$/, '');
}

/** The "Serve this version" section's content for version `version` of `name`; the caller owns the nodes. */
export function servingView(name: string, version: string, files: ModelFiles | null): Node[] {
  const body = files ? requestBody(files) : { arg: JSON.stringify({ dataframe_split: { columns: ['COLUMN'], data: [[0]] } }),
    from: 'nothing: the model\'s files could not be read, so name its real columns' };
  const cmds = serveCommands(name, version, trackingUri(), body.arg);
  const predictNote = files?.servingExample
    ? h('p', { class: 'muted' }, 'input.json holds a request body like the one above: ',
      h('a', { href: files.servingExample.url, download: 'input.json', id: 'serving-example-download' },
        `download ${files.servingExample.path} as input.json`), '.')
    : h('p', { class: 'muted' }, 'input.json holds a request body like the one above.');
  return [
    h('p', { class: 'muted' }, 'Run these where mlflowc is installed; the model is fetched from this server.'),
    ...cmds.map((c) => {
      const block = commandBlock(c);
      if (c.id === 'curl') block.append(h('p', { class: 'muted', id: 'curl-body-from' }, `The body comes from ${body.from}.`),
        ...(body.file ? [h('p', {}, h('a', { href: body.file.url, download: body.file.name }, `Download ${body.file.name}`))] : []));
      if (c.id === 'predict') block.append(predictNote);
      if (c.id === 'k8s') block.append(h('p', { class: 'muted' }, 'Push the image built from ./image to your registry and name it here.'));
      return block;
    }),
  ];
}

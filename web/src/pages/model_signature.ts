// model_signature.ts - the model version page's signature and input example,
// drawn from what model_files.ts read: a table per signature part (inputs
// and outputs: name, type, tensor shape, required or optional; params: name,
// type, default, shape) and the input example (a table for MLflow's split
// orient, else the JSON). Everything goes into the DOM as text, and every
// part is bounded (rows, columns, characters), so a hostile or huge file
// renders inert and small. It keeps no state.

import { h } from '../util';
import { ModelFile, ModelFiles, Signature, SpecField, SpecPart } from './model_files';

const SPEC_ROWS = 500; // signature fields shown per part
const CELL_CHARS = 300; // a name, type or value longer than this is cut
const EXAMPLE_ROWS = 50;
const EXAMPLE_COLS = 100;
const EXAMPLE_CHARS = 20000;

/** `s` cut to `max` characters with an ellipsis. */
export function cut(s: string, max = CELL_CHARS): string {
  return s.length > max ? `${s.slice(0, max - 1)}…` : s;
}

/** A value as short text: strings as they are, the rest as compact JSON. */
function text(v: unknown): string {
  if (v === undefined) return '';
  return cut(typeof v === 'string' ? v : JSON.stringify(v) ?? String(v));
}

function partTable(title: string, id: string, part: SpecPart, params: boolean): HTMLElement[] {
  if (!part) return [];
  const headTitle = h('h3', {}, 'fields' in part ? `${title} (${part.fields.length})` : title);
  if (!('fields' in part)) return [headTitle, h('pre', { class: 'mono', id }, cut(part.raw, EXAMPLE_CHARS))];
  const cols = params ? ['Name', 'Type', 'Default', 'Shape'] : ['Name', 'Type', 'Shape', 'Required'];
  const rows = part.fields.slice(0, SPEC_ROWS).map((f: SpecField) => {
    const tensor = f['tensor-spec'];
    const type = tensor ? `tensor ${text(tensor.dtype)}`.trim() : text(f.type);
    const rawShape = tensor ? tensor.shape : f.shape;
    const shape = rawShape === null || rawShape === 'null' ? '' : text(rawShape);
    const name = f.name === undefined || f.name === null ? '—' : text(f.name);
    const cells = params ? [name, type, f.default === undefined ? '' : text(f.default === null ? 'None' : f.default), shape]
      : [name, type, shape, f.required === false || f.required === 'false' || f.optional === true ? 'optional' : 'required'];
    return h('tr', {}, ...cells.map((c, i) => h('td', { class: i === 1 ? 'mono' : '' }, c)));
  });
  const out: HTMLElement[] = [headTitle, h('table', { class: 'grid sig-part', id },
    h('thead', {}, h('tr', {}, ...cols.map((c) => h('th', {}, c)))), h('tbody', {}, ...rows))];
  if (part.fields.length > SPEC_ROWS) out.push(h('p', { class: 'muted' }, `First ${SPEC_ROWS} of ${part.fields.length}.`));
  return out;
}

/** The signature section's content for `files`; the caller owns the nodes. */
export function signatureView(files: ModelFiles): Node[] {
  if (!files.mlmodel) return [h('p', { class: 'muted', id: 'no-signature' }, files.problem)];
  const sig: Signature | null = files.signature;
  if (!sig) return [h('p', { class: 'muted', id: 'no-signature' }, 'This model was logged without a signature.')];
  return [...partTable('Inputs', 'signature-inputs', sig.inputs, false), ...partTable('Outputs', 'signature-outputs', sig.outputs, false),
    ...partTable('Params', 'signature-params', sig.params, true)];
}

/** An input example as MLflow saves it: a table for the split orient ({columns, data}), else the JSON. */
function exampleBody(f: ModelFile): HTMLElement {
  let x: unknown;
  try {
    x = f.head.cut ? undefined : JSON.parse(f.head.text);
  } catch {
    x = undefined;
  }
  let v = x as Record<string, unknown> | null;
  if (v && typeof v === 'object' && !Array.isArray(v)) {
    if (v.dataframe_split && typeof v.dataframe_split === 'object') v = v.dataframe_split as Record<string, unknown>;
    else if (v.inputs && typeof v.inputs === 'object' && !Array.isArray(v.inputs)) v = v.inputs as Record<string, unknown>;
  }
  if (v && Array.isArray(v.columns) && Array.isArray(v.data)) {
    const columns = v.columns as unknown[], data = v.data as unknown[];
    const rows = data.slice(0, EXAMPLE_ROWS);
    const cell = (c: unknown) => h('td', { class: typeof c === 'number' ? 'num' : '' }, text(c));
    const notes = [data.length > EXAMPLE_ROWS ? `first ${EXAMPLE_ROWS} of ${data.length} rows` : '',
      columns.length > EXAMPLE_COLS ? `first ${EXAMPLE_COLS} of ${columns.length} columns` : ''].filter(Boolean);
    return h('div', { class: 'csv-wrap' }, h('table', { class: 'grid csv', id: 'input-example-table' },
      h('thead', {}, h('tr', {}, ...columns.slice(0, EXAMPLE_COLS).map((c) => h('th', {}, text(c))))),
      h('tbody', {}, ...rows.map((r) => h('tr', {}, ...(Array.isArray(r) ? r : [r]).slice(0, EXAMPLE_COLS).map(cell))))),
    notes.length ? h('p', { class: 'muted' }, `Showing the ${notes.join(' and the ')}.`) : '');
  }
  const shown = x === undefined ? f.head.text : JSON.stringify(x, null, 2);
  return h('pre', { class: 'mono', id: 'input-example-json' }, shown.length > EXAMPLE_CHARS ? `${shown.slice(0, EXAMPLE_CHARS)}\n…` : shown);
}

/** The input example section's content for `files`; the caller owns the nodes. */
export function inputExampleView(files: ModelFiles): Node[] {
  const f = files.inputExample;
  const problem = files.exampleProblem ? h('div', { class: 'error', role: 'alert' }, files.exampleProblem) : null;
  if (!f) {
    const why = !files.mlmodel ? files.problem : 'This model was logged without an input example.';
    return [problem || h('p', { class: 'muted', id: 'no-input-example' }, why)];
  }
  return [h('div', { class: 'muted' }, f.path, f.head.cut ? ` (first ${Math.round(f.head.text.length / 1024)} KB)` : ''),
    exampleBody(f), ...(problem ? [problem] : [])];
}

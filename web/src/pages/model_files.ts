// model_files.ts - what the model version page reads from the version's own
// files: where they are (model-versions/get-download-uri: the source, or
// the run's artifact path a models:/ source was resolved to at creation),
// which files the folder holds (listed through the run's artifacts for a
// runs:/ source or one inside a run, through the artifact proxy for a
// mlflow-artifacts: one), and the MLmodel file, its input example and its
// serving input example, fetched through model-versions/get-artifact (which
// reads every kind of source) and bounded in size. MLmodel is parsed with
// the `yaml` library of the lazily loaded parsers chunk. Nothing here
// touches the DOM.

import { api, FileInfo, ModelVersion, registry, versionArtifactUrl } from '../api';
import type * as Parsers from '../parsers';
import { fetchHead, Head } from '../preview';

export const MLMODEL_LIMIT = 1024 * 1024; // an MLmodel larger than this is not read
export const EXAMPLE_LIMIT = 1024 * 1024; // the input examples are read up to this many bytes

/** One field of a signature: a column, a tensor or a parameter, as MLflow writes them. */
export interface SpecField {
  name?: unknown; type?: unknown; required?: unknown; optional?: unknown; default?: unknown; shape?: unknown;
  'tensor-spec'?: { dtype?: unknown; shape?: unknown };
}
/** A signature part: the parsed list, or the text when it is not a JSON list. */
export type SpecPart = { fields: SpecField[] } | { raw: string } | null;
export interface Signature { inputs: SpecPart; outputs: SpecPart; params: SpecPart }

/** A file read from the version's folder. */
export interface ModelFile { path: string; url: string; head: Head }

export interface ModelFiles {
  /** Where the version's files are (an artifact URI). */
  uri: string;
  /** Why the MLmodel could not be read ('' when it was). */
  problem: string;
  /** The MLmodel file parsed (plain data: scalars stay strings), null when not read. */
  mlmodel: Record<string, unknown> | null;
  signature: Signature | null; // null: the model has none
  inputExample: ModelFile | null;
  servingExample: ModelFile | null;
  /** Why an example named by MLmodel could not be read ('' when there was none to read or it was). */
  exampleProblem: string;
}

let parsers: typeof Parsers | null = null;

/** The folder's files by name: null when the folder cannot be listed (files are then fetched blindly). */
async function listFolder(uri: string, runId: string | undefined, signal: AbortSignal): Promise<Map<string, FileInfo> | null> {
  let files: FileInfo[] | undefined;
  let prefix = '';
  const runs = /^runs:\/([^/]+)\/?(.*)$/.exec(uri);
  const marker = runId ? `/${runId}/artifacts` : '';
  const inRun = marker ? uri.indexOf(marker) : -1;
  const rest = inRun >= 0 ? uri.slice(inRun + marker.length) : '';
  if (runs) {
    prefix = runs[2].replace(/\/+$/, '');
    files = (await api.listArtifacts(runs[1], prefix, signal)).files;
  } else if (inRun >= 0 && (!rest || rest.startsWith('/'))) {
    prefix = rest.replace(/^\/+|\/+$/g, '');
    files = (await api.listArtifacts(runId!, prefix, signal)).files;
  } else if (/^mlflow-artifacts:/.test(uri)) {
    const path = uri.replace(/^mlflow-artifacts:(\/\/[^/]*)?\/*/, '').replace(/\/+$/, '');
    files = (await api.listProxyArtifacts(path, signal)).files;
  } else return null;
  const out = new Map<string, FileInfo>();
  for (const f of files || []) {
    const name = prefix && f.path.startsWith(`${prefix}/`) ? f.path.slice(prefix.length + 1) : f.path.split('/').pop() || f.path;
    out.set(name, f);
  }
  return out;
}

/** Whether the server can read files at `uri` (its own stores, runs, local paths); other schemes it does not serve. */
function readable(uri: string): boolean {
  const scheme = /^([a-z][a-z0-9+.-]*):/i.exec(uri)?.[1].toLowerCase();
  return !scheme || ['runs', 'mlflow-artifacts', 'file'].includes(scheme);
}

const str = (v: unknown) => (typeof v === 'string' ? v : undefined);
const isMap = (v: unknown): v is Record<string, unknown> => !!v && typeof v === 'object' && !Array.isArray(v);

/** A signature part as MLmodel keeps it: a JSON string (or, hand-written, a YAML list); 'null' or absent is none. */
function specPart(v: unknown): SpecPart {
  if (v === undefined || v === null || v === 'null' || v === '') return null;
  let parsed: unknown = v;
  if (typeof v === 'string') {
    try {
      parsed = JSON.parse(v);
    } catch {
      return { raw: v };
    }
  }
  if (parsed === null) return null;
  if (!Array.isArray(parsed)) return { raw: typeof v === 'string' ? v : JSON.stringify(v) };
  return { fields: parsed.map((f) => (isMap(f) ? f as SpecField : { type: f })) };
}

/** The signature block of a parsed MLmodel, or null when it has none. */
export function signatureOf(mlmodel: Record<string, unknown>): Signature | null {
  const s = mlmodel.signature;
  if (!isMap(s)) return null;
  const sig = { inputs: specPart(s.inputs), outputs: specPart(s.outputs), params: specPart(s.params) };
  return sig.inputs || sig.outputs || sig.params ? sig : null;
}

/** A file name MLmodel gives for a file of its folder: relative, no "..". */
function safeName(v: unknown): string | null {
  const s = str(v)?.trim();
  if (!s || s.startsWith('/') || s.split('/').some((p) => p === '..' || p === '')) return null;
  return s;
}

/**
 * Reads the files of version `v` that the page shows. Never throws for a
 * missing or unreadable file: `problem` and `exampleProblem` say what went
 * wrong in plain words. Throws only when aborted. The caller owns the result.
 */
export async function loadModelFiles(v: ModelVersion, signal: AbortSignal): Promise<ModelFiles> {
  const out: ModelFiles = { uri: v.source || '', problem: '', mlmodel: null, signature: null, inputExample: null,
    servingExample: null, exampleProblem: '' };
  const rethrowAbort = (e: unknown) => {
    if (e instanceof DOMException && e.name === 'AbortError') throw e;
  };
  try {
    out.uri = (await registry.downloadUri(v.name, v.version, signal)).artifact_uri || out.uri;
  } catch (e) {
    rethrowAbort(e);
  }
  if (!readable(out.uri)) {
    out.problem = `The model's files are at ${out.uri}, which this server does not read.`;
    return out;
  }
  let listing: Map<string, FileInfo> | null = null;
  try {
    listing = await listFolder(out.uri, v.run_id, signal);
  } catch (e) {
    rethrowAbort(e);
    out.problem = `The model's folder ${out.uri} could not be listed: ${e instanceof Error ? e.message : String(e)}`;
    return out;
  }
  const sizeOf = (name: string) => {
    const n = Number(listing?.get(name)?.file_size);
    return listing?.has(name) && Number.isFinite(n) ? n : null;
  };
  const fetchFile = async (name: string, limit: number): Promise<ModelFile> => {
    const url = versionArtifactUrl(v.name, v.version, name);
    return { path: name, url, head: await fetchHead(url, sizeOf(name), limit, signal) };
  };
  if (listing && !(listing.get('MLmodel') && !listing.get('MLmodel')!.is_dir)) {
    out.problem = `No MLmodel file in the model's folder (${out.uri}).`;
    return out;
  }
  let mlmodelFile: ModelFile;
  try {
    mlmodelFile = await fetchFile('MLmodel', MLMODEL_LIMIT);
  } catch (e) {
    rethrowAbort(e);
    out.problem = `The MLmodel file could not be read: ${e instanceof Error ? e.message : String(e)}`;
    return out;
  }
  if (mlmodelFile.head.cut) {
    out.problem = `The MLmodel file is larger than ${MLMODEL_LIMIT / 1024} KB: not read.`;
    return out;
  }
  try {
    parsers ??= await import('../parsers');
    const y = parsers.parseYaml(mlmodelFile.head.text);
    if (!isMap(y)) throw new Error('not a mapping');
    out.mlmodel = y;
  } catch (e) {
    rethrowAbort(e);
    out.problem = `The MLmodel file is not valid YAML: ${e instanceof Error ? e.message : String(e)}`;
    return out;
  }
  out.signature = signatureOf(out.mlmodel);
  const info = isMap(out.mlmodel.saved_input_example_info) ? out.mlmodel.saved_input_example_info : null;
  const problems: string[] = [];
  const example = async (name: string | null, what: string): Promise<ModelFile | null> => {
    if (!name) return null;
    if (listing && !listing.has(name)) {
      problems.push(`MLmodel names the ${what} ${name}, which is not in the model's folder.`);
      return null;
    }
    try {
      return await fetchFile(name, EXAMPLE_LIMIT);
    } catch (e) {
      rethrowAbort(e);
      problems.push(`The ${what} ${name} could not be read: ${e instanceof Error ? e.message : String(e)}`);
      return null;
    }
  };
  [out.inputExample, out.servingExample] = await Promise.all([
    example(info ? safeName(info.artifact_path) : null, 'input example'),
    example(info ? safeName(info.serving_input_path) : null, 'serving input example'),
  ]);
  out.exampleProblem = problems.join(' ');
  return out;
}

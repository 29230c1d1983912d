// api.ts - the REST calls the UI makes, typed. Every URL is relative, so it
// resolves against <base href> and works under the server's --static-prefix.
// Every call says it is the UI's (X-MLflowc-UI), so a 401 brings no browser
// password prompt: it goes to the sign-in page (onSignedOut); a 403 becomes
// an error saying which permission the call needed (permissions.ts).

import { deniedMessage } from './permissions';

export interface KV { key: string; value: string }
export interface Metric { key: string; value: number | string; timestamp: number; step: number; run_id?: string }
export interface Experiment {
  experiment_id: string; name: string; artifact_location?: string; lifecycle_stage?: string;
  creation_time?: number; last_update_time?: number; tags?: KV[];
}
export interface RunInfo {
  run_id: string; run_name?: string; experiment_id: string; user_id?: string; status?: string;
  start_time?: number; end_time?: number; artifact_uri?: string; lifecycle_stage?: string;
}
export interface Dataset {
  name: string; digest?: string; source_type?: string; source?: string; schema?: string; profile?: string;
}
export interface DatasetInput { tags?: KV[]; dataset: Dataset }
export interface Run {
  info: RunInfo; data: { metrics?: Metric[]; params?: KV[]; tags?: KV[] };
  inputs?: { dataset_inputs?: DatasetInput[] };
}
export interface FileInfo { path: string; is_dir?: boolean; file_size?: number | string }

/** An MLflow error answer ({error_code, message}) or a transport failure. */
export class ApiError extends Error {
  /** Seconds to wait before trying again (a 429's Retry-After), else 0. */
  retryAfter = 0;
  constructor(readonly status: number, readonly code: string, message: string) {
    super(message);
  }
}

/** Marks the UI's own requests: the server then answers a 401 without a Basic challenge. */
export const UI_HEADERS: Record<string, string> = { 'X-MLflowc-UI': '1' };

let signedOut: (() => void) | null = null;
/** Sets what a 401 (no session, or an expired one) does: auth.ts shows the sign-in page. */
export function onSignedOut(f: () => void): void {
  signedOut = f;
}
/** Tells the UI a request was answered 401 (also for fetches made outside `call`). */
export function reportUnauthenticated(): void {
  signedOut?.();
}

const PREFIX = 'ajax-api/2.0/mlflow/';
const SIGN_IN = 'ajax-api/2.0/mlflowc/auth/sign-in';

type Query = Record<string, string | number | string[] | undefined>;

function queryString(q: Query): string {
  const p = new URLSearchParams();
  for (const [k, v] of Object.entries(q)) {
    if (v === undefined) continue;
    if (Array.isArray(v)) v.forEach((x) => p.append(k, x));
    else p.append(k, String(v));
  }
  const s = p.toString();
  return s ? `?${s}` : '';
}

async function call<T>(method: 'GET' | 'POST' | 'PATCH' | 'DELETE', path: string, arg: Query | object = {}, signal?: AbortSignal): Promise<T> {
  const init: RequestInit = { method, signal, headers: { Accept: 'application/json', ...UI_HEADERS } };
  let url = path.startsWith('ajax-api/') ? path : PREFIX + path; // mlflowc's own endpoints give their full path
  if (method === 'GET') url += queryString(arg as Query);
  else {
    init.body = JSON.stringify(arg);
    init.headers = { ...init.headers, 'Content-Type': 'application/json' };
  }
  const res = await fetch(url, init);
  const text = await res.text();
  let body: unknown = {};
  try {
    body = text ? JSON.parse(text) : {};
  } catch {
    body = {};
  }
  if (!res.ok) {
    const b = body as { error_code?: string; message?: string };
    if (res.status === 401 && !path.startsWith(SIGN_IN)) reportUnauthenticated();
    // the gate's refusal is a bare "Permission denied" (a handler's 403 is MLflow's error JSON)
    if (res.status === 403 && !b.error_code) throw new ApiError(403, 'PERMISSION_DENIED', deniedMessage(method, url, arg));
    const e = new ApiError(res.status, b.error_code || `HTTP_${res.status}`, b.message || text || res.statusText);
    e.retryAfter = Number(res.headers.get('Retry-After')) || 0;
    throw e;
  }
  return body as T;
}

export interface SearchRunsArgs {
  experiment_ids: string[]; filter?: string; order_by?: string[]; max_results?: number; page_token?: string;
  run_view_type?: string;
}

export const api = {
  searchExperiments: (body: object, signal?: AbortSignal) =>
    call<{ experiments?: Experiment[]; next_page_token?: string }>('POST', 'experiments/search', body, signal),
  getExperiment: (id: string, signal?: AbortSignal) =>
    call<{ experiment: Experiment }>('GET', 'experiments/get', { experiment_id: id }, signal),
  createExperiment: (name: string) => call<{ experiment_id: string }>('POST', 'experiments/create', { name }),
  searchRuns: (args: SearchRunsArgs, signal?: AbortSignal) =>
    call<{ runs?: Run[]; next_page_token?: string }>('POST', 'runs/search', args, signal),
  getRun: (id: string, signal?: AbortSignal) => call<{ run: Run }>('GET', 'runs/get', { run_id: id }, signal),
  listArtifacts: (runId: string, path: string, signal?: AbortSignal) =>
    call<{ files?: FileInfo[]; root_uri?: string }>('GET', 'artifacts/list',
      { run_id: runId, path: path || undefined }, signal),
  historyInterval: (runIds: string[], key: string, maxResults: number, signal?: AbortSignal) =>
    call<{ metrics?: Metric[] }>('GET', 'metrics/get-history-bulk-interval',
      { run_ids: runIds, metric_key: key, max_results: maxResults }, signal),
  /** The same, for steps start..end only (inclusive): a finer sample of a zoomed range. */
  historyRange: (runIds: string[], key: string, maxResults: number, start: number, end: number, signal?: AbortSignal) =>
    call<{ metrics?: Metric[] }>('GET', 'metrics/get-history-bulk-interval',
      { run_ids: runIds, metric_key: key, max_results: maxResults, start_step: start, end_step: end }, signal),
  // lifecycle and edits (experiments, runs pages; run notes)
  updateExperiment: (id: string, newName: string) =>
    call<object>('POST', 'experiments/update', { experiment_id: id, new_name: newName }),
  deleteExperiment: (id: string) => call<object>('POST', 'experiments/delete', { experiment_id: id }),
  restoreExperiment: (id: string) => call<object>('POST', 'experiments/restore', { experiment_id: id }),
  deleteRun: (id: string) => call<object>('POST', 'runs/delete', { run_id: id }),
  restoreRun: (id: string) => call<object>('POST', 'runs/restore', { run_id: id }),
  setRunTag: (id: string, key: string, value: string) =>
    call<object>('POST', 'runs/set-tag', { run_id: id, key, value }),
  /** A folder of the artifact proxy's store (a mlflow-artifacts: URI's path); entries are named by their path. */
  listProxyArtifacts: (path: string, signal?: AbortSignal) =>
    call<{ files?: FileInfo[] }>('GET', 'ajax-api/2.0/mlflow-artifacts/artifacts', { path: path || undefined }, signal),
  /** The retention policy governing an experiment (mlflowc's own endpoint; no policy: {}). */
  getRetention: (id: string, signal?: AbortSignal) =>
    call<{ policy?: RetentionPolicy }>('GET', 'ajax-api/2.0/mlflowc/experiments/retention', { experiment_id: id }, signal),
  /** What the next application of that policy would do to the experiment; changes nothing. */
  getRetentionPreview: (id: string, signal?: AbortSignal) =>
    call<{ preview: RetentionPreview }>('GET', 'ajax-api/2.0/mlflowc/experiments/retention/preview',
      { experiment_id: id }, signal),
};

/** A retention policy as /mlflowc/experiments/retention answers it (docs/storage.md). */
export interface RetentionPolicy {
  is_default: boolean;
  keep_days?: number; keep_registered?: boolean; keep_tags?: { key: string; value?: string }[];
  prune?: string; keep_last?: number;
  archived_versions_days?: number; archived_action?: string; move_to?: string; move_storage_class?: string;
  updated_time: number;
}

/** What /mlflowc/experiments/retention/preview answers: counts, bytes, the first ids (docs/storage.md). */
export interface RetentionPreview {
  soft_delete_runs: number; soft_delete_bytes: number; soft_delete_run_ids: string[];
  kept_runs: number;
  prune_paths: number; prune_bytes: number; prune_path_uris: string[];
  archived_versions: number; archived_bytes: number; archived_version_names: string[];
  failures: number;
}

/** URL of an artifact's bytes (MLflow's UI download route). */
export function artifactUrl(runId: string, path: string): string {
  return `get-artifact${queryString({ path, run_uuid: runId })}`;
}

/** URL of a file of a model version's artifacts (MLflow's UI route). */
export function versionArtifactUrl(name: string, version: string, path: string): string {
  return `model-versions/get-artifact${queryString({ name, path, version })}`;
}

// ---- the model registry (pages/models.ts, model.ts, model_version.ts) ----

export interface ModelVersion {
  name: string; version: string; creation_timestamp?: number; last_updated_timestamp?: number; user_id?: string;
  current_stage?: string; description?: string; source?: string; run_id?: string; status?: string;
  status_message?: string; tags?: KV[]; run_link?: string; aliases?: string[]; model_id?: string;
}
export interface RegisteredModel {
  name: string; creation_timestamp?: number; last_updated_timestamp?: number; description?: string;
  latest_versions?: ModelVersion[]; tags?: KV[]; aliases?: { alias: string; version: string }[];
}
/** One entry of mlflowc's registry audit trail: a stage transition or an alias move. */
export interface RegistryEvent {
  event_id: number; name: string; version: string; kind: string; alias?: string; from?: string; to?: string;
  user_id?: string; timestamp: number; comment?: string;
}

export const registry = {
  searchModels: (filter: string | undefined, orderBy: string, maxResults: number, pageToken?: string, signal?: AbortSignal) =>
    call<{ registered_models?: RegisteredModel[]; next_page_token?: string }>('GET', 'registered-models/search',
      { filter, max_results: maxResults, page_token: pageToken, order_by: [orderBy] }, signal),
  createModel: (name: string) => call<{ registered_model: RegisteredModel }>('POST', 'registered-models/create', { name }),
  createVersion: (name: string, source: string, runId: string) =>
    call<{ model_version: ModelVersion }>('POST', 'model-versions/create', { name, source, run_id: runId }),
  getModel: (name: string, signal?: AbortSignal) =>
    call<{ registered_model: RegisteredModel }>('GET', 'registered-models/get', { name }, signal),
  renameModel: (name: string, newName: string) =>
    call<{ registered_model: RegisteredModel }>('POST', 'registered-models/rename', { name, new_name: newName }),
  deleteModel: (name: string) => call<object>('DELETE', 'registered-models/delete', { name }),
  deleteVersion: (name: string, version: string) => call<object>('DELETE', 'model-versions/delete', { name, version }),
  updateModel: (name: string, description: string) =>
    call<{ registered_model: RegisteredModel }>('PATCH', 'registered-models/update', { name, description }),
  setModelTag: (name: string, key: string, value: string) =>
    call<object>('POST', 'registered-models/set-tag', { name, key, value }),
  deleteModelTag: (name: string, key: string) => call<object>('DELETE', 'registered-models/delete-tag', { name, key }),
  setAlias: (name: string, alias: string, version: string) =>
    call<object>('POST', 'registered-models/alias', { name, alias, version }),
  deleteAlias: (name: string, alias: string) => call<object>('DELETE', 'registered-models/alias', { name, alias }),
  searchVersions: (filter: string, maxResults: number, pageToken?: string, signal?: AbortSignal) =>
    call<{ model_versions?: ModelVersion[]; next_page_token?: string }>('GET', 'model-versions/search',
      { filter, max_results: maxResults, page_token: pageToken }, signal),
  /** Where a version's files are: its storage location (a models:/ source resolved at creation) or its source. */
  downloadUri: (name: string, version: string, signal?: AbortSignal) =>
    call<{ artifact_uri: string }>('GET', 'model-versions/get-download-uri', { name, version }, signal),
  getVersion: (name: string, version: string, signal?: AbortSignal) =>
    call<{ model_version: ModelVersion }>('GET', 'model-versions/get', { name, version }, signal),
  updateVersion: (name: string, version: string, description: string) =>
    call<{ model_version: ModelVersion }>('PATCH', 'model-versions/update', { name, version, description }),
  transitionStage: (name: string, version: string, stage: string, archiveExisting: boolean, comment?: string) =>
    call<{ model_version: ModelVersion }>('POST', 'model-versions/transition-stage',
      { name, version, stage, archive_existing_versions: archiveExisting, comment: comment || undefined }),
  setVersionTag: (name: string, version: string, key: string, value: string) =>
    call<object>('POST', 'model-versions/set-tag', { name, version, key, value }),
  deleteVersionTag: (name: string, version: string, key: string) =>
    call<object>('DELETE', 'model-versions/delete-tag', { name, version, key }),
  /** mlflowc's audit trail of a model (or of one version), oldest first. */
  history: (name: string, version?: string, signal?: AbortSignal) =>
    call<{ history?: RegistryEvent[] }>('GET', 'ajax-api/2.0/mlflowc/registered-models/history',
      { name, version }, signal),
};

// ---- users, permissions, tokens, the audit trail (auth.ts, pages/signin.ts, account.ts, admin*.ts) ----

export interface ExperimentPermission { experiment_id: string; user_id: number; permission: string }
export interface ModelPermission { name: string; user_id: number; permission: string }
export interface User {
  id: number; username: string; is_admin: boolean;
  experiment_permissions?: ExperimentPermission[]; registered_model_permissions?: ModelPermission[];
}
export interface Token {
  id: number; name: string; creation_time: number; expiry_time?: number; last_used_time?: number; revoked?: boolean;
}
export interface AuditEntry {
  id: number; time: number; username?: string; method: string; path: string; status: number; resource?: string;
}

const OURS = 'ajax-api/2.0/mlflowc/';

export const users = {
  signIn: (username: string, password: string) => call<{ user: User }>('POST', SIGN_IN, { username, password }),
  signOut: () => call<object>('POST', `${OURS}auth/sign-out`),
  current: (signal?: AbortSignal) => call<{ user: User }>('GET', 'users/current', {}, signal),
  list: (signal?: AbortSignal) => call<{ users?: User[] }>('GET', 'users/list', {}, signal),
  get: (username: string, signal?: AbortSignal) => call<{ user: User }>('GET', 'users/get', { username }, signal),
  create: (username: string, password: string) => call<{ user: User }>('POST', 'users/create', { username, password }),
  setAdmin: (username: string, isAdmin: boolean) =>
    call<object>('PATCH', 'users/update-admin', { username, is_admin: isAdmin }),
  /** A new password; `current` is required when it is the sender's own. */
  setPassword: (username: string, password: string, current?: string) =>
    call<object>('PATCH', 'users/update-password', { username, password, current_password: current }),
  remove: (username: string) => call<object>('DELETE', 'users/delete', { username }),
  grantExperiment: (experimentId: string, username: string, permission: string) =>
    call<object>('POST', 'experiments/permissions/create', { experiment_id: experimentId, username, permission }),
  updateExperiment: (experimentId: string, username: string, permission: string) =>
    call<object>('PATCH', 'experiments/permissions/update', { experiment_id: experimentId, username, permission }),
  revokeExperiment: (experimentId: string, username: string) =>
    call<object>('DELETE', 'experiments/permissions/delete', { experiment_id: experimentId, username }),
  grantModel: (name: string, username: string, permission: string) =>
    call<object>('POST', 'registered-models/permissions/create', { name, username, permission }),
  updateModel: (name: string, username: string, permission: string) =>
    call<object>('PATCH', 'registered-models/permissions/update', { name, username, permission }),
  revokeModel: (name: string, username: string) =>
    call<object>('DELETE', 'registered-models/permissions/delete', { name, username }),
  audit: (maxResults: number, pageToken?: string, username?: string, signal?: AbortSignal) =>
    call<{ entries?: AuditEntry[]; next_page_token?: string }>('GET', `${OURS}audit/search`,
      { max_results: maxResults, page_token: pageToken, username: username || undefined }, signal),
  createToken: (name: string, expiresInDays: number) =>
    call<{ token: Token; secret: string }>('POST', `${OURS}users/tokens/create`, { name, expires_in_days: expiresInDays }),
  listTokens: (signal?: AbortSignal) => call<{ tokens?: Token[] }>('GET', `${OURS}users/tokens/list`, {}, signal),
  revokeToken: (id: number) => call<object>('POST', `${OURS}users/tokens/revoke`, { id }),
};

// run_models.ts - the run page's logged models and "Register model". A
// logged model is an artifact folder holding an MLmodel file (MLflow 2.x):
// the paths in the run's mlflow.log-model.history tag, the artifact root and
// its top-level folders are looked into. The page's title gets a "Register
// model" button once one is found, and a "Logged models" section lists each
// (path, flavors, when logged) with its own Register button. The dialog
// registers the folder as runs:/<run id>/<path> into an existing registered
// model or a new one (registered-models/create, then model-versions/create),
// shows the server's errors as they are, and links to the new version.

import { api, registry, Run } from '../api';
import { link } from '../router';
import { errorBox, h, isAbort } from '../util';
import { versionHref } from './model_parts';

const MODEL_SCAN_DIRS = 25; // top-level folders looked into for an MLmodel file
const HISTORY_TAG = 'mlflow.log-model.history';
const NEW_MODEL = '\u0000new'; // the select's "create a new model" choice (no model name holds a NUL)

/** A logged model of the run: its folder ('' for the artifact root) and what the history tag says of it. */
export interface LoggedModel { path: string; flavors: string[]; logged: string }

interface HistoryEntry { artifact_path?: unknown; flavors?: unknown; utc_time_created?: unknown }

function historyOf(run: Run): HistoryEntry[] {
  const raw = run.data.tags?.find((t) => t.key === HISTORY_TAG)?.value;
  if (!raw) return [];
  try {
    const parsed: unknown = JSON.parse(raw);
    return Array.isArray(parsed) ? parsed.filter((e): e is HistoryEntry => !!e && typeof e === 'object') : [];
  } catch {
    return [];
  }
}

/**
 * The logged models of `run`, by path: folders (the paths of the history
 * tag, the root, each top-level folder) that hold an MLmodel file. The
 * caller owns the list.
 */
export async function findLoggedModels(run: Run, signal: AbortSignal): Promise<LoggedModel[]> {
  const id = run.info.run_id;
  const list = (dir: string) => api.listArtifacts(id, dir, signal).catch((e) => {
    if (isAbort(e)) throw e;
    return { files: [] };
  });
  const hasMLmodel = async (dir: string) =>
    ((await list(dir)).files || []).some((f) => !f.is_dir && f.path === (dir ? `${dir}/MLmodel` : 'MLmodel'));
  const history = new Map<string, HistoryEntry>();
  for (const e of historyOf(run)) {
    if (typeof e.artifact_path === 'string') history.set(e.artifact_path.replace(/^\/+|\/+$/g, ''), e);
  }
  const candidates = new Set<string>(history.keys());
  const files = (await list('')).files || [];
  const rootHas = files.some((f) => !f.is_dir && f.path === 'MLmodel');
  if (rootHas) candidates.add('');
  files.filter((f) => f.is_dir).slice(0, MODEL_SCAN_DIRS).forEach((f) => candidates.add(f.path));
  const found: LoggedModel[] = [];
  await Promise.all([...candidates].map(async (dir) => {
    if (!(dir === '' ? rootHas : await hasMLmodel(dir))) return;
    const e = history.get(dir);
    const flavors = e && e.flavors && typeof e.flavors === 'object' ? Object.keys(e.flavors as object) : [];
    found.push({ path: dir, flavors, logged: typeof e?.utc_time_created === 'string' ? e.utc_time_created : '' });
  }));
  return found.sort((a, b) => a.path.localeCompare(b.path));
}

/** The source a version registered from `path` of run `runId` is given. */
export function runModelSource(runId: string, path: string): string {
  return path ? `runs:/${runId}/${path}` : `runs:/${runId}`;
}

export interface RunModels {
  action: HTMLElement; // for the title: "Register model" and the link to what was registered
  section: HTMLElement; // "Logged models" (empty until one is found)
}

/** Looks for the logged models of `run` and builds their actions; the caller owns and places the nodes. */
export function runModels(run: Run, signal: AbortSignal): RunModels {
  const action = h('span', { class: 'run-title-actions' });
  const section = h('section', { id: 'run-models' });
  findLoggedModels(run, signal).then((models) => {
    if (!models.length) return;
    const done = h('span', { id: 'register-done', 'aria-live': 'polite' });
    const cells = new Map<string, HTMLElement>();
    const registered = (path: string, name: string, version: string) => {
      const to = () => link(versionHref(name, version), `${name} version ${version}`);
      done.replaceChildren('Registered as ', to());
      cells.get(path)?.replaceChildren(to());
    };
    const main = h('button', { type: 'button', id: 'register-model', class: 'primary' }, 'Register model');
    main.addEventListener('click', () => openRegisterDialog(run, models, models[0].path, registered));
    action.replaceChildren(done, main);
    section.replaceChildren(h('h2', {}, `Logged models (${models.length})`), h('table', { class: 'grid', id: 'logged-models' },
      h('thead', {}, h('tr', {}, h('th', {}, 'Path'), h('th', {}, 'Flavors'), h('th', {}, 'Logged (UTC)'), h('th', {}, ''),
        h('th', {}, 'Registered'))),
      h('tbody', {}, ...models.map((m) => {
        const cell = h('td', { class: 'registered' });
        cells.set(m.path, cell);
        const btn = h('button', { type: 'button', class: 'register-one', 'data-path': m.path,
          'aria-label': `Register the model at ${m.path || 'the artifact root'}` }, 'Register');
        btn.addEventListener('click', () => openRegisterDialog(run, models, m.path, registered));
        return h('tr', { 'data-path': m.path }, h('td', { class: 'mono' }, m.path || '(artifact root)'),
          h('td', {}, m.flavors.join(', ') || '—'), h('td', {}, m.logged || '—'), h('td', { class: 'act' }, btn), cell);
      }))));
  }).catch(() => undefined);
  return { action, section };
}

/** Opens the dialog with model `chosen` picked; `done` gets the path, model name and version registered. */
function openRegisterDialog(run: Run, models: LoggedModel[], chosen: string,
  done: (path: string, name: string, version: string) => void): void {
  const dirSelect = h('select', { id: 'register-path', 'aria-label': 'Model directory' },
    ...models.map((m) => h('option', { value: m.path, selected: m.path === chosen }, m.path || '(artifact root)')));
  const modelSelect = h('select', { id: 'register-target', 'aria-label': 'Registered model' },
    h('option', { value: NEW_MODEL }, '+ Create new model'));
  const newName = h('input', { type: 'text', id: 'register-name', placeholder: 'New model name', 'aria-label': 'New model name',
    value: chosen ? chosen.split('/').pop() : '' });
  const ok = h('button', { type: 'submit', class: 'primary' }, 'Register');
  const cancel = h('button', { type: 'button' }, 'Cancel');
  const status = h('div', { class: 'form-status', 'aria-live': 'polite' });
  const form = h('form', { class: 'register-form', method: 'dialog' },
    h('h2', {}, 'Register model'),
    h('label', {}, 'Model ', dirSelect), h('label', {}, 'Into ', modelSelect), newName, status,
    h('div', { class: 'confirm-buttons' }, cancel, ok));
  const dlg = h('dialog', { class: 'confirm-dialog', id: 'register-dialog', 'aria-label': 'Register model' }, form);
  const sync = () => { newName.hidden = modelSelect.value !== NEW_MODEL; };
  const addModel = (name: string) => {
    if (![...modelSelect.options].some((o) => o.value === name)) modelSelect.append(h('option', { value: name }, name));
  };
  modelSelect.addEventListener('change', sync);
  registry.searchModels(undefined, 'name ASC', 1000).then((r) => {
    (r.registered_models || []).forEach((m) => addModel(m.name));
  }).catch((e) => status.replaceChildren(errorBox(e)));
  cancel.addEventListener('click', () => dlg.close());
  dlg.addEventListener('close', () => dlg.remove());
  form.addEventListener('submit', async (ev) => {
    ev.preventDefault();
    const creating = modelSelect.value === NEW_MODEL;
    const name = creating ? newName.value.trim() : modelSelect.value;
    if (!name) {
      status.replaceChildren(errorBox('Give the new model a name.'));
      newName.focus();
      return;
    }
    ok.disabled = true;
    status.replaceChildren();
    let step = creating ? `Creating the registered model ${name}` : `Registering a new version of ${name}`;
    try {
      if (creating) {
        await registry.createModel(name);
        // from here on the model exists: a retry adds a version to it
        addModel(name);
        modelSelect.value = name;
        sync();
        step = `The registered model ${name} was created, but registering the version`;
      }
      const path = dirSelect.value;
      const v = await registry.createVersion(name, runModelSource(run.info.run_id, path), run.info.run_id);
      dlg.close();
      done(path, name, v.model_version.version);
    } catch (e) {
      ok.disabled = false;
      status.replaceChildren(errorBox(`${step} failed: ${e instanceof Error ? e.message : String(e)}`));
    }
  });
  sync();
  document.body.append(dlg);
  dlg.showModal();
  (models.length > 1 ? dirSelect : modelSelect).focus();
}

// permissions.ts - what a refused request needed, in words. The server's
// gate answers a refusal with a bare 403 "Permission denied"; the UI knows
// what it asked for, so it says which permission on which resource that
// call needs (the same column as the server's route table, src/api/routes*.c:
// reads need READ, changes EDIT, deleting and restoring MANAGE, users and the
// audit trail an administrator).

/** The permission levels of MLflow's basic-auth app, weakest first (NO_PERMISSIONS last, as MLflow lists them). */
export const PERMISSIONS = ['READ', 'USE', 'EDIT', 'MANAGE', 'NO_PERMISSIONS'];

const ADMIN = 'admin';

/** Calls whose need is not the default (GET: READ, anything else: EDIT); `method` narrows a row to one method. */
const NEEDS: { path: string; need: string; method?: string }[] = [
  { path: 'experiments/search', need: 'READ' },
  { path: 'runs/search', need: 'READ' },
  { path: 'experiments/delete', need: 'MANAGE' },
  { path: 'experiments/restore', need: 'MANAGE' },
  { path: 'runs/delete', need: 'MANAGE' },
  { path: 'runs/restore', need: 'MANAGE' },
  { path: 'registered-models/delete', need: 'MANAGE' },
  { path: 'registered-models/alias', need: 'MANAGE', method: 'DELETE' },
  { path: 'model-versions/delete', need: 'MANAGE' },
  { path: 'model-versions/delete-tag', need: 'MANAGE' },
  { path: 'experiments/permissions/', need: 'MANAGE' },
  { path: 'registered-models/permissions/', need: 'MANAGE' },
  { path: 'users/', need: ADMIN },
  { path: 'mlflowc/audit/', need: ADMIN },
];

/** What a call's arguments name, first match wins. */
const SUBJECTS: { arg: string; what: (v: string) => string }[] = [
  { arg: 'experiment_id', what: (v) => `experiment ${v}` },
  { arg: 'run_id', what: (v) => `the experiment of run ${v}` },
  { arg: 'run_uuid', what: (v) => `the experiment of run ${v}` },
  { arg: 'name', what: (v) => `registered model "${v}"` },
  { arg: 'experiment_ids', what: (v) => (v.includes(', ') ? `experiments ${v}` : `experiment ${v}`) },
  { arg: 'run_ids', what: (v) => (v.includes(', ') ? `the experiments of runs ${v}` : `the experiment of run ${v}`) },
  { arg: 'path', what: () => 'the experiment these artifacts belong to' },
];

function argOf(arg: object, url: URL, key: string): string | undefined {
  const v = (arg as Record<string, unknown>)[key] ?? url.searchParams.get(key) ?? undefined;
  if (v === undefined || v === null || v === '') return undefined;
  return Array.isArray(v) ? v.join(', ') : String(v);
}

/**
 * The sentence shown for a refused call: `method` and `url` as sent (relative to the base), `arg` its
 * body or query. E.g. "You do not have permission to change this (needs EDIT on experiment 3)."
 */
export function deniedMessage(method: string, url: string, arg: object): string {
  const u = new URL(url, 'http://h/');
  const path = u.pathname.replace(/^\/(?:ajax-)?api\/2\.0\/(?:mlflow\/)?/, '').replace(/^\//, '');
  const row = NEEDS.find((r) => (r.path.endsWith('/') ? path.startsWith(r.path) : path === r.path)
    && (!r.method || r.method === method)); // mlflowc's own endpoints keep their "mlflowc/"
  const need = row ? row.need : method === 'GET' ? 'READ' : 'EDIT';
  if (need === ADMIN) return 'You do not have permission to do this (only an administrator may).';
  const verb = need === 'READ' ? 'see' : 'change';
  for (const s of SUBJECTS) {
    const v = argOf(arg, u, s.arg);
    if (v !== undefined) return `You do not have permission to ${verb} this (needs ${need} on ${s.what(v)}).`;
  }
  return `You do not have permission to ${verb} this (needs ${need}).`;
}

// runs_group.ts - the nesting of the runs table (runs.ts): runs tagged
// mlflow.parentRunId are drawn under their parent when the parent is
// loaded too, at any depth, in the order the runs were loaded. A child whose
// parent is not loaded (filtered out, on a later page), or whose chain of
// parents loops, stays at the top level.

const MAX_DEPTH = 64;

/** A run of the table, as far as grouping needs it. */
export interface Groupable { id: string; parent?: string }

/**
 * Groups `rows`: `shown` is the rows to draw (top-level runs, each followed by
 * its children when its id is in `expanded`), `depth` the nesting depth of
 * each shown run, `kids` the number of loaded children of each parent. All
 * three are new objects owned by the caller.
 */
export function groupRuns<R extends Groupable>(rows: R[], expanded: Set<string>):
  { shown: R[]; depth: Map<string, number>; kids: Map<string, number> } {
  const byId = new Map(rows.map((r) => [r.id, r]));
  // a run is nested when its parent is loaded and following parents ends at a top-level run
  const nested = (r: R): boolean => {
    if (!r.parent || !byId.has(r.parent)) return false;
    const seen = new Set([r.id]);
    for (let p = byId.get(r.parent), k = 0; p && k < MAX_DEPTH; p = p.parent ? byId.get(p.parent) : undefined, k++) {
      if (seen.has(p.id)) return false; // a loop
      seen.add(p.id);
      if (!p.parent || !byId.has(p.parent)) return true;
    }
    return false;
  };
  const children = new Map<string, R[]>();
  const top: R[] = [];
  for (const r of rows) {
    if (nested(r)) {
      const list = children.get(r.parent!);
      if (list) list.push(r);
      else children.set(r.parent!, [r]);
    } else top.push(r);
  }
  const shown: R[] = [];
  const depth = new Map<string, number>();
  const kids = new Map<string, number>();
  children.forEach((list, id) => kids.set(id, list.length));
  const visit = (r: R, d: number) => {
    shown.push(r);
    depth.set(r.id, d);
    if (expanded.has(r.id) && d < MAX_DEPTH) for (const k of children.get(r.id) || []) visit(k, d + 1);
  };
  top.forEach((r) => visit(r, 0));
  return { shown, depth, kids };
}

// mlflow_urls.ts - turns the URLs of MLflow's own UI into this UI's. MLflow's
// clients print links such as `<tracking_uri>/#/experiments/2/runs/<id>`
// after every run, and people keep bookmarks of its pages: the hash routes of
// 2.x and 3.x (`#/experiments/2`, `#/experiments/2/runs/<id>/artifacts/x`,
// `#/runs/<id>`, `#/compare-runs?runs=[...]`, `#/metric/...`, `#/models/NAME`,
// `#/models/NAME/versions/N`, `#/compare-model-versions?...`) and the same
// paths without the hash. mlflowTranslate() maps one of them to the path
// (relative to <base href>) of the page here that shows the same thing, or
// returns null when it is not one of MLflow's forms.

/** A JSON list in a query value (`["a","b"]`), also accepting a plain comma list. */
function listParam(v: string | null): string[] {
  if (!v) return [];
  try {
    const x: unknown = JSON.parse(v);
    if (Array.isArray(x)) return x.map(String).filter(Boolean);
    if (typeof x === 'string') return [x];
  } catch {
    // not JSON: a comma list
  }
  return v.split(',').map((s) => s.trim()).filter(Boolean);
}

/** A JSON string in a query value (`"loss"`), or the value itself. */
function stringParam(v: string | null): string {
  if (!v) return '';
  try {
    const x: unknown = JSON.parse(v);
    if (typeof x === 'string') return x;
  } catch {
    // a bare value
  }
  return v;
}

const enc = encodeURIComponent;

function withQuery(path: string, q: URLSearchParams): string {
  const s = q.toString();
  return s ? `${path}?${s}` : path;
}

/** A run page, keeping an artifact named by MLflow's run-page tail (`artifacts/<p>`, `artifactPath/<p>`). */
function runTarget(runId: string, tail: string[]): string {
  const q = new URLSearchParams();
  if ((tail[0] === 'artifacts' || tail[0] === 'artifactPath') && tail.length > 1) q.set('artifact', tail.slice(1).join('/'));
  return withQuery(`runs/${enc(runId)}`, q);
}

/** The experiment page, with MLflow's search filter and lifecycle choice when the URL has them. */
function experimentTarget(expId: string, query: URLSearchParams): string {
  const q = new URLSearchParams();
  const filter = query.get('searchFilter') || query.get('searchInput') || query.get('filter'); // 2.x, 1.x, ours
  if (filter) q.set('filter', filter);
  const life = (query.get('lifecycleFilter') || '').toLowerCase();
  if (life === 'deleted') q.set('lifecycle', 'deleted');
  // orderByKey=metrics.`loss` (or attributes.start_time, params.x, tags.y), orderByAsc=true|false
  const order = /^(attributes|metrics|params|tags)\.`?([^`]+)`?$/.exec(stringParam(query.get('orderByKey')));
  if (order) {
    q.set('sort', `${({ attributes: 'a', metrics: 'm', params: 'p', tags: 't' } as Record<string, string>)[order[1]]}:${order[2]}`);
    q.set('dir', stringParam(query.get('orderByAsc')) === 'true' ? 'asc' : 'desc');
  }
  return withQuery(`experiments/${enc(expId)}`, q);
}

/** Runs compared: the compare page for several, the run page (with the metric) for one. */
function compareTarget(runIds: string[], metric: string): string {
  const ids = [...new Set(runIds)];
  const q = new URLSearchParams();
  if (metric) q.set('metric', metric);
  if (ids.length === 1) return withQuery(`runs/${enc(ids[0])}`, q);
  const s = q.toString();
  return `compare?runs=${ids.map(enc).join(',')}${s ? `&${s}` : ''}`;
}

/**
 * The path here for MLflow UI path `path` (decoded, no leading "/") with
 * query `query`; null when it is none of MLflow's forms. `fromHash`: the URL
 * came after "#", where every MLflow route is meant (`models/NAME/serving` is
 * then the model's page, not a model named "NAME/serving").
 */
export function mlflowTranslate(path: string, query: URLSearchParams, fromHash: boolean): string | null {
  const seg = path.split('/').filter((s) => s !== '');
  const [a, b, c, d] = seg;
  if (!seg.length) return '';
  if (a === 'experiments') {
    if (!b) return '';
    // experiments/:id/runs/:runId[/tab or artifacts/...]
    if (c === 'runs' && d) return runTarget(d, seg.slice(4));
    // experiments/:id, its tabs (runs, traces, models, chart-view, ...), its search form (s), a logged model
    return experimentTarget(b, query);
  }
  if (a === 'runs' && b) return runTarget(b, seg.slice(2));
  if (a === 'compare-runs') return compareTarget(listParam(query.get('runs')), '');
  if (a === 'metric') {
    // 2.x: metric/<key>?runs=[...]; 3.x: metric?runs=[...]&metric="key"
    const key = stringParam(query.get('metric')) || seg.slice(1).join('/');
    return compareTarget(listParam(query.get('runs')), key);
  }
  if (a === 'compare-experiments') return '';
  if (a === 'compare-model-versions') {
    // runs={"<run id>": "<version>", ...}
    let ids: string[] = [];
    try {
      const x: unknown = JSON.parse(query.get('runs') || '{}');
      if (x && typeof x === 'object') ids = Object.keys(x);
    } catch {
      ids = [];
    }
    return ids.length ? compareTarget(ids, '') : 'models';
  }
  if (a === 'models') {
    if (!b) return 'models';
    const at = seg.lastIndexOf('versions');
    if (at >= 2 && /^[0-9]+$/.test(seg[at + 1] || '') && (fromHash || at + 2 === seg.length))
      return `models/${seg.slice(1, at).map(enc).join('/')}/versions/${seg[at + 1]}`;
    const name = fromHash && seg.length > 2 && seg[seg.length - 1] === 'serving' ? seg.slice(1, -1) : seg.slice(1);
    return `models/${name.map(enc).join('/')}`;
  }
  return null;
}

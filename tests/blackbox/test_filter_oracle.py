"""Search filters against an oracle: random filters (fixed seed) over generated runs,
experiments, registered models and model versions, each answered by the server (every
page) and compared with the same filter evaluated here on the downloaded objects.

The filters use every comparator and every prefix of each search, AND / OR / NOT with
parentheses (sometimes left out where precedence makes them unnecessary), IN / NOT IN,
keywords in mixed case, and quoted keys. The generated data has keys missing on some
objects, NaN metrics, running runs without end_time, and values with quotes, '%' and
'_' so that LIKE patterns mean something. The oracle's rules are those of
docs/storage.md (Search): a comparison on a missing key (or a NaN metric, or no end_time) is
false, IS NULL is true there, and NOT is the plain complement.

The seed fixes the data and the shape of every filter; literals taken from what the
server made (run ids, creation times) follow the ids and times of each run. A failure
prints the filter and the ids the server got wrong; run with -s to see the counts.
"""

import http.client
import json
import math
import random
import re
from urllib.parse import urlencode, urlsplit

import pytest

SEED = 20261207
RUNS = 200
RUN_FILTERS = 300
EXPERIMENTS = 30
EXPERIMENT_FILTERS = 100
MODELS = 24
MODEL_FILTERS = 80
VERSION_FILTERS = 80


class Api:
    def __init__(self, url):
        parts = urlsplit(url)
        self.host, self.port = parts.hostname, parts.port

    def call(self, method, endpoint, body=None, query=None):
        path = f"/api/2.0/mlflow/{endpoint}"
        if query:
            path += "?" + urlencode(query)
        conn = http.client.HTTPConnection(self.host, self.port, timeout=60)
        try:
            headers = {"Content-Type": "application/json"} if body is not None else {}
            conn.request(method, path, body=json.dumps(body) if body is not None else None, headers=headers)
            resp = conn.getresponse()
            data = json.loads(resp.read() or b"{}")
        finally:
            conn.close()
        assert resp.status == 200, (endpoint, body, query, resp.status, data)
        return data

    def pages(self, method, endpoint, field, request, page_size):
        """Every result of a search, following next_page_token; the number of pages is bounded."""
        out, token = [], None
        for _ in range(10000 // page_size + 2):
            args = dict(request, max_results=page_size)
            if token:
                args["page_token"] = token
            answer = (self.call(method, endpoint, body=args) if method == "POST"
                      else self.call(method, endpoint, query=args))
            out.extend(answer.get(field, []))
            token = answer.get("next_page_token")
            if not token:
                return out
        raise AssertionError(f"{endpoint}: paging did not end")


@pytest.fixture
def api(server):
    return Api(server.url)


# ---------------------------------------------------------------- evaluation


def like_regex(pattern):
    """SQL LIKE without ESCAPE: '%' any run, '_' one character, everything else literal."""
    return re.compile("".join(".*" if c == "%" else "." if c == "_" else re.escape(c) for c in pattern), re.S)


def compare_text(op, have, value):
    """A string comparison on a present value."""
    if op == "=":
        return have == value
    if op == "!=":
        return have != value
    if op == "LIKE":
        return like_regex(value).fullmatch(have) is not None
    if op == "ILIKE":
        return like_regex(value.lower()).fullmatch(have.lower()) is not None
    if op == "IN":
        return have in value
    if op == "NOT IN":
        return have not in value
    raise AssertionError(op)


NUMERIC = {"=": lambda a, b: a == b, "!=": lambda a, b: a != b, "<": lambda a, b: a < b,
           "<=": lambda a, b: a <= b, ">": lambda a, b: a > b, ">=": lambda a, b: a >= b}


def leaf(op, have, value, numeric=False):
    """Truth of one comparison; `have` None means the key is missing (or NaN, or NULL)."""
    if op == "IS NULL":
        return have is None
    if op == "IS NOT NULL":
        return have is not None
    if have is None:
        return False
    return NUMERIC[op](have, value) if numeric else compare_text(op, have, value)


class Expr:
    """A random filter: its text and its truth for one object."""

    def __init__(self, kind, text, test, kids=()):
        self.kind, self.text, self.test, self.kids = kind, text, test, kids

    def __call__(self, obj):
        if self.kind == "leaf":
            return self.test(obj)
        if self.kind == "not":
            return not self.kids[0](obj)
        values = [k(obj) for k in self.kids]
        return all(values) if self.kind == "and" else any(values)


def word(rng, w):
    return rng.choice([w, w.lower(), w.capitalize()])


def render(rng, e, parent):
    """Text of `e` as a child of `parent` ("top", "and", "or" or "not"), parenthesised
    where precedence needs it (NOT > AND > OR) and now and then where it does not."""
    if e.kind == "leaf":
        text = e.text
    elif e.kind == "not":
        text = f"{word(rng, 'NOT')} {render(rng, e.kids[0], 'not')}"
    else:
        sep = f" {word(rng, e.kind.upper())} "
        text = sep.join(render(rng, k, e.kind) for k in e.kids)
    needed = (parent == "not" and e.kind in ("and", "or")) or (parent == "and" and e.kind == "or")
    if needed or (parent != "top" and rng.random() < 0.15):
        return f"({text})"
    return text


def random_expr(rng, leaf_maker, depth=0):
    roll = rng.random()
    if depth >= 3 or roll < (0.1 if depth == 0 else 0.4):
        return leaf_maker(rng)
    if roll < 0.55:
        return Expr("not", None, None, (random_expr(rng, leaf_maker, depth + 1),))
    kind = "and" if roll < 0.78 else "or"
    return Expr(kind, None, None, tuple(random_expr(rng, leaf_maker, depth + 1)
                                        for _ in range(rng.randint(2, 3))))


def quote(rng, value):
    """A string literal; double quotes when the value has a single quote (values are
    taken as written, so '' would not unescape)."""
    if "'" in value:
        return f'"{value}"'
    return rng.choice([f"'{value}'", f"'{value}'", f'"{value}"'])


def list_literal(rng, values):
    return "(" + ", ".join(f"'{v}'" for v in values) + rng.choice(["", ","]) + ")"


class Coverage:
    def __init__(self):
        self.seen = set()

    def note(self, *what):
        self.seen.add(what)


def string_leaf(rng, cov, label, prefixes, key_texts, pool, patterns, getter, ops, list_ok=True):
    prefix = rng.choice(prefixes)
    key, key_text = rng.choice(key_texts)
    op = rng.choice(ops)
    cov.note(label, prefix, op)
    ident = f"{prefix}.{key_text}" if prefix else key_text
    if op in ("IS NULL", "IS NOT NULL"):
        kw = " ".join(word(rng, w) for w in op.split())
        return Expr("leaf", f"{ident} {kw}", lambda o: leaf(op, getter(o, key), None))
    if op in ("IN", "NOT IN"):
        choices = [v for v in pool if "'" not in v]
        values = rng.sample(choices, rng.randint(1, 3))
        kw = " ".join(word(rng, w) for w in op.split())
        return Expr("leaf", f"{ident} {kw} {list_literal(rng, values)}",
                    lambda o: leaf(op, getter(o, key), values))
    value = rng.choice(patterns if op in ("LIKE", "ILIKE") and rng.random() < 0.7 else pool)
    op_text = word(rng, op) if op in ("LIKE", "ILIKE") else op
    return Expr("leaf", f"{ident} {op_text} {quote(rng, value)}", lambda o: leaf(op, getter(o, key), value))


def numeric_leaf(rng, cov, label, prefixes, key_texts, numbers, getter):
    prefix = rng.choice(prefixes)
    key, key_text = rng.choice(key_texts)
    op = rng.choice(list(NUMERIC))
    cov.note(label, prefix, op)
    literal = rng.choice(numbers)
    ident = f"{prefix}.{key_text}" if prefix else key_text
    value = float(literal)
    return Expr("leaf", f"{ident} {op} {literal}", lambda o: leaf(op, getter(o, key), value, numeric=True))


def check_filters(count, make_expr, scope, universe, search, ident, cov_label):
    """Runs `count` random filters; returns how many were checked and how many of them
    matched neither nothing nor everything."""
    discriminating = 0
    for i in range(count):
        expr = make_expr()
        text = render(random.Random(i), expr, "top")
        full = f"{scope} AND ({text})" if scope else text
        want = [ident(o) for o in universe if expr(o)]
        got = search(full)
        assert got == want, (f"{cov_label} filter #{i}: {full!r}\n"
                             f"  missing {sorted(set(want) - set(got))}\n"
                             f"  extra   {sorted(set(got) - set(want))}")
        discriminating += 0 < len(want) < len(universe)
    return discriminating


# ---------------------------------------------------------------- runs

PARAM_VALUES = ["adam", "sgd", "Adam", "a_b", "axb", "50%", "50x", "it's", "", "x y", "A_B"]
PARAM_PATTERNS = ["a%", "A%", "%b", "a_b", "50%", "50\\%", "%_%", "%", "_", "it%", "%'s", "x y", "%x%", "A_B"]
TAG_VALUES = ["vision", "nlp", "NLP", "tab_ular", "tab%ular", "v 1", "it's", "", "100%"]
TAG_PATTERNS = ["v%", "%LP", "%lp", "tab_ular", "tab%", "%\\%%", "%%", "v_1", "it_s", "100%", "_"]
METRIC_VALUES = [-1, 0, 0.5, 1, 2, 3.25, 10, 1000]
METRIC_LITERALS = ["-1", "0", "0.5", "1", "1.0", "1e0", "2", "3.25", "10", "1e3", "-0.5", "5", "0.25"]
NAME_VALUES = ["alpha", "Alpha", "beta_1", "beta%1", "gamma", "it's run", "delta"]
NAME_PATTERNS = ["a%", "A%", "%1", "beta_1", "beta%", "%\\%%", "%'%", "_lpha", "%a"]
STATUSES = ["RUNNING", "FINISHED", "FAILED", "KILLED", "SCHEDULED"]
USERS = ["ann", "bob", "Bob"]
T0 = 1700000000000


def make_runs(api, rng):
    exp = api.call("POST", "experiments/create", {"name": "oracle-runs"})["experiment_id"]
    for i in range(RUNS):
        start = T0 + rng.randint(0, 60) * 1000
        body = {"experiment_id": exp, "start_time": start, "user_id": rng.choice(USERS),
                "run_name": f"{rng.choice(NAME_VALUES)}-{i % 7}" if rng.random() < 0.9 else rng.choice(NAME_VALUES)}
        run_id = api.call("POST", "runs/create", body)["run"]["info"]["run_id"]
        metrics = []
        for key in ("m1", "m2", "m.x"):
            if rng.random() < 0.75:
                value = float("nan") if key == "m2" and rng.random() < 0.2 else float(rng.choice(METRIC_VALUES))
                metrics.append({"key": key, "value": value, "timestamp": T0, "step": 0})
        params = [{"key": k, "value": rng.choice(PARAM_VALUES)} for k in ("opt", "p-dash", "lr")
                  if rng.random() < 0.75]
        tags = [{"key": k, "value": rng.choice(TAG_VALUES)} for k in ("team", "odd key", "t2")
                if rng.random() < 0.7]
        api.call("POST", "runs/log-batch", {"run_id": run_id, "metrics": metrics, "params": params, "tags": tags})
        status = rng.choice(STATUSES)
        if status != "RUNNING":
            update = {"run_id": run_id, "status": status}
            if status != "SCHEDULED":
                update["end_time"] = start + rng.randint(1, 90) * 1000
            api.call("POST", "runs/update", update)
    return exp


def run_value(run, entity, key):
    if entity == "metric":
        for m in run["data"].get("metrics", []):
            if m["key"] == key:
                v = m["value"]
                return None if v == "NaN" or (isinstance(v, float) and math.isnan(v)) else float(v)
        return None
    items = run["data"].get("params" if entity == "param" else "tags", [])
    return next((x["value"] for x in items if x["key"] == key), None)


def run_attr(run, key):
    info = run["info"]
    if key == "start_time":
        return float(info["start_time"])
    if key == "end_time":
        return float(info["end_time"]) if info.get("end_time") is not None else None
    return info.get(key, "")


RUN_PREFIXES = {
    "metric": ["metric", "metrics", "`metrics`"],
    "param": ["param", "params", "parameter", "parameters"],
    "tag": ["tag", "tags"],
    "attribute": ["", "attribute", "attributes", "attr", "run"],
}
STRING_OPS = ["=", "!=", "LIKE", "ILIKE", "IN", "NOT IN", "IS NULL", "IS NOT NULL"]


def run_leaf_maker(runs, cov):
    ids = [r["info"]["run_id"] for r in runs]
    starts = sorted({r["info"]["start_time"] for r in runs})
    ends = sorted({r["info"]["end_time"] for r in runs if r["info"].get("end_time")})

    def make(rng):
        entity = rng.choice(["metric", "param", "tag", "attribute", "attribute"])
        if entity == "metric":
            keys = [("m1", "m1"), ("m2", rng.choice(["m2", "`m2`", '"m2"'])), ("m.x", rng.choice(['"m.x"', "`m.x`"])),
                    ("absent", "absent")]
            return numeric_leaf(rng, cov, "run metric", RUN_PREFIXES["metric"], keys, METRIC_LITERALS,
                                lambda r, k: run_value(r, "metric", k))
        if entity in ("param", "tag"):
            if entity == "param":
                keys = [("opt", "opt"), ("p-dash", rng.choice(['"p-dash"', "`p-dash`"])), ("lr", "lr"),
                        ("absent", "absent")]
                pool, patterns = PARAM_VALUES, PARAM_PATTERNS
            else:
                keys = [("team", "team"), ("odd key", rng.choice(['"odd key"', "`odd key`"])), ("t2", "t2")]
                pool, patterns = TAG_VALUES, TAG_PATTERNS
            return string_leaf(rng, cov, f"run {entity}", RUN_PREFIXES[entity], keys, pool, patterns,
                               lambda r, k, e=entity: run_value(r, e, k), STRING_OPS)
        attr = rng.choice(["run_name", "status", "user_id", "run_id", "artifact_uri", "start_time", "end_time"])
        prefixes = RUN_PREFIXES["attribute"]
        if attr in ("start_time", "end_time"):
            key_text = rng.choice(["start_time", "created", "Created"]) if attr == "start_time" else "end_time"
            pool = starts if attr == "start_time" else ends
            literals = [str(rng.choice(pool)), str(rng.choice(pool) + 1), str(rng.choice(pool)) + ".5", str(T0)]
            return numeric_leaf(rng, cov, f"run {attr}", prefixes, [(attr, key_text)], literals,
                                lambda r, k: run_attr(r, k))
        if attr == "run_id":
            op = rng.choice(["=", "!=", "LIKE", "ILIKE", "IN", "NOT IN"])
            prefix = rng.choice(prefixes)
            cov.note("run run_id", prefix, op)
            ident = f"{prefix}.run_id" if prefix else "run_id"
            if op in ("IN", "NOT IN"):
                values = rng.sample(ids, rng.randint(1, 4))
                if rng.random() < 0.3:
                    values.append(values[0].upper())  # dropped by the server, never equal here
                text = f"{ident} {op} {list_literal(rng, values)}"
            else:
                values = rng.choice(ids)
                if op in ("LIKE", "ILIKE"):
                    values = rng.choice([values[:2] + "%", "%" + values[-1], values.upper()[:1] + "%"])
                text = f"{ident} {op} {quote(rng, values)}"
            return Expr("leaf", text, lambda r: leaf(op, run_attr(r, "run_id"), values))
        if attr == "run_name":
            keys = [("run_name", rng.choice(["run_name", "run_name", '"run name"', "`Run name`", '"Run Name"']))]
            pool = [r["info"]["run_name"] for r in runs[:20]] + NAME_VALUES
            patterns = NAME_PATTERNS
        elif attr == "status":
            keys, pool, patterns = [("status", "status")], STATUSES + ["running"], ["%ED", "F%", "%n%", "_UNNING"]
        elif attr == "user_id":
            keys, pool, patterns = [("user_id", "user_id")], USERS, ["b%", "B%", "_nn"]
        else:
            keys, pool, patterns = [("artifact_uri", "artifact_uri")], ["x"], ["%artifacts%", "%/" + ids[0] + "/%"]
        ops = ["=", "!=", "LIKE", "ILIKE"]
        return string_leaf(rng, cov, f"run {attr}", prefixes, keys, pool, patterns, lambda r, k: run_attr(r, k), ops)
    return make


def test_run_filters_match_the_oracle(api):
    rng = random.Random(SEED)
    exp = make_runs(api, rng)
    runs = api.pages("POST", "runs/search", "runs", {"experiment_ids": [exp]}, 1000)
    assert len(runs) == RUNS
    runs.sort(key=lambda r: (-r["info"]["start_time"], r["info"]["run_id"]))  # the default order
    cov = Coverage()
    make_leaf = run_leaf_maker(runs, cov)

    def search(text):
        found = api.pages("POST", "runs/search", "runs", {"experiment_ids": [exp], "filter": text},
                          rng.choice([17, 50, 1000]))
        return [r["info"]["run_id"] for r in found]

    discriminating = check_filters(RUN_FILTERS, lambda: random_expr(rng, make_leaf), "", runs, search,
                                   lambda r: r["info"]["run_id"], "runs")
    print(f"runs: {RUN_FILTERS} random filters checked against the oracle over {RUNS} runs "
          f"({discriminating} matched some but not all)")
    for label, prefixes, ops in (("run metric", RUN_PREFIXES["metric"], NUMERIC),
                                 ("run param", RUN_PREFIXES["param"], STRING_OPS),
                                 ("run tag", RUN_PREFIXES["tag"], STRING_OPS)):
        missing = {(p, o) for p in prefixes for o in ops} - {(p, o) for (lb, p, o) in cov.seen if lb == label}
        assert not missing, (label, sorted(missing))
    for label, ops in (("run start_time", NUMERIC), ("run end_time", NUMERIC),
                       ("run run_id", ["=", "!=", "LIKE", "ILIKE", "IN", "NOT IN"]),
                       ("run run_name", ["=", "!=", "LIKE", "ILIKE"]), ("run status", ["=", "!=", "LIKE", "ILIKE"])):
        missing = set(ops) - {o for (lb, _, o) in cov.seen if lb == label}
        assert not missing, (label, sorted(missing))
    assert {p for (lb, p, _) in cov.seen if lb.startswith("run ") and lb[4:] in ("run_name", "status", "run_id",
                                                                                   "start_time")} \
        >= set(RUN_PREFIXES["attribute"])
    assert discriminating >= RUN_FILTERS // 2


# ---------------------------------------------------------------- experiments

EXP_NAMES = ["alpha", "Alpha", "be_ta", "be%ta", "gamma", "it's"]
EXP_TAG_VALUES = ["prod", "dev", "Dev", "d_v", "50%", ""]


def test_experiment_filters_match_the_oracle(api):
    rng = random.Random(SEED + 1)
    for i in range(EXPERIMENTS):
        tags = [{"key": k, "value": rng.choice(EXP_TAG_VALUES)} for k in ("stage", "odd key") if rng.random() < 0.7]
        api.call("POST", "experiments/create", {"name": f"orx-{rng.choice(EXP_NAMES)}-{i}", "tags": tags})
    scope = "name LIKE 'orx-%'"
    exps = api.pages("POST", "experiments/search", "experiments", {"filter": scope}, 1000)
    assert len(exps) == EXPERIMENTS
    exps.sort(key=lambda e: (-e["creation_time"], int(e["experiment_id"])))  # the default order
    times = sorted({e["creation_time"] for e in exps})
    cov = Coverage()

    def tag(e, k):
        return next((t["value"] for t in e.get("tags", []) if t["key"] == k), None)

    def make(r):
        roll = r.random()
        if roll < 0.35:
            return string_leaf(r, cov, "exp name", ["", "attribute"], [("name", "name")],
                               [e["name"] for e in exps[:5]] + ["orx-alpha-0"],
                               ["orx-a%", "orx-A%", "%be_ta%", "%be\\%ta%", "%'s-%", "%-1_"],
                               lambda e, k: e["name"], ["=", "!=", "LIKE", "ILIKE"])
        if roll < 0.5:
            literals = [str(r.choice(times)), str(r.choice(times) - 1), str(r.choice(times)) + ".5"]
            key = r.choice(["creation_time", "last_update_time"])
            return numeric_leaf(r, cov, "exp time", ["", "attribute"], [(key, key)], literals,
                                lambda e, k: float(e[k]) if e.get(k) is not None else None)
        return string_leaf(r, cov, "exp tag", ["tag", "tags"],
                           [("stage", "stage"), ("odd key", r.choice(['"odd key"', "`odd key`"])),
                            ("absent", "absent")],
                           EXP_TAG_VALUES, ["d%", "D%", "d_v", "50%", "%\\%", "%"], tag, STRING_OPS)

    def search(text):
        found = api.pages("POST", "experiments/search", "experiments", {"filter": text}, rng.choice([7, 1000]))
        return [e["experiment_id"] for e in found]

    discriminating = check_filters(EXPERIMENT_FILTERS, lambda: random_expr(rng, make), scope, exps, search,
                                   lambda e: e["experiment_id"], "experiments")
    print(f"experiments: {EXPERIMENT_FILTERS} random filters checked over {EXPERIMENTS} experiments "
          f"({discriminating} matched some but not all)")
    assert {o for (lb, _, o) in cov.seen if lb == "exp tag"} == set(STRING_OPS)
    assert discriminating >= EXPERIMENT_FILTERS // 3


# ---------------------------------------------------------------- registry

MODEL_NAMES = ["alpha", "Alpha", "be_ta", "be%ta", "it's"]
MODEL_TAG_VALUES = ["prod", "dev", "Dev", "d_v", ""]
REGISTRY_OPS = ["=", "!=", "LIKE", "ILIKE", "IN", "NOT IN"]


def make_registry(api, rng):
    exp = api.call("POST", "experiments/create", {"name": "oracle-registry"})["experiment_id"]
    run_ids = [api.call("POST", "runs/create", {"experiment_id": exp})["run"]["info"]["run_id"] for _ in range(4)]
    for i in range(MODELS):
        name = f"orm-{rng.choice(MODEL_NAMES)}-{i}"
        tags = [{"key": k, "value": rng.choice(MODEL_TAG_VALUES)} for k in ("stage", "odd key") if rng.random() < 0.7]
        api.call("POST", "registered-models/create", {"name": name, "tags": tags})
        for v in range(rng.randint(0, 3)):
            vtags = [{"key": k, "value": rng.choice(MODEL_TAG_VALUES)} for k in ("qa", "odd key")
                     if rng.random() < 0.6]
            api.call("POST", "model-versions/create", {"name": name, "source": f"s3://bucket/{name}/v{v}",
                                                        "run_id": rng.choice(run_ids), "tags": vtags})
    return run_ids


def tag_of(obj, k):
    return next((t["value"] for t in obj.get("tags", []) if t["key"] == k), None)


def test_registry_filters_match_the_oracle(api):
    rng = random.Random(SEED + 2)
    run_ids = make_registry(api, rng)
    scope = "name LIKE 'orm-%'"
    models = api.pages("GET", "registered-models/search", "registered_models", {"filter": scope}, 1000)
    assert len(models) == MODELS
    models.sort(key=lambda m: m["name"])  # the default order
    cov = Coverage()

    def model_leaf(r):
        if r.random() < 0.45:
            return string_leaf(r, cov, "model name", ["", "attribute"], [("name", "name")],
                               [m["name"] for m in models[:5]], ["orm-a%", "orm-A%", "%be_ta%", "%be\\%ta%", "%'%"],
                               lambda m, k: m["name"], ["=", "!=", "LIKE", "ILIKE"])
        return string_leaf(r, cov, "model tag", ["tag", "tags"],
                           [("stage", "stage"), ("odd key", r.choice(['"odd key"', "`odd key`"]))],
                           MODEL_TAG_VALUES, ["d%", "D%", "d_v", "%"], tag_of, REGISTRY_OPS)

    def search_models(text):
        found = api.pages("GET", "registered-models/search", "registered_models", {"filter": text},
                          rng.choice([5, 1000]))
        return [m["name"] for m in found]

    discriminating = check_filters(MODEL_FILTERS, lambda: random_expr(rng, model_leaf), scope, models,
                                   search_models, lambda m: m["name"], "registered models")

    versions = api.pages("GET", "model-versions/search", "model_versions", {"filter": scope}, 1000)
    assert len(versions) >= MODELS // 2
    # the default order: last_updated_timestamp DESC, name ASC, version DESC
    versions.sort(key=lambda v: (-v["last_updated_timestamp"], v["name"], -int(v["version"])))

    def version_leaf(r):
        roll = r.random()
        if roll < 0.2:
            return string_leaf(r, cov, "version name", ["", "attribute"], [("name", "name")],
                               [m["name"] for m in models[:6]], ["orm-a%", "%be_ta%", "%'%"],
                               lambda v, k: v["name"], ["=", "!=", "LIKE", "ILIKE"])
        if roll < 0.35:
            return numeric_leaf(r, cov, "version number", ["", "attribute"], [("version", "version_number")],
                                ["1", "2", "3", "2.5", "0"], lambda v, k: float(v["version"]))
        if roll < 0.5:
            return string_leaf(r, cov, "version source", ["", "attribute"], [("source", "source_path")],
                               [versions[0]["source"], "s3://x"], ["s3://bucket/orm-a%", "%/v1", "%be_ta%", "S3:%"],
                               lambda v, k: v["source"], ["=", "!=", "LIKE", "ILIKE"])
        if roll < 0.65:
            op = r.choice(["=", "!=", "LIKE", "ILIKE", "IN"])
            cov.note("version run_id", "", op)
            if op == "IN":
                values = r.sample(run_ids, r.randint(1, 3))
                text = f"run_id IN {list_literal(r, values)}"
            else:
                values = r.choice(run_ids) if op in ("=", "!=") else r.choice(run_ids)[:3] + "%"
                text = f"run_id {op} '{values}'"
            return Expr("leaf", text, lambda v: leaf(op, v.get("run_id", ""), values))
        return string_leaf(r, cov, "version tag", ["tag", "tags"],
                           [("qa", "qa"), ("odd key", r.choice(['"odd key"', "`odd key`"]))],
                           MODEL_TAG_VALUES, ["d%", "D%", "d_v", "%"], tag_of, REGISTRY_OPS)

    def search_versions(text):
        found = api.pages("GET", "model-versions/search", "model_versions", {"filter": text}, rng.choice([4, 1000]))
        return [(v["name"], v["version"]) for v in found]

    discriminating += check_filters(VERSION_FILTERS, lambda: random_expr(rng, version_leaf), scope, versions,
                                    search_versions, lambda v: (v["name"], v["version"]), "model versions")
    print(f"registry: {MODEL_FILTERS} model and {VERSION_FILTERS} version filters checked over {MODELS} models "
          f"and {len(versions)} versions ({discriminating} matched some but not all)")
    for label in ("model tag", "version tag"):
        assert {o for (lb, _, o) in cov.seen if lb == label} == set(REGISTRY_OPS), label
    assert discriminating >= (MODEL_FILTERS + VERSION_FILTERS) // 3


# ---------------------------------------------------------------- logged models

LOGGED_MODELS = 40
LOGGED_FILTERS = 150
LM_NAMES = ["alpha", "Alpha", "be_ta", "gamma x", "delta"]
LM_TYPES = ["sklearn", "pytorch", "Sklearn", ""]
LM_STATUSES = {"LOGGED_MODEL_PENDING": "PENDING", "LOGGED_MODEL_READY": "READY",
               "LOGGED_MODEL_UPLOAD_FAILED": "FAILED"}
LM_DATASETS = [("train", "d1"), ("train", "d2"), ("test", "d3")]
LM_PREFIXES = {"metric": ["metrics"], "param": ["params"], "tag": ["tags"], "attribute": ["", "attributes"]}
LM_STRING_OPS = ["=", "!=", "LIKE", "ILIKE", "IN", "NOT IN"]


def make_logged_models(api, rng):
    exp = api.call("POST", "experiments/create", {"name": "oracle-logged-models"})["experiment_id"]
    run_ids = [api.call("POST", "runs/create", {"experiment_id": exp})["run"]["info"]["run_id"] for _ in range(3)]
    for i in range(LOGGED_MODELS):
        body = {"experiment_id": exp, "name": f"{rng.choice(LM_NAMES)}-{i}", "model_type": rng.choice(LM_TYPES),
                "source_run_id": rng.choice(run_ids + [""]),
                "params": [{"key": k, "value": rng.choice(PARAM_VALUES)} for k in ("opt", "p-dash")
                           if rng.random() < 0.7],
                "tags": [{"key": k, "value": rng.choice(TAG_VALUES)} for k in ("team", "odd key")
                         if rng.random() < 0.7]}
        model_id = api.call("POST", "logged-models", body)["model"]["info"]["model_id"]
        status = rng.choice(list(LM_STATUSES) + ["LOGGED_MODEL_PENDING"])
        if status != "LOGGED_MODEL_PENDING":
            api.call("PATCH", f"logged-models/{model_id}", {"status": status})
        metrics = []
        for t in range(rng.randint(0, 4)):
            key = rng.choice(["acc", "acc", "loss"])
            value = float("nan") if key == "loss" and rng.random() < 0.25 else float(rng.choice(METRIC_VALUES))
            point = {"key": key, "value": value, "timestamp": T0 + t, "step": rng.randint(0, 2), "model_id": model_id}
            if rng.random() < 0.8:
                point["dataset_name"], point["dataset_digest"] = rng.choice(LM_DATASETS)
            metrics.append(point)
        if metrics:
            api.call("POST", "runs/log-batch", {"run_id": rng.choice(run_ids), "metrics": metrics})
    return exp, run_ids


def lm_kv(model, entity, key):
    items = model["data"].get("params", []) if entity == "param" else model["info"].get("tags", [])
    return next((x["value"] for x in items if x["key"] == key), None)


def lm_attr(model, key):
    info = model["info"]
    if key == "status":
        return LM_STATUSES[info["status"]]
    if key in ("creation_timestamp", "last_updated_timestamp"):
        return float(info[f"{key}_ms"])
    return info.get(key) or None  # '' is "not given": no comparison holds


def on_datasets(point, datasets):
    return any(point.get("dataset_name") == name and (digest is None or point.get("dataset_digest") == digest)
               for name, digest in datasets)


def lm_metric_leaf(rng, cov, scope):
    """A metric condition holds when some non-NaN point of the key (on one of the
    search's datasets, when it has some) satisfies it."""
    key = rng.choice(["acc", "loss", "absent"])
    op = rng.choice(list(NUMERIC))
    cov.note("logged metric", "metrics", op)
    literal = rng.choice(METRIC_LITERALS)
    value = float(literal)

    def test(m):
        return any(p["key"] == key and not (isinstance(p["value"], float) and math.isnan(p["value"]))
                   and p["value"] != "NaN" and (not scope["datasets"] or on_datasets(p, scope["datasets"]))
                   and NUMERIC[op](float(p["value"]), value)
                   for p in m["data"].get("metrics", []))
    return Expr("leaf", f"metrics.{key} {op} {literal}", test)


def lm_leaf_maker(models, run_ids, cov, scope):
    times = sorted({m["info"]["creation_timestamp_ms"] for m in models})

    def make(rng):
        roll = rng.random()
        if roll < 0.25:
            return lm_metric_leaf(rng, cov, scope)
        if roll < 0.45:
            return string_leaf(rng, cov, "logged param", ["params"],
                               [("opt", "opt"), ("p-dash", rng.choice(['"p-dash"', "`p-dash`"])), ("lr", "lr")],
                               PARAM_VALUES, PARAM_PATTERNS, lambda m, k: lm_kv(m, "param", k), LM_STRING_OPS)
        if roll < 0.6:
            return string_leaf(rng, cov, "logged tag", ["tags"],
                               [("team", "team"), ("odd key", rng.choice(['"odd key"', "`odd key`"]))],
                               TAG_VALUES, TAG_PATTERNS, lambda m, k: lm_kv(m, "tag", k), LM_STRING_OPS)
        if roll < 0.7:
            key_text = rng.choice(["creation_timestamp", "creation_time", "creation_timestamp_ms"])
            literals = [str(rng.choice(times)), str(rng.choice(times) + 1), str(rng.choice(times)) + ".5"]
            return numeric_leaf(rng, cov, "logged creation", LM_PREFIXES["attribute"],
                                [("creation_timestamp", key_text)], literals, lm_attr)
        attr = rng.choice(["name", "model_type", "status", "source_run_id"])
        pools = {"name": ([m["info"]["name"] for m in models[:6]], ["a%", "A%", "%x%", "be_ta%", "%-1_", "% %"]),
                 "model_type": (LM_TYPES, ["s%", "S%", "%torch", "_klearn"]),
                 "status": (list(LM_STATUSES.values()), ["P%", "%ED", "r%", "_EADY"]),
                 "source_run_id": (run_ids, [run_ids[0][:3] + "%", "%" + run_ids[1][-2:]])}
        pool, patterns = pools[attr]
        return string_leaf(rng, cov, f"logged {attr}", LM_PREFIXES["attribute"], [(attr, attr)],
                           [v for v in pool if v], patterns, lm_attr, LM_STRING_OPS)
    return make


def test_logged_model_filters_match_the_oracle(api):
    rng = random.Random(SEED + 3)
    exp, run_ids = make_logged_models(api, rng)
    models = api.pages("POST", "logged-models/search", "models", {"experiment_ids": [exp]}, 1000)
    assert len(models) == LOGGED_MODELS
    # the default order: newest first, then model id
    assert models == sorted(models, key=lambda m: (-m["info"]["creation_timestamp_ms"], m["info"]["model_id"]))
    cov = Coverage()
    scope = {"datasets": None}
    make_leaf = lm_leaf_maker(models, run_ids, cov, scope)
    discriminating = 0
    for i in range(LOGGED_FILTERS):
        expr = random_expr(rng, make_leaf)
        text = render(random.Random(i), expr, "top")
        request = {"experiment_ids": [exp], "filter": text}
        scope["datasets"] = None
        if rng.random() < 0.3:
            scope["datasets"] = [(name, rng.choice([digest, None])) for name, digest in
                                 rng.sample(LM_DATASETS, rng.randint(1, 2))]
            request["datasets"] = [dict({"dataset_name": n}, **({"dataset_digest": d} if d else {}))
                                   for n, d in scope["datasets"]]
        want = [m["info"]["model_id"] for m in models if expr(m)]
        if scope["datasets"] and " metrics." not in f" {text.replace('(', ' ')}":
            # datasets without a metric condition: models with a point on one of them
            want = [m["info"]["model_id"] for m in models if expr(m) and
                    any(on_datasets(p, scope["datasets"]) for p in m["data"].get("metrics", []))]
        got = [m["info"]["model_id"] for m in api.pages("POST", "logged-models/search", "models", request,
                                                          rng.choice([7, 1000]))]
        assert got == want, (f"logged models filter #{i}: {request!r}\n"
                             f"  missing {sorted(set(want) - set(got))}\n  extra   {sorted(set(got) - set(want))}")
        discriminating += 0 < len(want) < len(models)
    print(f"logged models: {LOGGED_FILTERS} random filters checked over {LOGGED_MODELS} models "
          f"({discriminating} matched some but not all)")
    for label, ops in (("logged metric", NUMERIC), ("logged param", LM_STRING_OPS), ("logged tag", LM_STRING_OPS),
                       ("logged status", LM_STRING_OPS), ("logged creation", NUMERIC)):
        missing = set(ops) - {o for (lb, _, o) in cov.seen if lb == label}
        assert not missing, (label, sorted(missing))
    assert discriminating >= LOGGED_FILTERS // 3

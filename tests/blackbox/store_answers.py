"""Every REST answer a server gives about its store, gathered into one comparable dict, for the
tests that put the same data into two stores (an import into SQLite and into PostgreSQL, a copy
from one store to another) and check a client cannot tell them apart: experiments (deleted ones
too) and each experiment's get, runs through search (all view types, every page) and get, the full
history of every metric key of every run, dataset summaries, logged models through search and
get, registered models through search and get, their latest versions, every version through
search and get, every alias. Answers are kept as canonical JSON text (NaN and infinities as
Python's json spells them), so two stores compare equal exactly when their answers are equal.
"""

import json

import requests

PAGE = 1000
TIMEOUT = 60
MAX_PAGES = 10_000  # bounded loops: no store in a test has this many pages


def canon(obj):
    return json.dumps(obj, sort_keys=True)


class Client:
    def __init__(self, port):
        self.base = f"http://127.0.0.1:{port}"

    def get(self, path, **params):
        r = requests.get(self.base + path, params=params, timeout=TIMEOUT)
        assert r.status_code == 200, (path, params, r.status_code, r.text)
        return r.json()

    def post(self, path, body):
        r = requests.post(self.base + path, json=body, timeout=TIMEOUT)
        assert r.status_code == 200, (path, body, r.status_code, r.text)
        return r.json()

    def pages(self, path, body, field, token_in_body=True):
        out = []
        body = dict(body)
        for _ in range(MAX_PAGES):
            page = self.post(path, body) if token_in_body else self.get(path, **body)
            out += page.get(field, [])
            token = page.get("next_page_token")
            if not token:
                return out
            body["page_token"] = token
        raise AssertionError(f"{path}: more than {MAX_PAGES} pages")


def history(c, run_id, key):
    points, params = [], {"run_id": run_id, "metric_key": key, "max_results": 25000}
    for _ in range(MAX_PAGES):
        page = c.get("/api/2.0/mlflow/metrics/get-history", **params)
        points += page.get("metrics", [])
        token = page.get("next_page_token")
        if not token:
            return points
        params["page_token"] = token
    raise AssertionError("get-history: too many pages")


def answers(port):
    """{what: canonical JSON text} for everything the server at `port` says about its store."""
    c = Client(port)
    out = {}
    exps = c.pages("/api/2.0/mlflow/experiments/search", {"view_type": "ALL", "max_results": PAGE}, "experiments")
    exps.sort(key=lambda e: int(e["experiment_id"]))
    out["experiments/search"] = canon(exps)
    ids = [e["experiment_id"] for e in exps]
    for i in ids:
        out[f"experiments/get {i}"] = canon(c.get("/api/2.0/mlflow/experiments/get", experiment_id=i))
    runs = c.pages("/api/2.0/mlflow/runs/search", {"experiment_ids": ids, "run_view_type": "ALL",
                                                   "max_results": PAGE}, "runs") if ids else []
    out["runs/search"] = canon(runs)
    for r in runs:
        run_id = r["info"]["run_id"]
        got = c.get("/api/2.0/mlflow/runs/get", run_id=run_id)
        out[f"runs/get {run_id}"] = canon(got)
        for m in got["run"].get("data", {}).get("metrics", []):
            out[f"history {run_id} {m['key']}"] = canon(history(c, run_id, m["key"]))
    if ids:
        out["experiments/search-datasets"] = canon(c.post("/api/2.0/mlflow/experiments/search-datasets",
                                                          {"experiment_ids": ids}))
        models = c.pages("/api/2.0/mlflow/logged-models/search", {"experiment_ids": ids, "max_results": 100},
                         "models")
        out["logged-models/search"] = canon(models)
        for m in models:
            mid = m["info"]["model_id"]
            out[f"logged-models/get {mid}"] = canon(c.get(f"/api/2.0/mlflow/logged-models/{mid}"))
    regs = c.pages("/api/2.0/mlflow/registered-models/search", {"max_results": PAGE}, "registered_models",
                   token_in_body=False)
    out["registered-models/search"] = canon(regs)
    for m in regs:
        name = m["name"]
        got = c.get("/api/2.0/mlflow/registered-models/get", name=name)
        out[f"registered-models/get {name}"] = canon(got)
        out[f"get-latest-versions {name}"] = canon(c.post("/api/2.0/mlflow/registered-models/get-latest-versions",
                                                          {"name": name}))
        for a in got["registered_model"].get("aliases", []):
            out[f"alias {name} {a['alias']}"] = canon(c.get("/api/2.0/mlflow/registered-models/alias", name=name,
                                                            alias=a["alias"]))
    quoted = [m["name"].replace("'", "\\'") for m in regs]
    versions = []
    for name in quoted:
        versions += c.pages("/api/2.0/mlflow/model-versions/search", {"filter": f"name = '{name}'",
                                                                      "max_results": PAGE}, "model_versions",
                            token_in_body=False)
    out["model-versions/search"] = canon(versions)
    for v in versions:
        out[f"model-versions/get {v['name']} {v['version']}"] = canon(
            c.get("/api/2.0/mlflow/model-versions/get", name=v["name"], version=v["version"]))
    return out


def assert_same_answers(left, right, left_name="left", right_name="right"):
    """Every answer of `left` equals `right`'s (and both asked the same questions)."""
    only_left = sorted(set(left) - set(right))
    only_right = sorted(set(right) - set(left))
    assert not only_left and not only_right, (f"only {left_name}: {only_left[:5]}", f"only {right_name}: {only_right[:5]}")
    differ = [k for k in left if left[k] != right[k]]
    assert not differ, (f"{len(differ)} answers differ, first {differ[0]}:\n{left_name}: {left[differ[0]][:2000]}\n"
                        f"{right_name}: {right[differ[0]][:2000]}")

"""`mlflowc export`: an mlflowc store written out as MLflow's file store (mlruns/).

A server is populated through its REST API (experiments, one deleted and one with a unicode
name, runs with params, tags, nested keys, NaN/+-inf metrics and long histories, a deleted run,
datasets and inputs, registered models with versions, stages, aliases, tags, descriptions, a
deleted version, artifacts), exported while it serves, and the tree is then:

- read back by an independent reader that walks it as MLflow's FileStore does
  (spec section 8): every value must equal what the REST API answered;
- written as MLflow writes it: every meta.yaml must be byte for byte what PyYAML's
  safe_dump(default_flow_style=False, allow_unicode=True) makes of its own contents (the
  writer MLflow uses), and every kind of file must have the keys and value types of the
  same kind of file in the MLflow 2.17 file store fixture (skipped when ../shared is absent).

Bad inputs: a non-empty --to without --force, a missing store (never created), conflicting
flags, bad experiment ids, and a registered model whose name cannot be a directory (refused
with nothing left at --to).
"""

import math
import os
import re
import subprocess
from pathlib import Path
from urllib.parse import unquote

import pytest
import requests

yaml = pytest.importorskip("yaml", reason="Debian's python3-yaml (PyYAML, MLflow's YAML writer) is needed")

from conftest import REPO_ROOT, stop_server, store_is_sqlite_default, store_uri
from test_s3 import BUCKET, CREDS, PREFIX, s3rver, start_mlflowc  # noqa: F401 (s3rver: a fixture)

FIXTURE = Path(os.environ.get("MLFLOWC_SHARED", REPO_ROOT.parent / "shared")) / \
    "fixtures/mlflow-stores/mlflow-2.17-mlruns/mlruns"
DBL_MAX = 1.7976931348623157e308
HISTORY_POINTS = 2500
RESERVED_EXPERIMENT_DIRS = {"tags", "datasets", "traces", "models"}

# Strings that make PyYAML choose each of its styles, fold long lines, or escape.
TRICKY = [
    "fx-nlp ü",
    "it's \"quoted\"",
    "yes",
    "3",
    "1.5",
    "null",
    "~",
    "2024-01-02",
    " leading space",
    "trailing space ",
    "a: b",
    "#hash",
    "- dash",
    "line one\nline two\n\nline four",
    "tab\there",
    "cr\rhere",
    "emoji 🚀 and bell \x07",
    "a long description with many words that goes well past the eighty column limit of "
    "PyYAML so that it must fold it onto continuation lines at single spaces only",
    "x" * 200,
    "a\tlong line with a tab, so double quotes, and many words that PyYAML folds with a backslash "
    "at the eighty column limit  and  double  spaces  too",
]
LONG_KEY = "k" * 130  # past PyYAML's 128-character simple keys: written as a `? key` entry


# ---- populating over REST ------------------------------------------------------------------

class Api:
    def __init__(self, url):
        self.base = url + "/api/2.0/mlflow"
        self.url = url

    def call(self, method, path, body=None, params=None):
        r = requests.request(method, self.base + path, json=body, params=params, timeout=30)
        assert r.status_code == 200, (path, r.status_code, r.text)
        return r.json()

    def post(self, path, body):
        return self.call("POST", path, body)

    def get(self, path, **params):
        return self.call("GET", path, params=params)


def populate(api):
    """Fills the server; returns the ids it made."""
    ids = {"experiments": [], "runs": [], "deleted_run": None, "deleted_experiment": None}
    for i, name in enumerate(["fx-vision", "fx-nlp ü", "fx-gone", "it's \"odd\": yes"]):
        e = api.post("/experiments/create", {"name": name, "tags": [
            {"key": "team", "value": TRICKY[i]}, {"key": "tier", "value": str(i)}]})
        ids["experiments"].append(e["experiment_id"])
    vision, nlp, gone, odd = ids["experiments"]
    api.post("/experiments/set-experiment-tag", {"experiment_id": gone, "key": "note", "value": TRICKY[13]})
    api.post("/experiments/set-experiment-tag", {"experiment_id": gone, "key": LONG_KEY, "value": TRICKY[-1]})

    for exp in (vision, nlp, gone, odd):
        for j in range(3):
            run = api.post("/runs/create", {"experiment_id": exp, "run_name": f"trial {exp}-{j}",
                                            "start_time": 1700000000000 + j, "user_id": "ci-user",
                                            "tags": [{"key": "phase", "value": TRICKY[j]}]})
            rid = run["run"]["info"]["run_id"]
            ids["runs"].append(rid)
            api.post("/runs/log-batch", {"run_id": rid,
                                         "params": [{"key": "lr", "value": "0.01"},
                                                    {"key": "nested/depth", "value": str(j)},
                                                    {"key": "note", "value": TRICKY[13]}],
                                         "tags": [{"key": "group/sub/key", "value": TRICKY[1]},
                                                  {"key": "mlflow.runName", "value": f"renamed {j} ü"}]})
            metrics = [{"key": "weird", "value": v, "timestamp": 1700000000000 + k, "step": k}
                       for k, v in enumerate(["NaN", "Infinity", "-Infinity"])]
            metrics += [{"key": "sub/acc", "value": v, "timestamp": 5, "step": k}
                        for k, v in enumerate([0.5, 1e-05, 100.0, 1e16, 0.1 + 0.2, -0.0, 123456789.125])]
            api.post("/runs/log-batch", {"run_id": rid, "metrics": metrics})
            if j == 0:
                for start in range(0, HISTORY_POINTS, 1000):
                    api.post("/runs/log-batch", {"run_id": rid, "metrics": [
                        {"key": "loss", "value": 1.0 / (k + 1), "timestamp": 1700000000000 + k, "step": k}
                        for k in range(start, min(start + 1000, HISTORY_POINTS))]})
                api.post("/runs/log-inputs", {"run_id": rid, "datasets": [{
                    "tags": [{"key": "mlflow.data.context", "value": "training"}],
                    "dataset": {"name": "fx-train", "digest": "b064d295", "source_type": "code",
                                "source": '{"tags": {"mlflow.user": "ci-user", "mlflow.source.name": '
                                          '"train.py", "mlflow.source.type": "LOCAL"}}',
                                "schema": '{"mlflow_colspec": [{"type": "double", "name": "x", '
                                          '"required": true}, {"type": "long", "name": "y", '
                                          '"required": true}]}',
                                "profile": '{"num_rows": 3, "num_elements": 6}'}}]})
                path = f"{exp}/{rid}/artifacts"
                for name, data in (("model/model.bin", bytes(range(256)) * 40),
                                   ("reports/report ü.txt", "report\n".encode())):
                    r = requests.put(f"{api.url}/api/2.0/mlflow-artifacts/artifacts/{path}/{name}",
                                     data=data, timeout=30)
                    assert r.status_code == 200, r.text
            status = ["FINISHED", "FAILED", "KILLED"][j]
            api.post("/runs/update", {"run_id": rid, "status": status, "end_time": 1700000009000 + j})
    ids["deleted_run"] = ids["runs"][1]
    api.post("/runs/delete", {"run_id": ids["deleted_run"]})
    api.post("/experiments/delete", {"experiment_id": gone})
    ids["deleted_experiment"] = gone

    models = []
    for m in range(3):
        name = f"fx-model-{m}" if m != 2 else "fx model ü"
        models.append(name)
        api.post("/registered-models/create", {"name": name, "description": TRICKY[13 + m],
                                               "tags": [{"key": "owner", "value": f"team{m}"}]})
        for v in range(3):
            rid = ids["runs"][v * 3]
            source = f"runs:/{rid}/model" if v else \
                api.get("/runs/get", run_id=rid)["run"]["info"]["artifact_uri"] + "/model"
            mv = api.post("/model-versions/create", {"name": name, "source": source, "run_id": rid,
                                                     "description": TRICKY[v],
                                                     "tags": [{"key": "v", "value": str(v)}]})
            assert mv["model_version"]["version"] == str(v + 1)
        api.post("/model-versions/transition-stage", {"name": name, "version": "1", "stage": "Staging",
                                                      "archive_existing_versions": False})
        api.post("/model-versions/transition-stage", {"name": name, "version": "2", "stage": "Production",
                                                      "archive_existing_versions": True})
        api.post("/model-versions/set-tag", {"name": name, "version": "1", "key": "validated", "value": "yes"})
        api.post("/registered-models/alias", {"name": name, "alias": "champion", "version": "2"})
        api.post("/registered-models/alias", {"name": name, "alias": "old", "version": "1"})
    api.call("DELETE", "/model-versions/delete", {"name": models[1], "version": "3"})
    ids["models"] = models
    return ids


def rest_view(api, ids):
    """Everything the REST API says about the store, keyed like the reader's result."""
    view = {"experiments": {}, "runs": {}, "models": {}}
    exps = api.get("/experiments/search", view_type="ALL", max_results=1000)["experiments"]
    for e in exps:
        view["experiments"][e["experiment_id"]] = {
            "name": e["name"], "artifact_location": e["artifact_location"],
            "lifecycle_stage": e["lifecycle_stage"], "creation_time": e["creation_time"],
            "last_update_time": e["last_update_time"],
            "tags": {t["key"]: t["value"] for t in e.get("tags", [])}}
    runs = api.post("/runs/search", {"experiment_ids": list(view["experiments"]), "run_view_type": "ALL",
                                     "max_results": 1000})["runs"]
    for r in runs:
        info = r["info"]
        got = api.get("/runs/get", run_id=info["run_id"])["run"]
        data = got.get("data", {})
        history = {}
        for m in data.get("metrics", []):
            points = api.get("/metrics/get-history", run_id=info["run_id"], metric_key=m["key"],
                             max_results=25000)["metrics"]
            history[m["key"]] = sorted((p["timestamp"], p["step"], rest_float(p["value"])) for p in points)
        inputs = []
        for d in got.get("inputs", {}).get("dataset_inputs", []):
            inputs.append({"dataset": d["dataset"], "tags": {t["key"]: t["value"] for t in d.get("tags", [])}})
        view["runs"][info["run_id"]] = {
            "info": {k: info.get(k) for k in ("run_id", "run_name", "experiment_id", "status", "start_time",
                                              "end_time", "lifecycle_stage", "user_id", "artifact_uri")},
            "params": {p["key"]: p["value"] for p in data.get("params", [])},
            "tags": {t["key"]: t["value"] for t in data.get("tags", [])},
            "metrics": history, "inputs": inputs}
    for name in ids["models"]:
        m = api.get("/registered-models/get", name=name)["registered_model"]
        versions = {}
        for v in range(1, 4):
            r = requests.get(api.base + "/model-versions/get", params={"name": name, "version": str(v)},
                             timeout=30)
            if r.status_code == 404:
                continue
            mv = r.json()["model_version"]
            versions[str(v)] = {k: mv.get(k) for k in ("name", "version", "creation_timestamp",
                                                      "last_updated_timestamp", "current_stage",
                                                      "description", "source", "run_id", "status")}
            versions[str(v)]["tags"] = {t["key"]: t["value"] for t in mv.get("tags", [])}
        view["models"][name] = {
            "name": m["name"], "description": m.get("description", ""),
            "creation_timestamp": m["creation_timestamp"],
            "last_updated_timestamp": m["last_updated_timestamp"],
            "tags": {t["key"]: t["value"] for t in m.get("tags", [])},
            "aliases": {a["alias"]: a["version"] for a in m.get("aliases", [])},
            "versions": versions}
    return view


def rest_float(v):
    """A metric value as the REST API sends it; +-DBL_MAX is how MLflow's SQL stores keep +-inf."""
    if isinstance(v, str):
        return float(v.replace("Infinity", "inf"))
    if abs(v) == DBL_MAX:
        return math.copysign(math.inf, v)
    return float(v)


# ---- an independent reader of MLflow's file store (spec section 8) ---------------------------

def read_keyed(folder):
    """Files under `folder`, keys rejoined with '/' as FileStore does."""
    out = {}
    if not folder.is_dir():
        return out
    for path in sorted(folder.rglob("*")):
        if path.is_file():
            out[path.relative_to(folder).as_posix()] = path.read_text(encoding="utf-8")
    return out


def read_metric_file(path):
    points = []
    for line in path.read_text(encoding="utf-8").splitlines():
        fields = line.split(" ")
        assert len(fields) == 3, f"{path}: {line!r}"
        ts, value, step = fields
        assert value == repr(float(value)), f"{path}: {value!r} is not Python's float text"
        points.append((int(ts), int(step), float(value)))
    return sorted(points)


def load_yaml(path):
    text = path.read_text(encoding="utf-8")
    data = yaml.safe_load(text)
    # what MLflow would have written for these values, byte for byte
    assert yaml.safe_dump(data, default_flow_style=False, allow_unicode=True) == text, path
    return data


def read_file_store(root):
    store = {"experiments": {}, "runs": {}, "models": {}, "datasets": {}, "files": []}
    for base, deleted in ((root, False), (root / ".trash", True)):
        for exp_dir in sorted(base.iterdir()):
            if not (exp_dir.is_dir() and exp_dir.name.isdigit()):
                continue
            meta = load_yaml(exp_dir / "meta.yaml")
            store["files"].append(("experiment", exp_dir / "meta.yaml", meta))
            assert (meta["lifecycle_stage"] == "deleted") == deleted
            exp_id = meta["experiment_id"]
            assert exp_id == exp_dir.name
            store["experiments"][exp_id] = {k: meta[k] for k in ("name", "artifact_location",
                                                                 "lifecycle_stage", "creation_time",
                                                                 "last_update_time")}
            store["experiments"][exp_id]["tags"] = read_keyed(exp_dir / "tags")
            if deleted:
                assert meta["tags"] == store["experiments"][exp_id]["tags"]
            for ds in sorted((exp_dir / "datasets").glob("*/meta.yaml")):
                d = load_yaml(ds)
                store["files"].append(("dataset", ds, d))
                store["datasets"][ds.parent.name] = d
            for run_dir in sorted(exp_dir.iterdir()):
                if not run_dir.is_dir() or run_dir.name in RESERVED_EXPERIMENT_DIRS:
                    continue
                rmeta = load_yaml(run_dir / "meta.yaml")
                store["files"].append(("run", run_dir / "meta.yaml", rmeta))
                assert rmeta["run_id"] == rmeta["run_uuid"] == run_dir.name
                assert rmeta["experiment_id"] == exp_id
                statuses = {1: "RUNNING", 2: "SCHEDULED", 3: "FINISHED", 4: "FAILED", 5: "KILLED"}
                inputs = []
                for inp in sorted((run_dir / "inputs").glob("*/meta.yaml")):
                    edge = load_yaml(inp)
                    store["files"].append(("input", inp, edge))
                    inputs.append(edge)
                store["runs"][run_dir.name] = {
                    "info": {"run_id": rmeta["run_id"], "run_name": rmeta["run_name"],
                             "experiment_id": rmeta["experiment_id"], "status": statuses[rmeta["status"]],
                             "start_time": rmeta["start_time"], "end_time": rmeta["end_time"],
                             "lifecycle_stage": rmeta["lifecycle_stage"], "user_id": rmeta["user_id"],
                             "artifact_uri": rmeta["artifact_uri"]},
                    "deleted_time": rmeta.get("deleted_time"),
                    "params": read_keyed(run_dir / "params"),
                    "tags": read_keyed(run_dir / "tags"),
                    "metrics": {k: read_metric_file(run_dir / "metrics" / k)
                                for k in read_keyed(run_dir / "metrics")},
                    "inputs": inputs, "dir": run_dir}
    models = root / "models"
    for mdir in sorted(models.iterdir()) if models.is_dir() else []:
        meta = load_yaml(mdir / "meta.yaml")
        store["files"].append(("model", mdir / "meta.yaml", meta))
        versions = {}
        for vdir in sorted(mdir.glob("version-*")):
            vmeta = load_yaml(vdir / "meta.yaml")
            store["files"].append(("version", vdir / "meta.yaml", vmeta))
            assert vdir.name == f"version-{vmeta['version']}"
            versions[str(vmeta["version"])] = dict(vmeta, tags=read_keyed(vdir / "tags"))
        store["models"][mdir.name] = dict(meta, tags=read_keyed(mdir / "tags"),
                                          alias_files=read_keyed(mdir / "aliases"), versions=versions)
    return store


# ---- running the command -----------------------------------------------------------------------

def export(mlflowc_bin, server, to, *extra):
    return subprocess.run([str(mlflowc_bin), "export", "--backend-store-uri", store_uri(server.dir),
                           "--artifacts-destination", str(server.dir / "artifacts"), "--to", str(to), *extra],
                          capture_output=True, text=True, timeout=300)


@pytest.fixture
def populated(server):
    if not store_is_sqlite_default():
        pytest.skip("export reads the store file the server writes (SQLite)")
    api = Api(server.url)
    ids = populate(api)
    return api, ids


def test_export_round_trips_every_value(mlflowc_bin, server, populated, tmp_path):
    api, ids = populated
    out = tmp_path / "mlruns-export"
    done = export(mlflowc_bin, server, out)
    assert done.returncode == 0, done.stderr
    assert "exported to" in done.stdout
    assert not [p for p in tmp_path.iterdir() if ".partial-" in p.name]
    want, got = rest_view(api, ids), read_file_store(out)

    assert got["experiments"] == want["experiments"]
    assert ids["deleted_experiment"] in {p.name for p in (out / ".trash").iterdir()}
    assert "\n  ? " + LONG_KEY in (out / ".trash" / ids["deleted_experiment"] / "meta.yaml").read_text()
    assert set(got["runs"]) == set(want["runs"]) and len(want["runs"]) == 12
    assert {r["info"]["lifecycle_stage"] for r in got["runs"].values()
            if r["info"]["experiment_id"] == ids["deleted_experiment"]} == {"deleted"}
    for rid, w in want["runs"].items():
        g = got["runs"][rid]
        assert g["info"] == w["info"], rid
        assert g["params"] == w["params"] and g["tags"] == w["tags"], rid
        assert g["metrics"].keys() == w["metrics"].keys(), rid
        for key, points in w["metrics"].items():
            assert len(g["metrics"][key]) == len(points)
            for a, b in zip(g["metrics"][key], points):
                assert a[:2] == b[:2] and (a[2] == b[2] or (math.isnan(a[2]) and math.isnan(b[2]))), (rid, key)
        if g["info"]["lifecycle_stage"] == "deleted":
            assert isinstance(g["deleted_time"], int) and g["deleted_time"] > 0, rid
        else:
            assert g["deleted_time"] is None
        # datasets and inputs
        assert len(g["inputs"]) == len(w["inputs"])
        for edge, winput in zip(g["inputs"], w["inputs"]):
            d = winput["dataset"]
            import hashlib
            did = hashlib.md5((d["name"] + d["digest"]).encode()).hexdigest()
            assert edge == {"destination_id": did, "destination_type": "RUN", "source_id": did,
                            "source_type": "DATASET", "tags": winput["tags"]}
            assert (g["dir"] / "inputs" / hashlib.md5((did + rid).encode()).hexdigest()).is_dir()
            assert got["datasets"][did] == {k: d.get(k) for k in
                                            ("digest", "name", "profile", "schema", "source", "source_type")}
    assert got["runs"][ids["deleted_run"]]["info"]["lifecycle_stage"] == "deleted"
    weird = got["runs"][ids["runs"][0]]["metrics"]["weird"]
    assert math.isnan(weird[0][2]) and weird[1][2] == math.inf and weird[2][2] == -math.inf
    assert len(got["runs"][ids["runs"][0]]["metrics"]["loss"]) == HISTORY_POINTS

    assert set(got["models"]) == set(want["models"])
    for name, w in want["models"].items():
        g = got["models"][name]
        for k in ("name", "description", "creation_timestamp", "last_updated_timestamp", "tags"):
            assert g[k] == w[k], (name, k)
        assert g["aliases"] == w["aliases"] == g["alias_files"], name
        live = {v: mv for v, mv in g["versions"].items() if mv["current_stage"] != "Deleted_Internal"}
        assert set(live) == set(w["versions"]), name
        for v, wv in w["versions"].items():
            gv = live[v]
            for k in ("name", "creation_timestamp", "last_updated_timestamp", "current_stage", "description",
                      "source", "run_id", "status", "tags"):
                assert (str(gv[k]) if k == "version" else gv[k]) == wv[k], (name, v, k)
            assert gv["storage_location"] == wv["source"]
    gone = got["models"][ids["models"][1]]["versions"]["3"]
    assert gone["current_stage"] == "Deleted_Internal" and gone["source"] == "REDACTED-SOURCE-PATH"


def test_export_files_have_the_fixture_shapes(mlflowc_bin, server, populated, tmp_path):
    if not FIXTURE.is_dir():
        pytest.skip(f"{FIXTURE} not found: the MLflow 2.17 file store fixture is in ../shared only")
    out = tmp_path / "mlruns-export"
    done = export(mlflowc_bin, server, out)
    assert done.returncode == 0, done.stderr
    ours = read_file_store(out)
    fixture = {}
    for kind, path, meta in read_file_store(FIXTURE)["files"]:
        variant = (kind, meta.get("lifecycle_stage"), meta.get("current_stage") == "Deleted_Internal")
        fixture.setdefault(variant, meta)
    seen = set()
    for kind, path, meta in ours["files"]:
        variant = (kind, meta.get("lifecycle_stage"), meta.get("current_stage") == "Deleted_Internal")
        if variant not in fixture:
            continue  # the fixture has no deleted version
        seen.add(variant)
        model = fixture[variant]
        assert list(meta) == list(model), (path, list(meta), list(model))
        for key, value in meta.items():
            if model[key] is None or value is None:
                continue
            assert type(value) is type(model[key]), (path, key, value, model[key])
    assert {v[0] for v in seen} == {"experiment", "run", "dataset", "input", "model", "version"}
    # metric lines as the fixture's `weird` metric writes NaN and +-inf
    fx_weird = next(FIXTURE.glob("*/*/metrics/weird")).read_text().split("\n")
    our_weird = (ours["runs"][populated[1]["runs"][0]]["dir"] / "metrics/weird").read_text().split("\n")
    assert [line.split(" ")[1] for line in our_weird if line] == \
           [line.split(" ")[1] for line in fx_weird if line] == ["nan", "inf", "-inf"]
    # one file per param/tag, no trailing newline, nested keys as folders
    run_dir = ours["runs"][populated[1]["runs"][0]]["dir"]
    assert (run_dir / "params/nested/depth").read_text() == "0"
    assert (run_dir / "tags/group/sub/key").is_file()
    assert (run_dir / "tags/mlflow.runName").read_text() == "renamed 0 ü"


def test_include_artifacts_copies_and_rewrites(mlflowc_bin, server, populated, tmp_path):
    api, ids = populated
    out = tmp_path / "with-artifacts"
    done = export(mlflowc_bin, server, out, "--include-artifacts")
    assert done.returncode == 0, done.stderr
    got = read_file_store(out)
    root_uri = out.resolve().as_uri()
    for exp_id, e in got["experiments"].items():
        assert e["artifact_location"] == f"{root_uri}/{exp_id}"
    copied = 0
    for rid, r in got["runs"].items():
        exp_id = r["info"]["experiment_id"]
        assert r["info"]["artifact_uri"] == f"{root_uri}/{exp_id}/{rid}/artifacts"
        src = server.dir / "artifacts" / exp_id / rid / "artifacts"
        dst = r["dir"] / "artifacts"
        assert Path(unquote(r["info"]["artifact_uri"][len("file://"):])).parent.name == rid
        assert dst.is_dir()
        for f in src.rglob("*") if src.is_dir() else []:
            if f.is_file():
                copy = dst / f.relative_to(src)
                assert copy.read_bytes() == f.read_bytes()
                copied += 1
    assert copied == 8  # 2 files in the first run of each of the 4 experiments
    assert "8 artifact files" in done.stdout
    # a version whose source was inside a run's artifacts follows the copy
    v1 = got["models"][ids["models"][0]]["versions"]["1"]
    assert v1["source"] == v1["storage_location"]
    assert v1["source"].startswith(root_uri) and v1["source"].endswith("/artifacts/model")
    assert Path(unquote(v1["source"][len("file://"):])).joinpath("model.bin").is_file()


def test_experiment_ids_limit_the_tracking_part(mlflowc_bin, server, populated, tmp_path):
    api, ids = populated
    out = tmp_path / "one"
    done = export(mlflowc_bin, server, out, "--experiment-ids", ids["experiments"][1])
    assert done.returncode == 0, done.stderr
    got = read_file_store(out)
    assert set(got["experiments"]) == {ids["experiments"][1]}
    assert got["experiments"][ids["experiments"][1]]["name"] == "fx-nlp ü"
    assert len(got["runs"]) == 3 and set(got["models"]) == set(ids["models"])
    done = export(mlflowc_bin, server, tmp_path / "unknown", "--experiment-ids", f"{ids['experiments'][1]},999")
    assert done.returncode == 1 and "no experiment with id 999" in done.stderr
    assert not (tmp_path / "unknown").exists()


def test_target_must_be_new_or_empty(mlflowc_bin, server, populated, tmp_path):
    out = tmp_path / "busy"
    out.mkdir()
    (out / "keep.txt").write_text("mine")
    done = export(mlflowc_bin, server, out)
    assert done.returncode == 1
    assert "not empty" in done.stderr and "--force" in done.stderr
    assert [p.name for p in out.iterdir()] == ["keep.txt"]
    done = export(mlflowc_bin, server, out, "--force")
    assert done.returncode == 0, done.stderr
    assert not (out / "keep.txt").exists() and (out / "0" / "meta.yaml").is_file()
    assert not [p for p in tmp_path.iterdir() if ".replaced-" in p.name or ".partial-" in p.name]
    empty = tmp_path / "empty"
    empty.mkdir()
    assert export(mlflowc_bin, server, empty).returncode == 0
    assert (empty / "0" / "meta.yaml").is_file()


def test_refusals_leave_nothing(mlflowc_bin, server, tmp_path):
    if not store_is_sqlite_default():
        pytest.skip("SQLite store files only")
    api = Api(server.url)
    for name in ("team/model", "100% model"):
        api.post("/registered-models/create", {"name": name})
        out = tmp_path / "refused"
        done = export(mlflowc_bin, server, out)
        assert done.returncode == 1
        assert name in done.stderr and "directory name" in done.stderr
        assert not out.exists()
        assert not [p for p in tmp_path.iterdir() if ".partial-" in p.name]
        api.call("DELETE", "/registered-models/delete", {"name": name})
    assert export(mlflowc_bin, server, tmp_path / "fine").returncode == 0

    missing = tmp_path / "nothing-here.db"
    done = subprocess.run([str(mlflowc_bin), "export", "--backend-store-uri", f"sqlite:///{missing}",
                           "--to", str(tmp_path / "x")], capture_output=True, text=True, timeout=60)
    assert done.returncode == 1 and "no store at" in done.stderr
    assert not missing.exists() and not (tmp_path / "x").exists()

    for extra, message in ((["--include-artifacts", "--keep-artifact-locations"], "exclude each other"),
                           (["--experiment-ids", "1,x"], "not an experiment id"),
                           (["--experiment-ids", "1,,2"], "bad id list")):
        done = export(mlflowc_bin, server, tmp_path / "y", *extra)
        assert done.returncode == 2, (extra, done.stderr)
        assert message in done.stderr
        assert not (tmp_path / "y").exists()
    done = subprocess.run([str(mlflowc_bin), "export"], capture_output=True, text=True, timeout=60)
    assert done.returncode == 2 and "--to" in done.stderr


def test_yaml_styles_match_pyyaml(mlflowc_bin, server, tmp_path):
    """Every tricky string as an experiment name, a run name and a description: each meta.yaml
    must be what PyYAML writes for it (load_yaml asserts it) and read back the same string."""
    if not store_is_sqlite_default():
        pytest.skip("SQLite store files only")
    api = Api(server.url)
    for i, text in enumerate(TRICKY):
        exp = api.post("/experiments/create", {"name": text})["experiment_id"]
        api.post("/runs/create", {"experiment_id": exp, "run_name": text, "start_time": 1})
        api.post("/registered-models/create", {"name": f"m{i}", "description": text})
        api.post("/model-versions/create", {"name": f"m{i}", "source": "runs:/x/model", "description": text})
        api.post("/registered-models/alias", {"name": f"m{i}", "alias": f"a{i}", "version": "1"})
    out = tmp_path / "tricky"
    done = export(mlflowc_bin, server, out)
    assert done.returncode == 0, done.stderr
    got = read_file_store(out)
    names = {e["name"] for e in got["experiments"].values()}
    assert set(TRICKY) <= names
    assert set(TRICKY) <= {r["info"]["run_name"] for r in got["runs"].values()}
    for i, text in enumerate(TRICKY):
        m = got["models"][f"m{i}"]
        assert m["description"] == text and m["versions"]["1"]["description"] == text
        assert m["aliases"] == {f"a{i}": "1"}
    folded = (out / "models/m17/meta.yaml").read_text()
    assert "\n  " in folded  # the long description is folded, as PyYAML folds it


def test_yaml_matches_pyyaml_on_random_text(mlflowc_bin, server, tmp_path):
    """Seeded random descriptions built from the characters PyYAML's style choice turns on:
    every version's meta.yaml must be byte for byte PyYAML's, and read back the same text."""
    if not store_is_sqlite_default():
        pytest.skip("SQLite store files only")
    import random
    rng = random.Random(14)
    alphabet = ["a", "b", "z", "0", "1", " ", " ", "  ", "\n", "\n\n", ":", ": ", "#", " #", "'", '"', "-", "- ",
                "?", ",", "[", "{", "}", "&", "*", "!", "|", ">", "%", "@", "`", "\t", "\r", "\\", ".", "...",
                "---", "ü", "é", "\u00a0", "\u2028", "\x85", "\ufeff", "🚀", "\x07", "\x1b", "yes", "~", "null",
                "1.5", "0x1F", "2024-01-02", "word "]
    api = Api(server.url)
    api.post("/registered-models/create", {"name": "random"})
    texts = []
    for i in range(300):
        n = rng.randrange(1, 40)
        text = "".join(rng.choice(alphabet) for _ in range(n))
        if rng.random() < 0.2:
            text = " ".join(["lorem"] * rng.randrange(10, 40)) + text  # long enough to fold
        texts.append(text)
        api.post("/model-versions/create", {"name": "random", "source": "runs:/x/model", "description": text})
    out = tmp_path / "random"
    done = export(mlflowc_bin, server, out)
    assert done.returncode == 0, done.stderr
    for i, text in enumerate(texts):
        meta = (out / f"models/random/version-{i + 1}/meta.yaml").read_text(encoding="utf-8")
        entry = meta[meta.index("\ndescription:") + 1:meta.index("\nlast_updated_timestamp:") + 1]
        # what PyYAML (so MLflow) writes for the original text, byte for byte
        written = yaml.safe_dump({"description": text}, default_flow_style=False, allow_unicode=True)
        assert entry == written, (i, text)
        # and it reads back, wherever PyYAML's own output does (it folds a lone \x85 or
        # \u2028 before indentation into a space)
        if yaml.safe_load(written)["description"] == text:
            assert yaml.safe_load(meta)["description"] == text, (i, text)


def test_include_artifacts_from_the_proxys_s3_destination(mlflowc_bin, tmp_path, s3rver):
    """With the proxy's destination on S3 (s3rver, as test_s3.py runs it), --include-artifacts
    reads each run's files through the S3 backend and copies them byte for byte."""
    if not store_is_sqlite_default():
        pytest.skip("SQLite store files only")
    s3 = s3rver
    server = start_mlflowc(mlflowc_bin, tmp_path, s3.url)
    try:
        api = Api(server.url)
        exp = api.post("/experiments/create", {"name": "on-s3"})["experiment_id"]
        rid = api.post("/runs/create", {"experiment_id": exp})["run"]["info"]["run_id"]
        files = {"model/model.bin": bytes(range(256)) * 300, "notes.txt": b"hello\n"}
        for name, data in files.items():
            r = requests.put(f"{server.url}/api/2.0/mlflow-artifacts/artifacts/{exp}/{rid}/artifacts/{name}",
                             data=data, timeout=60)
            assert r.status_code == 200, r.text
    finally:
        stop_server(server)
    env = {k: v for k, v in os.environ.items() if not k.startswith(("AWS_", "MLFLOW_S3_"))}
    env.update(CREDS, MLFLOW_S3_ENDPOINT_URL=s3.url)
    out = tmp_path / "export"
    done = subprocess.run([str(mlflowc_bin), "export", "--backend-store-uri", store_uri(tmp_path),
                           "--artifacts-destination", f"s3://{BUCKET}/{PREFIX}", "--to", str(out),
                           "--include-artifacts"], capture_output=True, text=True, timeout=300, env=env)
    assert done.returncode == 0, done.stderr
    assert "2 artifact files" in done.stdout
    for name, data in files.items():
        assert (out / exp / rid / "artifacts" / name).read_bytes() == data
    meta = yaml.safe_load((out / exp / rid / "meta.yaml").read_text())
    assert meta["artifact_uri"] == f"{out.resolve().as_uri()}/{exp}/{rid}/artifacts"


def test_an_interrupted_export_is_never_taken_for_a_finished_one(mlflowc_bin, server, tmp_path):
    """An export stopped mid-tree (frozen with SIGSTOP once its partial tree exists, then
    killed) leaves nothing at --to, only the hidden partial tree; the next export works. An
    artifact that is a FIFO (which would block a reader for ever) fails the export at once,
    again with nothing at --to."""
    if not store_is_sqlite_default():
        pytest.skip("SQLite store files only")
    import signal
    import time
    api = Api(server.url)
    exp = api.post("/experiments/create", {"name": "stuck"})["experiment_id"]
    rid = api.post("/runs/create", {"experiment_id": exp})["run"]["info"]["run_id"]
    r = requests.put(f"{server.url}/api/2.0/mlflow-artifacts/artifacts/{exp}/{rid}/artifacts/a.txt",
                     data=b"a", timeout=30)
    assert r.status_code == 200
    # enough history that the export is still writing when it is frozen
    for batch in range(300):
        api.post("/runs/log-batch", {"run_id": rid, "metrics": [
            {"key": f"m{batch % 3}", "value": i * 0.5, "timestamp": 1700000000000 + batch * 1000 + i,
             "step": batch * 1000 + i} for i in range(1000)]})
    out = tmp_path / "interrupted"
    proc = subprocess.Popen([str(mlflowc_bin), "export", "--backend-store-uri", store_uri(server.dir),
                             "--artifacts-destination", str(server.dir / "artifacts"), "--to", str(out),
                             "--include-artifacts"], stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    partial = tmp_path / f".interrupted.partial-{proc.pid}"
    try:
        for _ in range(3000):  # bounded: up to ~30 s for the partial tree to appear
            if (partial / exp).is_dir() or proc.poll() is not None:
                break
            time.sleep(0.005)
        proc.send_signal(signal.SIGSTOP)
        assert proc.poll() is None, "the export finished before it could be interrupted"
        assert (partial / exp).is_dir()
    finally:
        proc.send_signal(signal.SIGKILL)
        proc.wait(timeout=30)
    assert not out.exists()
    fifo = server.dir / "artifacts" / exp / rid / "artifacts" / "blocks.fifo"
    os.mkfifo(fifo)
    blocked = subprocess.run([str(mlflowc_bin), "export", "--backend-store-uri", store_uri(server.dir),
                              "--artifacts-destination", str(server.dir / "artifacts"), "--to",
                              str(tmp_path / "fifo"), "--include-artifacts"], capture_output=True, text=True,
                             timeout=60)
    assert blocked.returncode != 0 and "blocks.fifo" in blocked.stderr, blocked.stderr
    assert not (tmp_path / "fifo").exists()
    fifo.unlink()
    done = export(mlflowc_bin, server, out, "--include-artifacts")
    assert done.returncode == 0, done.stderr
    assert (out / exp / rid / "artifacts" / "a.txt").read_bytes() == b"a"
    assert not (out / ".trash" / exp).exists() and (out / exp / "meta.yaml").is_file()

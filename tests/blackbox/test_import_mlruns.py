"""`mlflowc import --from ./mlruns`: MLflow's file store and its artifacts come over with their ids.

The file store MLflow 2.17's server wrote (../shared/fixtures/mlflow-stores/mlflow-2.17-mlruns,
copied first) is imported, a server is started on the result, and every REST answer is compared
with what the fixture's own files say, read here by an independent reader (python3-yaml for the
meta.yaml files, plain file reads for params, tags and metric lines): experiments (the deleted
one in .trash/ too), runs with params, tags, latest metrics and dataset inputs, the full history
of the 5,000-step keys and of NaN/+inf/-inf, the registry (versions, stages, tags, aliases,
get-latest), artifact bytes through the proxy and a model's MLmodel. The 2.17 SQLite fixture
holds the same workload, so the two imports are compared where the workload is the same (names,
statuses, the non-random params and tags, metric steps, times and the non-finite values; ids
differ). Also: the tree's bytes stay the same, a second import changes nothing, a killed import
run again ends in the same store, a directory that is not a file store is refused, and a run
directory without meta.yaml is skipped and reported, as MLflow's FileStore skips it.
"""

import hashlib
import math
import os
import shutil
import signal
import sqlite3
import subprocess
import sys
import time
from pathlib import Path

import pytest
import requests
import yaml

from conftest import REPO_ROOT, free_local_port, launch_server, stop_server

sys.path.insert(0, str(Path(__file__).parent))
from test_import import copy_fixture, dump_store, report_rows, run_import  # noqa: E402

COMMAND_TIMEOUT = 300
DBL_MAX = 1.7976931348623157e308
STATUSES = {1: "RUNNING", 2: "SCHEDULED", 3: "FINISHED", 4: "FAILED", 5: "KILLED"}
README_COUNTS = {"experiments": 6, "runs": 126, "params": 483, "tags": 501, "metrics": 78840,
                 "latest_metrics": 360, "inputs": 4, "registered_models": 7, "model_versions": 17,
                 "registered_model_aliases": 3}


def fixture_dir():
    shared = Path(os.environ.get("MLFLOWC_SHARED", REPO_ROOT.parent / "shared"))
    src = shared / "fixtures" / "mlflow-stores" / "mlflow-2.17-mlruns"
    if not src.is_dir():
        pytest.skip(f"{src} not found: importing a real MLflow file store is checked where ../shared exists (CI)")
    return src


def copy_mlruns(dest):
    """A writable copy of the fixture's mlruns/ and artifacts/ in `dest`."""
    src = fixture_dir()
    dest.mkdir(parents=True, exist_ok=True)
    for part in ("mlruns", "artifacts"):
        shutil.copytree(src / part, dest / part, copy_function=shutil.copyfile)
        for p in [dest / part, *(dest / part).rglob("*")]:
            p.chmod(0o755 if p.is_dir() else 0o644)
    return dest


def tree_hash(root):
    h = hashlib.sha256()
    for p in sorted(Path(root).rglob("*")):
        h.update(str(p.relative_to(root)).encode() + b"\0")
        if p.is_file():
            h.update(p.read_bytes())
    return h.hexdigest()


def import_mlruns(binary, cwd, mlruns, dest_db, artifacts_from=None, artifacts_dest=None, *extra):
    cmd = [str(binary), "import", "--from", str(mlruns), "--backend-store-uri", f"sqlite:///{dest_db}"]
    if artifacts_from:
        cmd += ["--artifacts-from", str(artifacts_from)]
    if artifacts_dest:
        cmd += ["--artifacts-destination", str(artifacts_dest)]
    cmd += list(extra)
    return subprocess.run(cmd, cwd=cwd, capture_output=True, text=True, timeout=COMMAND_TIMEOUT)


# ---- an independent reader of the file store ----------------------------------------------------------

def read_meta(d):
    return yaml.safe_load((Path(d) / "meta.yaml").read_text())


def read_keys(d):
    """{key: file text} below d, nested directories joined with '/'."""
    d = Path(d)
    if not d.is_dir():
        return {}
    return {p.relative_to(d).as_posix(): p.read_text() for p in d.rglob("*") if p.is_file()}


def read_metric_lines(text):
    points = []
    for line in text.splitlines():
        f = line.split()
        if f:
            points.append((int(f[0]), float(f[1]), int(f[2]) if len(f) >= 3 else 0))
    return points


def on_the_wire(v):
    """A stored value as the REST API renders it: NaN as "NaN", +/-inf as +/-DBL_MAX."""
    if math.isnan(v):
        return "NaN"
    if math.isinf(v):
        return DBL_MAX if v > 0 else -DBL_MAX
    return v


class FileStore:
    def __init__(self, root):
        self.root = Path(root)
        self.experiments = {}
        for parent in (self.root, self.root / ".trash"):
            for d in parent.iterdir():
                if d.name.isdigit() and (d / "meta.yaml").exists():
                    self.experiments[d.name] = d
        self.runs = {}
        for exp_id, d in self.experiments.items():
            for r in d.iterdir():
                if r.is_dir() and r.name not in ("tags", "datasets", "traces", "models") and (r / "meta.yaml").exists():
                    self.runs[read_meta(r)["run_id"]] = (exp_id, r)

    def metrics(self, run_dir):
        return {k: read_metric_lines(v) for k, v in read_keys(run_dir / "metrics").items()}

    def models(self):
        return {d.name: d for d in (self.root / "models").iterdir() if (d / "meta.yaml").exists()}


def latest(points):
    """MLflow's rule: highest step, then timestamp, then value (NaN compared as 0)."""
    return max(points, key=lambda p: (p[2], p[0], 0.0 if math.isnan(p[1]) else p[1]))


def same(a, b):
    return a == b or (a == "NaN" and b == "NaN")


# ---- the imported store with a server --------------------------------------------------------------------

class Imported:
    def __init__(self, work, binary):
        self.work = work
        self.src = copy_mlruns(work / "old")
        self.before = tree_hash(self.src)
        self.dest_db = work / "new" / "mlflow.db"
        self.dest_art = work / "new" / "mlartifacts"
        self.dest_db.parent.mkdir()
        self.result = import_mlruns(binary, work, self.src / "mlruns", self.dest_db, self.src / "artifacts",
                                    self.dest_art)
        assert self.result.returncode == 0, self.result.stderr + self.result.stdout
        self.fs = FileStore(self.src / "mlruns")
        self.port = free_local_port()
        self.server = launch_server([binary, "server", "--backend-store-uri", f"sqlite:///{self.dest_db}",
                                     "--artifacts-destination", self.dest_art, "--host", "127.0.0.1",
                                     "--port", str(self.port)], self.port, work)

    def ok(self, endpoint, **params):
        r = requests.get(f"{self.server.url}/api/2.0/mlflow/{endpoint}", params=params, timeout=30)
        assert r.status_code == 200, (endpoint, params, r.text)
        return r.json()

    def post(self, endpoint, body):
        r = requests.post(f"{self.server.url}/api/2.0/mlflow/{endpoint}", json=body, timeout=30)
        assert r.status_code == 200, (endpoint, body, r.text)
        return r.json()

    def all_runs(self):
        ids = [e["experiment_id"] for e in self.ok("experiments/search", view_type="ALL",
                                                    max_results=1000)["experiments"]]
        runs, token = [], None
        for _ in range(100):
            body = {"experiment_ids": ids, "run_view_type": "ALL", "max_results": 50}
            if token:
                body["page_token"] = token
            page = self.post("runs/search", body)
            runs += page.get("runs", [])
            token = page.get("next_page_token")
            if not token:
                break
        return runs


@pytest.fixture(scope="module")
def imported(tmp_path_factory):
    binary = Path(os.environ.get("MLFLOWC_BIN", REPO_ROOT / "build" / "mlflowc"))
    fixture_dir()
    imp = Imported(tmp_path_factory.mktemp("import-mlruns"), binary)
    yield imp
    stop_server(imp.server)


# ---- counts, the source ------------------------------------------------------------------------------------

def test_every_count_matches_and_the_tree_is_unchanged(imported):
    rows = report_rows(imported.result.stdout)
    for table, count in README_COUNTS.items():
        assert rows[table] == (count, count), (table, rows.get(table), imported.result.stdout)
    for table, (source, done) in rows.items():
        assert source == done, (table, source, done)
    assert "MISMATCH" not in imported.result.stdout and "skipped" not in imported.result.stdout
    assert "(MLflow file store)" in imported.result.stdout
    assert tree_hash(imported.src) == imported.before
    assert "points/s" in imported.result.stderr and "runs/s" in imported.result.stderr


# ---- experiments ---------------------------------------------------------------------------------------------

def test_experiments_with_their_ids_names_tags_and_the_deleted_one(imported):
    got = {e["experiment_id"]: e for e in imported.ok("experiments/search", view_type="ALL",
                                                       max_results=1000)["experiments"]}
    assert set(got) >= set(imported.fs.experiments)
    for exp_id, d in imported.fs.experiments.items():
        meta, e = read_meta(d), got[exp_id]
        assert str(meta["experiment_id"]) == exp_id
        assert e["name"] == meta["name"]
        assert e["artifact_location"] == meta["artifact_location"]
        assert e["lifecycle_stage"] == meta["lifecycle_stage"]
        assert int(e["creation_time"]) == meta["creation_time"]
        assert int(e["last_update_time"]) == meta["last_update_time"]
        assert {t["key"]: t["value"] for t in e.get("tags", [])} == read_keys(d / "tags")
    gone = [e for e in got.values() if e["lifecycle_stage"] == "deleted"]
    assert [e["name"] for e in gone] == ["fx-gone"]
    assert imported.fs.experiments[gone[0]["experiment_id"]].parent.name == ".trash"
    # the file store's ids are 18-digit random ints: they fit, and new ids come above them
    top = max(int(i) for i in imported.fs.experiments)
    assert top > 10 ** 17
    new = imported.post("experiments/create", {"name": "after-import"})["experiment_id"]
    assert int(new) > top


# ---- runs ------------------------------------------------------------------------------------------------------

def test_runs_with_params_tags_latest_metrics_and_inputs(imported):
    runs = imported.all_runs()
    assert len(runs) == len(imported.fs.runs) == 126
    datasets = {}
    for exp_id, d in imported.fs.experiments.items():
        for ds in (d / "datasets").glob("*/meta.yaml"):
            datasets[ds.parent.name] = yaml.safe_load(ds.read_text())
    for run in runs:
        info, data = run["info"], run["data"]
        exp_id, r = imported.fs.runs[info["run_id"]]
        meta = read_meta(r)
        assert info["experiment_id"] == exp_id == meta["experiment_id"]
        assert info["run_name"] == meta["run_name"]
        assert info["status"] == STATUSES[meta["status"]]
        assert info["lifecycle_stage"] == meta["lifecycle_stage"]
        assert int(info["start_time"]) == meta["start_time"]
        assert (int(info["end_time"]) if "end_time" in info else None) == meta["end_time"]
        assert info["artifact_uri"] == meta["artifact_uri"]
        assert info["user_id"] == meta["user_id"]
        assert {p["key"]: p["value"] for p in data.get("params", [])} == read_keys(r / "params")
        assert {t["key"]: t["value"] for t in data.get("tags", [])} == read_keys(r / "tags")
        metrics = imported.fs.metrics(r)
        got = {m["key"]: m for m in data.get("metrics", [])}
        assert set(got) == set(metrics)
        for key, points in metrics.items():
            ts, value, step = latest(points)
            assert same(got[key]["value"], on_the_wire(value)), (key, got[key])
            assert (int(got[key]["timestamp"]), int(got[key]["step"])) == (ts, step)
        want_inputs = [yaml.safe_load(p.read_text()) for p in sorted((r / "inputs").glob("*/meta.yaml"))]
        inputs = run.get("inputs", {}).get("dataset_inputs", [])
        assert len(inputs) == len(want_inputs)
        for g, w in zip(inputs, want_inputs):
            ds = datasets[w["source_id"]]
            assert (g["dataset"]["name"], g["dataset"]["digest"], g["dataset"]["source_type"],
                    g["dataset"]["source"], g["dataset"]["schema"], g["dataset"]["profile"]) == (
                ds["name"], ds["digest"], ds["source_type"], ds["source"], ds["schema"], ds["profile"])
            assert {t["key"]: t["value"] for t in g.get("tags", [])} == w["tags"]
    assert sum(1 for r in runs if r["info"]["lifecycle_stage"] == "deleted") > 0
    assert sum(1 for r in runs if r.get("inputs", {}).get("dataset_inputs")) == 4
    # deleted_time is not on the wire; it is kept for gc
    con = sqlite3.connect(f"file:{imported.dest_db}?mode=ro", uri=True)
    kept = dict(con.execute("SELECT run_uuid, deleted_time FROM runs"))
    con.close()
    for run_id, (_, r) in imported.fs.runs.items():
        assert kept[run_id] == read_meta(r).get("deleted_time")


def test_histories_of_5000_step_and_non_finite_keys(imported):
    long_ones, weird = [], []
    for run_id, (_, r) in sorted(imported.fs.runs.items()):
        for key, points in imported.fs.metrics(r).items():
            if len(points) >= 5000:
                long_ones.append((run_id, key, points))
            if key == "weird":
                weird.append((run_id, key, points))
    assert len(long_ones) >= 3 and weird
    for run_id, key, points in long_ones[:3] + weird[:2]:
        got = imported.ok("metrics/get-history", run_id=run_id, metric_key=key)["metrics"]
        got = sorted((int(m["timestamp"]), m["value"], int(m["step"])) for m in got)
        want = sorted((ts, on_the_wire(v), step) for ts, v, step in points)
        assert len(got) == len(want), (run_id, key)
        for g, w in zip(got, want):
            assert g[0] == w[0] and g[2] == w[2] and same(g[1], w[1]), (key, g, w)
    values = {int(m["step"]): m["value"] for m in
              imported.ok("metrics/get-history", run_id=weird[0][0], metric_key="weird")["metrics"]}
    assert values == {0: "NaN", 1: DBL_MAX, 2: -DBL_MAX}


# ---- registry ----------------------------------------------------------------------------------------------------

def test_registry_versions_stages_tags_aliases(imported):
    models = imported.fs.models()
    got = [m["name"] for m in imported.ok("registered-models/search", max_results=1000)["registered_models"]]
    assert sorted(got) == sorted(models)
    for name, d in models.items():
        meta = read_meta(d)
        m = imported.ok("registered-models/get", name=name)["registered_model"]
        assert m.get("description", "") == (meta["description"] or "")
        assert int(m["creation_timestamp"]) == meta["creation_timestamp"]
        assert int(m["last_updated_timestamp"]) == meta["last_updated_timestamp"]
        assert {t["key"]: t["value"] for t in m.get("tags", [])} == read_keys(d / "tags")
        aliases = {k: v.strip() for k, v in read_keys(d / "aliases").items()}
        assert {a["alias"]: a["version"] for a in m.get("aliases", [])} == aliases
        for alias, version in aliases.items():
            assert imported.ok("registered-models/alias", name=name, alias=alias)["model_version"]["version"] == version
        versions = {}
        for vd in d.glob("version-*"):
            vm = read_meta(vd)
            if vm["current_stage"] != "Deleted_Internal":
                versions[vm["version"]] = (vm, vd)
        listed = imported.ok("model-versions/search", filter=f"name='{name}'")["model_versions"]
        assert sorted(int(v["version"]) for v in listed) == sorted(versions)
        for number, (vm, vd) in versions.items():
            v = imported.ok("model-versions/get", name=name, version=str(number))["model_version"]
            assert v["current_stage"] == vm["current_stage"]
            assert v["source"] == vm["source"]
            assert v["run_id"] == vm["run_id"]
            assert v["status"] == vm["status"]
            assert v.get("description", "") == (vm["description"] or "")
            assert int(v["creation_timestamp"]) == vm["creation_timestamp"]
            assert int(v["last_updated_timestamp"]) == vm["last_updated_timestamp"]
            assert {t["key"]: t["value"] for t in v.get("tags", [])} == read_keys(vd / "tags")
        for stage in ("Staging", "Production"):
            top = [n for n, (vm, _) in versions.items() if vm["current_stage"] == stage]
            latest_versions = imported.post("registered-models/get-latest-versions",
                                            {"name": name, "stages": [stage]}).get("model_versions", [])
            assert [int(v["version"]) for v in latest_versions] == ([max(top)] if top else [])
    r = requests.get(f"{imported.server.url}/api/2.0/mlflow/registered-models/get", params={"name": "fx-model-0"},
                     timeout=30)
    assert r.status_code == 404  # MLflow deleted it outright: its directory is gone


# ---- artifacts ---------------------------------------------------------------------------------------------------

def test_artifact_bytes_and_a_models_mlmodel_through_the_proxy(imported):
    root = imported.src / "artifacts"
    files = [p for p in root.rglob("*") if p.is_file()]
    assert files
    for f in files:
        rel = f.relative_to(root).as_posix()
        r = requests.get(f"{imported.server.url}/api/2.0/mlflow-artifacts/artifacts/{rel}", timeout=30)
        assert r.status_code == 200 and r.content == f.read_bytes(), rel
    vm = read_meta(imported.fs.models()["fx-sk-model"] / "version-1")
    uri = imported.ok("model-versions/get-download-uri", name="fx-sk-model", version="1")["artifact_uri"]
    assert uri == vm["source"]
    rel = uri[len("mlflow-artifacts:/"):]
    r = requests.get(f"{imported.server.url}/api/2.0/mlflow-artifacts/artifacts/{rel}/MLmodel", timeout=30)
    assert r.status_code == 200 and b"flavors:" in r.content
    assert r.content == (root / rel / "MLmodel").read_bytes()
    run_dir = next(p for p in (root).glob("*/*") if (p / "artifacts").is_dir())
    listing = imported.ok("artifacts/list", run_id=run_dir.name)["files"]
    assert sorted(e["path"] for e in listing) == sorted(p.name for p in (run_dir / "artifacts").iterdir())


# ---- the same workload in MLflow's SQL store ---------------------------------------------------------------------

def normalised(name, exp_id):
    """A run name of the workload without its experiment id (fx-trial-<id>-<i>, fx-sweep-<id>)."""
    for prefix in ("fx-trial-", "fx-sweep-"):
        if name.startswith(prefix + exp_id):
            return prefix + "X" + name[len(prefix + exp_id):]
    return name


def answers(server_url, exclude_names=("after-import",)):
    """What a server answers about the workload, by names instead of ids."""
    def get(endpoint, **params):
        return requests.get(f"{server_url}/api/2.0/mlflow/{endpoint}", params=params, timeout=30).json()
    exps = [e for e in get("experiments/search", view_type="ALL", max_results=1000)["experiments"]
            if e["name"] not in exclude_names]
    out = {"experiments": {e["name"]: (e["lifecycle_stage"], {t["key"]: t["value"] for t in e.get("tags", [])})
                           for e in exps}}
    runs = {}
    for e in exps:
        token = None
        for _ in range(20):
            body = {"experiment_ids": [e["experiment_id"]], "run_view_type": "ALL", "max_results": 100}
            if token:
                body["page_token"] = token
            page = requests.post(f"{server_url}/api/2.0/mlflow/runs/search", json=body, timeout=30).json()
            for run in page.get("runs", []):
                info, data = run["info"], run["data"]
                params = {p["key"]: p["value"] for p in data.get("params", [])}
                tags = {t["key"]: t["value"] for t in data.get("tags", [])}
                history = {}
                for m in data.get("metrics", []):
                    h = get("metrics/get-history", run_id=info["run_id"], metric_key=m["key"])["metrics"]
                    points = sorted((int(p["step"]), int(p["timestamp"]), p["value"]) for p in h)
                    # loss and acc values are random in the workload; steps, times and 'weird' are not
                    history[m["key"]] = points if m["key"] == "weird" else [p[:2] for p in points]
                runs[(e["name"], normalised(info["run_name"], e["experiment_id"]))] = {
                    "status": info["status"], "lifecycle": info["lifecycle_stage"],
                    "param_keys": sorted(params), "search": params.get("search"),
                    "tags": {k: tags.get(k) for k in ("seed", "phase", "kind")},
                    "history": history,
                    "inputs": [(i["dataset"]["name"], i["dataset"]["digest"], i["dataset"]["source"])
                               for i in run.get("inputs", {}).get("dataset_inputs", [])],
                }
            token = page.get("next_page_token")
            if not token:
                break
    out["runs"] = runs
    models = {}
    for m in get("registered-models/search", max_results=1000)["registered_models"]:
        full = get("registered-models/get", name=m["name"])["registered_model"]
        versions = get("model-versions/search", filter=f"name='{m['name']}'")["model_versions"]
        models[m["name"]] = (full.get("description", ""), {t["key"]: t["value"] for t in full.get("tags", [])},
                             {a["alias"]: a["version"] for a in full.get("aliases", [])},
                             sorted((v["version"], v["current_stage"], v.get("description", ""), v["status"],
                                     tuple(sorted((t["key"], t["value"]) for t in v.get("tags", []))))
                                    for v in versions))
    out["models"] = models
    return out


def test_the_sql_and_file_store_imports_of_one_workload_answer_the_same(imported, mlflowc_bin, tmp_path):
    src = copy_fixture("2.17", tmp_path / "old")
    dest = tmp_path / "sql.db"
    r = run_import(mlflowc_bin, tmp_path, src / "mlflow.db", dest, src / "artifacts", tmp_path / "sql-art")
    assert r.returncode == 0, r.stderr + r.stdout
    assert {k: v for k, v in report_rows(r.stdout).items() if k in README_COUNTS} == \
        {k: v for k, v in report_rows(imported.result.stdout).items() if k in README_COUNTS}
    port = free_local_port()
    server = launch_server([mlflowc_bin, "server", "--backend-store-uri", f"sqlite:///{dest}",
                            "--artifacts-destination", tmp_path / "sql-art", "--port", str(port)], port, tmp_path)
    try:
        from_sql = answers(server.url)
    finally:
        stop_server(server)
    from_files = answers(imported.server.url)
    assert from_files["experiments"] == from_sql["experiments"]
    assert len(from_files["runs"]) == len(from_sql["runs"]) == 126
    assert from_files["runs"].keys() == from_sql["runs"].keys()
    for key in from_sql["runs"]:
        assert from_files["runs"][key] == from_sql["runs"][key], key
    assert from_files["models"] == from_sql["models"]


# ---- twice, dry, interrupted, refused, skipped ---------------------------------------------------------------------

def test_a_second_import_changes_nothing_and_file_uris_are_read(mlflowc_bin, tmp_path):
    src = copy_mlruns(tmp_path / "old")
    dest, art = tmp_path / "mlflow.db", tmp_path / "mlartifacts"
    uri = f"file://{(src / 'mlruns').resolve()}"
    first = import_mlruns(mlflowc_bin, tmp_path, uri, dest, src / "artifacts", art)
    assert first.returncode == 0, first.stderr + first.stdout
    before = dump_store(dest)
    files = {p: p.stat().st_mtime_ns for p in art.rglob("*") if p.is_file()}
    second = import_mlruns(mlflowc_bin, tmp_path, uri, dest, src / "artifacts", art)
    assert second.returncode == 0, second.stderr
    assert second.stdout == first.stdout
    assert dump_store(dest) == before
    assert {p: p.stat().st_mtime_ns for p in art.rglob("*") if p.is_file()} == files
    assert f"{len(files)} already there" in second.stderr


def test_dry_run_counts_and_writes_nothing(mlflowc_bin, tmp_path):
    src = copy_mlruns(tmp_path / "old")
    before = tree_hash(src)
    r = import_mlruns(mlflowc_bin, tmp_path, src / "mlruns", tmp_path / "new.db", src / "artifacts",
                      tmp_path / "art", "--dry-run")
    assert r.returncode == 0, r.stderr
    assert "dry run" in r.stdout
    lines = {l.split()[0]: l.split()[1:] for l in r.stdout.splitlines()[2:] if l.split()}
    assert lines["metrics"] == ["78840"] and lines["runs"] == ["126"] and lines["model_versions"] == ["17"]
    assert not (tmp_path / "new.db").exists() and not (tmp_path / "art").exists()
    assert tree_hash(src) == before


def test_a_killed_import_run_again_ends_in_the_same_store(mlflowc_bin, tmp_path):
    src = copy_mlruns(tmp_path / "old")
    mlruns = src / "mlruns"
    fs = FileStore(mlruns)
    grown = 0
    with_runs = sorted({e for e, _ in fs.runs.values()}, key=int)
    for exp_id in with_runs[-3:]:  # the three workload experiments, after 0 and fx-models
        run_dir = sorted(r for e, r in fs.runs.values() if e == exp_id)[0]
        (run_dir / "metrics").mkdir(exist_ok=True)
        with open(run_dir / "metrics" / "bulk", "w") as f:
            f.writelines(f"{1700000000000 + i} {i * 0.5} {i}\n" for i in range(300_000))
        grown += 1
    assert grown == 3
    reference = tmp_path / "reference.db"
    done = import_mlruns(mlflowc_bin, tmp_path, mlruns, reference, src / "artifacts", tmp_path / "ref-art")
    assert done.returncode == 0, done.stderr + done.stdout

    dest = tmp_path / "mlflow.db"
    cmd = [str(mlflowc_bin), "import", "--from", str(mlruns), "--backend-store-uri", f"sqlite:///{dest}",
           "--artifacts-from", str(src / "artifacts"), "--artifacts-destination", str(tmp_path / "art")]
    proc = subprocess.Popen(cmd, cwd=tmp_path, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    deadline = time.monotonic() + 120
    committed = 0
    try:
        while time.monotonic() < deadline and proc.poll() is None:
            if dest.exists():
                try:
                    con = sqlite3.connect(f"file:{dest}?mode=ro", uri=True, timeout=1)
                    committed = con.execute("SELECT count(*) FROM experiments").fetchone()[0]
                    con.close()
                except sqlite3.Error:
                    committed = 0
            if committed >= 3:  # Default, the first and the second experiment
                proc.send_signal(signal.SIGKILL)
                break
            time.sleep(0.005)
    finally:
        if proc.poll() is None and committed < 3:
            proc.kill()
        proc.wait()
    assert proc.returncode == -signal.SIGKILL, "the import ended before it could be cut"
    con = sqlite3.connect(f"file:{dest}?mode=ro", uri=True)
    part = con.execute("SELECT count(*) FROM experiments").fetchone()[0]
    con.close()
    assert part < 6

    again = import_mlruns(mlflowc_bin, tmp_path, mlruns, dest, src / "artifacts", tmp_path / "art")
    assert again.returncode == 0, again.stderr + again.stdout
    assert report_rows(again.stdout) == report_rows(done.stdout)
    assert report_rows(done.stdout)["metrics"] == (78840 + 900_000,) * 2
    assert dump_store(dest) == dump_store(reference)


def test_a_directory_that_is_not_a_file_store_is_refused(mlflowc_bin, tmp_path):
    (tmp_path / "empty").mkdir()
    (tmp_path / "notes").mkdir()
    (tmp_path / "notes" / "todo.txt").write_text("nothing here\n")
    (tmp_path / "notes" / "7").mkdir()  # an id-like folder without meta.yaml is no experiment
    for d in ("empty", "notes", f"file://{tmp_path / 'notes'}"):
        r = import_mlruns(mlflowc_bin, tmp_path, d, tmp_path / "new.db")
        assert r.returncode == 1, r
        assert "is not an MLflow file store" in r.stderr, r.stderr
        assert r.stderr.startswith("mlflowc import: ")
        assert not (tmp_path / "new.db").exists()
    r = import_mlruns(mlflowc_bin, tmp_path, "file:///nowhere/mlruns", tmp_path / "new.db")
    assert r.returncode == 1 and "'/nowhere/mlruns' does not exist" in r.stderr, r.stderr
    r = import_mlruns(mlflowc_bin, tmp_path, "mysql://db/mlflow", tmp_path / "new.db")
    assert r.returncode == 2 and "--from must be" in r.stderr
    # a PostgreSQL source is read (test_import_pg.py); one that cannot be reached is said so
    r = import_mlruns(mlflowc_bin, tmp_path, "postgresql://mlflow:pw-never-shown@nowhere.invalid/mlflow",
                      tmp_path / "new.db")
    assert r.returncode == 1 and "cannot connect to PostgreSQL" in r.stderr, r.stderr
    assert "pw-never-shown" not in r.stderr + r.stdout
    assert not (tmp_path / "new.db").exists()


def test_a_run_directory_without_meta_yaml_is_skipped_and_reported(mlflowc_bin, tmp_path):
    src = copy_mlruns(tmp_path / "old")
    fs = FileStore(src / "mlruns")
    run_id, (exp_id, run_dir) = sorted(fs.runs.items())[0]
    (run_dir / "meta.yaml").unlink()
    dest = tmp_path / "new.db"
    r = import_mlruns(mlflowc_bin, tmp_path, src / "mlruns", dest, src / "artifacts", tmp_path / "art")
    assert r.returncode == 0, r.stderr + r.stdout
    assert f"skipped '{run_dir}': it has no meta.yaml" in r.stderr, r.stderr
    assert "entries skipped as MLflow skips them (no meta.yaml; named above): 1" in r.stdout
    rows = report_rows(r.stdout)
    assert rows["runs"] == (125, 125)
    con = sqlite3.connect(dest)
    assert con.execute("SELECT count(*) FROM runs WHERE run_uuid = ?", (run_id,)).fetchone() == (0,)
    assert con.execute("SELECT count(*) FROM runs WHERE experiment_id = ?", (int(exp_id),)).fetchone()[0] > 0
    con.close()


def test_a_malformed_metric_line_fails_and_rolls_its_experiment_back(mlflowc_bin, tmp_path):
    src = copy_mlruns(tmp_path / "old")
    fs = FileStore(src / "mlruns")
    run_id, (exp_id, run_dir) = sorted(fs.runs.items())[0]
    with open(run_dir / "metrics" / "weird", "a") as f:
        f.write("1700000000000 0.5 1 extra\n")  # four fields: none of MLflow's forms
    dest = tmp_path / "new.db"
    r = import_mlruns(mlflowc_bin, tmp_path, src / "mlruns", dest)
    assert r.returncode == 1
    assert f"experiment {exp_id} (rolled back): run {run_dir.name}: line 4 of metric file" in r.stderr, r.stderr
    con = sqlite3.connect(dest)
    assert con.execute("SELECT count(*) FROM experiments WHERE experiment_id = ?", (int(exp_id),)).fetchone() == (0,)
    con.close()


def test_nested_keys_legacy_and_dataset_metric_lines_and_a_name_only_in_a_tag(mlflowc_bin, tmp_path):
    src = copy_mlruns(tmp_path / "old")
    fs = FileStore(src / "mlruns")
    run_id, (exp_id, run_dir) = sorted(fs.runs.items())[1]
    (run_dir / "params" / "optim" / "adam").mkdir(parents=True)
    (run_dir / "params" / "optim" / "adam" / "beta1").write_text("0.9")
    (run_dir / "tags" / "team").mkdir(exist_ok=True)
    (run_dir / "tags" / "team" / "lead").write_text("ana\nbo")  # a value keeps its bytes, newline too
    (run_dir / "metrics").mkdir(exist_ok=True)
    (run_dir / "metrics" / "old").write_text("1700000000000 0.25\n1700000000001 -inf 3 train-set 1a2b\n")
    meta = (run_dir / "meta.yaml").read_text()
    (run_dir / "meta.yaml").write_text("".join(l for l in meta.splitlines(True) if not l.startswith("run_name:")))
    dest = tmp_path / "new.db"
    r = import_mlruns(mlflowc_bin, tmp_path, src / "mlruns", dest)
    assert r.returncode == 0, r.stderr + r.stdout
    con = sqlite3.connect(dest)
    pk, name = con.execute("SELECT run_pk, name FROM runs WHERE run_uuid = ?", (run_id,)).fetchone()
    assert name == (run_dir / "tags" / "mlflow.runName").read_text()
    assert con.execute("SELECT value FROM params WHERE run_pk = ? AND key = 'optim/adam/beta1'", (pk,)).fetchone() == \
        ("0.9",)
    assert con.execute("SELECT value FROM tags WHERE run_pk = ? AND key = 'team/lead'", (pk,)).fetchone() == \
        ("ana\nbo",)
    points = con.execute("SELECT timestamp, step, value, is_nan FROM metrics JOIN metric_keys USING (key_id) "
                         "WHERE run_pk = ? AND key = 'old' ORDER BY timestamp", (pk,)).fetchall()
    assert points == [(1700000000000, 0, 0.25, 0), (1700000000001, 3, -DBL_MAX, 0)]
    con.close()


@pytest.mark.parametrize("uri", ["mlruns", "sqlite:///mlruns"])
def test_a_file_store_as_backend_store_names_the_import_command(mlflowc_bin, tmp_path, uri):
    copy_mlruns(tmp_path)
    before = tree_hash(tmp_path / "mlruns")
    r = subprocess.run([str(mlflowc_bin), "server", "--backend-store-uri", uri, "--port", str(free_local_port())],
                       cwd=tmp_path, capture_output=True, text=True, timeout=60)
    assert r.returncode != 0
    assert "to bring its data over run: mlflowc import --from <this directory>" in r.stderr, r.stderr
    assert tree_hash(tmp_path / "mlruns") == before
    r = subprocess.run([str(mlflowc_bin), "server", "--backend-store-uri", f"file://{tmp_path}/mlruns",
                        "--port", str(free_local_port())], cwd=tmp_path, capture_output=True, text=True, timeout=60)
    assert f"mlflowc import --from file://{tmp_path}/mlruns --backend-store-uri" in r.stderr, r.stderr


def test_a_point_logged_twice_is_one_row_and_is_reported(mlflowc_bin, tmp_path):
    src = copy_mlruns(tmp_path / "old")
    fs = FileStore(src / "mlruns")
    run_id, (exp_id, run_dir) = sorted(fs.runs.items())[0]
    weird = run_dir / "metrics" / "weird"
    first = weird.read_text().splitlines(True)[0]
    with open(weird, "a") as f:
        f.write(first)  # what a retried log-batch leaves in a file store
    r = import_mlruns(mlflowc_bin, tmp_path, src / "mlruns", tmp_path / "new.db")
    assert r.returncode == 0, r.stderr + r.stdout
    assert report_rows(r.stdout)["metrics"] == (78840, 78840)
    assert "metric lines repeating a point (same timestamp, step and value), kept once: 1" in r.stdout


def test_default_locations_inside_the_file_store_copy_only_the_runs_artifacts(mlflowc_bin, tmp_path):
    """Without the proxy MLflow keeps artifacts inside the file store (file:///.../mlruns/<id>/<run>/artifacts):
    each run's artifacts are copied and its URI rewritten; the runs' metadata beside them is not copied."""
    src = copy_mlruns(tmp_path / "old")
    mlruns = (src / "mlruns").resolve()
    fs = FileStore(mlruns)
    for exp_id, d in fs.experiments.items():
        meta = read_meta(d)
        meta["artifact_location"] = f"file://{mlruns}/{exp_id}"  # also for .trash/: where it was made
        (d / "meta.yaml").write_text(yaml.safe_dump(meta))
    with_files = []
    for run_id, (exp_id, r) in sorted(fs.runs.items())[:5]:
        meta = read_meta(r)
        meta["artifact_uri"] = f"file://{r}/artifacts"
        (r / "meta.yaml").write_text(yaml.safe_dump(meta))
        (r / "artifacts" / "out").mkdir(parents=True)
        (r / "artifacts" / "out" / "result.txt").write_bytes(b"bytes of " + run_id.encode())
        with_files.append((run_id, exp_id, r))
    art = (tmp_path / "new-art").resolve()
    before = tree_hash(src)
    r = import_mlruns(mlflowc_bin, tmp_path, mlruns, tmp_path / "new.db", mlruns, art)
    assert r.returncode == 0, r.stderr + r.stdout
    assert tree_hash(src) == before
    con = sqlite3.connect(tmp_path / "new.db")
    for run_id, exp_id, run_dir in with_files:
        (uri,) = con.execute("SELECT artifact_uri FROM runs WHERE run_uuid = ?", (run_id,)).fetchone()
        assert uri == f"file://{art}/{exp_id}/{run_id}/artifacts"
        assert (art / exp_id / run_id / "artifacts" / "out" / "result.txt").read_bytes() == \
            b"bytes of " + run_id.encode()
    for exp_id in fs.experiments:
        (location,) = con.execute("SELECT artifact_location FROM experiments WHERE experiment_id = ?",
                                  (int(exp_id),)).fetchone()
        assert location == f"file://{art}/{exp_id}"
    con.close()
    assert not list(art.rglob("meta.yaml")) and not list(art.rglob("params"))

"""`mlflowc gc` against stores a real server populated through its REST API: runs with
artifacts uploaded through the proxy, metrics, params, tags, dataset inputs, 3.x logged models
and registered model versions sourced from some runs. Checks, through the REST API, the files and
the database itself, that exactly the soft-deleted runs and experiments go (with every row and
every file), that files a model version uses are kept and reported, that --older-than,
--run-ids and --experiment-ids select as MLflow's flags do and refuse what MLflow refuses, that
gc twice is a no-op, that --dry-run changes no byte, and that gc beside a serving server loses
nothing the server writes or restores meanwhile. MLflow's own gc failures are covered by name:
#19467 (a run whose artifacts were never uploaded), #10699 (an experiment whose runs logged
datasets), #13393 (an experiment with registered versions from its runs), #7558
(mlflow-artifacts:/ locations resolved through the destination, without a tracking server)."""

import hashlib
import os
import sqlite3
import subprocess
import threading
import time
from pathlib import Path

import pytest
import requests

from conftest import free_local_port, launch_server, stop_server, store_is_sqlite_default
import test_s3
from test_s3 import s3rver  # noqa: F401  (the fixture of the S3 test server)

pytestmark = pytest.mark.skipif(not store_is_sqlite_default(), reason="gc tests read the SQLite file directly")

PROXY = "/api/2.0/mlflow-artifacts/artifacts"
DAY_MS = 86400000


class Api:
    def __init__(self, url):
        self.url = url
        self.s = requests.Session()

    def call(self, method, endpoint, body=None, expect=200):
        url = f"{self.url}/api/2.0/mlflow/{endpoint}"
        r = self.s.get(url, params=body, timeout=60) if method == "GET" else \
            self.s.request(method, url, json=body or {}, timeout=60)
        assert r.status_code == expect, (endpoint, r.status_code, r.text)
        return r.json() if r.content else {}

    def error(self, method, endpoint, body=None):
        url = f"{self.url}/api/2.0/mlflow/{endpoint}"
        r = self.s.get(url, params=body, timeout=60) if method == "GET" else \
            self.s.request(method, url, json=body or {}, timeout=60)
        assert r.status_code >= 400, (endpoint, r.text)
        return r.json()["error_code"]

    def put(self, path, data):
        r = self.s.put(f"{self.url}{PROXY}/{path}", data=data, timeout=60)
        assert r.status_code == 200, (path, r.text)


def start(mlflowc_bin, directory):
    port = free_local_port()
    return launch_server([mlflowc_bin, "server", "--backend-store-uri", f"sqlite:///{directory}/mlflow.db",
                          "--artifacts-destination", str(directory / "artifacts"),
                          "--host", "127.0.0.1", "--port", str(port)], port, directory)


def gc(mlflowc_bin, directory, *args, expect=0):
    p = subprocess.run([str(mlflowc_bin), "gc", "--backend-store-uri", f"sqlite:///{directory}/mlflow.db",
                        "--artifacts-destination", str(directory / "artifacts"), *args],
                       capture_output=True, text=True, timeout=300)
    assert p.returncode == expect, (p.returncode, p.stdout, p.stderr)
    return p


def make_run(api, exp, name, files=(), metrics=3, dataset=None):
    run = api.call("POST", "runs/create", {"experiment_id": exp, "run_name": name, "start_time": 1})["run"]["info"]
    rid = run["run_id"]
    api.call("POST", "runs/log-batch", {
        "run_id": rid,
        "metrics": [{"key": "loss", "value": 1.0 / (i + 1), "timestamp": 1000 + i, "step": i} for i in range(metrics)],
        "params": [{"key": "lr", "value": "0.1"}],
        "tags": [{"key": "team", "value": name}]})
    if dataset:
        api.call("POST", "runs/log-inputs", {"run_id": rid, "datasets": [{
            "tags": [{"key": "mlflow.data.context", "value": "training"}],
            "dataset": {"name": dataset, "digest": "d1", "source_type": "local", "source": "{}"}}]})
    base = run["artifact_uri"].removeprefix("mlflow-artifacts:/").lstrip("/")
    for path, data in files:
        api.put(f"{base}/{path}", data)
    return rid, base


def delete_run(api, rid):
    api.call("POST", "runs/delete", {"run_id": rid})


def db_rows(directory):
    """Every row of every table, as sets, for before/after comparisons."""
    con = sqlite3.connect(directory / "mlflow.db")
    try:
        tables = [r[0] for r in con.execute("SELECT name FROM sqlite_master WHERE type='table'"
                                            " AND name NOT LIKE 'sqlite_%'")]
        return {t: sorted(map(repr, con.execute(f"SELECT * FROM {t}"))) for t in tables}
    finally:
        con.close()


def query(directory, sql, *args):
    con = sqlite3.connect(directory / "mlflow.db")
    try:
        return con.execute(sql, args).fetchall()
    finally:
        con.close()


def tree(root):
    """{relative path: sha256} of every file, and the set of directories, under root."""
    files, dirs = {}, set()
    for dirpath, dirnames, filenames in os.walk(root):
        for d in dirnames:
            dirs.add(os.path.relpath(os.path.join(dirpath, d), root))
        for f in filenames:
            p = os.path.join(dirpath, f)
            files[os.path.relpath(p, root)] = hashlib.sha256(Path(p).read_bytes()).hexdigest()
    return files, dirs


@pytest.fixture
def world(mlflowc_bin, tmp_path):
    """A populated store; yields (server, api, facts) with the server running."""
    server = start(mlflowc_bin, tmp_path)
    api = Api(server.url)
    exp_a = api.call("POST", "experiments/create", {"name": "kept-experiment"})["experiment_id"]
    exp_b = api.call("POST", "experiments/create", {"name": "doomed-experiment"})["experiment_id"]
    f = {"dir": tmp_path, "exp_a": exp_a, "exp_b": exp_b}
    f["active"], f["active_base"] = make_run(api, exp_a, "active", [("a.txt", b"alive"), ("d/b.bin", b"x" * 100)],
                                             dataset="shared")
    f["gone"], f["gone_base"] = make_run(api, exp_a, "gone", [("a.txt", b"bye" * 10), ("deep/er/c.txt", b"c" * 7)],
                                         dataset="shared")
    f["reg"], f["reg_base"] = make_run(api, exp_a, "registered", [("model/MLmodel", b"flavors: {}\n"),
                                                                  ("model/model.pkl", b"p" * 50),
                                                                  ("other/junk.txt", b"j" * 20),
                                                                  ("model2/MLmodel", b"m2"),
                                                                  ("top.txt", b"t" * 5)])
    f["noart"], _ = make_run(api, exp_a, "never-uploaded")  # mlflow/mlflow#19467
    f["b1"], f["b1_base"] = make_run(api, exp_b, "b1", [("model/MLmodel", b"b1"), ("x.txt", b"x" * 9)],
                                     dataset="only-in-b")  # mlflow/mlflow#10699
    f["b2"], f["b2_base"] = make_run(api, exp_b, "b2", [("y.txt", b"y" * 11)], dataset="only-in-b")
    # a 3.x logged model produced by a run that goes
    lm = api.call("POST", "logged-models", {"experiment_id": exp_a, "name": "lm", "source_run_id": f["gone"]})
    f["lm"] = lm["model"]["info"]["model_id"]
    lm_base = lm["model"]["info"]["artifact_uri"].removeprefix("mlflow-artifacts:/").lstrip("/")
    api.put(f"{lm_base}/MLmodel", b"logged")
    f["lm_base"] = lm_base
    api.call("POST", f"logged-models/{f['lm']}/params", {"model_id": f["lm"], "params": [{"key": "k", "value": "v"}]})
    api.call("PATCH", f"logged-models/{f['lm']}/tags", {"tags": [{"key": "t", "value": "v"}]})
    # registered versions: runs:/ source, a direct source under the run, and one from the doomed experiment
    api.call("POST", "registered-models/create", {"name": "m"})
    api.call("POST", "model-versions/create", {"name": "m", "source": f"runs:/{f['reg']}/model", "run_id": f["reg"]})
    api.call("POST", "model-versions/create", {"name": "m", "source": f"mlflow-artifacts:/{f['reg_base']}/model2",
                                               "run_id": f["reg"]})
    api.call("POST", "model-versions/create", {"name": "m", "source": f"mlflow-artifacts:/{f['b1_base']}/model",
                                               "run_id": f["b1"]})  # mlflow/mlflow#13393
    for rid in (f["gone"], f["reg"], f["noart"]):
        delete_run(api, rid)
    api.call("POST", "experiments/delete", {"experiment_id": exp_b})
    f["active_before"] = api.call("GET", "runs/get", {"run_id": f["active"]})
    yield server, api, f
    if not f.get("stopped"):
        stop_server(server)


def test_gc_removes_exactly_the_deleted_runs_and_experiments(mlflowc_bin, world):
    server, api, f = world
    d = f["dir"]
    art = d / "artifacts"
    gone_pks = [r[0] for r in query(d, "SELECT run_pk FROM runs WHERE run_uuid IN (?,?,?,?,?)",
                                    f["gone"], f["reg"], f["noart"], f["b1"], f["b2"])]
    assert len(gone_pks) == 5
    p = gc(mlflowc_bin, d)
    for rid in (f["gone"], f["reg"], f["noart"], f["b1"], f["b2"]):
        assert f"Run with ID {rid} has been permanently deleted." in p.stdout
        assert api.error("GET", "runs/get", {"run_id": rid}) == "RESOURCE_DOES_NOT_EXIST"
    assert f"Experiment with ID {f['exp_b']} has been permanently deleted." in p.stdout
    assert api.error("GET", "experiments/get", {"experiment_id": f["exp_b"]}) == "RESOURCE_DOES_NOT_EXIST"
    names = [e["name"] for e in api.call("GET", "experiments/search", {"view_type": "ALL", "max_results": 100})
             ["experiments"]]
    assert "doomed-experiment" not in names and "kept-experiment" in names
    # the active run is untouched, data and files
    assert api.call("GET", "runs/get", {"run_id": f["active"]}) == f["active_before"]
    assert (art / f["active_base"] / "a.txt").read_bytes() == b"alive"
    assert (art / f["active_base"] / "d" / "b.bin").read_bytes() == b"x" * 100
    # files of the deleted runs are gone, their run directories too
    assert not (art / f["gone_base"]).exists() and not (art / f["gone_base"]).parent.exists()
    assert not (art / f["b1_base"] / "x.txt").exists() and not (art / f["b2_base"]).exists()
    assert not (art / f["lm_base"]).exists()
    # ... but not what the versions use, reported one line each
    reg = art / f["reg_base"]
    assert (reg / "model" / "model.pkl").read_bytes() == b"p" * 50 and (reg / "model2" / "MLmodel").exists()
    assert not (reg / "other").exists() and not (reg / "top.txt").exists()
    assert (art / f["b1_base"] / "model" / "MLmodel").read_bytes() == b"b1"
    kept = [line for line in p.stdout.splitlines() if line.startswith("kept ")]
    assert sorted(kept) == sorted([
        f"kept mlflow-artifacts:/{f['reg_base']}/model (used by model m version 1)",
        f"kept mlflow-artifacts:/{f['reg_base']}/model2 (used by model m version 2)",
        f"kept mlflow-artifacts:/{f['b1_base']}/model (used by model m version 3)"])
    # the versions stay and still serve their files; the runs:/ one now names the files' place
    for version, path, data in (("1", "model.pkl", b"p" * 50), ("2", "MLmodel", b"m2"), ("3", "MLmodel", b"b1")):
        mv = api.call("GET", "model-versions/get", {"name": "m", "version": version})["model_version"]
        assert mv["run_id"] in (f["reg"], f["b1"])
        r = requests.get(f"{server.url}/model-versions/get-artifact",
                         params={"name": "m", "version": version, "path": path}, timeout=30)
        assert (r.status_code, r.content) == (200, data), version
    assert query(d, "SELECT storage_location FROM model_versions WHERE version = 1") == \
        [(f"mlflow-artifacts:/{f['reg_base']}/model",)]
    # no row of any table names what went
    marks = ",".join("?" * len(gone_pks))
    for table in ("runs", "metrics", "latest_metrics", "params", "tags", "run_inputs", "input_tags",
                  "run_model_links"):
        assert query(d, f"SELECT count(*) FROM {table} WHERE run_pk IN ({marks})", *gone_pks) == [(0,)], table
    for table in ("experiments", "experiment_tags", "datasets", "logged_models"):
        assert query(d, f"SELECT count(*) FROM {table} WHERE experiment_id = ?", f["exp_b"]) == [(0,)], table
    for table in ("logged_models", "logged_model_params", "logged_model_tags", "logged_model_metrics"):
        assert query(d, f"SELECT count(*) FROM {table} WHERE model_id = ?", f["lm"]) == [(0,)], table
    # the dataset the active run still uses stays
    assert query(d, "SELECT name FROM datasets") == [("shared",)]
    assert query(d, "SELECT count(*) FROM run_inputs") == [(1,)]
    # gc twice is a no-op
    before, files = db_rows(d), tree(art)
    p = gc(mlflowc_bin, d)
    assert "0 experiments and 0 runs permanently deleted" in p.stdout
    assert db_rows(d) == before and tree(art) == files


def test_dry_run_changes_nothing(mlflowc_bin, world):
    server, api, f = world
    stop_server(server)
    f["stopped"] = True
    d = f["dir"]
    db_bytes = (d / "mlflow.db").read_bytes()
    files = tree(d / "artifacts")
    p = gc(mlflowc_bin, d, "--dry-run")
    assert (d / "mlflow.db").read_bytes() == db_bytes
    assert tree(d / "artifacts") == files
    out = p.stdout
    for rid in (f["gone"], f["reg"], f["noart"], f["b1"], f["b2"]):
        assert f"would delete run {rid}" in out
    assert f"would delete experiment {f['exp_b']} 'doomed-experiment' with 2 runs" in out
    assert f"would delete run {f['gone']} ({30 + 7 + 6} bytes of artifacts)" in out  # with its logged model
    assert f"would delete run {f['reg']} ({20 + 5} bytes of artifacts)" in out
    assert f"would delete run {f['noart']} (0 bytes of artifacts)" in out
    # everything the real gc frees: gone 37 + logged model 6 + reg 25 + b1 9 + b2 11
    assert "1 experiments and 5 runs would be deleted, 88 bytes of artifacts freed, 3 paths kept" in out
    assert out.count("would keep ") == 3
    # and the real one frees the same
    p = gc(mlflowc_bin, d)
    assert "1 experiments and 5 runs permanently deleted, 88 bytes of artifacts freed, 3 paths kept" in p.stdout


def set_deleted_time(d, run_id, ms):
    con = sqlite3.connect(d / "mlflow.db")
    with con:
        con.execute("UPDATE runs SET deleted_time = ? WHERE run_uuid = ?", (ms, run_id))
    con.close()


def test_older_than_boundaries_and_parsing(mlflowc_bin, world):
    server, api, f = world
    d = f["dir"]
    now = int(time.time() * 1000)
    set_deleted_time(d, f["gone"], now - DAY_MS - 60000)   # just over a day
    set_deleted_time(d, f["reg"], now - DAY_MS + 60000)    # just under
    set_deleted_time(d, f["noart"], now - 3 * DAY_MS)
    con = sqlite3.connect(d / "mlflow.db")
    with con:
        con.execute("UPDATE experiments SET last_update_time = ? WHERE experiment_id = ?", (now - 3600000, f["exp_b"]))
    con.close()
    p = gc(mlflowc_bin, d, "--older-than", "1d")
    assert "1 experiments" not in p.stdout  # the experiment was deleted an hour ago
    assert api.error("GET", "runs/get", {"run_id": f["gone"]}) == "RESOURCE_DOES_NOT_EXIST"
    assert api.error("GET", "runs/get", {"run_id": f["noart"]}) == "RESOURCE_DOES_NOT_EXIST"
    assert api.call("GET", "runs/get", {"run_id": f["reg"]})["run"]["info"]["lifecycle_stage"] == "deleted"
    assert api.call("GET", "experiments/get", {"experiment_id": f["exp_b"]})["experiment"]["lifecycle_stage"] == \
        "deleted"
    # deleted 23h59m ago: not older than 0.5d11h59m30s (23h59m30s), older than 23h50m
    gc(mlflowc_bin, d, "--older-than", "0.5d11h59m30s")
    assert api.call("GET", "runs/get", {"run_id": f["reg"]})["run"]["info"]["lifecycle_stage"] == "deleted"
    gc(mlflowc_bin, d, "--older-than", "23h50m")
    assert api.error("GET", "runs/get", {"run_id": f["reg"]}) == "RESOURCE_DOES_NOT_EXIST"
    assert api.call("GET", "experiments/get", {"experiment_id": f["exp_b"]})["experiment"]["lifecycle_stage"] == \
        "deleted"
    gc(mlflowc_bin, d, "--older-than", "30m")
    assert api.error("GET", "experiments/get", {"experiment_id": f["exp_b"]}) == "RESOURCE_DOES_NOT_EXIST"
    before = db_rows(d)
    for bad in ("1x", "d", "1.2.3d", "1s2d", "-1d", "1d1d"):
        p = gc(mlflowc_bin, d, "--older-than", bad, expect=2)
        assert f"Could not parse any time information from '{bad}'" in p.stderr
    assert db_rows(d) == before


def test_named_ids_are_checked_as_mlflow_does(mlflowc_bin, world):
    server, api, f = world
    d = f["dir"]
    before, files = db_rows(d), tree(d / "artifacts")
    refusals = [
        (["--run-ids", f"{f['gone']},{f['active']}"], f"Run {f['active']} is not in `deleted` lifecycle stage"),
        (["--run-ids", "0123456789abcdef0123456789abcdef"], "Run '0123456789abcdef0123456789abcdef' not found"),
        (["--experiment-ids", f"{f['exp_a']}"], f"Experiments ['{f['exp_a']}'] are not in the deleted lifecycle"),
        (["--experiment-ids", "12345"], "No Experiment with id=12345 exists"),
        (["--experiment-ids", "abc"], "No Experiment with id=abc exists"),
        (["--run-ids", f["gone"], "--older-than", "1d"], f"Run {f['gone']} is not older than the required age"),
        (["--experiment-ids", f["exp_b"], "--older-than", "1h"],
         f"Experiments ['{f['exp_b']}'] are not older than the required age"),
    ]
    for args, message in refusals:
        p = gc(mlflowc_bin, d, *args, expect=1)
        assert message in p.stderr, (args, p.stderr)
    assert db_rows(d) == before and tree(d / "artifacts") == files
    # named runs alone take only those runs; named experiments only those experiments
    p = gc(mlflowc_bin, d, "--run-ids", f["gone"])
    assert "0 experiments and 1 runs permanently deleted" in p.stdout
    assert api.call("GET", "runs/get", {"run_id": f["noart"]})["run"]["info"]["lifecycle_stage"] == "deleted"
    p = gc(mlflowc_bin, d, "--experiment-ids", f["exp_b"])
    assert "1 experiments and 2 runs permanently deleted" in p.stdout
    assert api.call("GET", "runs/get", {"run_id": f["noart"]})["run"]["info"]["lifecycle_stage"] == "deleted"
    assert api.error("GET", "runs/get", {"run_id": f["b2"]}) == "RESOURCE_DOES_NOT_EXIST"


def test_artifacts_outside_the_roots_keep_the_run(mlflowc_bin, tmp_path):
    """A run whose files gc may not touch (a local location outside every root) keeps its rows,
    and gc says so and exits 1; with the directory allowed, both go."""
    server = start(mlflowc_bin, tmp_path)
    try:
        api = Api(server.url)
        elsewhere = tmp_path / "elsewhere"
        elsewhere.mkdir()
        exp = api.call("POST", "experiments/create", {"name": "local", "artifact_location": str(elsewhere)})[
            "experiment_id"]
        rid = api.call("POST", "runs/create", {"experiment_id": exp})["run"]["info"]["run_id"]
        run_dir = elsewhere / rid / "artifacts"
        run_dir.mkdir(parents=True)
        (run_dir / "f.txt").write_bytes(b"local")
        delete_run(api, rid)
        p = gc(mlflowc_bin, tmp_path, expect=1)
        assert "outside --artifacts-destination and --allowed-artifact-roots" in p.stderr
        assert (run_dir / "f.txt").exists()
        assert api.call("GET", "runs/get", {"run_id": rid})["run"]["info"]["lifecycle_stage"] == "deleted"
        p = gc(mlflowc_bin, tmp_path, "--allowed-artifact-roots", str(elsewhere))
        assert f"Run with ID {rid} has been permanently deleted." in p.stdout
        assert not (elsewhere / rid).exists()
        assert api.error("GET", "runs/get", {"run_id": rid}) == "RESOURCE_DOES_NOT_EXIST"
    finally:
        stop_server(server)


def test_missing_store_is_refused(mlflowc_bin, tmp_path):
    p = gc(mlflowc_bin, tmp_path, expect=1)
    assert "no store at" in p.stderr
    assert not (tmp_path / "mlflow.db").exists()


def test_gc_beside_a_serving_server(mlflowc_bin, tmp_path):
    """The server serves while gc runs on the same store: clients keep logging to their runs and
    restore some of the deleted ones meanwhile. Every logged point arrives, and every deleted run
    ends either whole (restored before gc reached it: rows and files intact) or entirely gone."""
    server = start(mlflowc_bin, tmp_path)
    try:
        api = Api(server.url)
        exp = api.call("POST", "experiments/create", {"name": "busy"})["experiment_id"]
        live = [make_run(api, exp, f"live{i}", metrics=1)[0] for i in range(3)]
        doomed = {}
        for i in range(120):
            rid, base = make_run(api, exp, f"d{i}", [("f.txt", b"z" * 10)], metrics=5)
            doomed[rid] = base
            delete_run(api, rid)
        stop = threading.Event()
        logged = {rid: 0 for rid in live}
        errors = []

        def logger(rid):
            client = Api(server.url)
            step = 1
            while not stop.is_set() and step < 100000:
                try:
                    client.call("POST", "runs/log-metric", {"run_id": rid, "key": "m", "value": step,
                                                            "timestamp": step, "step": step})
                    logged[rid] += 1
                except AssertionError as e:  # noqa: PERF203
                    errors.append(str(e))
                step += 1

        restored = []

        def restorer():
            client = Api(server.url)
            for rid in list(doomed)[::7]:
                if stop.is_set():
                    break
                r = client.s.post(f"{server.url}/api/2.0/mlflow/runs/restore", json={"run_id": rid}, timeout=60)
                if r.status_code == 200:
                    restored.append(rid)

        threads = [threading.Thread(target=logger, args=(rid,)) for rid in live] + [threading.Thread(target=restorer)]
        for t in threads:
            t.start()
        try:
            p = gc(mlflowc_bin, tmp_path)
        finally:
            stop.set()
            for t in threads:
                t.join(timeout=120)
        assert not errors, errors[:3]
        for rid in live:
            hist = api.call("GET", "metrics/get-history", {"run_id": rid, "metric_key": "m"})["metrics"]
            assert len(hist) == logged[rid]
        for rid, base in doomed.items():
            r = api.s.get(f"{server.url}/api/2.0/mlflow/runs/get", params={"run_id": rid}, timeout=60)
            f = tmp_path / "artifacts" / base / "f.txt"
            if r.status_code == 200:
                info = r.json()["run"]
                assert rid in restored and info["info"]["lifecycle_stage"] == "active", rid
                assert len(info["data"]["metrics"]) == 1 and f.read_bytes() == b"z" * 10, rid
                assert f"Run with ID {rid} has been permanently deleted." not in p.stdout
            else:
                assert r.json()["error_code"] == "RESOURCE_DOES_NOT_EXIST"
                assert not f.exists() and rid not in restored
                assert query(tmp_path, "SELECT count(*) FROM runs WHERE run_uuid = ?", rid) == [(0,)]
        print(f"{len(restored)} runs restored during gc, {sum(logged.values())} points logged meanwhile")
        # a restore that came after gc reached the run finds nothing; one before it kept the run
        for rid in restored:
            assert api.call("GET", "runs/get", {"run_id": rid})["run"]["info"]["lifecycle_stage"] == "active"
    finally:
        stop_server(server)


def run_rows(d, run_id):
    pk = query(d, "SELECT run_pk FROM runs WHERE run_uuid = ?", run_id)[0][0]
    return 1 + sum(query(d, f"SELECT count(*) FROM {t} WHERE run_pk = ?", pk)[0][0]
                   for t in ("metrics", "latest_metrics", "params", "tags", "run_inputs", "input_tags",
                             "run_model_links"))


def test_storage_report(mlflowc_bin, world):
    server, api, f = world
    d = f["dir"]
    p = subprocess.run([str(mlflowc_bin), "storage", "report", "--backend-store-uri", f"sqlite:///{d}/mlflow.db",
                        "--artifacts-destination", str(d / "artifacts"), "--top", "3"],
                       capture_output=True, text=True, timeout=120)
    assert p.returncode == 0, p.stderr
    lines = p.stdout.splitlines()
    section = {}
    current = None
    for line in lines:
        if not line.startswith(" "):
            current = line
            section[current] = []
        else:
            section[current].append(line.split())
    exps = {row[0]: row for row in section["experiments"][1:]}
    sizes = {"active": 5 + 100, "gone": 30 + 7, "reg": 12 + 50 + 20 + 2 + 5, "noart": 0, "b1": 2 + 9, "b2": 11}
    rows = {k: run_rows(d, f[k]) for k in sizes}
    a, b = exps[str(f["exp_a"])], exps[str(f["exp_b"])]
    assert a[1:3] == ["active", "4(3"] and b[1:3] == ["deleted", "2(2"]
    # experiment rows: its own row, tags, datasets, logged models (one with a param and a tag) and its runs'
    assert int(a[-3]) == 1 + 1 + (1 + 1 + 1) + sum(rows[k] for k in ("active", "gone", "reg", "noart"))
    assert int(a[-2]) == sum(sizes[k] for k in ("active", "gone", "reg", "noart"))
    assert int(b[-3]) == 1 + 1 + rows["b1"] + rows["b2"] and int(b[-2]) == 22
    assert section["registered models"][1:] == [["3", "4", str(62 + 2 + 2), "m"]]
    top = section["largest runs"][1:]
    assert [r[4] for r in top] == [f["active"], f["reg"], f["gone"]]
    assert [int(r[0]) for r in top] == [105, 89, 37] and [int(r[1]) for r in top] == \
        [rows["active"], rows["reg"], rows["gone"]]
    reclaim = [line for line in lines if line.startswith("gc would reclaim")]
    gone_rows = sum(rows[k] for k in ("gone", "reg", "noart", "b1", "b2")) + 1 + 1
    assert reclaim == [f"gc would reclaim: 1 experiments, 5 runs, {gone_rows} rows, 88 bytes of artifacts "
                       "(3 paths kept)"]
    # and that is what gc frees
    p = gc(mlflowc_bin, d)
    assert "1 experiments and 5 runs permanently deleted, 88 bytes of artifacts freed, 3 paths kept" in p.stdout
    p = subprocess.run([str(mlflowc_bin), "storage", "report", "--backend-store-uri", f"sqlite:///{d}/mlflow.db",
                        "--artifacts-destination", str(d / "artifacts"), "--older-than", "1d"],
                       capture_output=True, text=True, timeout=120)
    assert "gc --older-than 1d would reclaim: 0 experiments, 0 runs, 0 rows, 0 bytes" in p.stdout
    p = subprocess.run([str(mlflowc_bin), "storage", "report", "--backend-store-uri", f"sqlite:///{d}/nothing.db"],
                       capture_output=True, text=True, timeout=120)
    assert p.returncode == 1 and "no store at" in p.stderr and not (d / "nothing.db").exists()


def test_gc_on_an_s3_destination(mlflowc_bin, tmp_path, s3rver):  # noqa: F811
    """The same through an S3 destination (s3rver, as tests/blackbox/test_s3.py runs it): the deleted
    run's objects go, the registered subtree stays and still serves, the version's run is gone."""
    s3 = s3rver
    server = test_s3.start_mlflowc(mlflowc_bin, tmp_path, s3.url)
    try:
        api = Api(server.url)
        exp = api.call("POST", "experiments/create", {"name": "on-s3"})["experiment_id"]
        plain, plain_base = make_run(api, exp, "plain", [("a.txt", b"a" * 3), ("d/b.txt", b"b" * 4)])
        reg, reg_base = make_run(api, exp, "reg", [("model/MLmodel", b"m" * 5), ("junk.txt", b"j" * 6)])
        api.call("POST", "registered-models/create", {"name": "s3m"})
        api.call("POST", "model-versions/create", {"name": "s3m", "source": f"runs:/{reg}/model", "run_id": reg})
        delete_run(api, plain)
        delete_run(api, reg)
        env = {k: v for k, v in os.environ.items() if not k.startswith(("AWS_", "MLFLOW_S3_"))}
        env.update(test_s3.CREDS, MLFLOW_S3_ENDPOINT_URL=s3.url)
        dest = f"s3://{test_s3.BUCKET}/{test_s3.PREFIX}"
        cmd = [str(mlflowc_bin), "gc", "--backend-store-uri", f"sqlite:///{tmp_path}/mlflow.db",
               "--artifacts-destination", dest]
        dry = subprocess.run(cmd + ["--dry-run"], capture_output=True, text=True, timeout=120, env=env)
        assert dry.returncode == 0, dry.stderr
        assert "2 runs would be deleted, 13 bytes of artifacts freed, 1 paths kept" in dry.stdout
        p = subprocess.run(cmd, capture_output=True, text=True, timeout=120, env=env)
        assert p.returncode == 0, p.stderr
        assert "2 runs permanently deleted, 13 bytes of artifacts freed, 1 paths kept" in p.stdout
        assert f"kept mlflow-artifacts:/{reg_base}/model (used by model s3m version 1)" in p.stdout

        def listing(path):
            r = api.s.get(f"{server.url}{PROXY}", params={"path": path}, timeout=60)
            assert r.status_code == 200, r.text
            return sorted(f["path"] for f in r.json().get("files", []))

        assert listing(plain_base) == [] and listing(plain_base.rsplit("/", 1)[0]) == []
        assert listing(reg_base) == ["model"]
        r = requests.get(f"{server.url}/model-versions/get-artifact",
                         params={"name": "s3m", "version": "1", "path": "MLmodel"}, timeout=30)
        assert (r.status_code, r.content) == (200, b"m" * 5)
        assert api.error("GET", "runs/get", {"run_id": reg}) == "RESOURCE_DOES_NOT_EXIST"
    finally:
        stop_server(server)


def test_a_collected_experiment_leaves_no_directory(mlflowc_bin, tmp_path):
    """An experiment that goes with all its files leaves no empty directory behind (its runs' and
    its logged models' directories, then its own), and gc touches no other experiment's."""
    server = start(mlflowc_bin, tmp_path)
    try:
        api = Api(server.url)
        doomed = api.call("POST", "experiments/create", {"name": "doomed"})["experiment_id"]
        other = api.call("POST", "experiments/create", {"name": "other"})["experiment_id"]
        make_run(api, doomed, "r", [("a/b.txt", b"b")])
        _, other_base = make_run(api, other, "o", [("o.txt", b"o")])
        lm = api.call("POST", "logged-models", {"experiment_id": doomed, "name": "lm"})["model"]["info"]
        api.put(lm["artifact_uri"].removeprefix("mlflow-artifacts:/").lstrip("/") + "/MLmodel", b"x")
        api.call("POST", "experiments/delete", {"experiment_id": doomed})
        art = tmp_path / "artifacts"
        assert (art / doomed / "models").is_dir()
        p = gc(mlflowc_bin, tmp_path)
        assert "1 experiments and 1 runs permanently deleted, 2 bytes of artifacts freed" in p.stdout
        assert not (art / doomed).exists()
        assert list(tree(art)[0]) == [f"{other_base}/o.txt"]
        assert query(tmp_path, "SELECT count(*) FROM logged_models") == [(0,)]
    finally:
        stop_server(server)


def test_logged_models_go_with_their_run_unless_a_version_uses_them(mlflowc_bin, tmp_path):
    """MLflow 3: a run's logged models go with it, rows and files, except the files of one a
    registered version was made from (models:/m-... resolves to its location): those are kept
    and reported, and the version still serves them."""
    server = start(mlflowc_bin, tmp_path)
    try:
        api = Api(server.url)
        exp = api.call("POST", "experiments/create", {"name": "three"})["experiment_id"]
        rid, _ = make_run(api, exp, "r")
        models = {}
        for name in ("registered", "plain"):
            info = api.call("POST", "logged-models", {"experiment_id": exp, "name": name,
                                                      "source_run_id": rid})["model"]["info"]
            base = info["artifact_uri"].removeprefix("mlflow-artifacts:/").lstrip("/")
            api.put(f"{base}/MLmodel", name.encode())
            api.call("POST", f"logged-models/{info['model_id']}/params",
                     {"params": [{"key": "k", "value": "v"}]})
            models[name] = (info["model_id"], base)
        api.call("POST", "registered-models/create", {"name": "m3"})
        reg_id = models["registered"][0]
        api.call("POST", "model-versions/create", {"name": "m3", "source": f"models:/{reg_id}", "model_id": reg_id})
        delete_run(api, rid)
        p = gc(mlflowc_bin, tmp_path)
        art = tmp_path / "artifacts"
        assert f"Run with ID {rid} has been permanently deleted." in p.stdout
        assert [line for line in p.stdout.splitlines() if line.startswith("kept ")] == [
            f"kept mlflow-artifacts:/{models['registered'][1]} (used by model m3 version 1)"]
        assert (art / models["registered"][1] / "MLmodel").read_bytes() == b"registered"
        assert not (art / models["plain"][1]).parent.exists()
        assert query(tmp_path, "SELECT count(*) FROM logged_models") == [(0,)]
        assert query(tmp_path, "SELECT count(*) FROM logged_model_params") == [(0,)]
        r = requests.get(f"{server.url}/model-versions/get-artifact",
                         params={"name": "m3", "version": "1", "path": "MLmodel"}, timeout=30)
        assert (r.status_code, r.content) == (200, b"registered")
    finally:
        stop_server(server)


def test_a_run_restored_inside_a_deleted_experiment_keeps_it(mlflowc_bin, tmp_path):
    """A deleted experiment goes only when every run of it is deleted: a run restored meanwhile
    stays whole, and so does its experiment; its deleted runs still go. A run whose location is a
    whole artifact root is refused rather than emptying the root."""
    server = start(mlflowc_bin, tmp_path)
    try:
        api = Api(server.url)
        exp = api.call("POST", "experiments/create", {"name": "half"})["experiment_id"]
        back, back_base = make_run(api, exp, "back", [("k.txt", b"k")])
        gone, gone_base = make_run(api, exp, "gone", [("g.txt", b"gg")])
        api.call("POST", "experiments/delete", {"experiment_id": exp})
        api.call("POST", "runs/restore", {"run_id": back})
        art = tmp_path / "artifacts"
        dry = gc(mlflowc_bin, tmp_path, "--dry-run")
        assert f"would keep experiment {exp} 'half': 1 of its 2 runs are active" in dry.stdout
        assert "0 experiments and 1 runs would be deleted, 2 bytes" in dry.stdout
        p = gc(mlflowc_bin, tmp_path)
        assert f"Run with ID {back} is active: kept, and so is experiment {exp}" in p.stdout
        assert "0 experiments and 1 runs permanently deleted, 2 bytes" in p.stdout
        assert api.call("GET", "runs/get", {"run_id": back})["run"]["data"]["params"] == [{"key": "lr",
                                                                                         "value": "0.1"}]
        assert (art / back_base / "k.txt").read_bytes() == b"k" and not (art / gone_base).exists()
        assert api.call("GET", "experiments/get", {"experiment_id": exp})["experiment"]["lifecycle_stage"] == \
            "deleted"
        # a run whose artifact URI is the destination itself
        exp2 = api.call("POST", "experiments/create", {"name": "rooted"})["experiment_id"]
        rid = api.call("POST", "runs/create", {"experiment_id": exp2})["run"]["info"]["run_id"]
        delete_run(api, rid)
        con = sqlite3.connect(tmp_path / "mlflow.db")
        with con:
            con.execute("UPDATE runs SET artifact_uri = 'mlflow-artifacts:/' WHERE run_uuid = ?", (rid,))
        con.close()
        files = tree(art)
        p = gc(mlflowc_bin, tmp_path, "--run-ids", rid, expect=1)
        assert "is the root of an artifact store: refusing to delete it" in p.stderr
        assert tree(art) == files
        assert api.call("GET", "runs/get", {"run_id": rid})["run"]["info"]["lifecycle_stage"] == "deleted"
    finally:
        stop_server(server)

"""`mlflowc import`: an MLflow SQL database (SQLite) and its artifacts come over with their ids.

Each store written by the official MLflow server (../shared/fixtures/mlflow-stores, copied
first) is imported, a server is started on the result, and every REST answer is compared with
what the fixture's own tables (read here with sqlite3) and files say: experiments (deleted
ones too), runs with their data through search and get, the full history of several metric
keys (the 5,000-step ones and NaN/+inf/-inf), the registry (models, versions with stages and
tags, aliases, get-latest, the deleted model's absence), artifact listings and bytes through
the proxy, a model's MLmodel. Also: the source's bytes stay the same, a second import changes
nothing, a killed import run again ends in the same store, a source that is not MLflow's and a
schema revision newer than this program are refused, local artifact locations are rewritten
(or kept), and MLflow's deleted-version gaps stay gaps.
"""

import hashlib
import json
import math
import os
import shutil
import signal
import sqlite3
import subprocess
import time
from pathlib import Path

import pytest
import requests

from conftest import REPO_ROOT, free_local_port, launch_server, stop_server

VERSIONS = ["2.17", "3.9"]
# the row counts the fixtures' README gives
README_COUNTS = {
    "2.17": {"experiments": 6, "runs": 126, "params": 483, "tags": 501, "metrics": 78840,
             "latest_metrics": 360, "inputs": 4, "registered_models": 7, "model_versions": 17,
             "registered_model_aliases": 3},
    "3.9": {"experiments": 5, "runs": 123, "params": 483, "tags": 486, "metrics": 78840,
            "latest_metrics": 360, "registered_models": 4, "model_versions": 14,
            "registered_model_aliases": 3},
}
COMMAND_TIMEOUT = 300


def fixtures_dir():
    shared = Path(os.environ.get("MLFLOWC_SHARED", REPO_ROOT.parent / "shared"))
    stores = shared / "fixtures" / "mlflow-stores"
    if not stores.is_dir():
        pytest.skip(f"{stores} not found: importing real MLflow stores is checked where ../shared exists (CI)")
    return stores


def copy_fixture(version, dest):
    """A writable copy of the fixture's database and artifacts in `dest`."""
    src = fixtures_dir() / f"mlflow-{version}-sqlite"
    dest.mkdir(parents=True, exist_ok=True)
    shutil.copyfile(src / "mlflow.db", dest / "mlflow.db")
    shutil.copytree(src / "artifacts", dest / "artifacts", copy_function=shutil.copyfile)
    for p in [dest / "artifacts", *(dest / "artifacts").rglob("*")]:
        p.chmod(0o755 if p.is_dir() else 0o644)
    return dest


def run_import(binary, cwd, source_db, dest_db, artifacts_from=None, artifacts_dest=None, *extra):
    cmd = [str(binary), "import", "--from", f"sqlite:///{source_db}",
           "--backend-store-uri", f"sqlite:///{dest_db}"]
    if artifacts_from:
        cmd += ["--artifacts-from", str(artifacts_from)]
    if artifacts_dest:
        cmd += ["--artifacts-destination", str(artifacts_dest)]
    cmd += list(extra)
    return subprocess.run(cmd, cwd=cwd, capture_output=True, text=True, timeout=COMMAND_TIMEOUT)


def report_rows(stdout):
    """The per-table report: {table: (source, imported)} for the tables the source has."""
    rows = {}
    for line in stdout.splitlines():
        parts = line.rsplit(None, 2)
        if len(parts) == 3 and parts[1].isdigit() and parts[2].isdigit():
            rows[parts[0]] = (int(parts[1]), int(parts[2]))
    return rows


def sha256(path):
    return hashlib.sha256(Path(path).read_bytes()).hexdigest()


def source_db(path):
    con = sqlite3.connect(f"file:{path}?mode=ro&immutable=1", uri=True)
    con.row_factory = sqlite3.Row
    return con


def dump_store(path):
    """Every row of every table of an mlflowc store (and its id counters), sorted."""
    con = sqlite3.connect(f"file:{path}?mode=ro", uri=True)
    tables = [r[0] for r in con.execute("SELECT name FROM sqlite_master WHERE type = 'table' ORDER BY name")]
    dump = {t: sorted(map(repr, con.execute(f'SELECT * FROM "{t}"'))) for t in tables}
    con.close()
    return dump


class Imported:
    """A fixture imported into a fresh store, with a server running on it."""

    def __init__(self, version, work, binary):
        self.version = version
        self.work = work
        self.src = copy_fixture(version, work / "old")
        self.source_hash = sha256(self.src / "mlflow.db")
        self.dest_db = work / "new" / "mlflow.db"
        self.dest_art = work / "new" / "mlartifacts"
        self.dest_db.parent.mkdir()
        self.result = run_import(binary, work, self.src / "mlflow.db", self.dest_db, self.src / "artifacts",
                                 self.dest_art)
        assert self.result.returncode == 0, self.result.stderr + self.result.stdout
        self.port = free_local_port()
        cmd = [binary, "server", "--backend-store-uri", f"sqlite:///{self.dest_db}",
               "--artifacts-destination", self.dest_art, "--host", "127.0.0.1", "--port", str(self.port)]
        self.server = launch_server(cmd, self.port, work)
        self.db = source_db(self.src / "mlflow.db")

    def get(self, endpoint, **params):
        return requests.get(f"{self.server.url}/api/2.0/mlflow/{endpoint}", params=params, timeout=30)

    def ok(self, endpoint, **params):
        r = self.get(endpoint, **params)
        assert r.status_code == 200, (endpoint, params, r.text)
        return r.json()

    def post(self, endpoint, body):
        r = requests.post(f"{self.server.url}/api/2.0/mlflow/{endpoint}", json=body, timeout=30)
        assert r.status_code == 200, (endpoint, body, r.text)
        return r.json()

    def close(self):
        self.db.close()
        stop_server(self.server)


@pytest.fixture(scope="module", params=VERSIONS)
def imported(request, tmp_path_factory):
    binary = Path(os.environ.get("MLFLOWC_BIN", REPO_ROOT / "build" / "mlflowc"))
    fixtures_dir()
    imp = Imported(request.param, tmp_path_factory.mktemp(f"import-{request.param}"), binary)
    yield imp
    imp.close()


def text(v):
    return "" if v is None else v


def expected_value(row):
    return math.nan if row["is_nan"] else row["value"]


def same_number(a, b):
    if isinstance(a, str) or isinstance(b, str):  # NaN is rendered "NaN"
        a, b = float(a), float(b)
    return (math.isnan(a) and math.isnan(b)) or a == b


# ---- counts and the source -----------------------------------------------------------------------

def test_every_table_count_matches_and_the_source_is_unchanged(imported):
    rows = report_rows(imported.result.stdout)
    for table, count in README_COUNTS[imported.version].items():
        assert rows[table] == (count, count), (table, rows.get(table), imported.result.stdout)
    for table, (source, done) in rows.items():
        assert source == done, (table, source, done)
    assert "MISMATCH" not in imported.result.stdout
    assert "latest metrics differing" not in imported.result.stdout
    assert sha256(imported.src / "mlflow.db") == imported.source_hash
    assert not [p for p in imported.src.iterdir() if p.name.endswith(("-wal", "-shm", "-journal"))]
    assert f"schema revision {imported.db.execute('SELECT version_num FROM alembic_version').fetchone()[0]}" \
        in imported.result.stdout
    # not a terminal: one plain summary line with rates
    assert "points/s" in imported.result.stderr and "runs/s" in imported.result.stderr
    assert "\r" not in imported.result.stderr


# ---- experiments ---------------------------------------------------------------------------------

def test_experiments_with_ids_names_times_locations_tags(imported):
    got = imported.ok("experiments/search", view_type="ALL", max_results=1000)["experiments"]
    by_id = {e["experiment_id"]: e for e in got}
    rows = imported.db.execute("SELECT * FROM experiments").fetchall()
    assert set(by_id) == {str(r["experiment_id"]) for r in rows}
    for r in rows:
        e = by_id[str(r["experiment_id"])]
        assert e["name"] == r["name"]
        assert e["artifact_location"] == r["artifact_location"]
        assert e["lifecycle_stage"] == r["lifecycle_stage"]
        assert int(e["creation_time"]) == r["creation_time"]
        assert int(e["last_update_time"]) == r["last_update_time"]
        tags = {t["key"]: t["value"] for t in e.get("tags", [])}
        want = {t["key"]: text(t["value"]) for t in imported.db.execute(
            "SELECT key, value FROM experiment_tags WHERE experiment_id = ?", (r["experiment_id"],))}
        assert tags == want
        one = imported.ok("experiments/get", experiment_id=str(r["experiment_id"]))["experiment"]
        assert one["name"] == r["name"] and one["lifecycle_stage"] == r["lifecycle_stage"]
    deleted = [e for e in got if e["lifecycle_stage"] == "deleted"]
    assert [e["name"] for e in deleted] == ["fx-gone"]
    active = imported.ok("experiments/search", max_results=1000)["experiments"]
    assert "fx-gone" not in {e["name"] for e in active}


def test_new_experiments_and_models_never_collide_with_imported_ids(imported):
    top = imported.db.execute("SELECT max(experiment_id) FROM experiments").fetchone()[0]
    new = imported.post("experiments/create", {"name": "after-import"})["experiment_id"]
    assert int(new) > top
    name = imported.db.execute("SELECT name FROM registered_models ORDER BY name LIMIT 1").fetchone()[0]
    highest = imported.db.execute("SELECT max(version) FROM model_versions WHERE name = ?", (name,)).fetchone()[0]
    v = imported.post("model-versions/create", {"name": name, "source": "runs:/x/model"})["model_version"]
    assert int(v["version"]) == highest + 1
    m = imported.post("registered-models/create", {"name": "after-import-model"})
    assert m["registered_model"]["name"] == "after-import-model"


# ---- runs ------------------------------------------------------------------------------------------

def search_all_runs(imported):
    ids = [str(r[0]) for r in imported.db.execute("SELECT experiment_id FROM experiments")]
    runs, token = [], None
    for _ in range(100):
        body = {"experiment_ids": ids, "run_view_type": "ALL", "max_results": 50}
        if token:
            body["page_token"] = token
        page = imported.post("runs/search", body)
        runs += page.get("runs", [])
        token = page.get("next_page_token")
        if not token:
            break
    return runs


def check_run(imported, run):
    info = run["info"]
    r = imported.db.execute("SELECT * FROM runs WHERE run_uuid = ?", (info["run_id"],)).fetchone()
    assert r is not None, info
    assert info["run_uuid"] == r["run_uuid"]
    assert info["experiment_id"] == str(r["experiment_id"])
    assert info["run_name"] == text(r["name"])
    assert info["user_id"] == text(r["user_id"])
    assert info["status"] == r["status"]
    assert int(info["start_time"]) == r["start_time"]
    assert (int(info["end_time"]) if "end_time" in info else None) == r["end_time"]
    assert info["artifact_uri"] == r["artifact_uri"]
    assert info["lifecycle_stage"] == r["lifecycle_stage"]
    data = run["data"]
    params = {p["key"]: p["value"] for p in data.get("params", [])}
    assert params == {p["key"]: p["value"] for p in imported.db.execute(
        "SELECT key, value FROM params WHERE run_uuid = ?", (r["run_uuid"],))}
    tags = {t["key"]: t["value"] for t in data.get("tags", [])}
    assert tags == {t["key"]: text(t["value"]) for t in imported.db.execute(
        "SELECT key, value FROM tags WHERE run_uuid = ?", (r["run_uuid"],))}
    latest = {m["key"]: m for m in data.get("metrics", [])}
    want = imported.db.execute("SELECT * FROM latest_metrics WHERE run_uuid = ?", (r["run_uuid"],)).fetchall()
    assert set(latest) == {w["key"] for w in want}
    for w in want:
        m = latest[w["key"]]
        assert same_number(m["value"], expected_value(w)), (w["key"], m, dict(w))
        assert int(m["step"]) == w["step"] and int(m["timestamp"]) == w["timestamp"]
    inputs = run.get("inputs", {}).get("dataset_inputs", [])
    want_inputs = imported.db.execute(
        "SELECT d.name, d.digest, d.dataset_source_type, d.dataset_source, i.input_uuid FROM inputs i "
        "JOIN datasets d ON d.dataset_uuid = i.source_id WHERE i.destination_id = ? AND i.source_type = 'DATASET'",
        (r["run_uuid"],)).fetchall()
    assert len(inputs) == len(want_inputs)
    for got, w in zip(inputs, want_inputs):
        ds = got["dataset"]
        assert (ds["name"], ds["digest"], ds["source_type"], ds["source"]) == tuple(w)[:4]
        assert {t["key"]: t["value"] for t in got.get("tags", [])} == {
            t[0]: t[1] for t in imported.db.execute("SELECT name, value FROM input_tags WHERE input_uuid = ?",
                                                     (w["input_uuid"],))}


def test_runs_through_search_and_get(imported):
    runs = search_all_runs(imported)
    assert len(runs) == imported.db.execute("SELECT count(*) FROM runs").fetchone()[0]
    assert len({r["info"]["run_id"] for r in runs}) == len(runs)
    for run in runs:
        check_run(imported, run)
    with_inputs = [r for r in runs if r.get("inputs", {}).get("dataset_inputs")]
    assert len(with_inputs) == imported.db.execute(
        "SELECT count(DISTINCT destination_id) FROM inputs WHERE source_type = 'DATASET'").fetchone()[0]
    deleted = imported.db.execute("SELECT run_uuid FROM runs WHERE lifecycle_stage = 'deleted'").fetchall()
    assert deleted
    for (run_id,) in [*deleted, *imported.db.execute("SELECT run_uuid FROM runs LIMIT 10")]:
        check_run(imported, imported.ok("runs/get", run_id=run_id)["run"])
    # deleted_time is not on the wire; it is kept for gc
    con = sqlite3.connect(f"file:{imported.dest_db}?mode=ro", uri=True)
    kept = dict(con.execute("SELECT run_uuid, deleted_time FROM runs"))
    con.close()
    for r in imported.db.execute("SELECT run_uuid, deleted_time FROM runs"):
        assert kept[r[0]] == r[1]


def test_metric_history_of_long_and_non_finite_keys(imported):
    picks = imported.db.execute(
        "SELECT run_uuid, key FROM metrics GROUP BY run_uuid, key HAVING count(*) >= 5000 LIMIT 3").fetchall()
    assert len(picks) == 3
    picks += imported.db.execute("SELECT DISTINCT run_uuid, key FROM metrics WHERE key = 'weird' LIMIT 2").fetchall()
    picks += imported.db.execute("SELECT DISTINCT run_uuid, key FROM metrics WHERE key = 'acc' LIMIT 2").fetchall()
    for run_id, key in picks:
        got = imported.ok("metrics/get-history", run_id=run_id, metric_key=key)["metrics"]
        want = imported.db.execute(
            "SELECT value, timestamp, step, is_nan FROM metrics WHERE run_uuid = ? AND key = ? "
            "ORDER BY timestamp, step, value", (run_id, key)).fetchall()
        assert len(got) == len(want), (run_id, key)
        got_sorted = sorted(got, key=lambda m: (int(m["timestamp"]), int(m["step"])))
        for g, w in zip(got_sorted, want):
            assert (int(g["timestamp"]), int(g["step"])) == (w["timestamp"], w["step"])
            assert same_number(g["value"], expected_value(w)), (key, g, dict(w))
    weird = imported.ok("metrics/get-history", run_id=picks[3][0], metric_key="weird")["metrics"]
    values = {int(m["step"]): m["value"] for m in weird}
    assert values[0] == "NaN"
    assert values[1] == 1.7976931348623157e308 and values[2] == -1.7976931348623157e308


# ---- registry ----------------------------------------------------------------------------------------

def test_registered_models_versions_stages_aliases_tags(imported):
    got = imported.ok("registered-models/search", max_results=1000)["registered_models"]
    got = [m for m in got if m["name"] != "after-import-model"]
    rows = imported.db.execute("SELECT * FROM registered_models ORDER BY name").fetchall()
    assert sorted(m["name"] for m in got) == [r["name"] for r in rows]
    for r in rows:
        m = imported.ok("registered-models/get", name=r["name"])["registered_model"]
        assert text(m.get("description")) == text(r["description"])
        assert int(m["creation_timestamp"]) == r["creation_time"]
        assert {t["key"]: t["value"] for t in m.get("tags", [])} == {
            t[0]: text(t[1]) for t in imported.db.execute(
                "SELECT key, value FROM registered_model_tags WHERE name = ?", (r["name"],))}
        assert {a["alias"]: a["version"] for a in m.get("aliases", [])} == {
            a[0]: str(a[1]) for a in imported.db.execute(
                "SELECT alias, version FROM registered_model_aliases WHERE name = ?", (r["name"],))}
        versions = imported.ok("model-versions/search", filter=f"name='{r['name']}'",
                               max_results=1000)["model_versions"]
        versions = [v for v in versions if v["source"] != "runs:/x/model"]  # made by another test
        want = imported.db.execute("SELECT * FROM model_versions WHERE name = ? AND current_stage != "
                                   "'Deleted_Internal' ORDER BY version", (r["name"],)).fetchall()
        assert sorted(int(v["version"]) for v in versions) == [w["version"] for w in want]
        for w in want:
            v = imported.ok("model-versions/get", name=r["name"], version=str(w["version"]))["model_version"]
            assert v["current_stage"] == w["current_stage"]
            assert v["source"] == w["source"]
            assert text(v.get("run_id")) == text(w["run_id"])
            assert v["status"] == w["status"]
            assert text(v.get("description")) == text(w["description"])
            assert int(v["creation_timestamp"]) == w["creation_time"]
            assert int(v["last_updated_timestamp"]) == w["last_updated_time"]
            assert {t["key"]: t["value"] for t in v.get("tags", [])} == {
                t[0]: text(t[1]) for t in imported.db.execute(
                    "SELECT key, value FROM model_version_tags WHERE name = ? AND version = ?",
                    (r["name"], w["version"]))}
        for alias, version in imported.db.execute(
                "SELECT alias, version FROM registered_model_aliases WHERE name = ?", (r["name"],)):
            v = imported.ok("registered-models/alias", name=r["name"], alias=alias)["model_version"]
            assert v["version"] == str(version)
        for stage in ("Staging", "Production"):
            latest = imported.post("registered-models/get-latest-versions",
                                   {"name": r["name"], "stages": [stage]}).get("model_versions", [])
            top = imported.db.execute("SELECT max(version) FROM model_versions WHERE name = ? AND current_stage = ?",
                                      (r["name"], stage)).fetchone()[0]
            assert [int(v["version"]) for v in latest] == ([top] if top else [])
    # MLflow deletes a registered model outright: fx-model-0 is in neither store
    assert not imported.db.execute("SELECT 1 FROM registered_models WHERE name = 'fx-model-0'").fetchone()
    r = imported.get("registered-models/get", name="fx-model-0")
    assert r.status_code == 404 and r.json()["error_code"] == "RESOURCE_DOES_NOT_EXIST"


# ---- artifacts -----------------------------------------------------------------------------------------

def test_artifact_listings_and_bytes_through_the_proxy(imported):
    root = imported.src / "artifacts"
    files = [p for p in root.rglob("*") if p.is_file()]
    assert files
    for f in files:
        rel = f.relative_to(root).as_posix()
        r = requests.get(f"{imported.server.url}/api/2.0/mlflow-artifacts/artifacts/{rel}", timeout=30)
        assert r.status_code == 200, (rel, r.text)
        assert r.content == f.read_bytes(), rel
    checked = 0
    for exp_dir in root.iterdir():
        for run_dir in exp_dir.iterdir():
            art = run_dir / "artifacts"
            if not art.is_dir():
                continue
            for d in [art, *[p for p in art.rglob("*") if p.is_dir()]]:
                path = d.relative_to(art).as_posix()
                params = {"run_id": run_dir.name}
                if path != ".":
                    params["path"] = path
                listing = imported.ok("artifacts/list", **params).get("files", [])
                want = sorted(((p.relative_to(art).as_posix(), p.is_dir(), None if p.is_dir() else p.stat().st_size)
                               for p in d.iterdir()))
                got = sorted((e["path"], e["is_dir"], int(e["file_size"]) if "file_size" in e else None)
                             for e in listing)
                assert got == want, (run_dir.name, path)
                checked += 1
    assert checked


def test_a_registered_models_mlmodel_through_the_proxy(imported):
    row = imported.db.execute("SELECT name, version, source FROM model_versions WHERE source LIKE "
                              "'mlflow-artifacts:%' ORDER BY name LIMIT 1").fetchone()
    if imported.version == "3.9":
        assert row is None  # that client could not log models (the fixtures' README)
        return
    uri = imported.ok("model-versions/get-download-uri", name=row["name"], version=str(row["version"]))
    assert uri["artifact_uri"] == row["source"]
    rel = row["source"][len("mlflow-artifacts:/"):]
    r = requests.get(f"{imported.server.url}/api/2.0/mlflow-artifacts/artifacts/{rel}/MLmodel", timeout=30)
    assert r.status_code == 200
    assert r.content == (imported.src / "artifacts" / rel / "MLmodel").read_bytes()
    assert b"flavors:" in r.content


# ---- twice, interrupted, refused ---------------------------------------------------------------------

@pytest.mark.parametrize("version", VERSIONS)
def test_a_second_import_changes_nothing(mlflowc_bin, tmp_path, version):
    src = copy_fixture(version, tmp_path / "old")
    dest = tmp_path / "mlflow.db"
    art = tmp_path / "mlartifacts"
    first = run_import(mlflowc_bin, tmp_path, src / "mlflow.db", dest, src / "artifacts", art)
    assert first.returncode == 0, first.stderr
    before = dump_store(dest)
    files = {p: p.stat().st_mtime_ns for p in art.rglob("*") if p.is_file()}
    second = run_import(mlflowc_bin, tmp_path, src / "mlflow.db", dest, src / "artifacts", art)
    assert second.returncode == 0, second.stderr
    assert second.stdout == first.stdout
    assert dump_store(dest) == before
    assert {p: p.stat().st_mtime_ns for p in art.rglob("*") if p.is_file()} == files  # nothing copied again
    assert f"{len(files)} already there" in second.stderr


def grow_source(db_path, points):
    """Adds `points` metric points to one run of each of experiments 1-3 (with their latest
    rows), so that an import takes long enough to be cut in the middle."""
    con = sqlite3.connect(db_path)
    per_run = points // 3
    for exp in (1, 2, 3):
        (run,) = con.execute("SELECT run_uuid FROM runs WHERE experiment_id = ? LIMIT 1", (exp,)).fetchone()
        con.executemany("INSERT INTO metrics(key, value, timestamp, run_uuid, step, is_nan) VALUES(?, ?, ?, ?, ?, 0)",
                        ((f"bulk", i * 0.5, 1700000000000 + i, run, i) for i in range(per_run)))
        con.execute("INSERT INTO latest_metrics(key, value, timestamp, step, is_nan, run_uuid) VALUES(?, ?, ?, ?, 0, ?)",
                    ("bulk", (per_run - 1) * 0.5, 1700000000000 + per_run - 1, per_run - 1, run))
    con.commit()
    con.close()


def test_a_killed_import_run_again_ends_in_the_same_store(mlflowc_bin, tmp_path):
    src = copy_fixture("2.17", tmp_path / "old")
    grow_source(src / "mlflow.db", 900_000)
    reference = tmp_path / "reference.db"
    done = run_import(mlflowc_bin, tmp_path, src / "mlflow.db", reference, src / "artifacts", tmp_path / "ref-art")
    assert done.returncode == 0, done.stderr + done.stdout

    dest = tmp_path / "mlflow.db"
    cmd = [str(mlflowc_bin), "import", "--from", f"sqlite:///{src / 'mlflow.db'}", "--backend-store-uri",
           f"sqlite:///{dest}", "--artifacts-from", str(src / "artifacts"),
           "--artifacts-destination", str(tmp_path / "art")]
    proc = subprocess.Popen(cmd, cwd=tmp_path, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    deadline = time.monotonic() + 120
    committed = 0
    try:
        while time.monotonic() < deadline and proc.poll() is None:
            if dest.exists():
                try:
                    con = sqlite3.connect(f"file:{dest}?mode=ro", uri=True, timeout=1)
                    committed = con.execute("SELECT count(*) FROM experiments WHERE experiment_id = 1").fetchone()[0]
                    con.close()
                except sqlite3.Error:
                    committed = 0
            if committed:
                proc.send_signal(signal.SIGKILL)
                break
            time.sleep(0.005)
    finally:
        if proc.poll() is None and not committed:
            proc.kill()
        proc.wait()
    assert proc.returncode == -signal.SIGKILL, "the import ended before it could be cut"
    con = sqlite3.connect(f"file:{dest}?mode=ro", uri=True)
    part = con.execute("SELECT count(*) FROM experiments").fetchone()[0]
    con.close()
    assert part < 6  # cut in the middle: some experiments in, not all

    again = run_import(mlflowc_bin, tmp_path, src / "mlflow.db", dest, src / "artifacts", tmp_path / "art")
    assert again.returncode == 0, again.stderr + again.stdout
    assert report_rows(again.stdout) == report_rows(done.stdout)
    assert dump_store(dest) == dump_store(reference)
    old_art, new_art = src / "artifacts", tmp_path / "art"
    want = {p.relative_to(old_art): p.read_bytes() for p in old_art.rglob("*") if p.is_file()}
    assert {p.relative_to(new_art): p.read_bytes() for p in new_art.rglob("*") if p.is_file()} == want


def test_a_source_that_is_not_mlflows_is_refused(mlflowc_bin, tmp_path):
    (tmp_path / "notes.db").write_text("not a database\n")
    con = sqlite3.connect(tmp_path / "shop.db")
    con.execute("CREATE TABLE inventory (sku TEXT)")
    con.commit()
    con.close()
    for name, says in (("notes.db", "is not an MLflow database"), ("shop.db", "is not an MLflow database"),
                       ("missing.db", "does not exist")):
        before = (tmp_path / name).read_bytes() if (tmp_path / name).exists() else None
        r = run_import(mlflowc_bin, tmp_path, tmp_path / name, tmp_path / "new.db")
        assert r.returncode == 1, r
        assert says in r.stderr, r.stderr
        assert r.stderr.startswith("mlflowc import: ")
        assert not (tmp_path / "new.db").exists()  # nothing made on the way
        if before is not None:
            assert (tmp_path / name).read_bytes() == before
    r = subprocess.run([str(mlflowc_bin), "import", "--backend-store-uri", "sqlite:///x.db"], cwd=tmp_path,
                       capture_output=True, text=True, timeout=COMMAND_TIMEOUT)
    assert r.returncode == 2 and "--from" in r.stderr


def test_a_newer_unknown_schema_revision_is_refused(mlflowc_bin, tmp_path):
    src = copy_fixture("3.9", tmp_path / "old")
    con = sqlite3.connect(src / "mlflow.db")
    con.execute("UPDATE alembic_version SET version_num = 'ffffeeee9999'")
    con.commit()
    con.close()
    before = sha256(src / "mlflow.db")
    r = run_import(mlflowc_bin, tmp_path, src / "mlflow.db", tmp_path / "new.db", src / "artifacts",
                   tmp_path / "art")
    assert r.returncode == 1
    assert "revision 'ffffeeee9999', which this mlflowc does not know" in r.stderr, r.stderr
    assert sha256(src / "mlflow.db") == before
    assert not (tmp_path / "new.db").exists() and not (tmp_path / "art").exists()


def test_the_destination_must_not_be_mlflows_database(mlflowc_bin, tmp_path):
    src = copy_fixture("2.17", tmp_path / "old")
    before = sha256(src / "mlflow.db")
    r = run_import(mlflowc_bin, tmp_path, src / "mlflow.db", src / "mlflow.db")
    assert r.returncode == 1 and "a database written by MLflow" in r.stderr, r.stderr
    assert sha256(src / "mlflow.db") == before


def test_dry_run_counts_and_writes_nothing(mlflowc_bin, tmp_path):
    src = copy_fixture("2.17", tmp_path / "old")
    r = run_import(mlflowc_bin, tmp_path, src / "mlflow.db", tmp_path / "new.db", src / "artifacts",
                   tmp_path / "art", "--dry-run")
    assert r.returncode == 0, r.stderr
    assert "dry run" in r.stdout
    lines = {l.split()[0]: l.split()[1:] for l in r.stdout.splitlines()[2:] if l.split()}
    assert lines["metrics"] == ["78840"] and lines["runs"] == ["126"]
    assert not (tmp_path / "new.db").exists() and not (tmp_path / "art").exists()


# ---- locations, gaps, logged models -------------------------------------------------------------------

def localise(db_path, old_root):
    """Turns the fixture's mlflow-artifacts:/ locations into local ones below `old_root`, as a
    server without the proxy would have written them (half as file:// URIs, half as paths)."""
    con = sqlite3.connect(db_path)
    con.execute("UPDATE experiments SET artifact_location = ? || '/' || experiment_id WHERE experiment_id % 2 = 0",
                (str(old_root),))
    con.execute("UPDATE experiments SET artifact_location = 'file://' || ? || '/' || experiment_id "
                "WHERE experiment_id % 2 = 1", (str(old_root),))
    con.execute("UPDATE runs SET artifact_uri = (SELECT artifact_location FROM experiments e WHERE "
                "e.experiment_id = runs.experiment_id) || '/' || run_uuid || '/artifacts'")
    con.commit()
    con.close()


@pytest.mark.parametrize("keep", [False, True], ids=["rewritten", "kept"])
def test_local_artifact_locations_are_rewritten_or_kept(mlflowc_bin, tmp_path, keep):
    src = copy_fixture("2.17", tmp_path / "old")
    old_root = (src / "artifacts").resolve()
    localise(src / "mlflow.db", old_root)
    art = (tmp_path / "new-art").resolve()
    extra = ["--keep-artifact-locations"] if keep else []
    r = run_import(mlflowc_bin, tmp_path, src / "mlflow.db", tmp_path / "new.db", src / "artifacts", art, *extra)
    assert r.returncode == 0, r.stderr + r.stdout
    old = source_db(src / "mlflow.db")
    con = sqlite3.connect(tmp_path / "new.db")
    for exp_id, location in old.execute("SELECT experiment_id, artifact_location FROM experiments"):
        (now,) = con.execute("SELECT artifact_location FROM experiments WHERE experiment_id = ?",
                             (exp_id,)).fetchone()
        assert now == (location if keep else location.replace(str(old_root), str(art)))
    for run_id, uri in old.execute("SELECT run_uuid, artifact_uri FROM runs"):
        (now,) = con.execute("SELECT artifact_uri FROM runs WHERE run_uuid = ?", (run_id,)).fetchone()
        assert now == (uri if keep else uri.replace(str(old_root), str(art)))
    con.close()
    old.close()
    copied = sorted(p.relative_to(art).as_posix() for p in art.rglob("*") if p.is_file()) if art.exists() else []
    want = sorted(p.relative_to(old_root).as_posix() for p in old_root.rglob("*") if p.is_file())
    assert copied == ([] if keep else want)
    if not keep:
        for rel in want:
            assert (art / rel).read_bytes() == (old_root / rel).read_bytes()


def test_deleted_version_gaps_stay_gaps(mlflowc_bin, tmp_path):
    src = copy_fixture("2.17", tmp_path / "old")
    con = sqlite3.connect(src / "mlflow.db")
    # what MLflow's delete_model_version leaves: the row, redacted, in stage Deleted_Internal
    con.execute("UPDATE model_versions SET current_stage = 'Deleted_Internal', source = 'REDACTED-SOURCE-PATH', "
                "run_id = 'REDACTED-RUN-ID', description = NULL, user_id = NULL WHERE name = 'fx-model-4' "
                "AND version IN (2, 5)")
    con.commit()
    con.close()
    dest = tmp_path / "new.db"
    r = run_import(mlflowc_bin, tmp_path, src / "mlflow.db", dest, src / "artifacts", tmp_path / "art")
    assert r.returncode == 0, r.stderr + r.stdout
    port = free_local_port()
    server = launch_server([mlflowc_bin, "server", "--backend-store-uri", f"sqlite:///{dest}",
                            "--artifacts-destination", tmp_path / "art", "--port", str(port)], port, tmp_path)
    try:
        api = f"{server.url}/api/2.0/mlflow"
        got = requests.get(f"{api}/model-versions/search", params={"filter": "name='fx-model-4'"}, timeout=30).json()
        assert sorted(int(v["version"]) for v in got["model_versions"]) == [1, 3, 4]
        r = requests.get(f"{api}/model-versions/get", params={"name": "fx-model-4", "version": "2"}, timeout=30)
        assert r.status_code == 404
        new = requests.post(f"{api}/model-versions/create", json={"name": "fx-model-4", "source": "runs:/y/model"},
                            timeout=30).json()
        assert new["model_version"]["version"] == "6"  # never a deleted number again
    finally:
        stop_server(server)


def test_logged_models_and_their_run_links(mlflowc_bin, tmp_path):
    src = copy_fixture("3.9", tmp_path / "old")
    con = sqlite3.connect(src / "mlflow.db")
    run_id, exp_id = con.execute("SELECT run_uuid, experiment_id FROM runs WHERE experiment_id = 1 "
                                 "LIMIT 1").fetchone()
    model_id = "m-" + "ab" * 16
    con.execute("INSERT INTO logged_models VALUES(?, ?, 'fx-logged', ?, 1700000000000, 1700000000500, 2, 'active', "
                "'agent', ?, NULL)", (model_id, exp_id, f"mlflow-artifacts:/{exp_id}/models/{model_id}/artifacts",
                                      run_id))
    con.execute("INSERT INTO logged_model_params VALUES(?, ?, 'alpha', '0.5')", (model_id, exp_id))
    con.execute("INSERT INTO logged_model_tags VALUES(?, ?, 'team', 'vision')", (model_id, exp_id))
    con.execute("INSERT INTO logged_model_metrics VALUES(?, 'score', 1700000000100, 3, 0.75, ?, ?, NULL, NULL, NULL)",
                (model_id, exp_id, run_id))
    con.execute("INSERT INTO inputs VALUES('edge1', 'RUN_OUTPUT', ?, 'MODEL_OUTPUT', ?, 3)", (run_id, model_id))
    con.commit()
    con.close()
    dest = tmp_path / "new.db"
    r = run_import(mlflowc_bin, tmp_path, src / "mlflow.db", dest, src / "artifacts", tmp_path / "art")
    assert r.returncode == 0, r.stderr + r.stdout
    rows = report_rows(r.stdout)
    for table in ("logged_models", "logged_model_params", "logged_model_tags", "logged_model_metrics",
                  "inputs (models)"):
        assert rows[table] == (1, 1), (table, r.stdout)
    port = free_local_port()
    server = launch_server([mlflowc_bin, "server", "--backend-store-uri", f"sqlite:///{dest}",
                            "--artifacts-destination", tmp_path / "art", "--port", str(port)], port, tmp_path)
    try:
        got = requests.get(f"{server.url}/api/2.0/mlflow/logged-models/{model_id}", timeout=30)
        assert got.status_code == 200, got.text
        model = got.json()["model"]
        assert model["info"]["name"] == "fx-logged"
        assert model["info"]["source_run_id"] == run_id
        assert model["info"]["experiment_id"] == str(exp_id)
        assert int(model["info"]["creation_timestamp_ms"]) == 1700000000000
        assert {p["key"]: p["value"] for p in model["data"]["params"]} == {"alpha": "0.5"}
        assert {t["key"]: t["value"] for t in model["info"]["tags"]} == {"team": "vision"}
        assert [(m["key"], m["value"], int(m["step"])) for m in model["data"]["metrics"]] == [("score", 0.75, 3)]
        run = requests.get(f"{server.url}/api/2.0/mlflow/runs/get", params={"run_id": run_id}, timeout=30).json()
        outputs = run["run"].get("outputs", {}).get("model_outputs", [])
        assert [(o["model_id"], int(o["step"])) for o in outputs] == [(model_id, 3)]
    finally:
        stop_server(server)


def test_a_terminal_gets_a_progress_line_with_rates(mlflowc_bin, tmp_path):
    import pty
    src = copy_fixture("2.17", tmp_path / "old")
    controller, terminal = pty.openpty()
    cmd = [str(mlflowc_bin), "import", "--from", f"sqlite:///{src / 'mlflow.db'}",
           "--backend-store-uri", f"sqlite:///{tmp_path / 'new.db'}"]
    proc = subprocess.Popen(cmd, cwd=tmp_path, stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL,
                            stderr=terminal)
    os.close(terminal)
    seen = b""
    deadline = time.monotonic() + COMMAND_TIMEOUT
    while time.monotonic() < deadline:
        try:
            chunk = os.read(controller, 4096)
        except OSError:  # the other end closed
            break
        if not chunk:
            break
        seen += chunk
    os.close(controller)
    assert proc.wait(timeout=COMMAND_TIMEOUT) == 0
    line = seen.decode(errors="replace")
    assert "\r" in line and "points/s" in line and "runs/s" in line, line
    assert "experiments 6/6" in line, line


def test_experiments_already_in_the_destination_are_not_overwritten(mlflowc_bin, tmp_path):
    src = copy_fixture("2.17", tmp_path / "old")
    dest = tmp_path / "new.db"
    made = subprocess.run([str(mlflowc_bin), "experiments", "create", "--tracking-uri", f"sqlite:///{dest}",
                           "--experiment-name", "someone-else"], cwd=tmp_path, capture_output=True, text=True,
                          timeout=COMMAND_TIMEOUT)
    assert made.returncode == 0, made.stderr
    r = run_import(mlflowc_bin, tmp_path, src / "mlflow.db", dest)
    assert r.returncode == 1
    assert ("the destination already has experiment 1 named 'someone-else', where the source has experiment 1 "
            "named 'fx-vision'") in r.stderr, r.stderr
    con = sqlite3.connect(dest)
    assert con.execute("SELECT name FROM experiments WHERE experiment_id = 1").fetchone() == ("someone-else",)
    assert con.execute("SELECT count(*) FROM runs WHERE experiment_id = 1").fetchone() == (0,)
    con.close()


def test_an_mlflow_1_30_schema_imports_by_the_columns_it_has(mlflowc_bin, tmp_path):
    """MLflow 1.30's database (revision cc1f77228345) lacks what later migrations added:
    experiments' times, versions' storage_location, aliases, datasets and inputs, traces."""
    src = copy_fixture("2.17", tmp_path / "old")
    con = sqlite3.connect(src / "mlflow.db")
    for table in ("registered_model_aliases", "input_tags", "inputs", "datasets", "trace_tags",
                  "trace_request_metadata", "trace_info"):
        con.execute(f'DROP TABLE "{table}"')
    for table, column in (("experiments", "creation_time"), ("experiments", "last_update_time"),
                          ("model_versions", "storage_location")):
        con.execute(f'ALTER TABLE "{table}" DROP COLUMN "{column}"')
    con.execute("UPDATE alembic_version SET version_num = 'cc1f77228345'")
    con.commit()
    con.close()
    dest = tmp_path / "new.db"
    r = run_import(mlflowc_bin, tmp_path, src / "mlflow.db", dest)
    assert r.returncode == 0, r.stderr + r.stdout
    rows = report_rows(r.stdout)
    assert rows["runs"] == (126, 126) and rows["metrics"] == (78840, 78840)
    assert "datasets" not in rows and "registered_model_aliases" not in rows  # printed as "-"
    assert "schema revision cc1f77228345" in r.stdout
    con = sqlite3.connect(dest)
    assert con.execute("SELECT count(*) FROM experiments WHERE creation_time IS NOT NULL AND experiment_id > 0"
                       ).fetchone() == (0,)
    assert con.execute("SELECT count(*) FROM model_versions WHERE storage_location IS NOT NULL").fetchone() == (0,)
    assert con.execute("SELECT count(*) FROM runs WHERE deleted_time IS NOT NULL").fetchone()[0] > 0
    con.close()


def test_rows_that_cannot_come_over_make_the_import_fail(mlflowc_bin, tmp_path):
    # SQLite does not enforce MLflow's foreign keys: a param of a run that does not exist
    src = copy_fixture("2.17", tmp_path / "old")
    con = sqlite3.connect(src / "mlflow.db")
    con.execute("INSERT INTO params VALUES ('orphan', '1', 'ffffffffffffffffffffffffffffffff')")
    con.commit()
    con.close()
    r = run_import(mlflowc_bin, tmp_path, src / "mlflow.db", tmp_path / "new.db")
    assert r.returncode == 1
    assert "params" in r.stdout and "MISMATCH" in r.stdout
    line = [l for l in r.stdout.splitlines() if l.startswith("params ")][0]
    assert line.split()[1:3] == ["484", "483"]
    assert "table params: the source has 484 rows, 483 were imported" in r.stderr


def test_latest_metrics_are_recomputed_and_differences_from_mlflows_table_reported(mlflowc_bin, tmp_path):
    src = copy_fixture("2.17", tmp_path / "old")
    con = sqlite3.connect(src / "mlflow.db")
    run_id, = con.execute("SELECT run_uuid FROM latest_metrics WHERE key = 'loss' LIMIT 1").fetchone()
    con.execute("UPDATE latest_metrics SET value = 12345.0, step = 0 WHERE key = 'loss' AND run_uuid = ?", (run_id,))
    con.commit()
    (step, value), = con.execute("SELECT step, value FROM metrics WHERE key = 'loss' AND run_uuid = ? "
                                 "ORDER BY step DESC, timestamp DESC, value DESC LIMIT 1", (run_id,)).fetchall()
    con.close()
    dest = tmp_path / "new.db"
    r = run_import(mlflowc_bin, tmp_path, src / "mlflow.db", dest)
    assert r.returncode == 0, r.stderr + r.stdout
    assert "latest metrics differing from MLflow's latest_metrics table: 1" in r.stdout
    con = sqlite3.connect(dest)
    got = con.execute("SELECT l.step, l.value FROM latest_metrics l JOIN runs USING (run_pk) JOIN metric_keys k "
                      "USING (key_id) WHERE run_uuid = ? AND k.key = 'loss'", (run_id,)).fetchone()
    con.close()
    assert got == (step, value)  # by the history, not by the doctored table


def test_a_row_the_store_refuses_rolls_back_its_experiment_and_is_named(mlflowc_bin, tmp_path):
    src = copy_fixture("2.17", tmp_path / "old")
    con = sqlite3.connect(src / "mlflow.db")
    con.execute("PRAGMA ignore_check_constraints = 1")
    run_id, = con.execute("SELECT run_uuid FROM runs WHERE experiment_id = 2 ORDER BY start_time DESC LIMIT 1"
                          ).fetchone()
    con.execute("UPDATE runs SET status = 'WEIRD' WHERE run_uuid = ?", (run_id,))
    con.commit()
    con.close()
    dest = tmp_path / "new.db"
    r = run_import(mlflowc_bin, tmp_path, src / "mlflow.db", dest)
    assert r.returncode == 1
    assert f"mlflowc import: experiment 2 (rolled back): run {run_id}: " in r.stderr, r.stderr
    con = sqlite3.connect(dest)
    assert [e for (e,) in con.execute("SELECT experiment_id FROM experiments ORDER BY 1")] == [0, 1]
    assert con.execute("SELECT count(*) FROM runs WHERE experiment_id = 2").fetchone() == (0,)
    con.close()

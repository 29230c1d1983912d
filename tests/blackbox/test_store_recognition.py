"""What the server does with the file or directory --backend-store-uri names, before it
changes anything (src/store/store_probe.c): a database MLflow wrote, a file that is not
SQLite, a SQLite file with other tables, MLflow's file store (`mlruns`, by name or as a
directory) and a file: URI are refused with one line on stderr and a non-zero exit, and
the directory is left byte for byte as it was (no -wal/-shm, no artifact directory, no
`mlruns` file). A missing file, a 0-byte file and a database mlflowc made are opened.

Real MLflow 2.17 and 3.9 SQLite stores and a 2.17 file store are checked too when the
shared fixtures are there (`../shared/fixtures/mlflow-stores`, or $MLFLOWC_SHARED).
"""

import hashlib
import json
import os
import shutil
import sqlite3
import subprocess
import urllib.request
from pathlib import Path

import pytest

from conftest import (launch_server, READINESS_POLL_SECONDS, READINESS_TIMEOUT_SECONDS, REPO_ROOT,
                      free_local_port, health_is_ok, stop_server)

MLFLOW_REVISION = "f5a4f2784254"  # MLflow 2.17's alembic head
NEW_FILE_ADVICE = "e.g. --backend-store-uri sqlite:///mlflowc.db"
# what an MLflow database's refusal says to run instead (mlflowc import, tests/blackbox/test_import.py)
IMPORT_ADVICE = ("copy its data into a new database with: mlflowc import --from sqlite:///<this file> "
                 "--artifacts-from <its artifacts directory> --backend-store-uri sqlite:///mlflowc.db "
                 "--artifacts-destination ./mlartifacts")
FILE_STORE_ADVICE = "MLflow's file store is not supported as a backend store"


def fixtures_dir():
    shared = Path(os.environ.get("MLFLOWC_SHARED", REPO_ROOT.parent / "shared"))
    stores = shared / "fixtures" / "mlflow-stores"
    if not stores.is_dir():
        pytest.skip(f"{stores} not found: the real MLflow stores are checked where ../shared exists (CI)")
    return stores


def snapshot(root):
    """Every entry under `root`: directories by name, files by their bytes' digest."""
    entries = {}
    for path in sorted(root.rglob("*")):
        rel = str(path.relative_to(root))
        if path.is_dir():
            entries[rel] = "dir"
        else:
            entries[rel] = hashlib.sha256(path.read_bytes()).hexdigest()
    return entries


def server_command(binary, uri, port, *extra):
    return [str(binary), "server", "--backend-store-uri", uri, "--host", "127.0.0.1", "--port", str(port),
            *extra]


def start_refused(binary, tmp_path, work, uri, *extra):
    """Starts the server in `work` on `uri`; it must exit by itself without serving.
    Returns (exit code, stderr lines, stdout text). Logs live outside `work`."""
    port = free_local_port()
    out, err = tmp_path / "refused.stdout", tmp_path / "refused.stderr"
    with open(out, "wb") as o, open(err, "wb") as e:
        proc = subprocess.Popen(server_command(binary, uri, port, *extra), cwd=work,
                                stdin=subprocess.DEVNULL, stdout=o, stderr=e)
    polls = int(READINESS_TIMEOUT_SECONDS / READINESS_POLL_SECONDS)
    try:
        for _ in range(polls):
            if proc.poll() is not None:
                break
            if health_is_ok(port):
                pytest.fail(f"the server started on {uri} instead of refusing it:\n"
                            + err.read_text(errors="replace"))
            try:
                proc.wait(timeout=READINESS_POLL_SECONDS)
            except subprocess.TimeoutExpired:
                pass
        else:
            pytest.fail(f"the server neither exited nor served on {uri}")
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait()
    return proc.returncode, err.read_text(errors="replace").splitlines(), out.read_text(errors="replace")


def assert_refused(binary, tmp_path, work, uri, *expected, extra=()):
    """A refused start: exit 1, exactly one stderr line holding each of `expected`,
    nothing on stdout, and `work` unchanged down to the bytes."""
    before = snapshot(work)
    code, lines, stdout = start_refused(binary, tmp_path, work, uri, *extra)
    assert code == 1, (code, lines)
    assert len(lines) == 1, lines
    assert lines[0].startswith("mlflowc server: "), lines
    for fragment in expected:
        assert fragment in lines[0], (fragment, lines[0])
    assert stdout == ""
    assert snapshot(work) == before
    assert not [p for p in work.rglob("*") if p.name.endswith(("-wal", "-shm", "-journal"))]
    return lines[0]


def start_serving(binary, tmp_path, work, uri, *extra):
    port = free_local_port()
    return launch_server(server_command(binary, uri, port, *extra), port, work, log_dir=tmp_path, append=True)


def call(server, endpoint, body=None):
    data = json.dumps(body).encode() if body is not None else None
    req = urllib.request.Request(f"{server.url}/api/2.0/mlflow/{endpoint}", data=data,
                                 headers={"Content-Type": "application/json"} if data else {})
    with urllib.request.urlopen(req, timeout=30) as resp:
        return json.loads(resp.read() or b"{}")


def mlflowc_schema(db):
    con = sqlite3.connect(f"file:{db}?mode=ro", uri=True)
    try:
        version = con.execute("PRAGMA user_version").fetchone()[0]
        tables = {r[0] for r in con.execute("SELECT name FROM sqlite_master WHERE type = 'table'")}
    finally:
        con.close()
    return version, tables


def build_mlflow_db(path, revision=MLFLOW_REVISION, journal_mode="delete"):
    """A small database shaped like what MLflow's SQL store writes: its alembic marker and
    the core tracking tables with a Default experiment and one run."""
    con = sqlite3.connect(path)
    con.execute(f"PRAGMA journal_mode={journal_mode}")
    con.executescript(f"""
        CREATE TABLE alembic_version (version_num VARCHAR(32) NOT NULL,
            CONSTRAINT alembic_version_pkc PRIMARY KEY (version_num));
        INSERT INTO alembic_version VALUES ('{revision}');
        CREATE TABLE experiments (experiment_id INTEGER NOT NULL, name VARCHAR(256) NOT NULL,
            artifact_location VARCHAR(256), lifecycle_stage VARCHAR(32), creation_time BIGINT,
            last_update_time BIGINT, CONSTRAINT experiment_pk PRIMARY KEY (experiment_id), UNIQUE (name));
        CREATE TABLE experiment_tags (key VARCHAR(250) NOT NULL, value VARCHAR(5000),
            experiment_id INTEGER NOT NULL, PRIMARY KEY (key, experiment_id));
        CREATE TABLE runs (run_uuid VARCHAR(32) NOT NULL, name VARCHAR(250), source_type VARCHAR(20),
            source_name VARCHAR(500), entry_point_name VARCHAR(50), user_id VARCHAR(256), status VARCHAR(9),
            start_time BIGINT, end_time BIGINT, source_version VARCHAR(50), lifecycle_stage VARCHAR(20),
            artifact_uri VARCHAR(200), experiment_id INTEGER, deleted_time BIGINT,
            CONSTRAINT run_pk PRIMARY KEY (run_uuid));
        CREATE TABLE metrics (key VARCHAR(250) NOT NULL, value FLOAT NOT NULL, timestamp BIGINT NOT NULL,
            run_uuid VARCHAR(32) NOT NULL, step BIGINT DEFAULT '0' NOT NULL, is_nan BOOLEAN DEFAULT '0' NOT NULL,
            PRIMARY KEY (key, timestamp, step, run_uuid, value, is_nan));
        CREATE TABLE latest_metrics (key VARCHAR(250) NOT NULL, value FLOAT NOT NULL, timestamp BIGINT,
            step BIGINT NOT NULL, is_nan BOOLEAN NOT NULL, run_uuid VARCHAR(32) NOT NULL,
            PRIMARY KEY (key, run_uuid));
        CREATE TABLE params (key VARCHAR(250) NOT NULL, value VARCHAR(8000) NOT NULL,
            run_uuid VARCHAR(32) NOT NULL, PRIMARY KEY (key, run_uuid));
        CREATE TABLE tags (key VARCHAR(250) NOT NULL, value VARCHAR(8000), run_uuid VARCHAR(32) NOT NULL,
            PRIMARY KEY (key, run_uuid));
        INSERT INTO experiments VALUES (0, 'Default', './mlruns/0', 'active', 1700000000000, 1700000000000);
        INSERT INTO runs VALUES ('0123456789abcdef0123456789abcdef', 'r', 'LOCAL', 'x', '', 'u', 'FINISHED',
            1700000000000, 1700000001000, '', 'active', './mlruns/0/0123456789abcdef0123456789abcdef/artifacts',
            0, NULL);
        INSERT INTO metrics VALUES ('loss', 0.5, 1700000000500, '0123456789abcdef0123456789abcdef', 0, 0);
    """)
    con.commit()
    con.close()


@pytest.fixture
def work(tmp_path):
    w = tmp_path / "work"
    w.mkdir()
    return w


@pytest.mark.parametrize("absolute", [False, True], ids=["relative", "absolute"])
def test_mlflow_database_is_refused_unchanged(mlflowc_bin, tmp_path, work, absolute):
    build_mlflow_db(work / "mlflow.db")
    uri = f"sqlite:///{work}/mlflow.db" if absolute else "sqlite:///mlflow.db"
    name = f"{work}/mlflow.db" if absolute else "mlflow.db"
    line = assert_refused(mlflowc_bin, tmp_path, work, uri,
                          f"'{name}' is a database written by MLflow (alembic revision {MLFLOW_REVISION})",
                          "does not open MLflow's databases in place", IMPORT_ADVICE)
    assert "Internal database error" not in line
    # still in rollback-journal mode, as MLflow left it
    con = sqlite3.connect(f"file:{work}/mlflow.db?mode=ro", uri=True)
    assert con.execute("PRAGMA journal_mode").fetchone()[0] == "delete"
    con.close()


def test_wal_mode_databases_get_no_wal_or_shm(mlflowc_bin, tmp_path, work):
    # a user may have switched MLflow's file to WAL; reading it must not leave -wal/-shm
    build_mlflow_db(work / "mlflow.db", journal_mode="wal")
    con = sqlite3.connect(work / "other.db")
    con.execute("PRAGMA journal_mode=wal")
    con.executescript("CREATE TABLE notes (body TEXT);")
    con.commit()
    con.close()
    assert not [p for p in work.iterdir() if p.name.endswith(("-wal", "-shm"))]
    assert_refused(mlflowc_bin, tmp_path, work, "sqlite:///mlflow.db", "a database written by MLflow")
    assert_refused(mlflowc_bin, tmp_path, work, "sqlite:///other.db", "tables mlflowc did not create")


@pytest.mark.parametrize("version,revision", [("2.17", "f5a4f2784254"), ("3.9", "2c33131f4dae")])
def test_real_mlflow_sqlite_store_is_refused_unchanged(mlflowc_bin, tmp_path, work, version, revision):
    source = fixtures_dir() / f"mlflow-{version}-sqlite" / "mlflow.db"
    shutil.copyfile(source, work / "mlflow.db")  # copyfile: writable, unlike the read-only fixture
    assert_refused(mlflowc_bin, tmp_path, work, "sqlite:///mlflow.db",
                   f"'mlflow.db' is a database written by MLflow (alembic revision {revision})")
    assert (work / "mlflow.db").read_bytes() == source.read_bytes()


def test_text_file_is_refused_unchanged(mlflowc_bin, tmp_path, work):
    (work / "notes.db").write_text("not a database\n")
    assert_refused(mlflowc_bin, tmp_path, work, "sqlite:///notes.db", "'notes.db' is not a SQLite database",
                   NEW_FILE_ADVICE)


def test_sqlite_with_unrelated_tables_is_refused_unchanged(mlflowc_bin, tmp_path, work):
    con = sqlite3.connect(work / "shop.db")
    con.executescript("CREATE TABLE inventory (sku TEXT PRIMARY KEY, count INTEGER);"
                      "INSERT INTO inventory VALUES ('a', 1);")
    con.commit()
    con.close()
    assert_refused(mlflowc_bin, tmp_path, work, "sqlite:///shop.db",
                   "'shop.db' is a SQLite database with tables mlflowc did not create (e.g. table 'inventory')")


def test_file_store_uri_is_refused(mlflowc_bin, tmp_path, work):
    assert_refused(mlflowc_bin, tmp_path, work, f"file://{work}/mlruns", "a file: URI names MLflow's file store",
                   FILE_STORE_ADVICE)
    assert not (work / "mlruns").exists()


@pytest.mark.parametrize("uri", ["mlruns", "./mlruns", "mlruns/"])
def test_bare_mlruns_path_creates_nothing(mlflowc_bin, tmp_path, work, uri):
    assert_refused(mlflowc_bin, tmp_path, work, uri, f"'{uri}' looks like MLflow's file store (it is named mlruns)",
                   FILE_STORE_ADVICE)
    assert list(work.iterdir()) == []
    # without the proxy the default artifact root would be ./mlruns: not made either
    assert_refused(mlflowc_bin, tmp_path, work, uri, "it is named mlruns", extra=("--no-serve-artifacts",))
    assert list(work.iterdir()) == []


def make_file_store(root):
    """Real MLflow 2.17 file store when the fixtures are there, else a minimal one."""
    shared = Path(os.environ.get("MLFLOWC_SHARED", REPO_ROOT.parent / "shared"))
    real = shared / "fixtures" / "mlflow-stores" / "mlflow-2.17-mlruns" / "mlruns"
    if real.is_dir():
        shutil.copytree(real, root)
    else:
        (root / "0").mkdir(parents=True)
        (root / "0" / "meta.yaml").write_text("artifact_location: mlflow-artifacts:/0\nexperiment_id: '0'\n"
                                              "lifecycle_stage: active\nname: Default\n")


@pytest.mark.parametrize("uri,expected", [
    ("mlruns", "'mlruns' looks like MLflow's file store (it is named mlruns)"),
    ("tracking", "'tracking' looks like MLflow's file store (it is a directory)"),
    ("tracking/new.db", "'tracking/new.db' looks like MLflow's file store (its directory holds meta.yaml)"),
    ("sqlite:///tracking", "'tracking' is a directory, not a database file"),
])
def test_existing_file_store_is_refused_unchanged(mlflowc_bin, tmp_path, work, uri, expected):
    make_file_store(work / ("mlruns" if uri == "mlruns" else "tracking"))
    assert_refused(mlflowc_bin, tmp_path, work, uri, expected, FILE_STORE_ADVICE)


def test_zero_byte_file_is_initialised(mlflowc_bin, tmp_path, work):
    (work / "fresh.db").write_bytes(b"")
    server = start_serving(mlflowc_bin, tmp_path, work, "sqlite:///fresh.db")
    try:
        assert call(server, "experiments/get?experiment_id=0")["experiment"]["name"] == "Default"
    finally:
        stop_server(server)
    version, tables = mlflowc_schema(work / "fresh.db")
    assert version >= 1 and "metric_keys" in tables


@pytest.mark.parametrize("uri", ["sqlite:///mlflowc.db", "mlflowc.db"], ids=["sqlite-uri", "bare-db-path"])
def test_mlflowc_database_is_created_and_reopens(mlflowc_bin, tmp_path, work, uri):
    # also after a kill -9: the commits still in the -wal file are ours and are kept
    server = start_serving(mlflowc_bin, tmp_path, work, uri)
    try:
        exp = call(server, "experiments/create", {"name": "kept"})["experiment_id"]
    finally:
        stop_server(server)
    version, tables = mlflowc_schema(work / "mlflowc.db")
    assert version >= 1 and "metric_keys" in tables
    server = start_serving(mlflowc_bin, tmp_path, work, uri)
    try:
        assert call(server, f"experiments/get?experiment_id={exp}")["experiment"]["name"] == "kept"
        later = call(server, "experiments/create", {"name": "after-crash"})["experiment_id"]
    finally:
        server.proc.kill()
        server.proc.wait()
    assert (work / "mlflowc.db-wal").exists()
    server = start_serving(mlflowc_bin, tmp_path, work, uri)
    try:
        assert call(server, f"experiments/get?experiment_id={later}")["experiment"]["name"] == "after-crash"
    finally:
        stop_server(server)

"""The one switch that points every black-box server at the backend under test:
MLF_TEST_STORE_URI, a backend-store URI template expanded by conftest.store_uri() ({dir}: the
server's directory, {id}: a name derived from it), SQLite at <dir>/mlflow.db when unset. A
server launched from the template writes where it says, each directory gets its own store, and
a restart on the same directory finds its data.

For a PostgreSQL template store_uri() makes the database it names (once: a second call finds it
with its tables) and the session's end drops it; those checks need a cluster (MLF_TEST_PG_ADMIN,
from scripts/pg_test_cluster.sh) and skip without one. An admin URI that answers nothing fails
the test that asked, with psql's reason.
"""

import json
import os
import subprocess
import sys
import urllib.parse
import urllib.request
from pathlib import Path

import pytest

import conftest
from conftest import (DEFAULT_STORE_URI, PG_ADMIN_ENV, STORE_URI_ENV, drop_pg_databases, free_local_port,
                      is_postgresql_uri, launch_server, pg_admin_uri, pg_database_name, psql, psql_path,
                      stop_server, store_is_sqlite_default, store_uri)


def call(server, path, body):
    request = urllib.request.Request(f"{server.url}/api/2.0/mlflow/{path}", data=json.dumps(body).encode(),
                                     headers={"Content-Type": "application/json"}, method="POST")
    with urllib.request.urlopen(request, timeout=10) as answer:
        return json.loads(answer.read())


def get(server, path, **query):
    url = f"{server.url}/api/2.0/mlflow/{path}?{urllib.parse.urlencode(query)}"
    with urllib.request.urlopen(url, timeout=10) as answer:
        return json.loads(answer.read())


def start(binary, directory):
    port = free_local_port()
    command = [binary, "server", "--backend-store-uri", store_uri(directory),
               "--artifacts-destination", directory / "artifacts", "--host", "127.0.0.1", "--port", port]
    return launch_server(command, port, directory, append=True)


def test_default_is_sqlite_in_the_server_directory(monkeypatch, tmp_path):
    monkeypatch.delenv(STORE_URI_ENV, raising=False)
    assert store_uri(tmp_path) == f"sqlite:///{tmp_path}/mlflow.db" == DEFAULT_STORE_URI.replace("{dir}", str(tmp_path))
    assert store_is_sqlite_default()
    monkeypatch.setenv(STORE_URI_ENV, "")
    assert store_uri(tmp_path) == f"sqlite:///{tmp_path}/mlflow.db"


def test_template_places_a_fresh_store_per_directory(monkeypatch, tmp_path):
    monkeypatch.setenv(STORE_URI_ENV, "sqlite:///{dir}/other-{id}.db")
    assert not store_is_sqlite_default()
    first, second = tmp_path / "a", tmp_path / "b"
    first.mkdir()
    second.mkdir()
    uri_a, uri_b = store_uri(first), store_uri(second)
    assert uri_a == store_uri(first)  # the same directory, the same store
    assert uri_a != uri_b and uri_a.startswith(f"sqlite:///{first}/other-mlflowc_test_")
    ident = uri_a.rsplit("other-", 1)[1][:-len(".db")]
    assert ident.replace("_", "").isalnum()


def test_server_uses_the_template_and_keeps_its_data_across_restarts(monkeypatch, mlflowc_bin, tmp_path):
    monkeypatch.setenv(STORE_URI_ENV, "sqlite:///{dir}/templated-{id}.db")
    work = tmp_path / "server"
    work.mkdir()
    server = start(mlflowc_bin, work)
    try:
        created = call(server, "experiments/create", {"name": "from-the-template"})
    finally:
        stop_server(server)
    files = sorted(p.name for p in work.glob("templated-*.db"))
    assert len(files) == 1 and not (work / "mlflow.db").exists()
    server = start(mlflowc_bin, work)
    try:
        found = get(server, "experiments/get-by-name", experiment_name="from-the-template")
    finally:
        stop_server(server)
    assert found["experiment"]["experiment_id"] == created["experiment_id"]


def test_postgresql_uris_are_recognised():
    for uri in ("postgresql://postgres@127.0.0.1:5432/{id}", "postgres://u:p@db/mlflow",
                "postgresql+psycopg2://u@db/mlflow?sslmode=require"):
        assert is_postgresql_uri(uri), uri
    for uri in ("sqlite:///{dir}/mlflow.db", "postgresqlx://db/m", "/tmp/postgresql", "mlflow.db"):
        assert not is_postgresql_uri(uri), uri


def test_postgresql_database_name_is_a_plain_identifier():
    assert pg_database_name("postgresql://postgres@127.0.0.1:5/mlflowc_test_0123abcd") == "mlflowc_test_0123abcd"
    assert pg_database_name("postgres://h/Db9?sslmode=disable") == "Db9"
    for uri in ("postgresql://h:5", "postgresql://h:5/", "postgresql://h/a-b", 'postgresql://h/a"b',
                "postgresql://h/a'b", "postgresql://h/x/y", "postgresql://h/" + "a" * 64):
        with pytest.raises(RuntimeError, match="is not letters, digits and '_'"):
            pg_database_name(uri)


def need_cluster():
    if not pg_admin_uri():
        pytest.skip(f"{PG_ADMIN_ENV} unset: no PostgreSQL cluster (eval \"$(scripts/pg_test_cluster.sh start)\")")
    if not psql_path():
        pytest.skip("psql not found")


def cluster_template():
    """A PostgreSQL template on the admin URI's cluster."""
    admin = urllib.parse.urlsplit(pg_admin_uri())
    return urllib.parse.urlunsplit(("postgresql", admin.netloc, "/{id}", admin.query, ""))


def database_exists(name):
    return psql(f"SELECT count(*) FROM pg_database WHERE datname = '{name}'") == "1"


def test_postgresql_template_makes_the_database_once(monkeypatch, tmp_path):
    need_cluster()
    monkeypatch.setenv(STORE_URI_ENV, cluster_template())
    uri = store_uri(tmp_path)
    name = pg_database_name(uri)
    assert name.startswith("mlflowc_test_") and uri.startswith("postgresql://")
    try:
        assert database_exists(name)
        psql("CREATE TABLE kept (x int)", admin=uri)
        assert store_uri(tmp_path) == uri  # the same directory: the same database, its table still there
        assert psql("SELECT count(*) FROM pg_tables WHERE tablename = 'kept'", admin=uri) == "1"
        conftest._pg_databases.discard(name)  # as a new session would see it: found, not made
        assert store_uri(tmp_path) == uri
        assert psql("SELECT count(*) FROM pg_tables WHERE tablename = 'kept'", admin=uri) == "1"
        assert name in conftest._pg_databases  # found, so dropped at the end all the same
    finally:
        assert drop_pg_databases([name]) == []
    assert not database_exists(name)


def test_postgresql_databases_are_dropped_when_the_session_ends(tmp_path):
    """A pytest session of its own (this conftest as its plugin) makes two databases and ends."""
    need_cluster()
    names_file = tmp_path / "names"
    (tmp_path / "test_inner.py").write_text(
        "from pathlib import Path\n"
        "from conftest import pg_database_name, psql, store_uri\n"
        "def test_make(tmp_path):\n"
        "    names = [pg_database_name(store_uri(tmp_path / d)) for d in ('a', 'b')]\n"
        "    for n in names:\n"
        "        assert psql(f\"SELECT count(*) FROM pg_database WHERE datname = '{n}'\") == '1'\n"
        f"    Path({str(names_file)!r}).write_text(' '.join(names))\n")
    env = {**os.environ, STORE_URI_ENV: cluster_template(), "PYTHONPATH": str(Path(conftest.__file__).parent)}
    done = subprocess.run([sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider", "-p", "conftest",
                           "--rootdir", str(tmp_path), str(tmp_path / "test_inner.py")],
                          cwd=tmp_path, env=env, capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, done.stdout + done.stderr
    names = names_file.read_text().split()
    assert len(names) == 2 and names[0] != names[1]
    assert [n for n in names if database_exists(n)] == []


def test_unreachable_admin_uri_fails_the_test_with_the_reason(monkeypatch, tmp_path):
    if not psql_path():
        pytest.skip("psql not found")
    port = free_local_port()  # nothing listens there
    monkeypatch.setenv(PG_ADMIN_ENV, f"postgresql://postgres@127.0.0.1:{port}/postgres")
    monkeypatch.setenv(STORE_URI_ENV, f"postgresql://postgres@127.0.0.1:{port}/{{id}}")
    with pytest.raises(pytest.fail.Exception, match=r"cannot prepare the test database: psql failed .*"
                                                     r"(refused|could not connect)"):
        store_uri(tmp_path)


def test_postgresql_template_without_admin_uri_fails_the_test(monkeypatch, tmp_path):
    monkeypatch.delenv(PG_ADMIN_ENV, raising=False)
    monkeypatch.setenv(STORE_URI_ENV, "postgresql://postgres@127.0.0.1:1/{id}")
    with pytest.raises(pytest.fail.Exception, match=f"needs {PG_ADMIN_ENV}"):
        store_uri(tmp_path)

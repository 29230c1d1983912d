"""The one switch that points every black-box server at the backend under test:
MLF_TEST_STORE_URI, a backend-store URI template expanded by conftest.store_uri() ({dir}: the
server's directory, {id}: a name derived from it), SQLite at <dir>/mlflow.db when unset. A
server launched from the template writes where it says, each directory gets its own store, and
a restart on the same directory finds its data.
"""

import json
import urllib.parse
import urllib.request

from conftest import (DEFAULT_STORE_URI, STORE_URI_ENV, free_local_port, launch_server, stop_server,
                      store_is_sqlite_default, store_uri)


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

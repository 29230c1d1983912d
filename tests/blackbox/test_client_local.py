"""The C client library's local mode: a sqlite:// tracking URI, no server.

test_client_driver.c (compiled against libmlflowc-server.a, the archive with local mode) logs params, tags
and 10,000 metrics into a database file through mlf_client_open("sqlite:///<path>"),
with no server running; then a real `mlflowc server` is started on that same file and
everything is read back through the REST API and compared exactly, as test_client.py
does for the HTTP transport. Also: a second client reuses the experiment, a server and
a local client share one database at the same time, and an unopenable database is a
clean error. The installed client-only libmlflowc refuses sqlite:// URIs with a message
saying what to use instead.
"""

import json
import subprocess
from pathlib import Path

import pytest

from conftest import store_is_sqlite_default
from conftest import build_with_libmlflowc
from test_client import N_METRICS, check_run, get
from test_client import driver as http_driver  # noqa: F401  (a fixture: the client-only library)


@pytest.fixture(scope="module")
def driver(tmp_path_factory):
    out = tmp_path_factory.mktemp("client-local") / "driver"
    return build_with_libmlflowc([Path(__file__).with_name("test_client_driver.c")], out,
                                 archive="libmlflowc-server.a")


def run_driver(driver, uri, cwd, n=N_METRICS):
    done = subprocess.run([str(driver), uri, str(n)], capture_output=True, text=True, timeout=120, cwd=cwd)
    assert done.returncode == 0, done.stderr
    return json.loads(done.stdout), done.stderr


def test_local_store_then_server_reads_it_back(driver, tmp_path, request):
    if not store_is_sqlite_default():
        pytest.skip("writes the server's SQLite file itself")
    # the `server` fixture serves sqlite:///<tmp_path>/mlflow.db: write that file first
    uri = f"sqlite:///{tmp_path}/mlflow.db"
    out, stderr = run_driver(driver, uri, tmp_path)
    assert (out["queued"], out["sent"], out["failed"]) == (0, N_METRICS, 0)
    assert "info" not in stderr  # the store's operator log lines stay quiet in a host program
    again, _ = run_driver(driver, uri, tmp_path, n=10)  # a second client finds the experiment by name
    assert again["experiment_id"] == out["experiment_id"] and again["run_id"] != out["run_id"]

    server = request.getfixturevalue("server")
    run = check_run(server, out, N_METRICS)
    check_run(server, again, 10)
    # artifacts default to ./mlruns of the client's working directory, as MLflow's
    exp = get(server, "experiments/get", experiment_id=out["experiment_id"])["experiment"]
    assert exp["artifact_location"] == f"{tmp_path}/mlruns/{out['experiment_id']}"
    assert run["info"]["artifact_uri"].startswith(exp["artifact_location"] + "/")


def test_local_client_beside_a_running_server(driver, server):
    if not store_is_sqlite_default():
        pytest.skip("writes the server's SQLite file itself")
    out, _ = run_driver(driver, f"sqlite:///{server.dir}/mlflow.db", server.dir, n=3000)
    check_run(server, out, 3000)


def test_unopenable_database_is_an_error(driver, tmp_path):
    done = subprocess.run([str(driver), f"sqlite:///{tmp_path}/no/such/dir/x.db", "1"], capture_output=True,
                          text=True, timeout=30)
    assert done.returncode == 1
    assert "MLF_CLIENT_ERR_TRANSPORT" in done.stderr and "x.db" in done.stderr


def test_client_only_library_refuses_local_mode(http_driver, tmp_path):
    db = tmp_path / "x.db"
    done = subprocess.run([str(http_driver), f"sqlite:///{db}", "1"], capture_output=True, text=True, timeout=30)
    assert done.returncode == 1
    assert "MLF_CLIENT_ERR_INVALID" in done.stderr and "mlflowc server --backend-store-uri" in done.stderr
    assert not db.exists()

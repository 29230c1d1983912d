"""The C client library's local mode: a sqlite:// tracking URI, no server.

test_client_driver.c (compiled by test_client.py's `driver` fixture) logs params, tags
and 10,000 metrics into a database file through mlf_client_open("sqlite:///<path>"),
with no server running; then a real `mlflowc server` is started on that same file and
everything is read back through the REST API and compared exactly, as test_client.py
does for the HTTP transport. Also: a second client reuses the experiment, a server and
a local client share one database at the same time, and an unopenable database is a
clean error.
"""

import json
import subprocess

import pytest

from conftest import store_is_sqlite_default
from test_client import N_METRICS, check_run, driver, get  # noqa: F401  (driver is a fixture)


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

"""The C client library and the CLI's client commands against a real `--app-name basic-auth`
server (auth_env.py): credentials from MLFLOW_TRACKING_USERNAME/PASSWORD and from
MLFLOW_TRACKING_TOKEN work; a wrong password, a revoked token, missing credentials and a
user without the permission fail with a non-zero exit and a message that says which (the
server answers 401/403 in plain text, as MLflow's basic-auth app does), and write nothing.

The library is driven by test_client_driver.c (test_client.py's `driver` fixture), which
logs params, tags and metrics (through the background queue) into the experiment
"client-test": the admin makes it and gives each role user its level (auth_env.grant).
The npm client's side of the same is tests/npm/auth.test.mjs.
"""

import json
import os
import subprocess

import pytest

import auth_env
from auth_env import ADMIN, PASSWORD, Api
from conftest import stop_server
from test_client import driver  # noqa: F401  (a fixture)

TIMEOUT = 60


@pytest.fixture
def auth(mlflowc_bin, tmp_path):
    """A running auth server with the role users and the experiment "client-test" on which
    each has its level; yields (port, experiment id)."""
    srv, port = auth_env.start(mlflowc_bin, tmp_path / "srv")
    try:
        auth_env.make_users(port)
        admin = Api(port, ADMIN)
        exp = admin.ok("POST", "/api/2.0/mlflow/experiments/create", body={"name": "client-test"})["experiment_id"]
        auth_env.grant(port, experiment_id=exp)
        yield port, exp
    finally:
        stop_server(srv)


def clean_env(extra):
    env = {k: v for k, v in os.environ.items() if not k.startswith("MLFLOW_TRACKING_")}
    env.update(extra)
    return env


def basic_env(user, password=PASSWORD):
    return {"MLFLOW_TRACKING_USERNAME": user, "MLFLOW_TRACKING_PASSWORD": password}


def make_token(port, user, password=PASSWORD):
    """(id, secret) of a new bearer token of `user`."""
    body = Api(port, (user, password)).ok("POST", "/api/2.0/mlflowc/users/tokens/create", body={"name": "c"})
    return body["token"]["id"], body["secret"]


def revoke_token(port, user, token_id):
    Api(port, (user, PASSWORD)).ok("POST", "/api/2.0/mlflowc/users/tokens/revoke", body={"id": token_id})


def run_driver(driver, port, env, n=40):
    return subprocess.run([str(driver), f"http://127.0.0.1:{port}", str(n)], capture_output=True, text=True,
                          timeout=TIMEOUT, env=clean_env(env))


def runs_of(port, exp):
    body = Api(port, ADMIN).ok("POST", "/api/2.0/mlflow/runs/search", body={"experiment_ids": [exp]})
    return body.get("runs", [])


def check_logged(port, exp, out, n=40):
    got = json.loads(out)
    assert got["experiment_id"] == exp and got["sent"] == n and got["failed"] == 0, got
    run = Api(port, ADMIN).ok("GET", "/api/2.0/mlflow/runs/get", params={"run_id": got["run_id"]})["run"]
    assert {p["key"] for p in run["data"]["params"]} == {"p0", "p1", "p2"}
    assert {m["key"] for m in run["data"]["metrics"]} == {"m0", "m1", "m2", "m3", "m4"}
    assert run["info"]["status"] == "FINISHED"


# ---- the C client library -------------------------------------------------------------------

def test_library_with_a_password(driver, auth):
    port, exp = auth
    done = run_driver(driver, port, basic_env("editor"))
    assert done.returncode == 0, done.stderr
    check_logged(port, exp, done.stdout)


def test_library_with_a_token(driver, auth):
    port, exp = auth
    _, token = make_token(port, "editor")
    done = run_driver(driver, port, {"MLFLOW_TRACKING_TOKEN": token})
    assert done.returncode == 0, done.stderr
    check_logged(port, exp, done.stdout)


@pytest.mark.parametrize("env, says", [
    (basic_env("editor", "wrong-" + PASSWORD), "refused the credentials"),
    ({"MLFLOW_TRACKING_TOKEN": "mlfct_" + "A" * 43}, "refused the credentials"),
    ({}, "needs credentials"),
    (basic_env("reader"), "permission denied"),
])
def test_library_refused(driver, auth, env, says):
    port, exp = auth
    done = run_driver(driver, port, env)
    assert done.returncode == 1, (done.stdout, done.stderr)
    assert says in done.stderr, done.stderr
    assert runs_of(port, exp) == []


def test_library_with_a_revoked_token(driver, auth):
    port, exp = auth
    token_id, token = make_token(port, "editor")
    assert run_driver(driver, port, {"MLFLOW_TRACKING_TOKEN": token}).returncode == 0
    revoke_token(port, "editor", token_id)
    done = run_driver(driver, port, {"MLFLOW_TRACKING_TOKEN": token})
    assert done.returncode == 1 and "HTTP 401" in done.stderr and "revoked" in done.stderr, done.stderr
    assert len(runs_of(port, exp)) == 1


# ---- the CLI ----------------------------------------------------------------------------------

def cli(mlflowc_bin, port, env, *args, cwd=None):
    return subprocess.run([str(mlflowc_bin), *args], capture_output=True, text=True, timeout=TIMEOUT, cwd=cwd,
                          env=clean_env({"MLFLOW_TRACKING_URI": f"http://127.0.0.1:{port}", **env}))


def cli_ok(mlflowc_bin, port, env, *args, cwd=None):
    done = cli(mlflowc_bin, port, env, *args, cwd=cwd)
    assert done.returncode == 0, (args, done.stdout, done.stderr)
    return done.stdout


def cli_session(mlflowc_bin, port, exp, env, tmp_path):
    """A run with a param, a metric and an artifact, read back, and a registered model."""
    run_id = cli_ok(mlflowc_bin, port, env, "runs", "create", "--experiment-id", exp, "--no-context-tags").strip()
    assert len(run_id) == 32, run_id
    cli_ok(mlflowc_bin, port, env, "runs", "log-param", "--run-id", run_id, "-k", "lr", "-v", "0.1")
    cli_ok(mlflowc_bin, port, env, "runs", "log-metric", "--run-id", run_id, "-k", "loss", "-v", "0.5")
    described = cli_ok(mlflowc_bin, port, env, "runs", "describe", "--run-id", run_id, "--json")
    data = json.loads(described)["run"]["data"]
    assert data["params"] == [{"key": "lr", "value": "0.1"}] and data["metrics"][0]["value"] == 0.5
    model = tmp_path / "model.txt"
    model.write_text("weights")
    cli_ok(mlflowc_bin, port, env, "artifacts", "log-artifact", "-l", str(model), "-r", run_id, "-a", "model")
    assert "model.txt" in cli_ok(mlflowc_bin, port, env, "artifacts", "list", "-r", run_id, "-a", "model")
    name = f"cli-model-{run_id[:8]}"
    cli_ok(mlflowc_bin, port, env, "models", "register", "-m", f"runs:/{run_id}/model", "-n", name)
    assert name in cli_ok(mlflowc_bin, port, env, "models", "list")
    return run_id


def test_cli_with_a_password(mlflowc_bin, auth, tmp_path):
    port, exp = auth
    cli_session(mlflowc_bin, port, exp, basic_env("editor"), tmp_path)
    assert "client-test" in cli_ok(mlflowc_bin, port, basic_env("reader"), "experiments", "search")


def test_cli_with_a_token_then_revoked(mlflowc_bin, auth, tmp_path):
    port, exp = auth
    token_id, token = make_token(port, "editor")
    env = {"MLFLOW_TRACKING_TOKEN": token}
    run_id = cli_session(mlflowc_bin, port, exp, env, tmp_path)
    revoke_token(port, "editor", token_id)
    for args in (["runs", "log-metric", "--run-id", run_id, "-k", "loss", "-v", "0.25"],
                 ["runs", "describe", "--run-id", run_id],
                 ["artifacts", "list", "-r", run_id]):
        done = cli(mlflowc_bin, port, env, *args)
        assert done.returncode == 1, (args, done.stdout, done.stderr)
        assert "HTTP 401" in done.stderr and "expired or revoked token" in done.stderr, done.stderr
    history = Api(port, ADMIN).ok("GET", "/api/2.0/mlflow/metrics/get-history",
                                  params={"run_id": run_id, "metric_key": "loss"})["metrics"]
    assert [m["value"] for m in history] == [0.5]


@pytest.mark.parametrize("env, says", [
    (basic_env("editor", "wrong-" + PASSWORD), "wrong password"),
    ({}, "set MLFLOW_TRACKING_USERNAME and MLFLOW_TRACKING_PASSWORD, or MLFLOW_TRACKING_TOKEN"),
    (basic_env("reader"), "permission denied"),
    (basic_env("none"), "permission denied"),
])
def test_cli_refused(mlflowc_bin, auth, env, says, tmp_path):
    port, exp = auth
    run_id = cli_ok(mlflowc_bin, port, basic_env("editor"), "runs", "create", "--experiment-id", exp,
                    "--no-context-tags").strip()
    upload = tmp_path / "f.txt"
    upload.write_text("x")
    for args in (["runs", "create", "--experiment-id", exp, "--no-context-tags"],
                 ["runs", "log-param", "--run-id", run_id, "-k", "k", "-v", "v"],
                 ["artifacts", "log-artifact", "-l", str(upload), "-r", run_id]):
        done = cli(mlflowc_bin, port, env, *args)
        assert done.returncode == 1, (args, done.stdout, done.stderr)
        assert says in done.stderr, (args, done.stderr)
    assert len(runs_of(port, exp)) == 1
    run = Api(port, ADMIN).ok("GET", "/api/2.0/mlflow/runs/get", params={"run_id": run_id})["run"]
    assert run["data"].get("params", []) == []
    listing = Api(port, ADMIN).ok("GET", "/api/2.0/mlflow/artifacts/list", params={"run_id": run_id})
    assert listing.get("files", []) == []

"""Every route x every role, with the basic-auth app on: the route table (`mlflowc routes`) says
what each row needs; this test sends a real request to every served row as each of anonymous,
a wrong password, NO_PERMISSIONS, READ, EDIT, MANAGE and admin, on fresh resources (an
experiment with a run, metrics, an artifact and a logged model; a registered model with a
version, a tag and an alias) where each role user holds its level, and asserts:

- anonymous and a wrong password get 401 with MLflow's WWW-Authenticate challenge (public rows
  excepted);
- a role below the row's permission gets 403 "Permission denied", and the store is unchanged
  afterwards (a refused write changes nothing: experiment, run, history, artifacts, registry,
  logged model, users and permissions are read back and compared);
- a role at or above it is let through (the first such role gets a success: the request is
  valid), as is an admin;
- a route of the table without a request here fails the test, so a new route cannot land
  untested.

Runs on the store of the suite (SQLite, or PostgreSQL in the PostgreSQL pass).
"""

import json
import subprocess

import pytest

import auth_env
from auth_env import ADMIN, PASSWORD, Api
from conftest import mlflowc_bin_path, stop_server

ROLES = ["anonymous", "wrong", "none", "reader", "editor", "manager", "admin"]
LEVEL = {"none": 0, "reader": 1, "editor": 3, "manager": 4, "admin": 99}
NEEDS = {"read": 1, "edit": 3, "manage": 4}
API = "/api/2.0"


def route_rows(binary):
    out = subprocess.run([str(binary), "routes"], capture_output=True, text=True, timeout=30, check=True).stdout
    return [json.loads(line) for line in out.splitlines() if line.strip()]


class Fixture:
    """Fresh resources for one route, made by the admin; every role holds its level on them."""

    def __init__(self, port, n):
        self.port = port
        self.admin = Api(port, ADMIN)
        a = self.admin
        self.n = n
        self.exp = a.ok("POST", API + "/mlflow/experiments/create", body={"name": f"exp-{n}"})["experiment_id"]
        self.exp_name = f"exp-{n}"
        a.ok("POST", API + "/mlflow/experiments/set-experiment-tag",
             body={"experiment_id": self.exp, "key": "k", "value": "v"})
        run = a.ok("POST", API + "/mlflow/runs/create", body={"experiment_id": self.exp, "start_time": 1})["run"]
        self.run = run["info"]["run_id"]
        a.ok("POST", API + "/mlflow/runs/log-batch", body={
            "run_id": self.run, "metrics": [{"key": "m", "value": 1.5, "timestamp": 1, "step": 0}],
            "params": [{"key": "p", "value": "1"}], "tags": [{"key": "t", "value": "x"}]})
        a.ok("POST", API + "/mlflow/runs/log-inputs", body={
            "run_id": self.run, "datasets": [{"dataset": {"name": "d", "digest": "abc", "source_type": "local",
                                                          "source": "{}"}}]})
        r = a.call("PUT", f"{API}/mlflow-artifacts/artifacts/{self.exp}/{self.run}/artifacts/a.txt", data=b"hello")
        assert r.status_code == 200, r.text
        self.model = f"model-{n}"
        a.ok("POST", API + "/mlflow/registered-models/create", body={"name": self.model})
        a.ok("POST", API + "/mlflow/model-versions/create",
             body={"name": self.model, "source": f"mlflow-artifacts:/{self.exp}/{self.run}/artifacts",
                   "run_id": self.run})
        a.ok("POST", API + "/mlflow/model-versions/set-tag",
             body={"name": self.model, "version": "1", "key": "vk", "value": "vv"})
        a.ok("POST", API + "/mlflow/registered-models/set-tag", body={"name": self.model, "key": "mk", "value": "mv"})
        a.ok("POST", API + "/mlflow/registered-models/alias", body={"name": self.model, "alias": "champ", "version": "1"})
        lm = a.ok("POST", API + "/mlflow/logged-models", body={"experiment_id": self.exp, "name": "lm"})
        self.logged = lm["model"]["info"]["model_id"]
        auth_env.grant(port, self.exp, self.model)
        self.counter = 0

    def unique(self, base):
        self.counter += 1
        return f"{base}-{self.n}-{self.counter}"

    def snapshot(self):
        a = self.admin
        s = {}
        for path, params in [
            ("/mlflow/experiments/get", {"experiment_id": self.exp}),
            ("/mlflow/runs/get", {"run_id": self.run}),
            ("/mlflow/metrics/get-history", {"run_id": self.run, "metric_key": "m"}),
            ("/mlflow/registered-models/get", {"name": self.model}),
            ("/mlflow/model-versions/search", {"filter": f"name='{self.model}'"}),
            ("/mlflow/users/list", {}),
            ("/mlflow-artifacts/artifacts", {"path": f"{self.exp}/{self.run}/artifacts"}),
        ]:
            r = a.call("GET", API + path, params)
            s[path] = (r.status_code, r.text)
        r = a.call("GET", f"{API}/mlflow/logged-models/{self.logged}")
        s["logged"] = (r.status_code, r.text)
        for role in auth_env.ROLE_LEVELS:
            s["user " + role] = a.call("GET", API + "/mlflow/users/get", {"username": role}).text
        return s


def requests_for(f, role):
    """(method, path) of every served row -> the request (method, url path, params, body, data)."""
    e, run, m, lm = f.exp, f.run, f.model, f.logged
    user = role if role in auth_env.ROLE_LEVELS else "reader"
    art = f"{API}/mlflow-artifacts/artifacts/{e}/{run}/artifacts"
    return {
        ("POST", "/mlflow/experiments/create"): dict(body={"name": f.unique("created")}),
        ("GET", "/mlflow/experiments/get"): dict(params={"experiment_id": e}),
        ("GET", "/mlflow/experiments/get-by-name"): dict(params={"experiment_name": f.exp_name}),
        ("POST", "/mlflow/experiments/delete"): dict(body={"experiment_id": e}),
        ("POST", "/mlflow/experiments/restore"): dict(body={"experiment_id": e}, prepare=lambda: f.admin.ok(
            "POST", API + "/mlflow/experiments/delete", body={"experiment_id": e})),
        ("POST", "/mlflow/experiments/update"): dict(body={"experiment_id": e, "new_name": f.unique("renamed")}),
        ("POST", "/mlflow/experiments/search"): dict(body={"max_results": 10}),
        ("GET", "/mlflow/experiments/search"): dict(params={"max_results": 10}),
        ("POST", "/mlflow/experiments/set-experiment-tag"): dict(body={"experiment_id": e, "key": "k2", "value": "v"}),
        ("POST", "/mlflow/experiments/delete-experiment-tag"): dict(body={"experiment_id": e, "key": "k"}),
        ("POST", "/mlflow/experiments/search-datasets"): dict(body={"experiment_ids": [e]}),
        ("POST", "/mlflow/runs/create"): dict(body={"experiment_id": e}),
        ("GET", "/mlflow/runs/get"): dict(params={"run_id": run}),
        ("POST", "/mlflow/runs/update"): dict(body={"run_id": run, "status": "FINISHED"}),
        ("POST", "/mlflow/runs/delete"): dict(body={"run_id": run}),
        ("POST", "/mlflow/runs/restore"): dict(body={"run_id": run}, prepare=lambda: f.admin.ok(
            "POST", API + "/mlflow/runs/delete", body={"run_id": run})),
        ("POST", "/mlflow/runs/log-metric"): dict(body={"run_id": run, "key": "m", "value": 2, "timestamp": 2, "step": 1}),
        ("POST", "/mlflow/runs/log-parameter"): dict(body={"run_id": run, "key": "p2", "value": "v"}),
        ("POST", "/mlflow/runs/set-tag"): dict(body={"run_id": run, "key": "t2", "value": "v"}),
        ("POST", "/mlflow/runs/delete-tag"): dict(body={"run_id": run, "key": "t"}),
        ("POST", "/mlflow/runs/log-batch"): dict(body={"run_id": run, "metrics": [
            {"key": "m", "value": 3, "timestamp": 3, "step": 2}]}),
        ("POST", "/mlflow/runs/log-model"): dict(body={"run_id": run, "model_json": json.dumps(
            {"artifact_path": "model", "flavors": {}, "run_id": run, "utc_time_created": "2024-01-01 00:00:00"})}),
        ("POST", "/mlflow/runs/log-inputs"): dict(body={"run_id": run, "datasets": [{"dataset": {
            "name": "d2", "digest": "def", "source_type": "local", "source": "{}"}}]}),
        ("POST", "/mlflow/runs/search"): dict(body={"experiment_ids": [e]}),
        ("GET", "/mlflow/metrics/get-history"): dict(params={"run_id": run, "metric_key": "m"}),
        ("GET", "/mlflow/metrics/get-history-bulk-interval"): dict(params={"run_ids": run, "metric_key": "m"}),
        ("GET", "/mlflow/metrics/get-history-bulk"): dict(params={"run_id": run, "metric_key": "m"}),
        ("GET", "/mlflow/artifacts/list"): dict(params={"run_id": run}),
        ("GET", "/mlflow-artifacts/artifacts*"): dict(url=art + "/a.txt"),
        ("PUT", "/mlflow-artifacts/artifacts*"): dict(url=art + "/b.txt", data=b"more"),
        ("DELETE", "/mlflow-artifacts/artifacts*"): dict(url=art + "/a.txt"),
        ("GET", "/mlflow-artifacts/artifacts"): dict(params={"path": f"{e}/{run}/artifacts"}),
        ("POST", "/mlflow-artifacts/mpu/create*"): dict(url=f"{API}/mlflow-artifacts/mpu/create/{e}/{run}/artifacts/big.bin",
                                                      body={"path": "big.bin", "num_parts": 1}, any_status=True),
        ("POST", "/mlflow-artifacts/mpu/complete*"): dict(
            url=f"{API}/mlflow-artifacts/mpu/complete/{e}/{run}/artifacts/big.bin",
            body={"path": "big.bin", "upload_id": "nope", "parts": []}, any_status=True),
        ("POST", "/mlflow-artifacts/mpu/abort*"): dict(url=f"{API}/mlflow-artifacts/mpu/abort/{e}/{run}/artifacts/big.bin",
                                                     body={"path": "big.bin", "upload_id": "nope"}, any_status=True),
        ("GET", "/mlflowc/experiments/retention"): dict(params={"experiment_id": e}),
        ("GET", "/mlflowc/experiments/retention/preview"): dict(params={"experiment_id": e}),
        ("GET", "/health"): dict(url="/health"),
        ("GET", "/version"): dict(url="/version"),
        ("GET", "/get-artifact"): dict(url="/get-artifact", params={"run_id": run, "path": "a.txt"}),
        ("GET", "/model-versions/get-artifact"): dict(url="/model-versions/get-artifact",
                                                      params={"name": m, "version": "1", "path": "a.txt"}),
        ("GET", "/assets*"): dict(url="/assets/none.js", any_status=True),
        ("GET", "*"): dict(url="/", any_status=True),
        ("POST", "/mlflow/registered-models/create"): dict(body={"name": f.unique("made")}),
        ("GET", "/mlflow/registered-models/get"): dict(params={"name": m}),
        ("POST", "/mlflow/registered-models/rename"): dict(body={"name": m, "new_name": f.unique("moved")}, fresh=True),
        ("PATCH", "/mlflow/registered-models/update"): dict(body={"name": m, "description": "d"}),
        ("DELETE", "/mlflow/registered-models/delete"): dict(body={"name": m}),
        ("GET", "/mlflow/registered-models/search"): dict(params={"max_results": 10}),
        ("POST", "/mlflow/registered-models/get-latest-versions"): dict(body={"name": m}),
        ("GET", "/mlflow/registered-models/get-latest-versions"): dict(params={"name": m}),
        ("POST", "/mlflow/registered-models/set-tag"): dict(body={"name": m, "key": "mk2", "value": "v"}),
        ("DELETE", "/mlflow/registered-models/delete-tag"): dict(body={"name": m, "key": "mk"}),
        ("POST", "/mlflow/registered-models/alias"): dict(body={"name": m, "alias": "other", "version": "1"}),
        ("DELETE", "/mlflow/registered-models/alias"): dict(body={"name": m, "alias": "champ"}),
        ("GET", "/mlflow/registered-models/alias"): dict(params={"name": m, "alias": "champ"}),
        ("POST", "/mlflow/model-versions/create"): dict(body={"name": m, "source": f"mlflow-artifacts:/{e}/{run}/artifacts"}),
        ("GET", "/mlflow/model-versions/get"): dict(params={"name": m, "version": "1"}),
        ("PATCH", "/mlflow/model-versions/update"): dict(body={"name": m, "version": "1", "description": "d"}),
        ("DELETE", "/mlflow/model-versions/delete"): dict(body={"name": m, "version": "1"}),
        ("GET", "/mlflow/model-versions/search"): dict(params={"filter": f"name='{m}'"}),
        ("GET", "/mlflow/model-versions/get-download-uri"): dict(params={"name": m, "version": "1"}),
        ("POST", "/mlflow/model-versions/transition-stage"): dict(body={"name": m, "version": "1", "stage": "Staging",
                                                                        "archive_existing_versions": False}),
        ("POST", "/mlflow/model-versions/set-tag"): dict(body={"name": m, "version": "1", "key": "vk2", "value": "v"}),
        ("DELETE", "/mlflow/model-versions/delete-tag"): dict(body={"name": m, "version": "1", "key": "vk"}),
        ("GET", "/mlflowc/registered-models/history"): dict(params={"name": m}),
        ("POST", "/mlflow/logged-models"): dict(body={"experiment_id": e, "name": "lm2"}),
        ("POST", "/mlflow/logged-models/search"): dict(body={"experiment_ids": [e]}),
        ("GET", "/mlflow/logged-models/{model_id}"): dict(url=f"{API}/mlflow/logged-models/{lm}"),
        ("PATCH", "/mlflow/logged-models/{model_id}"): dict(url=f"{API}/mlflow/logged-models/{lm}",
                                                          body={"model_id": lm, "status": "LOGGED_MODEL_READY"}),
        ("DELETE", "/mlflow/logged-models/{model_id}"): dict(url=f"{API}/mlflow/logged-models/{lm}"),
        ("PATCH", "/mlflow/logged-models/{model_id}/tags"): dict(url=f"{API}/mlflow/logged-models/{lm}/tags",
                                                               body={"tags": [{"key": "a", "value": "b"}]}),
        ("DELETE", "/mlflow/logged-models/{model_id}/tags/{key}"): dict(url=f"{API}/mlflow/logged-models/{lm}/tags/a",
                                                                      any_status=True),
        ("POST", "/mlflow/logged-models/{model_id}/params"): dict(url=f"{API}/mlflow/logged-models/{lm}/params",
                                                                body={"params": [{"key": "a", "value": "b"}]}),
        ("GET", "/mlflow/logged-models/{model_id}/artifacts/directories"): dict(
            url=f"{API}/mlflow/logged-models/{lm}/artifacts/directories"),
        ("GET", "/mlflow/logged-models*"): dict(url=f"{API}/mlflow/logged-models/{lm}/unknown", any_status=True),
        ("PATCH", "/mlflow/logged-models*"): dict(url=f"{API}/mlflow/logged-models/{lm}/unknown", any_status=True),
        ("DELETE", "/mlflow/logged-models*"): dict(url=f"{API}/mlflow/logged-models/{lm}/unknown", any_status=True),
        ("POST", "/mlflow/logged-models*"): dict(url=f"{API}/mlflow/logged-models/{lm}/unknown", any_status=True),
        ("POST", "/mlflow/runs/outputs"): dict(body={"run_id": run, "models": [{"model_id": lm, "step": 0}]}),
        ("POST", "/mlflow/users/create"): dict(body={"username": f.unique("u"), "password": PASSWORD}),
        ("GET", "/mlflow/users/get"): dict(params={"username": user}),
        ("GET", "/mlflow/users/list"): dict(),
        ("GET", "/mlflow/users/current"): dict(),
        ("PATCH", "/mlflow/users/update-password"): dict(body={"username": user, "password": PASSWORD,
                                                               "current_password": PASSWORD}),
        ("PATCH", "/mlflow/users/update-admin"): dict(body={"username": "reader", "is_admin": False}),
        ("DELETE", "/mlflow/users/delete"): dict(body={"username": "nobody-here"}, any_status=True),
        ("POST", "/mlflow/experiments/permissions/create"): dict(body={"experiment_id": e, "username": "extra",
                                                                       "permission": "READ"}),
        ("GET", "/mlflow/experiments/permissions/get"): dict(params={"experiment_id": e, "username": "reader"}),
        ("PATCH", "/mlflow/experiments/permissions/update"): dict(body={"experiment_id": e, "username": "reader",
                                                                        "permission": "READ"}),
        ("DELETE", "/mlflow/experiments/permissions/delete"): dict(body={"experiment_id": e, "username": "extra"},
                                                                   any_status=True),
        ("POST", "/mlflow/registered-models/permissions/create"): dict(body={"name": m, "username": "extra",
                                                                             "permission": "READ"}),
        ("GET", "/mlflow/registered-models/permissions/get"): dict(params={"name": m, "username": "reader"}),
        ("PATCH", "/mlflow/registered-models/permissions/update"): dict(body={"name": m, "username": "reader",
                                                                              "permission": "READ"}),
        ("DELETE", "/mlflow/registered-models/permissions/delete"): dict(body={"name": m, "username": "extra"},
                                                                         any_status=True),
        ("POST", "/mlflowc/users/tokens/create"): dict(body={"name": "t"}),
        ("GET", "/mlflowc/users/tokens/list"): dict(),
        ("POST", "/mlflowc/users/tokens/revoke"): dict(body={"id": 999999}, any_status=True),
        ("POST", "/mlflowc/auth/sign-in"): dict(body={"username": "reader", "password": PASSWORD}),
        ("POST", "/mlflowc/auth/sign-out"): dict(body={}),
        ("GET", "/mlflowc/audit/search"): dict(),
    }


def row_keys(row):
    """The keys of requests_for a row answers to: (method, path), a prefix row's path with '*'."""
    path = row["path"] if row["match"] != "any" else "*"
    if row["match"] == "prefix":
        path += "*"
    methods = row["methods"]
    if set(methods) == {"GET", "POST", "PUT", "PATCH", "DELETE"}:  # any method: GET stands for them
        methods = ["GET"]
    return [(m, path) for m in methods]


def expected(row, role):
    """'allow', 'deny' (403) or 'challenge' (401) for `role` on `row`."""
    perm = row["permission"]
    if perm == "public":
        return "allow"
    if role in ("anonymous", "wrong"):
        return "challenge"
    if role == "admin" or perm in ("signed_in", "self"):
        return "allow"
    if perm == "admin":
        return "deny"
    if row["locate"] == "results" or row["filters_ids"]:
        return "allow"
    return "allow" if LEVEL[role] >= NEEDS[perm] else "deny"


def send(port, role, req, method, path):
    auth = {"anonymous": None, "wrong": ("reader", "not-the-password-1"), "admin": ADMIN}.get(role, (role, PASSWORD))
    api = Api(port, auth)
    url = req.get("url")
    path = url if url else API + path
    return api.call(method, path, req.get("params"), req.get("body"), req.get("data"))


@pytest.fixture(scope="module")
def auth_server(tmp_path_factory):
    directory = tmp_path_factory.mktemp("auth-routes")
    srv, port = auth_env.start(mlflowc_bin_path(), directory)
    try:
        auth_env.make_users(port)
        Api(port, ADMIN).ok("POST", API + "/mlflow/users/create", body={"username": "extra", "password": PASSWORD})
        yield port
    finally:
        stop_server(srv)


def test_every_route_has_a_request_here(mlflowc_bin, auth_server):
    rows = [r for r in route_rows(mlflowc_bin) if r["served"]]
    assert len(rows) > 90
    f = type("F", (), {"exp": "0", "run": "r", "model": "m", "logged": "l", "exp_name": "e",
                       "unique": lambda self, b: b})()
    known = requests_for(f, "reader")
    missing = [k for r in rows for k in row_keys(r) if k not in known]
    assert not missing, f"routes without a request in this test: {missing}"
    for r in rows:
        assert r["permission"] != "unset" and r["resource"] != "unset" and r["locate"] != "unset", r


def served_cases():
    """(row, key) for every served row and method, read from the binary under test when the
    test module is collected (none when it is not built: the test above then fails)."""
    binary = mlflowc_bin_path()
    if not binary.exists():
        return []
    rows = [r for r in route_rows(binary) if r["served"]]
    return [(r, k) for r in rows for k in row_keys(r)]


CASES = served_cases()


@pytest.mark.parametrize("index", range(len(CASES)), ids=[f"{k[0]} {k[1]}" for _, k in CASES])
def test_route_against_every_role(mlflowc_bin, auth_server, index):
    row, key = CASES[index]
    method = key[0]
    port = auth_server
    f = Fixture(port, index)
    prepare = requests_for(f, "admin")[key].get("prepare")
    if prepare:
        prepare()
    first_allowed = True
    for n, role in enumerate(ROLES):
        req = requests_for(f, role)[key]
        if req.get("fresh") and n:  # the first allowed role renamed it away: new resources for each role
            f = Fixture(port, f"{index}-{role}")
            req = requests_for(f, role)[key]
        want = expected(row, role)
        before = f.snapshot() if want == "deny" and method != "GET" else None
        r = send(port, role, req, method, key[1])
        where = f"{method} {key[1]} as {role}: {r.status_code} {r.text[:200]}"
        if want == "challenge":
            assert r.status_code == 401, where
            assert r.headers.get("WWW-Authenticate") == 'Basic realm="mlflow"', where
        elif want == "deny":
            assert r.status_code == 403, where
            assert r.text == "Permission denied", where
            if before is not None:
                assert f.snapshot() == before, f"a refused write changed the store: {where}"
        else:
            assert r.status_code not in (401, 403), where
            if first_allowed and not req.get("any_status"):
                assert r.status_code < 400, where
            first_allowed = False

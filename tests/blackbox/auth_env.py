"""A server with the basic-auth app on, and its users, for the auth tests: an [mlflow] INI file
(MLFLOW_AUTH_CONFIG_PATH) naming the admin, a server on the store the suite runs on (SQLite or
PostgreSQL), and one user per role of the route x role table: `none` (NO_PERMISSIONS), `reader`
(READ), `editor` (EDIT), `manager` (MANAGE), each given that level on the resources a test makes
(the default permission is READ, as MLflow's).
"""

import os

import requests

from conftest import free_local_port, launch_server, store_uri

ADMIN = ("admin", "admin-password-1234")
PASSWORD = "role-password-1234"
ROLE_LEVELS = {"none": "NO_PERMISSIONS", "reader": "READ", "editor": "EDIT", "manager": "MANAGE"}
TIMEOUT = 60


def write_config(path, default_permission="READ", extra=""):
    path.write_text("[mlflow]\n"
                    f"default_permission = {default_permission}\n"
                    f"admin_username = {ADMIN[0]}\n"
                    f"admin_password = {ADMIN[1]}\n"
                    "auth_cache_ttl_seconds = 30\n" + extra)
    return path


def start(mlflowc_bin, directory, default_permission="READ", extra_args=(), env_extra=None, config=None, uri=None):
    """A running server with auth on in `directory` (made), on store `uri` (default: the suite's
    store for the directory); stop it with conftest.stop_server."""
    directory.mkdir(parents=True, exist_ok=True)
    config = config or write_config(directory / "auth.ini", default_permission)
    env = dict(os.environ, MLFLOW_AUTH_CONFIG_PATH=str(config))
    env.pop("MLFLOW_AUTH_ADMIN_PASSWORD", None)
    env.update(env_extra or {})
    port = free_local_port()
    cmd = [mlflowc_bin, "server", "--app-name", "basic-auth", "--backend-store-uri", uri or store_uri(directory),
           "--artifacts-destination", directory / "mlartifacts", "--host", "127.0.0.1", "--port", str(port),
           *extra_args]
    return launch_server(cmd, port, directory, env=env), port


class Api:
    """Requests to one server as one sender (auth: a (user, password) pair, a header dict or None)."""

    def __init__(self, port, auth=None, headers=None):
        self.base = f"http://127.0.0.1:{port}"
        self.auth = auth
        self.headers = headers or {}

    def call(self, method, path, params=None, body=None, data=None, headers=None):
        h = dict(self.headers)
        h.update(headers or {})
        return requests.request(method, self.base + path, params=params, json=body, data=data, auth=self.auth,
                                headers=h, timeout=TIMEOUT)

    def ok(self, method, path, params=None, body=None):
        r = self.call(method, path, params, body)
        assert r.status_code == 200, (method, path, r.status_code, r.text)
        return r.json() if r.content and r.headers.get("Content-Type", "").startswith("application/json") else {}


def make_users(port):
    """Creates the role users (as the admin); returns {role: Api}."""
    admin = Api(port, ADMIN)
    apis = {}
    for role in ROLE_LEVELS:
        admin.ok("POST", "/api/2.0/mlflow/users/create", body={"username": role, "password": PASSWORD})
        apis[role] = Api(port, (role, PASSWORD))
    return apis


def grant(port, experiment_id=None, model_name=None):
    """Gives each role user its level on the experiment and the registered model."""
    admin = Api(port, ADMIN)
    for role, level in ROLE_LEVELS.items():
        if experiment_id is not None:
            admin.ok("POST", "/api/2.0/mlflow/experiments/permissions/create",
                     body={"experiment_id": experiment_id, "username": role, "permission": level})
        if model_name is not None:
            admin.ok("POST", "/api/2.0/mlflow/registered-models/permissions/create",
                     body={"name": model_name, "username": role, "permission": level})

"""`mlflowc users ...`: an admin's commands on the store itself (users, passwords,
permissions, tokens, taking over MLflow's basic_auth.db, the audit trail).

Each command is run on a store made with `mlflowc db upgrade` (SQLite, or PostgreSQL when
MLF_TEST_STORE_URI names it: conftest.store_uri), its output and exit status checked, and
every refusal (short password, unknown user, the last admin, an unknown permission or
resource, a missing store) is checked to exit non-zero with nothing changed (the listing
of users, permissions and tokens is the same before and after). At the end the users and
tokens the CLI made are used against a running `--app-name basic-auth` server on the same
store: HTTP Basic and bearer tokens work, and what the CLI changes while it runs (a token
revoked, a password set, a permission lowered) takes effect (the credential cache is off).
"""

import base64
import hashlib
import os
import re
import sqlite3
import subprocess

import pytest
import requests

import auth_env
from conftest import is_postgresql_uri, psql, stop_server, store_uri

PASSWORD = "cli-password-1234"
TIMEOUT = 60


def users(mlflowc_bin, uri, *args, password=None, env_password=None, cwd=None):
    """Runs `mlflowc users ARGS --backend-store-uri URI`; the password on stdin or in the env."""
    env = dict(os.environ)
    env.pop("MLFLOWC_NEW_PASSWORD", None)
    if env_password is not None:
        env["MLFLOWC_NEW_PASSWORD"] = env_password
    return subprocess.run([str(mlflowc_bin), "users", *args, "--backend-store-uri", uri], capture_output=True,
                          text=True, input=password if password is not None else "", env=env, cwd=cwd,
                          timeout=TIMEOUT)


def ok(mlflowc_bin, uri, *args, **kw):
    r = users(mlflowc_bin, uri, *args, **kw)
    assert r.returncode == 0, (args, r.stdout, r.stderr)
    return r.stdout


def refused(mlflowc_bin, uri, *args, code=2, says=None, **kw):
    """The command fails with `code`, a message naming `says`, and changes nothing."""
    before = state(mlflowc_bin, uri)
    r = users(mlflowc_bin, uri, *args, **kw)
    assert r.returncode == code, (args, r.returncode, r.stdout, r.stderr)
    assert r.stderr.startswith("mlflowc users"), r.stderr
    if says:
        assert says in r.stderr, r.stderr
    assert state(mlflowc_bin, uri) == before, args
    return r.stderr


def state(mlflowc_bin, uri):
    """Every user with its permissions, and every user's tokens."""
    listing = ok(mlflowc_bin, uri, "list")
    names = re.findall(r"^(\S+) \(id \d+\)", listing, re.M)
    return listing, [ok(mlflowc_bin, uri, "tokens", "--username", n) for n in names]


def user_names(mlflowc_bin, uri):
    return re.findall(r"^(\S+) \(id \d+\)", ok(mlflowc_bin, uri, "list"), re.M)


@pytest.fixture
def store(mlflowc_bin, tmp_path):
    """An existing, empty store (schema made), and its URI."""
    uri = store_uri(tmp_path / "srv")
    (tmp_path / "srv").mkdir(exist_ok=True)
    subprocess.run([str(mlflowc_bin), "db", "upgrade", "--backend-store-uri", uri], check=True,
                   capture_output=True, cwd=tmp_path / "srv", timeout=TIMEOUT)
    return uri


def test_create_and_list(mlflowc_bin, store):
    assert ok(mlflowc_bin, store, "list") == "no users\n"
    assert "created user root" in ok(mlflowc_bin, store, "create", "--username", "root", "--admin",
                                     password=PASSWORD + "\n")
    assert "created user alice" in ok(mlflowc_bin, store, "create", "--username", "alice",
                                      env_password="alice-" + PASSWORD)
    listing = ok(mlflowc_bin, store, "list")
    assert re.search(r"^root \(id \d+\) admin, created 20\d\d-", listing, re.M), listing
    assert re.search(r"^alice \(id \d+\) created 20\d\d-", listing, re.M), listing
    refused(mlflowc_bin, store, "create", "--username", "alice", password=PASSWORD, says="already exists")
    # a password is never a flag
    refused(mlflowc_bin, store, "create", "--username", "bob", "--password", PASSWORD, password=PASSWORD)
    refused(mlflowc_bin, store, "create", password=PASSWORD, says="--username")


def test_bad_passwords_create_nothing(mlflowc_bin, store):
    ok(mlflowc_bin, store, "create", "--username", "root", "--admin", password=PASSWORD)
    refused(mlflowc_bin, store, "create", "--username", "bob", password="short-pw\n", says="at least 12")
    refused(mlflowc_bin, store, "create", "--username", "bob", env_password="short-pw", says="at least 12")
    refused(mlflowc_bin, store, "create", "--username", "bob", password="", says="no password")
    refused(mlflowc_bin, store, "create", "--username", "bob", password="tab\tin-the-password\n",
            says="control character")
    refused(mlflowc_bin, store, "create", "--username", "bob", password="x" * 5000 + "\n")
    latin1 = subprocess.run([str(mlflowc_bin), "users", "create", "--username", "bob", "--backend-store-uri", store],
                            input=b"caf\xe9-password-12\n", capture_output=True, timeout=TIMEOUT)
    assert latin1.returncode == 2 and b"not valid UTF-8" in latin1.stderr, latin1.stderr
    refused(mlflowc_bin, store, "set-password", "--username", "root", password="short-pw", says="at least 12")
    assert user_names(mlflowc_bin, store) == ["root"]


def test_unknown_user_is_refused(mlflowc_bin, store):
    ok(mlflowc_bin, store, "create", "--username", "root", "--admin", password=PASSWORD)
    for args in (["set-password", "--username", "ghost"], ["delete", "--username", "ghost"],
                 ["set-admin", "--username", "ghost", "--admin"], ["tokens", "--username", "ghost"],
                 ["token-create", "--username", "ghost"], ["token-revoke", "--username", "ghost", "--id", "1"],
                 ["grant", "--username", "ghost", "--experiment-id", "0", "--permission", "READ"],
                 ["revoke", "--username", "ghost", "--experiment-id", "0"]):
        refused(mlflowc_bin, store, *args, password=PASSWORD, says="ghost")


def test_the_last_admin_stays(mlflowc_bin, store):
    ok(mlflowc_bin, store, "create", "--username", "root", "--admin", password=PASSWORD)
    ok(mlflowc_bin, store, "create", "--username", "alice", password=PASSWORD)
    refused(mlflowc_bin, store, "delete", "--username", "root", says="only admin")
    refused(mlflowc_bin, store, "set-admin", "--username", "root", "--no-admin", says="only admin")
    refused(mlflowc_bin, store, "set-admin", "--username", "alice", says="exactly one")
    refused(mlflowc_bin, store, "set-admin", "--username", "alice", "--admin", "--no-admin", says="exactly one")
    assert "alice is an admin" in ok(mlflowc_bin, store, "set-admin", "--username", "alice", "--admin")
    assert "root is not an admin" in ok(mlflowc_bin, store, "set-admin", "--username", "root", "--no-admin")
    refused(mlflowc_bin, store, "delete", "--username", "alice", says="only admin")
    ok(mlflowc_bin, store, "delete", "--username", "root")
    assert user_names(mlflowc_bin, store) == ["alice"]


def test_grant_and_revoke(mlflowc_bin, store):
    ok(mlflowc_bin, store, "create", "--username", "alice", password=PASSWORD)
    out = ok(mlflowc_bin, store, "grant", "--username", "alice", "--experiment-id", "0", "--permission", "READ")
    assert "alice has READ on experiment 0" in out
    assert "    experiment 0: READ" in ok(mlflowc_bin, store, "list")
    out = ok(mlflowc_bin, store, "grant", "--username", "alice", "--experiment-id", "0", "--permission", "EDIT")
    assert "(was READ)" in out
    assert "    experiment 0: EDIT" in ok(mlflowc_bin, store, "list")
    refused(mlflowc_bin, store, "grant", "--username", "alice", "--experiment-id", "0", "--permission", "WRITE",
            says="Invalid permission 'WRITE'")
    refused(mlflowc_bin, store, "grant", "--username", "alice", "--experiment-id", "0", "--permission", "read",
            says="Invalid permission")
    refused(mlflowc_bin, store, "grant", "--username", "alice", "--experiment-id", "0")
    refused(mlflowc_bin, store, "grant", "--username", "alice", "--experiment-id", "424242", "--permission",
            "READ", says="424242")
    refused(mlflowc_bin, store, "grant", "--username", "alice", "--experiment-id", "zero", "--permission", "READ")
    refused(mlflowc_bin, store, "grant", "--username", "alice", "--registered-model", "no-such-model",
            "--permission", "READ", says="no-such-model")
    refused(mlflowc_bin, store, "grant", "--username", "alice", "--permission", "READ", says="exactly one")
    refused(mlflowc_bin, store, "grant", "--username", "alice", "--experiment-id", "0", "--registered-model", "m",
            "--permission", "READ", says="exactly one")
    for level in ("NO_PERMISSIONS", "USE", "MANAGE"):
        ok(mlflowc_bin, store, "grant", "--username", "alice", "--experiment-id", "0", "--permission", level)
        assert f"    experiment 0: {level}" in ok(mlflowc_bin, store, "list")
    assert "the default applies" in ok(mlflowc_bin, store, "revoke", "--username", "alice", "--experiment-id", "0")
    assert "experiment 0:" not in ok(mlflowc_bin, store, "list")
    refused(mlflowc_bin, store, "revoke", "--username", "alice", "--experiment-id", "0", says="no permission row")


def test_tokens(mlflowc_bin, store):
    ok(mlflowc_bin, store, "create", "--username", "alice", password=PASSWORD)
    assert "alice has no tokens" in ok(mlflowc_bin, store, "tokens", "--username", "alice")
    r = users(mlflowc_bin, store, "token-create", "--username", "alice", "--name", "ci")
    assert r.returncode == 0, r.stderr
    assert re.fullmatch(r"mlfct_[A-Za-z0-9_-]{43}\n", r.stdout), r.stdout
    assert "shown this once" in r.stderr
    never = ok(mlflowc_bin, store, "token-create", "--username", "alice", "--expires-in-days", "0")
    assert never != r.stdout
    listing = ok(mlflowc_bin, store, "tokens", "--username", "alice")
    assert re.search(r"^id \d+ name 'ci' created 20\S+ expires 20\S+ last used -$", listing, re.M), listing
    assert re.search(r"^id \d+ name '' created 20\S+ expires never", listing, re.M), listing
    assert r.stdout.strip() not in listing  # the secret is never shown again
    first = re.search(r"^id (\d+) name 'ci'", listing, re.M).group(1)
    for days in ("-1", "3651", "ten"):
        refused(mlflowc_bin, store, "token-create", "--username", "alice", "--expires-in-days", days,
                says="--expires-in-days")
    refused(mlflowc_bin, store, "token-create", "--username", "alice", "--name", "n" * 256, says="at most 255")
    refused(mlflowc_bin, store, "token-revoke", "--username", "alice", "--id", "x", says="--id")
    refused(mlflowc_bin, store, "token-revoke", "--username", "alice", "--id", "999999")
    assert f"revoked token {first} of alice" in ok(mlflowc_bin, store, "token-revoke", "--username", "alice",
                                                   "--id", first)
    assert re.search(rf"^id {first} name 'ci' .* REVOKED$", ok(mlflowc_bin, store, "tokens", "--username", "alice"),
                     re.M)


def test_a_missing_store_is_refused_not_made(mlflowc_bin, tmp_path):
    missing = tmp_path / "nothing-here.db"
    for args in (["list"], ["create", "--username", "root", "--admin"], ["audit"]):
        r = users(mlflowc_bin, f"sqlite:///{missing}", *args, password=PASSWORD, cwd=tmp_path)
        assert r.returncode == 1, (r.stdout, r.stderr)
        assert "no store at" in r.stderr
        assert not missing.exists()
    uri = store_uri(tmp_path / "pg")
    if is_postgresql_uri(uri):
        absent = uri.rsplit("/", 1)[0] + "/mlflowc_no_such_database"
        for args in (["list"], ["create", "--username", "root", "--admin"]):
            r = users(mlflowc_bin, absent, *args, password=PASSWORD)
            assert r.returncode == 1, (r.stdout, r.stderr)
            assert f"mlflowc users {args[0]}: " in r.stderr and "does not exist" in r.stderr, r.stderr
        assert psql("SELECT count(*) FROM pg_database WHERE datname = 'mlflowc_no_such_database'") == "0"


def test_bad_flags(mlflowc_bin, store):
    assert users(mlflowc_bin, store, "frobnicate").returncode == 2
    r = subprocess.run([str(mlflowc_bin), "users", "--help"], capture_output=True, text=True, timeout=TIMEOUT)
    assert r.returncode == 0 and "token-create" in r.stdout and "takeover" in r.stdout
    r = subprocess.run([str(mlflowc_bin), "users", "grant", "--help"], capture_output=True, text=True,
                       timeout=TIMEOUT)
    assert r.returncode == 0 and "--permission" in r.stdout
    refused(mlflowc_bin, store, "audit", "--max-results", "0", says="--max-results")
    refused(mlflowc_bin, store, "audit", "--max-results", "10001", says="--max-results")
    assert ok(mlflowc_bin, store, "audit") == "no audit entries\n"


def werkzeug_pbkdf2(password, salt="tksalt0123456789", iterations=1000):
    digest = hashlib.pbkdf2_hmac("sha256", password.encode(), salt.encode(), iterations).hex()
    return f"pbkdf2:sha256:{iterations}${salt}${digest}"


def make_basic_auth_db(path, password):
    """MLflow's auth database at its first revision: an admin and a user with a permission."""
    db = sqlite3.connect(path)
    db.executescript(
        "CREATE TABLE alembic_version (version_num VARCHAR(32) NOT NULL PRIMARY KEY);"
        "CREATE TABLE users (id INTEGER NOT NULL, username VARCHAR(255), password_hash VARCHAR(255),"
        " is_admin BOOLEAN, PRIMARY KEY (id), UNIQUE (username));"
        "CREATE TABLE experiment_permissions (id INTEGER NOT NULL, experiment_id VARCHAR(255) NOT NULL,"
        " user_id INTEGER NOT NULL, permission VARCHAR(255), PRIMARY KEY (id),"
        " UNIQUE (experiment_id, user_id));"
        "CREATE TABLE registered_model_permissions (id INTEGER NOT NULL, name VARCHAR(255) NOT NULL,"
        " user_id INTEGER NOT NULL, permission VARCHAR(255), PRIMARY KEY (id), UNIQUE (name, user_id));"
        "INSERT INTO alembic_version VALUES ('8606fa83a998');")
    db.execute("INSERT INTO users VALUES (1, 'old_admin', ?, 1)", (werkzeug_pbkdf2(password),))
    db.execute("INSERT INTO users VALUES (2, 'old_user', ?, 0)", (werkzeug_pbkdf2(password),))
    db.execute("INSERT INTO experiment_permissions VALUES (1, '0', 2, 'EDIT')")
    db.execute("INSERT INTO registered_model_permissions VALUES (1, 'model-a', 2, 'READ')")
    db.commit()
    db.close()


def test_takeover(mlflowc_bin, store, tmp_path):
    source = tmp_path / "basic_auth.db"
    make_basic_auth_db(source, PASSWORD)
    out = ok(mlflowc_bin, store, "takeover", "--from", f"sqlite:///{source}")
    assert "2 of 2 users and 2 of 2 permissions were new" in out, out
    listing = ok(mlflowc_bin, store, "list")
    assert re.search(r"^old_admin \(id \d+\) admin,", listing, re.M), listing
    assert "    experiment 0: EDIT" in listing and "    registered-model model-a: READ" in listing
    assert "0 of 2 users and 0 of 2 permissions were new" in ok(mlflowc_bin, store, "takeover", "--from", str(source))
    refused(mlflowc_bin, store, "takeover", "--from", f"sqlite:///{tmp_path}/absent.db", says="no MLflow auth")
    refused(mlflowc_bin, store, "takeover", "--from", "postgresql://127.0.0.1/auth", says="sqlite:///")
    other = tmp_path / "other.db"
    sqlite3.connect(other).execute("CREATE TABLE t (x)").connection.close()
    refused(mlflowc_bin, store, "takeover", "--from", str(other))


def test_taken_over_users_sign_in_with_their_old_passwords(mlflowc_bin, tmp_path):
    directory = tmp_path / "srv"
    directory.mkdir()
    uri = store_uri(directory)
    subprocess.run([str(mlflowc_bin), "db", "upgrade", "--backend-store-uri", uri], check=True,
                   capture_output=True, cwd=directory, timeout=TIMEOUT)
    source = tmp_path / "basic_auth.db"
    make_basic_auth_db(source, PASSWORD)
    ok(mlflowc_bin, uri, "takeover", "--from", str(source))
    config = directory / "auth.ini"
    config.write_text("[mlflow]\ndefault_permission = READ\nauth_cache_ttl_seconds = 0\n")
    srv, port = auth_env.start(mlflowc_bin, directory, config=config)
    try:
        base = f"http://127.0.0.1:{port}/api/2.0/mlflow"
        r = requests.get(base + "/users/get", params={"username": "old_user"}, auth=("old_admin", PASSWORD),
                         timeout=TIMEOUT)
        assert r.status_code == 200, r.text
        assert requests.get(base + "/experiments/search", params={"max_results": 5}, auth=("old_user", "wrong-" + PASSWORD),
                            timeout=TIMEOUT).status_code == 401
    finally:
        stop_server(srv)


def basic(user, password):
    return {"Authorization": "Basic " + base64.b64encode(f"{user}:{password}".encode()).decode()}


def test_cli_users_and_tokens_work_on_a_running_server(mlflowc_bin, tmp_path):
    """The admin is made by the CLI before the first start (the INI names no admin password),
    then users, tokens and permissions changed by the CLI while the server runs."""
    directory = tmp_path / "srv"
    directory.mkdir()
    uri = store_uri(directory)
    subprocess.run([str(mlflowc_bin), "db", "upgrade", "--backend-store-uri", uri], check=True,
                   capture_output=True, cwd=directory, timeout=TIMEOUT)
    ok(mlflowc_bin, uri, "create", "--username", "root", "--admin", password="root-" + PASSWORD)
    ok(mlflowc_bin, uri, "create", "--username", "alice", password=PASSWORD)
    token = ok(mlflowc_bin, uri, "token-create", "--username", "alice", "--name", "ci").strip()
    config = directory / "auth.ini"
    config.write_text("[mlflow]\ndefault_permission = READ\nauth_cache_ttl_seconds = 0\n")
    srv, port = auth_env.start(mlflowc_bin, directory, config=config)
    base = f"http://127.0.0.1:{port}/api/2.0/mlflow"

    def call(path, body, headers):
        return requests.post(base + path, json=body, headers=headers, timeout=TIMEOUT)

    try:
        root = basic("root", "root-" + PASSWORD)
        r = call("/experiments/create", {"name": "cli-e2e"}, root)
        assert r.status_code == 200, r.text
        exp = r.json()["experiment_id"]
        assert call("/registered-models/create", {"name": "cli-model"}, root).status_code == 200
        # the default is READ: alice may not write yet
        assert call("/runs/create", {"experiment_id": exp}, basic("alice", PASSWORD)).status_code == 403
        ok(mlflowc_bin, uri, "grant", "--username", "alice", "--experiment-id", exp, "--permission", "EDIT")
        ok(mlflowc_bin, uri, "grant", "--username", "alice", "--registered-model", "cli-model", "--permission",
           "MANAGE")
        r = call("/runs/create", {"experiment_id": exp}, basic("alice", PASSWORD))
        assert r.status_code == 200, r.text
        run_id = r.json()["run"]["info"]["run_id"]
        bearer = {"Authorization": "Bearer " + token}
        r = call("/runs/log-metric", {"run_id": run_id, "key": "m", "value": 1.0, "timestamp": 1, "step": 0}, bearer)
        assert r.status_code == 200, r.text
        r = requests.get(base + "/registered-models/get", params={"name": "cli-model"}, headers=bearer,
                         timeout=TIMEOUT)
        assert r.status_code == 200, r.text
        assert call("/runs/create", {"experiment_id": exp}, basic("alice", "wrong-" + PASSWORD)).status_code == 401

        # changed by the CLI while the server runs
        token_id = re.search(r"^id (\d+) name 'ci'", ok(mlflowc_bin, uri, "tokens", "--username", "alice"),
                             re.M).group(1)
        ok(mlflowc_bin, uri, "token-revoke", "--username", "alice", "--id", token_id)
        assert call("/runs/log-metric", {"run_id": run_id, "key": "m", "value": 2.0, "timestamp": 2, "step": 1},
                    bearer).status_code == 401
        ok(mlflowc_bin, uri, "set-password", "--username", "alice", password="new-" + PASSWORD)
        assert call("/runs/create", {"experiment_id": exp}, basic("alice", PASSWORD)).status_code == 401
        assert call("/runs/create", {"experiment_id": exp}, basic("alice", "new-" + PASSWORD)).status_code == 200
        ok(mlflowc_bin, uri, "grant", "--username", "alice", "--experiment-id", exp, "--permission", "READ")
        assert call("/runs/create", {"experiment_id": exp}, basic("alice", "new-" + PASSWORD)).status_code == 403
        ok(mlflowc_bin, uri, "set-admin", "--username", "alice", "--admin")
        assert call("/runs/create", {"experiment_id": exp}, basic("alice", "new-" + PASSWORD)).status_code == 200
    finally:
        stop_server(srv)
    # the writes are in the audit trail (flushed when the server stopped)
    trail = ok(mlflowc_bin, uri, "audit", "--username", "alice", "--max-results", "50")
    assert re.search(r"^\d+ 20\S+ alice POST /api/2.0/mlflow/runs/create 200 ", trail, re.M), trail
    assert re.search(r"^\d+ 20\S+ alice POST /api/2.0/mlflow/runs/create 403 ", trail, re.M), trail
    assert "root" not in trail
    assert len(ok(mlflowc_bin, uri, "audit", "--max-results", "1").splitlines()) == 1

"""The basic-auth app's flows, as a user meets them (the route x role table is
test_auth_routes.py): the start-up rules (no admin password -> no start, MLflow's INI keys and
MLFLOW_AUTH_ADMIN_PASSWORD), the 401 challenge, MLflow's users and permissions API answers,
tokens (shown once, work as bearer, expire, revoked), a password change invalidating the old
one at once (cache included) and ending UI sessions, the sign-in cookie, brute-force slow-down
(429 with Retry-After, bounded, per user and address), searches filtered to what the user may
read, creators getting MANAGE, a model's permissions following its rename and deletion, the
audit trail and the registry history naming the signed-in user (X-MLflow-User ignored),
taking over MLflow's basic_auth.db with Werkzeug hashes (users sign in with their old
passwords and are re-hashed), and TLS on the server itself with a self-signed certificate.
"""

import base64
import hashlib
import os
import sqlite3
import subprocess
import time

import pytest
import requests

import auth_env
from auth_env import ADMIN, PASSWORD, Api
from conftest import free_local_port, stop_server

API = "/api/2.0"


@pytest.fixture
def srv(mlflowc_bin, tmp_path):
    server, port = auth_env.start(mlflowc_bin, tmp_path / "server")
    try:
        yield port
    finally:
        stop_server(server)


def admin(port):
    return Api(port, ADMIN)


def create_user(port, name, password=PASSWORD):
    return admin(port).ok("POST", API + "/mlflow/users/create", body={"username": name, "password": password})


def test_no_admin_password_refuses_to_start(mlflowc_bin, tmp_path):
    cfg = tmp_path / "auth.ini"
    cfg.write_text("[mlflow]\nadmin_username = admin\ndefault_permission = READ\n")
    env = dict(os.environ, MLFLOW_AUTH_CONFIG_PATH=str(cfg))
    env.pop("MLFLOW_AUTH_ADMIN_PASSWORD", None)
    cmd = [str(mlflowc_bin), "server", "--app-name", "basic-auth", "--backend-store-uri",
           f"sqlite:///{tmp_path}/mlflow.db", "--port", str(free_local_port())]
    done = subprocess.run(cmd, cwd=tmp_path, env=env, capture_output=True, text=True, timeout=60)
    assert done.returncode != 0
    assert "no admin password is configured" in done.stderr, done.stderr
    # MLflow's published default is not a fallback, and a short one is refused
    cfg.write_text("[mlflow]\nadmin_password = short\n")
    done = subprocess.run(cmd, cwd=tmp_path, env=env, capture_output=True, text=True, timeout=60)
    assert done.returncode != 0 and "admin password" in done.stderr, done.stderr
    # a broken INI file is named with its line
    cfg.write_text("[mlflow]\nadmin_password = admin-password-1234\nadmin_password = again-password-1234\n")
    done = subprocess.run(cmd, cwd=tmp_path, env=env, capture_output=True, text=True, timeout=60)
    assert done.returncode != 0 and "auth.ini:3:" in done.stderr, done.stderr
    # an unknown app is refused
    done = subprocess.run([str(mlflowc_bin), "server", "--app-name", "nope"], cwd=tmp_path, env=env,
                          capture_output=True, text=True, timeout=60)
    assert done.returncode == 2 and "basic-auth" in done.stderr


def test_admin_password_from_the_environment(mlflowc_bin, tmp_path):
    cfg = tmp_path / "auth.ini"
    cfg.write_text("[mlflow]\nadmin_username = root\n")
    server, port = auth_env.start(mlflowc_bin, tmp_path / "s", config=cfg,
                                  env_extra={"MLFLOW_AUTH_ADMIN_PASSWORD": "env-password-12345"})
    try:
        me = Api(port, ("root", "env-password-12345")).ok("GET", API + "/mlflow/users/current")
        assert me["user"]["username"] == "root" and me["user"]["is_admin"] is True
    finally:
        stop_server(server)


def test_challenge_and_public_paths(srv):
    r = requests.get(f"http://127.0.0.1:{srv}{API}/mlflow/experiments/search", timeout=30)
    assert r.status_code == 401
    assert r.headers["WWW-Authenticate"] == 'Basic realm="mlflow"'
    assert "You are not authenticated" in r.text
    # the UI's own requests get no browser prompt
    r = requests.get(f"http://127.0.0.1:{srv}{API}/mlflow/experiments/search", headers={"X-MLflowc-UI": "1"},
                     timeout=30)
    assert r.status_code == 401 and "WWW-Authenticate" not in r.headers
    assert requests.get(f"http://127.0.0.1:{srv}/health", timeout=30).status_code == 200
    assert requests.get(f"http://127.0.0.1:{srv}/version", timeout=30).status_code == 401
    # credentials that do not parse are a wrong sign-in, not a crash
    for header in ["Basic", "Basic !!!", "Basic " + base64.b64encode(b"no-colon").decode(), "Bearer", "Digest x",
                   "Basic " + base64.b64encode(b"admin:" + b"x" * 5000).decode(), "Bearer mlfct_short"]:
        r = requests.get(f"http://127.0.0.1:{srv}{API}/mlflow/experiments/search",
                         headers={"Authorization": header}, timeout=30)
        assert r.status_code in (401, 429), (header, r.status_code)  # failures from one address add up


def test_users_api_answers_as_mlflow(srv):
    a = admin(srv)
    made = create_user(srv, "alice")
    assert made["user"]["username"] == "alice" and made["user"]["is_admin"] is False
    assert made["user"]["experiment_permissions"] == [] and made["user"]["registered_model_permissions"] == []
    assert made["user"]["scorer_permissions"] == []  # MLflow 3's User.from_json reads all three
    r = a.call("POST", API + "/mlflow/users/create", body={"username": "alice", "password": PASSWORD})
    assert r.status_code == 400 and r.json()["error_code"] == "RESOURCE_ALREADY_EXISTS"
    r = a.call("POST", API + "/mlflow/users/create", body={"username": "bob", "password": "short"})
    assert r.status_code == 400 and r.json()["error_code"] == "INVALID_PARAMETER_VALUE"
    r = a.call("POST", API + "/mlflow/users/create", body={"password": PASSWORD})
    assert r.status_code == 400 and r.json()["error_code"] == "INVALID_PARAMETER_VALUE"
    r = a.call("GET", API + "/mlflow/users/get", {"username": "nobody"})
    assert r.status_code == 404 and r.json()["error_code"] == "RESOURCE_DOES_NOT_EXIST"
    names = [u["username"] for u in a.ok("GET", API + "/mlflow/users/list")["users"]]
    assert names == ["admin", "alice"]
    alice = Api(srv, ("alice", PASSWORD))
    assert alice.ok("GET", API + "/mlflow/users/current")["user"] == {"id": made["user"]["id"], "username": "alice",
                                                                       "is_admin": False}
    # users/get: yourself, or an admin
    assert alice.ok("GET", API + "/mlflow/users/get", {"username": "alice"})["user"]["username"] == "alice"
    assert alice.call("GET", API + "/mlflow/users/get", {"username": "admin"}).status_code == 403
    assert alice.call("GET", API + "/mlflow/users/list").status_code == 403
    # the ajax-api twin answers the same
    assert alice.ok("GET", "/ajax-api/2.0/mlflow/users/current")["user"]["username"] == "alice"
    # permissions
    exp = a.ok("POST", API + "/mlflow/experiments/create", body={"name": "e"})["experiment_id"]
    p = a.ok("POST", API + "/mlflow/experiments/permissions/create",
             body={"experiment_id": exp, "username": "alice", "permission": "EDIT"})
    assert p == {"experiment_permission": {"experiment_id": exp, "user_id": made["user"]["id"], "permission": "EDIT"}}
    r = a.call("POST", API + "/mlflow/experiments/permissions/create",
               body={"experiment_id": exp, "username": "alice", "permission": "EDIT"})
    assert r.json()["error_code"] == "RESOURCE_ALREADY_EXISTS"
    r = a.call("POST", API + "/mlflow/experiments/permissions/create",
               body={"experiment_id": exp, "username": "alice", "permission": "ALL"})
    assert r.status_code == 400 and r.json()["error_code"] == "INVALID_PARAMETER_VALUE"
    a.ok("PATCH", API + "/mlflow/experiments/permissions/update",
         body={"experiment_id": exp, "username": "alice", "permission": "READ"})
    got = a.ok("GET", API + "/mlflow/experiments/permissions/get", {"experiment_id": exp, "username": "alice"})
    assert got["experiment_permission"]["permission"] == "READ"
    user = a.ok("GET", API + "/mlflow/users/get", {"username": "alice"})["user"]
    assert user["experiment_permissions"] == [{"experiment_id": exp, "user_id": user["id"], "permission": "READ"}]
    # MLflow's client documents a permission on an experiment that does not exist ("myexperiment")
    p = a.ok("POST", API + "/mlflow/experiments/permissions/create",
             body={"experiment_id": "myexperiment", "username": "alice", "permission": "READ"})
    assert p["experiment_permission"]["experiment_id"] == "myexperiment"
    # an id is an id however it is spelled: "0<id>" is the same experiment's row
    r = a.call("POST", API + "/mlflow/experiments/permissions/create",
               body={"experiment_id": "0" + exp, "username": "alice", "permission": "READ"})
    assert r.status_code == 400 and r.json()["error_code"] == "RESOURCE_ALREADY_EXISTS", r.text
    a.ok("DELETE", API + "/mlflow/experiments/permissions/delete", body={"experiment_id": exp, "username": "alice"})
    r = a.call("GET", API + "/mlflow/experiments/permissions/get", {"experiment_id": exp, "username": "alice"})
    assert r.status_code == 404
    # the last admin stays
    r = a.call("PATCH", API + "/mlflow/users/update-admin", body={"username": "admin", "is_admin": False})
    assert r.status_code >= 400
    r = a.call("DELETE", API + "/mlflow/users/delete", body={"username": "admin"})
    assert r.status_code >= 400
    a.ok("PATCH", API + "/mlflow/users/update-admin", body={"username": "alice", "is_admin": True})
    assert alice.ok("GET", API + "/mlflow/users/list")["users"]  # alice is an admin now, at once
    a.ok("DELETE", API + "/mlflow/users/delete", body={"username": "alice"})
    assert alice.call("GET", API + "/mlflow/users/current").status_code == 401


def test_password_change_invalidates_the_old_password_and_sessions(srv):
    create_user(srv, "carol")
    old = Api(srv, ("carol", PASSWORD))
    old.ok("GET", API + "/mlflow/users/current")  # now in the credential cache
    session = requests.Session()
    r = session.post(f"http://127.0.0.1:{srv}{API}/mlflowc/auth/sign-in",
                     json={"username": "carol", "password": PASSWORD}, timeout=30)
    assert r.status_code == 200 and "mlflowc_session" in session.cookies
    assert "HttpOnly" in r.headers["Set-Cookie"] and "SameSite=Strict" in r.headers["Set-Cookie"]
    assert session.get(f"http://127.0.0.1:{srv}{API}/mlflow/users/current", timeout=30).status_code == 200
    # changing your own password needs the current one
    r = old.call("PATCH", API + "/mlflow/users/update-password", body={"username": "carol", "password": "new-password-12345"})
    assert r.status_code == 400
    r = old.call("PATCH", API + "/mlflow/users/update-password",
                 body={"username": "carol", "password": "new-password-12345", "current_password": "wrong-one-123456"})
    assert r.status_code == 403
    old.ok("PATCH", API + "/mlflow/users/update-password",
           body={"username": "carol", "password": "new-password-12345", "current_password": PASSWORD})
    assert old.call("GET", API + "/mlflow/users/current").status_code == 401
    assert session.get(f"http://127.0.0.1:{srv}{API}/mlflow/users/current", timeout=30).status_code == 401
    Api(srv, ("carol", "new-password-12345")).ok("GET", API + "/mlflow/users/current")
    # someone else's password: only an admin
    create_user(srv, "dave")
    r = Api(srv, ("dave", PASSWORD)).call("PATCH", API + "/mlflow/users/update-password",
                                          body={"username": "carol", "password": "hijack-password-1"})
    assert r.status_code == 403
    admin(srv).ok("PATCH", API + "/mlflow/users/update-password", body={"username": "carol", "password": "reset-password-12"})
    Api(srv, ("carol", "reset-password-12")).ok("GET", API + "/mlflow/users/current")


def test_tokens_are_shown_once_work_expire_and_revoke(srv):
    create_user(srv, "erin")
    erin = Api(srv, ("erin", PASSWORD))
    made = erin.ok("POST", API + "/mlflowc/users/tokens/create", body={"name": "ci"})
    secret = made["secret"]
    assert secret.startswith("mlfct_") and len(secret) == 49
    bearer = Api(srv, headers={"Authorization": f"Bearer {secret}"})
    assert bearer.ok("GET", API + "/mlflow/users/current")["user"]["username"] == "erin"
    listed = erin.ok("GET", API + "/mlflowc/users/tokens/list")["tokens"]
    assert [t["name"] for t in listed] == ["ci"] and "secret" not in listed[0]
    assert secret not in erin.call("GET", API + "/mlflowc/users/tokens/list").text
    # someone else cannot revoke it, nor list it
    create_user(srv, "frank")
    frank = Api(srv, ("frank", PASSWORD))
    assert frank.call("POST", API + "/mlflowc/users/tokens/revoke", body={"id": made["token"]["id"]}).status_code == 404
    assert frank.call("GET", API + "/mlflowc/users/tokens/list", {"username": "erin"}).status_code == 403
    assert bearer.call("GET", API + "/mlflow/users/current").status_code == 200
    erin.ok("POST", API + "/mlflowc/users/tokens/revoke", body={"id": made["token"]["id"]})
    assert bearer.call("GET", API + "/mlflow/users/current").status_code == 401
    # a session cookie is not a bearer token, nor the other way round
    r = requests.get(f"http://127.0.0.1:{srv}{API}/mlflow/users/current", cookies={"mlflowc_session": secret},
                     timeout=30)
    assert r.status_code == 401
    # expiry
    soon = int(time.time() * 1000) + 1500
    short = erin.ok("POST", API + "/mlflowc/users/tokens/create", body={"name": "short", "expiry_time": soon})["secret"]
    brief = Api(srv, headers={"Authorization": f"Bearer {short}"})
    assert brief.call("GET", API + "/mlflow/users/current").status_code == 200
    time.sleep(2.0)
    assert brief.call("GET", API + "/mlflow/users/current").status_code == 401
    r = erin.call("POST", API + "/mlflowc/users/tokens/create", body={"name": "past", "expiry_time": 1000})
    assert r.status_code == 400
    r = erin.call("POST", API + "/mlflowc/users/tokens/create", body={"expires_in_days": 99999})
    assert r.status_code == 400
    # deleting the user ends its tokens
    third = erin.ok("POST", API + "/mlflowc/users/tokens/create", body={})["secret"]
    admin(srv).ok("DELETE", API + "/mlflow/users/delete", body={"username": "erin"})
    assert Api(srv, headers={"Authorization": f"Bearer {third}"}).call(
        "GET", API + "/mlflow/users/current").status_code == 401


def test_repeated_failures_slow_down(srv):
    create_user(srv, "gina")
    wrong = Api(srv, ("gina", "not-her-password"))
    statuses = [wrong.call("GET", API + "/mlflow/users/current").status_code for _ in range(9)]
    assert statuses[:6] == [401] * 6, statuses  # five free failures, then the first extra one starts the wait
    assert statuses[6:] == [429] * 3, statuses
    r = wrong.call("GET", API + "/mlflow/users/current")
    assert r.status_code == 429 and 1 <= int(r.headers["Retry-After"]) <= 60
    # while it waits, even the right password is not checked for this user from here ...
    assert Api(srv, ("gina", PASSWORD)).call("GET", API + "/mlflow/users/current").status_code == 429
    # ... but other users sign in
    Api(srv, ADMIN).ok("GET", API + "/mlflow/users/current")
    # the sign-in page counts the same way
    r = requests.post(f"http://127.0.0.1:{srv}{API}/mlflowc/auth/sign-in",
                      json={"username": "gina", "password": PASSWORD}, timeout=30)
    assert r.status_code == 429
    # and the wait ends (the first extra failure waits 1 s, then 2, 4: bounded)
    deadline = time.monotonic() + 70
    while time.monotonic() < deadline:
        r = Api(srv, ("gina", PASSWORD)).call("GET", API + "/mlflow/users/current")
        if r.status_code == 200:
            break
        assert r.status_code == 429
        time.sleep(min(int(r.headers["Retry-After"]), 10))
    assert r.status_code == 200


def test_searches_show_only_what_the_user_may_read(mlflowc_bin, tmp_path):
    server, port = auth_env.start(mlflowc_bin, tmp_path / "s", default_permission="NO_PERMISSIONS")
    try:
        a = admin(port)
        create_user(port, "hank")
        hank = Api(port, ("hank", PASSWORD))
        ids = [a.ok("POST", API + "/mlflow/experiments/create", body={"name": f"e{i}"})["experiment_id"]
               for i in range(7)]
        readable = ids[1::2]
        for e in readable:
            a.ok("POST", API + "/mlflow/experiments/permissions/create",
                 body={"experiment_id": e, "username": "hank", "permission": "READ"})
        got, token = [], None
        for _ in range(10):  # pages of 2 are refilled past the unreadable ones
            body = {"max_results": 2, **({"page_token": token} if token else {})}
            page = hank.ok("POST", API + "/mlflow/experiments/search", body=body)
            got += [e["experiment_id"] for e in page.get("experiments", [])]
            assert len(page.get("experiments", [])) <= 2
            token = page.get("next_page_token")
            if not token:
                break
        assert sorted(got) == sorted(readable)
        # runs/search drops the experiments the user may not read
        for e in ids:
            a.ok("POST", API + "/mlflow/runs/create", body={"experiment_id": e})
        runs = hank.ok("POST", API + "/mlflow/runs/search", body={"experiment_ids": ids})["runs"]
        assert sorted(r["info"]["experiment_id"] for r in runs) == sorted(readable)
        assert hank.ok("POST", API + "/mlflow/runs/search", body={"experiment_ids": [ids[0]]}) == {}
        assert hank.call("GET", API + "/mlflow/experiments/get", {"experiment_id": ids[0]}).status_code == 403
        # the creator of an experiment or a model gets MANAGE on it
        mine = hank.ok("POST", API + "/mlflow/experiments/create", body={"name": "hanks"})["experiment_id"]
        got = a.ok("GET", API + "/mlflow/experiments/permissions/get", {"experiment_id": mine, "username": "hank"})
        assert got["experiment_permission"]["permission"] == "MANAGE"
        hank.ok("POST", API + "/mlflow/experiments/delete", body={"experiment_id": mine})
        hank.ok("POST", API + "/mlflow/registered-models/create", body={"name": "hm"})
        a.ok("POST", API + "/mlflow/registered-models/create", body={"name": "secret-model"})
        names = [m["name"] for m in hank.ok("GET", API + "/mlflow/registered-models/search").get("registered_models", [])]
        assert names == ["hm"]
        # its permission rows follow a rename and go with a deletion
        hank.ok("POST", API + "/mlflow/registered-models/rename", body={"name": "hm", "new_name": "hm2"})
        got = a.ok("GET", API + "/mlflow/registered-models/permissions/get", {"name": "hm2", "username": "hank"})
        assert got["registered_model_permission"]["permission"] == "MANAGE"
        assert a.call("GET", API + "/mlflow/registered-models/permissions/get",
                      {"name": "hm", "username": "hank"}).status_code == 404
        hank.ok("DELETE", API + "/mlflow/registered-models/delete", body={"name": "hm2"})
        assert a.call("GET", API + "/mlflow/registered-models/permissions/get",
                      {"name": "hm2", "username": "hank"}).status_code == 404
        # a model made again under the old name is not theirs
        a.ok("POST", API + "/mlflow/registered-models/create", body={"name": "hm2"})
        assert hank.call("GET", API + "/mlflow/registered-models/get", {"name": "hm2"}).status_code == 403
    finally:
        stop_server(server)


def test_writes_are_attributed_to_the_signed_in_user(srv):
    a = admin(srv)
    create_user(srv, "ivy")
    ivy = Api(srv, ("ivy", PASSWORD), headers={"X-MLflow-User": "someone-else"})
    exp = ivy.ok("POST", API + "/mlflow/experiments/create", body={"name": "ivy-exp"})["experiment_id"]
    ivy.ok("POST", API + "/mlflow/registered-models/create", body={"name": "ivy-model"})
    ivy.ok("POST", API + "/mlflow/model-versions/create", body={"name": "ivy-model", "source": "mlflow-artifacts:/x"})
    ivy.ok("POST", API + "/mlflow/model-versions/transition-stage",
           body={"name": "ivy-model", "version": "1", "stage": "Staging", "archive_existing_versions": False})
    history = ivy.ok("GET", API + "/mlflowc/registered-models/history", {"name": "ivy-model"})
    users = {e.get("user_id") for e in history.get("events", history.get("history", []))}
    assert users == {"ivy"}, history
    refused = Api(srv, ("ivy", "wrong-password-1")).call("POST", API + "/mlflow/experiments/delete",
                                                          body={"experiment_id": exp})
    assert refused.status_code == 401
    deadline = time.monotonic() + 10
    while time.monotonic() < deadline:  # the trail is written within a second
        entries = a.ok("GET", API + "/mlflowc/audit/search", {"username": "ivy"})["entries"]
        if len(entries) >= 4:
            break
        time.sleep(0.2)
    paths = [(e["method"], e["path"], e["status"]) for e in entries]
    assert ("POST", "/api/2.0/mlflow/experiments/create", 200) in paths
    assert ("POST", "/api/2.0/mlflow/model-versions/transition-stage", 200) in paths
    assert all(e["username"] == "ivy" for e in entries)
    everyone = a.ok("GET", API + "/mlflowc/audit/search", {"max_results": 1000})["entries"]
    assert any(e["status"] == 401 and "username" not in e for e in everyone)
    page = a.ok("GET", API + "/mlflowc/audit/search", {"max_results": 2})
    assert len(page["entries"]) == 2 and page["next_page_token"]
    nxt = a.ok("GET", API + "/mlflowc/audit/search", {"max_results": 2, "page_token": page["next_page_token"]})
    assert nxt["entries"][0]["id"] < page["entries"][1]["id"]
    assert ivy.call("GET", API + "/mlflowc/audit/search").status_code == 403


def werkzeug_pbkdf2(password, salt, iterations=260000):
    return f"pbkdf2:sha256:{iterations}${salt}$" + hashlib.pbkdf2_hmac(
        "sha256", password.encode(), salt.encode(), iterations).hex()


def werkzeug_scrypt(password, salt):
    return f"scrypt:32768:8:1${salt}$" + hashlib.scrypt(password.encode(), salt=salt.encode(), n=32768, r=8, p=1,
                                                        maxmem=64 * 1024 * 1024, dklen=64).hex()


def test_mlflow_auth_database_is_taken_over(mlflowc_bin, tmp_path):
    old = tmp_path / "basic_auth.db"
    db = sqlite3.connect(old)
    db.executescript("""
        CREATE TABLE alembic_version (version_num VARCHAR(32) NOT NULL PRIMARY KEY);
        INSERT INTO alembic_version VALUES ('0965eb92f5f0');
        CREATE TABLE users (id INTEGER PRIMARY KEY, username VARCHAR(255) UNIQUE, password_hash VARCHAR(255),
                            is_admin BOOLEAN);
        CREATE TABLE experiment_permissions (id INTEGER PRIMARY KEY, experiment_id VARCHAR(255) NOT NULL,
            user_id INTEGER NOT NULL, permission VARCHAR(255), UNIQUE (experiment_id, user_id));
        CREATE TABLE registered_model_permissions (id INTEGER PRIMARY KEY, name VARCHAR(255) NOT NULL,
            user_id INTEGER NOT NULL, permission VARCHAR(255), UNIQUE (name, user_id));
        CREATE TABLE scorer_permissions (id INTEGER PRIMARY KEY, experiment_id VARCHAR(255) NOT NULL,
            scorer_name VARCHAR(256) NOT NULL, user_id INTEGER NOT NULL, permission VARCHAR(255));
    """)
    db.execute("INSERT INTO users VALUES (1, 'oldadmin', ?, 1)", (werkzeug_scrypt("old-admin-password", "AbCdEf0123456789"),))
    db.execute("INSERT INTO users VALUES (2, 'olduser', ?, 0)", (werkzeug_pbkdf2("old-user-password", "ZyXwVu9876543210"),))
    db.execute("INSERT INTO experiment_permissions VALUES (1, '0', 2, 'EDIT')")
    db.execute("INSERT INTO registered_model_permissions VALUES (1, 'legacy', 2, 'MANAGE')")
    db.commit()
    db.close()
    before = old.read_bytes()
    cfg = tmp_path / "auth.ini"
    cfg.write_text(f"[mlflow]\ndefault_permission = NO_PERMISSIONS\ndatabase_uri = sqlite:///{old}\n"
                   "authorization_function = mlflow.server.auth:authenticate_request_basic_auth\n")
    server, port = auth_env.start(mlflowc_bin, tmp_path / "s", config=cfg)
    try:
        assert old.read_bytes() == before  # read only
        oldadmin = Api(port, ("oldadmin", "old-admin-password"))
        assert oldadmin.ok("GET", API + "/mlflow/users/current")["user"]["is_admin"] is True
        olduser = Api(port, ("olduser", "old-user-password"))
        olduser.ok("GET", API + "/mlflow/experiments/get", {"experiment_id": "0"})
        got = oldadmin.ok("GET", API + "/mlflow/registered-models/permissions/get",
                          {"name": "legacy", "username": "olduser"})
        assert got["registered_model_permission"]["permission"] == "MANAGE"
        assert Api(port, ("olduser", "wrong-password")).call("GET", API + "/mlflow/users/current").status_code == 401
        # no admin password was configured: the taken-over admin is the admin
        names = [u["username"] for u in oldadmin.ok("GET", API + "/mlflow/users/list")["users"]]
        assert sorted(names) == ["oldadmin", "olduser"]
    finally:
        stop_server(server)
    # re-hashed with argon2id on the first sign-in; the old password still works after a restart
    server, port = auth_env.start(mlflowc_bin, tmp_path / "s", config=cfg)
    try:
        Api(port, ("olduser", "old-user-password")).ok("GET", API + "/mlflow/users/current")
        assert old.read_bytes() == before
    finally:
        stop_server(server)
    store = tmp_path / "s" / "mlflow.db"
    if store.exists():  # SQLite pass: the stored hashes are ours now
        hashes = [h for (h,) in sqlite3.connect(store).execute("SELECT password_hash FROM users ORDER BY username")]
        assert all(h.startswith("$argon2id$") for h in hashes), hashes


def test_tls_with_a_self_signed_certificate(mlflowc_bin, tmp_path):
    key, cert = tmp_path / "key.pem", tmp_path / "cert.pem"
    subprocess.run(["openssl", "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-keyout", str(key), "-out",
                    str(cert), "-days", "2", "-subj", "/CN=127.0.0.1", "-addext", "subjectAltName=IP:127.0.0.1"],
                   check=True, capture_output=True, timeout=120)
    port = free_local_port()
    cfg = auth_env.write_config(tmp_path / "auth.ini")
    env = dict(os.environ, MLFLOW_AUTH_CONFIG_PATH=str(cfg))
    proc = subprocess.Popen([str(mlflowc_bin), "server", "--app-name", "basic-auth", "--backend-store-uri",
                             f"sqlite:///{tmp_path}/mlflow.db", "--host", "127.0.0.1", "--port", str(port),
                             "--tls-cert", str(cert), "--tls-key", str(key)], cwd=tmp_path, env=env,
                            stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    try:
        base = f"https://127.0.0.1:{port}"
        deadline = time.monotonic() + 20
        while time.monotonic() < deadline:
            try:
                if requests.get(base + "/health", verify=str(cert), timeout=5).status_code == 200:
                    break
            except requests.exceptions.ConnectionError:
                time.sleep(0.1)
        r = requests.get(base + API + "/mlflow/users/current", auth=ADMIN, verify=str(cert), timeout=30)
        assert r.status_code == 200 and r.json()["user"]["username"] == "admin"
        r = requests.post(base + API + "/mlflowc/auth/sign-in", json={"username": ADMIN[0], "password": ADMIN[1]},
                          verify=str(cert), timeout=30)
        assert "; Secure" in r.headers["Set-Cookie"]
        with pytest.raises(requests.exceptions.SSLError):  # unknown issuer
            requests.get(base + "/health", timeout=5)
        with pytest.raises(requests.exceptions.ConnectionError):  # no plain HTTP on the TLS port
            requests.get(f"http://127.0.0.1:{port}/health", timeout=5).raise_for_status()
    finally:
        proc.terminate()
        assert proc.wait(timeout=20) == 0
    # a missing key or a file that is not PEM is refused at start
    done = subprocess.run([str(mlflowc_bin), "server", "--tls-cert", str(cert)], capture_output=True, text=True,
                          timeout=30)
    assert done.returncode == 2 and "--tls-key" in done.stderr


def test_replicas_share_users_at_once(mlflowc_bin, tmp_path):
    """Two servers on one store (PostgreSQL in the PostgreSQL pass, one SQLite file otherwise): a
    user made through one signs in through the other at once; a permission granted on one holds on
    the other, and a password changed on one is refused on the other, once the other's remembered
    entries end (auth_cache_ttl_seconds, 1 s here); on the server that made the change, at once."""
    directory = tmp_path / "shared"
    cfg = auth_env.write_config(tmp_path / "auth.ini", extra="")
    cfg.write_text(cfg.read_text().replace("auth_cache_ttl_seconds = 30", "auth_cache_ttl_seconds = 1"))
    one, port1 = auth_env.start(mlflowc_bin, directory, config=cfg)
    try:
        two, port2 = auth_env.start(mlflowc_bin, directory, config=cfg)
        try:
            create_user(port1, "jill")
            exp = admin(port1).ok("POST", API + "/mlflow/experiments/create", body={"name": "shared"})["experiment_id"]
            jill2 = Api(port2, ("jill", PASSWORD))
            jill2.ok("GET", API + "/mlflow/experiments/get", {"experiment_id": exp})
            assert jill2.call("POST", API + "/mlflow/runs/create", body={"experiment_id": exp}).status_code == 403
            jill1 = Api(port1, ("jill", PASSWORD))
            assert jill1.call("POST", API + "/mlflow/runs/create", body={"experiment_id": exp}).status_code == 403
            admin(port1).ok("POST", API + "/mlflow/experiments/permissions/create",
                            body={"experiment_id": exp, "username": "jill", "permission": "EDIT"})
            jill1.ok("POST", API + "/mlflow/runs/create", body={"experiment_id": exp})  # here: at once
            time.sleep(1.5)  # there: once server two's remembered level (1 s) has ended
            jill2.ok("POST", API + "/mlflow/runs/create", body={"experiment_id": exp})
            admin(port1).ok("PATCH", API + "/mlflow/users/update-password",
                            body={"username": "jill", "password": "changed-password-1"})
            time.sleep(1.5)  # server two's cache entry (1 s) has ended
            assert jill2.call("GET", API + "/mlflow/users/current").status_code == 401
            Api(port2, ("jill", "changed-password-1")).ok("GET", API + "/mlflow/users/current")
        finally:
            stop_server(two)
    finally:
        stop_server(one)


def test_the_official_auth_client_sequence(srv):
    """The calls of MLflow's AuthServiceClient (mlflow/server/auth/client.py), with its methods,
    parameters and bodies, read the way its entities' from_json read them: every field they
    index must be there."""
    a = admin(srv)

    def user_from_json(d):
        return (d["id"], d["username"], d["is_admin"], [(p["experiment_id"], p["user_id"], p["permission"])
                                                        for p in d["experiment_permissions"]],
                [(p["name"], p["user_id"], p["permission"]) for p in d["registered_model_permissions"]],
                list(d["scorer_permissions"]))

    created = user_from_json(a.ok("POST", API + "/mlflow/users/create",
                                  body={"username": "newuser", "password": "newpassword12"})["user"])
    got = user_from_json(a.ok("GET", API + "/mlflow/users/get", {"username": "newuser"})["user"])
    assert got == created and got[1] == "newuser" and got[2] is False
    a.ok("PATCH", API + "/mlflow/users/update-password", body={"username": "newuser", "password": "anotherpassword"})
    a.ok("PATCH", API + "/mlflow/users/update-admin", body={"username": "newuser", "is_admin": True})
    a.ok("PATCH", API + "/mlflow/users/update-admin", body={"username": "newuser", "is_admin": False})
    ep = a.ok("POST", API + "/mlflow/experiments/permissions/create",
              body={"experiment_id": "myexperiment", "username": "newuser", "permission": "READ"})["experiment_permission"]
    assert (ep["experiment_id"], ep["user_id"], ep["permission"]) == ("myexperiment", created[0], "READ")
    ep = a.ok("GET", API + "/mlflow/experiments/permissions/get",
              {"experiment_id": "myexperiment", "username": "newuser"})["experiment_permission"]
    assert ep["permission"] == "READ"
    a.ok("PATCH", API + "/mlflow/experiments/permissions/update",
         body={"experiment_id": "myexperiment", "username": "newuser", "permission": "EDIT"})
    a.ok("DELETE", API + "/mlflow/experiments/permissions/delete",
         body={"experiment_id": "myexperiment", "username": "newuser"})
    rmp = a.ok("POST", API + "/mlflow/registered-models/permissions/create",
               body={"name": "myregisteredmodel", "username": "newuser", "permission": "READ"})
    rmp = rmp["registered_model_permission"]
    assert (rmp["name"], rmp["user_id"], rmp["permission"]) == ("myregisteredmodel", created[0], "READ")
    rmp = a.ok("GET", API + "/mlflow/registered-models/permissions/get",
               {"name": "myregisteredmodel", "username": "newuser"})["registered_model_permission"]
    assert rmp["permission"] == "READ"
    a.ok("PATCH", API + "/mlflow/registered-models/permissions/update",
         body={"name": "myregisteredmodel", "username": "newuser", "permission": "EDIT"})
    a.ok("DELETE", API + "/mlflow/registered-models/permissions/delete",
         body={"name": "myregisteredmodel", "username": "newuser"})
    a.ok("DELETE", API + "/mlflow/users/delete", body={"username": "newuser"})
    r = a.call("GET", API + "/mlflow/users/get", {"username": "newuser"})
    assert r.status_code == 404 and r.json()["error_code"] == "RESOURCE_DOES_NOT_EXIST"

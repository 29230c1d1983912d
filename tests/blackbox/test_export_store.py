"""`mlflowc export --to <store URI>`: an mlflowc store copied into another mlflowc store (SQLite to
SQLite, SQLite to PostgreSQL and back), every identity kept.

A SQLite store is filled through the REST API of a real server: experiments (one deleted, with
tags), runs (deleted ones too) with params, tags, NaN/+-inf metrics and a long history, datasets
and inputs with tags, MLflow 3 logged models (params, tags, metrics, run links, a deleted one),
registered models (a prompt too) with versions (stages, tags, descriptions, a deleted one), aliases;
the highest experiment is removed for good by gc, so its id must not be given again.
It is copied, and a server on each copy must give the same answer to every REST question
(store_answers.py), keep the rows REST does not show (deletion times, the redacted rows of deleted
versions), and number what is created afterwards as the source does. Also: the per-table report
matches and a second copy changes no row; a destination holding another experiment under a
source's id is refused with nothing written; a bad URI is refused without printing its password;
--experiment-ids copies only those experiments; an official MLflow fixture imported into SQLite
round-trips through PostgreSQL. The PostgreSQL cases need MLF_TEST_PG_ADMIN
(scripts/pg_test_cluster.sh) and skip without it; the fixture case needs ../shared.
"""
import sqlite3
import subprocess

import pytest
import requests

import conftest
from conftest import free_local_port
from store_answers import answers, assert_same_answers
from test_import import COMMAND_TIMEOUT, fixtures_dir, report_rows
from test_import_into_pg import Server, fresh_pg, pg_rows

HISTORY_STEPS = 3000
TABLES = ["experiments", "experiment_tags", "runs", "params", "tags", "metrics", "latest_metrics", "datasets",
          "inputs", "input_tags", "inputs (models)", "logged_models", "logged_model_params", "logged_model_tags",
          "logged_model_metrics", "registered_models", "registered_model_tags", "model_versions",
          "model_version_tags", "registered_model_aliases"]


def need_pg():
    if not conftest.pg_admin_uri():
        pytest.skip(f"{conftest.PG_ADMIN_ENV} is not set: copying into and out of PostgreSQL needs a test cluster "
                    "(eval \"$(scripts/pg_test_cluster.sh start)\"); the SQLite cases ran")
    if not conftest.psql_path():
        pytest.skip("psql not found (Debian's postgresql-client)")


def ok(server, path, body):
    r = server.post(path, body)
    assert r.status_code == 200, (path, r.text)
    return r.json()


def api(server, method, path, body=None, **params):
    r = requests.request(method, f"{server.base}/{path}", json=body, params=params or None, timeout=60)
    assert r.status_code == 200, (path, r.status_code, r.text)
    return r.json()


def fill(server):
    """Everything a client can put into a store, with the ids it got."""
    made = {}
    vision = ok(server, "experiments/create", {"name": "vision", "tags": [{"key": "team", "value": "cv ü"}]})
    vision = vision["experiment_id"]
    gone = ok(server, "experiments/create", {"name": "gone", "artifact_location": "s3://bucket/gone"})
    gone = gone["experiment_id"]
    nlp = ok(server, "experiments/create", {"name": "nlp"})["experiment_id"]
    ok(server, "experiments/set-experiment-tag", {"experiment_id": gone, "key": "why", "value": "obsolete"})
    runs = []
    for exp in (vision, vision, vision, nlp, gone):
        run = ok(server, "runs/create", {"experiment_id": exp, "run_name": f"r{len(runs)}", "user_id": "ann",
                                         "start_time": 1700000000000 + len(runs),
                                         "tags": [{"key": "phase", "value": "train"}]})["run"]
        rid = run["info"]["run_id"]
        runs.append(rid)
        ok(server, "runs/log-batch", {"run_id": rid,
                                      "params": [{"key": "lr", "value": "0.01"}, {"key": "n", "value": str(len(runs))}],
                                      "tags": [{"key": "group/sub", "value": "x y"}],
                                      "metrics": [{"key": "weird", "value": v, "timestamp": 1700000000000 + k,
                                                   "step": k}
                                                  for k, v in enumerate(["NaN", "Infinity", "-Infinity", 0.5])]})
    for start in range(0, HISTORY_STEPS, 1000):
        ok(server, "runs/log-batch", {"run_id": runs[0], "metrics": [
            {"key": "loss", "value": 1.0 / (k + 1), "timestamp": 1700000000000 + k % 7, "step": k}
            for k in range(start, start + 1000)]})
    ok(server, "runs/log-batch", {"run_id": runs[0], "metrics": [
        {"key": "loss", "value": "NaN", "timestamp": 1800000000000, "step": HISTORY_STEPS},
        {"key": "loss", "value": 0.25, "timestamp": 1800000000000, "step": 5}]})
    ok(server, "runs/update", {"run_id": runs[0], "status": "FINISHED", "end_time": 1700000009999})
    dataset = {"name": "train", "digest": "abc123", "source_type": "code", "source": '{"a": 1}',
               "schema": '{"mlflow_colspec": []}', "profile": '{"num_rows": 3}'}
    for rid in runs[:2]:
        ok(server, "runs/log-inputs", {"run_id": rid, "datasets": [
            {"tags": [{"key": "mlflow.data.context", "value": "training"}], "dataset": dataset},
            {"tags": [], "dataset": {k: v for k, v in dict(dataset, name="eval", digest="def456").items()
                                     if k not in ("schema", "profile")}}]})
    ok(server, "runs/log-inputs", {"run_id": runs[3], "datasets": [
        {"tags": [{"key": "mlflow.data.context", "value": "eval"}], "dataset": dict(dataset, digest="zzz")}]})

    # MLflow 3 logged models: one kept, one deleted
    models = []
    for name in ("model", "scrapped"):
        got = ok(server, "logged-models", {"experiment_id": vision, "name": name, "model_type": "sk",
                                           "source_run_id": runs[0], "params": [{"key": "alpha", "value": "0.5"}],
                                           "tags": [{"key": "mlflow.source.name", "value": "train.py"}]})
        models.append(got["model"]["info"]["model_id"])
    ok(server, "runs/outputs", {"run_id": runs[0], "models": [{"model_id": models[0], "step": 3}]})
    ok(server, "runs/log-inputs", {"run_id": runs[1], "models": [{"model_id": models[0]}]})
    ok(server, "runs/log-batch", {"run_id": runs[0], "metrics": [
        {"key": "rmse", "value": v, "timestamp": 10 + k, "step": k, "model_id": models[0],
         "dataset_name": "eval", "dataset_digest": "def456"} for k, v in enumerate([0.3, "NaN", "Infinity"])]})
    api(server, "PATCH", f"logged-models/{models[0]}", {"model_id": models[0], "status": "LOGGED_MODEL_READY"})
    api(server, "DELETE", f"logged-models/{models[1]}")

    # runs deleted: one in a live experiment, the deleted experiment's with it
    ok(server, "runs/delete", {"run_id": runs[2]})
    ok(server, "experiments/delete", {"experiment_id": gone})

    # the registry: stages, tags, descriptions, aliases, a deleted highest version, a prompt
    ok(server, "registered-models/create", {"name": "clf", "description": "the classifier",
                                            "tags": [{"key": "owner", "value": "ann"}]})
    for i in range(4):
        ok(server, "model-versions/create", {"name": "clf", "source": f"mlflow-artifacts:/{vision}/{runs[0]}/m{i}",
                                             "run_id": runs[0], "description": f"v{i + 1}",
                                             "tags": [{"key": "k", "value": str(i)}]})
    ok(server, "model-versions/transition-stage", {"name": "clf", "version": "2", "stage": "Staging",
                                                   "archive_existing_versions": False})
    ok(server, "model-versions/transition-stage", {"name": "clf", "version": "3", "stage": "Production",
                                                   "archive_existing_versions": False})
    ok(server, "model-versions/set-tag", {"name": "clf", "version": "3", "key": "validated", "value": "yes"})
    ok(server, "registered-models/alias", {"name": "clf", "alias": "champion", "version": "3"})
    ok(server, "registered-models/alias", {"name": "clf", "alias": "old", "version": "1"})
    api(server, "DELETE", "model-versions/delete", {"name": "clf", "version": "4"})
    ok(server, "registered-models/create", {"name": "empty"})
    ok(server, "registered-models/create", {"name": "greeting", "tags": [
        {"key": "mlflow.prompt.is_prompt", "value": "true"}]})
    ok(server, "model-versions/create", {"name": "greeting", "source": "mlflow-artifacts:/prompt",
                                         "tags": [{"key": "mlflow.prompt.text", "value": "Hello {{name}}"}]})
    # the highest experiment, deleted and then removed for good by gc: its id is never given again
    scratch = ok(server, "experiments/create", {"name": "scratch"})["experiment_id"]
    ok(server, "experiments/delete", {"experiment_id": scratch})
    made.update(experiments=[vision, gone, nlp], runs=runs, logged_models=models, scratch=scratch)
    return made


def more_answers(server, made):
    """What answers() does not ask: the deleted logged model, the prompt, a deleted version."""
    out = {}
    base = server.base
    r = requests.get(f"{base}/logged-models/{made['logged_models'][1]}", params={"allow_deleted": "true"}, timeout=60)
    out["deleted logged model"] = (r.status_code, r.json())
    r = requests.get(f"{base}/registered-models/get", params={"name": "greeting"}, timeout=60)
    out["prompt"] = (r.status_code, r.json())
    r = requests.get(f"{base}/model-versions/get", params={"name": "greeting", "version": "1"}, timeout=60)
    out["prompt version"] = (r.status_code, r.json())
    r = requests.get(f"{base}/model-versions/get", params={"name": "clf", "version": "4"}, timeout=60)
    out["deleted version"] = (r.status_code, r.json().get("error_code"))
    return out


def run_export(binary, cwd, source, dest, *extra):
    cmd = [str(binary), "export", "--backend-store-uri", source, "--to", dest, *extra]
    return subprocess.run(cmd, cwd=cwd, capture_output=True, text=True, timeout=COMMAND_TIMEOUT)


def copied_ok(done):
    assert done.returncode == 0, done.stderr + done.stdout
    rows = report_rows(done.stdout)
    assert sorted(rows) == sorted(TABLES), done.stdout
    assert all(s == c for s, c in rows.values()), done.stdout
    assert "MISMATCH" not in done.stdout
    return rows


def sqlite_rows(path):
    """{table: sorted rows} of a SQLite store (a run's model links without their internal order key,
    which a rewrite of the run's links renumbers, as in test_import_into_pg.pg_rows)."""
    db = sqlite3.connect(f"file:{path}?mode=ro", uri=True)
    try:
        out = {}
        for (t,) in db.execute("SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite_%'"):
            cols = "run_pk, direction, model_id, step" if t == "run_model_links" else "*"
            out[t] = sorted(repr(r) for r in db.execute(f'SELECT {cols} FROM "{t}"'))
        return out
    finally:
        db.close()


def sqlite_identities(path):
    """The rows REST does not show, by identity: deletion times and every version row (deleted ones too)."""
    db = sqlite3.connect(f"file:{path}?mode=ro", uri=True)
    try:
        runs = sorted(db.execute("SELECT run_uuid, lifecycle_stage, deleted_time FROM runs"))
        versions = sorted(db.execute(
            "SELECT m.name, v.version, v.current_stage, v.source, v.run_id, v.creation_time, v.last_updated_time "
            "FROM model_versions v JOIN registered_models m USING (model_pk)"))
        datasets = sorted(db.execute("SELECT dataset_uuid, experiment_id, name, digest FROM datasets"))
        return runs, versions, datasets
    finally:
        db.close()


def pg_identities(uri):
    runs = conftest.psql("SELECT string_agg(run_uuid || ' ' || lifecycle_stage || ' ' || coalesce(deleted_time::text, "
                         "'-'), ',' ORDER BY run_uuid) FROM runs", admin=uri)
    versions = conftest.psql("SELECT string_agg(m.name || ' ' || v.version || ' ' || v.current_stage || ' ' || v.source "
                             "|| ' ' || v.run_id || ' ' || v.creation_time || ' ' || v.last_updated_time, ',' ORDER BY "
                             "m.name, v.version) FROM model_versions v JOIN registered_models m USING (model_pk)",
                             admin=uri)
    datasets = conftest.psql("SELECT string_agg(dataset_uuid || ' ' || experiment_id || ' ' || name || ' ' || digest, "
                             "',' ORDER BY dataset_uuid) FROM datasets", admin=uri)
    return runs, versions, datasets


def as_pg(identities):
    runs, versions, datasets = identities
    return (",".join(f"{u} {s} {'-' if t is None else t}" for u, s, t in runs),
            ",".join(" ".join(str(x) for x in v) for v in versions),
            ",".join(" ".join(str(x) for x in d) for d in sorted(datasets)))


def filled_source(binary, tmp_path):
    """A SQLite store filled through a server (stopped again), its URI, path and ids."""
    path = tmp_path / "source" / "mlflow.db"
    uri = f"sqlite:///{path}"
    s = Server(binary, uri, tmp_path / "source")
    try:
        made = fill(s)
    finally:
        s.stop()
    gc = subprocess.run([str(binary), "gc", "--backend-store-uri", uri, "--experiment-ids", made["scratch"]],
                        cwd=tmp_path / "source", capture_output=True, text=True, timeout=COMMAND_TIMEOUT)
    assert gc.returncode == 0, gc.stderr + gc.stdout
    return uri, path, made


def made_afterwards(server):
    """What the next experiment and the next version of each model are numbered."""
    exp = ok(server, "experiments/create", {"name": "after-copy"})["experiment_id"]
    clf = ok(server, "model-versions/create", {"name": "clf", "source": "mlflow-artifacts:/x"})
    empty = ok(server, "model-versions/create", {"name": "empty", "source": "mlflow-artifacts:/y"})
    return exp, clf["model_version"]["version"], empty["model_version"]["version"]


def compare_servers(binary, tmp_path, uris, made):
    """Every answer of a server on each of `uris` (name -> URI) equals the first's; then the numbers
    given afterwards too."""
    servers = {name: Server(binary, uri, tmp_path / f"srv-{name}") for name, uri in uris.items()}
    try:
        got = {name: answers(s.port) for name, s in servers.items()}
        extra = {name: more_answers(s, made) for name, s in servers.items()}
        first = next(iter(uris))
        assert len(got[first]) > 20
        assert extra[first]["deleted logged model"][0] == 200
        assert extra[first]["prompt"][0] == 200 and extra[first]["prompt version"][0] == 200
        assert extra[first]["deleted version"] == (404, "RESOURCE_DOES_NOT_EXIST")
        for name in uris:
            assert_same_answers(got[first], got[name], first, name)
            assert extra[first] == extra[name], name
        after = {name: made_afterwards(s) for name, s in servers.items()}
        assert after[first] == (str(int(made["scratch"]) + 1), "5", "1"), after
        assert all(a == after[first] for a in after.values()), after
    finally:
        for s in servers.values():
            s.stop()


def test_sqlite_store_copied_into_sqlite_answers_the_same(mlflowc_bin, tmp_path):
    source, source_path, made = filled_source(mlflowc_bin, tmp_path)
    dest_path = tmp_path / "dest" / "copy.db"
    dest_path.parent.mkdir()
    first = copied_ok(run_export(mlflowc_bin, tmp_path, source, f"sqlite:///{dest_path}"))
    assert first["metrics"][0] >= HISTORY_STEPS + 5 * 4
    assert first["runs"] == (5, 5) and first["model_versions"] == (5, 5) and first["inputs (models)"] == (2, 2)
    assert first["logged_models"] == (2, 2) and first["logged_model_metrics"] == (3, 3)
    assert sqlite_identities(dest_path) == sqlite_identities(source_path)
    deleted = [r for r in sqlite_identities(dest_path)[0] if r[1] == "deleted"]
    assert len(deleted) == 2 and all(t is not None for _, _, t in deleted)
    before = sqlite_rows(dest_path)

    # a second copy finds every row there and changes none
    again = run_export(mlflowc_bin, tmp_path, source, f"sqlite:///{dest_path}")
    assert copied_ok(again) == first
    assert sqlite_rows(dest_path) == before
    compare_servers(mlflowc_bin, tmp_path, {"source": source, "copy": f"sqlite:///{dest_path}"}, made)


def test_copy_of_some_experiments(mlflowc_bin, tmp_path):
    source, _, made = filled_source(mlflowc_bin, tmp_path)
    nlp = made["experiments"][2]
    dest = tmp_path / "some.db"
    rows = copied_ok(run_export(mlflowc_bin, tmp_path, source, f"sqlite:///{dest}", "--experiment-ids", nlp))
    assert rows["experiments"] == (1, 1) and rows["runs"] == (1, 1) and rows["registered_models"] == (3, 3)
    db = sqlite3.connect(dest)
    try:
        assert sorted(db.execute("SELECT experiment_id, name FROM experiments")) == [(0, "Default"), (int(nlp), "nlp")]
    finally:
        db.close()
    missing = run_export(mlflowc_bin, tmp_path, source, f"sqlite:///{tmp_path / 'none.db'}", "--experiment-ids", "999")
    assert missing.returncode != 0 and "no experiment with id 999" in missing.stderr, missing.stderr


def test_copy_refuses_a_destination_with_another_experiment_and_writes_nothing(mlflowc_bin, tmp_path):
    source, _, _ = filled_source(mlflowc_bin, tmp_path)
    dest_path = tmp_path / "taken" / "mlflow.db"
    s = Server(mlflowc_bin, f"sqlite:///{dest_path}", tmp_path / "taken")
    try:
        ok(s, "experiments/create", {"name": "Default-ish"})
        ok(s, "experiments/create", {"name": "someone-else"})
    finally:
        s.stop()
    before = sqlite_rows(dest_path)
    done = run_export(mlflowc_bin, tmp_path, source, f"sqlite:///{dest_path}")
    assert done.returncode != 0
    assert "already has experiment 1 named 'Default-ish'" in done.stderr, done.stderr
    assert sqlite_rows(dest_path) == before


def test_copy_into_itself_and_bad_uris_are_refused(mlflowc_bin, tmp_path):
    source, source_path, _ = filled_source(mlflowc_bin, tmp_path)
    before = sqlite_rows(source_path)
    same = run_export(mlflowc_bin, tmp_path, source, f"sqlite:///{source_path}")
    assert same.returncode != 0 and "is the store being exported" in same.stderr, same.stderr
    port = free_local_port()  # nothing listens there
    bad = run_export(mlflowc_bin, tmp_path, source, f"postgresql://nobody:Sekr1t-pw@127.0.0.1:{port}/nowhere")
    assert bad.returncode != 0
    assert "Sekr1t-pw" not in bad.stderr + bad.stdout
    assert "nobody" in bad.stderr, bad.stderr
    flags = run_export(mlflowc_bin, tmp_path, source, f"sqlite:///{tmp_path / 'x.db'}", "--include-artifacts")
    assert flags.returncode != 0 and not (tmp_path / "x.db").exists()
    # a store scheme without "//" is neither a store nor a directory to create
    for to in ("sqlite:x.db", "postgresql:nobody:Sekr1t-pw@host/db", "postgresql+psycopg2:y"):
        refused = run_export(mlflowc_bin, tmp_path, source, to)
        assert refused.returncode == 2 and "is not a store URI" in refused.stderr, (to, refused.stderr)
        assert "Sekr1t-pw" not in refused.stderr + refused.stdout
        assert not (tmp_path / to).exists()
    assert sqlite_rows(source_path) == before


def test_sqlite_store_copied_into_postgresql_and_back(mlflowc_bin, tmp_path):
    need_pg()
    source, source_path, made = filled_source(mlflowc_bin, tmp_path)
    pg = fresh_pg(tmp_path, "copy")
    back_path = tmp_path / "back.db"
    to_pg = copied_ok(run_export(mlflowc_bin, tmp_path, source, pg))
    assert pg_identities(pg) == as_pg(sqlite_identities(source_path))
    before = pg_rows(pg)
    assert copied_ok(run_export(mlflowc_bin, tmp_path, source, pg)) == to_pg
    assert pg_rows(pg) == before
    # the cluster trusts 127.0.0.1, so a password in the URI is accepted and must never be printed
    with_password = pg.replace("postgres@", "postgres:Sekr1t-pw@", 1)
    assert with_password != pg
    done = run_export(mlflowc_bin, tmp_path, with_password, f"sqlite:///{back_path}")
    back = copied_ok(done)
    assert back == to_pg
    assert "Sekr1t-pw" not in done.stdout + done.stderr
    itself = run_export(mlflowc_bin, tmp_path, with_password, pg)
    assert itself.returncode != 0 and "is the store being exported" in itself.stderr, itself.stderr
    assert "Sekr1t-pw" not in itself.stdout + itself.stderr
    assert pg_rows(pg) == before
    assert sqlite_identities(back_path) == sqlite_identities(source_path)
    compare_servers(mlflowc_bin, tmp_path, {"source": source, "postgresql": pg, "back": f"sqlite:///{back_path}"},
                    made)


def test_copy_into_postgresql_refuses_a_destination_with_another_experiment(mlflowc_bin, tmp_path):
    need_pg()
    source, _, _ = filled_source(mlflowc_bin, tmp_path)
    pg = fresh_pg(tmp_path, "taken")
    s = Server(mlflowc_bin, pg, tmp_path / "taken")
    try:
        ok(s, "experiments/create", {"name": "someone-else"})
    finally:
        s.stop()
    before = pg_rows(pg)
    done = run_export(mlflowc_bin, tmp_path, source, pg)
    assert done.returncode != 0
    assert "already has experiment 1 named 'someone-else'" in done.stderr, done.stderr
    assert pg_rows(pg) == before


def test_mlflow_fixture_imported_then_copied_into_postgresql(mlflowc_bin, tmp_path):
    fixture = fixtures_dir() / "mlflow-3.9-sqlite" / "mlflow.db"
    need_pg()
    sqlite_uri = f"sqlite:///{tmp_path / 'imported.db'}"
    done = subprocess.run([str(mlflowc_bin), "import", "--from", f"sqlite:///{fixture}", "--backend-store-uri",
                           sqlite_uri, "--keep-artifact-locations"], cwd=tmp_path, capture_output=True, text=True,
                          timeout=COMMAND_TIMEOUT)
    assert done.returncode == 0, done.stderr + done.stdout
    pg = fresh_pg(tmp_path, "fixture")
    rows = copied_ok(run_export(mlflowc_bin, tmp_path, sqlite_uri, pg))
    assert rows["metrics"][0] > 0 and rows["model_versions"][0] > 0
    servers = [Server(mlflowc_bin, sqlite_uri, tmp_path / "s-sqlite"), Server(mlflowc_bin, pg, tmp_path / "s-pg")]
    try:
        a, b = answers(servers[0].port), answers(servers[1].port)
        assert len(a) > 100
        assert_same_answers(a, b, "sqlite", "postgresql")
    finally:
        for s in servers:
            s.stop()


def test_users_permissions_and_policies_come_along(mlflowc_bin, tmp_path):
    """A whole-store copy brings users (they sign in with their passwords), their permissions and
    the retention policies; a second copy creates nothing; tokens are not copied."""
    import auth_env
    from auth_env import ADMIN, PASSWORD, Api
    from conftest import stop_server

    source = f"sqlite:///{tmp_path / 'src.db'}"
    server, port = auth_env.start(mlflowc_bin, tmp_path / "src", uri=source)
    try:
        admin = Api(port, ADMIN)
        admin.ok("POST", "/api/2.0/mlflow/users/create", body={"username": "kim", "password": PASSWORD})
        exp = admin.ok("POST", "/api/2.0/mlflow/experiments/create", body={"name": "kims"})["experiment_id"]
        admin.ok("POST", "/api/2.0/mlflow/experiments/permissions/create",
                 body={"experiment_id": exp, "username": "kim", "permission": "EDIT"})
        token = Api(port, ("kim", PASSWORD)).ok("POST", "/api/2.0/mlflowc/users/tokens/create", body={})["secret"]
    finally:
        stop_server(server)
    subprocess.run([str(mlflowc_bin), "retention", "set", "--backend-store-uri", source, "--experiment-id", exp,
                    "--keep-days", "30"], check=True, capture_output=True, timeout=COMMAND_TIMEOUT)
    show = [str(mlflowc_bin), "retention", "show", "--backend-store-uri"]
    policy = subprocess.run(show + [source], check=True, capture_output=True, text=True, timeout=60).stdout
    dests = [f"sqlite:///{tmp_path / 'dst.db'}"]
    if conftest.pg_admin_uri():
        dests.append(fresh_pg(tmp_path, "accounts"))
    for n, dest in enumerate(dests):
        done = run_export(mlflowc_bin, tmp_path, source, dest)
        copied_ok(done)
        assert "users: 2 found, 2 new (with 2 of 2 permissions); retention policies: 1" in done.stdout, done.stdout
        again = run_export(mlflowc_bin, tmp_path, source, dest)
        assert "users: 2 found, 0 new" in again.stdout, again.stdout
        assert subprocess.run(show + [dest], check=True, capture_output=True, text=True, timeout=60).stdout == policy
        server, port = auth_env.start(mlflowc_bin, tmp_path / f"dst{n}", uri=dest)
        try:
            kim = Api(port, ("kim", PASSWORD))
            kim.ok("POST", "/api/2.0/mlflow/runs/create", body={"experiment_id": exp})
            got = kim.ok("GET", "/api/2.0/mlflow/users/get", {"username": "kim"})["user"]
            assert got["experiment_permissions"][0]["permission"] == "EDIT"
            assert Api(port, ADMIN).ok("GET", "/api/2.0/mlflow/users/current")["user"]["is_admin"] is True
            bearer = Api(port, headers={"Authorization": f"Bearer {token}"})
            assert bearer.call("GET", "/api/2.0/mlflow/users/current").status_code == 401
        finally:
            stop_server(server)

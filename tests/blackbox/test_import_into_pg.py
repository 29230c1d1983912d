"""`mlflowc import` into a PostgreSQL store: each store the official MLflow server wrote
(../shared/fixtures/mlflow-stores: 2.17 and 3.9 on SQLite, 2.17's file store) is imported into a
fresh PostgreSQL database and into a fresh SQLite file, and a server on each must give the same
answer to every REST question (store_answers.py: experiments, runs with their data, every metric
history with NaN and +/-inf, dataset summaries, logged models, registered models, versions,
latest versions, aliases). Also on PostgreSQL: every per-table count of the report matches; a
second import changes no row; new experiments and model versions created after an import get
the numbers SQLite gives them (the identity sequence was moved past the imported ids, deleted
versions still count); a destination holding another experiment under a source's id is refused
(that experiment left as it was). Needs a PostgreSQL server (MLF_TEST_PG_ADMIN, scripts/pg_test_cluster.sh)
and ../shared.
"""

import hashlib
import os
import subprocess

import pytest
import requests

import conftest
from conftest import free_local_port, launch_server, stop_server
from store_answers import answers, assert_same_answers
from test_import import COMMAND_TIMEOUT, fixtures_dir, report_rows

FIXTURES = ["mlflow-2.17-sqlite", "mlflow-3.9-sqlite", "mlflow-2.17-mlruns"]
TABLES = ["experiments", "experiment_tags", "runs", "params", "tags", "metric_keys", "metrics", "latest_metrics",
          "datasets", "run_inputs", "input_tags", "logged_models", "logged_model_params", "logged_model_tags",
          "logged_model_metrics", "registered_models", "registered_model_tags", "model_versions",
          "model_version_tags", "registered_model_aliases"]


def need_pg():
    if not conftest.pg_admin_uri():
        pytest.skip(f"{conftest.PG_ADMIN_ENV} is not set: importing into PostgreSQL needs a test cluster "
                    "(eval \"$(scripts/pg_test_cluster.sh start)\")")
    if not conftest.psql_path():
        pytest.skip("psql not found (Debian's postgresql-client)")


def fresh_pg(tmp_path, tag):
    """The URI of a new, empty database named after this test's directory and `tag`."""
    name = "mlf_imp_" + hashlib.sha256(f"{tmp_path}/{tag}".encode()).hexdigest()[:16]
    conftest.drop_pg_databases([name])
    return conftest.pg_database_uri(name)


def source_arg(fixture):
    root = fixtures_dir() / fixture
    return str(root / "mlruns") if fixture.endswith("mlruns") else f"sqlite:///{root / 'mlflow.db'}"


def run_import(binary, cwd, source, dest_uri, *extra):
    cmd = [str(binary), "import", "--from", source, "--backend-store-uri", dest_uri, "--keep-artifact-locations",
           *extra]
    return subprocess.run(cmd, cwd=cwd, capture_output=True, text=True, timeout=COMMAND_TIMEOUT)


def imported_ok(done):
    assert done.returncode == 0, done.stderr + done.stdout
    rows = report_rows(done.stdout)
    assert rows and rows["runs"][0] > 0, done.stdout
    assert all(s == i for s, i in rows.values()), done.stdout
    return rows


def pg_rows(uri):
    """{table: digest of its rows} of a PostgreSQL store, by content (not by internal link ids)."""
    out = {}
    for t in TABLES:
        out[t] = conftest.psql(f"SELECT count(*) || ' ' || coalesce(md5(string_agg(x::text, '|' ORDER BY x::text)), '') "
                               f"FROM {t} x", admin=uri)
    out["run_model_links"] = conftest.psql(
        "SELECT count(*) || ' ' || coalesce(md5(string_agg((run_pk, direction, model_id, step)::text, '|' "
        "ORDER BY (run_pk, direction, model_id, step)::text)), '') FROM run_model_links", admin=uri)
    return out


class Server:
    def __init__(self, binary, uri, cwd):
        self.port = free_local_port()
        cwd.mkdir(parents=True, exist_ok=True)
        self.proc = launch_server([binary, "server", "--backend-store-uri", uri, "--artifacts-destination",
                                   cwd / "mlartifacts", "--host", "127.0.0.1", "--port", str(self.port)],
                                  self.port, cwd)
        self.base = f"http://127.0.0.1:{self.port}/api/2.0/mlflow"

    def post(self, path, body):
        return requests.post(f"{self.base}/{path}", json=body, timeout=60)

    def stop(self):
        stop_server(self.proc)


@pytest.mark.parametrize("fixture", FIXTURES)
def test_fixture_imported_into_postgresql_answers_as_on_sqlite(mlflowc_bin, tmp_path, fixture):
    need_pg()
    source = source_arg(fixture)
    pg_uri = fresh_pg(tmp_path, "dest")
    sqlite_uri = f"sqlite:///{tmp_path / 'sqlite' / 'mlflow.db'}"
    (tmp_path / "sqlite").mkdir()
    pg_report = imported_ok(run_import(mlflowc_bin, tmp_path, source, pg_uri))
    sqlite_report = imported_ok(run_import(mlflowc_bin, tmp_path, source, sqlite_uri))
    assert pg_report == sqlite_report
    before = pg_rows(pg_uri)

    # a second import finds every row there and changes none
    again = run_import(mlflowc_bin, tmp_path, source, pg_uri)
    assert imported_ok(again) == pg_report
    assert pg_rows(pg_uri) == before

    servers = [Server(mlflowc_bin, pg_uri, tmp_path / "pg-server"),
               Server(mlflowc_bin, sqlite_uri, tmp_path / "sqlite-server")]
    try:
        pg_answers, sqlite_answers = answers(servers[0].port), answers(servers[1].port)
        assert len(pg_answers) > 100
        assert_same_answers(pg_answers, sqlite_answers, "postgresql", "sqlite")

        # what is created afterwards is numbered as on SQLite: past the imported ids and versions
        made = []
        for s in servers:
            r = s.post("experiments/create", {"name": "after-import"})
            assert r.status_code == 200, r.text
            ids = [r.json()["experiment_id"]]
            models = requests.get(f"{s.base}/registered-models/search", params={"max_results": 1000},
                                  timeout=60).json().get("registered_models", [])
            assert models
            for m in models:
                v = s.post("model-versions/create", {"name": m["name"], "source": "mlflow-artifacts:/x"})
                assert v.status_code == 200, v.text
                ids.append((m["name"], v.json()["model_version"]["version"]))
            made.append(ids)
        assert made[0] == made[1]
        assert int(made[0][0]) > max(int(e) for e in (x.split()[1] for x in pg_answers if x.startswith("experiments/get ")))
    finally:
        for s in servers:
            s.stop()


def test_import_into_postgresql_refuses_a_destination_with_other_experiments(mlflowc_bin, tmp_path):
    need_pg()
    uri = fresh_pg(tmp_path, "taken")
    s = Server(mlflowc_bin, uri, tmp_path / "server")
    try:
        r = s.post("experiments/create", {"name": "someone-else"})
        assert r.status_code == 200 and r.json()["experiment_id"] == "1", r.text
    finally:
        s.stop()
    done = run_import(mlflowc_bin, tmp_path, source_arg("mlflow-3.9-sqlite"), uri)
    assert done.returncode != 0
    assert "already has experiment 1 named 'someone-else'" in done.stderr, done.stderr
    # the refused experiment wrote nothing (the empty default experiment 0 before it may be replaced,
    # as on SQLite: every new store has one)
    assert conftest.psql("SELECT name FROM experiments WHERE experiment_id = 1", admin=uri) == "someone-else"
    assert conftest.psql("SELECT count(*) FROM runs", admin=uri) == "0"
    assert conftest.psql("SELECT count(*) FROM experiment_tags WHERE experiment_id = 1", admin=uri) == "0"


def test_import_into_postgresql_with_a_bad_uri_is_refused_without_the_password(mlflowc_bin, tmp_path):
    need_pg()
    admin = conftest.pg_admin_uri()
    bad = admin.replace("postgres@", "nobody:Sekr1t-pw@", 1).rsplit("/", 1)[0] + "/no_such_db_here"
    done = run_import(mlflowc_bin, tmp_path, source_arg("mlflow-3.9-sqlite"), bad)
    assert done.returncode != 0
    assert "Sekr1t-pw" not in done.stderr + done.stdout
    assert os.path.exists(tmp_path) and not any(tmp_path.iterdir())

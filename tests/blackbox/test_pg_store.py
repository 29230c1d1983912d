"""The PostgreSQL store as an operator meets it: the URI forms MLflow users write, the password
kept out of every line the program prints, `db check` / `db upgrade`, MLflow's own database and a
schema newer than the program refused untouched, replicas starting together on one database, and
/health failing when the database goes away. `db check` on SQLite runs everywhere; the rest needs a
PostgreSQL server (MLF_TEST_PG_ADMIN, as scripts/pg_test_cluster.sh prints) and skips without one.
"""

import os
import subprocess
import time
import urllib.request
import urllib.error

import pytest

from conftest import free_local_port, launch_server, stop_server

ADMIN_ENV = "MLF_TEST_PG_ADMIN"
SECRET = "Sup3r-Secret-Pw"


def admin_uri():
    uri = os.environ.get(ADMIN_ENV)
    if not uri:
        pytest.skip(f"{ADMIN_ENV} is not set: start a PostgreSQL test cluster with scripts/pg_test_cluster.sh")
    return uri


def psql(sql, db=None):
    uri = admin_uri()
    if db:
        uri = uri.rsplit("/", 1)[0] + "/" + db
    done = subprocess.run(["psql", uri, "-v", "ON_ERROR_STOP=1", "-tAc", sql], capture_output=True, text=True,
                          timeout=60)
    assert done.returncode == 0, done.stderr
    return done.stdout.strip()


@pytest.fixture
def fresh_db(request):
    name = "mlflowc_pgstore_" + request.node.name.lower().replace("[", "_").replace("]", "")[:40]
    psql(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
    psql(f'CREATE DATABASE "{name}"')
    yield name
    psql(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


def db_uri(name, scheme="postgresql", password=None):
    base = admin_uri().split("://", 1)[1].rsplit("/", 1)[0]  # user@host:port
    if password:
        user, host = base.split("@", 1)
        base = f"{user}:{password}@{host}"
    return f"{scheme}://{base}/{name}"


def run_cli(mlflowc_bin, *args):
    return subprocess.run([str(mlflowc_bin), *args], capture_output=True, text=True, timeout=120)


def start(mlflowc_bin, tmp_path, uri, name="server"):
    port = free_local_port()
    directory = tmp_path / name
    directory.mkdir()
    command = [str(mlflowc_bin), "server", "--backend-store-uri", uri, "--artifacts-destination",
               str(directory / "artifacts"), "--host", "127.0.0.1", "--port", str(port)]
    return launch_server(command, port, directory)


def start_refused(mlflowc_bin, tmp_path, uri):
    port = free_local_port()
    done = subprocess.run([str(mlflowc_bin), "server", "--backend-store-uri", uri, "--artifacts-destination",
                           str(tmp_path / "artifacts"), "--host", "127.0.0.1", "--port", str(port)],
                          capture_output=True, text=True, timeout=60)
    assert done.returncode != 0
    return done.stdout + done.stderr


def get(url):
    try:
        with urllib.request.urlopen(url, timeout=10) as response:
            return response.status, response.read().decode()
    except urllib.error.HTTPError as e:
        return e.code, e.read().decode()


def post(url, body):
    import json
    request = urllib.request.Request(url, data=json.dumps(body).encode(), method="POST",
                                     headers={"Content-Type": "application/json"})
    try:
        with urllib.request.urlopen(request, timeout=10) as response:
            return response.status, json.loads(response.read())
    except urllib.error.HTTPError as e:
        return e.code, json.loads(e.read() or b"{}")


def test_db_check_changes_nothing_on_sqlite(mlflowc_bin, tmp_path):
    target = tmp_path / "never.db"
    done = run_cli(mlflowc_bin, "db", "check", "--backend-store-uri", f"sqlite:///{target}")
    assert done.returncode == 1
    assert "4 migration(s) to apply" in done.stdout or "migration(s) to apply" in done.stdout
    assert not target.exists()
    done = run_cli(mlflowc_bin, "db", "upgrade", "--backend-store-uri", f"sqlite:///{target}")
    assert done.returncode == 0, done.stderr
    assert "upgraded" in done.stdout
    done = run_cli(mlflowc_bin, "db", "check", "--backend-store-uri", f"sqlite:///{target}")
    assert done.returncode == 0 and "up to date" in done.stdout
    done = run_cli(mlflowc_bin, "db", "upgrade", "--backend-store-uri", f"sqlite:///{target}")
    assert done.returncode == 0 and "already up to date" in done.stdout
    assert run_cli(mlflowc_bin, "db", "nonsense").returncode == 2
    assert run_cli(mlflowc_bin, "db", "check", "--no-such-flag").returncode == 2


def test_uri_forms_share_one_database(mlflowc_bin, tmp_path, fresh_db):
    first = start(mlflowc_bin, tmp_path, db_uri(fresh_db, "postgresql+psycopg2"), "a")
    try:
        status, body = post(first.url + "/api/2.0/mlflow/experiments/create", {"name": "shared"})
        assert status == 200, body
        experiment_id = body["experiment_id"]
    finally:
        stop_server(first)
    second = start(mlflowc_bin, tmp_path, db_uri(fresh_db, "postgres"), "b")
    try:
        status, body = get(second.url + f"/api/2.0/mlflow/experiments/get?experiment_id={experiment_id}")
        assert status == 200 and '"shared"' in body
    finally:
        stop_server(second)


def test_password_never_printed(mlflowc_bin, tmp_path):
    admin_uri()
    closed_port = free_local_port()  # nothing listens there
    uri = f"postgresql://mlflow:{SECRET}@127.0.0.1:{closed_port}/mlflow?sslmode=disable"
    output = start_refused(mlflowc_bin, tmp_path, uri)
    assert SECRET not in output
    assert "cannot connect to PostgreSQL" in output and "***" in output
    for command in (["db", "check"], ["db", "upgrade"]):
        done = run_cli(mlflowc_bin, *command, "--backend-store-uri", uri)
        assert done.returncode == 1
        assert SECRET not in done.stdout + done.stderr
    as_option = f"postgresql://127.0.0.1:{closed_port}/mlflow?user=mlflow&password={SECRET}"
    output = start_refused(mlflowc_bin, tmp_path, as_option)
    assert SECRET not in output


def test_mlflow_database_refused_untouched(mlflowc_bin, tmp_path, fresh_db):
    psql("CREATE TABLE alembic_version (version_num VARCHAR(32) NOT NULL); "
         "INSERT INTO alembic_version VALUES ('1b5f0d9ad7c1')", db=fresh_db)
    output = start_refused(mlflowc_bin, tmp_path, db_uri(fresh_db, password=SECRET))
    assert "MLflow tracking database" in output and SECRET not in output
    done = run_cli(mlflowc_bin, "db", "upgrade", "--backend-store-uri", db_uri(fresh_db))
    assert done.returncode == 1
    tables = psql("SELECT string_agg(tablename, ',') FROM pg_tables WHERE schemaname = 'public'", db=fresh_db)
    assert tables == "alembic_version"


def test_db_check_upgrade_and_newer_schema(mlflowc_bin, tmp_path, fresh_db):
    uri = db_uri(fresh_db)
    done = run_cli(mlflowc_bin, "db", "check", "--backend-store-uri", uri)
    assert done.returncode == 1 and "migration(s) to apply" in done.stdout, done.stdout + done.stderr
    assert psql("SELECT count(*) FROM pg_tables WHERE schemaname = 'public'", db=fresh_db) == "0"
    done = run_cli(mlflowc_bin, "db", "upgrade", "--backend-store-uri", uri)
    assert done.returncode == 0, done.stderr
    done = run_cli(mlflowc_bin, "db", "check", "--backend-store-uri", uri)
    assert done.returncode == 0 and "up to date" in done.stdout and "(postgresql)" in done.stdout
    psql("UPDATE mlflowc_schema SET version = 99", db=fresh_db)
    done = run_cli(mlflowc_bin, "db", "check", "--backend-store-uri", uri)
    assert done.returncode == 1 and "newer than this mlflowc" in done.stdout
    output = start_refused(mlflowc_bin, tmp_path, uri)
    assert "newer than this mlflowc knows" in output
    assert psql("SELECT version FROM mlflowc_schema", db=fresh_db) == "99"


def test_replicas_starting_together_migrate_once(mlflowc_bin, tmp_path, fresh_db):
    uri = db_uri(fresh_db)
    procs = []
    for name in ("r1", "r2", "r3"):
        port = free_local_port()
        directory = tmp_path / name
        directory.mkdir()
        log = open(directory / "stderr", "w")
        procs.append((subprocess.Popen([str(mlflowc_bin), "server", "--backend-store-uri", uri,
                                        "--artifacts-destination", str(directory / "a"), "--host", "127.0.0.1",
                                        "--port", str(port)], stdout=log, stderr=log), port, directory, log))
    try:
        for proc, port, directory, _ in procs:
            deadline = time.monotonic() + 20
            while time.monotonic() < deadline:
                try:
                    if get(f"http://127.0.0.1:{port}/health")[0] == 200:
                        break
                except OSError:
                    pass
                assert proc.poll() is None, (directory / "stderr").read_text()
                time.sleep(0.05)
            else:
                pytest.fail("a replica did not become ready: " + (directory / "stderr").read_text())
        logs = "".join((directory / "stderr").read_text() for _, _, directory, _ in procs)
        assert logs.count("applied schema migration 1") == 1, logs
        assert psql("SELECT version FROM mlflowc_schema", db=fresh_db) == "6"
        assert psql("SELECT count(*) FROM experiments WHERE experiment_id = 0", db=fresh_db) == "1"
    finally:
        for proc, _, _, log in procs:
            proc.terminate()
        for proc, _, _, log in procs:
            try:
                proc.wait(timeout=10)
            except subprocess.TimeoutExpired:
                proc.kill()
                proc.wait()
            log.close()


def test_dropped_connections_and_a_dropped_database(mlflowc_bin, tmp_path, fresh_db):
    running = start(mlflowc_bin, tmp_path, db_uri(fresh_db))
    try:
        assert get(running.url + "/health") == (200, "OK")
        assert post(running.url + "/api/2.0/mlflow/experiments/create", {"name": "before"})[0] == 200
        # the server's pooled connections are cut (a database restart, a proxy timeout): the next
        # requests take new ones instead of failing
        psql(f"SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE datname = '{fresh_db}'")
        status, body = post(running.url + "/api/2.0/mlflow/experiments/create", {"name": "after"})
        assert status == 200, body
        assert get(running.url + "/health") == (200, "OK")
        psql(f'DROP DATABASE "{fresh_db}" WITH (FORCE)')
        status, body = get(running.url + "/health")
        assert status == 503 and body == "store unavailable"
        status, body = post(running.url + "/api/2.0/mlflow/experiments/create", {"name": "x"})
        assert status in (500, 503) and body.get("error_code") in ("TEMPORARILY_UNAVAILABLE", "INTERNAL_ERROR")
        assert running.proc.poll() is None
    finally:
        stop_server(running)


def test_a_name_too_long_for_an_index_is_the_clients_error(mlflowc_bin, tmp_path, fresh_db):
    import random
    import string
    running = start(mlflowc_bin, tmp_path, db_uri(fresh_db))
    try:
        rng = random.Random(7)  # incompressible: PostgreSQL cannot squeeze it under the index limit
        name = "".join(rng.choice(string.ascii_letters + string.digits) for _ in range(3000))
        status, body = post(running.url + "/api/2.0/mlflow/registered-models/create", {"name": name})
        assert status == 400 and body["error_code"] == "INVALID_PARAMETER_VALUE", body
        assert "too long for the PostgreSQL store" in body["message"]
        status, body = post(running.url + "/api/2.0/mlflow/registered-models/create", {"name": name[:200]})
        assert status == 200, body
    finally:
        stop_server(running)

"""The benchmark's --store option (bench/loadgen.c, bench/loadgen_pg.c; bench/README.md): a
PostgreSQL run gets a database of its own on the URI's server and drops it (and its COPY
ceiling's scratch database) at the end, --keep keeps it and names it, SQLite and PostgreSQL
side by side in one run, the password never printed, and bad --store values refused. Tiny
counts only: the figures are not looked at (a benchmark figure is never a test). The
PostgreSQL cases need a server (MLF_TEST_PG_ADMIN, as scripts/pg_test_cluster.sh prints) and
skip without one; all need build/bench/loadgen beside the server binary (`make bench`).
"""

import os
import re
import subprocess

import pytest

from conftest import free_local_port, mlflowc_bin_path

ADMIN_ENV = "MLF_TEST_PG_ADMIN"
SECRET = "Bench-Secret-Pw"
TINY = ["--quick", "--batches", "4", "--log-metrics", "20", "--create-runs", "10", "--conns", "2",
        "--search-runs", "20", "--search-calls", "2", "--history-points", "1000", "--history-calls", "1"]


def loadgen_path():
    path = mlflowc_bin_path().parent / "bench" / "loadgen"
    if not (path.is_file() and os.access(path, os.X_OK)):
        pytest.skip(f"{path} is not built (make bench)")
    return path


def admin_uri():
    uri = os.environ.get(ADMIN_ENV)
    if not uri:
        pytest.skip(f"{ADMIN_ENV} is not set: start a PostgreSQL test cluster with scripts/pg_test_cluster.sh")
    return uri


def with_password(uri, password):
    """postgresql://user@host... -> postgresql://user:password@host..."""
    scheme, rest = uri.split("://", 1)
    user, at, host = rest.partition("@")
    assert at, f"{ADMIN_ENV} names no user: {uri}"
    return f"{scheme}://{user}:{password}@{host}"


def run_loadgen(*args, env=None):
    done = subprocess.run([str(loadgen_path()), "--server", str(mlflowc_bin_path()), *args],
                          capture_output=True, text=True, timeout=600, env=env)
    return done.returncode, done.stdout + done.stderr


def databases():
    done = subprocess.run(["psql", admin_uri(), "-tAc", "SELECT datname FROM pg_database"],
                          capture_output=True, text=True, timeout=60, check=True)
    return set(done.stdout.split())


def bench_database(output):
    found = re.search(r"fresh database (mlflowc_bench_\w+)", output)
    assert found, output
    return found.group(1)


def test_sqlite_and_postgresql_side_by_side_in_one_run_leave_no_database():
    uri = with_password(admin_uri(), SECRET)  # trust auth ignores it; it must still not show
    rc, out = run_loadgen(*TINY, "--store", "sqlite", "--store", uri)
    assert rc == 0, out
    db = bench_database(out)
    assert "(quick run, store sqlite)" in out and "(quick run, store postgresql)" in out, out
    for when in ("before", "after"):  # the ceiling brackets the server's phases
        assert re.search(rf"^COPY ceiling \({when} the server\): 4 transactions x 1000 rows", out, re.M), out
        assert re.search(rf"^raw SQLite \({when} the server\): 4 transactions x 1000 rows", out, re.M), out
    side = out[out.index("side by side"):]
    assert re.search(r"figure\s+\|\s+sqlite target\s+\|\s+postgresql target", side), side
    for figure in ("log-batch, 4 clients", "log-batch, 16 clients", "log-batch 16 cl. vs 4 cl.",
                   "log-batch 4 cl. / ceiling", "search-runs median", "get-history median"):
        assert re.search(rf"^  {re.escape(figure)}\s+\|.*\|", side, re.M), (figure, side)
    # both log-batch client counts ran, in halves
    assert len(re.findall(r"^log-batch: batches .* 16 clients", out, re.M)) == 4, out
    assert SECRET not in out
    left = databases()
    assert db not in left and db + "_copy" not in left, sorted(left)


def test_both_takes_the_server_from_the_environment_and_each_run_gets_a_new_database():
    env = dict(os.environ, MLF_BENCH_PG_URI=admin_uri())
    env.pop(ADMIN_ENV, None)
    rc, out = run_loadgen(*TINY, "--store", "both", "--keep", env=env)
    assert rc == 0, out
    db = bench_database(out)
    try:
        assert f"kept PostgreSQL database {db}" in out, out
        assert db in databases()
        assert "(quick run, store sqlite)" in out and "side by side" in out, out
        # a {id} template (as in MLF_TEST_STORE_URI) names the server only
        template = admin_uri().split("?", 1)[0].rsplit("/", 1)[0] + "/{id}"
        rc, again = run_loadgen(*TINY, "--store", template)
        assert rc == 0, again
        second = bench_database(again)
        assert second != db
        assert second not in databases()
    finally:
        subprocess.run(["psql", admin_uri(), "-qc", f'DROP DATABASE IF EXISTS "{db}" WITH (FORCE)'],
                       capture_output=True, timeout=60)
        for kept_dir in re.findall(r"kept (/tmp/mlflowc-bench-\w+)", out):  # one per store
            subprocess.run(["rm", "-rf", kept_dir], timeout=60)


def test_bad_store_values_are_refused_before_anything_starts():
    rc, out = run_loadgen("--quick", "--store", "mysql://u@127.0.0.1/x")
    assert rc == 2 and "--store takes sqlite, both or a postgresql:// URI" in out, out
    env = {k: v for k, v in os.environ.items() if k not in ("MLF_BENCH_PG_URI", ADMIN_ENV)}
    rc, out = run_loadgen("--quick", "--store", "both", env=env)
    assert rc == 2 and "MLF_BENCH_PG_URI" in out, out


def test_an_unreachable_postgresql_fails_with_the_reason_and_without_the_password():
    port = free_local_port()  # nothing listens there
    rc, out = run_loadgen("--quick", "--store", f"postgresql://bench:{SECRET}@127.0.0.1:{port}/x")
    assert rc == 1, out
    assert "cannot connect to PostgreSQL" in out and str(port) in out, out
    assert SECRET not in out
    assert "kept /tmp/mlflowc-bench" not in out, out  # nothing was started, nothing left

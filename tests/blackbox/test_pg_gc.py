"""`mlflowc gc` and `mlflowc storage report` on a PostgreSQL store: every test of test_gc.py
runs again, unchanged, with the store a PostgreSQL database (MLF_TEST_STORE_URI
postgresql://.../{id}, MLF_TEST_PG_ADMIN to create it), its direct reads of the SQLite file
answered by psql (pg_shim.py). Two tests are about the SQLite file itself and have twins here:
a dry run changes no row (not no byte of the file), and a store that does not exist is refused
and not created (a missing database, not a missing file). Skipped on SQLite, where test_gc.py
runs them."""

import subprocess

import pytest

import pg_shim
import test_gc
import test_s3
from test_gc import world  # noqa: F401  (the populated store of test_gc.py)
from test_s3 import s3rver  # noqa: F401  (the fixture of the S3 test server)

pytestmark = pytest.mark.skipif(not pg_shim.enabled(), reason="needs a PostgreSQL store and psql")

_FILE_BOUND = {"test_dry_run_changes_nothing", "test_missing_store_is_refused"}


@pytest.fixture(autouse=True)
def on_postgresql(monkeypatch, tmp_path):
    for module in (test_gc, test_s3):
        pg_shim.install(monkeypatch, module)
    yield
    assert not list(tmp_path.rglob("*.db")), "a SQLite store was made: the test did not run on PostgreSQL"


for _name in dir(test_gc):
    if _name.startswith("test_") and _name not in _FILE_BOUND:
        globals()[_name] = getattr(test_gc, _name)


def test_dry_run_changes_no_row(mlflowc_bin, world):  # noqa: F811
    server, api, f = world
    test_gc.stop_server(server)
    f["stopped"] = True
    d = f["dir"]
    before, files = pg_shim.rows(d), test_gc.tree(d / "artifacts")
    p = test_gc.gc(mlflowc_bin, d, "--dry-run")
    assert pg_shim.rows(d) == before and test_gc.tree(d / "artifacts") == files
    assert "1 experiments and 5 runs would be deleted, 88 bytes of artifacts freed, 3 paths kept" in p.stdout
    p = test_gc.gc(mlflowc_bin, d)
    assert "1 experiments and 5 runs permanently deleted, 88 bytes of artifacts freed, 3 paths kept" in p.stdout
    assert pg_shim.rows(d) != before


def test_a_missing_database_is_refused_and_not_created(mlflowc_bin, tmp_path):
    uri = pg_shim.database_uri(tmp_path).rsplit("/", 1)[0] + "/mlflowc_test_no_such_database"
    for args in (["gc", "--artifacts-destination", str(tmp_path / "a")], ["storage", "report"]):
        p = subprocess.run([str(mlflowc_bin), *args, "--backend-store-uri", uri], capture_output=True, text=True,
                           timeout=120)
        assert p.returncode == 1, (args, p.stdout, p.stderr)
        assert "mlflowc_test_no_such_database" in p.stderr
    admin = __import__("os").environ["MLF_TEST_PG_ADMIN"]
    out = subprocess.run(["psql", admin, "-XtAc", "SELECT count(*) FROM pg_database WHERE datname ="
                          " 'mlflowc_test_no_such_database'"], capture_output=True, text=True, timeout=60).stdout
    assert out.strip() == "0"

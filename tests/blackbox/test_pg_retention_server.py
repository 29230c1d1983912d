"""The server's own use of retention policies (`--retention-interval`, the preview endpoint) on
a PostgreSQL store: every test of test_retention_server.py runs again, unchanged, with the store
a PostgreSQL database (MLF_TEST_STORE_URI postgresql://.../{id}, MLF_TEST_PG_ADMIN to create
it), its direct reads of the SQLite file answered by psql (pg_shim.py; its "not a row changed"
snapshots compare every row of every table). Skipped on SQLite, where test_retention_server.py
runs them."""

import pytest

import pg_shim
import test_gc
import test_retention
import test_retention_server
from test_retention_server import world  # noqa: F401  (the populated store of test_retention.py)

pytestmark = pytest.mark.skipif(not pg_shim.enabled(), reason="needs a PostgreSQL store and psql")


@pytest.fixture(autouse=True)
def on_postgresql(monkeypatch, tmp_path):
    for module in (test_gc, test_retention, test_retention_server):
        pg_shim.install(monkeypatch, module)
    yield
    assert not list(tmp_path.rglob("*.db")), "a SQLite store was made: the test did not run on PostgreSQL"


for _name in dir(test_retention_server):
    if _name.startswith("test_"):
        globals()[_name] = getattr(test_retention_server, _name)

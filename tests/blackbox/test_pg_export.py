"""`mlflowc export` from a PostgreSQL store: every test of test_export.py runs again, unchanged,
with the servers' store a PostgreSQL database (MLF_TEST_STORE_URI postgresql://.../{id},
MLF_TEST_PG_ADMIN to create it). test_export.py skips them there because they were written
when export read only SQLite stores; nothing in them reads the store's file, so here they run
as they are (pg_shim.py rewrites the store URIs they hand to commands; the one that names a
missing SQLite file still checks that refusal). Skipped on SQLite, where test_export.py runs
them."""

import pytest

import pg_shim
import test_export
import test_s3
from test_export import populated  # noqa: F401  (the populated server of test_export.py)
from test_s3 import s3rver  # noqa: F401  (the fixture of the S3 test server)

pytestmark = pytest.mark.skipif(not pg_shim.enabled(), reason="needs a PostgreSQL store and psql")


@pytest.fixture(autouse=True)
def on_postgresql(monkeypatch, tmp_path):
    for module in (test_export, test_s3):
        pg_shim.install(monkeypatch, module)
    monkeypatch.setattr(test_export, "store_is_sqlite_default", lambda: True)
    yield
    assert not list(tmp_path.rglob("*.db")), "a SQLite store was made: the test did not run on PostgreSQL"


for _name in dir(test_export):
    if _name.startswith("test_"):
        globals()[_name] = getattr(test_export, _name)

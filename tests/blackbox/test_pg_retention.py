"""Retention policies on a PostgreSQL store: every test of test_retention.py runs again,
unchanged, with the store a PostgreSQL database (MLF_TEST_STORE_URI postgresql://.../{id},
MLF_TEST_PG_ADMIN to create it), its direct reads of the SQLite file answered by psql
(pg_shim.py). The two that compare the SQLite file's bytes have twins here that compare every
row instead. Skipped on SQLite, where test_retention.py runs them."""

import re

import pytest

import pg_shim
import test_gc
import test_retention
import test_s3
from test_retention import BAD, gc, retention, tree, world  # noqa: F401  (world: the populated store)
from test_s3 import s3rver  # noqa: F401  (the fixture of the S3 test server)

pytestmark = pytest.mark.skipif(not pg_shim.enabled(), reason="needs a PostgreSQL store and psql")

_FILE_BOUND = {"test_dry_run_changes_nothing_and_matches_the_real_run", "test_bad_input_is_refused_and_writes_nothing"}


@pytest.fixture(autouse=True)
def on_postgresql(monkeypatch, tmp_path):
    for module in (test_gc, test_retention, test_s3):
        pg_shim.install(monkeypatch, module)
    yield
    assert not list(tmp_path.rglob("*.db")), "a SQLite store was made: the test did not run on PostgreSQL"


for _name in dir(test_retention):
    if _name.startswith("test_") and _name not in _FILE_BOUND:
        globals()[_name] = getattr(test_retention, _name)


def test_dry_run_changes_no_row_and_matches_the_real_run(mlflowc_bin, world):  # noqa: F811
    server, api, f = world
    test_gc.stop_server(server)
    f["stopped"] = True
    d = f["dir"]
    before, files, cold = pg_shim.rows(d), tree(d / "artifacts"), tree(f["cold"])
    dry = gc(mlflowc_bin, d, "--apply-retention", "--dry-run", "--older-than", "1d").stdout
    shown = retention(mlflowc_bin, d, "show").stdout
    assert pg_shim.rows(d) == before
    assert tree(d / "artifacts") == files and tree(f["cold"]) == cold
    assert "retention (dry run): 3 runs would be soft-deleted, 3 kept, 2 paths would be pruned, 2 archived " \
        "versions would be moved or deleted" in dry
    real = gc(mlflowc_bin, d, "--apply-retention", "--older-than", "1d").stdout

    def actions(text, dry_words, real_words):
        lines = [line for line in text.splitlines()
                 if line.startswith("retention: ") and not re.match(r"retention: \d+ runs", line)]
        for w, r in zip(dry_words, real_words):
            lines = [line.replace(w, r) for line in lines]
        return sorted(lines)

    words = (["would soft-delete", "would prune", "would keep", "would delete", "would move"],
             ["soft-deleted", "pruned", "kept", "deleted", "moved"])
    assert actions(dry, *words) == actions(real, [], [])
    assert actions(shown, *words) == actions(real, [], [])
    assert len(actions(real, [], [])) == 3 + 3 + 3 + 2


def test_bad_input_is_refused_and_writes_no_row(mlflowc_bin, tmp_path):
    server = test_gc.start(mlflowc_bin, tmp_path)
    api = test_gc.Api(server.url)
    a = api.call("POST", "experiments/create", {"name": "x"})["experiment_id"]
    test_gc.stop_server(server)
    d = tmp_path
    retention(mlflowc_bin, d, "show")
    before = pg_shim.rows(d)
    for args, message in BAD:
        args = [x.format(a=a, dir=d) for x in args]
        p = retention(mlflowc_bin, d, "set", *args, expect=2)
        assert message in p.stderr, (args, p.stderr)
        assert pg_shim.rows(d) == before, args
    p = retention(mlflowc_bin, d, "show", "--experiment-id", "999", expect=2)
    assert "No Experiment with id=999 exists" in p.stderr
    p = retention(mlflowc_bin, d, "clear", expect=2)
    assert "give --experiment-id ID or --default" in p.stderr
    assert pg_shim.rows(d) == before

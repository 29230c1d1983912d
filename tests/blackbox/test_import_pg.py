"""`mlflowc import --from postgresql://...`: an MLflow database on PostgreSQL comes over exactly as
the same database on SQLite does. The official servers' SQLite fixtures (2.17 and 3.9) are loaded
into PostgreSQL table by table with MLflow's column types (BIGINT, DOUBLE PRECISION, BOOLEAN, text),
in their insertion order; importing that database and importing the SQLite file must give stores
equal row for row (every table, every id counter), and the PostgreSQL source is left as it was.
Also: a PostgreSQL database that is not MLflow's is refused, and the password never appears in
what the command prints. Needs a PostgreSQL server (MLF_TEST_PG_ADMIN) and ../shared.
"""

import math
import os
import sqlite3
import subprocess
from pathlib import Path

import pytest

from test_import import REPO_ROOT, copy_fixture, dump_store, fixtures_dir

ADMIN_ENV = "MLF_TEST_PG_ADMIN"
SECRET = "Imp0rt-Secret"


def admin_uri():
    uri = os.environ.get(ADMIN_ENV)
    if not uri:
        pytest.skip(f"{ADMIN_ENV} is not set: start a PostgreSQL test cluster with scripts/pg_test_cluster.sh")
    return uri


def db_uri(name, password=None):
    base = admin_uri().split("://", 1)[1].rsplit("/", 1)[0]
    if password:
        user, host = base.split("@", 1)
        base = f"{user}:{password}@{host}"
    return f"postgresql://{base}/{name}"


def psql(sql, db=None, stdin=None):
    uri = db_uri(db) if db else admin_uri()
    done = subprocess.run(["psql", uri, "-v", "ON_ERROR_STOP=1", "-qtAc", sql], input=stdin, capture_output=True,
                          text=True, timeout=300)
    assert done.returncode == 0, done.stderr
    return done.stdout.strip()


PG_TYPES = (("INT", "BIGINT"), ("BOOL", "BOOLEAN"), ("FLOAT", "DOUBLE PRECISION"), ("REAL", "DOUBLE PRECISION"),
            ("DOUBLE", "DOUBLE PRECISION"), ("NUMERIC", "DOUBLE PRECISION"))


def pg_type(declared):
    declared = (declared or "").upper()
    for needle, pg in PG_TYPES:
        if needle in declared:
            return pg
    return "TEXT"


def csv_value(v, pg):
    if v is None:
        return None
    if pg == "DOUBLE PRECISION":
        v = float(v)
        if math.isinf(v):
            return "Infinity" if v > 0 else "-Infinity"
        return "NaN" if math.isnan(v) else repr(v)
    if pg == "BOOLEAN":
        return "true" if v else "false"
    return str(v)


def load_into_postgres(sqlite_path, db):
    """MLflow's tables of the SQLite file, with their rows in rowid order, as a PostgreSQL database."""
    psql(f'DROP DATABASE IF EXISTS "{db}" WITH (FORCE)')
    psql(f'CREATE DATABASE "{db}"')
    con = sqlite3.connect(f"file:{sqlite_path}?mode=ro", uri=True)
    tables = [r[0] for r in con.execute("SELECT name FROM sqlite_master WHERE type = 'table' "
                                        "AND name NOT LIKE 'sqlite_%' ORDER BY name")]
    for table in tables:
        cols = [(r[1], pg_type(r[2])) for r in con.execute(f'PRAGMA table_info("{table}")')]
        psql(f'CREATE TABLE "{table}" (' + ", ".join(f'"{c}" {t}' for c, t in cols) + ")", db=db)
        without_rowid = con.execute("SELECT 1 FROM sqlite_master WHERE name = ? AND sql LIKE '%WITHOUT ROWID%'",
                                    (table,)).fetchone()
        order = "" if without_rowid else "ORDER BY rowid"
        psql(f'COPY "{table}" FROM STDIN WITH (FORMAT csv)', db=db, stdin=encode_csv(con, table, cols, order))
    con.close()
    return tables


def encode_csv(con, table, cols, order):
    """CSV where NULL is an empty unquoted field and '' is a quoted empty string."""
    lines = []
    for row in con.execute(f'SELECT * FROM "{table}" {order}'):
        fields = []
        for v, (_, t) in zip(row, cols):
            value = csv_value(v, t)
            if value is None:
                fields.append("")
            else:
                fields.append('"' + value.replace('"', '""') + '"')
        lines.append(",".join(fields))
    return "\n".join(lines) + ("\n" if lines else "")


def pg_dump_rows(db, tables):
    return {t: psql(f'SELECT md5(string_agg(x::text, \',\' ORDER BY x::text)) FROM "{t}" x', db=db) for t in tables}


def run_import(binary, cwd, source, dest_db, artifacts_from, artifacts_dest):
    return subprocess.run([str(binary), "import", "--from", source, "--artifacts-from", str(artifacts_from),
                           "--backend-store-uri", f"sqlite:///{dest_db}", "--artifacts-destination",
                           str(artifacts_dest)], cwd=cwd, capture_output=True, text=True, timeout=600)


@pytest.mark.parametrize("version", ["2.17", "3.9"])
def test_a_postgresql_source_imports_like_its_sqlite_twin(mlflowc_bin, tmp_path, version):
    admin_uri()
    fixtures_dir()
    src = copy_fixture(version, tmp_path / "old")
    db = "mlflowc_import_src_" + version.replace(".", "_")
    tables = load_into_postgres(src / "mlflow.db", db)
    before = pg_dump_rows(db, tables)

    from_sqlite = tmp_path / "from-sqlite"
    from_pg = tmp_path / "from-pg"
    for d in (from_sqlite, from_pg):
        d.mkdir()
    done = run_import(mlflowc_bin, tmp_path, f"sqlite:///{src / 'mlflow.db'}", from_sqlite / "mlflow.db",
                      src / "artifacts", from_sqlite / "art")
    assert done.returncode == 0, done.stdout + done.stderr
    done = run_import(mlflowc_bin, tmp_path, db_uri(db, SECRET), from_pg / "mlflow.db", src / "artifacts",
                      from_pg / "art")
    assert done.returncode == 0, done.stdout + done.stderr
    assert SECRET not in done.stdout + done.stderr
    assert "MISMATCH" not in done.stdout and "postgresql://" in done.stdout

    expected, got = dump_store(from_sqlite / "mlflow.db"), dump_store(from_pg / "mlflow.db")
    assert expected.keys() == got.keys()
    for table in expected:
        assert got[table] == expected[table], table
    # the same files came over
    files = lambda root: sorted(str(p.relative_to(root)) for p in root.rglob("*") if p.is_file())
    assert files(from_pg / "art") == files(from_sqlite / "art")
    # the source was only read, and the scratch snapshot is gone
    assert pg_dump_rows(db, tables) == before
    psql(f'DROP DATABASE "{db}" WITH (FORCE)')


def test_a_postgresql_database_that_is_not_mlflows_is_refused(mlflowc_bin, tmp_path):
    admin_uri()
    db = "mlflowc_import_not_mlflow"
    psql(f'DROP DATABASE IF EXISTS "{db}" WITH (FORCE)')
    psql(f'CREATE DATABASE "{db}"')
    psql("CREATE TABLE accounts (id INT)", db=db)
    scratch = tmp_path / "tmp"
    scratch.mkdir()
    done = subprocess.run([str(mlflowc_bin), "import", "--from", db_uri(db, SECRET), "--backend-store-uri",
                           f"sqlite:///{tmp_path / 'dest.db'}"], cwd=tmp_path, capture_output=True, text=True,
                          timeout=120, env={**os.environ, "TMPDIR": str(scratch)})
    assert done.returncode == 1
    assert "not an MLflow tracking database" in done.stderr
    assert SECRET not in done.stdout + done.stderr
    assert not (tmp_path / "dest.db").exists()
    assert list(scratch.iterdir()) == []  # the scratch snapshot was removed
    psql(f'DROP DATABASE "{db}" WITH (FORCE)')

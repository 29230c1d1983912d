"""Runs the black-box tests that read or write a server's SQLite file themselves (test_gc.py,
test_retention.py) against a PostgreSQL store instead, unchanged: `install(monkeypatch, module)`
swaps the module's `sqlite3` for a stand-in that answers `sqlite3.connect(<dir>/mlflow.db)` with
the PostgreSQL database of <dir> (conftest.store_uri, created on first use through
MLF_TEST_PG_ADMIN), run through Debian's psql, and rewrites every `sqlite:///<dir>/mlflow.db` the
module hands to a command or a server into that database's URI. Tests about the SQLite file
itself (its bytes, a missing file) have PostgreSQL twins in test_pg_gc.py / test_pg_retention.py."""

import os
import re
import shutil
import subprocess as real_subprocess
from pathlib import Path

import conftest

_SQLITE_DB = re.compile(r"^sqlite:///(.+)/mlflow\.db$")
_made = set()


def enabled():
    """True when the servers' stores are PostgreSQL databases this module can reach with psql."""
    uri = os.environ.get(conftest.STORE_URI_ENV) or ""
    return uri.startswith("postgres") and bool(os.environ.get("MLF_TEST_PG_ADMIN")) and bool(shutil.which("psql"))


def _psql(uri, *args, check=True):
    p = real_subprocess.run(["psql", uri, "-X", "-q", "-v", "ON_ERROR_STOP=1", *args],
                            capture_output=True, text=True, timeout=120)
    if check and p.returncode != 0:
        raise AssertionError(f"psql failed: {p.stderr}")
    return p


def database_uri(directory):
    """The PostgreSQL URI of the store of `directory`, its database created when missing."""
    uri = conftest.store_uri(Path(directory))
    name = uri.rsplit("/", 1)[1].split("?")[0]
    if name not in _made:
        admin = os.environ["MLF_TEST_PG_ADMIN"]
        out = _psql(admin, "-tAc", f"SELECT 1 FROM pg_database WHERE datname = '{name}'").stdout.strip()
        if out != "1":
            _psql(admin, "-c", f'CREATE DATABASE "{name}"')
        _made.add(name)
    return uri


def rewrite(argv):
    """argv with each sqlite:///<dir>/mlflow.db replaced by the database of <dir>."""
    out = []
    for a in argv:
        m = _SQLITE_DB.match(str(a))
        out.append(database_uri(m.group(1)) if m else a)
    return out


def _literal(v):
    if v is None:
        return "NULL"
    if isinstance(v, bool):
        return "1" if v else "0"
    if isinstance(v, (int, float)):
        return repr(v)
    return "'" + str(v).replace("'", "''") + "'"


def _bind(sql, args):
    """SQLite's ? placeholders filled with PostgreSQL literals (the tests' SQL has no '?' in text)."""
    parts = sql.split("?")
    assert len(parts) == len(args) + 1, (sql, args)
    return "".join(p + (_literal(args[i]) if i < len(args) else "") for i, p in enumerate(parts))


def _field(text):
    if text == r"\N":
        return None
    text = re.sub(r"\\(.)", lambda m: {"t": "\t", "n": "\n", "r": "\r", "\\": "\\"}.get(m.group(1), m.group(1)), text)
    return int(text) if re.fullmatch(r"-?\d{1,18}", text) else text


class _Cursor(list):
    def fetchall(self):
        return list(self)

    def fetchone(self):
        return self[0] if self else None


class _Connection:
    def __init__(self, uri):
        self.uri = uri

    def execute(self, sql, args=()):
        if "sqlite_master" in sql:  # the list of tables
            sql = "SELECT tablename FROM pg_tables WHERE schemaname = current_schema()"
        elif re.fullmatch(r"\s*PRAGMA user_version\s*", sql):  # the schema version
            sql = "SELECT version FROM mlflowc_schema"
        elif re.fullmatch(r"\s*PRAGMA user_version\s*=\s*\d+\s*", sql):  # set back (a store of an older mlflowc)
            sql = "UPDATE mlflowc_schema SET version = " + sql.split("=")[1].strip()
        # a write, also one under WITH (decided before values are bound: they may hold any word)
        writes = not re.match(r"\s*(SELECT|WITH)\b", sql, re.I) or re.search(r"\b(INSERT|UPDATE|DELETE)\b", sql, re.I)
        sql = _bind(sql, tuple(args))
        sql = re.sub(r"printf\('%0(\d+)x', (\w+)\)", r"lpad(to_hex(\2), \1, '0')", sql)  # SQLite's printf
        if writes:
            _psql(self.uri, "-c", sql)
            return _Cursor()
        out = _psql(self.uri, "-c", f"COPY ({sql}) TO STDOUT").stdout
        return _Cursor(tuple(_field(f) for f in line.split("\t")) for line in out.split("\n") if line)

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        return False

    def close(self):
        pass

    def iterdump(self):
        """Every row of every table (not SQL text: for before/after comparisons only)."""
        tables = [r[0] for r in self.execute("SELECT name FROM sqlite_master")]
        return iter(sorted(f"{t} {row!r}" for t in tables for row in self.execute(f"SELECT * FROM {t}")))

    def commit(self):
        pass


class _Sqlite3:
    """The part of the sqlite3 module the tests use."""

    @staticmethod
    def connect(path, *args, **kwargs):
        path = Path(re.sub(r"^file:|\?.*$", "", str(path)))  # also the read-only file: URI form
        assert path.name == "mlflow.db", path
        return _Connection(database_uri(path.parent))


class _Subprocess:
    """subprocess, with the store URIs of commands rewritten."""

    PIPE = real_subprocess.PIPE
    DEVNULL = real_subprocess.DEVNULL
    STDOUT = real_subprocess.STDOUT
    CompletedProcess = real_subprocess.CompletedProcess
    TimeoutExpired = real_subprocess.TimeoutExpired

    @staticmethod
    def run(argv, *args, **kwargs):
        return real_subprocess.run(rewrite(argv), *args, **kwargs)

    @staticmethod
    def Popen(argv, *args, **kwargs):  # noqa: N802 (subprocess's name)
        return real_subprocess.Popen(rewrite(argv), *args, **kwargs)


def install(monkeypatch, module):
    """Points `module`'s sqlite3, subprocess, store_uri and launch_server at the PostgreSQL store."""
    if hasattr(module, "sqlite3"):
        monkeypatch.setattr(module, "sqlite3", _Sqlite3)
    if hasattr(module, "subprocess"):
        monkeypatch.setattr(module, "subprocess", _Subprocess)
    if hasattr(module, "store_uri"):
        monkeypatch.setattr(module, "store_uri", database_uri)
    for name in ("launch_server",):
        if hasattr(module, name):
            orig = getattr(module, name)
            monkeypatch.setattr(module, name, lambda argv, *a, _orig=orig, **k: _orig(rewrite(argv), *a, **k))


def rows(directory):
    """Every row of every table of the store of `directory`, for before/after comparisons."""
    return list(_Sqlite3.connect(Path(directory) / "mlflow.db").iterdump())

#!/usr/bin/env python3
"""bench/import.py - how fast `mlflowc import` brings an MLflow database over.

A benchmark, not a test. It generates an MLflow-shaped SQLite database (the schema copied
from the MLflow 2.17 fixture, ../shared/fixtures/mlflow-stores/mlflow-2.17-sqlite/mlflow.db)
holding 1,000,000 metric points by default, then in the same run times

  raw:    a raw copy of the same rows into a scratch database of MLflow's schema (ATTACH, then
          INSERT INTO ... SELECT for every table that holds rows), in one transaction;
  raw flat: the same into tables without keys or indexes (CREATE TABLE AS SELECT), the floor
          of any copy, for scale;
  import: `mlflowc import --from sqlite:///<generated> --backend-store-uri sqlite:///<new>`.

and reports metric points/s and runs/s of both, and import as a share of raw (target >= 50%).

    bench/import.py [--points N] [--runs N] [--keep] [--bin build/mlflowc]
"""

import argparse
import os
import shutil
import sqlite3
import subprocess
import sys
import tempfile
import time
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
FIXTURE = Path(os.environ.get("MLFLOWC_SHARED", REPO.parent / "shared")) / "fixtures" / "mlflow-stores" / \
    "mlflow-2.17-sqlite" / "mlflow.db"
ROW_TABLES = ["experiments", "experiment_tags", "runs", "params", "tags", "metrics", "latest_metrics"]


def mlflow_schema():
    con = sqlite3.connect(f"file:{FIXTURE}?mode=ro&immutable=1", uri=True)
    sql = [r[0] for r in con.execute("SELECT sql FROM sqlite_master WHERE sql IS NOT NULL AND name NOT LIKE "
                                     "'sqlite_%' ORDER BY type = 'index', rowid")]
    head = con.execute("SELECT version_num FROM alembic_version").fetchone()[0]
    con.close()
    return sql, head


def generate(path, points, runs, schema, head):
    con = sqlite3.connect(path)
    con.execute("PRAGMA journal_mode = OFF")
    con.execute("PRAGMA synchronous = OFF")
    for stmt in schema:
        con.execute(stmt)
    con.execute("INSERT INTO alembic_version VALUES (?)", (head,))
    experiments = max(1, runs // 100)
    keys = 4
    steps = max(1, points // (runs * keys))
    t0 = 1700000000000
    for e in range(experiments):
        con.execute("INSERT INTO experiments VALUES (?, ?, ?, 'active', ?, ?)",
                    (e, f"bench-{e}" if e else "Default", f"mlflow-artifacts:/{e}", t0, t0))
        con.execute("INSERT INTO experiment_tags VALUES ('team', 'bench', ?)", (e,))
    for r in range(runs):
        e = r % experiments
        run = f"{r:032x}"
        con.execute("INSERT INTO runs (run_uuid, name, source_type, source_name, entry_point_name, user_id, status, "
                    "start_time, end_time, source_version, lifecycle_stage, artifact_uri, experiment_id, deleted_time) "
                    "VALUES (?, ?, 'UNKNOWN', '', '', 'bench', 'FINISHED', ?, ?, '', 'active', ?, ?, NULL)",
                    (run, f"run-{r}", t0 + r, t0 + r + 1000, f"mlflow-artifacts:/{e}/{run}/artifacts", e))
        con.executemany("INSERT INTO params VALUES (?, ?, ?)", ((f"p{i}", str(i * r), run) for i in range(5)))
        con.executemany("INSERT INTO tags VALUES (?, ?, ?)", ((f"t{i}", f"v{i}", run) for i in range(5)))
        for k in range(keys):
            con.executemany("INSERT INTO metrics VALUES (?, ?, ?, ?, ?, 0)",
                            ((f"m{k}", s * 0.001 + k, t0 + s, run, s) for s in range(steps)))
            con.execute("INSERT INTO latest_metrics VALUES (?, ?, ?, ?, 0, ?)",
                        (f"m{k}", (steps - 1) * 0.001 + k, t0 + steps - 1, steps - 1, run))
    con.commit()
    n = con.execute("SELECT count(*) FROM metrics").fetchone()[0]
    con.close()
    return n


def raw_copy(source, scratch, schema):
    """INSERT ... SELECT of every row table into MLflow's schema (`schema`), or into tables with
    the same columns and no key or index at all (`schema` None: the floor of any copy)."""
    con = sqlite3.connect(scratch, isolation_level=None)
    for stmt in schema or []:
        con.execute(stmt)
    con.execute("PRAGMA journal_mode = WAL")
    con.execute("PRAGMA synchronous = NORMAL")
    con.execute("ATTACH ? AS src", (f"file:{source}?mode=ro&immutable=1",))
    start = time.monotonic()
    con.execute("BEGIN")
    for t in ROW_TABLES:
        if schema:
            con.execute(f'INSERT INTO main."{t}" SELECT * FROM src."{t}"')
        else:
            con.execute(f'CREATE TABLE main."{t}" AS SELECT * FROM src."{t}"')
    con.execute("COMMIT")
    took = time.monotonic() - start
    con.close()
    return took


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--points", type=int, default=1_000_000)
    ap.add_argument("--runs", type=int, default=1000)
    ap.add_argument("--bin", default=str(REPO / "build" / "mlflowc"))
    ap.add_argument("--keep", action="store_true", help="keep the temporary directory")
    args = ap.parse_args()
    if not FIXTURE.is_file():
        sys.exit(f"{FIXTURE} not found: the schema is copied from MLflow's own database")
    tmp = Path(tempfile.mkdtemp(prefix="mlflowc-import-bench-"))
    try:
        schema, head = mlflow_schema()
        source = tmp / "mlflow.db"
        t = time.monotonic()
        points = generate(source, args.points, args.runs, schema, head)
        print(f"generated {points:,} points in {args.runs:,} runs ({time.monotonic() - t:.1f} s), "
              f"{source.stat().st_size / 1e6:.0f} MB, MLflow schema {head}")
        raw = raw_copy(source, tmp / "raw.db", schema)
        flat = raw_copy(source, tmp / "flat.db", None)
        start = time.monotonic()
        r = subprocess.run([args.bin, "import", "--from", f"sqlite:///{source}",
                            "--backend-store-uri", f"sqlite:///{tmp / 'new.db'}"],
                           cwd=tmp, capture_output=True, text=True)
        took = time.monotonic() - start
        if r.returncode != 0:
            sys.exit(f"import failed ({r.returncode}):\n{r.stdout}{r.stderr}")
        print(f"{'':8} {'seconds':>8} {'points/s':>12} {'runs/s':>9}")
        for name, sec in (("raw", raw), ("raw flat", flat), ("import", took)):
            print(f"{name:8} {sec:8.2f} {points / sec:12,.0f} {args.runs / sec:9,.0f}")
        share = raw / took * 100
        print(f"import runs at {share:.0f}% of the raw copy (target >= 50%: {'met' if share >= 50 else 'missed'}), "
              f"{flat / took * 100:.0f}% of the flat one")
    finally:
        if args.keep:
            print(f"kept {tmp}")
        else:
            shutil.rmtree(tmp)


if __name__ == "__main__":
    main()

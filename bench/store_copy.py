#!/usr/bin/env python3
"""bench/store_copy.py - how fast `mlflowc export --to <store URI>` copies an mlflowc store.

A benchmark, not a test. It generates an MLflow-shaped database with bench/import.py's generator
(1,000,000 metric points in 1,000 runs by default; the schema comes from ../shared's 2.17
fixture), imports it with `mlflowc import` into an mlflowc SQLite store (the source), then in
the same run times

  raw:    a raw copy of every table of the source into an empty database of the same schema
          (ATTACH, then INSERT INTO ... SELECT for every table), in one transaction;
  sqlite: `mlflowc export --backend-store-uri <source> --to sqlite:///<new>`;
  pg:     `mlflowc export ... --to <MLF_BENCH_PG_URI>` when that variable names an empty
          PostgreSQL database (left with the copy in it);

and reports metric points/s and runs/s of each, and each copy as a share of the raw one.

    bench/store_copy.py [--points N] [--runs N] [--keep] [--bin build/mlflowc]
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

sys.path.insert(0, str(Path(__file__).resolve().parent))
import importlib.util  # noqa: E402

_spec = importlib.util.spec_from_file_location("bench_import", Path(__file__).resolve().parent / "import.py")
bench_import = importlib.util.module_from_spec(_spec)
_spec.loader.exec_module(bench_import)

REPO = Path(__file__).resolve().parents[1]


def raw_copy(source, scratch):
    """Every table of the mlflowc store `source` copied with INSERT ... SELECT into its own schema."""
    src = sqlite3.connect(f"file:{source}?mode=ro", uri=True)
    schema = [r for r in src.execute("SELECT name, sql FROM sqlite_master WHERE sql IS NOT NULL AND name NOT LIKE "
                                     "'sqlite_%' ORDER BY type = 'index', rowid")]
    tables = [r[0] for r in src.execute("SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE "
                                        "'sqlite_%'")]
    src.close()
    con = sqlite3.connect(scratch, isolation_level=None)
    for _, stmt in schema:
        con.execute(stmt)
    con.execute("PRAGMA journal_mode = WAL")
    con.execute("PRAGMA synchronous = NORMAL")
    con.execute("ATTACH ? AS src", (f"file:{source}?mode=ro",))
    start = time.monotonic()
    con.execute("BEGIN")
    for t in tables:
        con.execute(f'INSERT INTO main."{t}" SELECT * FROM src."{t}"')
    con.execute("COMMIT")
    took = time.monotonic() - start
    con.close()
    return took


def timed(cmd, cwd):
    start = time.monotonic()
    r = subprocess.run(cmd, cwd=cwd, capture_output=True, text=True)
    took = time.monotonic() - start
    if r.returncode != 0:
        sys.exit(f"{cmd[1]} failed ({r.returncode}):\n{r.stdout}{r.stderr}")
    return took


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--points", type=int, default=1_000_000)
    ap.add_argument("--runs", type=int, default=1000)
    ap.add_argument("--bin", default=str(REPO / "build" / "mlflowc"))
    ap.add_argument("--keep", action="store_true", help="keep the temporary directory")
    args = ap.parse_args()
    if not bench_import.FIXTURE.is_file():
        sys.exit(f"{bench_import.FIXTURE} not found: the schema is copied from MLflow's own database")
    tmp = Path(tempfile.mkdtemp(prefix="mlflowc-copy-bench-"))
    try:
        schema, head = bench_import.mlflow_schema()
        mlflow_db = tmp / "mlflow.db"
        points = bench_import.generate(mlflow_db, args.points, args.runs, schema, head)
        source = tmp / "source.db"
        timed([args.bin, "import", "--from", f"sqlite:///{mlflow_db}", "--backend-store-uri", f"sqlite:///{source}",
               "--keep-artifact-locations"], tmp)
        print(f"source: an mlflowc store of {points:,} points in {args.runs:,} runs, "
              f"{source.stat().st_size / 1e6:.0f} MB")
        rows = [("raw", raw_copy(source, tmp / "raw.db"))]
        rows.append(("sqlite", timed([args.bin, "export", "--backend-store-uri", f"sqlite:///{source}", "--to",
                                      f"sqlite:///{tmp / 'copy.db'}"], tmp)))
        pg = os.environ.get("MLF_BENCH_PG_URI")
        if pg:
            rows.append(("pg", timed([args.bin, "export", "--backend-store-uri", f"sqlite:///{source}", "--to", pg],
                                     tmp)))
        print(f"{'':8} {'seconds':>8} {'points/s':>12} {'runs/s':>9} {'of raw':>7}")
        raw = rows[0][1]
        for name, sec in rows:
            print(f"{name:8} {sec:8.2f} {points / sec:12,.0f} {args.runs / sec:9,.0f} {raw / sec * 100:6.0f}%")
    finally:
        if args.keep:
            print(f"kept {tmp}")
        else:
            shutil.rmtree(tmp)


if __name__ == "__main__":
    main()

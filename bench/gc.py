#!/usr/bin/python3
"""gc time for N soft-deleted runs (default 10,000): a benchmark, not a test.

Makes a fresh store with the real server (so the schema is the binary's own), stops it, then
writes N deleted runs straight into a scratch copy with SQL (each with 10 metric points on 2
keys, latest metrics, 3 params, 3 tags and a dataset input) and one 1 KiB artifact file per run
under the artifacts destination, plus 1,000 active runs that must stay. Times
`mlflowc gc --dry-run`, then `mlflowc gc`, and checks that exactly the deleted runs went.

    /usr/bin/python3 bench/gc.py [N] [--bin build/mlflowc]
"""

import argparse
import os
import shutil
import signal
import socket
import sqlite3
import subprocess
import sys
import tempfile
import time
import urllib.request
import uuid
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def make_schema(binary, d):
    port = free_port()
    proc = subprocess.Popen([binary, "server", "--backend-store-uri", f"sqlite:///{d}/mlflow.db",
                             "--artifacts-destination", str(d / "artifacts"), "--host", "127.0.0.1",
                             "--port", str(port)], stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    for _ in range(500):
        try:
            urllib.request.urlopen(f"http://127.0.0.1:{port}/health", timeout=1)
            break
        except OSError:
            time.sleep(0.02)
    req = urllib.request.Request(f"http://127.0.0.1:{port}/api/2.0/mlflow/experiments/create",
                                 data=b'{"name": "bench"}', headers={"Content-Type": "application/json"})
    exp = int(__import__("json").loads(urllib.request.urlopen(req).read())["experiment_id"])
    proc.send_signal(signal.SIGTERM)
    proc.wait(timeout=20)
    return exp


def populate(d, exp, n_deleted, n_active, files=True):
    con = sqlite3.connect(d / "mlflow.db")
    art = d / "artifacts"
    payload = os.urandom(1024)
    now = int(time.time() * 1000)
    with con:
        con.execute("INSERT OR IGNORE INTO metric_keys(key) VALUES ('loss'), ('acc')")
        keys = [r[0] for r in con.execute("SELECT key_id FROM metric_keys WHERE key IN ('loss','acc')")]
        con.execute("INSERT INTO datasets(dataset_uuid, experiment_id, name, digest, source_type, source)"
                    " VALUES (?, ?, 'shared', 'd', 'local', '{}')", (uuid.uuid4().hex, exp))
        ds = con.execute("SELECT max(dataset_pk) FROM datasets").fetchone()[0]
        for i in range(n_deleted + n_active):
            rid = uuid.uuid4().hex
            deleted = i < n_deleted
            uri = f"mlflow-artifacts:/{exp}/{rid}/artifacts"
            cur = con.execute("INSERT INTO runs(run_uuid, experiment_id, name, status, start_time, artifact_uri,"
                              " lifecycle_stage, deleted_time) VALUES (?, ?, ?, 'FINISHED', ?, ?, ?, ?)",
                              (rid, exp, f"r{i}", now, uri, "deleted" if deleted else "active",
                               now - 86400000 if deleted else None))
            pk = cur.lastrowid
            con.executemany("INSERT INTO metrics VALUES (?, ?, ?, ?, ?, 0)",
                            [(pk, k, now + s, s, s * 0.1) for k in keys for s in range(5)])
            con.executemany("INSERT INTO latest_metrics VALUES (?, ?, 0.4, ?, 4, 0)", [(pk, k, now + 4) for k in keys])
            con.executemany("INSERT INTO params VALUES (?, ?, 'v')", [(pk, f"p{j}") for j in range(3)])
            con.executemany("INSERT INTO tags VALUES (?, ?, 'v')", [(pk, f"t{j}") for j in range(3)])
            con.execute("INSERT INTO run_inputs VALUES (?, ?, 0)", (pk, ds))
            con.execute("INSERT INTO input_tags VALUES (?, ?, 'mlflow.data.context', 'training')", (pk, ds))
            if files:
                run_dir = art / str(exp) / rid / "artifacts"
                run_dir.mkdir(parents=True)
                (run_dir / "model.bin").write_bytes(payload)
    con.close()


def timed(cmd):
    t0 = time.perf_counter()
    p = subprocess.run(cmd, capture_output=True, text=True)
    dt = time.perf_counter() - t0
    if p.returncode != 0:
        sys.exit(f"{cmd[1]} failed: {p.stderr}")
    return dt, p.stdout


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("n", nargs="?", type=int, default=10000)
    ap.add_argument("--bin", default=str(ROOT / "build" / "mlflowc"))
    ap.add_argument("--no-files", action="store_true", help="runs without artifact files: the rows' cost alone")
    ap.add_argument("--generate-only", action="store_true", help="make the store, print its directory, stop")
    args = ap.parse_args()
    d = Path(tempfile.mkdtemp(prefix="mlflowc-gc-bench-"))
    try:
        exp = make_schema(args.bin, d)
        t0 = time.perf_counter()
        populate(d, exp, args.n, 1000, not args.no_files)
        print(f"generated {args.n} deleted + 1000 active runs in {time.perf_counter() - t0:.1f} s")
        if args.generate_only:
            print(d)
            d = None
            return 0
        base = [args.bin, "gc", "--backend-store-uri", f"sqlite:///{d}/mlflow.db",
                "--artifacts-destination", str(d / "artifacts")]
        dry, out = timed(base + ["--dry-run"])
        print(f"gc --dry-run: {dry:.2f} s  ({out.strip().splitlines()[-1]})")
        real, out = timed(base)
        print(f"gc:           {real:.2f} s  ({out.strip().splitlines()[-1]})")
        print(f"              {args.n / real:.0f} runs/s, {real / args.n * 1e3:.2f} ms per run")
        con = sqlite3.connect(d / "mlflow.db")
        left = con.execute("SELECT lifecycle_stage, count(*) FROM runs GROUP BY 1").fetchall()
        metrics = con.execute("SELECT count(*) FROM metrics").fetchone()[0]
        con.close()
        dirs = len(os.listdir(d / "artifacts" / str(exp))) if not args.no_files else 1000
        ok = left == [("active", 1000)] and metrics == 1000 * 10 and dirs == 1000
        print(f"left: {left}, {metrics} metric rows, {dirs} run directories: {'as expected' if ok else 'WRONG'}")
        return 0 if ok else 1
    finally:
        if d:
            shutil.rmtree(d, ignore_errors=True)


if __name__ == "__main__":
    sys.exit(main())

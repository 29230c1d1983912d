#!/usr/bin/python3
"""pyflavor.py - predictions/s of the python_function flavor's worker pool, without HTTP.

    bench/pyflavor.py [--model DIR] [--seconds S] [--threads T] [--driver PATH]

Drives build/tests/pyflavor_drive (tests/pyflavor/drive.c; `make unit` builds it) on
MLflow 2.17's sklearn LogisticRegression (../shared; --model names another tensor model of
two float64 columns) and reports, for 1 and 2 workers:
  - start-up: from exec of the driver to every worker having loaded the model;
  - RSS of each worker process after start-up, and of the driver (the server's side);
  - predictions/s and p50/p99 latency through flavor_python.predict for a one-row and a
    100-row request, with T threads calling predict at once (default 4 with 2 workers,
    2 with 1 worker), each request the JSON line the worker reads.
A benchmark, not a test: nothing here fails on a figure. The HTTP target (>= 3,000
req/s with 2 workers, issue #13) needs this pool well above that.
"""

import argparse
import json
import os
import select
import subprocess
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
FIXTURE = ROOT.parent / "shared/fixtures/mlflow-stores/mlflow-2.17-sqlite/artifacts/5/" \
    "55315cc8a96d4d898413179bce530923/artifacts/model"


def rss_kb(pid):
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1])
    return 0


def children(pid):
    out = []
    for task in Path(f"/proc/{pid}/task").iterdir():
        out += [int(c) for c in (task / "children").read_text().split()]
    return out


def line(proc, timeout=600):
    ready, _, _ = select.select([proc.stdout], [], [], timeout)
    if not ready:
        raise SystemExit("the driver did not answer")
    return json.loads(proc.stdout.readline())


def run(driver, model, workers, threads, seconds):
    t0 = time.monotonic()
    proc = subprocess.Popen([driver, str(model), "--workers", str(workers)], stdin=subprocess.PIPE,
                            stdout=subprocess.PIPE, text=True)
    first = line(proc)
    start_ms = (time.monotonic() - t0) * 1e3
    if not first.get("ready"):
        raise SystemExit(f"the model did not load: {first}")
    workers_rss = [rss_kb(c) for c in children(proc.pid)]
    print(f"workers={workers}: start-up {start_ms:.0f} ms, worker RSS "
          f"{', '.join(f'{r / 1024:.1f}' for r in workers_rss)} MB, driver RSS {rss_kb(proc.pid) / 1024:.1f} MB")
    for rows in (1, 100):
        req = {"kind": "tensor", "dtype": "float64", "data": [[0.5 + i, 1.5 - i] for i in range(rows)],
               "params": None}
        # a short calibration run, then about `seconds` of load
        proc.stdin.write(json.dumps({"cmd": "bench", "request": req, "n": 200, "threads": threads}) + "\n")
        proc.stdin.flush()
        cal = line(proc)
        n = max(200, int(cal["rps"] * seconds / threads))
        proc.stdin.write(json.dumps({"cmd": "bench", "request": req, "n": n, "threads": threads}) + "\n")
        proc.stdin.flush()
        got = line(proc)
        print(f"  {rows:3d} row(s), {threads} threads: {got['rps']:8.0f} predictions/s  "
              f"p50 {got['p50_us']:.0f} us  p99 {got['p99_us']:.0f} us  errors {got['errors']}")
    proc.stdin.close()
    proc.wait(timeout=60)


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--model", default=str(FIXTURE))
    ap.add_argument("--seconds", type=float, default=3.0)
    ap.add_argument("--threads", type=int, default=0)
    ap.add_argument("--driver", default=str(ROOT / "build/tests/pyflavor_drive"))
    args = ap.parse_args()
    if not os.access(args.driver, os.X_OK):
        raise SystemExit(f"{args.driver} not found: run `make unit` first")
    for workers in (1, 2):
        run(args.driver, args.model, workers, args.threads or 2 * workers, args.seconds)


if __name__ == "__main__":
    main()

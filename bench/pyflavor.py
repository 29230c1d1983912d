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
With wrk on PATH (Debian's `wrk`) it also serves the model with `build/mlflowc models
serve -w N` and reports /invocations requests/s and p50/p99 for the same two bodies over 8
connections (--no-http skips it). A benchmark, not a test: nothing here fails on a figure.
Target (issue #13): >= 3,000 req/s through HTTP with 2 workers.
"""

import argparse
import json
import os
import re
import select
import shutil
import socket
import subprocess
import tempfile
import urllib.request
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


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def http(binary, model, workers, seconds):
    port = free_port()
    t0 = time.monotonic()
    server = subprocess.Popen([binary, "models", "serve", "-m", str(model), "-p", str(port), "-w", str(workers)],
                              stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        for _ in range(3000):
            try:
                urllib.request.urlopen(f"http://127.0.0.1:{port}/ping", timeout=1).read()
                break
            except OSError:
                time.sleep(0.01)
        ready_ms = (time.monotonic() - t0) * 1e3
        print(f"HTTP, workers={workers}: serve ready in {ready_ms:.0f} ms, server RSS "
              f"{rss_kb(server.pid) / 1024:.1f} MB")
        for rows in (1, 100):
            body = json.dumps({"inputs": [[0.5 + i, 1.5 - i] for i in range(rows)]})
            with tempfile.NamedTemporaryFile("w", suffix=".lua", delete=False) as f:
                f.write('wrk.method = "POST"\nwrk.body = [==[%s]==]\n'
                        'wrk.headers["Content-Type"] = "application/json"\n' % body)
            out = subprocess.run(["wrk", "-t2", "-c8", f"-d{seconds:.0f}s", "--latency", "-s", f.name,
                                  f"http://127.0.0.1:{port}/invocations"], capture_output=True, text=True).stdout
            os.unlink(f.name)
            rps = re.search(r"Requests/sec:\s+([\d.]+)", out)
            p50 = re.search(r"^\s+50%\s+(\S+)", out, re.M)
            p99 = re.search(r"^\s+99%\s+(\S+)", out, re.M)
            non2xx = re.search(r"Non-2xx or 3xx responses: (\d+)", out)
            print(f"  {rows:3d} row(s), 8 connections: {float(rps.group(1)) if rps else 0:8.0f} req/s  "
                  f"p50 {p50.group(1) if p50 else '?'}  p99 {p99.group(1) if p99 else '?'}  "
                  f"non-2xx {non2xx.group(1) if non2xx else 0}")
    finally:
        server.terminate()
        server.wait(timeout=30)


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--model", default=str(FIXTURE))
    ap.add_argument("--seconds", type=float, default=3.0)
    ap.add_argument("--threads", type=int, default=0)
    ap.add_argument("--driver", default=str(ROOT / "build/tests/pyflavor_drive"))
    ap.add_argument("--binary", default=str(ROOT / "build/mlflowc"))
    ap.add_argument("--no-http", action="store_true")
    args = ap.parse_args()
    if not os.access(args.driver, os.X_OK):
        raise SystemExit(f"{args.driver} not found: run `make unit` first")
    for workers in (1, 2):
        run(args.driver, args.model, workers, args.threads or 2 * workers, args.seconds)
    if not args.no_http and shutil.which("wrk"):
        for workers in (1, 2):
            http(args.binary, args.model, workers, max(args.seconds, 1))


if __name__ == "__main__":
    main()

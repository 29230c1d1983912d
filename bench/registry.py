#!/usr/bin/python3
"""bench/registry.py - model registry latency at scale (issue 4, item 7).

Starts build/mlflowc on a fresh temp dir and a free port, seeds N registered models
(default 10,000) with V versions each (default 10) through the REST API, then times:

  * registered-models/search with a tag filter (`tags.team = 't3'`, 1/10 of the models
    match), one page of 100 (the Python client's default) and one of 1,000;
  * model-versions/search with a version-tag filter, page of 100;
  * registered-models/get-latest-versions of one model (versions in None, Staging,
    Production).

Each figure is the median (and p95, nearest rank) of --repeat calls on one keep-alive
connection, from sending the request to the answer's last byte (parsing the JSON is the
client's cost and is not timed). It is a benchmark, not a test: a missed target (20 ms) is reported, never
fatal; a wrong answer is. Usage:

    /usr/bin/python3 bench/registry.py [--models N] [--versions V] [--repeat R]
                                      [--server build/mlflowc] [--keep]
"""

import argparse
import http.client
import json
import os
import shutil
import socket
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from urllib.parse import urlencode

TARGET_MS = 20.0
SEED_THREADS = 4


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class Client:
    """One keep-alive connection; every call checks for HTTP 200."""

    def __init__(self, port):
        self.conn = http.client.HTTPConnection("127.0.0.1", port, timeout=60)

    def call(self, method, endpoint, body=None, **query):
        return self.timed_call(method, endpoint, body, **query)[1]

    def timed_call(self, method, endpoint, body=None, **query):
        """(milliseconds from sending the request to the last byte of the answer, parsed answer);
        parsing the JSON is not timed, it is the client's cost, not the server's."""
        path = f"/api/2.0/mlflow/{endpoint}"
        if query:
            path += "?" + urlencode(query, doseq=True)
        headers = {"Content-Type": "application/json"} if body is not None else {}
        payload = json.dumps(body) if body is not None else None
        start = time.perf_counter()
        self.conn.request(method, path, body=payload, headers=headers)
        resp = self.conn.getresponse()
        data = resp.read()
        elapsed = (time.perf_counter() - start) * 1000
        if resp.status != 200:
            raise RuntimeError(f"{method} {path}: HTTP {resp.status} {data[:300]!r}")
        return elapsed, json.loads(data) if data else {}


def start_server(binary, workdir):
    port = free_port()
    log = open(os.path.join(workdir, "server.log"), "wb")
    proc = subprocess.Popen([binary, "server", "--backend-store-uri", f"sqlite:///{workdir}/mlflow.db",
                             "--artifacts-destination", f"{workdir}/artifacts", "--host", "127.0.0.1",
                             "--port", str(port)], stdout=log, stderr=log, cwd=workdir)
    deadline = time.monotonic() + 10
    while time.monotonic() < deadline:
        try:
            conn = http.client.HTTPConnection("127.0.0.1", port, timeout=1)
            conn.request("GET", "/health")
            if conn.getresponse().status == 200:
                return proc, port
        except OSError:
            time.sleep(0.02)
    proc.kill()
    sys.exit("mlflowc did not start; see " + log.name)


def seed_model(client, i, versions):
    name = f"model-{i:05d}"
    client.call("POST", "registered-models/create",
                {"name": name, "tags": [{"key": "team", "value": f"t{i % 10}"}]})
    for v in range(versions):
        client.call("POST", "model-versions/create", {
            "name": name, "source": f"s3://bucket/{name}/{v + 1}",
            "tags": [{"key": "quality", "value": "gold" if (i + v) % 50 == 0 else "plain"}]})
    for version, stage in ((versions // 2, "Staging"), (versions - 2, "Production")):
        if version >= 1:
            client.call("POST", "model-versions/transition-stage",
                        {"name": name, "version": str(version), "stage": stage})


def seed(port, models, versions):
    errors = []

    def worker(first):
        client = Client(port)
        try:
            for i in range(first, models, SEED_THREADS):
                seed_model(client, i, versions)
        except Exception as e:  # reported after the join
            errors.append(e)

    threads = [threading.Thread(target=worker, args=(t,)) for t in range(SEED_THREADS)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    if errors:
        sys.exit(f"seeding failed: {errors[0]}")


def timed(client, repeat, method, endpoint, check, body=None, **query):
    times = []
    for _ in range(repeat):
        elapsed, answer = client.timed_call(method, endpoint, body, **query)
        times.append(elapsed)
        check(answer)
    times.sort()
    return statistics.median(times), times[max(0, -(-len(times) * 95 // 100) - 1)]


def expect(key, count):
    def check(answer):
        got = len(answer.get(key, []))
        if got != count:
            raise SystemExit(f"wrong answer: {got} {key}, expected {count}")
    return check


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--models", type=int, default=10000)
    ap.add_argument("--versions", type=int, default=10)
    ap.add_argument("--repeat", type=int, default=30)
    ap.add_argument("--server", default="build/mlflowc")
    ap.add_argument("--keep", action="store_true", help="keep the temp dir")
    args = ap.parse_args()
    workdir = tempfile.mkdtemp(prefix="mlflowc-bench-registry-")
    proc, port = start_server(os.path.abspath(args.server), workdir)
    try:
        start = time.monotonic()
        seed(port, args.models, args.versions)
        seeded = time.monotonic() - start
        print(f"seeded {args.models} models x {args.versions} versions in {seeded:.1f} s")
        client = Client(port)
        matching = len(range(3, args.models, 10))
        gold = sum(1 for i in range(args.models) for v in range(args.versions) if (i + v) % 50 == 0)
        rows = [
            ("registered-models/search tags.team='t3', page 100",
             timed(client, args.repeat, "GET", "registered-models/search", expect("registered_models", min(100, matching)),
                   filter="tags.team = 't3'", max_results=100)),
            ("registered-models/search tags.team='t3', page 1000",
             timed(client, args.repeat, "GET", "registered-models/search", expect("registered_models", min(1000, matching)),
                   filter="tags.team = 't3'", max_results=1000)),
            ("model-versions/search tags.quality='gold', page 100",
             timed(client, args.repeat, "GET", "model-versions/search", expect("model_versions", min(100, gold)),
                   filter="tags.quality = 'gold'", max_results=100)),
            ("registered-models/get-latest-versions",
             timed(client, args.repeat, "POST", "registered-models/get-latest-versions",
                   expect("model_versions", 3 if args.versions >= 4 else 1), {"name": "model-00042"})),
        ]
        print(f"{'query':<55} {'median ms':>10} {'p95 ms':>8}  target {TARGET_MS:.0f} ms")
        for label, (median, p95) in rows:
            mark = "ok" if median <= TARGET_MS else "MISSED"
            print(f"{label:<55} {median:>10.2f} {p95:>8.2f}  {mark}")
    finally:
        proc.terminate()
        proc.wait(timeout=15)
        if args.keep:
            print("kept", workdir)
        else:
            shutil.rmtree(workdir, ignore_errors=True)


if __name__ == "__main__":
    main()

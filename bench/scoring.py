#!/usr/bin/python3
"""bench/scoring.py - the model serving benchmark (not a test).

Serves small models with `mlflowc models serve` and drives POST /invocations with wrk
(Debian's `wrk`, a C load generator; keep-alive connections), for one row and for 100 rows:

  c_function   examples/c_model.c, natively
  xgboost      a small Booster written by Debian's python3-xgboost, natively (libxgboost)
  xgboost-py   the same model through the Python worker pool (--flavor python_function)
  sklearn      a LogisticRegression pickled with cloudpickle, through the Python worker pool

and, in the same run, a reference: the same sklearn and xgboost models behind a plain
Python scoring server of the shape MLflow's is (ThreadingHTTPServer, JSON -> pandas ->
predict -> JSON, one process). It prints requests/s and p50/p99 latency for each, the
start-up time to the first 200 from /ping and the server's RSS after the run.

    bench/scoring.py [--binary build/mlflowc] [--seconds 5] [--connections 8] [--workers 2]

Flavors that this build does not have (or whose Python libraries are missing) are skipped
with a line saying so. Exits non-zero only when a server misbehaves (a non-200 answer).
"""

import argparse
import http.client
import json
import os
import re
import shutil
import socket
import subprocess
import sys
import tempfile
import time
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]

REFERENCE_SERVER = r'''
import json, pickle, sys
from http.server import ThreadingHTTPServer, BaseHTTPRequestHandler
import numpy, pandas
kind, path, port = sys.argv[1], sys.argv[2], int(sys.argv[3])
if kind == "sklearn":
    with open(path, "rb") as f:
        model = pickle.load(f)
    predict = lambda df: model.predict(df.to_numpy())
else:
    import xgboost
    booster = xgboost.Booster()
    booster.load_model(path)
    predict = lambda df: booster.predict(xgboost.DMatrix(df))
class Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    def log_message(self, *a):
        pass
    def reply(self, status, body):
        self.send_response(status)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)
    def do_GET(self):
        self.reply(200, b"\n")
    def do_POST(self):
        body = json.loads(self.rfile.read(int(self.headers["Content-Length"])))
        split = body["dataframe_split"]
        df = pandas.DataFrame(split["data"], columns=split["columns"])
        self.reply(200, json.dumps({"predictions": predict(df).tolist()}).encode())
ThreadingHTTPServer(("127.0.0.1", port), Handler).serve_forever()
'''

WRK_SCRIPT = '''
wrk.method = "POST"
wrk.headers["Content-Type"] = "application/json"
local f = io.open(os.getenv("BENCH_BODY"), "r")
wrk.body = f:read("*a")
f:close()
'''


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def wait_ping(port, proc, timeout=30.0):
    start = time.monotonic()
    while time.monotonic() - start < timeout:
        if proc.poll() is not None:
            return None
        try:
            c = http.client.HTTPConnection("127.0.0.1", port, timeout=1)
            c.request("GET", "/ping")
            if c.getresponse().status == 200:
                return time.monotonic() - start
        except OSError:
            time.sleep(0.002)
    return None


def rss_mb(pid):
    """The RSS of pid and of its child processes (the Python workers)."""
    total = 0
    pids = [pid]
    try:
        pids += [int(p) for p in subprocess.run(["pgrep", "-P", str(pid)], capture_output=True,
                                                text=True).stdout.split()]
    except FileNotFoundError:
        pass
    for p in pids:
        try:
            for line in Path(f"/proc/{p}/status").read_text().splitlines():
                if line.startswith("VmRSS:"):
                    total += int(line.split()[1])
        except OSError:
            pass
    return total / 1024


def wrk(port, body_path, seconds, connections):
    env = dict(os.environ, BENCH_BODY=str(body_path))
    out = subprocess.run(["wrk", "-t", "2", "-c", str(connections), "-d", f"{seconds}s", "--latency",
                          "-s", str(body_path.parent / "post.lua"), f"http://127.0.0.1:{port}/invocations"],
                         capture_output=True, text=True, env=env, timeout=seconds + 60).stdout
    rps = float(re.search(r"Requests/sec:\s+([\d.]+)", out).group(1))
    lat = {}
    for pct in ("50", "99"):
        m = re.search(rf"\s{pct}%\s+([\d.]+)(us|ms|s)", out)
        value, unit = float(m.group(1)), m.group(2)
        lat[pct] = value / 1000 if unit == "us" else value * 1000 if unit == "s" else value
    errors = re.search(r"Non-2xx or 3xx responses: (\d+)", out)
    return rps, lat["50"], lat["99"], int(errors.group(1)) if errors else 0


def write_models(root):
    """The benchmark's models; each entry: name -> (model dir, reference (kind, file) or None)."""
    models = {}
    c_dir = root / "c_model"
    c_dir.mkdir()
    subprocess.run([os.environ.get("CC", "cc"), "-shared", "-fPIC", "-O2", "-I", str(REPO / "include"), "-o",
                    str(c_dir / "model.so"), str(REPO / "examples" / "c_model.c")], check=True)
    (c_dir / "weights.txt").write_text("0.5 " + " ".join(["0.25"] * 4) + "\n")
    (c_dir / "MLmodel").write_text("flavors:\n  c_function:\n    library: model.so\n    weights: weights.txt\n")
    models["c_function"] = (c_dir, None)
    train = r'''
import sys, pickle, numpy as np
root = sys.argv[1]
rng = np.random.default_rng(7)
X = rng.normal(size=(500, 4)); y = (X[:, 0] + X[:, 1] > 0).astype(int)
try:
    import xgboost
    b = xgboost.train({"objective": "binary:logistic", "max_depth": 3}, xgboost.DMatrix(X, label=y,
                      feature_names=["f0", "f1", "f2", "f3"]), 20)
    b.save_model(root + "/xgb/model.xgb")
    print("xgboost")
except ImportError:
    pass
try:
    from sklearn.linear_model import LogisticRegression
    import cloudpickle
    m = LogisticRegression().fit(X, y)
    with open(root + "/sk/model.pkl", "wb") as f:
        cloudpickle.dump(m, f)
    print("sklearn")
except ImportError:
    pass
'''
    (root / "xgb").mkdir()
    (root / "sk").mkdir()
    have = subprocess.run(["/usr/bin/python3", "-c", train, str(root)], capture_output=True, text=True).stdout.split()
    if "xgboost" in have:
        (root / "xgb" / "MLmodel").write_text(
            "flavors:\n  python_function:\n    data: model.xgb\n    loader_module: mlflow.xgboost\n"
            "  xgboost:\n    data: model.xgb\n    model_class: xgboost.core.Booster\n    model_format: xgb\n")
        models["xgboost"] = (root / "xgb", ("xgboost", root / "xgb" / "model.xgb"))
        models["xgboost-py"] = (root / "xgb", None)
    if "sklearn" in have:
        (root / "sk" / "MLmodel").write_text(
            "flavors:\n  python_function:\n    loader_module: mlflow.sklearn\n    model_path: model.pkl\n"
            "    predict_fn: predict\n  sklearn:\n    pickled_model: model.pkl\n"
            "    serialization_format: cloudpickle\n")
        models["sklearn"] = (root / "sk", ("sklearn", root / "sk" / "model.pkl"))
    return models


def bodies(root):
    out = {}
    for rows in (1, 100):
        data = [[0.1 * (r % 7), -0.2, 0.3 * (r % 3), 1.0] for r in range(rows)]
        path = root / f"body-{rows}.json"
        path.write_text(json.dumps({"dataframe_split": {"columns": ["f0", "f1", "f2", "f3"], "data": data}}))
        out[rows] = path
    return out


def measure(label, command, port, body_paths, args, results):
    start = time.monotonic()
    # the server's log goes to a file: a pipe nobody reads would stall it once full
    log = tempfile.TemporaryFile()
    proc = subprocess.Popen(command, stdout=subprocess.DEVNULL, stderr=log)
    ready = wait_ping(port, proc)
    if ready is None:
        log.seek(0)
        err = log.read().decode(errors="replace")[-400:] if proc.poll() is not None else "no answer"
        print(f"  {label}: skipped ({err.strip()})")
        proc.kill()
        proc.wait()
        return
    startup_ms = (time.monotonic() - start) * 1000
    bad = 0
    for rows, body in body_paths.items():
        rps, p50, p99, errors = wrk(port, body, args.seconds, args.connections)
        bad += errors
        results.append((label, rows, rps, p50, p99, startup_ms, rss_mb(proc.pid)))
    proc.terminate()
    try:
        proc.wait(timeout=15)
    except subprocess.TimeoutExpired:
        proc.kill()
        proc.wait()
    if bad:
        print(f"  {label}: {bad} non-200 answers")
        sys.exit(1)


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--binary", default=str(REPO / "build" / "mlflowc"))
    ap.add_argument("--seconds", type=int, default=5)
    ap.add_argument("--connections", type=int, default=8)
    ap.add_argument("--workers", type=int, default=2)
    args = ap.parse_args()
    if not shutil.which("wrk"):
        sys.exit("bench/scoring.py needs wrk (apt-get install wrk)")
    root = Path(tempfile.mkdtemp(prefix="mlflowc-scoring-bench-"))
    try:
        (root / "post.lua").write_text(WRK_SCRIPT)
        models = write_models(root)
        body_paths = bodies(root)
        results = []
        for name, (model_dir, reference) in models.items():
            port = free_port()
            flavor = ["--flavor", "python_function"] if name in ("xgboost-py", "sklearn") else []
            command = [args.binary, "models", "serve", "-m", str(model_dir), "-p", str(port), "-w",
                       str(args.workers), *flavor]
            measure(f"mlflowc {name}", command, port, body_paths, args, results)
            if reference:
                port = free_port()
                measure(f"python reference {name}", ["/usr/bin/python3", "-c", REFERENCE_SERVER, reference[0],
                                                     str(reference[1]), str(port)], port, body_paths, args,
                        results)
        print(f"\n{'server':32} {'rows':>5} {'req/s':>10} {'p50 ms':>8} {'p99 ms':>8} {'start ms':>9} "
              f"{'RSS MB':>7}")
        for label, rows, rps, p50, p99, startup, rss in results:
            print(f"{label:32} {rows:>5} {rps:>10.0f} {p50:>8.2f} {p99:>8.2f} {startup:>9.1f} {rss:>7.1f}")
    finally:
        shutil.rmtree(root, ignore_errors=True)


if __name__ == "__main__":
    main()

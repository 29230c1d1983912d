#!/usr/bin/python3
"""startup.py - start-up time and idle RSS of mlflowc builds, side by side.

    bench/startup.py BINARY [REFERENCE ...] [--rounds N]

Each round starts every binary once, in turn, as `server` on a fresh SQLite
database and a free 127.0.0.1 port, and measures the time from exec to the
first 200 on GET /health (polled every 0.5 ms) and VmRSS right then. Rounds
interleave the binaries so a busy machine slows them alike; the report gives
each binary's median and best, and its ratio to the first binary's median.
"""
import os
import shutil
import signal
import socket
import statistics
import subprocess
import sys
import tempfile
import time


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def healthy(port):
    try:
        with socket.create_connection(("127.0.0.1", port), timeout=0.05) as s:
            s.sendall(b"GET /health HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n")
            return s.recv(64).startswith(b"HTTP/1.1 200")
    except OSError:
        return False


def rss_kb(pid):
    with open(f"/proc/{pid}/status") as f:
        for line in f:
            if line.startswith("VmRSS:"):
                return int(line.split()[1])
    return 0


def start_once(binary):
    tmp = tempfile.mkdtemp(prefix="mlflowc-startup-")
    port = free_port()
    t0 = time.perf_counter()
    proc = subprocess.Popen([binary, "server", "--backend-store-uri", f"sqlite:///{tmp}/m.db",
                             "--artifacts-destination", f"{tmp}/a", "--host", "127.0.0.1", "--port", str(port)],
                            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        deadline = t0 + 10
        while not healthy(port):
            if proc.poll() is not None or time.perf_counter() > deadline:
                raise SystemExit(f"{binary} did not start")
            time.sleep(0.0005)
        ms = (time.perf_counter() - t0) * 1000
        return ms, rss_kb(proc.pid)
    finally:
        proc.send_signal(signal.SIGTERM)
        proc.wait(10)
        shutil.rmtree(tmp, ignore_errors=True)


def main(argv):
    rounds = 15
    if "--rounds" in argv:
        i = argv.index("--rounds")
        rounds = int(argv[i + 1])
        del argv[i:i + 2]
    bins = [os.path.abspath(b) for b in argv] or ["build/mlflowc"]
    times = {b: [] for b in bins}
    rss = {b: [] for b in bins}
    for _ in range(rounds):
        for b in bins:
            ms, kb = start_once(b)
            times[b].append(ms)
            rss[b].append(kb)
    base = statistics.median(times[bins[0]])
    for b in bins:
        med = statistics.median(times[b])
        print(f"{b}: start-up median {med:.1f} ms, best {min(times[b]):.1f} ms, "
              f"idle RSS median {statistics.median(rss[b]) / 1024:.1f} MB, x{med / base:.2f} of the first")


if __name__ == "__main__":
    main(sys.argv[1:])

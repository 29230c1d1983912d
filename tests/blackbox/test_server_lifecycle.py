"""The server process itself: command line, clean shutdown on SIGTERM and SIGINT, data
surviving a restart, concurrent writers all landing (group commit), and the
--static-prefix routing."""

import json
import signal
import subprocess
import threading
import urllib.request

import pytest

from conftest import free_local_port, stop_server, wait_until_ready, RunningServer, store_uri


def start(binary, workdir, *extra):
    port = free_local_port()
    cmd = [str(binary), "server", "--backend-store-uri", store_uri(workdir),
           "--artifacts-destination", str(workdir / "artifacts"), "--host", "127.0.0.1",
           "--port", str(port), *extra]
    out, err = workdir / "server.stdout", workdir / "server.stderr"
    with open(out, "ab") as o, open(err, "ab") as e:
        proc = subprocess.Popen(cmd, cwd=workdir, stdin=subprocess.DEVNULL, stdout=o, stderr=e)
    running = RunningServer(f"http://127.0.0.1:{port}", workdir, proc, out, err)
    wait_until_ready(running, port)
    return running


def call(server, endpoint, body=None, prefix=""):
    url = f"{server.url}{prefix}/api/2.0/mlflow/{endpoint}"
    data = json.dumps(body).encode() if body is not None else None
    req = urllib.request.Request(url, data=data, headers={"Content-Type": "application/json"} if data else {})
    with urllib.request.urlopen(req, timeout=30) as resp:
        return json.loads(resp.read() or b"{}")


def test_version_and_help(mlflowc_bin):
    out = subprocess.run([str(mlflowc_bin), "--version"], capture_output=True, text=True, check=True).stdout
    assert out.startswith("mlflowc ")
    helptext = subprocess.run([str(mlflowc_bin), "server", "--help"], capture_output=True, text=True,
                              check=True).stdout
    for flag in ("--backend-store-uri", "--default-artifact-root", "--host", "--port", "--workers",
                 "--static-prefix", "--artifacts-destination", "--serve-artifacts"):
        assert flag in helptext
    bad = subprocess.run([str(mlflowc_bin), "server", "--no-such-flag"], capture_output=True, text=True)
    assert bad.returncode == 2 and "unknown option" in bad.stderr


def test_curl_and_crypto_are_loaded_on_demand(mlflowc_bin):
    # src/base/lazylink.c: the binary must not need libcurl/libcrypto to start (they
    # bring ~20 more shared objects); S3 and the client commands load them when used.
    dyn = subprocess.run(["readelf", "-d", str(mlflowc_bin)], capture_output=True, text=True, check=True).stdout
    needed = [line.split("[")[1].rstrip("]") for line in dyn.splitlines() if "(NEEDED)" in line]
    assert needed, dyn
    assert not [n for n in needed if n.startswith(("libcurl", "libcrypto", "libssl"))], needed


@pytest.mark.parametrize("sig", [signal.SIGTERM, signal.SIGINT])
def test_data_survives_restart(mlflowc_bin, tmp_path, sig):
    server = start(mlflowc_bin, tmp_path)
    exp = call(server, "experiments/create", {"name": "durable"})["experiment_id"]
    run_id = call(server, "runs/create", {"experiment_id": exp, "start_time": 5})["run"]["info"]["run_id"]
    call(server, "runs/log-batch", {"run_id": run_id, "metrics": [
        {"key": "loss", "value": 1.0 / (i + 1), "timestamp": 10 + i, "step": i} for i in range(100)]})
    server.proc.send_signal(sig)
    assert server.proc.wait(timeout=10) == 0

    again = start(mlflowc_bin, tmp_path)
    try:
        history = call(again, f"metrics/get-history?run_id={run_id}&metric_key=loss")["metrics"]
        assert [p["step"] for p in history] == list(range(100))
        assert call(again, f"experiments/get?experiment_id={exp}")["experiment"]["name"] == "durable"
    finally:
        stop_server(again)


def test_durability_full_serves_and_bad_modes_are_refused(mlflowc_bin, tmp_path):
    # the setting reaching SQLite is checked by tests/unit/test_store.c; here the flag itself
    server = start(mlflowc_bin, tmp_path, "--durability", "full")
    exp = call(server, "experiments/create", {"name": "synced"})["experiment_id"]
    server.proc.send_signal(signal.SIGTERM)
    assert server.proc.wait(timeout=10) == 0
    again = start(mlflowc_bin, tmp_path, "--durability", "normal")
    try:
        assert call(again, f"experiments/get?experiment_id={exp}")["experiment"]["name"] == "synced"
    finally:
        stop_server(again)
    for bad in ("FULL", "off", ""):
        proc = subprocess.run([str(mlflowc_bin), "server", "--backend-store-uri", f"sqlite:///{tmp_path}/x.db",
                               "--port", str(free_local_port()), "--durability", bad],
                              capture_output=True, text=True, timeout=10, cwd=tmp_path)
        assert proc.returncode == 2 and "--durability must be normal or full" in proc.stderr
        assert not (tmp_path / "x.db").exists()


def test_concurrent_writers_all_land(server):
    exp = call(server, "experiments/create", {"name": "concurrent"})["experiment_id"]
    run_id = call(server, "runs/create", {"experiment_id": exp, "start_time": 1})["run"]["info"]["run_id"]
    errors = []

    def writer(worker):
        try:
            for i in range(50):
                call(server, "runs/log-metric", {"run_id": run_id, "key": f"w{worker}", "value": i,
                                                  "timestamp": 1000 + i, "step": i})
        except Exception as exc:  # reported below; a thread cannot fail the test itself
            errors.append(exc)

    threads = [threading.Thread(target=writer, args=(w,)) for w in range(8)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=60)
    assert not errors
    for w in range(8):
        history = call(server, f"metrics/get-history?run_id={run_id}&metric_key=w{w}")["metrics"]
        assert [p["value"] for p in history] == list(range(50))
    latest = {m["key"]: m for m in call(server, f"runs/get?run_id={run_id}")["run"]["data"]["metrics"]}
    assert all(latest[f"w{w}"]["step"] == 49 for w in range(8))


def test_static_prefix(mlflowc_bin, tmp_path):
    server = start(mlflowc_bin, tmp_path, "--static-prefix", "/mlflow")
    try:
        got = call(server, "experiments/get?experiment_id=0", prefix="/mlflow")
        assert got["experiment"]["name"] == "Default"
        with pytest.raises(urllib.error.HTTPError) as e:
            call(server, "experiments/get?experiment_id=0")
        assert e.value.code == 404
    finally:
        stop_server(server)

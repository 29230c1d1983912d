"""The C client library (include/mlflowc.h) against the real server.

tests/blackbox/test_client_driver.c is compiled against the libmlflowc.a
beside the server under test (conftest.build_with_libmlflowc), logs params, tags and 10,000 metrics through the library
into a fresh server (the `server` fixture), and ends the run; this test then
reads everything back through the REST API (runs/get, metrics/get-history)
and compares exactly: every point once, with its value, timestamp and step.
"""

import json
import subprocess
import urllib.parse
import urllib.request
from pathlib import Path

import pytest

from conftest import build_with_libmlflowc

N_METRICS = 10000


@pytest.fixture(scope="module")
def driver(tmp_path_factory):
    out = tmp_path_factory.mktemp("client") / "driver"
    return build_with_libmlflowc([Path(__file__).with_name("test_client_driver.c")], out)


def get(server, path, **query):
    url = f"{server.url}/api/2.0/mlflow/{path}?{urllib.parse.urlencode(query)}"
    with urllib.request.urlopen(url, timeout=30) as resp:
        return json.load(resp)


def history(server, run_id, key):
    points, token = [], None
    while True:
        query = {"run_id": run_id, "metric_key": key, "max_results": 25000}
        if token:
            query["page_token"] = token
        page = get(server, "metrics/get-history", **query)
        points += page.get("metrics", [])
        token = page.get("next_page_token")
        if not token:
            return points


def check_run(server, out, n):
    """What the driver logged with n metric points, read back through the REST API."""
    run = get(server, "runs/get", run_id=out["run_id"])["run"]
    assert run["info"]["status"] == "FINISHED"
    assert run["info"]["experiment_id"] == out["experiment_id"]
    assert run["info"]["run_name"] == "from-c"
    assert int(run["info"]["end_time"]) >= int(run["info"]["start_time"])
    params = {p["key"]: p["value"] for p in run["data"]["params"]}
    assert params == {"p0": "v", "p1": "v", "p2": "a \"quoted\" value\n"}
    tags = {t["key"]: t["value"] for t in run["data"]["tags"]}
    assert tags["t0"] == "tag zero" and tags["t1"] == "é"
    for k in range(5):
        got = sorted((int(p["step"]), int(p["timestamp"]), p["value"]) for p in history(server, out["run_id"], f"m{k}"))
        assert got == [(i // 5, 1700000000000 + i, i * 0.25) for i in range(k, n, 5)]
    latest = {m["key"]: m["value"] for m in run["data"]["metrics"]}
    assert latest == {f"m{k}": (n - 5 + k) * 0.25 for k in range(5)}
    return run


def test_library_data_reads_back_exactly(server, driver):
    done = subprocess.run([str(driver), server.url, str(N_METRICS)], capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, done.stderr + server.log_tail()
    out = json.loads(done.stdout)
    assert (out["queued"], out["sent"], out["failed"]) == (0, N_METRICS, 0)

    check_run(server, out, N_METRICS)


def test_unsupported_uri_is_an_error_not_a_crash(driver):
    done = subprocess.run([str(driver), "ftp://nope/x", "1"], capture_output=True, text=True, timeout=30)
    assert done.returncode == 1
    assert "MLF_CLIENT_ERR_INVALID" in done.stderr and "ftp://nope/x" in done.stderr

"""The benchmark's auth modes (bench/loadgen.c; bench/README.md): --auth-compare runs the same
log-batch and log-metric load against two servers side by side, one with --app-name
basic-auth (as a non-admin user with EDIT, HTTP Basic) and one without, and reports both
rates and their ratio; --auth-header sends a header with every request of the ordinary run.
Tiny counts only: only that both runs complete and report is checked, never a figure (a
benchmark figure is never a test). Needs build/bench/loadgen beside the server binary
(`make bench`).
"""

import base64
import os
import re
import shutil

from test_bench_store import TINY, run_loadgen


def test_auth_compare_runs_both_servers_and_reports(tmp_path):
    rc, out = run_loadgen("--auth-compare", "--quick", "--batches", "4", "--log-metrics", "40", "--conns", "2")
    assert rc == 0, out
    for state in ("off", "on"):
        # each half of each phase ran on each server
        assert len(re.findall(rf"^log-batch, auth {state}: 2 requests", out, re.M)) == 2, out
        assert len(re.findall(rf"^log-metric, auth {state}: 20 requests", out, re.M)) == 2, out
    assert re.search(r"first Basic request of 'bench' .* [\d.]+ ms, the next [\d.]+ ms", out), out
    for figure in ("log-batch metrics/s", "single log-metric req/s"):
        assert re.search(rf"^  {re.escape(figure)} +[\d,]+ +[\d,]+ +[\d.]+% +>= 90% +(PASS|MISS)$", out, re.M), out
    directory = re.search(r"SQLite stores in (\S+),", out).group(1)
    assert not os.path.exists(directory), "the temp dir is removed after a clean run"


def test_auth_header_is_sent_with_every_request(tmp_path):
    config = tmp_path / "auth.ini"
    config.write_text("[mlflow]\nadmin_username = admin\nadmin_password = bench-test-password-1\n")
    env = dict(os.environ, MLFLOW_AUTH_CONFIG_PATH=str(config))
    env.pop("MLFLOW_AUTH_ADMIN_PASSWORD", None)
    auth = ["--server-arg", "--app-name", "--server-arg", "basic-auth"]
    good = "Basic " + base64.b64encode(b"admin:bench-test-password-1").decode()
    rc, out = run_loadgen(*TINY, *auth, "--auth-header", good, env=env)
    assert rc == 0, out
    assert "mlflowc benchmark (quick run, store sqlite)" in out
    bad = "Basic " + base64.b64encode(b"admin:wrong-password-123").decode()
    for header in (["--auth-header", bad], []):
        rc, out = run_loadgen(*TINY, *auth, *header, env=env)
        kept = re.search(r"loadgen: kept (\S+) ", out)
        if kept:  # a failed run keeps its temp dir for a look
            shutil.rmtree(kept.group(1), ignore_errors=True)
        assert rc == 1 and "HTTP 401" in out, out

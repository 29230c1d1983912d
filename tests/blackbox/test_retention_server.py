"""The server's own use of retention policies: applying them on a schedule
(`mlflowc server --retention-interval`), and GET /api/2.0/mlflowc/experiments/retention/preview,
what the next application would do to an experiment.

The schedule: a server started with a one-second interval soft-deletes an expired run by itself
(polled with a bounded loop, no timing assertion), keeps a registered one and a young one, logs a
line per pass, and still stops cleanly on SIGTERM; bad intervals are refused with a message and
exit 2 before anything listens. The preview: on the populated store of test_retention.py it names
exactly the runs, paths and versions (with their bytes) that `mlflowc gc --apply-retention` then
acts on, agrees with `mlflowc retention show`, and changes no row and no file; bad input gets
MLflow's errors."""

import sqlite3
import subprocess
import time

import pytest
import requests

from conftest import free_local_port, launch_server, stop_server, store_is_sqlite_default
from test_gc import Api
from test_retention import make_run, retention, version, world  # noqa: F401  (world is a fixture)

pytestmark = pytest.mark.skipif(not store_is_sqlite_default(), reason="these tests read the SQLite file directly")

POLL_SECONDS = 0.2
POLL_LIMIT_SECONDS = 60


def start_with_interval(mlflowc_bin, directory, interval):
    port = free_local_port()
    return launch_server([mlflowc_bin, "server", "--backend-store-uri", f"sqlite:///{directory}/mlflow.db",
                          "--artifacts-destination", str(directory / "artifacts"),
                          "--host", "127.0.0.1", "--port", str(port), "--retention-interval", interval],
                         port, directory)


def stage_of(api, run_id):
    return api.call("GET", "runs/get", {"run_id": run_id})["run"]["info"]["lifecycle_stage"]


def test_the_server_applies_policies_on_its_schedule(mlflowc_bin, tmp_path):
    server = start_with_interval(mlflowc_bin, tmp_path, "1s")
    try:
        api = Api(server.url)
        exp = api.call("POST", "experiments/create", {"name": "scheduled"})["experiment_id"]
        expired, _ = make_run(api, exp, "expired", 200, [("out.txt", b"o")])
        registered, _ = make_run(api, exp, "registered", 300, [("model/MLmodel", b"m")])
        young, _ = make_run(api, exp, "young", 3)
        api.call("POST", "registered-models/create", {"name": "kept-model"})
        version(api, "kept-model", f"runs:/{registered}/model", registered)
        retention(mlflowc_bin, tmp_path, "set", "--experiment-id", exp, "--keep-days", "90", "--keep-registered")

        deadline = time.monotonic() + POLL_LIMIT_SECONDS
        while stage_of(api, expired) != "deleted" and time.monotonic() < deadline:
            time.sleep(POLL_SECONDS)
        assert stage_of(api, expired) == "deleted", server.log_tail()
        assert stage_of(api, registered) == "active"
        assert stage_of(api, young) == "active"
        # one line per pass; the pass that acted says so (gc purges later, the files stay)
        log = server.stderr_path.read_text() + server.stdout_path.read_text()
        assert "retention policies are applied every 1 s" in log
        assert "retention pass: 1 runs soft-deleted, 1 kept, 0 paths pruned, 0 archived versions moved or deleted, " \
               "0 failed" in log, server.log_tail()
        base = tmp_path / "artifacts"
        assert [p.name for p in base.rglob("out.txt")] == ["out.txt"]
        # later passes find nothing more to do and keep serving
        passes = log.count("retention pass:")
        deadline = time.monotonic() + POLL_LIMIT_SECONDS
        while log.count("retention pass:") <= passes and time.monotonic() < deadline:
            time.sleep(POLL_SECONDS)
            log = server.stderr_path.read_text() + server.stdout_path.read_text()
        assert "retention pass: 0 runs soft-deleted, 1 kept" in log
        assert stage_of(api, registered) == "active"
    finally:
        stop_server(server)  # SIGTERM: exit 0 within 10 s with the thread running


def test_sigterm_during_a_pass_ends_it_at_its_next_step(mlflowc_bin, tmp_path):
    """A pass over 20,000 expired runs is under way when SIGTERM comes: the server still exits 0
    within stop_server's 10 s, and when the pass had not finished, its line says it was stopped."""
    server = start_with_interval(mlflowc_bin, tmp_path, "366d")  # makes the store; no pass
    api = Api(server.url)
    exp = api.call("POST", "experiments/create", {"name": "many"})["experiment_id"]
    stop_server(server)
    total = 20000
    db = sqlite3.connect(tmp_path / "mlflow.db")
    db.execute("WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n WHERE i < ?) "
               "INSERT INTO runs(run_uuid, experiment_id, name, status, start_time, artifact_uri) "
               "SELECT printf('%032x', i), ?, 'old', 'FINISHED', 1000, '' FROM n", (total, int(exp)))
    db.commit()
    db.close()
    retention(mlflowc_bin, tmp_path, "set", "--experiment-id", exp, "--keep-days", "1")
    port = free_local_port()
    server = launch_server([mlflowc_bin, "server", "--backend-store-uri", f"sqlite:///{tmp_path}/mlflow.db",
                            "--artifacts-destination", str(tmp_path / "artifacts"), "--host", "127.0.0.1",
                            "--port", str(port), "--retention-interval", "1s", "--log-level", "debug"],
                           port, tmp_path, append=True)
    deadline = time.monotonic() + POLL_LIMIT_SECONDS
    while "retention: soft-deleted run " not in server.stderr_path.read_text() and time.monotonic() < deadline:
        time.sleep(0.02)
    stop_server(server)
    log = server.stderr_path.read_text() + server.stdout_path.read_text()
    assert "retention: soft-deleted run " in log
    db = sqlite3.connect(tmp_path / "mlflow.db")
    (deleted,) = db.execute("SELECT count(*) FROM runs WHERE lifecycle_stage = 'deleted'").fetchone()
    db.close()
    assert deleted >= 1
    if deleted < total:
        assert "stopped by shutdown" in log, log[-2000:]


@pytest.mark.parametrize("value", ["abc", "0s", "0.5s", "500ms", "-1h", "", "1w", "400d", "6h30"])
def test_a_bad_interval_is_refused(mlflowc_bin, tmp_path, value):
    port = free_local_port()
    p = subprocess.run([str(mlflowc_bin), "server", "--backend-store-uri", f"sqlite:///{tmp_path}/mlflow.db",
                        "--port", str(port), "--retention-interval", value],
                       capture_output=True, text=True, timeout=60, cwd=tmp_path)
    assert p.returncode == 2, (p.returncode, p.stdout, p.stderr)
    assert f"mlflowc server: --retention-interval must be a duration such as 30m, 6h or 1d (#d#h#m#s, from 1s to " \
           f"366d), not '{value}'" in p.stderr
    assert not (tmp_path / "mlflow.db").exists()


def test_an_interval_needs_a_tracking_store(mlflowc_bin, tmp_path):
    p = subprocess.run([str(mlflowc_bin), "server", "--artifacts-only", "--port", str(free_local_port()),
                        "--retention-interval", "1h"], capture_output=True, text=True, timeout=60, cwd=tmp_path)
    assert p.returncode == 2, (p.returncode, p.stdout, p.stderr)
    assert "--retention-interval needs a tracking store, not --artifacts-only" in p.stderr


# ---- the preview --------------------------------------------------------------------------

def preview(url, experiment_id, prefix="api"):
    r = requests.get(f"{url}/{prefix}/2.0/mlflowc/experiments/retention/preview",
                     params={"experiment_id": experiment_id}, timeout=60)
    assert r.status_code == 200, r.text
    return r.json()["preview"]


def snapshot(directory):
    """Every row of the database and every file (path and bytes) under the directory's artifacts."""
    db = sqlite3.connect(f"file:{directory}/mlflow.db?mode=ro", uri=True)
    try:
        rows = list(db.iterdump())
    finally:
        db.close()
    files = {str(p.relative_to(directory)): p.read_bytes() for p in sorted(directory.rglob("*"))
             if p.is_file() and not p.name.startswith(("mlflow.db", "server."))}
    return rows, files


def test_the_preview_names_what_the_next_pass_does_and_changes_nothing(mlflowc_bin, world):
    server, api, f = world
    d, a, b, c = f["dir"], f["exp_a"], f["exp_b"], f["exp_c"]
    before = snapshot(d)
    pa = preview(server.url, a)
    pb = preview(server.url, b, prefix="ajax-api")
    pc = preview(server.url, c)
    assert snapshot(d) == before  # not a row, not a byte
    uri = f"mlflow-artifacts:/{f['young_base']}"
    assert pa == {
        "soft_delete_runs": 2, "soft_delete_bytes": 1 + 2 + 3 + 4 + 1,  # old-plain's checkpoints and out.txt
        "soft_delete_run_ids": [f["old_plain"], f["old_wrong"]],  # oldest first
        "kept_runs": 3,
        "prune_paths": 2, "prune_bytes": (1 + 1) + 3,  # ckpt-00001 (weights, sub/deep) and ckpt-00003
        "prune_path_uris": [f"{uri}/checkpoints/ckpt-00001", f"{uri}/checkpoints/ckpt-00003"],
        "archived_versions": 1, "archived_bytes": 4 + 9, "archived_version_names": [f"archived-a/{f['arch_a']}"],
        "failures": 0}
    assert pb == {"soft_delete_runs": 1, "soft_delete_bytes": 1, "soft_delete_run_ids": [f["b_old"]],
                  "kept_runs": 0, "prune_paths": 0, "prune_bytes": 0, "prune_path_uris": [],
                  "archived_versions": 1, "archived_bytes": 4 + 33,
                  "archived_version_names": [f"archived-b/{f['arch_b']}"], "failures": 0}
    assert pc["soft_delete_runs"] == 0 and pc["kept_runs"] == 0 and pc["soft_delete_run_ids"] == []

    # the CLI's dry run says the same
    show = retention(mlflowc_bin, d, "show", "--experiment-id", a).stdout
    for rid in pa["soft_delete_run_ids"]:
        assert f"would soft-delete run {rid} of experiment {a}" in show
    assert show.count("would soft-delete run ") == pa["soft_delete_runs"]
    assert show.count("would prune ") == pa["prune_paths"]

    # and the real application does exactly that
    p = subprocess.run([str(mlflowc_bin), "gc", "--backend-store-uri", f"sqlite:///{d}/mlflow.db",
                        "--artifacts-destination", str(d / "artifacts"), "--apply-retention"],
                       capture_output=True, text=True, timeout=300, cwd=d)
    assert p.returncode == 0, (p.stdout, p.stderr)
    for rid in pa["soft_delete_run_ids"] + pb["soft_delete_run_ids"]:
        assert f"soft-deleted run {rid} of experiment " in p.stdout
    for path in pa["prune_path_uris"]:
        assert f"pruned {path} " in p.stdout
    after = preview(server.url, a)
    assert (after["soft_delete_runs"], after["prune_paths"], after["archived_versions"]) == (0, 0, 0)


def test_the_preview_of_an_experiment_without_policy_and_bad_input(server):
    api = Api(server.url)
    exp = api.call("POST", "experiments/create", {"name": "no-policy"})["experiment_id"]
    make_run(api, exp, "ancient", 5000)
    p = preview(server.url, exp)
    assert p["soft_delete_runs"] == 0 and p["kept_runs"] == 0 and p["archived_versions"] == 0
    url = f"{server.url}/api/2.0/mlflowc/experiments/retention/preview"
    r = requests.get(url, timeout=60)
    assert r.status_code == 400 and r.json()["error_code"] == "INVALID_PARAMETER_VALUE", r.text
    r = requests.get(url, params={"experiment_id": "987654"}, timeout=60)
    assert r.status_code == 404 and r.json()["error_code"] == "RESOURCE_DOES_NOT_EXIST", r.text
    r = requests.get(url, params={"experiment_id": "not-a-number"}, timeout=60)
    assert r.status_code == 404 and r.json()["error_code"] == "RESOURCE_DOES_NOT_EXIST", r.text
    r = requests.post(url, json={"experiment_id": exp}, timeout=60)
    assert r.status_code == 405, r.text

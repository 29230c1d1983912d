"""`mlflowc import --from ./mlruns` of MLflow 3.x logged models: `<experiment>/models/<model_id>/`
with meta.yaml, params/, tags/, metrics/ and artifacts/ (spec §8.1).

The fixtures hold no 3.x file store, so the test writes one the way MLflow 3's FileStore lays it
out: an experiment whose default location is inside the store, a run that names a logged model
as its output (outputs/<model_id>/meta.yaml) and as an input, two logged models (status written
as the entity's name and as a number; params with a nested key, tags, metric lines with and
without a dataset, a point written twice), their artifacts, and a model directory without
meta.yaml. After the import every count matches, the skipped directory is reported, and every
field comes back over the REST API (GET /logged-models/{id}, search, the run's outputs and
inputs), the artifact location rewritten like the runs' and the files copied there. A second
import changes nothing; a malformed model metric line fails and rolls the experiment back."""

import sqlite3
import subprocess
from pathlib import Path

import pytest
import requests
import yaml

from conftest import free_local_port, launch_server, stop_server
from test_import import report_rows

EXP = "412345678901234567"
RUN = "0123456789abcdef0123456789abcdef"
M1 = "m-1f2e3d4c5b6a79880123456789abcdef"
M2 = "m-2a2a2a2a2a2a2a2a2a2a2a2a2a2a2a2a"


def write(path, text):
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text)


def meta(path, doc):
    write(path / "meta.yaml", yaml.safe_dump(doc, default_flow_style=False))


def build_store(root):
    """A small MLflow 3.x file store at `root` (absolute); returns its mlruns/."""
    mlruns = root / "mlruns"
    exp = mlruns / EXP
    meta(mlruns / "0", {"artifact_location": f"file://{mlruns}/0", "creation_time": 1700000000000,
                        "experiment_id": "0", "last_update_time": 1700000000000, "lifecycle_stage": "active",
                        "name": "Default"})
    meta(exp, {"artifact_location": f"file://{exp}", "creation_time": 1710000000000, "experiment_id": EXP,
               "last_update_time": 1710000000001, "lifecycle_stage": "active", "name": "three-x"})
    run = exp / RUN
    meta(run, {"artifact_uri": f"file://{run}/artifacts", "end_time": 1710000009000, "entry_point_name": "",
               "experiment_id": EXP, "lifecycle_stage": "active", "run_id": RUN, "run_name": "trainer",
               "run_uuid": RUN, "source_name": "", "source_type": 4, "source_version": "",
               "start_time": 1710000001000, "status": 3, "tags": [], "user_id": "ana", "deleted_time": None})
    write(run / "params" / "lr", "0.01")
    write(run / "metrics" / "loss", "1710000002000 0.5 0\n")
    meta(run / "outputs" / M1, {"source_type": "RUN_OUTPUT", "source_id": RUN, "destination_type": "MODEL_OUTPUT",
                                "destination_id": M1, "tags": {}, "step": 7})
    meta(run / "inputs" / "5d41402abc4b2a76b9719d911017c592",
         {"source_type": "MODEL", "source_id": M2, "destination_type": "RUN", "destination_id": RUN, "tags": {}})
    m1 = exp / "models" / M1
    meta(m1, {"artifact_location": f"file://{m1}/artifacts", "creation_timestamp": 1710000003000,
              "experiment_id": EXP, "last_updated_timestamp": 1710000004000, "model_id": M1,
              "model_type": "sklearn", "name": "classifier", "source_run_id": RUN, "status": "READY",
              "status_message": None, "tags": {}, "params": {}, "metrics": None})
    write(m1 / "params" / "alpha", "0.5")
    write(m1 / "params" / "optim" / "beta", "0.9")  # a nested key
    write(m1 / "tags" / "mlflow.user", "ana")
    write(m1 / "tags" / "team", "vision\nteam")  # a value keeps its bytes
    write(m1 / "metrics" / "accuracy",
          f"1710000005000 0.75 1 {RUN}\n"
          f"1710000006000 0.8 2 {RUN} eval-set 1a2b3c\n"
          f"1710000005000 0.75 1 {RUN}\n")  # written twice: one point
    write(m1 / "metrics" / "nan_score", f"1710000005500 nan 0 {RUN}\n")
    write(m1 / "artifacts" / "MLmodel", "artifact_path: x\nflavors: {}\n")
    write(m1 / "artifacts" / "model.pkl", "pickled bytes")
    m2 = exp / "models" / M2
    meta(m2, {"artifact_location": f"file://{m2}/artifacts", "creation_timestamp": 1710000007000,
              "experiment_id": EXP, "last_updated_timestamp": 1710000007500, "model_id": M2,
              "model_type": "", "name": "pending-one", "source_run_id": None, "status": 1,
              "status_message": "uploading"})
    (exp / "models" / "m-nometa0000000000000000000000000").mkdir(parents=True)
    return mlruns


def run_import(binary, cwd, mlruns, db, art):
    return subprocess.run([str(binary), "import", "--from", str(mlruns), "--artifacts-from", str(mlruns),
                           "--backend-store-uri", f"sqlite:///{db}", "--artifacts-destination", str(art)],
                          cwd=cwd, capture_output=True, text=True, timeout=300)


def test_logged_models_of_a_3x_file_store_come_over_with_every_field(mlflowc_bin, tmp_path):
    root = tmp_path.resolve()
    mlruns = build_store(root)
    db, art = root / "new.db", root / "art"
    r = run_import(mlflowc_bin, root, mlruns, db, art)
    assert r.returncode == 0, r.stdout + r.stderr
    assert "MISMATCH" not in r.stdout
    rows = report_rows(r.stdout)
    assert rows["logged_models"] == (2, 2)
    assert rows["logged_model_params"] == (2, 2)
    assert rows["logged_model_tags"] == (2, 2)
    assert rows["logged_model_metrics"] == (3, 3)
    assert rows["inputs (models)"] == (2, 2)  # the run's output and its model input
    assert "m-nometa0000000000000000000000000" in r.stdout + r.stderr  # skipped, and said so
    # the files were copied where the rewritten location says
    assert (art / EXP / "models" / M1 / "artifacts" / "model.pkl").read_text() == "pickled bytes"
    assert not list(art.rglob("meta.yaml"))

    port = free_local_port()
    server = launch_server([mlflowc_bin, "server", "--backend-store-uri", f"sqlite:///{db}",
                            "--artifacts-destination", str(art), "--host", "127.0.0.1", "--port", str(port)],
                           port, root)
    try:
        url = f"{server.url}/api/2.0/mlflow"
        got = requests.get(f"{url}/logged-models/{M1}", timeout=60)
        assert got.status_code == 200, got.text
        m = got.json()["model"]
        assert m["info"] == {
            "model_id": M1, "experiment_id": EXP, "name": "classifier",
            "creation_timestamp_ms": 1710000003000, "last_updated_timestamp_ms": 1710000004000,
            "artifact_uri": f"file://{art}/{EXP}/models/{M1}/artifacts", "status": "LOGGED_MODEL_READY",
            "model_type": "sklearn", "source_run_id": RUN,
            "tags": [{"key": "mlflow.user", "value": "ana"}, {"key": "team", "value": "vision\nteam"}]}
        assert sorted((p["key"], p["value"]) for p in m["data"]["params"]) == [("alpha", "0.5"), ("optim/beta", "0.9")]
        metrics = sorted(m["data"]["metrics"], key=lambda x: (x["key"], x["timestamp"]))
        assert metrics == [
            {"key": "accuracy", "value": 0.75, "timestamp": 1710000005000, "step": 1, "model_id": M1, "run_id": RUN},
            {"key": "accuracy", "value": 0.8, "timestamp": 1710000006000, "step": 2, "dataset_name": "eval-set",
             "dataset_digest": "1a2b3c", "model_id": M1, "run_id": RUN},
            {"key": "nan_score", "value": "NaN", "timestamp": 1710000005500, "step": 0, "model_id": M1,
             "run_id": RUN}]
        m2 = requests.get(f"{url}/logged-models/{M2}", timeout=60).json()["model"]
        assert m2["info"]["status"] == "LOGGED_MODEL_PENDING" and m2["info"]["status_message"] == "uploading"
        assert m2["info"]["name"] == "pending-one" and m2["info"]["source_run_id"] == ""
        assert (m2["info"]["creation_timestamp_ms"], m2["info"]["last_updated_timestamp_ms"]) == \
            (1710000007000, 1710000007500)
        found = requests.post(f"{url}/logged-models/search", json={"experiment_ids": [EXP]}, timeout=60).json()
        assert sorted(x["info"]["model_id"] for x in found["models"]) == [M1, M2]
        found = requests.post(f"{url}/logged-models/search",
                              json={"experiment_ids": [EXP], "filter": "params.alpha = '0.5'"}, timeout=60).json()
        assert [x["info"]["model_id"] for x in found["models"]] == [M1]
        run = requests.get(f"{url}/runs/get", params={"run_id": RUN}, timeout=60).json()["run"]
        assert run["outputs"]["model_outputs"] == [{"model_id": M1, "step": 7}]
        assert [x["model_id"] for x in run["inputs"]["model_inputs"]] == [M2]
        files = requests.get(f"{url}/logged-models/{M1}/artifacts/directories", timeout=60)
        assert files.status_code == 200, files.text
        assert sorted(f["path"] for f in files.json()["files"]) == ["MLmodel", "model.pkl"]
    finally:
        stop_server(server)

    # a second import changes nothing
    con = sqlite3.connect(db)
    before = list(con.iterdump())
    con.close()
    r = run_import(mlflowc_bin, root, mlruns, db, art)
    assert r.returncode == 0, r.stdout + r.stderr
    con = sqlite3.connect(db)
    assert list(con.iterdump()) == before
    con.close()


def test_a_malformed_logged_model_metric_line_rolls_the_experiment_back(mlflowc_bin, tmp_path):
    root = tmp_path.resolve()
    mlruns = build_store(root)
    write(mlruns / EXP / "models" / M2 / "metrics" / "bad", "1710000005000 zero 1 run\n")
    db = root / "new.db"
    r = run_import(mlflowc_bin, root, mlruns, db, root / "art")
    assert r.returncode == 1, r.stdout + r.stderr
    assert f"experiment {EXP} (rolled back): logged model {M2}: line 1 of logged model metric file" in r.stderr, \
        r.stderr
    con = sqlite3.connect(db)
    assert con.execute("SELECT count(*) FROM logged_models").fetchone() == (0,)
    assert con.execute("SELECT count(*) FROM experiments WHERE experiment_id = ?", (int(EXP),)).fetchone() == (0,)
    con.close()

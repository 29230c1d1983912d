"""MLflow 3's log_model path against the real server, in the order a 3.x client sends
it (spec §17): runs/get → create the logged model → runs/outputs → log-batch with
model_id → logged-models/get and artifact PUTs through the proxy → delete a tag →
PATCH READY; then get, search, list the model's artifacts, register a version from
models:/m-... and from the artifact location, and load the MLmodel back through the
proxy. Also the errors a client can meet (unknown model, bad name, deleted run) and
that runs/get shows model outputs and inputs only when there are some."""

import http.client
import json
import re
from urllib.parse import quote, urlsplit

from test_registry import api, ok, request

MLMODEL = b"""artifact_path: mlflow-artifacts:/1/models/MODEL/artifacts
flavors:
  python_function:
    loader_module: mlflow.sklearn
model_id: MODEL
model_uuid: MODEL
utc_time_created: '2026-01-01 00:00:00.000000'
"""


def put_artifact(server, path, data):
    parts = urlsplit(server.url)
    conn = http.client.HTTPConnection(parts.hostname, parts.port, timeout=30)
    try:
        conn.request("PUT", f"/api/2.0/mlflow-artifacts/artifacts/{path}", body=data,
                     headers={"Content-Type": "application/octet-stream"})
        resp = conn.getresponse()
        resp.read()
        return resp.status
    finally:
        conn.close()


def get_bytes(server, path):
    parts = urlsplit(server.url)
    conn = http.client.HTTPConnection(parts.hostname, parts.port, timeout=30)
    try:
        conn.request("GET", path)
        resp = conn.getresponse()
        return resp.status, resp.read()
    finally:
        conn.close()


def logged_models(server, method, rest="", body=None, **query):
    return request(server, method, f"/api/2.0/mlflow/logged-models{rest}", body, query or None)


def start_run(server):
    exp = ok(server, "POST", "experiments/create", {"name": "lm"})["experiment_id"]
    run = ok(server, "POST", "runs/create", {"experiment_id": exp, "start_time": 1})["run"]
    return exp, run["info"]["run_id"]


def log_model(server, exp, run_id):
    """The 3.x client's requests for mlflow.sklearn.log_model inside a run."""
    ok(server, "GET", "runs/get", run_id=run_id)
    status, created = logged_models(server, "POST", body={
        "experiment_id": exp, "name": "model", "model_type": "", "source_run_id": run_id,
        "params": [{"key": "alpha", "value": "0.5"}],
        "tags": [{"key": "mlflow.source.name", "value": "train.py"},
                 {"key": "mlflow.user", "value": "ann"}]})
    assert status == 200, created
    info = created["model"]["info"]
    model_id = info["model_id"]
    ok(server, "POST", "runs/outputs", {"run_id": run_id, "models": [{"model_id": model_id, "step": 0}]})
    ok(server, "POST", "runs/log-batch", {"run_id": run_id, "metrics": [
        {"key": "rmse", "value": 0.25, "timestamp": 5, "step": 0, "model_id": model_id}]})
    status, got = logged_models(server, "GET", f"/{model_id}")
    assert status == 200, got
    # the point logged with model_id belongs to the model too
    assert got["model"]["data"]["metrics"] == [{"key": "rmse", "value": 0.25, "timestamp": 5, "step": 0,
                                                "model_id": model_id, "run_id": run_id}]
    location = got["model"]["info"]["artifact_uri"]
    prefix = "mlflow-artifacts:/"
    assert location.startswith(prefix)
    root = location[len(prefix):]
    mlmodel = MLMODEL.replace(b"MODEL", model_id.encode())
    for name, data in (("MLmodel", mlmodel), ("model.pkl", b"\x80\x04pickle"),
                       ("requirements.txt", b"scikit-learn\n")):
        assert put_artifact(server, f"{root}/{name}", data) == 200
    status, _ = logged_models(server, "DELETE", f"/{model_id}/tags/{quote('mlflow.user')}")
    assert status == 200
    status, final = logged_models(server, "PATCH", f"/{model_id}",
                                  {"model_id": model_id, "status": "LOGGED_MODEL_READY"})
    assert status == 200, final
    return model_id, location, mlmodel


def test_log_register_load(server):
    exp, run_id = start_run(server)
    model_id, location, mlmodel = log_model(server, exp, run_id)
    assert re.fullmatch(r"m-[0-9a-f]{32}", model_id)
    assert location == f"mlflow-artifacts:/{exp}/models/{model_id}/artifacts"

    status, got = logged_models(server, "GET", f"/{model_id}")
    assert status == 200
    info = got["model"]["info"]
    assert info["status"] == "LOGGED_MODEL_READY"
    assert info["experiment_id"] == exp and info["name"] == "model"
    assert info["source_run_id"] == run_id
    assert info["tags"] == [{"key": "mlflow.source.name", "value": "train.py"}]
    assert got["model"]["data"]["params"] == [{"key": "alpha", "value": "0.5"}]
    assert info["last_updated_timestamp_ms"] >= info["creation_timestamp_ms"]

    run = ok(server, "GET", "runs/get", run_id=run_id)["run"]
    assert run["outputs"] == {"model_outputs": [{"model_id": model_id, "step": 0}]}

    status, found = logged_models(server, "POST", "/search", {"experiment_ids": [exp], "max_results": 10})
    assert status == 200 and [m["info"]["model_id"] for m in found["models"]] == [model_id]

    status, listing = logged_models(server, "GET", f"/{model_id}/artifacts/directories")
    assert status == 200, listing
    assert listing["root_uri"] == location
    assert sorted(f["path"] for f in listing["files"]) == ["MLmodel", "model.pkl", "requirements.txt"]

    ok(server, "POST", "registered-models/create", {"name": "clf"})
    v1 = ok(server, "POST", "model-versions/create", {
        "name": "clf", "source": f"models:/{model_id}", "run_id": run_id, "model_id": model_id})["model_version"]
    assert v1["version"] == "1" and v1["model_id"] == model_id
    v2 = ok(server, "POST", "model-versions/create", {
        "name": "clf", "source": location, "run_id": run_id, "model_id": model_id})["model_version"]
    assert v2["version"] == "2"
    for version in ("1", "2"):
        uri = ok(server, "GET", "model-versions/get-download-uri", name="clf", version=version)["artifact_uri"]
        assert uri == location
    tags = {t["key"]: t["value"] for t in logged_models(server, "GET", f"/{model_id}")[1]["model"]["info"]["tags"]}
    assert json.loads(tags["mlflow.modelVersions"]) == [{"name": "clf", "version": 1},
                                                        {"name": "clf", "version": 2}]

    status, body = get_bytes(server, f"/api/2.0/mlflow-artifacts/artifacts/{exp}/models/{model_id}/artifacts/MLmodel")
    assert status == 200 and body == mlmodel
    status, body = get_bytes(server, f"/model-versions/get-artifact?name=clf&version=1&path=MLmodel")
    assert status == 200 and body == mlmodel


def test_tags_params_delete(server):
    exp, run_id = start_run(server)
    model_id, _, _ = log_model(server, exp, run_id)
    assert logged_models(server, "PATCH", f"/{model_id}/tags", {"tags": [{"key": "k", "value": "v"}]})[0] == 200
    assert logged_models(server, "POST", f"/{model_id}/params", {"params": [{"key": "beta", "value": "2"}]})[0] == 200
    model = logged_models(server, "GET", f"/{model_id}")[1]["model"]
    assert {"key": "k", "value": "v"} in model["info"]["tags"]
    assert {"key": "beta", "value": "2"} in model["data"]["params"]

    status, err = logged_models(server, "DELETE", f"/{model_id}/tags/missing")
    assert status == 404 and err["error_code"] == "RESOURCE_DOES_NOT_EXIST"

    assert logged_models(server, "DELETE", f"/{model_id}")[0] == 200
    status, err = logged_models(server, "GET", f"/{model_id}")
    assert status == 404 and err["message"] == f"Logged model with ID '{model_id}' not found."
    assert logged_models(server, "GET", f"/{model_id}", allow_deleted="true")[0] == 200
    found = logged_models(server, "POST", "/search", {"experiment_ids": [exp]})[1]
    assert "models" not in found


def test_bad_input(server):
    exp, run_id = start_run(server)
    status, err = logged_models(server, "POST", body={"experiment_id": exp, "name": "a.b"})
    assert status == 400 and err["error_code"] == "INVALID_PARAMETER_VALUE"
    status, err = logged_models(server, "POST", body={"name": "x"})
    assert status == 400 and "experiment_id" in err["message"]
    status, err = logged_models(server, "POST", body={"experiment_id": "999"})
    assert status == 404 and err["error_code"] == "RESOURCE_DOES_NOT_EXIST"
    missing = "m-" + "0" * 32
    for method, rest, body in (("GET", f"/{missing}", None),
                               ("PATCH", f"/{missing}", {"status": "LOGGED_MODEL_READY"}),
                               ("DELETE", f"/{missing}", None),
                               ("PATCH", f"/{missing}/tags", {"tags": [{"key": "a", "value": "b"}]})):
        status, err = logged_models(server, method, rest, body)
        assert status == 404 and err["error_code"] == "RESOURCE_DOES_NOT_EXIST", (method, rest, err)
    created = logged_models(server, "POST", body={"experiment_id": exp})[1]["model"]["info"]
    assert created["name"] and created["status"] == "LOGGED_MODEL_PENDING"
    status, err = logged_models(server, "PATCH", f"/{created['model_id']}", {"status": "READY-ish"})
    assert status == 400
    status, err = api(server, "POST", "runs/outputs", {"run_id": run_id})
    assert status == 400 and "models" in err["message"]
    ok(server, "POST", "runs/delete", {"run_id": run_id})
    status, err = api(server, "POST", "runs/outputs",
                      {"run_id": run_id, "models": [{"model_id": created["model_id"], "step": 1}]})
    assert status == 400 and err["error_code"] == "INVALID_PARAMETER_VALUE"
    status, err = api(server, "POST", "runs/outputs", {"run_id": "nope", "models": [{"model_id": "m"}]})
    assert status == 404


def test_runs_get_unchanged_without_models(server):
    _, run_id = start_run(server)
    run = ok(server, "GET", "runs/get", run_id=run_id)["run"]
    assert "outputs" not in run and run["inputs"] == {}

"""`mlflowc models serve` and `mlflowc models predict` with MLflow's scoring protocol, on a
native C model (the c_function flavor, built from examples/c_model.c): the probes answer as
MLflow's scoring server does; every payload form (dataframe_split, dataframe_records,
instances, inputs, CSV) gives the same predictions; params are checked against the params
schema; the signature is enforced (missing columns, wrong types, tensor shapes) with MLflow's
messages; bad JSON, other content types, oversize bodies and unknown routes get MLflow's
answers and never take the server down; predict answers byte for byte as /invocations; a model
registered on a tracking server is served by models:/ URI through a cache that downloads it
once; a model whose files lead outside its directory, or that is incomplete, is refused."""

import json
import os
import shutil
import subprocess
import urllib.error
import urllib.request
from pathlib import Path

import pytest

from conftest import REPO_ROOT, free_local_port, launch_server, stop_server

C_MODEL_SOURCE = REPO_ROOT / "examples" / "c_model.c"

MLMODEL = """\
flavors:
  c_function:
    library: model.so
    weights: weights.txt
    abi: 1
signature:
  inputs: '[{"type": "double", "name": "a", "required": true}, {"type": "double", "name": "b",
    "required": true}]'
  outputs: '[{"type": "double", "required": true}]'
  params: '[{"name": "scale", "type": "double", "default": 1.0, "shape": null}]'
"""


def build_c_model(directory, mlmodel=MLMODEL, weights="0.5 2 -1\n"):
    cc = os.environ.get("CC", "cc")
    if not shutil.which(cc):
        pytest.skip(f"no C compiler ({cc})")
    directory.mkdir(parents=True, exist_ok=True)
    subprocess.run([cc, "-shared", "-fPIC", "-O1", "-I", str(REPO_ROOT / "include"), "-o",
                    str(directory / "model.so"), str(C_MODEL_SOURCE)], check=True)
    (directory / "weights.txt").write_text(weights)
    (directory / "MLmodel").write_text(mlmodel)
    return directory


def expected(a, b):
    return 0.5 + 2 * a - 1 * b


def clean_env(**extra):
    env = dict(os.environ)
    for name in ("MLFLOW_TRACKING_URI", "MLFLOW_PORT", "MLFLOW_HOST", "MLFLOW_MODELS_WORKERS",
                 "MLFLOW_SCORING_SERVER_REQUEST_TIMEOUT"):
        env.pop(name, None)
    env.update(extra)
    return env


def start_serving(mlflowc_bin, model_uri, cwd, *extra, env=None):
    port = free_local_port()
    command = [mlflowc_bin, "models", "serve", "-m", model_uri, "-p", str(port), "-h", "127.0.0.1", *extra]
    return launch_server(command, port, cwd, env=env or clean_env())


@pytest.fixture
def c_model(tmp_path):
    return build_c_model(tmp_path / "model")


@pytest.fixture
def scoring(mlflowc_bin, c_model, tmp_path):
    running = start_serving(mlflowc_bin, str(c_model), tmp_path, "--max-body-mb", "1")
    yield running
    stop_server(running)


def call(server, path, body=None, content_type="application/json", method=None):
    data = body if isinstance(body, bytes) or body is None else (
        body.encode() if isinstance(body, str) else json.dumps(body).encode())
    headers = {"Content-Type": content_type} if content_type else {}
    req = urllib.request.Request(server.url + path, data=data, method=method or ("POST" if data is not None else "GET"),
                                 headers=headers)
    try:
        with urllib.request.urlopen(req, timeout=30) as resp:
            return resp.status, resp.headers.get("Content-Type"), resp.read()
    except urllib.error.HTTPError as e:
        return e.code, e.headers.get("Content-Type"), e.read()


def predictions(server, body, content_type="application/json"):
    status, ctype, raw = call(server, "/invocations", body, content_type)
    assert status == 200, raw
    assert ctype.startswith("application/json")
    return json.loads(raw)["predictions"]


def error_of(server, body, content_type="application/json", status=400):
    got, ctype, raw = call(server, "/invocations", body, content_type)
    assert got == status, raw
    return json.loads(raw)


def test_probes_answer_as_mlflow(scoring):
    for path in ("/ping", "/health"):
        status, ctype, raw = call(scoring, path)
        assert (status, ctype, raw) == (200, "application/json", b"\n")
    status, _, raw = call(scoring, "/version")
    assert status == 200 and raw.decode()[0].isdigit()
    status, _, raw = call(scoring, "/nowhere")
    assert status == 404 and json.loads(raw) == {"detail": "Not Found"}
    status, _, raw = call(scoring, "/invocations", method="GET", content_type=None)
    assert status == 405 and json.loads(raw) == {"detail": "Method Not Allowed"}
    status, _, _ = call(scoring, "/ping", b"", method="POST")
    assert status == 405


def test_every_payload_form_gives_the_same_predictions(scoring):
    rows = [[1, 2], [3.5, -4], [0, 0]]
    want = [expected(a, b) for a, b in rows]
    assert predictions(scoring, {"dataframe_split": {"columns": ["a", "b"], "data": rows}}) == want
    assert predictions(scoring, {"dataframe_split": {"columns": ["a", "b"], "data": rows,
                                                     "index": [7, 8, 9]}}) == want
    records = [{"a": a, "b": b} for a, b in rows]
    assert predictions(scoring, {"dataframe_records": records}) == want
    assert predictions(scoring, {"instances": records}) == want
    assert predictions(scoring, {"inputs": {"a": [r[0] for r in rows], "b": [r[1] for r in rows]}}) == want
    # columns are taken by name, in any order; extra columns are dropped
    assert predictions(scoring, {"dataframe_split": {"columns": ["extra", "b", "a"],
                                                     "data": [[9, b, a] for a, b in rows]}}) == want
    assert predictions(scoring, "a,b\n1,2\n3.5,-4\n0,0\n", "text/csv") == want
    assert predictions(scoring, "b,a\r\n2,1\r\n", "text/csv; charset=utf-8") == [expected(1, 2)]
    assert predictions(scoring, {"dataframe_split": {"columns": ["a", "b"], "data": []}}) == []


def test_params_are_checked_against_the_params_schema(scoring):
    body = {"dataframe_split": {"columns": ["a", "b"], "data": [[1, 2]]}}
    assert predictions(scoring, {**body, "params": {"scale": 2.5}}) == [expected(1, 2)]
    err = error_of(scoring, {**body, "params": {"scale": "big"}})
    assert err["error_code"] == "INVALID_PARAMETER_VALUE" and "scale" in err["message"]
    err = error_of(scoring, {**body, "params": [1]})
    assert err["error_code"] == "BAD_REQUEST" and "params" in err["message"]


def test_the_signature_is_enforced_with_mlflows_messages(scoring):
    err = error_of(scoring, {"dataframe_split": {"columns": ["a", "c"], "data": [[1, 2]]}})
    assert err["error_code"] == "INVALID_PARAMETER_VALUE"
    assert "Failed to enforce schema" in err["message"]
    assert "Model is missing inputs ['b']." in err["message"]
    assert "Note that there were extra inputs: ['c']" in err["message"]
    err = error_of(scoring, {"dataframe_records": [{"a": "x", "b": 1}]})
    assert "Incompatible input types for column a" in err["message"]
    err = error_of(scoring, {"dataframe_records": [{"a": True, "b": 1}]})
    assert "Incompatible input types for column a" in err["message"]
    err = error_of(scoring, "a,b\nx,1\n", "text/csv")
    assert err["error_code"] == "BAD_REQUEST" and "Failed to parse input as a Pandas DataFrame" in err["message"]


def test_bad_payloads_get_mlflows_answers(scoring):
    for body in ("[1, 2]", "1", '"text"'):
        err = error_of(scoring, body)
        assert err["error_code"] == "BAD_REQUEST"
        assert "The input must be a JSON dictionary with exactly one of the input fields" in err["message"]
    for body in ({"not": "a frame"}, {"dataframe_records": [], "dataframe_split": {"data": []}},
                 {"columns": ["a", "b"], "data": [[1, 2]]}):
        err = error_of(scoring, body)
        assert "exactly one of the input fields" in err["message"]
        assert "scoring protocol has changed in MLflow version 2.0" in err["message"]
    err = error_of(scoring, "{bad json")
    assert err["error_code"] == "BAD_REQUEST"
    assert "Ensure that input is a valid JSON formatted string" in err["message"]
    err = error_of(scoring, {"dataframe_split": {"columns": ["a", "b"], "data": [[1]]}})
    assert err["error_code"] == "BAD_REQUEST"
    err = error_of(scoring, {"dataframe_split": "nope"})
    assert err["error_code"] == "BAD_REQUEST"
    err = error_of(scoring, "[" * 100000 + "]" * 100000)
    assert err["error_code"] == "BAD_REQUEST"


def test_other_content_types_get_415(scoring):
    for content_type, words in (("text/plain", "only supports the following content types"),
                                ("application/json; charset=latin-1", "only supports UTF-8"),
                                ("application/json; format=pandas-split", "Unrecognized content type parameters"),
                                ("", "only supports the following content types")):
        status, ctype, raw = call(scoring, "/invocations", b'{"inputs": [[1, 2]]}', content_type or None)
        assert status == 415, (content_type, raw)
        assert ctype.startswith("text/plain")
        assert words in raw.decode()


def test_an_oversize_body_is_refused_and_the_server_stays_up(scoring):
    big = '{"inputs": {"a": [' + ",".join(["1"] * 700000) + ']}}'
    got, _, raw = call(scoring, "/invocations", big)
    assert got == 413, raw[:200]
    hostile = [b"\x00\xff\xfe", b'{"inputs": {"a": [1e999999], "b": [NaN]}}',
               b'{"dataframe_split": {"columns": [1, {}], "data": [[1, 2]]}}',
               b'{"dataframe_records": [1, 2]}', b'{"instances": {"a": 1}}', b'{"inputs": null}',
               b'{"dataframe_split": {"columns": ["a", "a"], "data": [[1, 2]]}}',
               "a,b\n\"1,2\n".encode(), b"a,b\n1,2,3\n", b'{"inputs": [[1, 2], [3]]}']
    for body in hostile:
        for ctype in ("application/json", "text/csv"):
            status, _, _ = call(scoring, "/invocations", body, ctype)
            assert status in (200, 400), (body, ctype, status)
    assert call(scoring, "/ping")[0] == 200


def test_a_tensor_signature_checks_dtype_and_shape(mlflowc_bin, tmp_path):
    mlmodel = MLMODEL.split("signature:")[0] + (
        "signature:\n"
        "  inputs: '[{\"type\": \"tensor\", \"tensor-spec\": {\"dtype\": \"float64\", \"shape\": [-1, 2]}}]'\n"
        "  outputs: null\n  params: null\n")
    model = build_c_model(tmp_path / "tensor-model", mlmodel)
    running = start_serving(mlflowc_bin, str(model), tmp_path)
    try:
        assert predictions(running, {"instances": [[1, 2], [3, 4]]}) == [expected(1, 2), expected(3, 4)]
        assert predictions(running, {"inputs": [[1.5, 2]]}) == [expected(1.5, 2)]
        # a frame becomes the one tensor, as MLflow turns a DataFrame into an array
        assert predictions(running, {"dataframe_split": {"columns": ["x", "y"], "data": [[1, 2]]}}) == [
            expected(1, 2)]
        err = error_of(running, {"instances": [[1, 2, 3]]})
        assert "Shape of input (1, 3) does not match expected shape (-1, 2)" in err["message"]
        err = error_of(running, {"instances": [["a", "b"]]})
        assert "dtype" in err["message"]
        err = error_of(running, {"instances": [[1, 2], [3]]})
        assert "ragged" in err["message"]
    finally:
        stop_server(running)


def test_predict_answers_exactly_as_invocations(scoring, mlflowc_bin, c_model, tmp_path):
    payload = {"dataframe_records": [{"a": 1, "b": 2}, {"a": -3, "b": 0.25}]}
    _, _, served = call(scoring, "/invocations", payload)
    (tmp_path / "in.json").write_text(json.dumps(payload))
    done = subprocess.run([str(mlflowc_bin), "models", "predict", "-m", str(c_model), "-i",
                           str(tmp_path / "in.json"), "-o", str(tmp_path / "out.json")],
                          capture_output=True, text=True, timeout=60, env=clean_env())
    assert done.returncode == 0, done.stderr
    assert (tmp_path / "out.json").read_bytes().rstrip(b"\n") == served
    done = subprocess.run([str(mlflowc_bin), "models", "predict", "-m", str(c_model), "-t", "csv"],
                          input="a,b\n1,2\n", capture_output=True, text=True, timeout=60, env=clean_env())
    assert done.returncode == 0, done.stderr
    assert json.loads(done.stdout) == {"predictions": [expected(1, 2)]}
    done = subprocess.run([str(mlflowc_bin), "models", "predict", "-m", str(c_model)],
                          input='{"dataframe_records": [{"a": 1}]}', capture_output=True, text=True,
                          timeout=60, env=clean_env())
    assert done.returncode == 1 and "Model is missing inputs ['b']" in done.stderr
    done = subprocess.run([str(mlflowc_bin), "models", "predict", "-m", str(c_model), "-t", "xml"],
                          input="", capture_output=True, text=True, timeout=60, env=clean_env())
    assert done.returncode == 2


def test_a_registered_model_is_served_by_models_uri_through_a_cache(server, mlflowc_bin, c_model, tmp_path):
    env = clean_env(MLFLOW_TRACKING_URI=server.url, MLFLOWC_MODEL_CACHE=str(tmp_path / "cache"))

    def cli(*args):
        done = subprocess.run([str(mlflowc_bin), *args], capture_output=True, text=True, timeout=60, env=env)
        assert done.returncode == 0, (args, done.stderr)
        return done.stdout

    req = urllib.request.Request(server.url + "/api/2.0/mlflow/runs/create", method="POST",
                                 data=json.dumps({"experiment_id": "0"}).encode(),
                                 headers={"Content-Type": "application/json"})
    with urllib.request.urlopen(req, timeout=30) as resp:
        run_id = json.load(resp)["run"]["info"]["run_id"]
    cli("artifacts", "log-artifacts", "-l", str(c_model), "-r", run_id, "-a", "model")
    cli("models", "register", "-m", f"runs:/{run_id}/model", "-n", "linear c")
    cli("models", "set-alias", "-n", "linear c", "-a", "champion", "-v", "1")
    for uri in ("models:/linear c@champion", "models:/linear c/1", "models:/linear c/latest", f"runs:/{run_id}/model"):
        running = start_serving(mlflowc_bin, uri, tmp_path, env=env)
        try:
            assert predictions(running, {"inputs": {"a": [2], "b": [1]}}) == [expected(2, 1)]
        finally:
            stop_server(running)
        log = running.stderr_path.read_text() + running.stdout_path.read_text()
        if uri.startswith("models:/linear c/1"):
            assert "linear c/1" in log
    entries = [p for p in (tmp_path / "cache").iterdir()]
    # three registry URIs resolve to one source: one download; the runs:/ URI is its own entry
    assert len([p for p in entries if not p.name.startswith(".tmp")]) == 2, entries
    assert not [p for p in entries if p.name.startswith(".tmp")]
    done = subprocess.run([str(mlflowc_bin), "models", "serve", "-m", "models:/nobody/1"], capture_output=True,
                          text=True, timeout=60, env=env)
    assert done.returncode == 1 and "nobody" in done.stderr


def test_a_model_leading_outside_its_directory_or_incomplete_is_refused(mlflowc_bin, tmp_path):
    outside = build_c_model(tmp_path / "outside")
    cases = {
        "dotdot": MLMODEL.replace("library: model.so", "library: ../outside/model.so"),
        "absolute": MLMODEL.replace("library: model.so", f"library: {outside}/model.so"),
        "missing": MLMODEL.replace("library: model.so", "library: nothing.so"),
    }
    for name, text in cases.items():
        model = tmp_path / name
        model.mkdir()
        (model / "MLmodel").write_text(text)
        (model / "weights.txt").write_text("0 1 1\n")
        done = subprocess.run([str(mlflowc_bin), "models", "predict", "-m", str(model)], input="{}",
                              capture_output=True, text=True, timeout=60, env=clean_env())
        assert done.returncode == 1, (name, done.stderr)
        assert "outside" in done.stderr or "missing" in done.stderr or "invalid" in done.stderr, done.stderr
    linked = tmp_path / "linked"
    linked.mkdir()
    (linked / "MLmodel").write_text(MLMODEL)
    (linked / "weights.txt").write_text("0 1 1\n")
    (linked / "model.so").symlink_to(outside / "model.so")
    done = subprocess.run([str(mlflowc_bin), "models", "predict", "-m", str(linked)],
                          input='{"inputs": {"a": [1], "b": [1]}}', capture_output=True, text=True, timeout=60,
                          env=clean_env())
    assert done.returncode == 1 and "outside" in done.stderr, done.stderr
    done = subprocess.run([str(mlflowc_bin), "models", "serve", "-m", str(tmp_path / "no-such-model")],
                          capture_output=True, text=True, timeout=60, env=clean_env())
    assert done.returncode == 1 and "no-such-model" in done.stderr


def test_the_c_example_logs_and_registers_a_model_that_serves(server, mlflowc_bin, tmp_path):
    from conftest import build_with_libmlflowc
    built = build_c_model(tmp_path / "built")
    program = build_with_libmlflowc([REPO_ROOT / "examples" / "log_c_model.c"], tmp_path / "log_c_model")
    env = clean_env(MLFLOW_TRACKING_URI=server.url, MLFLOWC_MODEL_CACHE=str(tmp_path / "cache"))
    done = subprocess.run([str(program), str(built / "model.so"), "c linear", "1", "3"], capture_output=True,
                          text=True, timeout=120, env=env)
    assert done.returncode == 0, done.stderr
    name_part, version, run_id = done.stdout.rsplit(" ", 2)
    assert name_part == "c linear" and version == "1" and len(run_id.strip()) == 32
    running = start_serving(mlflowc_bin, "models:/c linear@champion", tmp_path, env=env)
    try:
        assert predictions(running, {"dataframe_records": [{"x1": 2}]}) == [1 + 3 * 2]
        assert "Model is missing inputs ['x1']" in error_of(running, {"inputs": {"y": [1]}})["message"]
    finally:
        stop_server(running)

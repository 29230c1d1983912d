"""Models and a scoring server for the deployment tests (test_models_docker.py,
test_models_lambda.py).

native_model() makes one of the two native models (a NativeModel: its directory, columns and
rows to score): "c_function", built from examples/c_model.c with the C compiler, and
"xgboost"; make_xgboost_model() trains a tiny Booster with Debian's python3-xgboost and writes it as
MLflow 2.17's log_model does (model.xgb, MLmodel with the xgboost and python_function
flavors, the environment files); make_sklearn_model() writes a pickled sklearn model the
same way. serve_model() runs `mlflowc models serve` on a model and yields its base URL, so
a test can compare what a deployment answers with what the scoring server answers.
"""

import contextlib
import dataclasses
import http.client
import os
import shutil
import subprocess
import sys
import textwrap
import time
from pathlib import Path

import pytest

from conftest import REPO_ROOT, free_local_port

FEATURES = ["a", "b", "c", "d"]
ROWS = [[1.0, 2.0, 3.0, 4.0], [0.5, -1.0, 2.5, 0.0], [3.0, 3.0, 0.0, 1.5]]
GOOD_PAYLOAD = {"dataframe_split": {"columns": FEATURES, "data": ROWS}}
READY_TIMEOUT_SECONDS = 30

TRAIN_XGBOOST = textwrap.dedent("""
    import sys
    import numpy as np
    import xgboost as xgb
    rng = np.random.default_rng(7)
    x = rng.normal(size=(64, 4))
    y = (x[:, 0] + x[:, 1] * 0.5 - x[:, 2] > 0).astype(float)
    booster = xgb.train({"objective": "binary:logistic", "max_depth": 3, "nthread": 1},
                        xgb.DMatrix(x, label=y, feature_names=["a", "b", "c", "d"]), num_boost_round=5)
    booster.save_model(sys.argv[1])
""")

TRAIN_SKLEARN = textwrap.dedent("""
    import pickle, sys
    import numpy as np
    from sklearn.linear_model import LogisticRegression
    rng = np.random.default_rng(7)
    x = rng.normal(size=(64, 4))
    y = (x[:, 0] > 0).astype(int)
    with open(sys.argv[1], "wb") as f:
        pickle.dump(LogisticRegression().fit(x, y), f)
""")

ENV_FILES = {
    "conda.yaml": "channels:\n- conda-forge\ndependencies:\n- python=3.11.2\n- pip<=23.0.1\n- pip:\n"
                  "  - mlflow==2.17.0\nname: mlflow-env\n",
    "python_env.yaml": "python: 3.11.2\nbuild_dependencies:\n- pip==23.0.1\n- setuptools==66.1.1\n"
                       "- wheel==0.38.4\ndependencies:\n- -r requirements.txt\n",
}


def make_xgboost_model(directory, requirements="mlflow==2.17.0\nxgboost==1.7.4\n"):
    """A native xgboost model in `directory` (created); returns it."""
    directory.mkdir(parents=True, exist_ok=True)
    subprocess.run([sys.executable, "-c", TRAIN_XGBOOST, str(directory / "model.xgb")], check=True, timeout=120)
    (directory / "MLmodel").write_text(textwrap.dedent("""\
        artifact_path: model
        flavors:
          python_function:
            data: model.xgb
            env:
              conda: conda.yaml
              virtualenv: python_env.yaml
            loader_module: mlflow.xgboost
            python_version: 3.11.2
          xgboost:
            code: null
            data: model.xgb
            model_class: xgboost.core.Booster
            model_format: xgb
            xgb_version: 1.7.4
        mlflow_version: 2.17.0
        model_uuid: 0a1b2c3d4e5f40718293a4b5c6d7e8f9
        utc_time_created: '2026-12-07 01:04:16.014210'
        """))
    for name, text in ENV_FILES.items():
        (directory / name).write_text(text)
    (directory / "requirements.txt").write_text(requirements)
    return directory


C_MLMODEL = """\
flavors:
  c_function:
    library: model.so
    weights: weights.txt
    abi: 1
signature:
  inputs: '[{"type": "double", "name": "a", "required": true}, {"type": "double", "name": "b",
    "required": true}]'
  outputs: '[{"type": "double", "required": true}]'
"""


def make_c_model(directory):
    """A c_function model (examples/c_model.c: 0.5 + 2a - b) in `directory` (created)."""
    cc = os.environ.get("CC", "cc")
    if not shutil.which(cc):
        pytest.skip(f"no C compiler ({cc})")
    directory.mkdir(parents=True, exist_ok=True)
    subprocess.run([cc, "-shared", "-fPIC", "-O1", "-I", str(REPO_ROOT / "include"), "-o", str(directory / "model.so"),
                    str(REPO_ROOT / "examples" / "c_model.c")], check=True, timeout=120)
    (directory / "weights.txt").write_text("0.5 2 -1\n")
    (directory / "MLmodel").write_text(C_MLMODEL)
    return directory


@dataclasses.dataclass
class NativeModel:
    flavor: str
    dir: Path
    columns: list
    rows: list

    def payload(self):
        return {"dataframe_split": {"columns": self.columns, "data": self.rows}}

    def records(self):
        return {"dataframe_records": [dict(zip(self.columns, r)) for r in self.rows]}

    def csv(self):
        return ",".join(self.columns) + "\n" + "\n".join(",".join(str(v) for v in r) for r in self.rows) + "\n"

    def corrupt(self, directory):
        """Makes the copy of this model in `directory` fail to load."""
        name = "model.so" if self.flavor == "c_function" else "model.xgb"
        (directory / name).write_bytes(b"this is not a model\n" * 4)


NATIVE_FLAVORS = ["c_function", "xgboost"]


def require_flavor(mlflowc_bin, model_dir, flavor):
    """Skips the test when this build has no `flavor` (it lands flavor by flavor)."""
    probe = subprocess.run([str(mlflowc_bin), "models", "predict", "-m", str(model_dir), "--flavor", flavor],
                           input="{}", capture_output=True, text=True, timeout=120)
    if "Unknown flavor" in probe.stderr:
        pytest.skip(f"this build has no {flavor} flavor")


def native_model(flavor, directory, mlflowc_bin):
    """The native model of `flavor` in `directory`; skipped when this build has no such flavor."""
    if flavor == "c_function":
        model = NativeModel(flavor, make_c_model(directory), ["a", "b"], [[1.0, 2.0], [0.5, -1.0], [3.0, 3.0]])
    else:
        model = NativeModel(flavor, make_xgboost_model(directory), FEATURES, ROWS)
    probe = subprocess.run([str(mlflowc_bin), "models", "predict", "-m", str(model.dir), "--flavor", flavor],
                           input=__import__("json").dumps(model.payload()), capture_output=True, text=True,
                           timeout=120)
    if "Unknown flavor" in probe.stderr:
        pytest.skip(f"this build has no {flavor} flavor")
    assert probe.returncode == 0, probe.stderr
    return model


def make_sklearn_model(directory, requirements="mlflow==2.17.0\nscikit-learn==1.2.1\n"):
    """A python_function (sklearn) model in `directory` (created); returns it."""
    directory.mkdir(parents=True, exist_ok=True)
    subprocess.run([sys.executable, "-c", TRAIN_SKLEARN, str(directory / "model.pkl")], check=True, timeout=120)
    (directory / "MLmodel").write_text(textwrap.dedent("""\
        artifact_path: model
        flavors:
          python_function:
            env:
              conda: conda.yaml
              virtualenv: python_env.yaml
            loader_module: mlflow.sklearn
            model_path: model.pkl
            predict_fn: predict
            python_version: 3.11.2
          sklearn:
            code: null
            pickled_model: model.pkl
            serialization_format: pickle
            sklearn_version: 1.2.1
        mlflow_version: 2.17.0
        model_uuid: 1a1b2c3d4e5f40718293a4b5c6d7e8f9
        utc_time_created: '2026-12-07 01:04:16.014210'
        """))
    for name, text in ENV_FILES.items():
        (directory / name).write_text(text)
    (directory / "requirements.txt").write_text(requirements)
    return directory


def http_call(port, method, path, body=None, content_type=None, timeout=30):
    """(status, content type, body bytes) of one request to 127.0.0.1:`port`."""
    connection = http.client.HTTPConnection("127.0.0.1", port, timeout=timeout)
    try:
        headers = {"Content-Type": content_type} if content_type else {}
        connection.request(method, path, body=body, headers=headers)
        response = connection.getresponse()
        return response.status, response.getheader("Content-Type"), response.read()
    finally:
        connection.close()


def wait_for_ping(proc, port, log_path):
    """Polls GET /ping until 200 (bounded); fails when the process exits first."""
    deadline = time.monotonic() + READY_TIMEOUT_SECONDS
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            raise AssertionError(f"the server exited with {proc.returncode}:\n{log_path.read_text(errors='replace')}")
        try:
            if http_call(port, "GET", "/ping", timeout=2)[0] == 200:
                return
        except OSError:
            pass
        time.sleep(0.05)
    raise AssertionError(f"no 200 on /ping within {READY_TIMEOUT_SECONDS} s:\n{log_path.read_text(errors='replace')}")


@contextlib.contextmanager
def running(command, port, log_path, env=None, cwd=None):
    """Runs `command` (a server on 127.0.0.1:`port`) until the block ends; yields the process."""
    with open(log_path, "wb") as log:
        proc = subprocess.Popen([str(c) for c in command], stdin=subprocess.DEVNULL, stdout=log,
                                stderr=subprocess.STDOUT, env=env, cwd=cwd)
    try:
        wait_for_ping(proc, port, log_path)
        yield proc
    finally:
        if proc.poll() is None:
            proc.terminate()
            try:
                proc.wait(timeout=10)
            except subprocess.TimeoutExpired:
                proc.kill()
                proc.wait()


@contextlib.contextmanager
def serve_model(mlflowc_bin, model_dir, log_path):
    """`mlflowc models serve` on `model_dir`; yields its port."""
    port = free_local_port()
    command = [mlflowc_bin, "models", "serve", "-m", model_dir, "-h", "127.0.0.1", "-p", port,
               "--env-manager", "local"]
    with running(command, port, log_path):
        yield port


def register_model(server_url, mlflowc_bin, model_dir, name, env):
    """Logs `model_dir` as a run's `model` artifact on the tracking server and registers it as
    version 1 of `name` with alias `champion`."""
    import json
    import urllib.request

    def cli(*args):
        done = subprocess.run([str(mlflowc_bin), *args], capture_output=True, text=True, timeout=60, env=env)
        assert done.returncode == 0, (args, done.stderr)

    req = urllib.request.Request(server_url + "/api/2.0/mlflow/runs/create", method="POST",
                                 data=json.dumps({"experiment_id": "0"}).encode(),
                                 headers={"Content-Type": "application/json"})
    with urllib.request.urlopen(req, timeout=30) as resp:
        run_id = json.load(resp)["run"]["info"]["run_id"]
    cli("artifacts", "log-artifacts", "-l", str(model_dir), "-r", run_id, "-a", "model")
    cli("models", "register", "-m", f"runs:/{run_id}/model", "-n", name)
    cli("models", "set-alias", "-n", name, "-a", "champion", "-v", "1")

"""The python_function flavor (src/model/flavor_python.c, pyworker.c, pyworker.py, pyenv.c),
driven directly through build/tests/pyflavor_drive (tests/pyflavor/drive.c): the model is
opened with model_dir_open(), loaded with flavor_python.load and asked with predict(), with
requests in scoring_input_to_json()'s shape.

Models: the two MLflow 2.17 wrote in ../shared (sklearn LogisticRegression with a tensor
signature; a PythonModel that needs mlflow: the clear start error), and our own: sklearn
pickles written with pickle and cloudpickle, predict_proba, a custom loader_module with code/
(params, dtypes of each MLflow type, output shapes), and models that raise, sleep past the
timeout, exit, get SIGKILLed, print to stdout, write garbage on the worker's channel, or list
their descriptors. Predictions are compared with Debian's sklearn on the same rows. The
environments: local, virtualenv (system site packages, cached, a requirement that cannot be
installed, no pandas), conda and uv without their tools.

The driver is built by `make unit` beside the binary under test (MLFLOWC_BIN's directory).
"""

import json
import os
import pickle
import select
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from conftest import REPO_ROOT, mlflowc_bin_path

np = pytest.importorskip("numpy")
pd = pytest.importorskip("pandas")
sklearn_linear = pytest.importorskip("sklearn.linear_model")
cloudpickle = pytest.importorskip("cloudpickle")

ANSWER_TIMEOUT = 60  # seconds one driver line may take (model loads, venv builds: longer below)
FIXTURE_ARTIFACTS = "fixtures/mlflow-stores/mlflow-2.17-sqlite/artifacts/5"
SKLEARN_FIXTURE = "55315cc8a96d4d898413179bce530923/artifacts/model"
PYTHONMODEL_FIXTURE = "0555954d2ae64ced970dadd66b7d80a0/artifacts/model"


def driver_path():
    path = mlflowc_bin_path().parent / "tests" / "pyflavor_drive"
    if not (path.is_file() and os.access(path, os.X_OK)):
        pytest.fail(f"{path} not found: `make unit` builds it beside the binary", pytrace=False)
    return path


def shared_fixture(rel):
    shared = Path(os.environ.get("MLFLOWC_SHARED", REPO_ROOT.parent / "shared"))
    model = shared / FIXTURE_ARTIFACTS / rel
    if not (model / "MLmodel").is_file():
        pytest.skip(f"{model} not found: the MLflow-written models are in ../shared (CI)")
    return model


class Drive:
    """One driver process: a loaded model, asked one JSON line at a time."""

    def __init__(self, model, *args, load_timeout=ANSWER_TIMEOUT, env=None):
        self.proc = subprocess.Popen(
            [str(driver_path()), str(model), *map(str, args)],
            stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, env=env)
        self.first = self.line(load_timeout)

    def line(self, timeout=ANSWER_TIMEOUT):
        ready, _, _ = select.select([self.proc.stdout], [], [], timeout)
        if not ready:
            self.proc.kill()
            pytest.fail(f"the driver did not answer within {timeout} s; stderr: {self.proc.stderr.read()[-3000:]}")
        text = self.proc.stdout.readline()
        if not text:
            pytest.fail(f"the driver ended (rc {self.proc.wait()}); stderr: {self.proc.stderr.read()[-3000:]}")
        return json.loads(text)

    def ask(self, obj, timeout=ANSWER_TIMEOUT):
        self.proc.stdin.write(json.dumps(obj) + "\n")
        self.proc.stdin.flush()
        return self.line(timeout)

    def close(self):
        """EOF: the driver unloads the model and exits; returns its stderr."""
        self.proc.stdin.close()
        end = self.line(30)  # read even when it has exited already: its last line is still in the pipe
        rc = self.proc.wait(timeout=30)
        err = self.proc.stderr.read()
        assert rc == 0, err
        assert end == {"unloaded": True}
        return err


@pytest.fixture
def drive():
    started = []

    def start(model, *args, **kw):
        d = Drive(model, *args, **kw)
        started.append(d)
        return d

    yield start
    for d in started:
        if d.proc.poll() is None:
            d.proc.kill()
            d.proc.wait()
        for f in (d.proc.stdin, d.proc.stdout, d.proc.stderr):
            try:
                f.close()
            except (BrokenPipeError, OSError):
                pass


def ready(d):
    assert d.first.get("ready"), d.first
    return d


def frame(columns, types, rows, params=None):
    return {"kind": "frame", "columns": columns, "types": types, "data": rows, "params": params}


def tensor(data, dtype="float64", params=None):
    return {"kind": "tensor", "dtype": dtype, "data": data, "params": params}


def write_model(path, flavors, files=None, signature=None):
    """A model directory: MLmodel (JSON is YAML) and `files` (name -> bytes or text)."""
    path.mkdir(parents=True)
    mlmodel = {"flavors": flavors, "mlflow_version": "2.17.0"}
    if signature:
        mlmodel["signature"] = {"inputs": json.dumps(signature), "outputs": None, "params": None}
    (path / "MLmodel").write_text(json.dumps(mlmodel, indent=1))
    for name, content in (files or {}).items():
        target = path / name
        target.parent.mkdir(parents=True, exist_ok=True)
        if isinstance(content, bytes):
            target.write_bytes(content)
        else:
            target.write_text(content)
    return path


# ---- sklearn ------------------------------------------------------------------------------

COLUMNS = ["a", "b", "c"]
ROWS = [[0.1, 2.0, -1.5], [3.5, -0.25, 0.0], [1e-3, 7.0, 2.5], [-2.0, -3.0, 4.0]]


def trained():
    rng = np.random.default_rng(7)
    x = rng.normal(size=(60, 3))
    y = (x[:, 0] + 2 * x[:, 1] - x[:, 2] > 0).astype(int) + (x[:, 2] > 1).astype(int)
    return sklearn_linear.LogisticRegression(max_iter=500).fit(pd.DataFrame(x, columns=COLUMNS), y)


def sklearn_model(tmp_path, fmt, predict_fn="predict"):
    model = trained()
    blob = cloudpickle.dumps(model) if fmt == "cloudpickle" else pickle.dumps(model)
    flavors = {
        "python_function": {"loader_module": "mlflow.sklearn", "model_path": "model.pkl",
                            "predict_fn": predict_fn, "python_version": "3.11.2",
                            "env": {"virtualenv": "python_env.yaml"}},
        "sklearn": {"pickled_model": "model.pkl", "serialization_format": fmt, "sklearn_version": "1.2.1"},
    }
    sig = [{"type": "double", "name": c, "required": True} for c in COLUMNS]
    path = write_model(tmp_path / f"sk-{fmt}-{predict_fn}", flavors, {"model.pkl": blob}, sig)
    return path, model


@pytest.mark.parametrize("fmt", ["pickle", "cloudpickle"])
def test_sklearn_pickles_load_without_mlflow_and_predict_as_sklearn(drive, tmp_path, fmt):
    path, model = sklearn_model(tmp_path, fmt)
    d = ready(drive(path))
    got = d.ask(frame(COLUMNS, ["double"] * 3, ROWS))
    assert got == {"predictions": model.predict(pd.DataFrame(ROWS, columns=COLUMNS)).tolist()}
    d.close()


def test_predict_fn_predict_proba_gives_nested_lists_equal_to_sklearn(drive, tmp_path):
    path, model = sklearn_model(tmp_path, "cloudpickle", "predict_proba")
    d = ready(drive(path))
    got = d.ask(frame(COLUMNS, ["double"] * 3, ROWS))
    assert got == {"predictions": model.predict_proba(pd.DataFrame(ROWS, columns=COLUMNS)).tolist()}


def pickled_sklearn_model(tmp_path, name, model):
    flavors = {"python_function": {"loader_module": "mlflow.sklearn", "model_path": "model.pkl"},
               "sklearn": {"pickled_model": "model.pkl", "serialization_format": "cloudpickle"}}
    return write_model(tmp_path / name, flavors, {"model.pkl": cloudpickle.dumps(model)})


def test_frames_reach_sklearn_as_sklearn_would_read_them(drive, tmp_path):
    # An estimator fitted on arrays gets the frame's array (what its predict makes of a frame);
    # a pipeline selecting columns by name gets the frame itself.
    from sklearn.compose import ColumnTransformer
    from sklearn.pipeline import Pipeline
    from sklearn.preprocessing import StandardScaler

    rng = np.random.default_rng(11)
    x = rng.normal(size=(60, 3))
    y = (x[:, 0] - x[:, 2] > 0).astype(int)
    on_arrays = sklearn_linear.LogisticRegression().fit(x, y)
    by_name = Pipeline([("pick", ColumnTransformer([("s", StandardScaler(), ["c", "a"])])),
                        ("lr", sklearn_linear.LogisticRegression())]).fit(pd.DataFrame(x, columns=COLUMNS), y)
    request = frame(COLUMNS, ["double"] * 3, ROWS)
    for name, model in (("arrays", on_arrays), ("names", by_name)):
        d = ready(drive(pickled_sklearn_model(tmp_path, name, model)))
        assert d.ask(request) == {"predictions": model.predict(pd.DataFrame(ROWS, columns=COLUMNS)).tolist()}
        mixed = frame(["a", "b", "c"], ["double", "long", "double"], [[0.5, 2, -1.0], [1.5, -3, 0.25]])
        want = model.predict(pd.DataFrame({"a": [0.5, 1.5], "b": [2, -3], "c": [-1.0, 0.25]}))
        assert d.ask(mixed) == {"predictions": want.tolist()}


def test_mlflow_2_17_sklearn_model_predicts_as_debian_sklearn(drive):
    path = shared_fixture(SKLEARN_FIXTURE)
    with open(path / "model.pkl", "rb") as f:
        model = cloudpickle.load(f)
    rows = [[1.0, 2.0], [3.0, -4.0], [0.5, 0.25], [-1e3, 7.5]]
    d = ready(drive(path, "--workers", 2))
    assert d.first["python"] == "%d.%d.%d" % sys.version_info[:3]
    got = d.ask(tensor(rows))
    assert got == {"predictions": model.predict(np.array(rows)).tolist()}
    bad = d.ask(tensor([[1.0, 2.0, 3.0]]))
    assert bad["error_code"] == "BAD_REQUEST"
    assert "X has 3 features" in bad["message"]
    assert "Traceback" in bad["stack_trace"] and "ValueError" in bad["stack_trace"]
    d.close()


def test_pythonmodel_without_mlflow_fails_at_start_saying_what_to_install(drive):
    d = drive(shared_fixture(PYTHONMODEL_FIXTURE))
    err = d.first["load_error"]
    assert err["error_code"] == "INVALID_PARAMETER_VALUE"
    assert "loader_module mlflow.pyfunc.model" in err["message"]
    assert "needs the mlflow package" in err["message"]
    assert "pip install mlflow==2.17.0" in err["message"]
    assert "--env-manager virtualenv" in err["message"]
    assert d.proc.wait(timeout=30) == 3


# ---- a custom loader_module -----------------------------------------------------------------

CUSTOM_MODULE = r'''
import json, os, signal, sys, time

class Model:
    def __init__(self, conf):
        self.conf = conf

    def predict(self, data, params=None):
        mode = self.conf["mode"]
        if mode == "echo":
            scale = (params or {}).get("scale", 1)
            if isinstance(data, dict):
                return {k: v * scale for k, v in data.items()}
            return data * scale
        if mode == "dtypes":
            return {c: str(t) for c, t in data.dtypes.items()} | {
                "binary_value": data["bin"][0].decode() if "bin" in data else None,
                "datetime_value": str(data["when"][0]) if "when" in data else None}
        if mode == "shapes":
            import numpy as np
            import pandas as pd
            what = params["what"]
            return {"series": pd.Series([1.5, 2.5], name="y"), "scalar": np.int64(7),
                    "dict": {"a": np.float32(0.5), "b": np.array([1, 2])},
                    "nan": np.array([float("nan"), float("inf"), -float("inf")]),
                    "frame": pd.DataFrame({"x": [1, 2], "s": ["p", "q"]}),
                    "bytes": [b"hi"],
                    "huge": "x" * (65 << 20)}[what]
        if mode == "raise":
            raise ValueError("the model refuses row %r" % (data.iloc[0].tolist(),))
        if mode == "misbehave":
            what = data["what"][0]
            if what == "sleep":
                time.sleep(120)
            elif what == "exit":
                os._exit(3)
            elif what == "sigkill":
                os.kill(os.getpid(), signal.SIGKILL)
            elif what == "garbage":
                os.write(3, b"Z\xff\xff\xff\xffgarbage")
                time.sleep(120)
            elif what == "print":
                print("noise on stdout\n" * 1000, flush=True)
                sys.stdout.buffer.write(b"O\x00\x00\x00\x05{}   ")
                sys.stdout.flush()
            return [what, os.getpid()]
        if mode == "warn":
            import warnings
            warnings.simplefilter("default")  # as libraries do: the "seen" registry is reset
            warnings.warn("careful with row %d" % len(data))
            return 1
        if mode == "env":
            return [os.environ.get(k) for k in ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS")]
        if mode == "fds":
            return sorted(int(n) for n in os.listdir("/proc/self/fd"))
        if mode == "barrier":
            # Parallel workers: each leaves its pid in a directory and waits (bounded) until
            # the other one is there too; one worker alone would only ever see itself.
            d = self.conf["dir"]
            open(os.path.join(d, str(os.getpid())), "w").close()
            for _ in range(400):
                if len(os.listdir(d)) >= 2:
                    break
                time.sleep(0.025)
            return [len(os.listdir(d)), os.getpid()]
        return None

def _load_pyfunc(path):
    with open(path) as f:
        return Model(json.load(f))
'''


def custom_model(tmp_path, mode, name=None, **conf):
    flavors = {"python_function": {"loader_module": "mlflowc_test_model", "code": "code", "data": "conf.json",
                                   "env": {"virtualenv": "python_env.yaml"}}}
    files = {"code/mlflowc_test_model.py": CUSTOM_MODULE, "conf.json": json.dumps({"mode": mode, **conf})}
    return write_model(tmp_path / (name or mode), flavors, files)


def test_custom_loader_module_from_code_with_params(drive, tmp_path):
    path = custom_model(tmp_path, "echo")
    d = ready(drive(path))
    got = d.ask(frame(["x", "y"], ["long", "double"], [[1, 0.5], [2, -1.5]], {"scale": 3}))
    assert got == {"predictions": [{"x": 3, "y": 1.5}, {"x": 6, "y": -4.5}]}
    assert d.ask(tensor([[1, 2]], "int64")) == {"predictions": [[1, 2]]}
    assert d.ask(tensor({"t": [1.5]}, "float32", {"scale": 2})) == {"predictions": {"t": [3.0]}}
    d.close()
    assert not list(path.rglob("__pycache__")), "the worker wrote into the model directory"


def test_frame_columns_get_the_dtypes_of_their_mlflow_types(drive, tmp_path):
    d = ready(drive(custom_model(tmp_path, "dtypes")))
    types = ["long", "integer", "double", "float", "boolean", "string", "datetime", "binary"]
    cols = ["l", "i", "d", "f", "b", "s", "when", "bin"]
    row = [1, 2, 0.5, 1.5, True, "x", "2024-03-01T12:30:00", "aGVsbG8=\n"]
    got = d.ask(frame(cols, types, [row]))["predictions"]
    assert got == {"l": "int64", "i": "int32", "d": "float64", "f": "float32", "b": "bool", "s": "object",
                   "when": "datetime64[ns]", "bin": "object", "binary_value": "hello",
                   "datetime_value": "2024-03-01 12:30:00"}


@pytest.mark.parametrize("what,want", [
    ("series", [{"y": 1.5}, {"y": 2.5}]),           # MLflow: a Series becomes a frame's records
    ("scalar", 7),
    ("dict", {"a": 0.5, "b": [1, 2]}),
    ("frame", [{"x": 1, "s": "p"}, {"x": 2, "s": "q"}]),
    ("bytes", ["aGk=\n"]),                            # base64, as MLflow's encoder writes bytes
])
def test_outputs_are_written_as_mlflow_writes_them(drive, tmp_path, what, want):
    d = ready(drive(custom_model(tmp_path, "shapes")))
    assert d.ask(tensor([0], params={"what": what})) == {"predictions": want}


def test_predictions_over_the_answer_limit_are_refused_and_the_worker_lives(drive, tmp_path):
    d = ready(drive(custom_model(tmp_path, "shapes")))
    got = d.ask(tensor([0], params={"what": "huge"}))
    assert got["error_code"] == "INTERNAL_ERROR"
    assert "more than the limit of 67108864" in got["message"]
    assert d.ask(tensor([0], params={"what": "scalar"})) == {"predictions": 7}
    assert d.ask({"cmd": "restarts"}) == {"restarts": 0}


def test_nan_and_infinities_travel_as_pythons_json_writes_them(drive, tmp_path):
    d = ready(drive(custom_model(tmp_path, "shapes")))
    d.proc.stdin.write(json.dumps(tensor([0], params={"what": "nan"})) + "\n")
    d.proc.stdin.flush()
    select.select([d.proc.stdout], [], [], ANSWER_TIMEOUT)
    assert d.proc.stdout.readline().strip() == '{"predictions": [NaN, Infinity, -Infinity]}'


def test_a_model_that_raises_is_bad_request_with_its_message_and_traceback(drive, tmp_path):
    d = ready(drive(custom_model(tmp_path, "raise")))
    got = d.ask(frame(["v"], ["double"], [[2.5]]))
    assert got["error_code"] == "BAD_REQUEST"
    assert got["message"].startswith("Encountered an unexpected error while evaluating the model.")
    assert "ValueError: the model refuses row [2.5]" in got["message"]
    assert "mlflowc_test_model.py" in got["stack_trace"] and "Traceback" in got["stack_trace"]
    # the worker lives on
    assert d.ask(frame(["v"], ["double"], [[1.0]]))["error_code"] == "BAD_REQUEST"
    assert d.ask({"cmd": "restarts"}) == {"restarts": 0}


def misbehave(d, what):
    return d.ask(frame(["what"], ["string"], [[what]]))


def test_a_worker_past_the_timeout_is_killed_and_replaced(drive, tmp_path):
    d = ready(drive(custom_model(tmp_path, "misbehave"), "--timeout-ms", 1500))
    pid = misbehave(d, "ok")["predictions"][1]
    got = misbehave(d, "sleep")
    assert got["error_code"] == "DEADLINE_EXCEEDED", got
    assert not Path(f"/proc/{pid}").exists(), "the hung worker was not killed and reaped"
    again = misbehave(d, "ok")
    assert again["predictions"][0] == "ok" and again["predictions"][1] != pid
    assert d.ask({"cmd": "restarts"}) == {"restarts": 1}
    d.close()


@pytest.mark.parametrize("what,how", [("exit", "exited with code 3"),
                                      ("sigkill", "killed by signal 9 (SIGKILL)")])
def test_a_worker_that_dies_mid_request_fails_it_and_the_next_one_works(drive, tmp_path, what, how):
    d = ready(drive(custom_model(tmp_path, "misbehave")))
    got = misbehave(d, what)
    assert got["error_code"] == "TEMPORARILY_UNAVAILABLE", got
    assert how in got["message"]
    assert misbehave(d, "ok")["predictions"][0] == "ok"
    d.close()


def test_a_worker_that_answers_garbage_is_replaced(drive, tmp_path):
    d = ready(drive(custom_model(tmp_path, "misbehave")))
    got = misbehave(d, "garbage")
    assert got["error_code"] == "INTERNAL_ERROR", got
    assert "garbage" in got["message"]
    assert misbehave(d, "ok")["predictions"][0] == "ok"


def test_a_model_printing_to_stdout_does_not_break_the_framing(drive, tmp_path):
    d = ready(drive(custom_model(tmp_path, "misbehave")))
    for _ in range(3):
        assert misbehave(d, "print")["predictions"][0] == "print"
    err = d.close()
    assert "noise on stdout" in err  # the worker's stdout is the server's stderr


def test_a_warning_repeated_by_every_prediction_is_logged_once(drive, tmp_path):
    d = ready(drive(custom_model(tmp_path, "warn")))
    for _ in range(5):
        assert d.ask(tensor([0])) == {"predictions": 1}
    assert d.ask(tensor([0, 1])) == {"predictions": 1}
    err = d.close()
    assert err.count("careful with row 1") == 1, err
    assert err.count("careful with row 2") == 1, err


def test_workers_run_numeric_libraries_single_threaded_unless_told_otherwise(drive, tmp_path):
    env = {k: v for k, v in os.environ.items() if not k.endswith("_NUM_THREADS")}
    d = ready(drive(custom_model(tmp_path, "env"), env=env))
    assert d.ask(tensor([0])) == {"predictions": ["1", "1", "1"]}
    d = ready(drive(custom_model(tmp_path, "env", name="env2"), env={**env, "OMP_NUM_THREADS": "4"}))
    assert d.ask(tensor([0])) == {"predictions": ["4", "1", "1"]}


def test_workers_inherit_no_descriptor_but_their_channel(drive, tmp_path):
    d = ready(drive(custom_model(tmp_path, "fds"), "--workers", 2))
    fds = d.ask(tensor([0]))["predictions"]
    # 0, 1, 2, the channel 3, and the one listdir itself opened
    assert len(fds) == 5 and fds[:4] == [0, 1, 2, 3], fds


def test_two_workers_predict_in_parallel(drive, tmp_path):
    barrier = tmp_path / "barrier"
    barrier.mkdir()
    d = ready(drive(custom_model(tmp_path, "barrier", name="barrier-model", dir=str(barrier)), "--workers", 2))
    got = d.ask({"cmd": "parallel", "n": 2, "request": tensor([0])}, timeout=60)
    seen = [r["predictions"] for r in got["results"]]
    assert [s[0] for s in seen] == [2, 2], seen
    assert seen[0][1] != seen[1][1]


def test_workers_die_with_the_server_and_unload_reaps_them(drive, tmp_path):
    d = ready(drive(custom_model(tmp_path, "misbehave"), "--workers", 2))
    pids = {r["predictions"][1] for r in
            d.ask({"cmd": "parallel", "n": 4, "request": frame(["what"], ["string"], [["ok"]])})["results"]}
    d.close()
    assert not [p for p in pids if Path(f"/proc/{p}").exists()], "unload left workers behind"

    d = ready(drive(custom_model(tmp_path, "misbehave", name="again"), "--workers", 2))
    pid = misbehave(d, "ok")["predictions"][1]
    d.proc.kill()  # no unload: the parent-death signal and EOF take the workers
    d.proc.wait()
    for _ in range(500):
        if not Path(f"/proc/{pid}").exists():
            break
        time.sleep(0.01)
    assert not Path(f"/proc/{pid}").exists(), "a worker outlived its server"


def test_a_path_leaving_the_model_directory_is_refused(drive, tmp_path):
    (tmp_path / "outside.pkl").write_bytes(pickle.dumps(trained()))
    flavors = {"python_function": {"loader_module": "mlflow.sklearn", "model_path": "../outside.pkl"},
               "sklearn": {"pickled_model": "model.pkl", "serialization_format": "pickle"}}
    d = drive(write_model(tmp_path / "escape", flavors))
    assert d.first["load_error"]["error_code"] == "INVALID_PARAMETER_VALUE", d.first
    assert "../outside.pkl" in d.first["load_error"]["message"]


def test_a_model_that_fails_to_load_says_why(drive, tmp_path):
    flavors = {"python_function": {"loader_module": "no_such_module_here"}}
    files = {"requirements.txt": "mlflow==2.17.0\nno-such-module-here==1.0\n"}
    d = drive(write_model(tmp_path / "broken", flavors, files))
    err = d.first["load_error"]
    assert "No module named 'no_such_module_here'" in err["message"]
    assert "no-such-module-here==1.0" in err["message"]


# ---- environments -------------------------------------------------------------------------

def test_local_with_an_interpreter_that_does_not_exist(drive, tmp_path):
    path, _ = sklearn_model(tmp_path, "pickle")
    d = drive(path, "--python", "/nonexistent/python3")
    assert d.first["load_error"]["error_code"] == "INVALID_PARAMETER_VALUE"
    assert "/nonexistent/python3" in d.first["load_error"]["message"]


@pytest.mark.parametrize("manager", ["conda", "uv"])
def test_conda_and_uv_without_their_tool_are_a_clear_error(drive, tmp_path, manager):
    path, _ = sklearn_model(tmp_path, "pickle")
    d = drive(path, "--env-manager", manager, env={**os.environ, "PATH": "/usr/bin:/bin"})
    msg = d.first["load_error"]["message"]
    assert f"--env-manager {manager} needs the {manager} command, which is not on PATH" in msg


def test_unknown_env_manager_is_refused(drive, tmp_path):
    path, _ = sklearn_model(tmp_path, "pickle")
    d = drive(path, "--env-manager", "pipenv")
    assert "Invalid value 'pipenv' for --env-manager" in d.first["load_error"]["message"]


def venv_model(tmp_path, name, requirements, python="3.11.2", fmt="pickle"):
    path, model = sklearn_model(tmp_path / name, fmt)
    (path / "requirements.txt").write_text(requirements)
    (path / "python_env.yaml").write_text(f"python: {python}\nbuild_dependencies: []\n"
                                          "dependencies:\n- -r requirements.txt\n")
    return path, model


def test_virtualenv_with_system_site_packages_is_built_once_and_cached(drive, tmp_path):
    cache = tmp_path / "envs"
    path, model = venv_model(tmp_path, "v1", "scikit-learn\nnumpy\n", python="3.8.10")
    d = drive(path, "--env-manager", "virtualenv", "--system-site-packages", "--env-cache", cache,
              load_timeout=600)
    ready(d)
    got = d.ask(frame(COLUMNS, ["double"] * 3, ROWS))
    assert got == {"predictions": model.predict(pd.DataFrame(ROWS, columns=COLUMNS)).tolist()}
    err = d.close()
    assert "asks for Python 3.8.10" in err  # a warning, not an error
    envs = [e for e in cache.iterdir()]
    assert len(envs) == 1 and (envs[0] / ".mlflowc-env-ready").exists() and (envs[0] / "bin/python").exists()
    stamp = (envs[0] / ".mlflowc-env-ready").stat().st_mtime_ns

    d = ready(drive(path, "--env-manager", "virtualenv", "--system-site-packages", "--env-cache", cache))
    d.close()
    assert [e for e in cache.iterdir()] == envs, "a second environment was built"
    assert (envs[0] / ".mlflowc-env-ready").stat().st_mtime_ns == stamp


def test_two_servers_building_the_same_virtualenv_at_once_share_one(tmp_path):
    cache = tmp_path / "envs"
    path, model = venv_model(tmp_path, "v3", "numpy\n")
    args = ["--env-manager", "virtualenv", "--system-site-packages", "--env-cache", cache]
    both = [Drive(path, *args, load_timeout=600) for _ in range(2)]  # both start before either loads
    try:
        for d in both:
            ready(d)
            got = d.ask(frame(COLUMNS, ["double"] * 3, ROWS))
            assert got == {"predictions": model.predict(pd.DataFrame(ROWS, columns=COLUMNS)).tolist()}
            d.close()
    finally:
        for d in both:
            if d.proc.poll() is None:
                d.proc.kill()
    entries = sorted(e.name for e in cache.iterdir())
    assert len(entries) == 1 and not entries[0].startswith("."), entries  # no half-built copy left


def test_virtualenv_with_a_requirement_pip_cannot_install_is_a_clear_error(drive, tmp_path):
    cache = tmp_path / "envs"
    path, _ = venv_model(tmp_path, "v2", "no-such-package-mlflowc-test==9.9.9\n")
    d = drive(path, "--env-manager", "virtualenv", "--system-site-packages", "--env-cache", cache,
              load_timeout=600)
    err = d.first["load_error"]
    assert err["error_code"] == "INTERNAL_ERROR"
    assert "installing the model's requirements with pip failed" in err["message"]
    assert "no-such-package-mlflowc-test" in err["message"]  # pip's own last lines
    assert list(cache.iterdir()) == [], "a half-built environment was left"


def test_virtualenv_without_pandas_refuses_frames_clearly(drive, tmp_path):
    path = custom_model(tmp_path, "echo", name="bare")
    d = ready(drive(path, "--env-manager", "virtualenv", "--env-cache", tmp_path / "envs", load_timeout=600))
    got = d.ask(frame(["x"], ["long"], [[1]]))
    assert got["error_code"] == "BAD_REQUEST"
    assert "needs pandas" in got["message"]


# ---- through HTTP: `mlflowc models serve` ----------------------------------------------------

def serve(tmp_path, model, *args):
    from conftest import free_local_port, launch_server

    port = free_local_port()
    logs = tmp_path / "serve-logs"
    logs.mkdir(exist_ok=True)
    command = [mlflowc_bin_path(), "models", "serve", "-m", model, "-p", port, *args]
    return launch_server(command, port, tmp_path, log_dir=logs)


def post(srv, payload, content_type="application/json"):
    import requests

    body = payload if isinstance(payload, str) else json.dumps(payload)
    return requests.post(srv.url + "/invocations", data=body, headers={"Content-Type": content_type}, timeout=60)


def test_serve_sklearn_models_over_http_as_debian_sklearn_predicts(tmp_path):
    from conftest import stop_server

    path, model = sklearn_model(tmp_path, "cloudpickle")
    srv = serve(tmp_path, path, "-w", "2")
    try:
        want = model.predict(pd.DataFrame(ROWS, columns=COLUMNS)).tolist()
        got = post(srv, {"dataframe_split": {"columns": COLUMNS, "data": ROWS}})
        assert got.status_code == 200, got.text
        assert got.json() == {"predictions": want}
        records = [dict(zip(COLUMNS, r)) for r in ROWS]
        assert post(srv, {"dataframe_records": records}).json() == {"predictions": want}
        csv = "a,b,c\n" + "\n".join(",".join(map(repr, r)) for r in ROWS) + "\n"
        assert post(srv, csv, "text/csv").json() == {"predictions": want}
    finally:
        stop_server(srv)


def test_serve_answers_model_failures_with_mlflows_statuses(tmp_path):
    from conftest import stop_server

    srv = serve(tmp_path, custom_model(tmp_path, "misbehave"), "-t", "2")
    try:
        def ask(what):
            return post(srv, {"dataframe_split": {"columns": ["what"], "data": [[what]]}})

        assert ask("ok").status_code == 200
        late = ask("sleep")
        assert late.status_code == 504 and "Request processing time exceeded limit" in late.text
        died = ask("exit")
        assert died.status_code == 503, died.text
        assert died.json()["error_code"] == "TEMPORARILY_UNAVAILABLE"
        assert "exited with code 3" in died.json()["message"]
        again = ask("ok")
        assert again.status_code == 200 and again.json()["predictions"][0] == "ok"
        pid = again.json()["predictions"][1]
    finally:
        stop_server(srv)
    assert not Path(f"/proc/{pid}").exists(), "a worker outlived the server's clean stop"


def test_serve_a_model_that_raises_is_400_bad_request(tmp_path):
    from conftest import stop_server

    srv = serve(tmp_path, custom_model(tmp_path, "raise"))
    try:
        got = post(srv, {"dataframe_split": {"columns": ["v"], "data": [[1.5]]}})
        assert got.status_code == 400
        assert got.json()["error_code"] == "BAD_REQUEST"
        assert "the model refuses row [1.5]" in got.json()["message"]
        # as MLflow's scoring server, the model's traceback comes along
        assert "Traceback" in got.json()["stack_trace"] and "ValueError" in got.json()["stack_trace"]
    finally:
        stop_server(srv)


# ---- xgboost through Python xgboost -------------------------------------------------------------

XGBOOST_FIXTURE = "a87b23e9fa18407697b66b41df42ea81/artifacts/model"


def test_mlflow_2_17_xgboost_booster_through_python_predicts_as_xgboost(drive):
    xgb = pytest.importorskip("xgboost")
    path = shared_fixture(XGBOOST_FIXTURE)
    booster = xgb.Booster()
    booster.load_model(str(path / "model.xgb"))
    rows = [[0.5, 1.5], [3.0, 0.0], [-1.0, 4.0]]
    d = ready(drive(path))
    got = d.ask(tensor(rows))
    assert got == {"predictions": booster.predict(xgb.DMatrix(np.array(rows))).tolist()}


def test_xgboost_sklearn_classifier_predicts_labels(drive, tmp_path):
    xgb = pytest.importorskip("xgboost")
    rng = np.random.default_rng(3)
    x = rng.normal(size=(80, 2))
    y = (x[:, 0] > x[:, 1]).astype(int)
    clf = xgb.XGBClassifier(n_estimators=5, max_depth=2).fit(x, y)
    path = tmp_path / "xgbc"
    path.mkdir()
    clf.save_model(str(path / "model.json"))
    flavors = {"python_function": {"loader_module": "mlflow.xgboost", "data": "model.json"},
               "xgboost": {"data": "model.json", "model_class": "xgboost.sklearn.XGBClassifier",
                           "model_format": "json"}}
    (path / "MLmodel").write_text(json.dumps({"flavors": flavors}))
    rows = [[1.0, -1.0], [-2.0, 0.5], [0.1, 0.2]]
    d = ready(drive(path))
    assert d.ask(tensor(rows)) == {"predictions": clf.predict(np.array(rows)).tolist()}

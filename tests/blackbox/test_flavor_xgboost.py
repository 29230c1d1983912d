"""The native xgboost flavor (src/model/flavor_xgboost.c) against Debian's
Python xgboost, driven directly through tests/tools/flavor_predict.c (a
model directory opened with model_dir_open, loaded with
flavor_xgboost.load, one request per line; built here against the server
archive beside MLFLOWC_BIN), and once through `mlflowc models serve`.

Models are trained here with python3-xgboost (small: a few trees, a few
hundred rows, well under a second in all) and saved as MLflow's
save_model saves them: the native file model.<format> and an MLmodel with
the xgboost and python_function flavors. For every model class the flavor
runs (Booster with binary:logistic and multi:softprob, XGBClassifier
binary and multiclass, XGBRegressor, one stopped early, one gblinear,
XGBRFRegressor)
and every format
MLflow writes (xgb, json, ubj), the predictions on the same rows,
including missing values, must be the very text Python's json writes for
what MLflow's pyfunc predict returns (Booster.predict(DMatrix(df)) or the
wrapper's predict, loaded back from the file as MLflow loads it): equal
text is equal float32 bits. The model MLflow 2.17 logged in the shared
fixture store is served the same way. Bad input (wrong feature names, a
string column, a 1-D tensor, unsupported params) and bad models (unknown
class or format, a corrupt file, a path leaving the directory, a missing
libxgboost) are refused with what is wrong.
"""

import json
import math
import os
import shutil
import subprocess
from pathlib import Path

import pytest
import requests

from conftest import build_with_libmlflowc, free_local_port, launch_server, stop_server

np = pytest.importorskip("numpy")
pd = pytest.importorskip("pandas")
xgb = pytest.importorskip("xgboost")

REPO_ROOT = Path(__file__).resolve().parents[2]
FIXTURE_MODEL = "fixtures/mlflow-stores/mlflow-2.17-sqlite/artifacts/5/a87b23e9fa18407697b66b41df42ea81/artifacts/model"
FORMATS = ["xgb", "json", "ubj"]
COLUMNS = ["a", "b", "c", "d"]


@pytest.fixture(scope="module")
def tool(tmp_path_factory):
    """tests/tools/flavor_predict.c built against the server archive beside
    the binary under test (so the ASan build tests the ASan flavor)."""
    out = tmp_path_factory.mktemp("tool") / "flavor_predict"
    return build_with_libmlflowc([REPO_ROOT / "tests" / "tools" / "flavor_predict.c"], out,
                                 archive="libmlflowc-server.a")


def run(tool, model_dir, requests, env=None):
    """The tool's answer lines: the accepts() verdict, then one per request."""
    text = "".join(json.dumps(r) + "\n" for r in requests)
    proc = subprocess.run([str(tool), str(model_dir)], input=text, capture_output=True, text=True, timeout=120,
                          env=env)
    lines = proc.stdout.splitlines()
    assert lines, proc.stderr
    return proc.returncode, lines


def rows(n=40, seed=7):
    """Test rows with missing values in every column and a row all missing."""
    rng = np.random.default_rng(seed)
    x = rng.normal(size=(n, 4)) * 2
    x[rng.random(size=x.shape) < 0.15] = np.nan
    x[min(3, n - 1), :] = np.nan
    x[min(5, n - 1), 0] = 0.0
    return x


def cells(x):
    return [[None if math.isnan(v) else float(v) for v in row] for row in x]


def frame_request(x, columns=COLUMNS, params=None):
    return {"kind": "frame", "columns": columns, "data": cells(x), "params": params}


def python_json(pred):
    """What MLflow's scoring server writes for the predictions: json.dumps
    of ndarray.tolist() (its default separators)."""
    return json.dumps(np.asarray(pred).tolist())


def save_mlflow_model(directory, model, fmt, model_class):
    directory.mkdir(parents=True)
    data = f"model.{fmt}"
    model.save_model(str(directory / data))
    (directory / "MLmodel").write_text(f"""artifact_path: model
flavors:
  python_function:
    data: {data}
    env:
      conda: conda.yaml
      virtualenv: python_env.yaml
    loader_module: mlflow.xgboost
    python_version: 3.11.2
  xgboost:
    code: null
    data: {data}
    model_class: {model_class}
    model_format: {fmt}
    xgb_version: {xgb.__version__}
mlflow_version: 2.17.0
""")
    return directory


def train_data(n=300, seed=0):
    rng = np.random.default_rng(seed)
    x = rng.normal(size=(n, 4))
    x[rng.random(size=x.shape) < 0.1] = np.nan
    score = np.nan_to_num(x[:, 0]) + 0.5 * np.nan_to_num(x[:, 1]) - np.nan_to_num(x[:, 2]) ** 2
    return x, score


def make_models(root):
    """(name, MLflow model_class, xgboost object, how MLflow's pyfunc predicts)."""
    x, score = train_data()
    df = pd.DataFrame(x, columns=COLUMNS)
    binary = (score > 0).astype(int)
    three = np.digitize(score, [-1.0, 0.5])
    params = {"max_depth": 3, "eta": 0.3, "nthread": 1}
    booster_bin = xgb.train({**params, "objective": "binary:logistic"}, xgb.DMatrix(df, label=binary), 8)
    booster_multi = xgb.train({**params, "objective": "multi:softprob", "num_class": 3},
                              xgb.DMatrix(x, label=three), 6)
    clf_bin = xgb.XGBClassifier(n_estimators=8, max_depth=3, n_jobs=1).fit(df, binary)
    clf_multi = xgb.XGBClassifier(n_estimators=6, max_depth=3, n_jobs=1).fit(df, three)
    reg = xgb.XGBRegressor(n_estimators=10, max_depth=3, n_jobs=1).fit(x, score * 100)
    rf = xgb.XGBRFRegressor(n_estimators=4, max_depth=3, n_jobs=1).fit(df, score)
    # stopped early: predict uses the trees up to best_iteration only
    xv, sv = train_data(100, seed=1)
    early = xgb.XGBRegressor(n_estimators=40, max_depth=4, eta=0.8, early_stopping_rounds=2, n_jobs=1)
    early.fit(df, score, eval_set=[(pd.DataFrame(xv, columns=COLUMNS), sv)], verbose=False)
    assert early.best_iteration + 1 < early.get_booster().num_boosted_rounds()
    linear = xgb.XGBRegressor(booster="gblinear", n_estimators=5, n_jobs=1).fit(df, score)
    return [
        ("booster_binary", "xgboost.core.Booster", booster_bin),
        ("booster_softprob", "xgboost.core.Booster", booster_multi),
        ("classifier_binary", "xgboost.sklearn.XGBClassifier", clf_bin),
        ("classifier_multiclass", "xgboost.sklearn.XGBClassifier", clf_multi),
        ("regressor", "xgboost.sklearn.XGBRegressor", reg),
        ("rf_regressor", "xgboost.sklearn.XGBRFRegressor", rf),
        ("early_stopped", "xgboost.sklearn.XGBRegressor", early),
        ("linear", "xgboost.sklearn.XGBRegressor", linear),
    ]


def mlflow_load(model_class, path):
    """The model as mlflow.xgboost._load_model loads it: the class, then
    load_model(path)."""
    cls = {"xgboost.core.Booster": xgb.Booster, "xgboost.sklearn.XGBClassifier": xgb.XGBClassifier,
           "xgboost.sklearn.XGBRegressor": xgb.XGBRegressor,
           "xgboost.sklearn.XGBRFRegressor": xgb.XGBRFRegressor}[model_class]
    model = cls()
    model.load_model(str(path))
    return model


def mlflow_predict(model, df, **params):
    """_XGBModelWrapper.predict: Booster.predict(DMatrix(df)) or the
    wrapper's predict, validate_features=True."""
    if isinstance(model, xgb.Booster):
        return model.predict(xgb.DMatrix(df), validate_features=True, **params)
    return model.predict(df, validate_features=True, **params)


@pytest.fixture(scope="module")
def models(tmp_path_factory):
    root = tmp_path_factory.mktemp("xgb-models")
    out = []
    for name, model_class, model in make_models(root):
        for fmt in FORMATS:
            directory = save_mlflow_model(root / f"{name}-{fmt}", model, fmt, model_class)
            out.append((f"{name}-{fmt}", model_class, directory))
    return out


def test_predictions_equal_python_xgboost(tool, models):
    x = rows()
    for name, model_class, directory in models:
        model = mlflow_load(model_class, directory / f"model.{name.rsplit('-', 1)[1]}")
        names = model.feature_names if isinstance(model, xgb.Booster) else model.get_booster().feature_names
        columns = names or ["f0", "f1", "f2", "f3"]
        df = pd.DataFrame(x, columns=columns)
        want_all = python_json(mlflow_predict(model, df))
        want_one = python_json(mlflow_predict(model, df.iloc[:1]))
        want_margin = python_json(mlflow_predict(model, df, output_margin=True))
        requests = [frame_request(x, columns), frame_request(x[:1], columns),
                    frame_request(x, columns, params={"output_margin": True})]
        if not names:  # a tensor goes by position
            requests.append({"kind": "tensor", "data": cells(x)})
        rc, lines = run(tool, directory, requests)
        assert rc == 0 and lines[0] == "ACCEPTS", (name, lines)
        assert lines[1] == want_all, name
        assert lines[2] == want_one, name
        assert lines[3] == want_margin, name
        if not names:
            assert lines[4] == want_all, name


def test_outputs_have_the_shape_of_each_class(tool, models):
    """Labels for classifiers (ints), a row of probabilities per input row
    for softprob, one float per row for the rest."""
    x = rows(6)
    by_name = {name: directory for name, _, directory in models}
    want_kind = {"booster_binary-json": float, "booster_softprob-json": list, "classifier_binary-json": int,
                 "classifier_multiclass-json": int, "regressor-json": float}
    for name, kind in want_kind.items():
        columns = COLUMNS if not name.startswith(("regressor", "booster_softprob")) else ["f0", "f1", "f2", "f3"]
        _, lines = run(tool, by_name[name], [frame_request(x, columns)])
        got = json.loads(lines[1])
        assert len(got) == 6 and all(type(v) is kind for v in got), (name, got)
    _, lines = run(tool, by_name["classifier_multiclass-ubj"], [frame_request(x)])
    assert set(json.loads(lines[1])) <= {0, 1, 2}
    _, lines = run(tool, by_name["booster_softprob-xgb"], [frame_request(x, ["f0", "f1", "f2", "f3"])])
    assert all(len(r) == 3 for r in json.loads(lines[1]))


def test_the_model_mlflow_logged(tool, tmp_path):
    shared = Path(os.environ.get("MLFLOWC_SHARED", REPO_ROOT.parent / "shared"))
    source = shared / FIXTURE_MODEL
    if not source.is_dir():
        pytest.skip(f"the shared fixture store is absent ({source}): MLflow 2.17's xgboost model is not checked")
    directory = tmp_path / "model"
    shutil.copytree(source, directory)
    booster = xgb.Booster()
    booster.load_model(str(directory / "model.xgb"))
    width = booster.num_features()
    x = rows(25)[:, :width]
    df = pd.DataFrame(x)  # the booster has no feature names: by position
    want = python_json(booster.predict(xgb.DMatrix(df)))
    columns = [str(i) for i in range(width)]
    rc, lines = run(tool, directory, [frame_request(x, columns), {"kind": "tensor", "data": cells(x)}])
    assert rc == 0 and lines[0] == "ACCEPTS"
    assert lines[1] == want
    assert lines[2] == want


def test_bad_input_is_refused_like_xgboost(tool, models):
    by_name = {name: directory for name, _, directory in models}
    x = rows(3)
    _, lines = run(tool, by_name["booster_binary-json"], [  # xgb files keep no feature names
        frame_request(x, ["a", "b", "c", "x"]),
        frame_request(x[:, :3], ["a", "b", "c"]),
        {"kind": "frame", "columns": COLUMNS, "data": [[1, 2, "red", 4]]},
        {"kind": "tensor", "data": [1, 2, 3, 4]},
        {"kind": "tensor", "data": [[1, 2], [3]]},
        frame_request(x, params={"pred_contribs": True}),
        frame_request(x, params={"some_feature_store_param": 3}),
    ])
    assert lines[1].startswith("ERROR BAD_REQUEST feature_names mismatch: ['a', 'b', 'c', 'd'] ['a', 'b', 'c', 'x']"
                               "\\nexpected d in input data\\ntraining data did not have the following fields: x")
    assert lines[2].startswith("ERROR BAD_REQUEST feature_names mismatch:") and "expected d" in lines[2]
    assert lines[3].startswith("ERROR BAD_REQUEST") and "Invalid columns:c" in lines[3]
    assert lines[4].startswith("ERROR BAD_REQUEST Expecting 2 dimensional")
    assert lines[5].startswith("ERROR BAD_REQUEST") and "row 1" in lines[5]
    assert lines[6] == "ERROR BAD_REQUEST param pred_contribs is not supported by the native xgboost flavor"
    # MLflow drops params predict does not take
    assert json.loads(lines[7]) and not lines[7].startswith("ERROR")
    # a wrapper without feature names wants every column
    _, lines = run(tool, by_name["regressor-json"], [{"kind": "tensor", "data": cells(x[:, :3])}])
    assert lines[1].startswith("ERROR BAD_REQUEST xgboost refused the input:") and "(3 vs. 4)" in lines[1]


def mlmodel_with(directory, **changes):
    text = (directory / "MLmodel").read_text()
    for key, value in changes.items():
        text = "\n".join(f"    {key}: {value}" if line.startswith(f"    {key}:") else line
                         for line in text.split("\n"))
    (directory / "MLmodel").write_text(text)


def test_models_refused_with_a_reason(tool, models, tmp_path):
    source = dict((n, d) for n, _, d in models)["booster_binary-json"]

    def variant(name, **changes):
        directory = tmp_path / name
        shutil.copytree(source, directory)
        mlmodel_with(directory, **changes)
        return directory

    rc, lines = run(tool, variant("pipeline", model_class="sklearn.pipeline.Pipeline"), [])
    assert rc == 2
    assert lines[0] == ("REFUSES model_class sklearn.pipeline.Pipeline is not an xgboost model class the native "
                        "flavor runs")
    assert lines[1].startswith("LOAD-ERROR INVALID_PARAMETER_VALUE model_class sklearn.pipeline.Pipeline")
    rc, lines = run(tool, variant("pickle", model_format="pkl"), [])
    assert rc == 2 and lines[0] == "REFUSES model_format pkl is not one of xgb, json, ubj"
    rc, lines = run(tool, variant("escape", data="../booster_binary-xgb/model.xgb"), [])
    assert rc == 2 and lines[1].startswith("LOAD-ERROR INVALID_PARAMETER_VALUE"), lines
    rc, lines = run(tool, variant("absent", data="model.nothere"), [])
    assert rc == 2 and lines[1].startswith("LOAD-ERROR RESOURCE_DOES_NOT_EXIST"), lines
    corrupt = variant("corrupt")
    (corrupt / "model.json").write_text('{"learner": "not a model"')
    rc, lines = run(tool, corrupt, [])
    assert rc == 2 and lines[1].startswith("LOAD-ERROR INVALID_PARAMETER_VALUE libxgboost cannot read the model "
                                           "file model.json"), lines
    # no class recorded: a Booster, as MLflow defaults
    plain = variant("plain")
    (plain / "MLmodel").write_text("\n".join(line for line in (plain / "MLmodel").read_text().split("\n")
                                             if "model_class" not in line))
    rc, lines = run(tool, plain, [frame_request(rows(2))])
    assert rc == 0 and lines[0] == "ACCEPTS" and len(json.loads(lines[1])) == 2


def test_without_libxgboost_the_error_says_what_to_install(tool, models):
    directory = models[0][2]
    env = dict(os.environ, MLFLOWC_LIBXGBOOST="/nonexistent/libxgboost.so.0")
    rc, lines = run(tool, directory, [frame_request(rows(1))], env=env)
    assert rc == 2
    assert lines[1].startswith("LOAD-ERROR INTERNAL_ERROR the xgboost flavor needs libxgboost "
                               "(Debian: apt-get install libxgboost0), or serve the model with --flavor "
                               "python_function; cannot load /nonexistent/libxgboost.so.0"), lines


def test_a_booster_without_names_takes_fewer_columns(tool, models):
    """DMatrix(df) leaves the booster's other features missing."""
    directory = dict((n, d) for n, _, d in models)["booster_binary-xgb"]  # xgb files keep no names
    booster = mlflow_load("xgboost.core.Booster", directory / "model.xgb")
    x = rows(10)[:, :3]
    want = python_json(booster.predict(xgb.DMatrix(pd.DataFrame(x))))
    _, lines = run(tool, directory, [frame_request(x, ["0", "1", "2"]), {"kind": "tensor", "data": cells(x)}])
    assert lines[1] == want
    assert lines[2] == want


def test_models_serve_answers_what_mlflow_answers(mlflowc_bin, models, tmp_path):
    """Through the scoring server: the whole body equals what MLflow's
    scoring server writes, json.dumps({"predictions": pred.tolist()})."""
    by_name = {name: (cls, d) for name, cls, d in models}
    x = rows(12)
    for name in ["classifier_multiclass-json", "booster_softprob-ubj", "regressor-xgb"]:
        model_class, directory = by_name[name]
        model = mlflow_load(model_class, directory / f"model.{name.rsplit('-', 1)[1]}")
        names = model.feature_names if isinstance(model, xgb.Booster) else model.get_booster().feature_names
        columns = names or ["f0", "f1", "f2", "f3"]
        want = json.dumps({"predictions": np.asarray(mlflow_predict(model, pd.DataFrame(x, columns=columns))).tolist()})
        port = free_local_port()
        running = launch_server([mlflowc_bin, "models", "serve", "-m", directory, "-h", "127.0.0.1", "-p", port],
                                port, tmp_path)
        try:
            body = json.dumps({"dataframe_split": {"columns": columns, "data": cells(x)}})
            answer = requests.post(f"{running.url}/invocations", data=body,
                                   headers={"Content-Type": "application/json"}, timeout=30)
            assert answer.status_code == 200, answer.text
            assert answer.text == want, name
            csv = ",".join(columns) + "\n" + "\n".join(",".join("" if math.isnan(v) else repr(float(v)) for v in row)
                                                         for row in x) + "\n"
            answer = requests.post(f"{running.url}/invocations", data=csv, headers={"Content-Type": "text/csv"},
                                   timeout=30)
            assert answer.status_code == 200 and answer.text == want, (name, answer.text)
        finally:
            stop_server(running)

# pyworker.py - mlflowc's own loader and predictor for python_function
# models, run by each worker process of the pool in src/model/pyworker.c.
#
# It is embedded into the binary (tools/embed-text) and started as
# `python3 -B -c CODE`: nothing is written into the model directory. It talks
# to the server over descriptor 3 only (a Unix socket); its stdout is the
# server's stderr, so a model that prints cannot corrupt the framing.
#
# Frames: server -> worker is a 4-byte big-endian length and a payload (the
# first one the JSON configuration, then one JSON request line each, as
# scoring_input_to_json() writes it); worker -> server is a 1-byte tag, a
# 4-byte big-endian length and a payload:
#   R  ready, {"python": "3.11.2"}        L  the model failed to load, {"message", "stack_trace"}
#   O  the predictions' JSON text          E  the model refused the input, {"message", "stack_trace"}
#   I  the predictions could not be sent, {"message"}
#
# Loaders (facts of MLflow's formats, spec section 9; none of MLflow's code):
#   mlflow.sklearn   the pickle (model_path / pickled_model) with pickle or
#                    cloudpickle, no mlflow package; predict_fn is called
#   mlflow.xgboost   Python xgboost: Booster or the sklearn wrapper classes
#   other mlflow.*   the mlflow package when it imports (mlflow.pyfunc.load_model)
#   anything else    a custom module, code/ on sys.path, _load_pyfunc(data_path)
# Without what a loader needs the worker says what to install, before ready.
import base64
import datetime
import importlib
import inspect
import json
import os
import struct
import sys
import traceback

FD = 3
HEAD = struct.Struct(">I")
ANSWER_HEAD = struct.Struct(">cI")


class Channel:
    """Frames over descriptor FD, read through one reusable buffer."""

    def __init__(self):
        self.pending = b""

    def read_exact(self, n):
        parts = [self.pending]
        have = len(self.pending)
        while have < n:
            chunk = os.read(FD, max(65536, n - have))
            if not chunk:
                # The server closed its end (or died): nothing left to do.
                os._exit(0)
            parts.append(chunk)
            have += len(chunk)
        data = b"".join(parts) if len(parts) > 1 else parts[0]
        self.pending = data[n:]
        return data[:n]

    def read_frame(self):
        (n,) = HEAD.unpack(self.read_exact(4))
        return self.read_exact(n)

    def send(self, tag, payload):
        if isinstance(payload, str):
            payload = payload.encode("utf-8", "surrogatepass")
        view = memoryview(ANSWER_HEAD.pack(tag, len(payload)) + payload)
        while view:
            sent = os.write(FD, view)
            view = view[sent:]

    def send_json(self, tag, obj):
        self.send(tag, json.dumps(obj))


class LoadError(Exception):
    """The model cannot load here; the message says what to install or fix."""


def add_code_path(code_dir):
    # As MLflow does for a model's `code`: the directory and its
    # subdirectories go first on sys.path.
    subdirs = []
    for entry in sorted(os.listdir(code_dir)):
        full = os.path.join(code_dir, entry)
        if entry != "__pycache__" and os.path.isdir(full):
            subdirs.append(full)
    sys.path[:0] = [code_dir] + subdirs


def requirement_of(cfg, name):
    for line in cfg.get("requirements") or []:
        base = line.split(";")[0].strip()
        for sep in ("==", ">=", "<=", "~=", "!=", ">", "<", "[", " "):
            base = base.split(sep)[0]
        if base.strip().lower().replace("_", "-") == name:
            return line.strip()
    return name


def import_for(cfg, module, package):
    try:
        return importlib.import_module(module)
    except ImportError as e:
        raise LoadError(
            "model '%s' needs the %s package in its Python environment (%s): pip install %s%s"
            % (cfg["name"], package, e, requirement_of(cfg, package), cfg.get("hint_suffix", ""))
        ) from e


def load_sklearn(cfg):
    paths = cfg["paths"]
    sk = cfg["flavors"].get("sklearn") or {}
    path = paths.get("data")
    if path and os.path.isfile(path):
        # Models of MLflow <= 1.9 name the pickle in `data`; they were pickle.
        fmt = "pickle"
    else:
        path = paths.get("model_path") or paths.get("pickled_model")
        if not path:
            raise LoadError("model '%s' names no pickle (python_function model_path, sklearn pickled_model)" % cfg["name"])
        fmt = sk.get("serialization_format") or "pickle"
    if fmt == "cloudpickle":
        loader = import_for(cfg, "cloudpickle", "cloudpickle")
    elif fmt == "pickle":
        import pickle as loader
    else:
        raise LoadError(
            "model '%s' is saved as %s, which mlflowc's sklearn loader does not read (pickle and cloudpickle only)"
            % (cfg["name"], fmt)
        )
    import_for(cfg, "sklearn", "scikit-learn")
    with open(path, "rb") as f:
        return loader.load(f)


class XGBoostModel:
    def __init__(self, model, booster):
        self.model = model
        self.booster = booster

    def predict(self, data, params=None):
        if self.booster:
            import xgboost

            return self.model.predict(xgboost.DMatrix(data), **(params or {}))
        return self.model.predict(data, **(params or {}))


def load_xgboost(cfg):
    xgb = import_for(cfg, "xgboost", "xgboost")
    conf = cfg["flavors"].get("xgboost") or {}
    path = cfg["paths"].get("data")
    if not path:
        raise LoadError("model '%s' names no xgboost model file (data)" % cfg["name"])
    cls_name = conf.get("model_class") or "xgboost.core.Booster"
    mod_name, _, attr = cls_name.rpartition(".")
    cls = getattr(importlib.import_module(mod_name), attr)
    model = cls()
    model.load_model(path)
    return XGBoostModel(model, isinstance(model, xgb.Booster))


class MlflowPyfunc:
    def __init__(self, model):
        self.model = model

    def predict(self, data, params=None):
        return self.model.predict(data, params=params)


def load_with_mlflow(cfg):
    try:
        import mlflow.pyfunc
    except ImportError as e:
        raise LoadError(
            "model '%s' (loader_module %s) needs the mlflow package in its Python environment: pip install %s%s"
            % (cfg["name"], cfg["loader"], cfg.get("mlflow_requirement") or "mlflow", cfg.get("hint_suffix", ""))
        ) from e
    return MlflowPyfunc(mlflow.pyfunc.load_model(cfg["root"]))


def load_custom(cfg):
    module = importlib.import_module(cfg["loader"])
    if not hasattr(module, "_load_pyfunc"):
        raise LoadError("loader_module %s of model '%s' has no _load_pyfunc" % (cfg["loader"], cfg["name"]))
    return module._load_pyfunc(cfg["paths"].get("data") or cfg["root"])


def load(cfg):
    code = cfg["paths"].get("code")
    if code:
        add_code_path(code)
    loader = cfg["loader"]
    if loader == "mlflow.sklearn":
        impl = load_sklearn(cfg)
    elif loader == "mlflow.xgboost":
        impl = load_xgboost(cfg)
    elif loader == "mlflow" or loader.startswith("mlflow."):
        impl = load_with_mlflow(cfg)
    else:
        impl = load_custom(cfg)
    name = cfg.get("predict_fn") or "predict"
    fn = getattr(impl, name, None)
    if not callable(fn):
        raise LoadError("model '%s' has no method %s (predict_fn)" % (cfg["name"], name))
    try:
        takes_params = "params" in inspect.signature(fn).parameters
    except (TypeError, ValueError):
        takes_params = False
    as_array = False
    if loader == "mlflow.sklearn":
        takes_params = False  # MLflow's sklearn wrapper takes params and ignores them
        as_array = fitted_on_arrays(impl)
    return fn, takes_params, as_array


def fitted_on_arrays(model):
    # A plain sklearn estimator fitted without column names: the first thing its predict
    # does with a frame is turn it into the same array (check_array) and warn that the
    # names are ignored, so a frame of one numeric dtype goes to it as that array, at a
    # fraction of the cost. Pipelines and column transformers, which may select columns by
    # name, always get the frame.
    return (
        type(model).__module__.startswith("sklearn.")
        and hasattr(model, "n_features_in_")
        and not hasattr(model, "feature_names_in_")
        and not hasattr(model, "steps")
        and not hasattr(model, "transformers")
    )


NUMPY_OF = {
    "long": "int64",
    "integer": "int32",
    "double": "float64",
    "float": "float32",
    "boolean": "bool",
    "string": "object",
}


def column(np, pd, values, mlflow_type):
    if mlflow_type == "binary":
        return np.array(
            [v if v is None else base64.decodebytes(v.encode("utf8")) for v in values], dtype=object
        )
    if mlflow_type == "datetime":
        return pd.to_datetime(values).values.astype("datetime64[ns]")
    dtype = NUMPY_OF.get(mlflow_type)
    if dtype is not None and (dtype == "object" or None not in values):
        return np.array(values, dtype=dtype)
    # Missing values, composite or unknown types: what pandas infers.
    return pd.Series(values).values


def frame(msg, as_array=False):
    try:
        import numpy as np
        import pandas as pd
    except ImportError as e:
        raise ValueError(
            "this request is a frame of named columns, which needs pandas in the model's Python environment (%s)" % e
        )
    cols = msg["columns"]
    types = msg.get("types") or []
    rows = msg["data"]
    if len(set(cols)) != len(cols):
        return pd.DataFrame(rows, columns=cols)
    # Fast path: one numeric dtype for every column and no missing value, built as one
    # array (a frame of per-column arrays costs several times more to assemble).
    dtypes = {NUMPY_OF.get(t) for t in types} if len(types) == len(cols) else {None}
    if len(dtypes) == 1:
        dtype = dtypes.pop()
        if dtype not in (None, "object") and rows and not any(v is None for row in rows for v in row):
            array = np.array(rows, dtype=dtype)
            return array if as_array else pd.DataFrame(array, columns=cols, copy=False)
    data = {}
    for i, name in enumerate(cols):
        data[name] = column(np, pd, [row[i] for row in rows], types[i] if i < len(types) else "any")
    return pd.DataFrame(data, columns=cols)


def tensor(msg):
    import numpy as np

    dtype = msg.get("dtype")
    data = msg["data"]
    if isinstance(data, dict):
        return {k: np.asarray(v, dtype=dtype) for k, v in data.items()}
    return np.asarray(data, dtype=dtype)


def encode_other(o):
    # What MLflow's JSON encoder does with numpy and pandas values.
    import numpy as np

    if isinstance(o, np.ndarray):
        return o.tolist()
    if isinstance(o, np.datetime64):
        return np.datetime_as_string(o)
    if isinstance(o, np.generic):
        return o.item()
    if isinstance(o, (bytes, bytearray)):
        return base64.encodebytes(o).decode("ascii")
    if isinstance(o, datetime.date) or type(o).__name__ == "Timestamp":
        return o.isoformat()
    raise TypeError("Object of type %s is not JSON serializable" % type(o).__name__)


def jsonable(result):
    mod = type(result).__module__
    if mod.startswith("numpy") and hasattr(result, "tolist"):
        return result.tolist()
    if mod.startswith("pandas"):
        import pandas as pd

        if isinstance(result, pd.DataFrame):
            return result.to_dict(orient="records")
        if isinstance(result, pd.Series):
            return pd.DataFrame(result).to_dict(orient="records")
    return result


def error_of(exc):
    text = "".join(traceback.format_exception_only(type(exc), exc)).strip()
    return {"message": text, "stack_trace": traceback.format_exc()}


def serve(chan, fn, takes_params, as_array, max_answer):
    dumps = json.JSONEncoder(default=encode_other).encode
    while True:
        request = chan.read_frame()
        try:
            msg = json.loads(request)
            data = frame(msg, as_array) if msg.get("kind") == "frame" else tensor(msg)
            params = msg.get("params")
        except Exception as e:
            chan.send_json(b"E", error_of(e))
            continue
        try:
            result = fn(data, params=params) if takes_params else fn(data)
        except Exception as e:
            chan.send_json(b"E", error_of(e))
            continue
        try:
            text = dumps(jsonable(result))
        except Exception as e:
            chan.send_json(b"I", {"message": "the predictions could not be written as JSON: %s" % e})
            continue
        if len(text) > max_answer:
            chan.send_json(
                b"I",
                {"message": "the predictions take %d bytes, more than the limit of %d" % (len(text), max_answer)},
            )
            continue
        chan.send(b"O", text)


def warn_once():
    # Libraries re-arm their warnings on every call (sklearn's "X has feature names, but ..."
    # fires per request once anything resets the warning filters): each distinct warning is
    # written to the log once, not once per prediction.
    import warnings

    seen = set()
    show = warnings.showwarning

    def once(message, category, filename, lineno, file=None, line=None):
        key = (str(message), category, filename, lineno)
        if key in seen:
            return
        if len(seen) < 10000:
            seen.add(key)
        show(message, category, filename, lineno, file, line)

    warnings.showwarning = once


def main():
    warn_once()
    chan = Channel()
    cfg = json.loads(chan.read_frame())
    try:
        fn, takes_params, as_array = load(cfg)
    except LoadError as e:
        chan.send_json(b"L", {"message": str(e), "stack_trace": ""})
        return
    except BaseException as e:
        err = error_of(e)
        err["message"] = "model '%s' could not be loaded: %s" % (cfg["name"], err["message"])
        if isinstance(e, ImportError) and cfg.get("requirements"):
            err["message"] += " (its requirements.txt asks for: %s)" % ", ".join(cfg["requirements"])
        chan.send_json(b"L", err)
        return
    chan.send_json(b"R", {"python": "%d.%d.%d" % sys.version_info[:3]})
    serve(chan, fn, takes_params, as_array, int(cfg.get("max_answer") or (64 << 20)))


main()

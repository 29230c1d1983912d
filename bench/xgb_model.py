"""xgb_model.py - writes a small xgboost model the way MLflow's
mlflow.xgboost.save_model lays it out (model.<format> and an MLmodel with
the xgboost and python_function flavors), for bench/xgb_bench.c and the
serving benchmark.

    /usr/bin/python3 bench/xgb_model.py DIR [xgb|json|ubj] [Booster|XGBClassifier]

The model: 4 features a, b, c, d, 100 trees of depth 6, binary:logistic
(about the size of the small model the issue's reference figures used).
"""

import sys
from pathlib import Path

import numpy as np
import pandas as pd
import xgboost as xgb

out = Path(sys.argv[1])
fmt = sys.argv[2] if len(sys.argv) > 2 else "xgb"
kind = sys.argv[3] if len(sys.argv) > 3 else "Booster"
rng = np.random.default_rng(0)
x = pd.DataFrame(rng.normal(size=(2000, 4)), columns=list("abcd"))
y = ((x.a + x.b * x.c - x.d ** 2) > 0).astype(int)
if kind == "Booster":
    model = xgb.train({"objective": "binary:logistic", "max_depth": 6, "nthread": 2}, xgb.DMatrix(x, label=y), 100)
    model_class = "xgboost.core.Booster"
else:
    model = xgb.XGBClassifier(n_estimators=100, max_depth=6, n_jobs=2).fit(x, y)
    model_class = "xgboost.sklearn.XGBClassifier"
out.mkdir(parents=True, exist_ok=True)
model.save_model(str(out / f"model.{fmt}"))
(out / "MLmodel").write_text(f"""artifact_path: model
flavors:
  python_function:
    data: model.{fmt}
    env:
      conda: conda.yaml
      virtualenv: python_env.yaml
    loader_module: mlflow.xgboost
    python_version: 3.11.2
  xgboost:
    code: null
    data: model.{fmt}
    model_class: {model_class}
    model_format: {fmt}
    xgb_version: {xgb.__version__}
mlflow_version: 2.17.0
""")
print(out)

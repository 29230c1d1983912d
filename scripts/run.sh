#!/usr/bin/env bash
# run.sh - sets up and starts the server on the embedded default store:
# installs missing build packages, builds, and runs `mlflowc server` on
# 127.0.0.1:5000 with ./mlflow.db and ./mlartifacts. Extra arguments go to
# `mlflowc server` (see `build/mlflowc server --help`).
set -euo pipefail
here=$(cd "$(dirname "$0")/.." && pwd)
"$here/scripts/deps.sh" build
make -C "$here" -j"$(nproc 2>/dev/null || echo 2)" >/dev/null
exec "$here/build/mlflowc" server "$@"

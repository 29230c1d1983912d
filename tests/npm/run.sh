#!/usr/bin/env bash
# Runs the npm `mlflow` 2.0.7 client tests against mlflowc (client.test.mjs; auth.test.mjs with basic-auth on): installs the locked deps when needed,
# then node's test runner. Server binary: $MLFLOWC_BIN (default ../../build/mlflowc). Exits non-zero on any failure.
set -eu
cd "$(dirname "$0")"

# npm writes node_modules/.package-lock.json on every install: reinstall when it is missing or stale.
if [ ! -f node_modules/.package-lock.json ] || [ package-lock.json -nt node_modules/.package-lock.json ]; then
    npm ci --no-audit --no-fund
fi

exec node --test client.test.mjs auth.test.mjs

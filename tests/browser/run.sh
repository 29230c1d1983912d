#!/usr/bin/env bash
# Runs the browser tests of the web UI against mlflowc: installs the locked
# playwright-core when needed, then node's test runner. Server binary:
# $MLFLOWC_BIN (default ../../build/mlflowc); browser: /usr/bin/chromium
# (scripts/deps.sh test installs it). Exits non-zero on any failure.
set -eu
cd "$(dirname "$0")"

# A server built with a Node too old for Vite has no UI to test (tools/ui-build.sh).
if ! node -e 'const [a] = process.versions.node.split(".").map(Number);
process.exit(a === 18 || a === 20 || a >= 22 ? 0 : 1)'; then
    echo "browser test: SKIPPED: Node.js $(node --version) is too old to build the web UI (needs 18, 20 or >= 22)" >&2
    exit 0
fi
if [ ! -f node_modules/.package-lock.json ] || [ package-lock.json -nt node_modules/.package-lock.json ]; then
    npm ci --no-audit --no-fund --loglevel=error
fi
# The scale test seeds 10,000 runs (2,000 under ASan, where test.sh sets
# ASAN_OPTIONS) and prints its timings; MLFLOWC_UI_SCALE_RUNS=0 skips it.
runs=${MLFLOWC_UI_SCALE_RUNS:-$([ -n "${ASAN_OPTIONS:-}" ] && echo 2000 || echo 10000)}
# every *.test.mjs but the scale test, which runs last when enabled
tests=()
for t in *.test.mjs; do [ "$t" = scale.test.mjs ] || tests+=("$t"); done
[ "$runs" -gt 0 ] && tests+=(scale.test.mjs)
MLFLOWC_UI_SCALE_RUNS=$runs exec node --test --test-concurrency=1 "${tests[@]}"

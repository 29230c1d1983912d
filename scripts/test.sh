#!/usr/bin/env bash
# test.sh - the one command that installs what is missing, builds and runs
# every test: unit tests and black-box tests (conformance replay, bad input,
# the npm client) on a gcc build, the unit tests on a clang build, the
# five libFuzzer targets for FUZZ_SECONDS (default 30) each, about 2.5
# minutes together, and the whole suite again on an ASan+UBSan build. CI
# runs exactly this.
set -euo pipefail
cd "$(dirname "$0")/.."

scripts/deps.sh test
jobs=$(nproc 2>/dev/null || echo 2)

blackbox() { # $1: the server binary to test
	MLFLOWC_BIN="$PWD/$1" /usr/bin/python3 -m pytest -q -p no:cacheprovider tests/conformance tests/blackbox
	MLFLOWC_BIN="$PWD/$1" bash tests/npm/run.sh
	MLFLOWC_BIN="$PWD/$1" MLFLOWC_SCREENSHOTS="$PWD/${1%/mlflowc}/ui-screenshots" bash tests/browser/run.sh
}

echo "== gcc build, unit tests, black-box tests"
make -j"$jobs" WERROR=1 all unit
blackbox build/mlflowc

echo "== clang build, unit tests"
make -j"$jobs" WERROR=1 CC=clang BUILD=build/clang all unit

echo "== libFuzzer targets (clang, ASan+UBSan), ${FUZZ_SECONDS:-30} s each"
make -j"$jobs" WERROR=1 fuzz FUZZ_SECONDS="${FUZZ_SECONDS:-30}"

echo "== ASan+UBSan build, the whole suite"
export ASAN_OPTIONS=detect_leaks=1:abort_on_error=1:halt_on_error=1
export UBSAN_OPTIONS=print_stacktrace=1:halt_on_error=1
make -j"$jobs" WERROR=1 SANITIZE=1 all unit
blackbox build/asan/mlflowc
echo "== all tests passed"

#!/usr/bin/env bash
# test.sh - the one command that installs what is missing, builds and runs
# every test: unit tests and black-box tests (conformance replay, bad input,
# the npm client, the web UI, every route with every role) on a gcc build,
# the unit tests on a clang build, every libFuzzer target (tests/fuzz, ten
# of them) for FUZZ_SECONDS (default 20) each, and the whole suite again on
# an ASan+UBSan build. CI runs exactly this; on a 2-core machine it takes
# about half an hour.
#
# MLFLOWC_TEST_PG=1 (the default) adds a pass on PostgreSQL after the gcc
# black-box run: a throwaway cluster (scripts/pg_test_cluster.sh), then the
# black-box suite, the conformance replay, the replica test and the store's
# unit tests with MLF_TEST_STORE_URI on it. MLFLOWC_TEST_PG=0 leaves it out.
set -euo pipefail
cd "$(dirname "$0")/.."
MLFLOWC_TEST_PG=${MLFLOWC_TEST_PG:-1}

scripts/deps.sh test
jobs=$(nproc 2>/dev/null || echo 2)

blackbox() { # $1: the server binary to test
	MLFLOWC_BIN="$PWD/$1" /usr/bin/python3 -m pytest -q -p no:cacheprovider tests/conformance tests/blackbox
	MLFLOWC_BIN="$PWD/$1" bash tests/npm/run.sh
	MLFLOWC_BIN="$PWD/$1" MLFLOWC_SCREENSHOTS="$PWD/${1%/mlflowc}/ui-screenshots" bash tests/browser/run.sh
}

# The black-box files whose servers never use the store under test (their
# stores are SQLite files they name themselves, or they test HTTP handling
# or model serving only): on PostgreSQL they would repeat the SQLite pass
# for about two minutes.
pg_pass_ignore=(test_import.py test_import_mlruns.py test_store_recognition.py test_install.py
	test_pyflavor.py test_flavor_xgboost.py test_models_docker.py test_slow_clients.py test_bench_auth.py)

pg_pass() { # $1: the server binary to test; run in a subshell: nothing of it outlives the pass
	local ignore=() t
	pg_dir=$(mktemp -d /tmp/mlflowc-pg.XXXXXX) # not local: the EXIT trap reads it after the return
	trap 'scripts/pg_test_cluster.sh stop "$pg_dir"' EXIT
	eval "$(scripts/pg_test_cluster.sh start "$pg_dir")"
	for t in "${pg_pass_ignore[@]}"; do ignore+=(--ignore "tests/blackbox/$t"); done
	MLFLOWC_BIN="$PWD/$1" /usr/bin/python3 -m pytest -q -p no:cacheprovider "${ignore[@]}" \
		tests/conformance tests/blackbox
	# the store's unit tests: those that open their store through tests/unit/store_fixture.h
	for t in $(grep -l '"store_fixture.h"' tests/unit/test_*.c); do
		t=$(dirname "$1")/tests/$(basename "$t" .c)
		echo "== $t (PostgreSQL)"
		"$t"
	done
	echo "== the connection layer on a server (PostgreSQL)"
	"$(dirname "$1")/tests/test_pg_conn"
}

echo "== gcc build, unit tests, black-box tests"
make -j"$jobs" WERROR=1 all unit bench # bench: test_bench_store.py drives the load generator
blackbox build/mlflowc

if [ "$MLFLOWC_TEST_PG" = 1 ]; then
	echo "== black-box tests on PostgreSQL (gcc build; MLFLOWC_TEST_PG=0 leaves this out)"
	(pg_pass build/mlflowc)
fi

echo "== clang build, unit tests"
make -j"$jobs" WERROR=1 CC=clang BUILD=build/clang all unit

echo "== libFuzzer targets (clang, ASan+UBSan), ${FUZZ_SECONDS:-20} s each"
make -j"$jobs" WERROR=1 fuzz FUZZ_SECONDS="${FUZZ_SECONDS:-20}"

echo "== ASan+UBSan build, the whole suite"
export ASAN_OPTIONS=detect_leaks=1:abort_on_error=1:halt_on_error=1
export UBSAN_OPTIONS=print_stacktrace=1:halt_on_error=1
make -j"$jobs" WERROR=1 SANITIZE=1 all unit
blackbox build/asan/mlflowc
echo "== all tests passed"

#!/bin/sh
# bench/run.sh - builds the server and the load generator (`make bench`) and
# runs the benchmark against a fresh server on a free 127.0.0.1 port.
#
#   bench/run.sh              the full run (about a minute)
#   bench/run.sh --quick      a smoke run with tiny counts (a few seconds)
#   bench/run.sh --help       every option (counts, connections, --keep, ...)
#   bench/run.sh --store postgresql://...   the PostgreSQL store (a fresh database
#                             per run on that server); --store both: side by side
#
# Extra arguments go to build/bench/loadgen. CC=clang works as for make. The
# exit status is non-zero only if the build fails or the server misbehaves
# (wrong answers, crash); a figure that misses its target is reported, not
# fatal. See bench/README.md.
set -eu
cd "$(dirname "$0")/.."
make -s bench >&2
exec build/bench/loadgen --server build/mlflowc "$@"

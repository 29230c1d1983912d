#!/usr/bin/env bash
# pg_test_cluster.sh - a throwaway PostgreSQL cluster for the tests: the
# PostgreSQL store's black-box and unit tests and the replica test need a
# real server, and CI has no service to lean on, so this makes one in a
# temporary directory, on a free 127.0.0.1 port, and throws it away after.
#
#   eval "$(scripts/pg_test_cluster.sh start [DIR])"   # DIR: new or empty; default mktemp -d
#   scripts/pg_test_cluster.sh env DIR                  # the export lines again
#   scripts/pg_test_cluster.sh stop DIR                 # stops it, removes DIR
#
# `start` prints lines to eval:
#   export MLF_TEST_PG_DIR=DIR                 what `stop` takes
#   export MLF_TEST_PG_ADMIN=postgresql://postgres@127.0.0.1:PORT/postgres
#   export MLF_TEST_STORE_URI='postgresql://postgres@127.0.0.1:PORT/{id}'
# (tests/blackbox/conftest.py and tests/unit/store_fixture.h create the {id}
# databases through MLF_TEST_PG_ADMIN). Everything else goes to stderr.
#
# The cluster: Debian's postgresql package (the newest major installed under
# /usr/lib/postgresql/*/bin), superuser "postgres", trust authentication on
# 127.0.0.1 only (no other address, no Unix socket), max_connections 300 so
# that many test servers with their pools fit, small shared_buffers. initdb
# and pg_ctl refuse to run as root: as root they run as the "postgres" user
# the package creates (through runuser) and DIR is chowned to it; otherwise
# as the caller. A test cluster gives up durability for speed (fsync off,
# synchronous_commit off: every test makes a database) unless
# PG_TEST_CLUSTER_DURABLE=1, which a benchmark wants. Waits are bounded: a
# cluster not accepting connections within PG_TEST_CLUSTER_WAIT seconds
# (default 60) is stopped, DIR removed, and the exit status is 1.
set -euo pipefail

usage() { echo "usage: $0 start [DIR] | env DIR | stop DIR" >&2; exit 2; }

pg_bin_dir() {
	local d
	d=$(ls -d /usr/lib/postgresql/*/bin 2>/dev/null | sort -t/ -k5,5n | tail -n 1)
	[ -n "$d" ] && [ -x "$d/initdb" ] || {
		echo "pg_test_cluster: no PostgreSQL server under /usr/lib/postgresql/*/bin (apt-get install postgresql)" >&2
		exit 1
	}
	echo "$d"
}

# Runs a PostgreSQL server program as the cluster's owner.
as_owner() {
	if [ "$(id -u)" -eq 0 ]; then
		runuser -u postgres -- "$@"
	else
		"$@"
	fi
}

free_port() {
	python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])'
}

print_env() { # $1: DIR
	local port
	port=$(cat "$1/port" 2>/dev/null) || { echo "pg_test_cluster: no cluster in $1" >&2; exit 1; }
	echo "export MLF_TEST_PG_DIR='$1'"
	echo "export MLF_TEST_PG_ADMIN=postgresql://postgres@127.0.0.1:$port/postgres"
	echo "export MLF_TEST_STORE_URI='postgresql://postgres@127.0.0.1:$port/{id}'"
}

stop_cluster() { # $1: DIR
	local dir=$1 bin
	[ -d "$dir" ] || return 0
	if [ -f "$dir/data/postmaster.pid" ]; then
		bin=$(pg_bin_dir)
		as_owner "$bin/pg_ctl" -D "$dir/data" -m immediate -w -t 30 stop >/dev/null 2>&1 || true
	fi
	# only what start made: refuse to remove a directory that is not a cluster's
	if [ -f "$dir/port" ] || [ -d "$dir/data" ] || [ -z "$(ls -A "$dir")" ]; then
		rm -rf "$dir"
	else
		echo "pg_test_cluster: $dir is not a test cluster's directory; left alone" >&2
	fi
}

start_cluster() { # $1: DIR or ""
	local dir=${1:-} bin port tries
	bin=$(pg_bin_dir)
	if [ -z "$dir" ]; then
		dir=$(mktemp -d /tmp/mlflowc-pg.XXXXXX)
	else
		mkdir -p "$dir"
		[ -z "$(ls -A "$dir")" ] || { echo "pg_test_cluster: $dir is not empty" >&2; exit 1; }
		dir=$(cd "$dir" && pwd)
	fi
	# a start that fails half way leaves nothing running and nothing behind
	trap 'stop_cluster "$dir"' EXIT
	if [ "$(id -u)" -eq 0 ]; then
		id postgres >/dev/null 2>&1 || { echo "pg_test_cluster: running as root needs the 'postgres' user" >&2; exit 1; }
		chown postgres "$dir"
		chmod 700 "$dir"
	fi
	as_owner "$bin/initdb" -D "$dir/data" -U postgres -A trust -E UTF8 --locale=C.UTF-8 \
		>"$dir/initdb.log" 2>&1 || { cat "$dir/initdb.log" >&2; exit 1; }
	local durable=off
	[ "${PG_TEST_CLUSTER_DURABLE:-0}" = 1 ] && durable=on
	# loopback only, trust: the cluster holds nothing but test data and dies with the run
	printf '%s\n' "host all all 127.0.0.1/32 trust" >"$dir/pg_hba.conf.new"
	as_owner cp "$dir/pg_hba.conf.new" "$dir/data/pg_hba.conf"
	rm -f "$dir/pg_hba.conf.new"
	cat >"$dir/extra.conf" <<-CONF
		listen_addresses = '127.0.0.1'
		unix_socket_directories = ''
		max_connections = 300
		shared_buffers = 32MB
		fsync = $durable
		synchronous_commit = $durable
		full_page_writes = $durable
		logging_collector = off
		log_min_messages = warning
	CONF
	as_owner sh -c "cat '$dir/extra.conf' >> '$dir/data/postgresql.conf'"
	rm -f "$dir/extra.conf"
	local wait_s=${PG_TEST_CLUSTER_WAIT:-60}
	for tries in 1 2 3 4 5; do
		port=$(free_port)
		# the log lives in DIR, which the owner can write; DIR itself is removed by stop
		if as_owner "$bin/pg_ctl" -D "$dir/data" -o "-p $port" -l "$dir/data/server.log" -w -t "$wait_s" start \
			>/dev/null 2>&1; then
			break
		fi
		# another program may have taken the port between the probe and the bind: try another
		as_owner "$bin/pg_ctl" -D "$dir/data" -m immediate -w -t 10 stop >/dev/null 2>&1 || true
		if [ "$tries" = 5 ] || ! grep -q "could not bind\|Address already in use" "$dir/data/server.log" 2>/dev/null; then
			echo "pg_test_cluster: PostgreSQL did not start:" >&2
			tail -n 30 "$dir/data/server.log" >&2 2>/dev/null || true
			exit 1
		fi
	done
	# pg_ctl -w waited for "ready"; check a client gets in, a bounded number of times
	local ok=0
	for _ in $(seq 1 $((wait_s * 10))); do
		if "$bin/pg_isready" -q -h 127.0.0.1 -p "$port" -U postgres -d postgres; then
			ok=1
			break
		fi
		sleep 0.1
	done
	[ "$ok" = 1 ] || { echo "pg_test_cluster: PostgreSQL on port $port does not accept connections" >&2; exit 1; }
	echo "$port" >"$dir/port"
	trap - EXIT
	print_env "$dir"
}

cmd=${1:-}
case "$cmd" in
start) [ $# -le 2 ] || usage; start_cluster "${2:-}" ;;
env) [ $# -eq 2 ] || usage; print_env "$2" ;;
stop) [ $# -eq 2 ] || usage; stop_cluster "$2" ;;
*) usage ;;
esac

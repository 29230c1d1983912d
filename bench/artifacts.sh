#!/usr/bin/env bash
# artifacts.sh - artifact proxy throughput next to cp on the same disk, in one run.
#
#   bench/artifacts.sh [MiB]      default 1024
#
# Makes a file of random bytes, then times: cp of it (plus fsync of the copy,
# since the server fsyncs every upload before renaming it into place), an
# upload through the proxy (curl -T), and a download (curl -o) to the same
# disk, and again with the client discarding the bytes. Reports MB/s and each transfer as a share of cp (target >= 50%), and
# the server's peak RSS. A benchmark, not a test: it fails only when a
# transfer fails or the bytes differ.
set -euo pipefail
cd "$(dirname "$0")/.."
mib=${1:-1024}
make -s all >/dev/null
dir=$(mktemp -d /tmp/mlflowc-abench-XXXXXX)
port=$(/usr/bin/python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])')
server_pid=
cleanup() { [ -n "$server_pid" ] && kill "$server_pid" 2>/dev/null && wait "$server_pid" 2>/dev/null; rm -rf "$dir"; }
trap cleanup EXIT

head -c "${mib}M" /dev/urandom >"$dir/src.bin"
build/mlflowc server --backend-store-uri "sqlite:///$dir/mlflow.db" --artifacts-destination "$dir/artifacts" \
	--host 127.0.0.1 --port "$port" 2>"$dir/server.log" &
server_pid=$!
for _ in $(seq 1 200); do curl -sf "http://127.0.0.1:$port/health" >/dev/null && break; sleep 0.05; done

now() { date +%s.%N; }
rate() { awk -v mb="$mib" -v s="$1" 'BEGIN { printf "%.0f", mb * 1.048576 / s }'; }
url="http://127.0.0.1:$port/api/2.0/mlflow-artifacts/artifacts/bench/big.bin"

sync
t0=$(now); cp --sparse=never "$dir/src.bin" "$dir/copy.bin"; sync "$dir/copy.bin"; t1=$(now)
cp_s=$(awk -v a="$t0" -v b="$t1" 'BEGIN { print b - a }')
rm -f "$dir/copy.bin"; sync
t0=$(now); curl -sf -T "$dir/src.bin" "$url" >/dev/null; t1=$(now)
up_s=$(awk -v a="$t0" -v b="$t1" 'BEGIN { print b - a }')
t0=$(now); curl -sf -o "$dir/down.bin" "$url"; sync "$dir/down.bin"; t1=$(now)
down_s=$(awk -v a="$t0" -v b="$t1" 'BEGIN { print b - a }')
cmp -s "$dir/src.bin" "$dir/down.bin" || { echo "artifacts.sh: downloaded bytes differ" >&2; exit 1; }
# the same download with the client discarding the bytes: what the server
# itself sustains (cp copies inside the kernel; curl's writes to disk cost more)
t0=$(now); curl -sf -o /dev/null "$url"; t1=$(now)
null_s=$(awk -v a="$t0" -v b="$t1" 'BEGIN { print b - a }')
peak=$(awk '/VmHWM/ { printf "%.1f", $2 / 1024 }' "/proc/$server_pid/status")

cp_rate=$(rate "$cp_s"); up_rate=$(rate "$up_s"); down_rate=$(rate "$down_s"); null_rate=$(rate "$null_s")
share() { awk -v r="$1" -v c="$cp_rate" 'BEGIN { printf "%.0f", 100 * r / c }'; }
printf '\nmlflowc artifact proxy, %d MiB file (same disk)\n' "$mib"
printf '  %-28s %8s MB/s\n' "cp + fsync (reference)" "$cp_rate"
printf '  %-28s %8s MB/s  %4s%% of cp (target >= 50%%)\n' "upload through the proxy" "$up_rate" "$(share "$up_rate")"
printf '  %-28s %8s MB/s  %4s%% of cp (target >= 50%%)\n' "download through the proxy" "$down_rate" "$(share "$down_rate")"
printf '  %-28s %8s MB/s  %4s%% of cp\n' "download, client discards" "$null_rate" "$(share "$null_rate")"
printf '  %-28s %8s MB\n' "server peak RSS" "$peak"

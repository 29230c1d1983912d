#!/usr/bin/env bash
# deps.sh - installs the Debian packages mlflowc needs, only those missing.
#
#   scripts/deps.sh build   what building and running the server needs
#   scripts/deps.sh test    that plus the test tools (pytest, node/npm, clang and
#                           its libFuzzer runtime, PostgreSQL and nginx for the
#                           PostgreSQL pass and the replica test)
#
# Runs apt-get as root (or through sudo) only when something is missing, so
# it is cheap to call before every build.
set -euo pipefail

profile=${1:-build}
build_pkgs=(gcc make pkg-config libc6-dev libmicrohttpd-dev libjansson-dev libsqlite3-dev libcurl4-openssl-dev libexpat1-dev libyaml-dev zlib1g-dev libpq-dev libsodium-dev)
test_pkgs=(clang libclang-rt-14-dev libcmocka-dev python3 python3-pytest python3-requests sqlite3 awscli
	libxgboost-dev python3-xgboost python3-sklearn python3-pandas python3-venv zip unzip
	python3-numpy python3-cloudpickle
	python3-yaml
	postgresql nginx)

case "$profile" in
build) want=("${build_pkgs[@]}") ;;
test) want=("${build_pkgs[@]}" "${test_pkgs[@]}") ;;
*) echo "usage: $0 build|test" >&2; exit 2 ;;
esac
# Node.js and npm build the web UI (tools/ui-build.sh) and drive the npm
# client and browser tests; a machine may already have them from elsewhere
# (Debian 12's Node 18 is too old for Vite 7: the server is then built with
# a page saying so), so look for the commands, not the packages.
command -v node >/dev/null 2>&1 || want+=(nodejs)
command -v npm >/dev/null 2>&1 || want+=(npm)
# The browser test drives Debian's chromium through playwright-core.
if [ "$profile" = test ]; then
	want+=(chromium)
fi

missing=()
for p in "${want[@]}"; do
	dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
[ ${#missing[@]} -eq 0 ] && exit 0

echo "deps: installing ${missing[*]}" >&2
as_root=()
if [ "$(id -u)" -ne 0 ]; then
	command -v sudo >/dev/null 2>&1 || { echo "deps: need root (or sudo) to install: ${missing[*]}" >&2; exit 1; }
	as_root=(sudo)
fi
export DEBIAN_FRONTEND=noninteractive
# Packages with a service (postgresql, nginx) must not start it: the tests run
# their own throwaway PostgreSQL cluster and nginx on free ports, and Debian's
# nginx would take port 80 (its install fails when 80 is taken). A
# policy-rc.d that refuses every start does that, for this install only; one
# the machine already has is left as it is.
policy=/usr/sbin/policy-rc.d
if [ ! -e "$policy" ]; then
	printf '#!/bin/sh\n# scripts/deps.sh: no service starts during this install\nexit 101\n' |
		"${as_root[@]}" tee "$policy" >/dev/null
	"${as_root[@]}" chmod 755 "$policy"
	trap '"${as_root[@]}" rm -f "$policy"' EXIT
fi
"${as_root[@]}" apt-get update -qq
"${as_root[@]}" apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null

#!/usr/bin/env bash
# ui-build.sh - builds the web UI and writes it as a C file for the server.
#
#   tools/ui-build.sh <out.c>
#
# Runs `npm ci` when web/node_modules is missing or older than the lock
# file, type-checks and bundles with Vite when web/dist is older than its
# sources, then embeds web/dist with tools/embed-ui.mjs. Builds in
# build/, build/clang and build/asan share one web/dist; a lock keeps
# parallel makes from running npm at the same time.
#
# Vite 6 runs on Node 18 (what Debian 12 ships), 20 and >= 22. With an older
# Node the UI is skipped with a warning and the server serves a plain page
# saying so; the C build goes on. Without Node at all, this fails.
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
case $1 in /*) out=$1 ;; *) out=$PWD/$1 ;; esac
web=$root/web
mkdir -p "$(dirname "$out")" "$root/build"

if ! command -v node >/dev/null 2>&1; then
	echo "ui-build: node not found; the web UI needs Node.js >= 18 and npm (scripts/deps.sh build installs them)" >&2
	exit 1
fi

exec 9>"$root/build/.ui-build.lock"
flock 9

ver=$(node -p 'process.versions.node')
# Vite 6's engines field: ^18.0.0 || ^20.0.0 || >=22.0.0
if ! node -e 'const [a] = process.versions.node.split(".").map(Number);
process.exit(a === 18 || a === 20 || a >= 22 ? 0 : 1)'; then
	echo "ui-build: WARNING: Node.js $ver is too old for Vite 6 (needs 18, 20 or >= 22); building the server without the web UI" >&2
	ph=$root/build/ui-placeholder
	mkdir -p "$ph"
	cat >"$ph/index.html" <<HTML
<!doctype html><html lang="en"><head><meta charset="utf-8"><title>mlflowc</title></head>
<body style="font:16px system-ui;margin:3em">
<h1>mlflowc</h1>
<p>This server was built without its web UI: the build machine had Node.js $ver, and the UI's
bundler (Vite 6) needs Node.js 18, 20 or 22 and newer. Install one and run <code>make</code> again.</p>
<p>The REST API under <code>/api/2.0/mlflow/</code> works as usual.</p>
</body></html>
HTML
	node "$root/tools/embed-ui.mjs" "$ph" "$out"
	# dated 1970, so every make checks the Node version again and a newer
	# Node.js brings the real UI without a `make clean`
	touch -d @0 "$out"
	exit 0
fi

cd "$web"
if [ ! -f node_modules/.package-lock.json ] || [ package-lock.json -nt node_modules/.package-lock.json ]; then
	echo "  NPM     ci (web/)"
	npm ci --no-audit --no-fund --loglevel=error
fi
stamp=dist/.built
if [ ! -f "$stamp" ] || [ -n "$(find src index.html vite.config.ts tsconfig.json package-lock.json -newer "$stamp" -print -quit)" ]; then
	echo "  TSC     web/"
	node_modules/.bin/tsc --noEmit -p .
	echo "  VITE    web/dist"
	node_modules/.bin/vite build --logLevel warn
	touch "$stamp"
fi
node "$root/tools/embed-ui.mjs" dist "$out"

#!/usr/bin/env bash
# Installs the project's tools into .tools/ (npm registry only) and prints their paths.
# Idempotent: a second run costs a few milliseconds. Source it: `. scripts/tools.sh`.
set -euo pipefail
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
TOOLS="$ROOT/.tools"
DENO_VERSION="2.9.6"
BINARYEN_VERSION="132.0.0"

if [ ! -x "$TOOLS/node_modules/.bin/deno" ] || [ ! -x "$TOOLS/node_modules/.bin/wasm-opt" ]; then
  mkdir -p "$TOOLS"
  echo "tools: installing deno@$DENO_VERSION and binaryen@$BINARYEN_VERSION into .tools/" >&2
  (cd "$TOOLS" && [ -f package.json ] || echo '{"private":true}' > "$TOOLS/package.json")
  # Deno's npm package fetches its binary through an optional platform package, no script needed.
  npm install --prefix "$TOOLS" --no-audit --no-fund --loglevel=error \
    "deno@$DENO_VERSION" "binaryen@$BINARYEN_VERSION" >&2
fi
export DENO="$TOOLS/node_modules/.bin/deno"
export WASM_OPT="$TOOLS/node_modules/.bin/wasm-opt"
export PATH="$TOOLS/node_modules/.bin:$PATH"
"$DENO" --version >/dev/null

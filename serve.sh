#!/usr/bin/env bash
# Quick start, command 1: installs what is missing, rebuilds pkg/ only if the Rust sources
# changed since it was built, then serves functions/ on http://127.0.0.1:54321/functions/v1/<name>.
set -euo pipefail
cd "$(dirname "$0")"
. scripts/tools.sh
if [ "$(scripts/source-hash.sh)" != "$(cat pkg/SOURCE_HASH 2>/dev/null)" ]; then
  echo "serve: Rust sources changed since pkg/ was built; rebuilding" >&2
  ./build.sh
fi
exec "$DENO" task serve "$@"

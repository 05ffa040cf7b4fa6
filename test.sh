#!/usr/bin/env bash
# Quick start, command 2: every test. Installs what is missing (npm tools, wasm target,
# wasm-bindgen-cli, PostgreSQL and Redis from apt), then:
#   1. checks that the committed pkg/ matches the Rust sources;
#   2. Rust: fmt, clippy (native and wasm32), unit and integration tests;
#   3. rebuilds pkg/ with build.sh (proves the toolchain; the tests then use that build);
#   4. Deno: fmt, lint, type check, and every test in tests/ (real PostgreSQL on 127.0.0.1);
#   5. the benchmarks once in smoke mode (each contender must verify; no timing asserted).
set -euo pipefail
cd "$(dirname "$0")"
. scripts/tools.sh
export NO_COLOR=1

step() { printf '\n== %s\n' "$*"; }

step "pkg/ freshness (committed build vs Rust sources)"
"$DENO" test --allow-read tests/pkg_fresh_test.ts

step "Rust: fmt, clippy, tests"
rustup target list --installed 2>/dev/null | grep -qx wasm32-unknown-unknown \
  || rustup target add wasm32-unknown-unknown
cargo fmt --check
cargo clippy --locked --all-targets -- -D warnings
cargo clippy --locked --target wasm32-unknown-unknown -- -D warnings
LOGS="$(mktemp -d)"
cargo test --locked 2>&1 | tee "$LOGS/cargo.log"

step "build pkg/ (wasm32 + wasm-bindgen + wasm-opt)"
cp pkg/edge_auth_bg.wasm "${TMPDIR:-/tmp}/edge_auth_committed.wasm"
./build.sh
if ! cmp -s pkg/edge_auth_bg.wasm "${TMPDIR:-/tmp}/edge_auth_committed.wasm"; then
  echo "note: the rebuilt wasm differs byte-wise from the committed one (same sources)"
fi

step "Deno: fmt, lint, check"
"$DENO" fmt --check
"$DENO" lint
"$DENO" check mod.ts stores.ts functions/*/index.ts scripts/*.ts tests/*.ts tests/**/*.ts

step "PostgreSQL and Redis on 127.0.0.1"
eval "$(scripts/pg.sh start)"
eval "$(scripts/redis.sh start)"
trap 'scripts/pg.sh stop >/dev/null 2>&1 || true; scripts/redis.sh stop >/dev/null 2>&1 || true' EXIT

step "Deno tests"
# The default audit trail prints one JSON line per decision; the tests that check the trail
# configure their own sinks, so the rest stay quiet.
AUDIT_SINKS=off "$DENO" test --allow-all tests/ 2>&1 | tee "$LOGS/deno.log"

step "Benchmarks, smoke mode (correctness only, no timing)"
BENCH_SMOKE=1 cargo bench --locked --bench core
"$DENO" task bench:smoke

# One closing line over both runners (pipefail made any failure above fatal already).
rust_passed=$(grep -Eo 'test result: ok\. [0-9]+ passed' "$LOGS/cargo.log" | awk '{s += $4} END {print s + 0}')
deno_passed=$(grep -Eo '^ok \| [0-9]+ passed' "$LOGS/deno.log" | awk '{s += $3} END {print s + 0}')
printf '\ntests: %d passed, 0 failed\n' "$((rust_passed + deno_passed))"

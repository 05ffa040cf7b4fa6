#!/usr/bin/env bash
# Prints the SHA-256 over the inputs of the WASM build, in a form tests/pkg_fresh.test.ts
# recomputes: for each file in byte order of its path, "path\0content\0".
set -euo pipefail
cd "$(dirname "$0")/.."
{ printf '%s\n' Cargo.toml Cargo.lock build.sh; find src -type f -name '*.rs'; } | LC_ALL=C sort |
  while IFS= read -r f; do printf '%s\0' "$f"; cat "$f"; printf '\0'; done | sha256sum | cut -d' ' -f1

// pkg/ is committed so a Supabase project can deploy without Rust. This fails when it is stale:
// the hash of the Rust sources must equal the one build.sh recorded (see scripts/source-hash.sh),
// and the embedded module must be the built .wasm.
import assert from "node:assert/strict";
import { createHash } from "node:crypto";
import { readdirSync, readFileSync, statSync } from "node:fs";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { wasmBase64 } from "../pkg/edge_auth_wasm.js";

const root = fileURLToPath(new URL("..", import.meta.url));

function rustFiles(dir: string): string[] {
  return readdirSync(join(root, dir)).flatMap((name) => {
    const rel = `${dir}/${name}`;
    if (statSync(join(root, rel)).isDirectory()) return rustFiles(rel);
    return name.endsWith(".rs") ? [rel] : [];
  });
}

Deno.test("pkg/ was built from the current Rust sources", () => {
  const files = ["Cargo.toml", "Cargo.lock", "build.sh", ...rustFiles("src")];
  // Byte order of the paths, as `LC_ALL=C sort` does.
  files.sort((a, b) => (a < b ? -1 : a > b ? 1 : 0));
  const h = createHash("sha256");
  for (const f of files) {
    h.update(f + "\0");
    h.update(readFileSync(join(root, f)));
    h.update("\0");
  }
  const recorded = readFileSync(join(root, "pkg/SOURCE_HASH"), "utf8").trim();
  assert.equal(h.digest("hex"), recorded, "pkg/ is stale: run ./build.sh and commit pkg/");
});

Deno.test("the embedded module is the built pkg/edge_auth_bg.wasm", () => {
  const wasm = readFileSync(join(root, "pkg/edge_auth_bg.wasm"));
  assert.equal(wasmBase64, wasm.toString("base64"));
});

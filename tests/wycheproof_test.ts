// Project Wycheproof vectors (../shared/vectors/wycheproof) through the built WASM, via the same
// key parsing, algorithm binding and length rules as tokens. `valid` must verify and `invalid`
// must fail; `acceptable` may go either way. HS256 in JWS adds two rules of its own (RFC 7518
// §3.2): keys under 256 bits are refused, and tags are never truncated, so such `valid` MAC
// vectors must be rejected here.
import assert from "node:assert/strict";
import { verifyDetached } from "../lib/wasm.ts";
import { sharedPath } from "./helpers.ts";

interface Test {
  tcId: number;
  msg: string;
  sig?: string;
  tag?: string;
  key?: string;
  result: "valid" | "invalid" | "acceptable";
}
interface Group {
  publicKeyJwk?: Record<string, string>;
  keyJwk?: Record<string, string>;
  publicKey?: { uncompressed?: string };
  keySize?: number;
  tagSize?: number;
  tests: Test[];
}

const hex = (h: string) => Uint8Array.from(h.match(/../g) ?? [], (b) => parseInt(b, 16));
const b64url = (bytes: Uint8Array) =>
  btoa(String.fromCharCode(...bytes)).replace(/\+/g, "-").replace(/\//g, "_").replace(/=+$/, "");

function groupJwk(file: string, g: Group): Record<string, string> {
  const jwk = g.publicKeyJwk ?? g.keyJwk;
  if (jwk) return jwk;
  // Some ECDSA groups only give the uncompressed point 04 || x || y.
  const point = hex(g.publicKey?.uncompressed ?? "");
  assert.equal(point[0], 4, `${file}: group without a usable key`);
  return { kty: "EC", crv: "P-256", x: b64url(point.slice(1, 33)), y: b64url(point.slice(33)) };
}

async function verdict(jwk: string, alg: string, sig: Uint8Array, msg: Uint8Array) {
  try {
    return await verifyDetached(jwk, alg, sig, msg) as boolean;
  } catch (e) {
    // The key was refused by policy: that is a rejection, and it must be a typed one.
    assert.ok(typeof (e as { code?: string }).code === "string", `untyped failure: ${e}`);
    return false;
  }
}

const files: Array<[string, string]> = [
  ["ecdsa_secp256r1_sha256_p1363_test.json", "ES256"],
  ["rsa_signature_2048_sha256_test.json", "RS256"],
  ["rsa_pss_2048_sha256_mgf1_32_test.json", "PS256"],
  ["ed25519_test.json", "EdDSA"],
  ["hmac_sha256_test.json", "HS256"],
];

for (const [file, alg] of files) {
  Deno.test(`wycheproof ${file} (${alg})`, async () => {
    const doc = JSON.parse(Deno.readTextFileSync(sharedPath(`vectors/wycheproof/${file}`)));
    const wrong: string[] = [];
    const tally = { valid: 0, invalid: 0, acceptable: 0, policyRefused: 0 };
    for (const g of doc.testGroups as Group[]) {
      for (const t of g.tests) {
        let expected: boolean | null = t.result === "acceptable" ? null : t.result === "valid";
        let jwk: string;
        if (alg === "HS256") {
          jwk = JSON.stringify({ kty: "oct", k: b64url(hex(t.key ?? "")) });
          if (expected && (g.keySize! < 256 || g.tagSize! !== 256)) {
            expected = false;
            tally.policyRefused++;
          }
        } else {
          jwk = JSON.stringify(groupJwk(file, g));
        }
        const got = await verdict(jwk, alg, hex(t.sig ?? t.tag ?? ""), hex(t.msg));
        tally[t.result]++;
        if (expected !== null && got !== expected) {
          wrong.push(`tcId ${t.tcId}: expected ${expected ? "accept" : "reject"}`);
        }
      }
    }
    console.log(
      `${file}: ${tally.valid + tally.invalid + tally.acceptable - wrong.length}/` +
        `${tally.valid + tally.invalid + tally.acceptable} as expected ` +
        `(valid ${tally.valid}, invalid ${tally.invalid}, acceptable ${tally.acceptable}` +
        (alg === "HS256"
          ? `; ${tally.policyRefused} valid MACs refused by the JWS key/tag rules`
          : "") +
        ")",
    );
    assert.deepEqual(wrong, []);
  });
}

Deno.test("every Wycheproof P-256 key verifies; the same key moved off the curve is refused", async () => {
  const doc = JSON.parse(
    Deno.readTextFileSync(sharedPath("vectors/wycheproof/ecdsa_secp256r1_sha256_p1363_test.json")),
  );
  let keys = 0;
  for (const g of doc.testGroups as Group[]) {
    const jwk = groupJwk("ecdsa", g);
    const valid = g.tests.find((t) => t.result === "valid");
    if (!valid) continue;
    keys++;
    const sig = hex(valid.sig!);
    const msg = hex(valid.msg);
    assert.equal(await verifyDetached(JSON.stringify(jwk), "ES256", sig, msg), true);
    const y = Uint8Array.from(
      atob(jwk.y.replace(/-/g, "+").replace(/_/g, "/")),
      (c) => c.charCodeAt(0),
    );
    y[31] ^= 1;
    const offCurve = JSON.stringify({ ...jwk, y: b64url(y) });
    await assert.rejects(
      () => verifyDetached(offCurve, "ES256", sig, msg),
      (e: { code: string }) => e.code === "invalid_key",
    );
  }
  console.log(`P-256 keys checked on and off the curve: ${keys}`);
  assert.ok(keys > 50);
});

// Hostile input, generated: garbage and mutated tokens, correctly signed tokens whose header and
// claims have the wrong types, huge headers and broken JWKs. Every one must end in a typed
// error (or, for a well-formed signed token, a context) and never trap the WASM instance.
import assert from "node:assert/strict";
import { AuthError, validateRequest } from "../mod.ts";

const SECRET = "hostile-test-secret-of-at-least-32-bytes!!";
const NOW = 1_800_000_000;
const options = { jwtSecret: SECRET, issuer: "iss", now: () => NOW };
const KNOWN_STATUS = new Set([400, 401, 403, 500, 503]);

// A small deterministic PRNG (mulberry32) so failures reproduce.
function rng(seed: number) {
  return () => {
    seed |= 0;
    seed = (seed + 0x6d2b79f5) | 0;
    let t = Math.imul(seed ^ (seed >>> 15), 1 | seed);
    t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}
const rand = rng(20261203);
const pick = <T>(xs: readonly T[]): T => xs[Math.floor(rand() * xs.length)];
const int = (n: number) => Math.floor(rand() * n);

const b64url = (bytes: Uint8Array) =>
  btoa(String.fromCharCode(...bytes)).replace(/\+/g, "-").replace(/\//g, "_").replace(/=+$/, "");
const enc = new TextEncoder();
const key = await crypto.subtle.importKey(
  "raw",
  enc.encode(SECRET),
  { name: "HMAC", hash: "SHA-256" },
  false,
  ["sign"],
);

async function sign(header: string, payload: string): Promise<string> {
  const input = `${b64url(enc.encode(header))}.${b64url(enc.encode(payload))}`;
  const mac = new Uint8Array(await crypto.subtle.sign("HMAC", key, enc.encode(input)));
  return `${input}.${b64url(mac)}`;
}

function weird(depth = 0): unknown {
  const choices: Array<() => unknown> = [
    () => null,
    () => rand() < 0.5,
    () => pick([0, -1, 1.5, 1e308, -1e308, 9007199254740993, 2 ** 63, NOW + 100, NOW - 100]),
    () => pick(["", "x", "aal2", "admin", "\u0000", "\ud83d\ude00", "a".repeat(int(3000))]),
    () => depth < 4 ? Array.from({ length: int(4) }, () => weird(depth + 1)) : [],
    () => depth < 4 ? Object.fromEntries([["k", weird(depth + 1)], ["exp", weird(depth + 1)]]) : {},
  ];
  return pick(choices)();
}

const CLAIMS = [
  "exp",
  "nbf",
  "iat",
  "iss",
  "aud",
  "sub",
  "role",
  "user_role",
  "user_permissions",
  "aal",
  "is_anonymous",
  "email",
  "phone",
  "session_id",
];
const HEADERS = ["alg", "kid", "typ", "cty", "crit", "jwk", "b64"];

function validPayload(): Record<string, unknown> {
  return {
    iss: "iss",
    sub: "6f1c2a52-0b8e-4d8c-9d3e-1f2a3b4c5d6e",
    aud: "authenticated",
    role: "authenticated",
    exp: NOW + 60,
  };
}

async function outcome(authorization: string | null, opts: object = options) {
  const headers = new Headers();
  if (authorization !== null) headers.set("Authorization", authorization);
  try {
    return await validateRequest(new Request("http://x/", { headers }), opts);
  } catch (e) {
    assert.ok(e instanceof AuthError, `not an AuthError: ${e}`);
    assert.ok(KNOWN_STATUS.has(e.status), `status ${e.status}`);
    assert.match(e.code, /^[a-z_]+$/);
    return e;
  }
}

async function stillWorks() {
  const ok = await outcome(
    `Bearer ${await sign('{"alg":"HS256"}', JSON.stringify(validPayload()))}`,
  );
  assert.ok(!(ok instanceof AuthError), `instance broken: ${(ok as AuthError).code}`);
}

Deno.test("garbage and mutated tokens give typed errors", async () => {
  const valid = await sign('{"alg":"HS256","typ":"JWT"}', JSON.stringify(validPayload()));
  const alphabet = 'ABCxyz019-_.=+/ \t,\u00e9\u0000{}"';
  for (let i = 0; i < 3000; i++) {
    let t = valid.split("");
    for (let m = 0; m <= int(4); m++) {
      const at = int(t.length + 1);
      const op = int(3);
      if (op === 0) t.splice(at, 1);
      else if (op === 1) t.splice(at, 0, pick(alphabet.split("")));
      else t[at] = pick(alphabet.split(""));
    }
    if (i % 10 === 0) t = Array.from({ length: int(200) }, () => pick(alphabet.split("")));
    const token = t.join("");
    // NUL, CR and LF cannot appear in a header value: no runtime delivers such a request.
    if (token.includes("\u0000") || token.includes("\r") || token.includes("\n")) continue;
    const r = await outcome(`Bearer ${token}`);
    // Spaces and tabs around the credential are optional whitespace of the header itself.
    const delivered = token.replace(/^[ \t]+|[ \t]+$/g, "");
    if (!(r instanceof AuthError)) assert.equal(delivered, valid, "a mutated token was accepted");
  }
  await stillWorks();
});

Deno.test("signed tokens with wrong types in every header and claim give typed errors", async () => {
  let accepted = 0;
  for (let i = 0; i < 3000; i++) {
    const header: Record<string, unknown> = { alg: "HS256" };
    const payload = validPayload();
    if (rand() < 0.3) header[pick(HEADERS)] = weird();
    for (let n = 0; n <= int(3); n++) payload[pick(CLAIMS)] = weird();
    const r = await outcome(
      `Bearer ${await sign(JSON.stringify(header), JSON.stringify(payload))}`,
    );
    if (!(r instanceof AuthError)) {
      accepted++;
      // Whatever was accepted must be a coherent user context.
      assert.equal(r.kind, "user");
      assert.ok(Array.isArray(r.permissions) && r.permissions.every((p) => typeof p === "string"));
    }
  }
  console.log(`signed wrong-type tokens: ${accepted} of 3000 still well-formed and accepted`);
  await stillWorks();
});

Deno.test("oversized headers and tokens are refused before any work", async () => {
  const big = await sign(
    '{"alg":"HS256"}',
    JSON.stringify({ ...validPayload(), pad: "x".repeat(17000) }),
  );
  assert.equal((await outcome(`Bearer ${big}`) as AuthError).code, "token_too_large");
  assert.equal(
    (await outcome(`Bearer ${"a".repeat(1_000_000)}`) as AuthError).code,
    "token_too_large",
  );
  const nested = await sign(
    '{"alg":"HS256"}',
    `{"exp":${NOW + 60},"x":${"[".repeat(65)}${"]".repeat(65)}}`,
  );
  assert.equal((await outcome(`Bearer ${nested}`) as AuthError).code, "malformed");
  await stillWorks();
});

Deno.test("broken JWKs and configs give typed errors", async () => {
  const docs: unknown[] = [
    "",
    "null",
    "[]",
    '{"keys":{}}',
    '{"keys":[1,"x",null]}',
    '{"keys":[{"kty":"EC","crv":"P-256","x":"AA","y":"AA"}]}',
    '{"keys":[{"kty":"RSA","n":"","e":""}]}',
    '{"keys":[{"kty":"RSA","n":"AQAB","e":"AQAB","d":"AQAB"}]}',
    '{"keys":[{"kty":"OKP","crv":"Ed25519","x":"' + "A".repeat(43) + '="}]}',
    '{"keys":[{"kty":"oct","k":"c2hvcnQ"}]}',
    '{"keys":[{"kty":["EC"]}]}',
    '{"keys":[{"kty":"EC","kty":"RSA"}]}',
    "{".repeat(100000),
    JSON.stringify({ keys: Array.from({ length: 5000 }, () => ({ kty: "EC" })) }),
  ];
  for (let i = 0; i < 500; i++) {
    docs.push(
      JSON.stringify({
        keys: [{
          kty: pick(["EC", "RSA", "OKP", "oct", weird()]),
          ...Object.fromEntries(
            ["crv", "x", "y", "n", "e", "k", "alg", "use", "key_ops", "kid"].map((
              k,
            ) => [k, weird()]),
          ),
        }],
      }),
    );
  }
  const token = `Bearer ${await sign('{"alg":"ES256","kid":"k"}', JSON.stringify(validPayload()))}`;
  for (const jwks of docs) {
    const r = await outcome(token, {
      ...options,
      jwtSecret: undefined,
      jwks,
      algorithms: ["ES256"],
    });
    assert.ok(r instanceof AuthError);
  }
  for (
    const bad of [{ algorithms: "HS256" }, { audience: 5 }, { leewaySeconds: "x" }, { realm: {} }]
  ) {
    assert.ok(await outcome(token, { ...options, ...bad }) instanceof AuthError);
  }
  await stillWorks();
});

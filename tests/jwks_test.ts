// The remote key set against a real JWKS server on 127.0.0.1 that rotates keys, fails, hangs,
// answers garbage or a huge body, and counts its requests. Clocks are injected, so cooldowns
// and freshness are exact; loops are bounded.
import assert from "node:assert/strict";
import { exportJWK, generateKeyPair, type JWK, SignJWT } from "jose";
import { type AuthOptions, authStats, reloadKeys, validateRequest } from "../mod.ts";
import { resolveConfig } from "../lib/config.ts";
import { WasmAuth } from "../lib/wasm.ts";

type Mode = "ok" | "500" | "hang" | "garbage" | "huge" | "html";

class JwksServer {
  mode: Mode = "ok";
  keys: JWK[] = [];
  requests = 0;
  maxAge = 600;
  #server: Deno.HttpServer<Deno.NetAddr>;
  #hanging = new Set<() => void>();

  constructor() {
    this.#server = Deno.serve({ hostname: "127.0.0.1", port: 0, onListen: () => {} }, (_req) => {
      this.requests++;
      switch (this.mode) {
        case "500":
          return new Response("oops", { status: 500 });
        case "hang":
          // Answers only when the server closes: the client's timeout must fire first.
          return new Promise<Response>((resolve) => {
            this.#hanging.add(() => resolve(new Response("late")));
          });
        case "garbage":
          return new Response("{not json", { headers: { "content-type": "application/json" } });
        case "html":
          return new Response("<html></html>", { headers: { "content-type": "text/html" } });
        case "huge":
          return new Response(JSON.stringify({ keys: this.keys, pad: "x".repeat(400_000) }));
        default:
          return Response.json({ keys: this.keys }, {
            headers: { "cache-control": `public, max-age=${this.maxAge}` },
          });
      }
    });
  }
  get url(): string {
    return `http://127.0.0.1:${this.#server.addr.port}/auth/v1/.well-known/jwks.json`;
  }
  async close() {
    for (const done of this.#hanging) done();
    await this.#server.shutdown();
  }
}

interface Signer {
  kid: string;
  privateKey: CryptoKey;
  jwk: JWK;
}

async function signer(kid = crypto.randomUUID()): Promise<Signer> {
  const { privateKey, publicKey } = await generateKeyPair("ES256", { extractable: true });
  return {
    kid,
    privateKey,
    jwk: { ...(await exportJWK(publicKey)), kid, alg: "ES256", use: "sig" },
  };
}

const SECRET = "legacy-secret-for-jwks-tests-at-least-32-bytes";
let nowMs = 1_800_000_000_000;
const now = () => nowMs / 1000;

async function token(s: Signer | "legacy", extra: Record<string, unknown> = {}): Promise<string> {
  const jwt = new SignJWT({
    sub: "6f1c2a52-0b8e-4d8c-9d3e-1f2a3b4c5d6e",
    aud: "authenticated",
    role: "authenticated",
    exp: Math.floor(now()) + 3600,
    ...extra,
  });
  if (s === "legacy") {
    return await jwt.setProtectedHeader({ alg: "HS256" }).sign(new TextEncoder().encode(SECRET));
  }
  return await jwt.setProtectedHeader({ alg: "ES256", kid: s.kid }).sign(s.privateKey);
}

function options(server: JwksServer, extra: Partial<AuthOptions> = {}): AuthOptions {
  return {
    jwksUrl: server.url,
    issuer: [],
    now,
    ...extra,
    remoteJwks: { clock: () => nowMs, timeoutMs: 300, ...extra.remoteJwks },
  };
}

async function outcome(t: string, opts: AuthOptions) {
  try {
    await validateRequest(
      new Request("http://x/", { headers: { Authorization: `Bearer ${t}` } }),
      opts,
    );
    return { code: "ok", retryAfter: null as string | null };
  } catch (e) {
    const err = e as { code: string; headers: Record<string, string> };
    return { code: err.code, retryAfter: err.headers?.["Retry-After"] ?? null };
  }
}

Deno.test("100 concurrent requests on a cold manager cause exactly one fetch", async () => {
  const server = new JwksServer();
  const a = await signer();
  server.keys = [a.jwk];
  const opts = options(server);
  const t = await token(a);
  const results = await Promise.all(Array.from({ length: 100 }, () => outcome(t, opts)));
  assert.ok(results.every((r) => r.code === "ok"));
  console.log(`cold start, 100 concurrent requests: ${server.requests} fetch`);
  assert.equal(server.requests, 1);
  await server.close();
});

Deno.test("1,000 requests with random kids cost at most one fetch per cooldown", async () => {
  const server = new JwksServer();
  const a = await signer();
  server.keys = [a.jwk];
  const opts = options(server, { remoteJwks: { cooldownSeconds: 30 } });
  assert.equal((await outcome(await token(a), opts)).code, "ok"); // cold load: 1 fetch
  const attacker = await signer();
  let fetchesPerWindow: number[] = [];
  for (let window = 0; window < 3; window++) {
    const before = server.requests;
    for (let i = 0; i < 1000 / 3; i++) {
      const forged = await token({ ...attacker, kid: crypto.randomUUID() });
      assert.equal((await outcome(forged, opts)).code, "no_matching_key");
    }
    fetchesPerWindow.push(server.requests - before);
    nowMs += 31_000; // next cooldown window
  }
  console.log(`random-kid flood, fetches per 30 s cooldown window: ${fetchesPerWindow.join(", ")}`);
  assert.ok(fetchesPerWindow.every((n) => n <= 1), fetchesPerWindow.join(","));
  assert.ok(authStats(opts).jwks!.kidMissesSuppressed >= 990);
  fetchesPerWindow = [];
  await server.close();
});

Deno.test("rotation: a new kid verifies after one refresh; a revoked key stops verifying", async () => {
  const server = new JwksServer();
  const a = await signer();
  const b = await signer();
  server.keys = [a.jwk];
  const opts = options(server, { remoteJwks: { cooldownSeconds: 30 } });
  assert.equal((await outcome(await token(a), opts)).code, "ok");
  assert.equal(server.requests, 1);

  server.keys = [a.jwk, b.jwk]; // standby key goes live
  assert.equal((await outcome(await token(b), opts)).code, "ok");
  assert.equal(server.requests, 2, "exactly one refresh for the new kid");

  const cachedA = await token(a);
  assert.equal((await outcome(cachedA, opts)).code, "ok"); // now in the verified-token cache
  server.keys = [b.jwk]; // a is revoked
  assert.equal(await reloadKeys(opts), true);
  assert.equal((await outcome(cachedA, opts)).code, "no_matching_key", "cache evicted with key");
  assert.equal((await outcome(await token(a), opts)).code, "no_matching_key");
  assert.equal((await outcome(await token(b), opts)).code, "ok");
  await server.close();
});

Deno.test("a verification still in flight when its key leaves the set is never served from the cache", async () => {
  // Driven on the core directly, so the removal lands while WebCrypto is verifying.
  const a = await signer();
  const b = await signer();
  const core = new WasmAuth(resolveConfig({ jwtSecret: null, jwks: null, issuer: [] }));
  core.setRemoteKeys(JSON.stringify({ keys: [a.jwk] }));
  const header = `Bearer ${await token(a)}`;
  for (let round = 0; round < 3; round++) {
    const inFlight = core.authenticate(header, [], now()); // awaits WebCrypto
    core.setRemoteKeys(JSON.stringify({ keys: [b.jwk] })); // a is revoked meanwhile
    await inFlight.catch(() => {}); // begun under a: this one request may still pass
    const after = await core.authenticate(header, [], now() + 1).then(
      () => "ok",
      (e: { code: string }) => e.code,
    );
    assert.equal(after, "no_matching_key", `round ${round}`);
    core.setRemoteKeys(JSON.stringify({ keys: [a.jwk] }));
  }
});

Deno.test("outage: the last good set keeps serving; with no usable key at all, 503", async () => {
  const server = new JwksServer();
  const a = await signer();
  server.keys = [a.jwk];
  const opts = options(server, { remoteJwks: { maxStaleSeconds: 3600, cooldownSeconds: 30 } });
  const t = await token(a);
  assert.equal((await outcome(t, opts)).code, "ok");
  for (const mode of ["500", "hang", "garbage", "html", "huge"] as const) {
    server.mode = mode;
    nowMs += 700_000; // past max-age: a background refresh is attempted and fails
    const r = await outcome(await token(a), opts);
    assert.equal(r.code, "ok", `still verifying during ${mode}`);
    assert.equal(await reloadKeys(opts), false, `${mode} must not install`);
  }
  const f = authStats(opts).jwks!.failures;
  console.log(`outage failures by reason: ${JSON.stringify(f)}`);
  assert.ok(f.status >= 1 && f.timeout >= 1 && f.invalid >= 2 && f.too_large >= 1);

  nowMs += 3_700_000; // beyond maxStaleSeconds without a good fetch
  server.mode = "500";
  const gone = await outcome(await token(a), opts);
  assert.equal(gone.code, "keys_unavailable");
  assert.ok(Number(gone.retryAfter) >= 1);
  server.mode = "ok";
  nowMs += 31_000;
  assert.equal((await outcome(await token(a), opts)).code, "ok", "recovers once the endpoint does");
  await server.close();
});

Deno.test("cold start with the endpoint down: 503 + Retry-After, and the legacy secret still works", async () => {
  const server = new JwksServer();
  server.mode = "500";
  const a = await signer();
  const opts = options(server);
  const r = await outcome(await token(a), opts);
  assert.equal(r.code, "keys_unavailable");
  assert.ok(r.retryAfter);
  const mixed = options(server, { jwtSecret: SECRET });
  assert.equal((await outcome(await token("legacy"), mixed)).code, "ok");
  assert.equal((await outcome(await token(a), mixed)).code, "keys_unavailable");
  await server.close();
});

Deno.test("mixed mode: legacy HS256 and ES256 side by side; per-kid algorithm binding", async () => {
  const server = new JwksServer();
  const a = await signer();
  server.keys = [a.jwk];
  const opts = options(server, { jwtSecret: SECRET });
  assert.equal((await outcome(await token("legacy"), opts)).code, "ok");
  assert.equal((await outcome(await token(a), opts)).code, "ok");
  // An HS256 token naming the ES256 key's kid is verified with the legacy secret, not the key.
  const hsWithKid = await new SignJWT({
    sub: "6f1c2a52-0b8e-4d8c-9d3e-1f2a3b4c5d6e",
    aud: "authenticated",
    exp: Math.floor(now()) + 60,
  })
    .setProtectedHeader({ alg: "HS256", kid: a.kid }).sign(new TextEncoder().encode(SECRET));
  assert.equal((await outcome(hsWithKid, opts)).code, "ok");
  const forged = await new SignJWT({
    sub: "6f1c2a52-0b8e-4d8c-9d3e-1f2a3b4c5d6e",
    aud: "authenticated",
    exp: Math.floor(now()) + 60,
  })
    .setProtectedHeader({ alg: "HS256", kid: a.kid }).sign(
      new TextEncoder().encode(JSON.stringify(a.jwk)),
    );
  assert.equal((await outcome(forged, opts)).code, "bad_signature");
  // Symmetric keys are never accepted from a remote set.
  server.keys = [a.jwk, { kty: "oct", k: btoa("x".repeat(40)), kid: "oct" }];
  await reloadKeys(opts);
  assert.equal(authStats(opts).jwks!.skippedKeys, 1);
  await server.close();
});

Deno.test("verified-token cache: hits are re-checked against the clock", async () => {
  const server = new JwksServer();
  const a = await signer();
  server.keys = [a.jwk];
  const opts = options(server);
  const t = await token(a, { exp: Math.floor(now()) + 10 });
  assert.equal((await outcome(t, opts)).code, "ok");
  assert.equal((await outcome(t, opts)).code, "ok");
  const s = authStats(opts).tokenCache;
  assert.equal(s.hits, 1);
  nowMs += 20_000; // past exp (and the 5 s leeway)
  assert.equal((await outcome(t, opts)).code, "expired");
  const off = options(server, { tokenCache: false });
  await outcome(t, off);
  assert.equal(authStats(off).tokenCache.entries, 0);
  await server.close();
});

Deno.test("only https or loopback http JWKS URLs are accepted", async () => {
  for (const url of ["http://example.com/jwks.json", "ftp://127.0.0.1/x", "file:///etc/passwd"]) {
    const r = await outcome("a.b.c", { jwksUrl: url, now });
    assert.equal(r.code, "invalid_config", url);
  }
});

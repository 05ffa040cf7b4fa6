// The HTTP contract of validateRequest / withAuth: status, code and challenge per failure,
// Supabase API-key classification, client IP, the profile hook and CORS.
import assert from "node:assert/strict";
import { SignJWT } from "jose";
import {
  type AuthContext,
  errorResponse,
  requireAal,
  requirePermission,
  requireRole,
  validateRequest,
  withAuth,
} from "../mod.ts";

const DEMO_SECRET = "super-secret-jwt-token-with-at-least-32-characters-long";
const DEMO_ANON =
  "eyJhbGciOiJIUzI1NiIsInR5cCI6IkpXVCJ9.eyJpc3MiOiJzdXBhYmFzZS1kZW1vIiwicm9sZSI6ImFub24iLCJleHAiOjE5ODM4MTI5OTZ9.CRXP1A7WOeoJeXxjNni43kdQwgnWNReilDMblYTn_I0";
const DEMO_SERVICE =
  "eyJhbGciOiJIUzI1NiIsInR5cCI6IkpXVCJ9.eyJpc3MiOiJzdXBhYmFzZS1kZW1vIiwicm9sZSI6InNlcnZpY2Vfcm9sZSIsImV4cCI6MTk4MzgxMjk5Nn0.EGIM96RAZx35lJzdJsyH-qQwv8Hdp7fsn3W0YpN81IU";
const ISS = "http://127.0.0.1:54321/auth/v1";
const NOW = 1_800_000_000;
const options = { jwtSecret: DEMO_SECRET, issuer: ISS, now: () => NOW };

async function token(extra: Record<string, unknown> = {}): Promise<string> {
  return await new SignJWT({
    iss: ISS,
    sub: "6f1c2a52-0b8e-4d8c-9d3e-1f2a3b4c5d6e",
    aud: "authenticated",
    role: "authenticated",
    aal: "aal1",
    exp: NOW + 600,
    iat: NOW,
    ...extra,
  }).setProtectedHeader({ alg: "HS256", typ: "JWT" }).sign(new TextEncoder().encode(DEMO_SECRET));
}

function req(headers: Record<string, string> = {}, method = "GET"): Request {
  return new Request("http://localhost/functions/v1/x", { method, headers });
}

async function failure(r: Request, opts: object = options) {
  try {
    await validateRequest(r, opts);
  } catch (e) {
    const res = errorResponse(e);
    // Every failure, whatever its status (400, 401, 403, 429, 503), is not cacheable.
    assert.equal(res.headers.get("cache-control"), "no-store");
    return {
      status: res.status,
      body: await res.json(),
      challenge: res.headers.get("www-authenticate"),
    };
  }
  throw new Error("expected a failure");
}

Deno.test("no credentials: 401 with a bare Bearer challenge", async () => {
  const f = await failure(req());
  assert.equal(f.status, 401);
  assert.equal(f.body.error, "missing_credentials");
  assert.equal(f.challenge, 'Bearer realm="supabase"');
});

Deno.test("malformed Authorization headers: 400 invalid_request", async () => {
  const t = await token();
  for (
    const h of ["Basic dXNlcjpwYXNz", `Bearer ${t}, Bearer ${t}`, `Bearer ${t} extra`, "Bearer"]
  ) {
    const f = await failure(req({ Authorization: h }));
    assert.equal(f.status, 400, h);
    assert.equal(f.body.error, "invalid_request");
    assert.match(f.challenge!, /error="invalid_request"/);
  }
});

Deno.test("bad or expired tokens: 401 invalid_token, never echoing the token", async () => {
  const expired = await token({ exp: NOW - 60 });
  for (const [t, codeWanted] of [[expired, "expired"], ["a.b.c", "malformed"]] as const) {
    const f = await failure(req({ Authorization: `Bearer ${t}` }));
    assert.equal(f.status, 401);
    assert.equal(f.body.error, codeWanted);
    assert.match(f.challenge!, /^Bearer realm="supabase", error="invalid_token"/);
    if (t.length > 20) assert.ok(!JSON.stringify(f).includes(t.split(".")[1]), "token echoed");
  }
});

Deno.test("Supabase demo API keys verify and are classified, not treated as users", async () => {
  for (const [key, kind] of [[DEMO_ANON, "anon"], [DEMO_SERVICE, "service_role"]] as const) {
    const f = await failure(req({ Authorization: `Bearer ${key}` }));
    assert.equal(f.status, 401);
    assert.equal(f.body.error, "api_key_not_user");
    const ctx = await validateRequest(req({ Authorization: `Bearer ${key}` }), {
      ...options,
      allowApiKeys: [kind],
    });
    assert.equal(ctx.kind, kind);
    assert.equal(ctx.user_id, null);
    assert.deepEqual(ctx.permissions, []);
    assert.equal(ctx.postgres_role, kind);
  }
  // Opting in to service_role does not admit anon, and a wrong secret fails the signature.
  const anonAsService = await failure(req({ Authorization: `Bearer ${DEMO_ANON}` }), {
    ...options,
    allowApiKeys: ["service_role"],
  });
  assert.equal(anonAsService.body.error, "api_key_not_user");
  const wrongSecret = await failure(req({ Authorization: `Bearer ${DEMO_SERVICE}` }), {
    ...options,
    jwtSecret: "x".repeat(40),
    allowApiKeys: ["service_role"],
  });
  assert.equal(wrongSecret.body.error, "bad_signature");
});

Deno.test("role, permission and aal denials are 403 insufficient_scope", async () => {
  const ctx = await validateRequest(
    req({ Authorization: `Bearer ${await token({ user_role: "employee" })}` }),
    { ...options, rolePermissions: { employee: ["schedules.read"] } },
  );
  assert.deepEqual(ctx.permissions, ["schedules.read"]);
  requireRole(ctx, ["employee", "manager"]);
  requirePermission(ctx, "schedules.read");
  requirePermission(ctx, { anyOf: ["x", "schedules.read"] });
  requireAal(ctx, "aal1");
  const denials: Array<[() => void, string]> = [
    [() => requireRole(ctx, ["manager"]), "insufficient_role"],
    [
      () => requirePermission(ctx, ["schedules.read", "schedules.write"]),
      "insufficient_permission",
    ],
    [() => requirePermission(ctx, { allOf: ["schedules.write"] }), "insufficient_permission"],
    [() => requireAal(ctx, "aal2"), "insufficient_aal"],
  ];
  for (const [fn, code] of denials) {
    const res = errorResponse(captured(fn));
    assert.equal(res.status, 403);
    assert.equal((await res.json()).error, code);
    assert.match(res.headers.get("www-authenticate")!, /error="insufficient_scope"/);
    assert.equal(res.headers.get("cache-control"), "no-store");
  }
  // Misuse fails closed as a server error rather than granting.
  assert.equal(errorResponse(captured(() => requireRole(ctx, []))).status, 500);
});

function captured(fn: () => void): unknown {
  try {
    fn();
  } catch (e) {
    return e;
  }
  throw new Error("expected a denial");
}

Deno.test("client IP comes only from trusted headers and must parse as an address", async () => {
  const auth = `Bearer ${await token()}`;
  const ip = async (h: Record<string, string>, opts = {}) =>
    (await validateRequest(req({ Authorization: auth, ...h }), { ...options, ...opts })).ip_address;
  // By default the rightmost X-Forwarded-For entry: the one the nearest proxy appended. Whatever
  // a client writes to the left of it (a spoofed address, garbage) is never taken.
  assert.equal(await ip({ "X-Forwarded-For": "203.0.113.9, 10.0.0.2" }), "10.0.0.2");
  assert.equal(await ip({ "X-Forwarded-For": "not-an-ip, 198.51.100.8" }), "198.51.100.8");
  assert.equal(await ip({ "X-Forwarded-For": "198.51.100.8" }), "198.51.100.8");
  assert.equal(
    await ip({ "X-Forwarded-For": "203.0.113.9, 10.0.0.2" }, { forwardedHops: 0 }),
    "203.0.113.9",
  );
  assert.equal(await ip({ "CF-Connecting-IP": "2001:db8::7" }), "2001:db8::7");
  assert.equal(await ip({ "X-Real-IP": "not an ip" }), "unknown");
  assert.equal(await ip({ "X-Client-IP": "198.51.100.3" }), "unknown");
  assert.equal(
    await ip({ "X-Forwarded-For": "6.6.6.6, 198.51.100.4" }, {
      trustedIpHeaders: ["x-forwarded-for"],
      forwardedHops: 1,
    }),
    "198.51.100.4",
  );
});

Deno.test("profile hook: runs after verification, inactive is 403, failures fail closed", async () => {
  const calls: string[] = [];
  const profiles: Record<string, { is_active: boolean; role: string }> = {
    "6f1c2a52-0b8e-4d8c-9d3e-1f2a3b4c5d6e": { is_active: true, role: "pharmacist" },
  };
  const opts = {
    ...options,
    loadProfile: (id: string) => {
      calls.push(id);
      return Promise.resolve(profiles[id] ?? null);
    },
  };
  const good = req({ Authorization: `Bearer ${await token({ user_role: "employee" })}` });
  const ctx: AuthContext = await validateRequest(good, opts);
  assert.equal(ctx.role, "pharmacist");
  await validateRequest(good, opts); // cached
  assert.equal(calls.length, 1);
  // Never called for a token that fails verification.
  await failure(req({ Authorization: "Bearer x.y.z" }), opts);
  assert.equal(calls.length, 1);

  const inactiveId = "0b7f3c1e-5a2d-4e6f-8a9b-0c1d2e3f4a5b";
  profiles[inactiveId] = { is_active: false, role: "manager" };
  const inactive = await failure(
    req({ Authorization: `Bearer ${await token({ sub: inactiveId })}` }),
    opts,
  );
  assert.deepEqual([inactive.status, inactive.body.error], [403, "inactive_account"]);

  const broken = await failure(good, {
    ...options,
    loadProfile: () => Promise.reject(new Error("db down")),
  });
  assert.deepEqual([broken.status, broken.body.error], [503, "profile_unavailable"]);
});

Deno.test("withAuth: preflight, 405, per-method requirements, handler errors stay generic", async () => {
  const handler = withAuth({
    ...options,
    methods: { GET: {}, POST: { roles: ["manager"], aal: "aal2" } },
  }, (r, ctx) => {
    if (r.headers.get("x-boom")) throw new Error("secret detail");
    return Response.json({ user: ctx.user_id });
  });
  const pre = await handler(req({ Origin: "https://app.example" }, "OPTIONS"));
  assert.equal(pre.status, 204);
  assert.equal(pre.headers.get("access-control-allow-origin"), "*");
  assert.match(pre.headers.get("access-control-allow-headers")!, /authorization/);
  assert.equal((await handler(req({}, "DELETE"))).status, 405);

  const manager1 = `Bearer ${await token({ user_role: "manager", aal: "aal1" })}`;
  const manager2 = `Bearer ${await token({ user_role: "manager", aal: "aal2" })}`;
  assert.equal((await handler(req({ Authorization: manager1 }))).status, 200);
  const post1 = await handler(req({ Authorization: manager1 }, "POST"));
  assert.deepEqual([post1.status, (await post1.json()).error], [403, "insufficient_aal"]);
  assert.equal((await handler(req({ Authorization: manager2 }, "POST"))).status, 200);
  const boom = await handler(req({ Authorization: manager1, "x-boom": "1" }));
  assert.equal(boom.status, 500);
  assert.ok(!(await boom.text()).includes("secret detail"));
  assert.equal(boom.headers.get("server-timing"), null);

  const timed = withAuth({ ...options, serverTiming: true }, () => new Response("ok"));
  for (const h of [{ Authorization: manager1 }, {}] as Record<string, string>[]) {
    const res = await timed(req(h));
    await res.body?.cancel();
    assert.match(res.headers.get("server-timing")!, /^auth;dur=\d+\.\d{2}$/);
  }
});

Deno.test("empty or malformed requirements fail closed (500), never skipped", async () => {
  // A token whose claims are empty strings must not meet an empty requirement either.
  const empty = `Bearer ${await token({ user_role: "", user_permissions: [""], aal: "" })}`;
  const bad: Array<Record<string, unknown>> = [
    { roles: [""] },
    { roles: ["admin", ""] },
    { roles: [] },
    { permissions: "" },
    { permissions: [""] },
    { permissions: { anyOf: [""] } },
    { permissions: { allOf: [] } },
    { permissions: {} },
    { permissions: { anyOf: "x" } },
    { aal: "" },
    { aal: "aal9" },
  ];
  for (const b of bad) {
    for (const where of ["top", "method"]) {
      const rules = where === "top" ? b : { methods: { GET: b } };
      const handler = withAuth({ ...options, ...rules }, () => new Response("ran"));
      const res = await handler(req({ Authorization: empty }));
      assert.equal(res.status, 500, `${where} ${JSON.stringify(b)}`);
      assert.equal((await res.json()).error, "invalid_config");
    }
  }
});

Deno.test("denials from direct require-calls carry the realm the context was verified under", async () => {
  const ctx = await validateRequest(req({ Authorization: `Bearer ${await token()}` }), {
    ...options,
    realm: "pharmacy",
  });
  for (const deny of [() => requireRole(ctx, "admin"), () => requireAal(ctx, "aal2")]) {
    const res = errorResponse(captured(deny));
    await res.body?.cancel();
    assert.match(res.headers.get("www-authenticate")!, /^Bearer realm="pharmacy", /);
  }
});

Deno.test("a clock between whole seconds compares exactly with fractional exp / nbf", async () => {
  const at = (now: number) => ({ ...options, leewaySeconds: 0, now: () => now });
  const outcome = async (claims: Record<string, unknown>, now: number) =>
    await validateRequest(req({ Authorization: `Bearer ${await token(claims)}` }), at(now)).then(
      () => "ok",
      (e: { code: string }) => e.code,
    );
  assert.equal(await outcome({ exp: NOW + 0.5 }, NOW + 0.7), "expired");
  assert.equal(await outcome({ exp: NOW + 0.5 }, NOW + 0.5), "expired");
  assert.equal(await outcome({ exp: NOW + 0.5 }, NOW + 0.4), "ok");
  assert.equal(await outcome({ exp: NOW + 1 }, NOW + 0.999), "ok");
  assert.equal(await outcome({ nbf: NOW + 0.5 }, NOW + 0.4), "not_yet_valid");
  assert.equal(await outcome({ nbf: NOW + 0.5 }, NOW + 0.6), "ok");
});

Deno.test("configuration errors fail closed with a 500, never a pass", async () => {
  const t = `Bearer ${await token()}`;
  const bad: object[] = [
    { jwtSecret: "short" },
    { jwtSecret: null, jwks: "{not json" },
    { jwtSecret: null, jwks: { keys: "x" } },
    { algorithms: ["none"] },
    { algorithms: [] },
    { leewaySeconds: 100000 },
    { audience: [] },
    { allowApiKeys: ["root"] },
    { realm: 5 },
    { jwksUrl: "http://example.com/jwks.json" },
    // No key source at all: nothing could ever verify, so not a 503 worth retrying.
    { jwtSecret: null, jwks: null, jwksUrl: false },
  ];
  for (const b of bad) {
    const f = await failure(req({ Authorization: t }), { ...options, ...b });
    assert.equal(f.status, 500, JSON.stringify(b));
    assert.equal(f.body.error, "invalid_config", JSON.stringify(b));
  }
});

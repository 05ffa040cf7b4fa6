// The throttle and the audit trail in process: thresholds at their exact boundaries with an
// injected clock, fail-open on a broken store (authentication unchanged), subject blocks never
// refusing a valid token, audit loss counting, and the per-request cost (medians, one run).
import assert from "node:assert/strict";
import { SignJWT } from "jose";
import {
  type AuditEvent,
  type AuditSink,
  type AuthOptions,
  flushAudit,
  MemoryThrottleStore,
  type ThrottleAlert,
  throttleStats,
  type ThrottleStore,
  validateRequest,
} from "../mod.ts";
import { RedisThrottleStore } from "../stores.ts";
import { Auditor } from "../lib/audit.ts";
import {
  median,
  REDIS_URL,
  SECRET,
  serverTest,
  userToken,
  WRONG_SECRET,
} from "./audit/_cluster.ts";

function req(token: string | null, ip: string): Request {
  const headers: Record<string, string> = { "x-forwarded-for": ip };
  if (token) headers.authorization = `Bearer ${token}`;
  return new Request("http://127.0.0.1/functions/v1/unit", { headers });
}

async function status(p: Promise<unknown>): Promise<number> {
  try {
    await p;
    return 200;
  } catch (e) {
    return (e as { status: number }).status;
  }
}

function memorySink(): AuditSink & { events: AuditEvent[] } {
  const events: AuditEvent[] = [];
  return { name: "memory", events, write: (batch) => void events.push(...batch) };
}

Deno.test("throttle: alert after 5, block on the 51st failure, expiry by the window", async () => {
  let now = 1_700_000_000;
  const alerts: ThrottleAlert[] = [];
  const sink = memorySink();
  const options: AuthOptions = {
    jwtSecret: SECRET,
    audit: { sinks: [sink] },
    throttle: { now: () => now, onAlert: (a) => alerts.push(a), perSubject: false },
  };
  const bad = await userToken(crypto.randomUUID(), WRONG_SECRET);
  const good = await userToken(crypto.randomUUID());
  for (let i = 1; i <= 50; i++) {
    assert.equal(await status(validateRequest(req(bad, "192.0.2.1"), options)), 401);
    now += 1;
  }
  assert.deepEqual(alerts.map((a) => [a.level, a.count]), [["alert", 6]]);
  const e = await validateRequest(req(bad, "192.0.2.1"), options).catch((x) => x);
  assert.equal(e.code, "too_many_attempts");
  assert.equal(e.status, 429);
  // The oldest failure (t0) leaves the window at t0 + 3600; now = t0 + 50.
  assert.equal(e.headers["Retry-After"], "3550");
  assert.deepEqual(alerts.at(-1), {
    kind: "ip",
    value: "192.0.2.1",
    level: "block",
    count: 51,
    windowSeconds: 3600,
  });
  // Blocked: even a valid token from that address; other addresses are unaffected.
  assert.equal(await status(validateRequest(req(good, "192.0.2.1"), options)), 429);
  assert.equal(await status(validateRequest(req(good, "192.0.2.2"), options)), 200);
  // No trusted address: never throttled (one key for everyone would lock everyone out).
  assert.equal(await status(validateRequest(req(bad, "not-an-ip"), options)), 401);
  now += 3551;
  assert.equal(await status(validateRequest(req(good, "192.0.2.1"), options)), 200);

  await flushAudit(options);
  const reasons = sink.events.map((x) => `${x.outcome}:${x.reason}`);
  assert.equal(reasons.filter((r) => r === "failed_auth:bad_signature").length, 51);
  assert.equal(reasons.filter((r) => r === "failed_auth:too_many_attempts").length, 2);
  assert.ok(sink.events.every((x) => x.function === "unit"));
});

Deno.test("throttle: a subject block refuses failures only, never that user's valid token", async () => {
  const victim = crypto.randomUUID();
  const options: AuthOptions = {
    jwtSecret: SECRET,
    audit: false,
    throttle: { blockAfter: 3, alertAfter: 1, onAlert: () => {} },
  };
  const forged = await userToken(victim, WRONG_SECRET);
  for (let i = 0; i < 3; i++) {
    assert.equal(await status(validateRequest(req(forged, `192.0.2.${10 + i}`), options)), 401);
  }
  assert.equal(await status(validateRequest(req(forged, "192.0.2.20"), options)), 429);
  assert.equal(
    await status(validateRequest(req(await userToken(victim), "192.0.2.21"), options)),
    200,
  );
  // Their own expired token still gets its 401 (so the client refreshes), not a 429; and a
  // stream of their own genuine-but-rejected tokens never blocks the subject either.
  const now = Math.floor(Date.now() / 1000);
  const genuine = (claims: Record<string, unknown>) =>
    new SignJWT({ sub: victim, role: "authenticated", ...claims })
      .setProtectedHeader({ alg: "HS256" })
      .sign(new TextEncoder().encode(SECRET));
  const expired = await genuine({ aud: "authenticated", exp: now - 60 });
  const wrongAud = await genuine({ aud: "someone-else", exp: now + 600 });
  for (let i = 0; i < 5; i++) {
    for (const t of [expired, wrongAud]) {
      assert.equal(await status(validateRequest(req(t, `192.0.2.${30 + i}`), options)), 401);
    }
  }
});

Deno.test("throttle: the server's own failures never count against its clients", async () => {
  // A misconfigured verifier (500) or a key outage (503) is not the caller's failed attempt:
  // valid users must not be blocked for it.
  const good = await userToken(crypto.randomUUID());
  for (
    const broken of [
      { jwtSecret: "too-short" },
      { jwtSecret: null, jwks: null, jwksUrl: false as const },
      { jwtSecret: SECRET, leewaySeconds: -1 },
    ]
  ) {
    const options: AuthOptions = {
      ...broken,
      audit: false,
      throttle: { blockAfter: 1, alertAfter: 1, onAlert: () => {} },
    };
    for (let i = 0; i < 5; i++) {
      assert.equal(await status(validateRequest(req(good, "192.0.2.9"), options)), 500);
    }
  }
});

Deno.test("throttle: a broken store fails open for throttling, never for authentication", async () => {
  const broken: ThrottleStore = {
    name: "broken",
    hit: () => Promise.reject(new Error("down")),
    peek: () => Promise.reject(new Error("down")),
  };
  const hanging: ThrottleStore = {
    name: "hanging",
    hit: () => new Promise(() => {}),
    peek: () => new Promise(() => {}),
  };
  for (const store of [broken, hanging]) {
    const options: AuthOptions = {
      jwtSecret: SECRET,
      audit: false,
      throttle: { store, blockAfter: 1, storeTimeoutMs: 50, allowCacheMs: 0 },
    };
    const bad = await userToken(crypto.randomUUID(), WRONG_SECRET);
    const good = await userToken(crypto.randomUUID());
    for (let i = 0; i < 3; i++) {
      assert.equal(await status(validateRequest(req(bad, "192.0.2.30"), options)), 401);
      assert.equal(await status(validateRequest(req(good, "192.0.2.30"), options)), 200);
    }
    assert.equal(await status(validateRequest(req(null, "192.0.2.30"), options)), 401);
  }
});

Deno.test("audit: require-checks emit one event each; overflow is counted, not silent", async () => {
  const sink = memorySink();
  const options: AuthOptions = { jwtSecret: SECRET, audit: { sinks: [sink] } };
  const { requireRole, requirePermission } = await import("../mod.ts");
  const ctx = await validateRequest(
    req(await userToken(crypto.randomUUID()), "192.0.2.40"),
    options,
  );
  requireRole(ctx, ["pharmacist"]);
  assert.throws(() => requirePermission(ctx, "users.manage"), { code: "insufficient_permission" });
  await flushAudit(options);
  assert.deepEqual(
    sink.events.map((e) => [e.check, e.outcome, e.reason, e.ip]),
    [
      ["authenticate", "granted", "ok", "192.0.2.40"],
      ["role", "granted", "ok", "192.0.2.40"],
      ["permission", "denied", "insufficient_permission", "192.0.2.40"],
    ],
  );
  assert.equal(new Set(sink.events.map((e) => e.request_id)).size, 1);

  // A sink that never answers: the buffer bound holds and the overflow is counted.
  const stuck: AuditSink = { name: "stuck", write: () => new Promise(() => {}) };
  const a = new Auditor({ sinks: [stuck], maxBuffer: 100, writeTimeoutMs: 0 });
  const raw = {
    at: Date.now(),
    request_id: "r",
    function: "f",
    outcome: "granted" as const,
    reason: "ok",
    check: "authenticate" as const,
    status: 200,
    user_id: null,
    role: null,
    ip: "unknown",
    user_agent: null,
  };
  for (let i = 0; i < 1000; i++) a.emit(raw);
  await new Promise((r) => setTimeout(r, 20));
  const s = a.stats();
  assert.equal(s.emitted, 1000);
  assert.equal(s.sinks[0].pending + s.sinks[0].lost, 1000);
  assert.ok(s.sinks[0].lost >= 900);
});

/** Median microseconds per call of each op, one op after the other (a store op's trailing
 * socket work would land in the next op if they were interleaved). */
async function medians(n: number, ops: Record<string, () => Promise<unknown>>) {
  const out: Record<string, number> = {};
  for (const op of Object.values(ops)) for (let i = 0; i < 2000; i++) await op();
  for (const [k, op] of Object.entries(ops)) {
    const xs: number[] = [];
    for (let i = 0; i < n; i++) {
      const t = performance.now();
      await op();
      xs.push(performance.now() - t);
    }
    out[k] = median(xs) * 1000;
  }
  return out;
}

serverTest("throttle and audit: added latency per granted request (median, one run)", {
  redis: true,
}, async () => {
  const store = await RedisThrottleStore.connect(REDIS_URL);
  const prefixed = new RedisThrottleStore(store.client, `test:${crypto.randomUUID()}:`);
  try {
    const token = await userToken(crypto.randomUUID());
    const make = (o: Partial<AuthOptions>): AuthOptions => ({ jwtSecret: SECRET, ...o });
    const base = make({ audit: false });
    const memory = make({ audit: false, throttle: { store: new MemoryThrottleStore() } });
    const redisCached = make({ audit: false, throttle: { store: prefixed } });
    const redisEvery = make({ audit: false, throttle: { store: prefixed, allowCacheMs: 0 } });
    const audited = make({ audit: { sinks: [{ name: "null", write: () => {} }] } });
    const N = 3000;
    const op = (o: AuthOptions) => () => validateRequest(req(token, "192.0.2.50"), o);
    const m = await medians(N, {
      base: op(base),
      audited: op(audited),
      memory: op(memory),
      redisCached: op(redisCached),
      redisEvery: op(redisEvery),
    });
    const f = (x: number) => x.toFixed(1);
    console.log(
      `validateRequest median (µs, HS256, cached token, ${N} runs): no throttle ${f(m.base)}; ` +
        `throttle added: memory ${f(m.memory - m.base)}, redis (1 s verdict cache) ` +
        `${f(m.redisCached - m.base)}, redis (store read every request) ` +
        `${f(m.redisEvery - m.base)}; audit emit added ${f(m.audited - m.base)}`,
    );
    // A measurement for the notes, not a timing assertion: what is checked is that every
    // configuration granted every request (a throw fails the test) and that the Redis store
    // answered every call rather than failing open.
    for (const o of [redisCached, redisEvery]) {
      const stats = throttleStats(o)!;
      assert.equal(stats.storeErrors, 0);
      assert.equal(stats.blocked, 0);
    }
  } finally {
    await store.close();
  }
});

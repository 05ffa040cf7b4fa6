// Failed-auth throttling across two edge instances (separate processes) sharing one store:
// Redis, then Postgres. The 51st failure from one IP across both is refused with 429, a valid
// token from that IP is refused while the block lasts, other clients and the targeted user's
// own valid token are unaffected, and the block expires with the (short) window.
import assert from "node:assert/strict";
import { withFreshDb } from "./db/_pg.ts";
import {
  call,
  type Instance,
  REDIS_URL,
  serverTest,
  startInstance,
  userToken,
  WRONG_SECRET,
} from "./audit/_cluster.ts";

const WINDOW = 6;
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

async function scenario(store: Record<string, string>): Promise<void> {
  const env = {
    THROTTLE_WINDOW_SECONDS: String(WINDOW),
    AUDIT_SINKS: "off",
    ...store,
  };
  const a = await startInstance(env);
  const b = await startInstance(env);
  const both: Instance[] = [a, b];
  try {
    const victim = crypto.randomUUID();
    const good = await userToken(victim);
    const forged = await userToken(victim, WRONG_SECRET);
    const attacker = "203.0.113.77";
    const other = "198.51.100.20";

    // 50 failures, alternating between the instances: all plain 401s.
    for (let i = 0; i < 50; i++) {
      const res = await call(both[i % 2], forged, attacker);
      assert.equal(res.status, 401, `failure ${i + 1} should be 401`);
    }
    // The 51st, on either instance, is refused.
    const refused = await call(b, forged, attacker);
    assert.equal(refused.status, 429);
    const retryAfter = Number(refused.headers.get("retry-after"));
    assert.ok(retryAfter >= 1 && retryAfter <= WINDOW, `Retry-After ${retryAfter}`);
    assert.equal(refused.headers.get("content-type"), "application/json");

    // Another client, and the victim's own valid token from elsewhere, are unaffected.
    for (const inst of both) {
      assert.equal((await call(inst, good, other)).status, 200);
    }
    // From the blocked address even a valid token is refused (once the instance's
    // "not blocked" cache, 1 s, has expired).
    await sleep(1100);
    for (const inst of both) {
      assert.equal((await call(inst, good, attacker)).status, 429);
    }

    // The block expires with the window.
    await sleep((WINDOW + 1) * 1000);
    for (const inst of both) {
      assert.equal((await call(inst, good, attacker)).status, 200);
    }
    assert.equal((await call(a, forged, attacker)).status, 401);

    for (const inst of both) {
      const s = await inst.stats();
      assert.equal(s.throttle?.storeErrors, 0, "the store answered every call");
    }
  } finally {
    await a.stop();
    await b.stop();
  }
}

serverTest("throttle: two instances sharing Redis enforce one block", { redis: true }, async () => {
  await scenario({
    THROTTLE_STORE: "redis",
    THROTTLE_REDIS_URL: REDIS_URL,
    THROTTLE_KEY_PREFIX: `test:${crypto.randomUUID()}:`,
  });
});

serverTest("throttle: two instances sharing Postgres enforce one block", { pg: true }, async () => {
  await withFreshDb(async (_sql, url) => {
    await scenario({ THROTTLE_STORE: "postgres", THROTTLE_DATABASE_URL: url });
  }, { seed: false });
});

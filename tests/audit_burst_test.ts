// The audit trail under load and under store failure, with two edge instances (separate
// processes) writing to one Postgres audit table:
//   * a bounded burst (2,000 requests, half failing, 20 in flight): every event lands in
//     private.auth_events exactly once and no event holds personal data or credentials;
//   * killing the stores (Postgres audit sink and Redis throttle store) mid-run changes no
//     authentication decision, and every event is stored, pending or counted as lost.
import assert from "node:assert/strict";
import postgres from "postgres";
import { localSchemaFiles } from "../functions/_shared/db.ts";
import { withFreshDb } from "./db/_pg.ts";
import {
  call,
  EMAIL,
  type Instance,
  type InstanceStats,
  PHONE,
  pool,
  REDIS_URL,
  SECRET,
  serverTest,
  startInstance,
  userToken,
  WRONG_SECRET,
} from "./audit/_cluster.ts";

const REQUESTS = 2000;
const WIDTH = 20;

function totals(stats: InstanceStats[]) {
  let emitted = 0, written = 0, lost = 0, pending = 0;
  for (const s of stats) {
    emitted += s.audit?.emitted ?? 0;
    for (const k of s.audit?.sinks ?? []) {
      if (k.name !== "postgres") continue;
      written += k.written;
      lost += k.lost;
      pending += k.pending;
    }
  }
  return { emitted, written, lost, pending };
}

function assertNoPersonalData(text: string, tokens: string[]): void {
  assert.ok(!text.includes(EMAIL), "an email address leaked");
  assert.ok(!text.includes("@"), "something email-like leaked");
  assert.ok(!text.includes(PHONE), "a phone number leaked");
  assert.ok(!text.includes(SECRET) && !text.includes(WRONG_SECRET), "a secret leaked");
  assert.ok(!text.includes("eyJ"), "a JWT segment leaked");
  for (const t of tokens) assert.ok(!text.includes(t.split(".")[2]), "a signature leaked");
}

serverTest(
  "audit burst: 2,000 requests over two instances, each event stored exactly once, no PII",
  { pg: true, redis: true },
  async () => {
    await withFreshDb(async (sql, url) => {
      const env = {
        AUDIT_SINKS: "postgres,stdout",
        AUDIT_DATABASE_URL: url,
        THROTTLE_STORE: "redis",
        THROTTLE_REDIS_URL: REDIS_URL,
        THROTTLE_KEY_PREFIX: `test:${crypto.randomUUID()}:`,
      };
      const instances: Instance[] = [await startInstance(env), await startInstance(env)];
      try {
        const run = crypto.randomUUID().slice(0, 8);
        const users = Array.from({ length: 10 }, () => crypto.randomUUID());
        const good = await Promise.all(users.map((u) => userToken(u)));
        const bad = await Promise.all(
          Array.from({ length: 50 }, () => userToken(crypto.randomUUID(), WRONG_SECRET)),
        );
        const expected: number[] = [];
        const tasks = Array.from({ length: REQUESTS }, (_, i) => {
          const fail = i % 2 === 1;
          expected.push(fail ? 401 : 200);
          const token = fail ? bad[i % bad.length] : good[i % good.length];
          const ip = `198.51.${(i >> 8) & 255}.${i & 255}`;
          return async () => (await call(instances[i % 2], token, ip, `burst-${run}-${i}`)).status;
        });
        const started = performance.now();
        const statuses = await pool(tasks, WIDTH);
        const seconds = (performance.now() - started) / 1000;
        assert.deepEqual(statuses, expected, "every request got its authentication answer");

        const stats = await Promise.all(instances.map((i) => i.flush()));
        const t = totals(stats);
        const [row] = await sql`
          select count(*)::int as n, count(distinct request_id)::int as distinct_requests,
                 count(*) filter (where outcome = 'granted')::int as granted,
                 count(*) filter (where outcome = 'failed_auth')::int as failed
          from private.auth_events where request_id like ${`burst-${run}-%`}`;
        console.log(
          `audit burst: requests=${REQUESTS} events_stored=${row.n} events_lost=${t.lost} ` +
            `pending=${t.pending} emitted=${t.emitted} (${WIDTH} in flight, ` +
            `${(REQUESTS / seconds).toFixed(0)} req/s)`,
        );
        assert.equal(t.emitted, REQUESTS);
        assert.equal(row.n, REQUESTS, "one stored event per request");
        assert.equal(row.distinct_requests, REQUESTS, "no event stored twice");
        assert.equal(row.granted, REQUESTS / 2);
        assert.equal(row.failed, REQUESTS / 2);
        assert.equal(t.written, REQUESTS);
        assert.equal(t.lost, 0);

        // Fields: reason codes, IP resolved from X-Forwarded-For, user ids only for grants.
        const sample = await sql`
          select outcome, reason, check_name, status, user_id::text, app_role, ip, user_agent,
                 subject_hash
          from private.auth_events where request_id = ${`burst-${run}-1`}
             or request_id = ${`burst-${run}-2`} order by request_id`;
        assert.deepEqual(sample[0], {
          outcome: "failed_auth",
          reason: "bad_signature",
          check_name: "authenticate",
          status: 401,
          user_id: null,
          app_role: null,
          ip: "198.51.0.1",
          user_agent: "audit-test/1.0",
          subject_hash: sample[0].subject_hash,
        });
        assert.match(sample[0].subject_hash, /^[0-9a-f]{32}$/);
        assert.equal(sample[1].outcome, "granted");
        assert.equal(sample[1].user_id, users[2]);
        assert.equal(sample[1].app_role, "pharmacist");
        assert.equal(sample[1].ip, "198.51.0.2");

        // No personal data or credential anywhere: the table and the stdout lines.
        const all = await sql`select row_to_json(e)::text as j from private.auth_events e`;
        assertNoPersonalData(all.map((r) => r.j).join("\n"), [...good, ...bad]);
        let lines = 0;
        for (const inst of instances) {
          for (const line of inst.stdout().split("\n")) {
            if (!line.startsWith("{")) continue;
            JSON.parse(line);
            lines++;
          }
          assertNoPersonalData(inst.stdout(), [...good, ...bad]);
        }
        assert.equal(lines, REQUESTS, "one stdout JSON line per event");
      } finally {
        for (const inst of instances) await inst.stop();
      }
    }, { seed: false });
  },
);

// ---------------------------------------------------------------------------------------
// Killing the stores mid-run
// ---------------------------------------------------------------------------------------

function freePort(): number {
  const l = Deno.listen({ hostname: "127.0.0.1", port: 0 });
  const port = (l.addr as Deno.NetAddr).port;
  l.close();
  return port;
}

async function startPrivateRedis(): Promise<{ url: string; kill: () => Promise<void> }> {
  const port = freePort();
  const child = new Deno.Command("redis-server", {
    args: ["--port", String(port), "--bind", "127.0.0.1", "--save", "", "--appendonly", "no"],
    stdout: "null",
    stderr: "null",
  }).spawn();
  for (let i = 0; i < 100; i++) {
    try {
      (await Deno.connect({ hostname: "127.0.0.1", port })).close();
      break;
    } catch {
      await new Promise((r) => setTimeout(r, 50));
    }
  }
  return {
    url: `redis://127.0.0.1:${port}/0`,
    kill: async () => {
      child.kill("SIGKILL");
      await child.status;
    },
  };
}

async function pgScript(cmd: string, dir: string, port: number): Promise<string> {
  const out = await new Deno.Command("scripts/pg.sh", {
    args: [cmd],
    env: { PG_TEST_DIR: dir, PG_TEST_PORT: String(port) },
    stdout: "piped",
    stderr: "piped",
  }).output();
  if (!out.success) throw new Error(new TextDecoder().decode(out.stderr));
  return new TextDecoder().decode(out.stdout);
}

serverTest(
  "audit/throttle stores killed mid-run: no authentication decision lost, audit loss counted",
  { pg: true, redis: true },
  async () => {
    const dir = `${Deno.env.get("TMPDIR") ?? "/tmp"}/edge-auth-kill-pg-${crypto.randomUUID()}`;
    const exports = await pgScript("start", dir, freePort());
    const url = /TEST_DATABASE_URL=(\S+)/.exec(exports)?.[1]?.replace(/^'|'$/g, "");
    assert.ok(url, "private PostgreSQL started");
    const redis = await startPrivateRedis();
    let pgAlive = true;
    const instances: Instance[] = [];
    try {
      const sql = postgres(url, { max: 1, onnotice: () => {} });
      for (const f of await localSchemaFiles()) {
        if (f.pathname.endsWith("/seed.sql")) continue;
        await sql.unsafe(await Deno.readTextFile(f)).simple();
      }
      await sql.end();
      const env = {
        AUDIT_SINKS: "postgres",
        AUDIT_DATABASE_URL: url,
        THROTTLE_STORE: "redis",
        THROTTLE_REDIS_URL: redis.url,
        THROTTLE_ALLOW_CACHE_MS: "0",
      };
      instances.push(await startInstance(env), await startInstance(env));
      const good = await userToken(crypto.randomUUID());
      // Failing tokens name many subjects and come from many addresses: no block is reached.
      const bad = await Promise.all(
        Array.from({ length: 100 }, () => userToken(crypto.randomUUID(), WRONG_SECRET)),
      );
      const total = 600;
      const killAt = 200;
      const expected = Array.from({ length: total }, (_, i) => (i % 2 ? 401 : 200));
      const task = (i: number) => async () =>
        (await call(instances[i % 2], i % 2 ? bad[i % 100] : good, `203.0.113.${i % 200}`))
          .status;
      const first = await pool(Array.from({ length: killAt }, (_, i) => task(i)), 20);
      await redis.kill();
      await pgScript("stop", dir, 0);
      pgAlive = false;
      const rest = await pool(
        Array.from({ length: total - killAt }, (_, i) => task(killAt + i)),
        20,
      );
      assert.deepEqual([...first, ...rest], expected, "every decision unchanged by the outage");

      const stats = await Promise.all(instances.map((i) => i.flush()));
      const t = totals(stats);
      const storeErrors = stats.reduce((n, s) => n + (s.throttle?.storeErrors ?? 0), 0);
      console.log(
        `stores killed after ${killAt}/${total} requests: decisions correct=${total} ` +
          `events emitted=${t.emitted} stored=${t.written} lost(counted)=${t.lost} ` +
          `pending=${t.pending} throttle store errors (failed open)=${storeErrors}`,
      );
      assert.equal(t.emitted, total);
      assert.equal(t.written + t.lost + t.pending, t.emitted, "no event unaccounted for");
      assert.ok(t.written >= killAt / 2, "events before the kill were stored");
      assert.ok(t.lost + t.pending > 0, "events after the kill are counted, not silently gone");
      assert.ok(storeErrors > 0, "throttle store errors counted");
    } finally {
      for (const inst of instances) await inst.stop();
      await redis.kill().catch(() => {});
      if (pgAlive) await pgScript("stop", dir, 0).catch(() => "");
      await Deno.remove(dir, { recursive: true }).catch(() => {});
    }
  },
);

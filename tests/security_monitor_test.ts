// functions/security-monitor on PostgreSQL: service_role only; alerts per IP / subject over the
// thresholds and for lost audit events, recorded in private.auth_events and sent as one SMS
// through a gateway stand-in on loopback; not raised twice within the window; dry run sends
// and writes nothing.
import assert from "node:assert/strict";
import { SignJWT } from "jose";
import { withFreshDb } from "./db/_pg.ts";
import { createPostgresBackend, setBackend } from "../functions/_shared/db.ts";
import { SECRET, serverTest, userToken } from "./audit/_cluster.ts";

async function serviceRoleKey(): Promise<string> {
  const now = Math.floor(Date.now() / 1000);
  return await new SignJWT({ role: "service_role" })
    .setProtectedHeader({ alg: "HS256", typ: "JWT" })
    .setIssuer("supabase")
    .setIssuedAt(now)
    .setExpirationTime(now + 600)
    .sign(new TextEncoder().encode(SECRET));
}

serverTest("security-monitor: alerts, SMS, audit rows, de-duplication, dry run", {
  pg: true,
}, async () => {
  const sms: Array<{ text: string; phoneNumbers: string[] }> = [];
  const gateway = Deno.serve({ hostname: "127.0.0.1", port: 0, onListen: () => {} }, async (r) => {
    const body = await r.json();
    sms.push({ text: body.textMessage.text, phoneNumbers: body.phoneNumbers });
    return Response.json({ id: "msg-1" }, { status: 202 });
  });
  const env: Record<string, string> = {
    SUPABASE_JWT_SECRET: SECRET,
    AUDIT_SINKS: "off",
    THROTTLE: "off",
    SMS_GATEWAY_URL: `http://127.0.0.1:${gateway.addr.port}`,
    SMS_GATEWAY_USER: "u",
    SMS_GATEWAY_PASSWORD: "p",
    SECURITY_ALERT_PHONE: "+15550009999",
  };
  for (const [k, v] of Object.entries(env)) Deno.env.set(k, v);
  try {
    await withFreshDb(async (sql, url) => {
      const backend = createPostgresBackend(url, 2);
      setBackend(backend);
      try {
        // Registers with a stand-in router instead of calling Deno.serve.
        globalThis.__edgeAuthDevRouter = { register: () => {} };
        const { handler } = await import("../functions/security-monitor/index.ts");
        globalThis.__edgeAuthDevRouter = undefined;
        const subject = "ab".repeat(16);
        const insert = (
          n: number,
          ip: string,
          outcome = "failed_auth",
          count: number | null = null,
        ) =>
          sql`insert into private.auth_events (event_id, occurred_at, request_id, function_name,
                outcome, reason, check_name, status, ip, subject_hash, count)
              select gen_random_uuid(), now(), 'r', 'whoami', ${outcome}, 'bad_signature',
                'authenticate', 401, ${ip}, ${subject}, ${count}
              from generate_series(1, ${n})`;
        await insert(7, "203.0.113.7"); // over 5: alert
        await insert(60, "203.0.113.8"); // over 50: block (the subject: 67 failures)
        await insert(3, "203.0.113.9"); // under the threshold
        await insert(1, "unknown", "audit_loss", 4);

        const post = async (token: string | null, query = "", body?: string) => {
          const headers: Record<string, string> = {};
          if (token) headers.authorization = `Bearer ${token}`;
          return await handler(
            new Request(`http://127.0.0.1/functions/v1/security-monitor${query}`, {
              method: "POST",
              headers,
              body,
            }),
          );
        };
        assert.equal((await post(null)).status, 401);
        assert.equal((await post(await userToken(crypto.randomUUID()))).status, 403);
        const key = await serviceRoleKey();

        const dry = await (await post(key, "?dry_run=1")).json();
        assert.equal(dry.dry_run, true);
        assert.equal(dry.sms, "dry_run");
        assert.equal(dry.alerts.length, 4);
        // Asking for a dry run in any spelling, or with a value it does not know, is a dry run;
        // a body it cannot read is refused rather than taken as a live run.
        for (
          const [query, body] of [
            ["?dry_run=True", undefined],
            ["?dry_run=YES", undefined],
            ["?dry_run=maybe", undefined],
            ["", '{"dry_run":"TRUE"}'],
            ["", '{"dry_run":2}'],
          ]
        ) {
          const r = await (await post(key, query, body)).json();
          assert.equal(r.dry_run, true, `${query} ${body}`);
        }
        for (const body of ["dry_run=1", "[true]", '"x"']) {
          const r = await post(key, "", body);
          assert.equal(r.status, 400, body);
          await r.body?.cancel();
        }
        assert.equal(sms.length, 0);
        const [{ n: none }] = await sql`select count(*)::int as n from private.auth_events
                                        where outcome = 'alert'`;
        assert.equal(none, 0);

        const res = await post(key);
        assert.equal(res.status, 200);
        const report = await res.json();
        const summary = report.alerts.map((
          a: { kind: string; value: string; level: string; count: number },
        ) => `${a.kind}:${a.value}:${a.level}:${a.count}`).sort();
        assert.deepEqual(summary, [
          "audit_loss:edge:loss:4",
          "ip:203.0.113.7:alert:7",
          "ip:203.0.113.8:block:60",
          `subject:${subject}:block:70`,
        ]);
        assert.equal(report.recorded, 4);
        assert.equal(report.sms, "sent");
        assert.equal(sms.length, 1);
        assert.deepEqual(sms[0].phoneNumbers, ["+15550009999"]);
        assert.match(sms[0].text, /203\.0\.113\.8: 60 failed logins\/60m \(blocked\)/);
        assert.match(sms[0].text, /4 audit events lost/);

        // The next run finds the same counts already alerted: nothing new, no SMS.
        const again = await (await post(key)).json();
        assert.equal(again.alerts.length, 0);
        assert.equal(again.suppressed, 4);
        assert.equal(sms.length, 1);
      } finally {
        setBackend(null);
        await backend.close();
      }
    }, { seed: false });
  } finally {
    for (const k of Object.keys(env)) Deno.env.delete(k);
    await gateway.shutdown();
  }
});

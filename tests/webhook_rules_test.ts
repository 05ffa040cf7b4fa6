// The common webhook rules, each broken on purpose for every scheme: a missing header, no or an
// empty secret, malformed encodings, a timestamp outside the tolerance either way, a body over
// the cap (declared or streamed), and a replay. Each must give its stable code and status, and
// no response may echo the body.
import assert from "node:assert/strict";
import { createHash, createHmac } from "node:crypto";
import {
  AuthError,
  MemoryReplayStore,
  verifyWebhook,
  type WebhookConfig,
  withWebhook,
} from "../mod.ts";

const URL_ = "http://127.0.0.1:54321/functions/v1/hook";
const NOW = 1_700_000_000;
const STD_KEY = new Uint8Array(32).fill(7);
const STD_SECRET = `v1,whsec_${btoa(String.fromCharCode(...STD_KEY))}`;
const SMS_KEY = "sms-gateway-signing-key";
const TWILIO_TOKEN = "0123456789abcdef0123456789abcdef";
const PUBLIC_URL = "https://pharmacy.example.com/functions/v1/twilio-inbound";
const SECRET_BODY = '{"id":"evt_1","otp":"918273"}';

type Scheme = "standard" | "sms-gateway" | "twilio";

function config(scheme: Scheme, extra: Partial<WebhookConfig> = {}): WebhookConfig {
  const secrets = scheme === "standard"
    ? [STD_SECRET]
    : scheme === "sms-gateway"
    ? [SMS_KEY]
    : [TWILIO_TOKEN];
  return {
    scheme,
    secrets,
    publicUrl: scheme === "twilio" ? PUBLIC_URL : undefined,
    now: () => NOW,
    replayStore: false,
    ...extra,
  };
}

/** Headers of a correctly signed request for `body` at time `ts`. */
function signed(scheme: Scheme, body: string, ts = NOW, id = "evt_1"): Record<string, string> {
  if (scheme === "standard") {
    const mac = createHmac("sha256", STD_KEY).update(`${id}.${ts}.${body}`).digest("base64");
    return {
      "webhook-id": id,
      "webhook-timestamp": String(ts),
      "webhook-signature": `v1,${mac}`,
    };
  }
  if (scheme === "sms-gateway") {
    const mac = createHmac("sha256", SMS_KEY).update(body + String(ts)).digest("hex");
    return { "x-signature": mac, "x-timestamp": String(ts) };
  }
  // Twilio form body: sorted name+value pairs after the URL.
  const params = [...new URLSearchParams(body)].sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
  const data = PUBLIC_URL + params.map(([k, v]) => k + v).join("");
  return { "x-twilio-signature": createHmac("sha1", TWILIO_TOKEN).update(data).digest("base64") };
}

function bodyFor(scheme: Scheme): string {
  return scheme === "twilio" ? "MessageSid=SM1&Body=918273&From=%2B15551234567" : SECRET_BODY;
}

function request(headers: Record<string, string>, body: BodyInit | null): Request {
  return new Request(URL_, { method: "POST", headers, body });
}

async function code(req: Request, cfg: WebhookConfig): Promise<string> {
  try {
    await verifyWebhook(req, cfg);
    return "accepted";
  } catch (e) {
    assert.ok(e instanceof AuthError, `not an AuthError: ${e}`);
    assert.ok(!e.message.includes("918273"), "an error message echoes the body");
    return `${e.status} ${e.code}`;
  }
}

const SCHEMES: Scheme[] = ["standard", "sms-gateway", "twilio"];

Deno.test("control: a correctly signed request is accepted by every scheme", async () => {
  for (const s of SCHEMES) {
    const body = bodyFor(s);
    assert.equal(await code(request(signed(s, body), body), config(s)), "accepted", s);
  }
});

Deno.test("missing header: each required header removed (or empty) gives 401", async () => {
  for (const s of SCHEMES) {
    const body = bodyFor(s);
    for (const name of Object.keys(signed(s, body))) {
      const h = signed(s, body);
      delete h[name];
      assert.equal(await code(request(h, body), config(s)), "401 webhook_missing_header", name);
      const empty = { ...signed(s, body), [name]: "" };
      assert.equal(await code(request(empty, body), config(s)), "401 webhook_missing_header");
    }
  }
});

Deno.test("empty secret: no secret, an empty one, or an unset env never verifies (401)", async () => {
  const saved = Deno.env.get("SEND_SMS_HOOK_SECRET");
  Deno.env.delete("SEND_SMS_HOOK_SECRET");
  try {
    for (const s of SCHEMES) {
      const body = bodyFor(s);
      for (const secrets of [[], [""], ["", "x"]]) {
        const got = await code(request(signed(s, body), body), config(s, { secrets }));
        assert.equal(got, "401 webhook_no_secret", `${s} ${JSON.stringify(secrets)}`);
      }
    }
    const fromEnv: WebhookConfig = { scheme: "standard", now: () => NOW, replayStore: false };
    const body = bodyFor("standard");
    assert.equal(
      await code(request(signed("standard", body), body), fromEnv),
      "401 webhook_no_secret",
    );
  } finally {
    if (saved !== undefined) Deno.env.set("SEND_SMS_HOOK_SECRET", saved);
  }
});

Deno.test("malformed secrets and URLs are configuration errors (500), never accepted", async () => {
  const body = bodyFor("standard");
  for (const secret of ["not-whsec", "whsec_!!!!", "whsec_QUJD"]) {
    const got = await code(
      request(signed("standard", body), body),
      config("standard", {
        secrets: [secret],
      }),
    );
    assert.equal(got, "500 webhook_config", secret);
  }
  // An unknown scheme is a configuration error whatever the secrets (none are looked up).
  for (const secrets of [[], ["x"]]) {
    const got = await code(
      request(signed("standard", body), body),
      config("standard", { scheme: "twillio" as Scheme, secrets }),
    );
    assert.equal(got, "500 webhook_config", `scheme typo, ${secrets.length} secrets`);
  }
  const tw = bodyFor("twilio");
  for (const publicUrl of ["", "pharmacy.example.com/x", `${PUBLIC_URL}?a=1`]) {
    const got = await code(request(signed("twilio", tw), tw), config("twilio", { publicUrl }));
    assert.equal(got, "500 webhook_config", publicUrl);
  }
});

Deno.test("malformed encoding: signatures and timestamps that are not canonical give 401", async () => {
  const std = bodyFor("standard");
  const good = signed("standard", std);
  const bad: Record<string, string>[] = [
    { ...good, "webhook-signature": good["webhook-signature"].replace(/=$/, "") },
    { ...good, "webhook-signature": good["webhook-signature"].replaceAll("/", "_") + "_" },
    { ...good, "webhook-signature": good["webhook-signature"].slice(3) },
    { ...good, "webhook-timestamp": `0${NOW}` },
    { ...good, "webhook-timestamp": `${NOW}.0` },
    { ...good, "webhook-timestamp": `+${NOW}` },
  ];
  for (const h of bad) {
    assert.equal(await code(request(h, std), config("standard")), "401 webhook_bad_encoding");
  }
  const sms = bodyFor("sms-gateway");
  const sg = signed("sms-gateway", sms);
  for (
    const h of [
      { ...sg, "x-signature": sg["x-signature"].toUpperCase() },
      { ...sg, "x-signature": sg["x-signature"].slice(1) },
      { ...sg, "x-timestamp": "1e9" },
    ]
  ) {
    assert.equal(await code(request(h, sms), config("sms-gateway")), "401 webhook_bad_encoding");
  }
  const tw = bodyFor("twilio");
  const th = signed("twilio", tw);
  assert.equal(
    await code(
      request({ "x-twilio-signature": th["x-twilio-signature"] + "=" }, tw),
      config(
        "twilio",
      ),
    ),
    "401 webhook_bad_encoding",
  );
  assert.equal(
    await code(request(th, tw + "&Bad=%zz"), config("twilio")),
    "401 webhook_bad_encoding",
  );
});

Deno.test("timestamp outside the tolerance, in the past and in the future, gives 401", async () => {
  for (const s of ["standard", "sms-gateway"] as const) {
    const body = bodyFor(s);
    for (
      const [offset, expected] of [
        [-300, "accepted"],
        [300, "accepted"],
        [-301, "401 webhook_timestamp"],
        [301, "401 webhook_timestamp"],
        [-86400, "401 webhook_timestamp"],
        [86400, "401 webhook_timestamp"],
      ] as const
    ) {
      const got = await code(request(signed(s, body, NOW + offset), body), config(s));
      assert.equal(got, expected, `${s} ${offset}`);
    }
    const narrow = config(s, { toleranceSeconds: 10 });
    assert.equal(
      await code(request(signed(s, body, NOW - 11), body), narrow),
      "401 webhook_timestamp",
    );
  }
});

Deno.test("body too large: declared, streamed without a length, and the exact cap", async () => {
  for (const s of SCHEMES) {
    const cfg = config(s, { maxBodyBytes: 100 });
    const atCap = s === "twilio" ? "MessageSid=SM1&Body=" + "x".repeat(80) : "x".repeat(100);
    assert.equal(atCap.length, 100);
    assert.equal(await code(request(signed(s, atCap), atCap), cfg), "accepted", s);
    const over = atCap + "y";
    assert.equal(await code(request(signed(s, over), over), cfg), "413 webhook_too_large");
    // A stream that never ends: the cap must stop reading and cancel it.
    let cancelled = false;
    const endless = new ReadableStream<Uint8Array>({
      pull(c) {
        c.enqueue(new Uint8Array(64).fill(120));
      },
      cancel() {
        cancelled = true;
      },
    });
    assert.equal(
      await code(request(signed(s, over), endless), cfg),
      "413 webhook_too_large",
    );
    assert.ok(cancelled, `${s}: the over-long stream was not cancelled`);
  }
  // The 64 KiB default.
  const big = "x".repeat(64 * 1024 + 1);
  assert.equal(
    await code(request(signed("sms-gateway", big), big), config("sms-gateway")),
    "413 webhook_too_large",
  );
  const fits = "x".repeat(64 * 1024);
  assert.equal(
    await code(request(signed("sms-gateway", fits), fits), config("sms-gateway")),
    "accepted",
  );
});

Deno.test("replay: the same event id is refused within the window, accepted after it", async () => {
  for (const s of SCHEMES) {
    let now = NOW;
    const store = new MemoryReplayStore({ now: () => now });
    const cfg = config(s, { replayStore: store, now: () => now });
    const body = bodyFor(s);
    const h = signed(s, body);
    assert.equal(await code(request(h, body), cfg), "accepted");
    assert.equal(await code(request(h, body), cfg), "401 webhook_replay", s);
    // Another event goes through.
    if (s !== "twilio") {
      const other = s === "standard" ? body : '{"id":"evt_2"}';
      const h2 = signed(s, other, NOW, "evt_2");
      assert.equal(await code(request(h2, other), cfg), "accepted");
    }
    // The id is remembered for twice the tolerance: by then the timestamp is stale anyway.
    now = NOW + 601;
    if (s === "twilio") assert.equal(await code(request(h, body), cfg), "accepted");
    else assert.equal(await code(request(h, body), cfg), "401 webhook_timestamp");
  }
  // Twilio's event id is MessageSid plus the status of a status callback.
  const store = new MemoryReplayStore();
  const cfg = config("twilio", { replayStore: store });
  for (const status of ["sent", "delivered"]) {
    const body = `MessageSid=SM9&MessageStatus=${status}`;
    const hook = await verifyWebhook(request(signed("twilio", body), body), cfg);
    assert.equal(hook.eventId, `SM9:${status}`);
  }
});

Deno.test("replay: Twilio parameters re-split under the same signature are still a replay", async () => {
  // Twilio signs name+value pairs with no separator, so a captured body can be re-split
  // (MessageSid swallowing MessageStatus, or the reverse) without changing the signature.
  const original = "AccountSid=AC1&MessageSid=SM123&MessageStatus=delivered&To=%2B15550001";
  const resplit = [
    "AccountSid=AC1&MessageSid=SM123MessageStatusdelivered&To=%2B15550001",
    "AccountSid=AC1&MessageSid=SM123MessageStatusdeliveredTo%2B15550001",
    "AccountSid=AC1MessageSidSM123&MessageStatus=delivered&To=%2B15550001",
  ];
  const h = signed("twilio", original);
  for (const first of [original, ...resplit]) {
    const cfg = config("twilio", { replayStore: new MemoryReplayStore() });
    assert.equal(await code(request(h, first), cfg), "accepted", first);
    for (const again of [original, ...resplit]) {
      assert.equal(await code(request(h, again), cfg), "401 webhook_replay", `${first} / ${again}`);
    }
  }
});

Deno.test("replay: the in-memory store stays bounded", async () => {
  const store = new MemoryReplayStore({ maxEntries: 50, now: () => NOW });
  for (let i = 0; i < 500; i++) assert.equal(await store.seen(`id${i}`, 600), false);
  assert.ok(store.size <= 50, `size ${store.size}`);
  assert.equal(await store.seen("id499", 600), true);
});

Deno.test("withWebhook: errors become JSON responses without the body; 5xx releases the id", async () => {
  const store = new MemoryReplayStore({ now: () => NOW });
  let calls = 0;
  let fail = true;
  const handler = withWebhook(config("standard", { replayStore: store }), (_req, hook) => {
    calls++;
    if (fail) return new Response("gateway down", { status: 502 });
    return Response.json({ id: hook.eventId, json: hook.json });
  });
  const body = bodyFor("standard");
  const bad = { ...signed("standard", body), "webhook-signature": "v1," + btoa("x".repeat(32)) };
  const res = await handler(request(bad, body));
  assert.equal(res.status, 401);
  const text = await res.text();
  assert.deepEqual(JSON.parse(text).error, "webhook_bad_signature");
  assert.ok(!text.includes("918273"));
  assert.equal(calls, 0);
  // The handler failed with 502: the sender's retry (same webhook-id) must be processed.
  assert.equal((await handler(request(signed("standard", body), body))).status, 502);
  fail = false;
  const ok = await handler(request(signed("standard", body), body));
  assert.equal(ok.status, 200);
  assert.deepEqual(await ok.json(), { id: "evt_1", json: JSON.parse(body) });
  // Now it succeeded: a further copy is a replay.
  const again = await handler(request(signed("standard", body), body));
  assert.equal(again.status, 401);
  assert.equal((await again.json()).error, "webhook_replay");
  assert.equal(calls, 2);
});

Deno.test("the signature covers the raw bytes: re-serialised JSON does not verify", async () => {
  const body = '{"a": 1,  "b":"x"}';
  const h = signed("standard", body);
  const reserialised = JSON.stringify(JSON.parse(body));
  assert.equal(
    await code(request(h, reserialised), config("standard")),
    "401 webhook_bad_signature",
  );
  // And a Twilio JSON body is bound by bodySHA256.
  const json = '{"MessageSid":"SM1"}';
  const hash = createHash("sha256").update(json).digest("hex");
  const sig = createHmac("sha1", TWILIO_TOKEN).update(`${PUBLIC_URL}?bodySHA256=${hash}`)
    .digest("base64");
  const tw = (b: string) =>
    new Request(`${URL_}?bodySHA256=${hash}`, {
      method: "POST",
      headers: { "x-twilio-signature": sig, "content-type": "application/json" },
      body: b,
    });
  assert.equal(await code(tw(json), config("twilio")), "accepted");
  assert.equal(
    await code(tw('{"MessageSid":"SM2"}'), config("twilio")),
    "401 webhook_bad_signature",
  );
});

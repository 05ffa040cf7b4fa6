// End to end over HTTP on 127.0.0.1: Supabase Auth's Send SMS hook call, signed like Supabase
// signs it, reaches functions/send-sms-hook, which sends through a stand-in SMS Gateway for
// Android started here that records every request. The right number and text must arrive;
// a bad signature, a replay or an unusable number must send nothing; the code is never logged.
// Also sms-inbound: signed gateway events are acknowledged once each.
import assert from "node:assert/strict";
import { createHmac } from "node:crypto";
import type { Handler as FunctionHandler } from "../functions/_shared/serve.ts";

interface Received {
  method: string;
  path: string;
  authorization: string | null;
  contentType: string | null;
  body: unknown;
}

const received: Received[] = [];
let gatewayStatus = 202;
const gateway = Deno.serve({ hostname: "127.0.0.1", port: 0, onListen() {} }, async (req) => {
  received.push({
    method: req.method,
    path: new URL(req.url).pathname,
    authorization: req.headers.get("authorization"),
    contentType: req.headers.get("content-type"),
    body: await req.json().catch(() => "unparseable"),
  });
  return Response.json({ id: `msg-${received.length}`, state: "Pending" }, {
    status: gatewayStatus,
  });
});

const HOOK_KEY = new Uint8Array(32).map((_, i) => i * 3 + 1);
const HOOK_SECRET = `v1,whsec_${btoa(String.fromCharCode(...HOOK_KEY))}`;
const SMS_KEY = "inbound-test-key";
Deno.env.set("SEND_SMS_HOOK_SECRET", HOOK_SECRET);
Deno.env.set("SMS_GATEWAY_WEBHOOK_KEY", SMS_KEY);
Deno.env.set("SMS_GATEWAY_URL", `http://127.0.0.1:${gateway.addr.port}/`);
Deno.env.set("SMS_GATEWAY_USER", "pharmacy");
Deno.env.set("SMS_GATEWAY_PASSWORD", "s3cret pass");
Deno.env.delete("SMS_OTP_MESSAGE");

// Import the functions as the dev server does, so importing them does not start a server.
type Handler = (req: Request) => Promise<Response>;
async function load(name: string): Promise<Handler> {
  let captured: Handler | undefined;
  globalThis.__edgeAuthDevRouter = {
    register: (h: FunctionHandler) => (captured = h as Handler),
  };
  try {
    await import(`../functions/${name}/index.ts`);
  } finally {
    globalThis.__edgeAuthDevRouter = undefined;
  }
  assert.ok(captured, `${name} did not register a handler`);
  return captured;
}
const hookHandler = await load("send-sms-hook");
const inboundHandler = await load("sms-inbound");
const functions = Deno.serve({ hostname: "127.0.0.1", port: 0, onListen() {} }, (req) => {
  const path = new URL(req.url).pathname;
  if (path === "/functions/v1/send-sms-hook") return hookHandler(req);
  if (path === "/functions/v1/sms-inbound") return inboundHandler(req);
  return new Response("not found", { status: 404 });
});
const BASE = `http://127.0.0.1:${functions.addr.port}/functions/v1`;

// Everything the functions log, to prove the code never appears.
const logged: string[] = [];
for (const level of ["log", "info", "warn", "error", "debug"] as const) {
  const original = console[level];
  console[level] = (...args: unknown[]) => {
    logged.push(args.map(String).join(" "));
    original(...args);
  };
}

let counter = 0;
function hookCall(payload: unknown, opts: { key?: Uint8Array; id?: string; ts?: number } = {}) {
  const id = opts.id ?? `msg_${++counter}_${crypto.randomUUID()}`;
  const ts = opts.ts ?? Math.floor(Date.now() / 1000);
  const body = JSON.stringify(payload);
  const mac = createHmac("sha256", opts.key ?? HOOK_KEY).update(`${id}.${ts}.${body}`)
    .digest("base64");
  return () =>
    fetch(`${BASE}/send-sms-hook`, {
      method: "POST",
      headers: {
        "content-type": "application/json",
        "webhook-id": id,
        "webhook-timestamp": String(ts),
        "webhook-signature": `v1,${mac}`,
      },
      body,
    });
}

function otpPayload(otp: string, userPhone: string | undefined, smsPhone?: string) {
  return {
    user: { id: crypto.randomUUID(), phone: userPhone, aud: "authenticated", role: "" },
    sms: { otp, ...(smsPhone !== undefined ? { phone: smsPhone } : {}), sms_type: "otp" },
  };
}

async function settle() {
  // The gateway stand-in records before it answers, and the hook awaits that answer.
  await new Promise((r) => setTimeout(r, 0));
}

Deno.test("send-sms-hook: the code reaches the gateway for user.phone, in E.164", async () => {
  const before = received.length;
  const res = await hookCall(otpPayload("482913", "15551234567"))();
  assert.equal(res.status, 200);
  assert.deepEqual(await res.json(), {});
  await settle();
  assert.equal(received.length, before + 1);
  const got = received[received.length - 1];
  assert.equal(got.method, "POST");
  assert.equal(got.path, "/message");
  assert.equal(got.authorization, `Basic ${btoa("pharmacy:s3cret pass")}`);
  assert.match(got.contentType ?? "", /^application\/json/);
  const body = got.body as { textMessage: { text: string }; phoneNumbers: string[] };
  assert.deepEqual(body.phoneNumbers, ["+15551234567"]);
  assert.equal(body.textMessage.text, "Your verification code is 482913");
  assert.deepEqual(Object.keys(body).sort(), ["phoneNumbers", "textMessage"]);
});

Deno.test("send-sms-hook: sms.phone wins over user.phone and is normalised", async () => {
  const res = await hookCall(otpPayload("550011", "15551234567", "0044 (20) 7946-0958"))();
  assert.equal(res.status, 200);
  await res.body?.cancel();
  const body = received[received.length - 1].body as { phoneNumbers: string[] };
  assert.deepEqual(body.phoneNumbers, ["+442079460958"]);
});

Deno.test("send-sms-hook: a bad signature sends nothing and answers 401 in hook form", async () => {
  const before = received.length;
  const wrongKey = new Uint8Array(32).fill(9);
  for (
    const call of [
      hookCall(otpPayload("777777", "15551234567"), { key: wrongKey }),
      hookCall(otpPayload("777777", "15551234567"), { ts: Math.floor(Date.now() / 1000) - 3600 }),
    ]
  ) {
    const res = await call();
    assert.equal(res.status, 401);
    const json = await res.json();
    assert.equal(json.error.http_code, 401);
    assert.equal(typeof json.error.message, "string");
    assert.ok(!JSON.stringify(json).includes("777777"));
  }
  // Unsigned: no headers at all.
  const res = await fetch(`${BASE}/send-sms-hook`, {
    method: "POST",
    body: JSON.stringify(otpPayload("777777", "15551234567")),
  });
  assert.equal(res.status, 401);
  await res.body?.cancel();
  await settle();
  assert.equal(received.length, before, "a request with a bad signature reached the gateway");
});

Deno.test("send-sms-hook: a replayed call sends nothing more", async () => {
  const call = hookCall(otpPayload("303030", "15557654321"));
  const before = received.length;
  const first = await call();
  assert.equal(first.status, 200);
  await first.body?.cancel();
  const second = await call();
  assert.equal(second.status, 401);
  assert.equal((await second.json()).error.http_code, 401);
  await settle();
  assert.equal(received.length, before + 1);
});

Deno.test("send-sms-hook: no usable number answers 400 and sends nothing", async () => {
  const before = received.length;
  for (const phone of [undefined, "", "12", "+0123456789", "not a number"]) {
    const res = await hookCall(otpPayload("121212", phone))();
    assert.equal(res.status, 400, String(phone));
    assert.equal((await res.json()).error.http_code, 400);
  }
  const res = await hookCall({ user: {}, sms: {} })();
  assert.equal(res.status, 400);
  await res.body?.cancel();
  assert.equal(received.length, before);
});

Deno.test("send-sms-hook: a gateway failure answers 502; Supabase's retry is then sent", async () => {
  gatewayStatus = 500;
  const call = hookCall(otpPayload("646464", "15550001111"));
  try {
    const res = await call();
    assert.equal(res.status, 502);
    const json = await res.json();
    assert.equal(json.error.http_code, 502);
    assert.ok(!JSON.stringify(json).includes("646464"));
  } finally {
    gatewayStatus = 202;
  }
  const retry = await call();
  assert.equal(retry.status, 200);
  await retry.body?.cancel();
});

Deno.test("send-sms-hook: no one-time code was ever logged", () => {
  for (const otp of ["482913", "550011", "777777", "303030", "121212", "646464"]) {
    assert.ok(!logged.some((l) => l.includes(otp)), `code ${otp} appears in the logs`);
  }
  assert.ok(logged.some((l) => l.includes("send-sms-hook: queued")), "nothing was logged at all");
});

function inbound(event: Record<string, unknown>, key = SMS_KEY) {
  const body = JSON.stringify(event);
  const ts = String(Math.floor(Date.now() / 1000));
  const sig = createHmac("sha256", key).update(body + ts).digest("hex");
  return () =>
    fetch(`${BASE}/sms-inbound`, {
      method: "POST",
      headers: { "content-type": "application/json", "x-signature": sig, "x-timestamp": ts },
      body,
    });
}

Deno.test("sms-inbound: known events acknowledged once, unknown ones 202, bad signatures 401", async () => {
  const base = { deviceId: "dev1", webhookId: "wh1" };
  for (const event of ["sms:received", "sms:sent", "sms:delivered", "sms:failed", "system:ping"]) {
    const call = inbound({
      ...base,
      id: `ev-${event}-${crypto.randomUUID()}`,
      event,
      payload: { messageId: "m1", message: "on my way", phoneNumber: "+15551230000" },
    });
    const res = await call();
    assert.equal(res.status, 200, event);
    const json = await res.json();
    assert.equal(json.event, event);
    const again = await call();
    assert.equal(again.status, 401, `${event} replay`);
    assert.equal((await again.json()).error, "webhook_replay");
  }
  const unknown = await inbound({ ...base, id: crypto.randomUUID(), event: "mms:received" })();
  assert.equal(unknown.status, 202);
  assert.equal((await unknown.json()).ignored, true);
  const forged = await inbound({ ...base, id: crypto.randomUUID(), event: "sms:received" }, "x")();
  assert.equal(forged.status, 401);
  assert.equal((await forged.json()).error, "webhook_bad_signature");
  assert.ok(!logged.some((l) => l.includes("on my way")), "message text was logged");
});

Deno.test({
  name: "stop the stand-in servers",
  sanitizeOps: false,
  sanitizeResources: false,
  fn: async () => {
    await functions.shutdown();
    await gateway.shutdown();
  },
});

// Every vector of ../shared/vectors/webhooks.json through verifyWebhook (the built WASM): a
// vector marked accept must verify, one marked reject must throw an AuthError.
import assert from "node:assert/strict";
import { AuthError, verifyWebhook, type WebhookConfig } from "../mod.ts";
import { sharedPath } from "./helpers.ts";

interface StandardVector {
  id: string;
  secret: string;
  webhook_id: string;
  timestamp: number;
  body: string;
  signature: string;
  expected: "accept" | "reject";
  now: number;
}
interface SmsGatewayVector {
  id: string;
  key: string;
  timestamp: string;
  body: string;
  x_signature: string;
  expected: "accept" | "reject";
  now: number;
}
interface TwilioVector {
  id: string;
  auth_token: string;
  url: string;
  params: [string, string][];
  body?: string;
  x_twilio_signature: string;
  expected: "accept" | "reject";
}
interface Vectors {
  standard_webhooks: StandardVector[];
  sms_gateway_android: SmsGatewayVector[];
  twilio: TwilioVector[];
}

const vectors: Vectors = JSON.parse(Deno.readTextFileSync(sharedPath("vectors/webhooks.json")));

// Where the request actually arrives: a local address, unlike the signed public URL.
const LOCAL = "http://127.0.0.1:54321/functions/v1/hook";

interface Case {
  id: string;
  expected: "accept" | "reject";
  config: WebhookConfig;
  request: () => Request;
}

function standardCase(v: StandardVector): Case {
  return {
    id: v.id,
    expected: v.expected,
    config: { scheme: "standard", secrets: [v.secret], now: () => v.now, replayStore: false },
    request: () =>
      new Request(LOCAL, {
        method: "POST",
        headers: {
          "webhook-id": v.webhook_id,
          "webhook-timestamp": String(v.timestamp),
          "webhook-signature": v.signature,
          "content-type": "application/json",
        },
        body: v.body,
      }),
  };
}

function smsGatewayCase(v: SmsGatewayVector): Case {
  return {
    id: v.id,
    expected: v.expected,
    config: { scheme: "sms-gateway", secrets: [v.key], now: () => v.now, replayStore: false },
    request: () =>
      new Request(LOCAL, {
        method: "POST",
        headers: { "X-Signature": v.x_signature, "X-Timestamp": v.timestamp },
        body: v.body,
      }),
  };
}

function twilioCase(v: TwilioVector): Case {
  const url = new URL(v.url);
  const publicUrl = v.url.split("?")[0];
  const json = v.body !== undefined;
  return {
    id: v.id,
    expected: v.expected,
    config: { scheme: "twilio", secrets: [v.auth_token], publicUrl, replayStore: false },
    request: () =>
      new Request(`${LOCAL}${url.search}`, {
        method: "POST",
        headers: {
          "X-Twilio-Signature": v.x_twilio_signature,
          "content-type": json ? "application/json" : "application/x-www-form-urlencoded",
        },
        body: json ? v.body : new URLSearchParams(v.params).toString(),
      }),
  };
}

const cases: Case[] = [
  ...vectors.standard_webhooks.map(standardCase),
  ...vectors.sms_gateway_android.map(smsGatewayCase),
  ...vectors.twilio.map(twilioCase),
];

Deno.test(`webhooks.json: all ${cases.length} vectors give their expected verdict`, async () => {
  const failures: string[] = [];
  const codes: string[] = [];
  for (const c of cases) {
    let verdict: string;
    try {
      const hook = await verifyWebhook(c.request(), c.config);
      assert.ok(hook.eventId.length > 0, `${c.id}: empty event id`);
      verdict = "accept";
    } catch (e) {
      assert.ok(e instanceof AuthError, `${c.id}: threw a non-AuthError: ${e}`);
      assert.equal(e.status, 401, `${c.id}: ${e.code}`);
      verdict = "reject";
      codes.push(`${c.id}: ${e.code}`);
    }
    if (verdict !== c.expected) failures.push(`${c.id}: expected ${c.expected}, got ${verdict}`);
  }
  console.log(
    `webhook vectors: ${cases.length - failures.length}/${cases.length} passed ` +
      `(standard ${vectors.standard_webhooks.length}, sms-gateway ` +
      `${vectors.sms_gateway_android.length}, twilio ${vectors.twilio.length}); rejections:\n  ` +
      codes.join("\n  "),
  );
  assert.deepEqual(failures, []);
});

Deno.test("webhooks.json: every accepted vector is refused once its signature is altered", async () => {
  let checked = 0;
  for (const c of cases.filter((c) => c.expected === "accept")) {
    const req = c.request();
    const headers = new Headers(req.headers);
    for (const name of ["webhook-signature", "x-signature", "x-twilio-signature"]) {
      const value = headers.get(name);
      if (value === null) continue;
      // Flip one character inside the MAC (not the version prefix, not padding).
      const i = value.length - 5;
      const flipped = value.slice(0, i) + (value[i] === "0" ? "1" : "0") + value.slice(i + 1);
      headers.set(name, flipped);
    }
    const tampered = new Request(req.url, { method: "POST", headers, body: await req.text() });
    await assert.rejects(verifyWebhook(tampered, c.config), (e: AuthError) => {
      assert.equal(e.code, "webhook_bad_signature", c.id);
      return true;
    });
    checked++;
  }
  assert.ok(checked >= 8, `only ${checked} accepted vectors`);
});

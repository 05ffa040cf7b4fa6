// Random inputs cross-checked against independent implementations: the official
// `standardwebhooks` package (Standard Webhooks / Supabase Auth hooks), the official `twilio`
// SDK's validateRequest / validateRequestWithBody, and node:crypto for SMS Gateway's formula.
// Inputs are valid signatures, some tampered; every verdict must agree. Seeded: set
// WEBHOOK_ORACLE_SEED to reproduce a run.
import assert from "node:assert/strict";
import { createHash, createHmac } from "node:crypto";
// Oracles only (pinned in deno.json), never shipped.
import { Webhook } from "standardwebhooks";
import twilio from "twilio";
import { verifyWebhook, type WebhookConfig } from "../mod.ts";

const N = Number(Deno.env.get("WEBHOOK_ORACLE_CASES") ?? 300);
const SEED = Number(Deno.env.get("WEBHOOK_ORACLE_SEED") ?? Date.now() % 2 ** 31);
const LOCAL = "http://127.0.0.1:54321/functions/v1/hook";

// mulberry32: small, seedable, good enough to pick test inputs.
let state = SEED >>> 0;
function rand(): number {
  state = (state + 0x6d2b79f5) >>> 0;
  let t = state;
  t = Math.imul(t ^ (t >>> 15), t | 1);
  t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
  return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
}
const int = (n: number) => Math.floor(rand() * n);
const pick = <T>(xs: readonly T[]): T => xs[int(xs.length)];
function bytes(n: number): Uint8Array {
  return Uint8Array.from({ length: n }, () => int(256));
}
const ALNUM = "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789";
function word(min: number, max: number, alphabet = ALNUM): string {
  return Array.from({ length: min + int(max - min + 1) }, () => pick([...alphabet])).join("");
}
// Text with the characters form encoding and JSON get wrong: spaces, + & = % " \ and
// non-ASCII (BMP below U+E000, where UTF-16 and UTF-8 orders agree).
function text(max: number): string {
  const specials = [" ", "+", "&", "=", "%", '"', "\\", "é", "ü", "€", "中", "\n", "\t", "/"];
  return Array.from(
    { length: int(max + 1) },
    () => (rand() < 0.3 ? pick(specials) : pick([...ALNUM])),
  ).join("");
}
const b64 = (b: Uint8Array) => btoa(String.fromCharCode(...b));

/** Changes one character of a signature's MAC part, keeping its encoding valid. */
function flip(sig: string, from: number): string {
  const i = from + int(Math.max(1, sig.length - from - 4));
  return sig.slice(0, i) + (sig[i] === "0" ? "1" : "0") + sig.slice(i + 1);
}

async function ours(req: Request, config: WebhookConfig): Promise<boolean> {
  try {
    await verifyWebhook(req, { ...config, replayStore: false });
    return true;
  } catch (e) {
    assert.ok((e as { code?: string }).code?.startsWith("webhook_"), `unexpected error ${e}`);
    return false;
  }
}

interface Tally {
  cases: number;
  agree: number;
  accepted: number;
  disagreements: string[];
}
const tally = (): Tally => ({ cases: 0, agree: 0, accepted: 0, disagreements: [] });
function record(t: Tally, label: string, oracle: boolean, mine: boolean) {
  t.cases++;
  if (oracle === mine) t.agree++;
  else t.disagreements.push(`${label}: oracle ${oracle}, ours ${mine}`);
  if (oracle) t.accepted++;
}
function report(name: string, t: Tally) {
  console.log(
    `${name}: ${t.agree}/${t.cases} verdicts agree (seed ${SEED}; oracle accepted ${t.accepted}, ` +
      `rejected ${t.cases - t.accepted})`,
  );
  assert.deepEqual(t.disagreements.slice(0, 10), []);
  // Both verdicts must be well represented, or the comparison proves little.
  assert.ok(t.accepted > t.cases / 10 && t.cases - t.accepted > t.cases / 10, "unbalanced sample");
}

Deno.test("oracle: Standard Webhooks vs npm:standardwebhooks", async () => {
  const t = tally();
  for (let n = 0; n < N; n++) {
    const key = bytes(24 + int(9));
    const secret = `whsec_${b64(key)}`;
    const wh = new Webhook(secret);
    const id = `msg_${word(10, 30)}`;
    const now = Math.floor(Date.now() / 1000);
    // Clearly inside or clearly outside the 300 s tolerance (no second-boundary races).
    const offset = rand() < 0.8 ? int(581) - 290 : pick([-1, 1]) * (310 + int(5000));
    const ts = now + offset;
    const body = rand() < 0.5 ? JSON.stringify({ n: int(1e9), s: text(40) }) : text(200);
    let sig = wh.sign(id, new Date(ts * 1000), body);
    let sentBody = body;
    let sentId = id;
    let verifyWith = secret;
    const mutation = int(8);
    if (mutation === 0) sig = flip(sig, 3);
    if (mutation === 1) sentBody = body + " ";
    if (mutation === 2) sentId = id + "x";
    if (mutation === 3) verifyWith = `whsec_${b64(bytes(24))}`;
    if (mutation === 4) sig = `v1,${b64(bytes(32))} ${sig}`; // rotation: another entry first
    if (mutation === 5) sig = sig.replace("v1,", "v2,");
    const headers = {
      "webhook-id": sentId,
      "webhook-timestamp": String(ts),
      "webhook-signature": sig,
    };
    let oracle: boolean;
    try {
      new Webhook(verifyWith).verify(sentBody, headers, { jsonParse: false });
      oracle = true;
    } catch {
      oracle = false;
    }
    const req = new Request(LOCAL, { method: "POST", headers, body: sentBody });
    const mine = await ours(req, { scheme: "standard", secrets: [verifyWith] });
    record(t, `case ${n} mutation ${mutation} offset ${offset}`, oracle, mine);
  }
  report("standardwebhooks oracle", t);
});

Deno.test("oracle: Twilio form and JSON-body requests vs npm:twilio validateRequest", async () => {
  const t = tally();
  for (let n = 0; n < N; n++) {
    const token = word(32, 32, "0123456789abcdef");
    const host = `${word(3, 10).toLowerCase()}.example.com`;
    const port = pick(["", "", ":8443", ":443"]);
    const scheme = port === ":443" || rand() < 0.8 ? "https" : "http";
    const publicUrl = `${scheme}://${host}${port}/functions/v1/${word(3, 12).toLowerCase()}`;
    const query = Array.from({ length: int(3) }, () => `${word(1, 5)}=${word(0, 8)}`).join("&");
    const json = rand() < 0.25;
    // Twilio signs the URL it was configured with; Twilio's SDK also accepts the request with
    // the port removed or the default port added. Sign one of those forms.
    const signedHost = pick([`${host}${port}`, host, `${host}:${scheme === "https" ? 443 : 80}`]);
    let sentToken = token;
    const mutation = int(6);
    if (mutation === 0) sentToken = word(32, 32, "0123456789abcdef");
    let oracle: boolean;
    let req: Request;
    if (json) {
      const body = JSON.stringify({ a: text(30), n: int(1000) });
      const hash = createHash("sha256").update(body).digest("hex");
      const q = `${query ? query + "&" : ""}bodySHA256=${hash}`;
      const signedUrl = `${scheme}://${signedHost}/functions/v1${publicUrl.split("/v1")[1]}?${q}`;
      let sig = twilio.getExpectedTwilioSignature(sentToken, signedUrl, {});
      let sentBody = body;
      if (mutation === 1) sig = flip(sig, 0);
      if (mutation === 2) sentBody = body.replace("{", "{ ");
      oracle = twilio.validateRequestWithBody(token, sig, `${publicUrl}?${q}`, sentBody);
      req = new Request(`${LOCAL}?${q}`, {
        method: "POST",
        headers: { "X-Twilio-Signature": sig, "content-type": "application/json" },
        body: sentBody,
      });
    } else {
      const params: Record<string, string | string[]> = {};
      const form = new URLSearchParams();
      for (let i = int(8); i > 0; i--) {
        const name = pick(["MessageSid", "Body", "From", "To", "NumMedia", word(1, 8)]);
        const value = text(20);
        const prev = params[name];
        params[name] = prev === undefined
          ? value
          : [...(Array.isArray(prev) ? prev : [prev]), value];
        form.append(name, value);
      }
      const signedUrl = `${scheme}://${signedHost}/functions/v1${publicUrl.split("/v1")[1]}` +
        (query ? `?${query}` : "");
      let sig = twilio.getExpectedTwilioSignature(sentToken, signedUrl, params);
      let sentForm = form.toString();
      if (mutation === 1) sig = flip(sig, 0);
      if (mutation === 2) sentForm += `&Extra=${int(10)}`;
      const sentParams: Record<string, string | string[]> = {};
      for (const [k, v] of new URLSearchParams(sentForm)) {
        const prev = sentParams[k];
        sentParams[k] = prev === undefined ? v : [...(Array.isArray(prev) ? prev : [prev]), v];
      }
      oracle = twilio.validateRequest(
        token,
        sig,
        publicUrl + (query ? `?${query}` : ""),
        sentParams,
      );
      req = new Request(`${LOCAL}${query ? `?${query}` : ""}`, {
        method: "POST",
        headers: {
          "X-Twilio-Signature": sig,
          "content-type": "application/x-www-form-urlencoded",
        },
        body: sentForm,
      });
    }
    const mine = await ours(req, { scheme: "twilio", secrets: [token], publicUrl });
    record(
      t,
      `case ${n} ${json ? "json" : "form"} mutation ${mutation} ${publicUrl}`,
      oracle,
      mine,
    );
  }
  report("twilio oracle", t);
});

Deno.test("oracle: SMS Gateway for Android vs node:crypto HMAC over body + timestamp", async () => {
  const t = tally();
  for (let n = 0; n < N; n++) {
    const key = word(4, 40, ALNUM + "-_!@ ");
    const body = JSON.stringify({ event: "sms:received", id: word(21, 21), payload: text(50) });
    const now = Math.floor(Date.now() / 1000);
    const offset = rand() < 0.8 ? int(581) - 290 : pick([-1, 1]) * (310 + int(5000));
    const ts = String(now + offset);
    const mac = (k: string, b: string, s: string) =>
      createHmac("sha256", k).update(b + s).digest("hex");
    let sig = mac(key, body, ts);
    let sentBody = body;
    const mutation = int(6);
    if (mutation === 0) sig = flip(sig, 0);
    if (mutation === 1) sentBody = body + "\n";
    if (mutation === 2) sig = mac(btoa(key), body, ts); // key wrongly treated as base64 text
    const oracle = Math.abs(Number(ts) - now) <= 300 && sig === mac(key, sentBody, ts);
    const req = new Request(LOCAL, {
      method: "POST",
      headers: { "X-Signature": sig, "X-Timestamp": ts },
      body: sentBody,
    });
    const mine = await ours(req, { scheme: "sms-gateway", secrets: [key] });
    record(t, `case ${n} mutation ${mutation} offset ${offset}`, oracle, mine);
  }
  report("sms-gateway node:crypto oracle", t);
});

Deno.test("documented difference: Supabase's `, `-joined signature list", async () => {
  // standardwebhooks splits only on spaces, so "v1,other, v1,valid" still matches its second
  // entry but "v1,valid, v1,other" does not (the first entry keeps its comma). Supabase sends
  // this form during secret rotation; we accept both orders.
  const secret = `whsec_${b64(bytes(32))}`;
  const wh = new Webhook(secret);
  const ts = Math.floor(Date.now() / 1000);
  const valid = wh.sign("msg_1", new Date(ts * 1000), "{}");
  const other = `v1,${b64(bytes(32))}`;
  for (const sig of [`${other}, ${valid}`, `${valid}, ${other}`]) {
    const headers = {
      "webhook-id": "msg_1",
      "webhook-timestamp": String(ts),
      "webhook-signature": sig,
    };
    const req = new Request(LOCAL, { method: "POST", headers, body: "{}" });
    assert.equal(await ours(req, { scheme: "standard", secrets: [secret] }), true, sig);
  }
  assert.throws(() =>
    wh.verify("{}", {
      "webhook-id": "msg_1",
      "webhook-timestamp": String(ts),
      "webhook-signature": `${valid}, ${other}`,
    })
  );
});

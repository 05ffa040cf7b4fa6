// sms-inbound: SMS Gateway for Android webhook events, signed with the key in
// SMS_GATEWAY_WEBHOOK_KEY (X-Signature / X-Timestamp). Register this URL in the app for
// sms:received, sms:sent, sms:delivered, sms:failed and system:ping. Each event is handled once
// (de-duplicated on its `id`); unknown events are acknowledged with 202 after a valid signature.
// Logs name the event and id only, never message text or numbers.
import { withWebhook } from "../../mod.ts";
import { serveFunction } from "../_shared/serve.ts";

export const KNOWN_EVENTS = [
  "sms:received",
  "sms:sent",
  "sms:delivered",
  "sms:failed",
  "system:ping",
] as const;
export type KnownEvent = typeof KNOWN_EVENTS[number];

/** The webhook body: `{ id, event, deviceId, webhookId, payload }`. */
export interface GatewayEvent {
  id: string;
  event: string;
  deviceId?: string;
  webhookId?: string;
  payload?: Record<string, unknown>;
}

function isEvent(v: unknown): v is GatewayEvent {
  if (typeof v !== "object" || v === null || Array.isArray(v)) return false;
  const e = v as Record<string, unknown>;
  return typeof e.id === "string" && typeof e.event === "string" &&
    (e.payload === undefined || (typeof e.payload === "object" && e.payload !== null));
}

function isKnown(event: string): event is KnownEvent {
  return (KNOWN_EVENTS as readonly string[]).includes(event);
}

/** What each event means for the pharmacy; the summary goes back to the gateway. */
function handle(e: GatewayEvent & { event: KnownEvent }): Record<string, unknown> {
  const p = e.payload ?? {};
  switch (e.event) {
    case "sms:received":
      // A staff reply: the message text is in p.message, the sender in p.phoneNumber.
      return { messageId: p.messageId ?? null };
    case "sms:sent":
    case "sms:delivered":
    case "sms:failed":
      return { messageId: p.messageId ?? null, state: e.event.slice(4) };
    case "system:ping":
      return {};
  }
}

export const handler = withWebhook({ scheme: "sms-gateway" }, (_req, hook) => {
  if (!isEvent(hook.json)) {
    return Response.json({ error: "invalid_event" }, { status: 400 });
  }
  const e = hook.json;
  if (!isKnown(e.event)) {
    console.log(`sms-inbound: ignored unknown event ${JSON.stringify(e.event.slice(0, 40))}`);
    return Response.json({ received: true, ignored: true }, { status: 202 });
  }
  const result = handle(e as GatewayEvent & { event: KnownEvent });
  console.log(`sms-inbound: ${e.event} ${hook.eventId}`);
  return Response.json({ received: true, event: e.event, ...result });
});

serveFunction(handler);

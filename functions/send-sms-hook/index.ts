// send-sms-hook: Supabase Auth's Send SMS hook. Supabase signs each call (Standard Webhooks,
// secret in SEND_SMS_HOOK_SECRET); there is no user JWT, so supabase/config.toml needs
// `verify_jwt = false` for this function. The one-time code goes to `sms.phone` when present,
// else `user.phone`, through SMS Gateway for Android. Answers: 200 `{}` when queued, else
// `{"error":{"http_code":...,"message":...}}` with that status. The code is never logged.
import { type AuthError, withWebhook } from "../../mod.ts";
import { maskPhone, toE164 } from "../_shared/phone.ts";
import { serveFunction } from "../_shared/serve.ts";
import { gatewaySettings, sendSms, SmsGatewayError } from "../_shared/sms_gateway.ts";

/** The hook contract's error shape. */
function hookError(status: number, message: string): Response {
  return Response.json({ error: { http_code: status, message } }, { status });
}

interface SendSmsPayload {
  user: { id?: string; phone?: string };
  sms: { otp: string; phone?: string; sms_type?: string };
}

function isRecord(v: unknown): v is Record<string, unknown> {
  return typeof v === "object" && v !== null && !Array.isArray(v);
}

function parsePayload(json: unknown): SendSmsPayload | null {
  if (!isRecord(json) || !isRecord(json.user) || !isRecord(json.sms)) return null;
  const { otp, phone, sms_type } = json.sms;
  if (typeof otp !== "string" || !/^[0-9A-Za-z]{4,32}$/.test(otp)) return null;
  if (phone !== undefined && phone !== null && typeof phone !== "string") return null;
  if (sms_type !== undefined && typeof sms_type !== "string") return null;
  return json as unknown as SendSmsPayload;
}

function messageText(otp: string): string {
  const template = Deno.env.get("SMS_OTP_MESSAGE") || "Your verification code is {code}";
  return template.includes("{code}") ? template.replaceAll("{code}", otp) : `${template} ${otp}`;
}

export const handler = withWebhook({
  scheme: "standard",
  secretEnv: "SEND_SMS_HOOK_SECRET",
  onError: (e: AuthError) => hookError(e.status, e.message),
}, async (_req, hook) => {
  const payload = parsePayload(hook.json);
  if (!payload) return hookError(400, "the hook payload is not a Send SMS payload");
  const to = toE164(payload.sms.phone || payload.user.phone);
  if (!to) return hookError(400, "the user has no valid phone number");
  const settings = gatewaySettings();
  if (!settings) {
    console.error("send-sms-hook: SMS_GATEWAY_URL / _USER / _PASSWORD are not set");
    return hookError(503, "SMS sending is not configured");
  }
  try {
    const id = await sendSms(settings, [to], messageText(payload.sms.otp));
    console.log(
      `send-sms-hook: queued ${payload.sms.sms_type ?? "otp"} SMS to ${maskPhone(to)}` +
        (id ? ` as ${id}` : ""),
    );
    return Response.json({});
  } catch (e) {
    const status = e instanceof SmsGatewayError ? e.status : 500;
    const message = e instanceof SmsGatewayError ? e.message : "sending the SMS failed";
    console.error(`send-sms-hook: ${message}`);
    return hookError(status, message);
  }
});

serveFunction(handler);

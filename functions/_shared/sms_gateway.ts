// SMS Gateway for Android (sms-gate.app): the send API. POST `${SMS_GATEWAY_URL}/message`
// with basic auth and `{"textMessage":{"text":...},"phoneNumbers":[...]}`; the gateway answers
// 202 with the queued message. SMS_GATEWAY_URL is the API root: `http://<device>:8080` for the
// app's local server, `https://api.sms-gate.app/3rdparty/v1` for the cloud server.

/** A send that did not reach the gateway or was refused by it. Never carries the text. */
export class SmsGatewayError extends Error {
  constructor(readonly status: number, message: string) {
    super(message);
    this.name = "SmsGatewayError";
  }
}

export interface SmsGatewaySettings {
  url: string;
  user: string;
  password: string;
  timeoutMs: number;
}

function env(name: string): string | undefined {
  try {
    return Deno.env.get(name) || undefined;
  } catch {
    return undefined;
  }
}

/** Settings from env, or null when the gateway is not configured. */
export function gatewaySettings(): SmsGatewaySettings | null {
  const url = env("SMS_GATEWAY_URL");
  const user = env("SMS_GATEWAY_USER");
  const password = env("SMS_GATEWAY_PASSWORD");
  if (!url || !user || !password) return null;
  return { url: url.replace(/\/+$/, ""), user, password, timeoutMs: 4000 };
}

/** Queues one text to the given E.164 numbers; resolves to the gateway's message id. */
export async function sendSms(
  settings: SmsGatewaySettings,
  phoneNumbers: string[],
  text: string,
): Promise<string | undefined> {
  let res: Response;
  try {
    res = await fetch(`${settings.url}/message`, {
      method: "POST",
      headers: {
        "Content-Type": "application/json",
        Authorization: `Basic ${btoa(`${settings.user}:${settings.password}`)}`,
      },
      body: JSON.stringify({ textMessage: { text }, phoneNumbers }),
      signal: AbortSignal.timeout(settings.timeoutMs),
      redirect: "error",
    });
  } catch {
    throw new SmsGatewayError(502, "the SMS gateway could not be reached");
  }
  const reply = await res.text().catch(() => "");
  if (!res.ok) {
    throw new SmsGatewayError(502, `the SMS gateway refused the message (HTTP ${res.status})`);
  }
  try {
    const id = (JSON.parse(reply) as { id?: unknown }).id;
    return typeof id === "string" ? id : undefined;
  } catch {
    return undefined;
  }
}

// Inbound webhooks: verifyWebhook reads the raw body once (capped while streaming), has the
// WASM core check the signature, timestamp and size, then de-duplicates on the event id
// through a ReplayStore. All signature decisions happen in the core (src/webhook/).
import "./wasm.ts"; // instantiates the WASM module before WebhookVerifier is first used
import { WebhookVerifier as WasmWebhookVerifier } from "../pkg/edge_auth.js";
import { env } from "./config.ts";
import { type AuthError, authError, errorResponse, toAuthError } from "./errors.ts";
import { readCapped } from "./body.ts";
import type { AuditOptions } from "./audit.ts";
import { guardWebhook } from "./guard.ts";

/** `standard`: Standard Webhooks / Supabase Auth hooks. `sms-gateway`: SMS Gateway for
 * Android. `twilio`: X-Twilio-Signature. */
export type WebhookScheme = "standard" | "sms-gateway" | "twilio";

/** Remembers event ids for a while. `seen` records `id` and answers whether it was already
 * recorded within its TTL; it must be atomic per id. `forget` drops an id again (so a sender's
 * retry after a failed handler is not refused as a replay). */
export interface ReplayStore {
  seen(id: string, ttlSeconds: number): Promise<boolean>;
  forget?(id: string): Promise<void>;
}

export interface WebhookConfig {
  scheme: WebhookScheme;
  /** Accepted secrets (several during rotation). Default: from `secretEnv`. */
  secrets?: string | string[];
  /** The env variable holding the secrets when `secrets` is absent. Defaults:
   * `SEND_SMS_HOOK_SECRET` (standard; several separated by `|` or whitespace),
   * `SMS_GATEWAY_WEBHOOK_KEY` plus `SMS_GATEWAY_WEBHOOK_KEY_PREVIOUS` (sms-gateway; the whole
   * value is one key), `TWILIO_AUTH_TOKEN` plus `TWILIO_AUTH_TOKEN_SECONDARY` (twilio). */
  secretEnv?: string;
  /** Seconds a signed timestamp may be off, either way. Default 300. */
  toleranceSeconds?: number;
  /** Largest accepted body. Default 65536. */
  maxBodyBytes?: number;
  /** Twilio: the URL configured in Twilio for this function, without query. Default: env
   * `TWILIO_WEBHOOK_URL`. Never derived from the request, which proxies rewrite. */
  publicUrl?: string;
  /** Where event ids are remembered. Default: one in-memory store per isolate. `false`
   * disables de-duplication. */
  replayStore?: ReplayStore | false;
  /** How long an event id is remembered. Default: twice the tolerance (a timestamp is
   * accepted from `tolerance` before to `tolerance` after it). */
  replayTtlSeconds?: number;
  /** The clock, seconds since the epoch. Default `Date.now() / 1000`. */
  now?: () => number;
  /** Audit events (docs/audit.md); `false` turns them off. Default: JSON lines on stdout. */
  audit?: AuditOptions | false;
  /** The function name in audit events. Default: from the request path. */
  functionName?: string;
  /** Client-address headers for audit events, as in AuthOptions. */
  trustedIpHeaders?: string[];
  forwardedHops?: number;
}

/** A verified webhook: the raw body exactly as signed, its parsed form, and the event id. */
export interface VerifiedWebhook {
  body: Uint8Array;
  /** JSON bodies parsed; Twilio form bodies as `{ name: value | value[] }`; empty body: null;
   * a signed body that is not UTF-8 JSON: undefined (the raw `body` is still there). */
  json: unknown;
  /** `webhook-id`, the SMS Gateway payload `id`, Twilio's `MessageSid` (`:MessageStatus` for
   * status callbacks), or `sig:<signature>` when the request carries none. */
  eventId: string;
  /** What the replay store records: the event id, except for Twilio, whose signature covers
   * names and values with no separator (a replay could re-split the parameters, MessageSid
   * included), so there it is `sig:<signature>`, which every replay must reuse. */
  replayKey: string;
}

/** A bounded in-memory ReplayStore: per isolate, so a shared store is needed to de-duplicate
 * across instances. When full, the oldest entry is evicted. */
export class MemoryReplayStore implements ReplayStore {
  readonly #entries = new Map<string, number>();
  readonly #max: number;
  readonly #now: () => number;

  constructor(options: { maxEntries?: number; now?: () => number } = {}) {
    this.#max = options.maxEntries ?? 10_000;
    this.#now = options.now ?? (() => Date.now() / 1000);
  }

  seen(id: string, ttlSeconds: number): Promise<boolean> {
    const now = this.#now();
    const until = this.#entries.get(id);
    if (until !== undefined && until > now) return Promise.resolve(true);
    this.#entries.delete(id);
    // Map keeps insertion order: the first entries are the oldest.
    for (const [k, exp] of this.#entries) {
      if (exp > now && this.#entries.size < this.#max) break;
      this.#entries.delete(k);
    }
    this.#entries.set(id, now + ttlSeconds);
    return Promise.resolve(false);
  }

  forget(id: string): Promise<void> {
    this.#entries.delete(id);
    return Promise.resolve();
  }

  get size(): number {
    return this.#entries.size;
  }
}

const defaultStore = new MemoryReplayStore();

interface Prepared {
  wasm: WasmWebhookVerifier;
  tolerance: number;
  maxBody: number;
}

const prepared = new WeakMap<WebhookConfig, Prepared>();

function splitSecrets(v: string | undefined): string[] {
  return (v ?? "").split(/[|\s]+/).filter((s) => s !== "");
}

/** The secrets for a config: given ones, else the scheme's env variables. */
export function webhookSecrets(config: WebhookConfig): string[] {
  if (config.secrets !== undefined) {
    return Array.isArray(config.secrets) ? config.secrets : [config.secrets];
  }
  switch (config.scheme) {
    case "standard":
      return splitSecrets(env(config.secretEnv ?? "SEND_SMS_HOOK_SECRET"));
    case "sms-gateway": {
      const name = config.secretEnv ?? "SMS_GATEWAY_WEBHOOK_KEY";
      return [env(name), env(`${name}_PREVIOUS`)].filter((s): s is string => !!s);
    }
    case "twilio": {
      const name = config.secretEnv ?? "TWILIO_AUTH_TOKEN";
      return [...splitSecrets(env(name)), ...splitSecrets(env(`${name}_SECONDARY`))];
    }
    default:
      return [];
  }
}

function prepare(config: WebhookConfig): Prepared {
  let p = prepared.get(config);
  if (!p) {
    let wasm: WasmWebhookVerifier;
    try {
      wasm = new WasmWebhookVerifier({
        scheme: config.scheme,
        secrets: webhookSecrets(config),
        toleranceSeconds: config.toleranceSeconds,
        maxBodyBytes: config.maxBodyBytes,
        publicUrl: config.scheme === "twilio"
          ? (config.publicUrl ?? env("TWILIO_WEBHOOK_URL") ?? "")
          : config.publicUrl,
      });
    } catch (e) {
      // Not cached: the env may be fixed without a restart.
      throw toAuthError(e);
    }
    p = { wasm, tolerance: wasm.toleranceSeconds, maxBody: wasm.maxBodyBytes };
    prepared.set(config, p);
  }
  return p;
}

/** Reads the whole body, refusing (and cancelling the stream) past `max` bytes. */
async function readBody(req: Request, max: number): Promise<Uint8Array<ArrayBuffer>> {
  if (req.bodyUsed) throw authError("webhook_config");
  const body = await readCapped(req.body, req.headers.get("content-length"), max);
  if (body === null) throw authError("webhook_too_large");
  return body;
}

function rawQuery(url: string): string {
  const q = url.indexOf("?");
  if (q < 0) return "";
  const hash = url.indexOf("#", q);
  return url.slice(q + 1, hash < 0 ? undefined : hash);
}

function parseBody(scheme: WebhookScheme, body: Uint8Array, query: string): unknown {
  if (body.byteLength === 0) return null;
  let text: string;
  try {
    text = new TextDecoder("utf-8", { fatal: true, ignoreBOM: true }).decode(body);
  } catch {
    return undefined;
  }
  if (scheme === "twilio" && !new URLSearchParams(query).has("bodySHA256")) {
    const out: Record<string, string | string[]> = {};
    for (const [k, v] of new URLSearchParams(text)) {
      const prev = out[k];
      out[k] = prev === undefined ? v : Array.isArray(prev) ? [...prev, v] : [prev, v];
    }
    return out;
  }
  try {
    return JSON.parse(text);
  } catch {
    return undefined;
  }
}

/**
 * Verifies an inbound webhook and returns its raw body, parsed body and event id. Throws
 * `AuthError` (401 for a missing header, malformed encoding, bad signature, stale timestamp,
 * replay or no configured secret; 413 for a body over the cap; 500 for a broken config).
 * The body is read once, here: do not read `req` again.
 */
export function verifyWebhook(req: Request, config: WebhookConfig): Promise<VerifiedWebhook> {
  // One audit event per outcome (lib/guard.ts).
  return guardWebhook(req, config, () => verify(req, config));
}

async function verify(req: Request, config: WebhookConfig): Promise<VerifiedWebhook> {
  const p = prepare(config);
  const body = await readBody(req, p.maxBody);
  const headers: string[] = [];
  req.headers.forEach((value, name) => headers.push(name, value));
  const query = rawQuery(req.url);
  const now = config.now ? config.now() : Date.now() / 1000;
  let ids: { eventId: string; replayKey: string };
  try {
    ids = p.wasm.verify(headers, body, now, query) as typeof ids;
  } catch (e) {
    throw toAuthError(e);
  }
  const json = parseBody(config.scheme, body, query);
  const store = config.replayStore === undefined ? defaultStore : config.replayStore;
  if (store) {
    const ttl = config.replayTtlSeconds ?? 2 * p.tolerance;
    if (await store.seen(storeKey(config, ids.replayKey), ttl)) throw authError("webhook_replay");
  }
  return { body, json, ...ids };
}

function storeKey(config: WebhookConfig, replayKey: string): string {
  return `${config.scheme}:${replayKey}`;
}

export type WebhookHandler = (
  req: Request,
  webhook: VerifiedWebhook,
) => Response | Promise<Response>;

export interface WithWebhookOptions extends WebhookConfig {
  /** Turns a verification failure into a response. Default: `errorResponse`. */
  onError?: (err: AuthError) => Response;
}

/**
 * Wraps a handler so it only runs for a verified, first-seen webhook:
 * `serveFunction(withWebhook({ scheme: "sms-gateway" }, (req, hook) => ...))`.
 * When the handler throws or answers 5xx, the event id is forgotten, so the sender's retry
 * is processed rather than refused as a replay.
 */
export function withWebhook(
  config: WithWebhookOptions,
  handler: WebhookHandler,
): (req: Request) => Promise<Response> {
  const onError = config.onError ?? errorResponse;
  return async (req: Request): Promise<Response> => {
    let hook: VerifiedWebhook;
    try {
      hook = await verifyWebhook(req, config);
    } catch (e) {
      return onError(toAuthError(e));
    }
    const store = config.replayStore === undefined ? defaultStore : config.replayStore;
    const release = async () => {
      if (store && store.forget) await store.forget(storeKey(config, hook.replayKey));
    };
    try {
      const res = await handler(req, hook);
      if (res.status >= 500) await release();
      return res;
    } catch (e) {
      await release();
      return onError(toAuthError(e));
    }
  };
}

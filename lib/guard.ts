// Where the audit trail and the throttle meet the decision points: validateRequest, the
// require-checks and verifyWebhook each make one call here. Nothing in this file can turn a
// failure into a grant: it only observes decisions, and may turn a failure (or, for a blocked
// client address, any request) into 429 `too_many_attempts`.
import type { AuthContext } from "./config.ts";
import { DEFAULT_FORWARDED_HOPS, DEFAULT_IP_HEADERS } from "./config.ts";
import {
  type AuditCheck,
  type AuditOptions,
  type Auditor,
  auditorFor,
  type AuditStats,
  functionName,
  requestId,
  userAgent,
} from "./audit.ts";
import {
  type Blocked,
  throttleFor,
  type ThrottleOptions,
  type ThrottleStats,
  unverifiedSubjectHash,
} from "./throttle.ts";
import { type AuthError, authError, toAuthError } from "./errors.ts";
import { wasmClientIp } from "./wasm.ts";

/** The options these decision points read (part of AuthOptions and WebhookConfig). */
export interface GuardOptions {
  /** Audit events; `false` turns them off. Default: JSON lines on stdout. */
  audit?: AuditOptions | false;
  /** Failed-auth throttling; off unless given (`{}`: defaults, in-memory store). */
  throttle?: ThrottleOptions | false;
  /** The function name in events. Default: from the URL path. */
  functionName?: string;
  trustedIpHeaders?: string[];
  forwardedHops?: number;
  realm?: string;
}

interface Meta {
  auditor: Auditor;
  request_id: string;
  function: string;
  ip: string;
  user_agent: string | null;
}

/** Contexts made by an audited validateRequest, so the require-checks can report on them. */
const metas = new WeakMap<AuthContext, Meta>();

/** The trusted client-address headers present on `req`, as a flat name, value list. */
export function trustedHeaderPairs(req: Request, names: string[]): string[] {
  const out: string[] = [];
  for (const name of names) {
    const value = req.headers.get(name);
    if (value !== null) out.push(name, value);
  }
  return out;
}

/** The client address under the trusted-proxy rules (the WASM core's `client_ip`). */
export function clientIpOf(req: Request, options: GuardOptions): string {
  const trusted = options.trustedIpHeaders ?? DEFAULT_IP_HEADERS;
  const pairs = trustedHeaderPairs(req, trusted);
  if (pairs.length === 0) return "unknown";
  return wasmClientIp(pairs, trusted, options.forwardedHops ?? DEFAULT_FORWARDED_HOPS);
}

/** Failures that count towards a block: a credential was presented and refused. */
function counts(e: AuthError): boolean {
  return (e.status === 401 || e.status === 400) && e.code !== "missing_credentials";
}

// Refusals the core only reaches after the signature verified: the token was really issued for
// its subject (their own, say expired). They count for the address, never for the subject's
// throttle, so forgeries in a user's name cannot turn that user's own 401 (refresh and retry)
// into a 429. The audit event still names the subject.
const AFTER_SIGNATURE = new Set([
  "missing_exp",
  "expired",
  "not_yet_valid",
  "iat_in_future",
  "invalid_claim",
  "iss_mismatch",
  "aud_mismatch",
  "aud_not_expected",
  "invalid_subject",
  "api_key_not_user",
]);

function tooMany(b: Blocked, realm: string | undefined): AuthError {
  return authError("too_many_attempts", realm ?? "supabase", {
    "Retry-After": String(b.retryAfter),
  });
}

/**
 * Runs one authentication under the audit trail and the throttle: a blocked client address is
 * refused (429) before the token is looked at; a refused credential is counted; every outcome
 * is one event.
 */
export async function guardAuthentication(
  req: Request,
  options: GuardOptions,
  authenticate: () => Promise<AuthContext>,
): Promise<AuthContext> {
  const auditor = auditorFor(options.audit);
  const throttle = throttleFor(options.throttle);
  if (!auditor && !throttle) return await authenticate();
  const at = Date.now();
  let ip: string | undefined;
  const event = (
    outcome: "granted" | "failed_auth" | "denied",
    e: AuthError | null,
    subject: string | null,
    ctx?: AuthContext,
  ) => {
    if (!auditor) return;
    const meta: Meta = {
      auditor,
      request_id: requestId(req, auditor.requestIdHeaders),
      function: functionName(req, options.functionName),
      ip: ip ?? ctx?.ip_address ?? "unknown",
      user_agent: userAgent(req),
    };
    if (ctx) metas.set(ctx, meta);
    auditor.emit({
      at,
      request_id: meta.request_id,
      function: meta.function,
      outcome,
      reason: e ? e.code : "ok",
      check: e?.code === "too_many_attempts" ? "throttle" : "authenticate",
      status: e ? e.status : 200,
      user_id: ctx?.user_id ?? null,
      role: ctx ? (ctx.role ?? (ctx.kind === "user" ? null : ctx.kind)) : null,
      ip: meta.ip,
      user_agent: meta.user_agent,
      subject_hash: subject,
    });
  };
  if (throttle) {
    ip = clientIpOf(req, options);
    const blocked = await throttle.check(ip);
    if (blocked) {
      const e = tooMany(blocked, options.realm);
      event("failed_auth", e, null);
      throw e;
    }
  }
  let ctx: AuthContext;
  try {
    ctx = await authenticate();
  } catch (thrown) {
    let e = toAuthError(thrown);
    ip ??= clientIpOf(req, options);
    let subject: string | null = null;
    if (counts(e)) {
      subject = await unverifiedSubjectHash(req.headers.get("authorization")).catch(() => null);
      const against = AFTER_SIGNATURE.has(e.code) ? null : subject;
      const blocked = throttle ? await throttle.fail(ip, against) : null;
      if (blocked) e = tooMany(blocked, options.realm);
    }
    event(e.status === 403 ? "denied" : "failed_auth", e, subject);
    throw e;
  }
  event("granted", null, null, ctx);
  return ctx;
}

/** Runs a require-check and records its decision (for contexts from an audited request). */
export function guardCheck(ctx: AuthContext, check: AuditCheck, run: () => void): void {
  const meta = metas.get(ctx);
  if (!meta) return run();
  let error: AuthError | null = null;
  try {
    run();
  } catch (thrown) {
    error = toAuthError(thrown);
  }
  meta.auditor.emit({
    at: Date.now(),
    request_id: meta.request_id,
    function: meta.function,
    outcome: error ? "denied" : "granted",
    reason: error ? error.code : "ok",
    check,
    status: error ? error.status : 200,
    user_id: ctx.user_id,
    role: ctx.role ?? (ctx.kind === "user" ? null : ctx.kind),
    ip: meta.ip,
    user_agent: meta.user_agent,
  });
  if (error) throw error;
}

/** Runs a webhook verification and records its decision. */
export async function guardWebhook<T>(
  req: Request,
  options: GuardOptions,
  verify: () => Promise<T>,
): Promise<T> {
  const auditor = auditorFor(options.audit);
  if (!auditor) return await verify();
  const at = Date.now();
  let error: AuthError | null = null;
  let result: T | undefined;
  try {
    result = await verify();
  } catch (thrown) {
    error = toAuthError(thrown);
  }
  auditor.emit({
    at,
    request_id: requestId(req, auditor.requestIdHeaders),
    function: functionName(req, options.functionName),
    outcome: error ? "webhook_rejected" : "granted",
    reason: error ? error.code : "ok",
    check: "webhook",
    status: error ? error.status : 200,
    user_id: null,
    role: null,
    ip: clientIpOf(req, options),
    user_agent: userAgent(req),
  });
  if (error) throw error;
  return result as T;
}

/** The audit counters for these options (`null` when auditing is off). */
export function auditStats(options: GuardOptions = {}): AuditStats | null {
  return auditorFor(options.audit)?.stats() ?? null;
}

/** Writes the buffered events now (e.g. before a process exits), for at most `timeoutMs`. */
export async function flushAudit(options: GuardOptions = {}, timeoutMs?: number): Promise<void> {
  await auditorFor(options.audit)?.flush(timeoutMs);
}

/** The throttle counters for these options (`null` when throttling is off). */
export function throttleStats(options: GuardOptions = {}): ThrottleStats | null {
  return throttleFor(options.throttle)?.stats() ?? null;
}

// One error type for every failure, and the one place where errors become HTTP responses.
import { errorForCode } from "./wasm.ts";

/** The error shape the WASM core produces. */
interface CoreError {
  code: string;
  status: number;
  message: string;
  detail?: string;
  wwwAuthenticate?: string;
}

/** A failure with a stable `code`, its HTTP `status` and a message safe to show to clients. */
export class AuthError extends Error {
  readonly code: string;
  readonly status: number;
  /** Response headers that belong to this error (`WWW-Authenticate`, `Retry-After`). */
  readonly headers: Record<string, string>;
  /** A fixed configuration hint for operators (never input data); not sent to clients. */
  readonly detail?: string;

  constructor(core: CoreError, extraHeaders: Record<string, string> = {}) {
    super(core.message);
    this.name = "AuthError";
    this.code = core.code;
    this.status = core.status;
    this.detail = core.detail;
    this.headers = { ...extraHeaders };
    if (core.wwwAuthenticate) this.headers["WWW-Authenticate"] = core.wwwAuthenticate;
  }
}

function isCoreError(e: unknown): e is CoreError {
  return typeof e === "object" && e !== null && typeof (e as CoreError).code === "string" &&
    typeof (e as CoreError).status === "number";
}

/** Wraps whatever the core threw; anything unexpected becomes a generic 500, never a leak. */
export function toAuthError(e: unknown): AuthError {
  if (e instanceof AuthError) return e;
  if (isCoreError(e)) return new AuthError(e);
  return new AuthError({ code: "internal_error", status: 500, message: "internal error" });
}

/** An error by code, with the core's status, message and challenge. */
export function authError(
  code: string,
  realm = "supabase",
  extraHeaders: Record<string, string> = {},
): AuthError {
  return new AuthError(errorForCode(code, realm) as CoreError, extraHeaders);
}

/** A 500 `invalid_config` carrying a fixed hint for operators in `detail` (never sent). */
export function configError(detail: string, realm = "supabase"): AuthError {
  return new AuthError({ ...(errorForCode("invalid_config", realm) as CoreError), detail });
}

/**
 * Turns any thrown value into a JSON `Response`: the error's status, code and safe message, and
 * its headers. Unknown errors become a bare 500 that says nothing about their cause.
 */
export function errorResponse(err: unknown): Response {
  const e = toAuthError(err);
  const headers = new Headers({ "Content-Type": "application/json", ...e.headers });
  // An auth answer is about this request's credentials: no cache may keep or replay it.
  headers.set("Cache-Control", "no-store");
  return new Response(JSON.stringify({ error: e.code, message: e.message }), {
    status: e.status,
    headers,
  });
}

// validateRequest and the require-checks: the request path from a `Request` to a verified
// context. All token and policy decisions happen in the WASM core; this file moves data.
import { type AuthContext, type AuthOptions, type Profile, resolveConfig } from "./config.ts";
import { AuthError, authError, toAuthError } from "./errors.ts";
import { WasmAuth, wasmRequireAal, wasmRequirePermissions, wasmRequireRole } from "./wasm.ts";

interface Verifier {
  wasm: WasmAuth;
  realm: string;
  ipHeaders: string[];
  profiles: Map<string, { at: number; profile: Profile | null }>;
}

// One verifier per options object (usually a module-level constant), built on first use.
const verifiers = new WeakMap<AuthOptions, Verifier>();
const DEFAULT_OPTIONS: AuthOptions = {};
const MAX_CACHED_PROFILES = 10_000;

function verifierFor(options: AuthOptions): Verifier {
  let v = verifiers.get(options);
  if (!v) {
    const config = resolveConfig(options);
    let wasm: WasmAuth;
    try {
      wasm = new WasmAuth(config);
    } catch (e) {
      throw toAuthError(e);
    }
    v = { wasm, realm: config.realm, ipHeaders: config.trustedIpHeaders, profiles: new Map() };
    verifiers.set(options, v);
  }
  return v;
}

function clock(options: AuthOptions): number {
  return options.now ? options.now() : Date.now() / 1000;
}

function ipHeaderPairs(req: Request, names: string[]): string[] {
  const out: string[] = [];
  for (const name of names) {
    const value = req.headers.get(name);
    if (value !== null) out.push(name, value);
  }
  return out;
}

/**
 * Authenticates a request: verifies its Bearer token and returns the security context.
 * Throws `AuthError` (401 / 400 / 403 / 503) on any failure; claims are never exposed before
 * the signature and every claim rule have passed.
 */
export async function validateRequest(
  req: Request,
  options: AuthOptions = DEFAULT_OPTIONS,
): Promise<AuthContext> {
  const v = verifierFor(options);
  let text: string;
  try {
    text = await v.wasm.authenticate(
      req.headers.get("authorization") ?? undefined,
      ipHeaderPairs(req, v.ipHeaders),
      clock(options),
    );
  } catch (e) {
    throw toAuthError(e);
  }
  const ctx = JSON.parse(text) as AuthContext;
  if (options.loadProfile && ctx.kind === "user" && ctx.user_id) {
    await applyProfile(ctx, options, v);
  }
  return ctx;
}

/**
 * Verifies a bare JWT under the options' issuer / audience policy and returns its claims.
 * For tokens that are not Supabase sessions (no user / API-key classification).
 */
export async function verifyToken(
  token: string,
  options: AuthOptions = DEFAULT_OPTIONS,
): Promise<Record<string, unknown>> {
  const v = verifierFor(options);
  try {
    return JSON.parse(await v.wasm.verifyToken(token, clock(options)));
  } catch (e) {
    throw toAuthError(e);
  }
}

async function applyProfile(ctx: AuthContext, options: AuthOptions, v: Verifier): Promise<void> {
  const userId = ctx.user_id as string;
  const ttl = options.profileCacheSeconds ?? 30;
  const now = Date.now() / 1000;
  const cached = v.profiles.get(userId);
  let profile: Profile | null;
  if (cached && now - cached.at < ttl) {
    profile = cached.profile;
  } else {
    try {
      profile = await options.loadProfile!(userId);
    } catch {
      // Fail closed: without the profile we cannot tell an inactive account from an active one.
      throw authError("profile_unavailable", v.realm, { "Retry-After": "5" });
    }
    if (ttl > 0) {
      if (v.profiles.size >= MAX_CACHED_PROFILES) v.profiles.clear();
      v.profiles.set(userId, { at: now, profile });
    }
  }
  if (!profile) return;
  if (profile.is_active === false) throw authError("inactive_account", v.realm);
  if (profile.role !== undefined && profile.role !== null) ctx.role = profile.role;
  if (Array.isArray(profile.permissions)) ctx.permissions = [...profile.permissions];
}

function realmOf(_ctx: AuthContext, realm?: string): string {
  return realm ?? "supabase";
}

function check(fn: () => void): void {
  try {
    fn();
  } catch (e) {
    throw toAuthError(e);
  }
}

/** 403 `insufficient_role` unless the caller's app role is one of `roles`. */
export function requireRole(ctx: AuthContext, roles: string | string[], realm?: string): void {
  check(() =>
    wasmRequireRole(
      ctx.role ?? undefined,
      Array.isArray(roles) ? roles : [roles],
      realmOf(ctx, realm),
    )
  );
}

/** What `requirePermission` accepts: one permission, all of a list, or any of a list. */
export type PermissionRequirement = string | string[] | { allOf: string[] } | { anyOf: string[] };

/** 403 `insufficient_permission` unless the caller holds the permission(s). */
export function requirePermission(
  ctx: AuthContext,
  need: PermissionRequirement,
  realm?: string,
): void {
  const [list, any] = typeof need === "string"
    ? [[need], false]
    : Array.isArray(need)
    ? [need, false]
    : "anyOf" in need
    ? [need.anyOf, true]
    : [need.allOf, false];
  check(() => wasmRequirePermissions(ctx.permissions, list, any, realmOf(ctx, realm)));
}

/** 403 `insufficient_aal` unless the session reached `minimum` (e.g. `aal2` after MFA). */
export function requireAal(ctx: AuthContext, minimum: string, realm?: string): void {
  check(() => wasmRequireAal(ctx.aal ?? undefined, minimum, realmOf(ctx, realm)));
}

export { AuthError };

// validateRequest and the require-checks: the request path from a `Request` to a verified
// context. All token and policy decisions happen in the WASM core; this file moves data.
import {
  type AuthContext,
  type AuthOptions,
  type Profile,
  remoteJwksUrl,
  resolveConfig,
} from "./config.ts";
import { AuthError, authError, configError, toAuthError } from "./errors.ts";
import { decodeBase64 } from "./base64.ts";
import type { AuditCheck } from "./audit.ts";
import { guardAuthentication, guardCheck, trustedHeaderPairs } from "./guard.ts";
import { type JwksStats, type KeySnapshot, RemoteJwks } from "./jwks.ts";
import { WasmAuth, wasmRequireAal, wasmRequirePermissions, wasmRequireRole } from "./wasm.ts";

interface Verifier {
  wasm: WasmAuth;
  realm: string;
  ipHeaders: string[];
  remote?: RemoteJwks;
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
    const url = remoteJwksUrl(options);
    if (!config.jwtSecret && !config.jwks && !url) {
      // Nothing could ever verify: a deployment mistake, not an outage worth retrying.
      throw configError(
        "no key source: set jwtSecret (SUPABASE_JWT_SECRET), jwks (SUPABASE_JWKS) " +
          "or a JWKS URL (SUPABASE_URL / SUPABASE_JWKS_URL)",
        config.realm,
      );
    }
    const apply = (jwks: string | undefined) => {
      try {
        return wasm.setRemoteKeys(jwks) as unknown as [number, number];
      } catch (e) {
        throw toAuthError(e);
      }
    };
    let remote: RemoteJwks | undefined;
    try {
      remote = url ? new RemoteJwks(url, options.remoteJwks ?? {}, apply) : undefined;
    } catch {
      throw authError("invalid_config", config.realm);
    }
    v = {
      wasm,
      realm: config.realm,
      ipHeaders: config.trustedIpHeaders,
      remote,
      profiles: new Map(),
    };
    verifiers.set(options, v);
  }
  return v;
}

function clock(options: AuthOptions): number {
  return options.now ? options.now() : Date.now() / 1000;
}

/**
 * Authenticates a request: verifies its Bearer token and returns the security context.
 * Throws `AuthError` (401 / 400 / 403 / 503) on any failure; claims are never exposed before
 * the signature and every claim rule have passed.
 */
export function validateRequest(
  req: Request,
  options: AuthOptions = DEFAULT_OPTIONS,
): Promise<AuthContext> {
  // Audit event per outcome; with `throttle`, blocked clients get 429 (lib/guard.ts).
  return guardAuthentication(req, options, () => authenticate(req, options));
}

async function authenticate(req: Request, options: AuthOptions): Promise<AuthContext> {
  const v = verifierFor(options);
  const authorization = req.headers.get("authorization") ?? undefined;
  const call = () =>
    v.wasm.authenticate(authorization, trustedHeaderPairs(req, v.ipHeaders), clock(options));
  const ctx = JSON.parse(await withKeys(v, call)) as AuthContext;
  realms.set(ctx, v.realm);
  // The claims are decoded on first use: most handlers never read them.
  let claims: Record<string, unknown> | undefined;
  Object.defineProperty(ctx, "claims", {
    enumerable: true,
    get: () => (claims ??= verifiedClaims(authorization as string)),
  });
  if (options.loadProfile && ctx.kind === "user" && ctx.user_id) {
    await applyProfile(ctx, options, v);
  }
  return ctx;
}

/**
 * The claims of the token in an Authorization header the core has just verified: it checked
 * a single Bearer credential of exactly three canonical base64url segments (the scheme has no
 * dot), so the payload is the text between the header's only two dots, byte for byte what the
 * signature covers.
 */
function verifiedClaims(authorization: string): Record<string, unknown> {
  const payload = decodeBase64(authorization.split(".")[1], "base64url");
  return JSON.parse(new TextDecoder().decode(payload));
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
  return JSON.parse(await withKeys(v, () => v.wasm.verifyToken(token, clock(options))));
}

/**
 * Runs a verification with the remote key set in place: loads or refreshes it first, and on
 * an unknown kid refreshes once (within the cooldown rules) and retries. When no key can be
 * had at all the answer is 503 with Retry-After, never a 401 for a token we could not check.
 */
async function withKeys<T>(v: Verifier, call: () => Promise<T>): Promise<T> {
  if (v.remote) await v.remote.ready();
  try {
    return await call();
  } catch (first) {
    const e = first as { code?: string; kid?: string };
    if (v.remote && e?.code === "no_matching_key") {
      if (await v.remote.unknownKid(e.kid)) {
        try {
          return await call();
        } catch (second) {
          throw toAuthError(second);
        }
      }
      if (!v.remote.hasKeys) throw unavailable(v);
    }
    if (e?.code === "keys_unavailable") throw unavailable(v);
    throw toAuthError(first);
  }
}

function unavailable(v: Verifier): AuthError {
  const retry = String(v.remote?.retryAfterSeconds ?? 30);
  return authError("keys_unavailable", v.realm, { "Retry-After": retry });
}

/** Counters a function can log or expose: the verified-token cache and the remote JWKS. */
export interface AuthStats {
  tokenCache: { hits: number; misses: number; entries: number; bytes: number };
  keys: { usable: number; skipped: number };
  jwks: JwksStats | null;
}

export function authStats(options: AuthOptions = DEFAULT_OPTIONS): AuthStats {
  const v = verifierFor(options);
  const [usable, skipped] = v.wasm.keyStats();
  return {
    tokenCache: v.wasm.cacheStats() as AuthStats["tokenCache"],
    keys: { usable, skipped },
    jwks: v.remote?.stats() ?? null,
  };
}

/** Fetches the remote key set now (e.g. after a known rotation). True if a set was installed. */
export async function reloadKeys(options: AuthOptions = DEFAULT_OPTIONS): Promise<boolean> {
  return await (verifierFor(options).remote?.refresh() ?? Promise.resolve(false));
}

/** Drops the fetched keys, imported CryptoKeys, verified tokens and cached profiles. */
export function purgeKeys(options: AuthOptions = DEFAULT_OPTIONS): void {
  const v = verifierFor(options);
  v.remote?.purge();
  v.wasm.purge();
  v.profiles.clear();
}

/** The current remote key set, to store and pass back as `remoteJwks.seed` after a cold start. */
export function exportKeys(options: AuthOptions = DEFAULT_OPTIONS): KeySnapshot | undefined {
  return verifierFor(options).remote?.snapshot();
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

// The realm each context was verified under, so its later denials carry the same challenge.
const realms = new WeakMap<AuthContext, string>();

function realmOf(ctx: AuthContext, realm?: string): string {
  return realm ?? realms.get(ctx) ?? "supabase";
}

function check(ctx: AuthContext, name: AuditCheck, fn: () => void): void {
  guardCheck(ctx, name, () => {
    try {
      fn();
    } catch (e) {
      throw toAuthError(e);
    }
  });
}

/** 403 `insufficient_role` unless the caller's app role is one of `roles`. */
export function requireRole(ctx: AuthContext, roles: string | string[], realm?: string): void {
  check(ctx, "role", () =>
    wasmRequireRole(
      ctx.role ?? undefined,
      Array.isArray(roles) ? roles : [roles],
      realmOf(ctx, realm),
    ));
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
    : need !== null && typeof need === "object" && "anyOf" in need
    ? [need.anyOf, true]
    : [(need as { allOf?: unknown })?.allOf, false];
  check(ctx, "permission", () => {
    if (!Array.isArray(list) || !list.every((p) => typeof p === "string")) {
      throw configError("requirePermission takes a name, a list, { allOf } or { anyOf }");
    }
    wasmRequirePermissions(ctx.permissions, list, any, realmOf(ctx, realm));
  });
}

/** 403 `insufficient_aal` unless the session reached `minimum` (e.g. `aal2` after MFA). */
export function requireAal(ctx: AuthContext, minimum: string, realm?: string): void {
  check(ctx, "aal", () => wasmRequireAal(ctx.aal ?? undefined, minimum, realmOf(ctx, realm)));
}

export { AuthError };

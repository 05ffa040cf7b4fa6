// Verifier options: their documented defaults, and how they are read from the Supabase env.
import type { RemoteJwksOptions } from "./jwks.ts";
import type { AuditOptions } from "./audit.ts";
import type { ThrottleOptions } from "./throttle.ts";

/** The verified security context of a request. */
export interface AuthContext {
  /** `user` for a user session; `anon` / `service_role` only when `allowApiKeys` admits them. */
  kind: "user" | "anon" | "service_role";
  /** The user's id (`sub`, a UUID); null for API keys. */
  user_id: string | null;
  /** The app role (`user_role` claim, or the profile's role). */
  role: string | null;
  permissions: string[];
  /** The client address from the trusted proxy headers, or `unknown`. */
  ip_address: string;
  session_id: string | null;
  aal: string | null;
  is_anonymous: boolean;
  email: string | null;
  phone: string | null;
  /** The Postgres role from the `role` claim (`authenticated`, `anon`, `service_role`). */
  postgres_role: string | null;
  /** `exp`, in whole seconds since the epoch. */
  expires_at: number;
  /** The verified JWT claims. */
  claims: Record<string, unknown>;
}

/** What a profile lookup returns; `null` when the user has no profile. */
export interface Profile {
  is_active?: boolean;
  role?: string | null;
  permissions?: string[] | null;
}

export interface AuthOptions {
  /** Legacy HS256 secret. Default: env `SUPABASE_JWT_SECRET`; `null`: none, env not read. */
  jwtSecret?: string | null;
  /** A JWK Set or JWK (object or JSON text). Default: env `SUPABASE_JWKS`; `null`: none. */
  jwks?: string | { keys: unknown[] } | Record<string, unknown> | null;
  /** Algorithm allow-list. Default: HS256, ES256, RS256, EdDSA (the key still decides). */
  algorithms?: string[];
  /** Accepted `iss`. Default: `${SUPABASE_URL}/auth/v1` when SUPABASE_URL is set. */
  issuer?: string | string[];
  /** Accepted `aud`; `null` means tokens must not carry one. Default: `authenticated`. */
  audience?: string | string[] | null;
  /** Clock skew allowed on exp / nbf / iat, in seconds (0..300). Default: 5. */
  leewaySeconds?: number;
  /** Admit Supabase API keys in place of a user (e.g. `["service_role"]`). Default: none. */
  allowApiKeys?: Array<"anon" | "service_role">;
  /** Issuers accepted on API keys. Default: `supabase`, `supabase-demo`. */
  apiKeyIssuers?: string[];
  /** Permissions per app role, used when the token has no `user_permissions` claim. */
  rolePermissions?: Record<string, string[]>;
  /** Headers trusted to carry the client address, in order. Default: CF-Connecting-IP,
   * X-Forwarded-For (see `forwardedHops`), X-Real-IP. List only what your proxy overwrites. */
  trustedIpHeaders?: string[];
  /** Which X-Forwarded-For entry is the client: the n-th from the right, i.e. the number of
   * trusted proxies that append to it. Default: 1, the entry your nearest proxy wrote. 0 takes
   * the leftmost entry, which any client can write: only behind a proxy that overwrites it. */
  forwardedHops?: number;
  /** The `realm` of `WWW-Authenticate` challenges. Default: `supabase`. */
  realm?: string;
  /** The clock, in seconds since the epoch (tests inject one). Default: `Date.now() / 1000`. */
  now?: () => number;
  /** Looks up the user's profile after the token verified (e.g. `user_profiles` via a
   * service-role client). `is_active: false` answers 403; its role / permissions replace the
   * claims'. Results are cached per user for `profileCacheSeconds`. */
  loadProfile?: (userId: string) => Promise<Profile | null>;
  /** Default: 30. 0 disables the profile cache. */
  profileCacheSeconds?: number;
  /** The remote JWKS URL; `false` turns remote keys off. Default: none when `jwks` or
   * SUPABASE_JWKS is set, else env SUPABASE_JWKS_URL, else
   * `${SUPABASE_URL}/auth/v1/.well-known/jwks.json`. */
  jwksUrl?: string | false;
  /** Freshness, cooldown, timeout, size and outage bounds of the remote JWKS. */
  remoteJwks?: RemoteJwksOptions;
  /** The verified-token cache; `false` turns it off. Default: 1024 entries, 2 MiB. */
  tokenCache?: false | { maxEntries?: number; maxBytes?: number };
  /** One audit event per decision (docs/audit.md); `false` turns them off. Default: JSON
   * lines on stdout. */
  audit?: AuditOptions | false;
  /** Failed-auth throttling (docs/audit.md); off unless given. `{}`: the defaults (5 / 50
   * failures an hour, in-memory store). */
  throttle?: ThrottleOptions | false;
  /** The function name in audit events. Default: from the request path. */
  functionName?: string;
}

export const DEFAULT_ALGORITHMS = ["HS256", "ES256", "RS256", "EdDSA"];
export const DEFAULT_IP_HEADERS = ["cf-connecting-ip", "x-forwarded-for", "x-real-ip"];
export const DEFAULT_LEEWAY_SECONDS = 5;
/** The rightmost X-Forwarded-For entry: written by the nearest proxy, never by the client. */
export const DEFAULT_FORWARDED_HOPS = 1;

/** Reads an env variable; a runtime without env permission reads as unset. */
export function env(name: string): string | undefined {
  try {
    return Deno.env.get(name) || undefined;
  } catch {
    return undefined;
  }
}

function list(v: string | string[] | undefined): string[] {
  return v === undefined ? [] : Array.isArray(v) ? v : [v];
}

/** The configuration object the WASM core takes, with every default resolved. */
export interface CoreConfig {
  jwtSecret?: string;
  jwks?: string;
  algorithms: string[];
  issuers: string[];
  audience?: string[];
  leewaySeconds: number;
  allowApiKeys: string[];
  apiKeyIssuers: string[];
  rolePermissions: Record<string, string[]>;
  trustedIpHeaders: string[];
  forwardedHops: number;
  realm: string;
  tokenCacheEntries?: number;
  tokenCacheBytes?: number;
}

export function resolveConfig(o: AuthOptions = {}): CoreConfig {
  const supabaseUrl = env("SUPABASE_URL")?.replace(/\/+$/, "");
  const jwks = o.jwks === null ? undefined : o.jwks ?? env("SUPABASE_JWKS");
  const audience = o.audience === null ? undefined : list(o.audience ?? "authenticated");
  return {
    jwtSecret: o.jwtSecret === null ? undefined : o.jwtSecret ?? env("SUPABASE_JWT_SECRET"),
    jwks: typeof jwks === "string" || jwks === undefined ? jwks : JSON.stringify(jwks),
    algorithms: o.algorithms ?? DEFAULT_ALGORITHMS,
    issuers: o.issuer !== undefined
      ? list(o.issuer)
      : supabaseUrl
      ? [`${supabaseUrl}/auth/v1`]
      : [],
    audience,
    leewaySeconds: o.leewaySeconds ?? DEFAULT_LEEWAY_SECONDS,
    allowApiKeys: o.allowApiKeys ?? [],
    apiKeyIssuers: o.apiKeyIssuers ?? ["supabase", "supabase-demo"],
    rolePermissions: o.rolePermissions ?? {},
    trustedIpHeaders: o.trustedIpHeaders ?? DEFAULT_IP_HEADERS,
    forwardedHops: o.forwardedHops ?? DEFAULT_FORWARDED_HOPS,
    realm: o.realm ?? "supabase",
    tokenCacheEntries: o.tokenCache === false ? 0 : o.tokenCache?.maxEntries,
    tokenCacheBytes: o.tokenCache === false ? 0 : o.tokenCache?.maxBytes,
  };
}

/** The remote JWKS URL these options call for, if any. */
export function remoteJwksUrl(o: AuthOptions = {}): string | undefined {
  if (o.jwksUrl === false) return undefined;
  if (o.jwksUrl !== undefined) return o.jwksUrl;
  if (o.remoteJwks?.url) return o.remoteJwks.url;
  if (o.jwks !== undefined || env("SUPABASE_JWKS")) return undefined;
  const explicit = env("SUPABASE_JWKS_URL");
  if (explicit) return explicit;
  const supabaseUrl = env("SUPABASE_URL")?.replace(/\/+$/, "");
  return supabaseUrl ? `${supabaseUrl}/auth/v1/.well-known/jwks.json` : undefined;
}

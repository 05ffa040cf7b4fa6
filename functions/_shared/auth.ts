// The auth options every pharmacy function shares: keys and issuer from the Supabase env
// (read by the facade), the role→permission map, the active-account check, whether writes
// need MFA (aal2), and the audit trail and failed-auth throttle (docs/audit.md), from env.
import {
  type AuditOptions,
  type AuditSink,
  type AuthOptions,
  lazyStore,
  stdoutSink,
  type ThrottleOptions,
  type ThrottleStore,
} from "../../mod.ts";
import { postgresSinkFromUrl, PostgresThrottleStore, RedisThrottleStore } from "../../stores.ts";
import { ROLE_PERMISSIONS } from "./roles.ts";

function env(name: string): string | undefined {
  try {
    return Deno.env.get(name) || undefined;
  } catch {
    return undefined;
  }
}

function flag(name: string): boolean {
  return ["1", "true", "yes"].includes((env(name) ?? "").toLowerCase());
}

function num(name: string): number | undefined {
  const v = env(name);
  if (v === undefined) return undefined;
  const n = Number(v);
  if (!Number.isFinite(n)) throw new Error(`${name} must be a number`);
  return n;
}

/** `AUDIT_SINKS`: comma-separated `stdout`, `postgres` (default `stdout`), or `off`. The
 * Postgres sink writes `private.auth_events` through `AUDIT_DATABASE_URL`, else
 * `SUPABASE_DB_URL`. */
export function auditFromEnv(): AuditOptions | false {
  const names = (env("AUDIT_SINKS") ?? "stdout").split(",").map((s) => s.trim()).filter(Boolean);
  if (names.includes("off")) return false;
  const sinks: AuditSink[] = [];
  for (const name of names) {
    if (name === "stdout") sinks.push(stdoutSink());
    else if (name === "postgres") {
      const url = env("AUDIT_DATABASE_URL") ?? env("SUPABASE_DB_URL");
      if (!url) throw new Error("AUDIT_SINKS=postgres needs AUDIT_DATABASE_URL or SUPABASE_DB_URL");
      sinks.push(postgresSinkFromUrl(url));
    } else throw new Error(`AUDIT_SINKS: unknown sink ${name}`);
  }
  return { sinks, maxBuffer: num("AUDIT_MAX_BUFFER"), batchSize: num("AUDIT_BATCH_SIZE") };
}

/** The shared throttle store from `THROTTLE_STORE`: `redis` (`THROTTLE_REDIS_URL`),
 * `postgres` (`THROTTLE_DATABASE_URL`, else `SUPABASE_DB_URL`) or `memory` (the default). */
export function throttleStoreFromEnv(): ThrottleStore | undefined {
  const kind = env("THROTTLE_STORE") ?? "memory";
  if (kind === "memory") return undefined;
  if (kind === "redis") {
    const url = env("THROTTLE_REDIS_URL");
    if (!url) throw new Error("THROTTLE_STORE=redis needs THROTTLE_REDIS_URL");
    const prefix = env("THROTTLE_KEY_PREFIX");
    return lazyStore("redis", async () => {
      const s = await RedisThrottleStore.connect(url);
      return prefix ? new RedisThrottleStore(s.client, prefix) : s;
    });
  }
  if (kind === "postgres") {
    const url = env("THROTTLE_DATABASE_URL") ?? env("SUPABASE_DB_URL");
    if (!url) throw new Error("THROTTLE_STORE=postgres needs THROTTLE_DATABASE_URL");
    return lazyStore("postgres", () => PostgresThrottleStore.connect(url));
  }
  throw new Error(`THROTTLE_STORE: unknown store ${kind}`);
}

/** Throttling is on unless `THROTTLE=off`; thresholds from `THROTTLE_WINDOW_SECONDS` (3600),
 * `THROTTLE_ALERT_AFTER` (5), `THROTTLE_BLOCK_AFTER` (50), `THROTTLE_ALLOW_CACHE_MS` (1000). */
export function throttleFromEnv(): ThrottleOptions | false {
  if ((env("THROTTLE") ?? "").toLowerCase() === "off") return false;
  return {
    store: throttleStoreFromEnv(),
    windowSeconds: num("THROTTLE_WINDOW_SECONDS"),
    alertAfter: num("THROTTLE_ALERT_AFTER"),
    blockAfter: num("THROTTLE_BLOCK_AFTER"),
    allowCacheMs: num("THROTTLE_ALLOW_CACHE_MS"),
  };
}

/** The account check after every verified token: `user_profiles.is_active` through the
 * database (functions/_shared/db.ts), so a deactivated employee is refused (403
 * `inactive_account`) while their token is still valid; a database outage is 503, never a
 * grant. `PROFILE_CHECK=off` turns it off. The db module loads on first use only. */
export function profileCheckFromEnv(): AuthOptions["loadProfile"] {
  if ((env("PROFILE_CHECK") ?? "").toLowerCase() === "off") return undefined;
  return async (userId) => (await import("./db.ts")).loadUserProfile(userId);
}

export const authOptions: AuthOptions = {
  rolePermissions: ROLE_PERMISSIONS,
  audit: auditFromEnv(),
  throttle: throttleFromEnv(),
  loadProfile: profileCheckFromEnv(),
};

/** `REQUIRE_AAL2_FOR_WRITES=true` makes schedule writes require a session that passed MFA. */
export const writeAal: string | undefined = flag("REQUIRE_AAL2_FOR_WRITES") ? "aal2" : undefined;

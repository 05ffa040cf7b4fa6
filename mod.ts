/**
 * Strict JWT authentication and authorization for Supabase Edge Functions, in Rust compiled
 * to WebAssembly. Verify every request before any service-role client is touched:
 *
 * ```ts
 * import { withAuth } from "./mod.ts";
 * Deno.serve(withAuth({ roles: ["manager", "admin"] }, (_req, ctx) => Response.json(ctx.user_id)));
 * ```
 * Postgres and Redis stores for the audit trail and the throttle: `stores.ts`.
 * @module
 */
export type { AuthContext, AuthOptions, Profile } from "./lib/config.ts";
export {
  DEFAULT_ALGORITHMS,
  DEFAULT_FORWARDED_HOPS,
  DEFAULT_IP_HEADERS,
  DEFAULT_LEEWAY_SECONDS,
} from "./lib/config.ts";
export { AuthError, authError, errorResponse } from "./lib/errors.ts";
export type { FetchFailure, JwksStats, KeySnapshot, RemoteJwksOptions } from "./lib/jwks.ts";
export {
  type AuthStats,
  authStats,
  exportKeys,
  type PermissionRequirement,
  purgeKeys,
  reloadKeys,
  requireAal,
  requirePermission,
  requireRole,
  validateRequest,
  verifyToken,
} from "./lib/auth.ts";
export {
  type AuthedHandler,
  type CorsOptions,
  type Requirements,
  withAuth,
  type WithAuthOptions,
} from "./lib/with_auth.ts";
export {
  MemoryReplayStore,
  type ReplayStore,
  type VerifiedWebhook,
  verifyWebhook,
  type WebhookConfig,
  type WebhookHandler,
  type WebhookScheme,
  webhookSecrets,
  withWebhook,
  type WithWebhookOptions,
} from "./lib/webhook.ts";
export {
  type AuditCheck,
  type AuditEvent,
  type AuditOptions,
  type AuditOutcome,
  type AuditSink,
  type AuditStats,
  stdoutSink,
} from "./lib/audit.ts";
export {
  type Blocked,
  hashValue,
  lazyStore,
  MemoryThrottleStore,
  type ThrottleAlert,
  type ThrottleEntry,
  type ThrottleOptions,
  type ThrottleStats,
  type ThrottleStore,
} from "./lib/throttle.ts";
export { auditStats, clientIpOf, flushAudit, throttleStats } from "./lib/guard.ts";

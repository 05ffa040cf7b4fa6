/**
 * Strict JWT authentication and authorization for Supabase Edge Functions, in Rust compiled
 * to WebAssembly. Verify every request before any service-role client is touched:
 *
 * ```ts
 * import { withAuth } from "./mod.ts";
 * Deno.serve(withAuth({ roles: ["manager", "admin"] }, (_req, ctx) => Response.json(ctx.user_id)));
 * ```
 * @module
 */
export type { AuthContext, AuthOptions, Profile } from "./lib/config.ts";
export { DEFAULT_ALGORITHMS, DEFAULT_IP_HEADERS, DEFAULT_LEEWAY_SECONDS } from "./lib/config.ts";
export { AuthError, authError, errorResponse } from "./lib/errors.ts";
export {
  type PermissionRequirement,
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

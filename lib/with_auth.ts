// withAuth: a Deno.serve handler that authenticates, applies the declared requirements per
// method, answers CORS preflight, and turns every failure into the right response.
import type { AuthContext, AuthOptions } from "./config.ts";
import {
  type PermissionRequirement,
  requireAal,
  requirePermission,
  requireRole,
  validateRequest,
} from "./auth.ts";
import { errorResponse } from "./errors.ts";

/** What a route requires of its caller. */
export interface Requirements {
  roles?: string[];
  permissions?: PermissionRequirement;
  aal?: string;
}

export interface CorsOptions {
  /** Allowed origins; `"*"` (the default) suits Bearer tokens, which are not cookies. */
  origins?: string[] | "*";
  /** Request headers allowed; the default covers supabase-js. */
  headers?: string[];
}

export interface WithAuthOptions extends AuthOptions, Requirements {
  /** Per-method requirements (on top of the top-level ones). Other methods get 405. */
  methods?: Record<string, Requirements>;
  /** CORS settings; `false` disables CORS headers. */
  cors?: CorsOptions | false;
  /** Adds `Server-Timing: auth;dur=<ms>` (authentication and requirements) to responses. */
  serverTiming?: boolean;
}

export type AuthedHandler = (req: Request, ctx: AuthContext) => Response | Promise<Response>;

const DEFAULT_CORS_HEADERS = ["authorization", "x-client-info", "apikey", "content-type"];

function corsHeaders(req: Request, cors: CorsOptions | false | undefined): Headers {
  const h = new Headers();
  if (cors === false) return h;
  const origins = cors?.origins ?? "*";
  const origin = req.headers.get("origin");
  if (origins === "*") {
    h.set("Access-Control-Allow-Origin", "*");
  } else if (origin && origins.includes(origin)) {
    h.set("Access-Control-Allow-Origin", origin);
    h.set("Vary", "Origin");
  }
  h.set("Access-Control-Allow-Headers", (cors?.headers ?? DEFAULT_CORS_HEADERS).join(", "));
  return h;
}

function withHeaders(res: Response, extra: Headers): Response {
  if ([...extra.keys()].length === 0) return res;
  const headers = new Headers(res.headers);
  extra.forEach((v, k) => headers.set(k, v));
  return new Response(res.body, { status: res.status, statusText: res.statusText, headers });
}

function enforce(ctx: AuthContext, r: Requirements | undefined, realm: string | undefined): void {
  if (!r) return;
  // Whatever is declared is enforced: an empty name is the core's configuration error (500),
  // never a requirement silently skipped.
  if (r.roles !== undefined) requireRole(ctx, r.roles, realm);
  if (r.permissions !== undefined) requirePermission(ctx, r.permissions, realm);
  if (r.aal !== undefined) requireAal(ctx, r.aal, realm);
}

/**
 * Wraps a handler so it only runs for an authenticated caller who meets the requirements:
 * `Deno.serve(withAuth({ roles: ["manager"] }, (req, ctx) => ...))`.
 */
export function withAuth(
  options: WithAuthOptions,
  handler: AuthedHandler,
): (req: Request) => Promise<Response> {
  const allowed = options.methods ? Object.keys(options.methods).map((m) => m.toUpperCase()) : null;
  return async (req: Request): Promise<Response> => {
    const cors = corsHeaders(req, options.cors);
    if (req.method === "OPTIONS" && options.cors !== false) {
      if (allowed) cors.set("Access-Control-Allow-Methods", [...allowed, "OPTIONS"].join(", "));
      cors.set("Access-Control-Max-Age", "600");
      return new Response(null, { status: 204, headers: cors });
    }
    if (allowed && !allowed.includes(req.method)) {
      const res = Response.json({
        error: "method_not_allowed",
        message: "this function does not answer that method",
      }, {
        status: 405,
        headers: { Allow: allowed.join(", ") },
      });
      return withHeaders(res, cors);
    }
    const started = performance.now();
    const timing = () => {
      if (options.serverTiming) {
        cors.set("Server-Timing", `auth;dur=${(performance.now() - started).toFixed(2)}`);
      }
    };
    let ctx: AuthContext;
    try {
      ctx = await validateRequest(req, options);
      enforce(ctx, options, options.realm);
      const methodRules = options.methods &&
        Object.entries(options.methods).find(([m]) => m.toUpperCase() === req.method)?.[1];
      enforce(ctx, methodRules, options.realm);
    } catch (e) {
      timing();
      return withHeaders(errorResponse(e), cors);
    }
    timing();
    try {
      return withHeaders(await handler(req, ctx), cors);
    } catch (e) {
      return withHeaders(errorResponse(e), cors);
    }
  };
}

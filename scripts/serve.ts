// The main job: serves every function in functions/ on 127.0.0.1 at /functions/v1/<name>, the
// path supabase-js `functions.invoke` calls, and publishes the JWKS at
// /auth/v1/.well-known/jwks.json. Without Supabase env it uses loud development defaults.
import { DEV_JWT_SECRET, DEV_PORT, loadOrCreateDevKeys } from "./dev_keys.ts";
import type { Handler } from "../functions/_shared/serve.ts";

const port = Number(Deno.env.get("PORT") ?? DEV_PORT);
const configured = Deno.env.get("SUPABASE_JWT_SECRET") || Deno.env.get("SUPABASE_JWKS");
let jwks: string | undefined = Deno.env.get("SUPABASE_JWKS");

if (!configured) {
  const keys = await loadOrCreateDevKeys();
  jwks = JSON.stringify(keys.publicJwks);
  Deno.env.set("SUPABASE_JWT_SECRET", DEV_JWT_SECRET);
  Deno.env.set("SUPABASE_JWKS", jwks);
  if (!Deno.env.get("SUPABASE_URL")) Deno.env.set("SUPABASE_URL", `http://127.0.0.1:${port}`);
  const bar = "!".repeat(78);
  console.warn(`${bar}
!! DEVELOPMENT MODE: no SUPABASE_JWT_SECRET / SUPABASE_JWKS set.
!! Tokens are verified with the PUBLIC Supabase demo secret and a local ES256 key
!! (.dev/dev-es256.json, kid ${keys.publicJwks.keys[0].kid}). Anyone can mint these tokens.
!! Never expose this server; set the Supabase env for anything real.
${bar}`);
}

// The webhook functions' secrets (send-sms-hook, sms-inbound): public development defaults,
// only in development mode and only where env does not set them.
if (!configured) {
  const devWebhookSecrets: Record<string, string> = {
    SEND_SMS_HOOK_SECRET: "v1,whsec_ZWRnZS1hdXRoLWRldi1zZW5kLXNtcy1ob29rLWtleSE=",
    SMS_GATEWAY_WEBHOOK_KEY: "edge-auth-dev-sms-gateway-webhook-key",
  };
  const unset = Object.keys(devWebhookSecrets).filter((k) => !Deno.env.get(k));
  for (const k of unset) Deno.env.set(k, devWebhookSecrets[k]);
  if (unset.length > 0) {
    console.warn(
      `!! DEVELOPMENT webhook secrets (public, in scripts/serve.ts): ${unset.join(", ")}`,
    );
  }
}

// Every function registers its handler instead of listening itself: through serveFunction
// (functions/_shared/serve.ts), or by calling Deno.serve as Supabase functions do, which is
// captured while the function's module loads (so no function opens a port of its own).
type ServeArgs = [Handler] | [Deno.ServeOptions, Handler] | [{ handler: Handler }];
function handlerOf(args: ServeArgs): Handler | undefined {
  const last = args[args.length - 1] as unknown;
  if (typeof last === "function") return last as Handler;
  const h = (last as { handler?: unknown } | undefined)?.handler;
  return typeof h === "function" ? h as Handler : undefined;
}
const realServe = Deno.serve;
const routes = new Map<string, Handler>();
// FUNCTIONS_DIR: where the functions live (default `functions`; `supabase/functions` in a
// Supabase CLI project), relative to the working directory.
const functionsDir = new URL(
  `${Deno.env.get("FUNCTIONS_DIR") ?? "functions"}/`,
  `file://${Deno.cwd()}/`,
);
for (
  const entry of [...Deno.readDirSync(functionsDir)].sort((a, b) => a.name.localeCompare(b.name))
) {
  if (!entry.isDirectory || entry.name.startsWith("_")) continue;
  let captured: Handler | undefined;
  globalThis.__edgeAuthDevRouter = { register: (h) => (captured = h) };
  (Deno as { serve: unknown }).serve = (...args: ServeArgs) => {
    captured = handlerOf(args);
    return {
      addr: { transport: "tcp", hostname: "127.0.0.1", port },
      finished: new Promise<void>(() => {}),
      shutdown: () => Promise.resolve(),
      ref() {},
      unref() {},
    };
  };
  try {
    await import(new URL(`${entry.name}/index.ts`, functionsDir).href);
  } finally {
    (Deno as { serve: unknown }).serve = realServe;
  }
  if (captured) routes.set(entry.name, captured);
  else console.warn(`!! ${entry.name}: no handler registered (Deno.serve not called)`);
}
globalThis.__edgeAuthDevRouter = undefined;

// Open the database before listening, so the first request does not wait for the embedded one
// to load its migrations (the functions query it, and check every caller's profile in it).
const { getBackend } = await import("../functions/_shared/db.ts");
const db = await getBackend();
console.log(
  db.kind === "pglite"
    ? "database: embedded PGlite with supabase/migrations and supabase/seed.sql (in memory)"
    : "database: SUPABASE_DB_URL",
);

const server = Deno.serve({
  hostname: "127.0.0.1",
  port,
  onListen: ({ hostname, port }) => {
    console.log(`edge-auth dev server on http://${hostname}:${port}`);
    for (const name of routes.keys()) {
      console.log(`  /functions/v1/${name}`);
    }
  },
}, (req) => {
  const path = new URL(req.url).pathname;
  if (path === "/auth/v1/.well-known/jwks.json" && jwks) {
    // Only public keys are ever published here.
    return new Response(jwks, {
      headers: { "Content-Type": "application/json", "Cache-Control": "public, max-age=600" },
    });
  }
  const match = path.match(/^\/functions\/v1\/([a-z0-9_-]+)\/?/);
  const handler = match ? routes.get(match[1]) : undefined;
  if (!handler) return Response.json({ error: "not_found" }, { status: 404 });
  return handler(req);
});

// Ctrl-C or a plain kill: stop listening, close the database, exit (open connections and the
// embedded database would otherwise keep the process alive).
for (const signal of ["SIGINT", "SIGTERM"] as const) {
  Deno.addSignalListener(signal, async () => {
    await server.shutdown();
    await db.close().catch(() => {});
    Deno.exit(0);
  });
}

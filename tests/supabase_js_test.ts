// The main job end to end: the local server (scripts/serve.ts) in its own process, called by
// supabase-js `functions.invoke` the way an app would. Loopback only, bounded waits.
import assert from "node:assert/strict";
import { createClient, FunctionsHttpError } from "@supabase/supabase-js";
import { SignJWT } from "jose";
import { startDevServer } from "./helpers.ts";

const DEMO_SECRET = "super-secret-jwt-token-with-at-least-32-characters-long";
const DEMO_ANON =
  "eyJhbGciOiJIUzI1NiIsInR5cCI6IkpXVCJ9.eyJpc3MiOiJzdXBhYmFzZS1kZW1vIiwicm9sZSI6ImFub24iLCJleHAiOjE5ODM4MTI5OTZ9.CRXP1A7WOeoJeXxjNni43kdQwgnWNReilDMblYTn_I0";
const PORT = 54000 + Math.floor(Math.random() * 900);
const BASE = `http://127.0.0.1:${PORT}`;

async function userToken(extra: Record<string, unknown> = {}): Promise<string> {
  const now = Math.floor(Date.now() / 1000);
  return await new SignJWT({
    iss: `${BASE}/auth/v1`,
    sub: "9a7b6c5d-4e3f-4a1b-8c2d-1e0f9a8b7c6d",
    aud: "authenticated",
    role: "authenticated",
    aal: "aal1",
    email: "pat@example.com",
    user_role: "pharmacist",
    ...extra,
  }).setProtectedHeader({ alg: "HS256", typ: "JWT" }).setIssuedAt(now).setExpirationTime(now + 300)
    .sign(new TextEncoder().encode(DEMO_SECRET));
}

Deno.test("supabase-js functions.invoke against the local server", async (t) => {
  const server = await startDevServer(PORT);
  try {
    const supabase = createClient(BASE, DEMO_ANON, { auth: { persistSession: false } });

    await t.step("with a user token: the context comes back", async () => {
      const { data, error } = await supabase.functions.invoke("whoami", {
        headers: { Authorization: `Bearer ${await userToken()}` },
      });
      assert.equal(error, null);
      assert.equal(data.user_id, "9a7b6c5d-4e3f-4a1b-8c2d-1e0f9a8b7c6d");
      assert.equal(data.role, "pharmacist");
      assert.equal(data.kind, "user");
      assert.equal(data.claims, undefined, "whoami must not return raw claims");
    });

    await t.step("with only the anon key: 401, the API key is not a user", async () => {
      const { data, error } = await supabase.functions.invoke("whoami");
      assert.equal(data, null);
      assert.ok(error instanceof FunctionsHttpError);
      const res = error.context as Response;
      assert.equal(res.status, 401);
      assert.equal((await res.json()).error, "api_key_not_user");
    });

    await t.step("with no Authorization at all: 401 with a bare challenge", async () => {
      const res = await fetch(`${BASE}/functions/v1/whoami`, { method: "POST" });
      assert.equal(res.status, 401);
      assert.equal(res.headers.get("www-authenticate"), 'Bearer realm="supabase"');
      await res.body?.cancel();
    });

    await t.step("schedules: a pharmacist may read but not write", async () => {
      const headers = { Authorization: `Bearer ${await userToken()}` };
      const get = await fetch(`${BASE}/functions/v1/schedules`, { headers });
      assert.equal(get.status, 200);
      await get.body?.cancel();
      const post = await fetch(`${BASE}/functions/v1/schedules`, {
        method: "POST",
        headers,
        body: "{}",
      });
      assert.equal(post.status, 403);
      assert.equal((await post.json()).error, "insufficient_role");
    });

    await t.step("the JWKS is published without private members", async () => {
      const jwks = await (await fetch(`${BASE}/auth/v1/.well-known/jwks.json`)).json();
      assert.ok(jwks.keys.length >= 1);
      for (const k of jwks.keys) assert.equal(k.d, undefined);
    });
  } finally {
    server.kill("SIGTERM");
    await server.status;
  }
});

// The local server (scripts/serve.ts) runs a function written the plain Supabase way, calling
// Deno.serve itself: it is routed at /functions/v1/<name>, the port it asked for stays closed,
// and the server stops on SIGTERM. Loopback only, bounded waits.
import assert from "node:assert/strict";
import { SignJWT } from "jose";
import { startDevServer } from "./helpers.ts";

const DEMO_SECRET = "super-secret-jwt-token-with-at-least-32-characters-long";
const PORT = 55000 + Math.floor(Math.random() * 900);
const ASKED = PORT + 1000; // the port the function's own Deno.serve asks for
const BASE = `http://127.0.0.1:${PORT}`;
const MOD = new URL("../mod.ts", import.meta.url).href;

Deno.test("dev server: a function calling Deno.serve is routed, opens no port, stops on SIGTERM", async () => {
  const dir = await Deno.makeTempDir();
  await Deno.mkdir(`${dir}/plain`);
  await Deno.writeTextFile(
    `${dir}/plain/index.ts`,
    `import { withAuth } from "${MOD}";
Deno.serve({ hostname: "127.0.0.1", port: ${ASKED} }, withAuth({ roles: ["manager"] }, (_req, ctx) =>
  Response.json({ hello: ctx.user_id })));
`,
  );
  const child = await startDevServer(PORT, { FUNCTIONS_DIR: dir }, "/functions/v1/plain");
  try {
    const now = Math.floor(Date.now() / 1000);
    const token = await new SignJWT({
      iss: `${BASE}/auth/v1`,
      sub: "9a7b6c5d-4e3f-4a1b-8c2d-1e0f9a8b7c6d",
      aud: "authenticated",
      role: "authenticated",
      user_role: "manager",
    }).setProtectedHeader({ alg: "HS256" }).setExpirationTime(now + 300)
      .sign(new TextEncoder().encode(DEMO_SECRET));
    const ok = await fetch(`${BASE}/functions/v1/plain`, {
      headers: { authorization: `Bearer ${token}` },
    });
    assert.equal(ok.status, 200);
    assert.deepEqual(await ok.json(), { hello: "9a7b6c5d-4e3f-4a1b-8c2d-1e0f9a8b7c6d" });
    const none = await fetch(`${BASE}/functions/v1/plain`);
    assert.equal(none.status, 401);
    await none.body?.cancel();
    // The function's own Deno.serve was captured: nothing listens where it asked.
    await assert.rejects(Deno.connect({ hostname: "127.0.0.1", port: ASKED }));

    child.kill("SIGTERM");
    const exited = await Promise.race([
      child.status.then(() => true),
      new Promise<boolean>((r) => setTimeout(() => r(false), 10_000)),
    ]);
    assert.ok(exited, "the server did not stop within 10 s of SIGTERM");
  } finally {
    try {
      child.kill("SIGKILL");
    } catch {
      // already gone
    }
    await child.status;
    await Deno.remove(dir, { recursive: true });
  }
});

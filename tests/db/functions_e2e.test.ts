// End to end on the real server: the access token hook issues the claims, the token is signed,
// the schedules function verifies it at the edge and queries as the caller, and RLS decides.
import assert from "node:assert/strict";
import { SignJWT } from "jose";
import { createPostgresBackend, setBackend } from "../../functions/_shared/db.ts";
import {
  baseClaims,
  callHook,
  dbTest,
  EMPLOYEES,
  type SeedUser,
  STORES,
  USERS,
  withFreshDb,
} from "./_pg.ts";

const SECRET = "e2e-test-jwt-secret-with-at-least-32-bytes!";
const DEMO_ANON =
  "eyJhbGciOiJIUzI1NiIsInR5cCI6IkpXVCJ9.eyJpc3MiOiJzdXBhYmFzZS1kZW1vIiwicm9sZSI6ImFub24iLCJleHAiOjE5ODM4MTI5OTZ9.CRXP1A7WOeoJeXxjNni43kdQwgnWNReilDMblYTn_I0";
const DEMO_SERVICE =
  "eyJhbGciOiJIUzI1NiIsInR5cCI6IkpXVCJ9.eyJpc3MiOiJzdXBhYmFzZS1kZW1vIiwicm9sZSI6InNlcnZpY2Vfcm9sZSIsImV4cCI6MTk4MzgxMjk5Nn0.EGIM96RAZx35lJzdJsyH-qQwv8Hdp7fsn3W0YpN81IU";

// Importing a function makes it serve; register it with a stub router instead of a port.
globalThis.__edgeAuthDevRouter = { register: () => {} };
const { handler } = await import("../../functions/schedules/index.ts");
globalThis.__edgeAuthDevRouter = undefined;

/** The function reads its keys from the env on first use, as on Supabase; the env is shared
 * by every test file of the run, so it is set only around this test and restored after. */
async function withEnv(vars: Record<string, string | undefined>, fn: () => Promise<void>) {
  const saved = Object.fromEntries(Object.keys(vars).map((k) => [k, Deno.env.get(k)]));
  const apply = (v: Record<string, string | undefined>) => {
    for (const [k, x] of Object.entries(v)) {
      x === undefined ? Deno.env.delete(k) : Deno.env.set(k, x);
    }
  };
  apply(vars);
  try {
    await fn();
  } finally {
    apply(saved);
  }
}

async function tokenFor(sql: Parameters<typeof callHook>[0], user: SeedUser, aal = "aal1") {
  const out = await callHook(sql, USERS[user], baseClaims(user, { aal }));
  assert.ok(out.claims, `hook refused ${user}`);
  const now = Math.floor(Date.now() / 1000);
  return await new SignJWT({ ...(out.claims as Record<string, unknown>), exp: now + 300, iat: now })
    .setProtectedHeader({ alg: "HS256", typ: "JWT" }).sign(new TextEncoder().encode(SECRET));
}

function call(token: string | null, method = "GET", body?: unknown) {
  const headers: Record<string, string> = {};
  if (token) headers.Authorization = `Bearer ${token}`;
  return handler(
    new Request("http://127.0.0.1/functions/v1/schedules", {
      method,
      headers,
      body: body === undefined ? undefined : JSON.stringify(body),
    }),
  );
}

const SHIFT = {
  store_id: STORES.central,
  employee_id: EMPLOYEES.employee,
  starts_at: "2030-05-06T08:00:00Z",
  ends_at: "2030-05-06T16:00:00Z",
};

dbTest(
  "schedules end to end: each role through the function, RLS and the profile deciding",
  async () => {
    const env = { SUPABASE_JWT_SECRET: SECRET, SUPABASE_JWKS: undefined, SUPABASE_URL: undefined };
    await withEnv(env, () =>
      withFreshDb(async (sql, url) => {
        const backend = createPostgresBackend(url, 2);
        setBackend(backend);
        try {
          // An employee sees exactly their own shifts, never a same-named colleague's.
          const emp = await (await call(await tokenFor(sql, "employee"))).json();
          assert.ok(emp.schedules.length > 0);
          assert.ok(
            emp.schedules.every((s: { employee_id: string }) =>
              s.employee_id === EMPLOYEES.employee
            ),
          );
          const twin = await (await call(await tokenFor(sql, "employeeSameName"))).json();
          assert.ok(
            twin.schedules.every((s: { employee_id: string }) =>
              s.employee_id === EMPLOYEES.employeeSameName
            ),
          );

          // A manager sees everyone's, and writes only from an aal2 session.
          const mgr = await (await call(await tokenFor(sql, "manager"))).json();
          assert.ok(
            new Set(mgr.schedules.map((s: { employee_id: string }) => s.employee_id)).size > 1,
          );
          const aal1 = await call(await tokenFor(sql, "manager", "aal1"), "POST", SHIFT);
          assert.equal(aal1.status, 403);
          await aal1.body?.cancel();
          const aal2 = await call(await tokenFor(sql, "manager", "aal2"), "POST", SHIFT);
          assert.equal(aal2.status, 201);
          assert.equal((await aal2.json()).schedule.employee_id, EMPLOYEES.employee);

          // Employees and pharmacists may not write at all: refused at the edge.
          for (const user of ["employee", "pharmacist"] as const) {
            const res = await call(await tokenFor(sql, user, "aal2"), "POST", SHIFT);
            assert.equal(res.status, 403);
            assert.equal((await res.json()).error, "insufficient_role");
          }

          // API keys of this project (same secret) are not users, and no credentials is a 401.
          for (const role of ["anon", "service_role"]) {
            const key = await new SignJWT({ iss: "supabase", role, exp: 1983812996 })
              .setProtectedHeader({ alg: "HS256", typ: "JWT" }).sign(
                new TextEncoder().encode(SECRET),
              );
            const res = await call(key);
            assert.equal(res.status, 401, `${role} key must be refused as a user`);
            assert.equal((await res.json()).error, "api_key_not_user");
          }
          for (const key of [DEMO_ANON, DEMO_SERVICE]) {
            const res = await call(key);
            await res.body?.cancel();
            assert.equal(res.status, 401, "another project's API key");
          }
          const none = await call(null);
          await none.body?.cancel();
          assert.equal(none.status, 401);

          // A deactivated account is refused at the edge while its token is still valid (the
          // hook no longer issues one; this carries an employee's claims, as one issued before).
          const now = Math.floor(Date.now() / 1000);
          const stale = await new SignJWT({
            ...baseClaims("inactive"),
            user_role: "employee",
            user_permissions: ["schedules.read"],
            employee_id: EMPLOYEES.inactive,
            exp: now + 300,
          }).setProtectedHeader({ alg: "HS256", typ: "JWT" }).sign(
            new TextEncoder().encode(SECRET),
          );
          const inactive = await call(stale);
          assert.equal(inactive.status, 403);
          assert.equal((await inactive.json()).error, "inactive_account");

          // Without the database the account cannot be checked: 503, never a grant.
          const adminToken = await tokenFor(sql, "admin");
          setBackend({
            kind: "postgres",
            transaction: () => Promise.reject(new Error("connection refused")),
            close: () => Promise.resolve(),
          });
          const down = await call(adminToken);
          assert.equal(down.status, 503);
          assert.equal((await down.json()).error, "profile_unavailable");
        } finally {
          setBackend(null);
          await backend.close();
        }
      }));
  },
);

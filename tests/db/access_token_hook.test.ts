// public.custom_access_token_hook, called as supabase_auth_admin like Supabase Auth does.

import assert from "node:assert/strict";
import {
  baseClaims,
  callHook,
  dbTest,
  EMPLOYEES,
  type SeedUser,
  USERS,
  withFreshDb,
} from "./_pg.ts";

const EXPECTED: Record<string, { role: string; permissions: string[] }> = {
  admin: {
    role: "admin",
    permissions: [
      "audit.read",
      "contacts.read",
      "contacts.write",
      "messages.send",
      "schedules.read",
      "schedules.read_all",
      "schedules.write",
      "stores.write",
      "users.manage",
    ],
  },
  manager: {
    role: "manager",
    permissions: [
      "audit.read",
      "contacts.read",
      "contacts.write",
      "messages.send",
      "schedules.read",
      "schedules.read_all",
      "schedules.write",
    ],
  },
  pharmacist: {
    role: "pharmacist",
    permissions: ["contacts.read", "messages.send", "schedules.read"],
  },
  employee: { role: "employee", permissions: ["schedules.read"] },
};

// Claims Supabase Auth requires in the hook's output.
const REQUIRED = [
  "iss",
  "aud",
  "exp",
  "iat",
  "sub",
  "role",
  "aal",
  "session_id",
  "email",
  "phone",
  "is_anonymous",
];

dbTest("hook: each role gets user_role, user_permissions, employee_id; claims kept", async () => {
  await withFreshDb(async (sql) => {
    for (const user of ["admin", "manager", "pharmacist", "employee"] as SeedUser[]) {
      const input = baseClaims(user);
      const out = await callHook(sql, USERS[user], input);
      assert.deepEqual(Object.keys(out).sort(), ["authentication_method", "claims", "user_id"]);
      const claims = out.claims as Record<string, unknown>;
      assert.equal(claims.user_role, EXPECTED[user].role, user);
      assert.deepEqual(claims.user_permissions, EXPECTED[user].permissions, user);
      assert.equal(claims.employee_id, EMPLOYEES[user], user);
      // Every claim Supabase put in is still there, unchanged (role stays `authenticated`).
      for (const [k, v] of Object.entries(input)) assert.deepEqual(claims[k], v, `${user}: ${k}`);
      for (const k of REQUIRED) assert.ok(k in claims, `${user}: ${k} missing`);
      assert.equal(claims.role, "authenticated");
      assert.deepEqual(
        Object.keys(claims).filter((k) => !(k in input)).sort(),
        ["employee_id", "user_permissions", "user_role"],
      );
    }
  });
});

dbTest("hook: one role per user by explicit precedence, not by name or insertion", async () => {
  await withFreshDb(async (sql) => {
    // The seeded admin also holds `employee`.
    const admin = await callHook(sql, USERS.admin, baseClaims("admin"));
    assert.equal((admin.claims as Record<string, unknown>).user_role, "admin");
    // employee + pharmacist: alphabetical order would pick "employee"; precedence picks
    // "pharmacist".
    await sql`insert into public.user_roles (user_id, role) values (${USERS.employee}, 'pharmacist')`;
    const two = await callHook(sql, USERS.employee, baseClaims("employee"));
    const claims = two.claims as Record<string, unknown>;
    assert.equal(claims.user_role, "pharmacist");
    assert.deepEqual(claims.user_permissions, EXPECTED.pharmacist.permissions);
    // Precedence is data: reorder it and the hook follows.
    await sql`update public.roles set precedence = precedence + 10`;
    await sql`update public.roles set precedence = 1 where role = 'employee'`;
    const swapped = await callHook(sql, USERS.employee, baseClaims("employee"));
    assert.equal((swapped.claims as Record<string, unknown>).user_role, "employee");
  });
});

dbTest("hook: inactive user gets the 403 error output and no claims", async () => {
  await withFreshDb(async (sql) => {
    const out = await callHook(sql, USERS.inactive, baseClaims("inactive"));
    assert.deepEqual(Object.keys(out), ["error"]);
    const error = out.error as Record<string, unknown>;
    assert.equal(error.http_code, 403);
    assert.equal(typeof error.message, "string");
    assert.ok((error.message as string).length > 0);
  });
});

dbTest("hook: a user without profile or role gets no role and no permissions", async () => {
  await withFreshDb(async (sql) => {
    const id = crypto.randomUUID();
    await sql`insert into auth.users (id, email) values (${id}, 'new@pharmacy.test')`;
    const out = await callHook(sql, id, baseClaims(id));
    const claims = out.claims as Record<string, unknown>;
    assert.equal(claims.user_role, null);
    assert.deepEqual(claims.user_permissions, []);
    assert.equal(claims.employee_id, null);
    assert.equal(claims.sub, id);
  });
});

dbTest("hook: malformed events are refused", async () => {
  await withFreshDb(async (sql) => {
    const bad = await sql.begin(async (tx) => {
      await tx.unsafe("set local role supabase_auth_admin");
      const outs = [];
      for (
        const event of [
          "{}",
          '{"user_id": "not-a-uuid", "claims": {}}',
          `{"user_id": "${USERS.admin}", "claims": []}`,
          `{"user_id": "${USERS.admin}"}`,
        ]
      ) {
        const [r] = await tx.unsafe(
          "select public.custom_access_token_hook($1::text::jsonb) as o",
          [
            event,
          ],
        );
        outs.push(r.o);
      }
      return outs;
    });
    for (const o of bad) assert.equal(o.error?.http_code, 400, JSON.stringify(o));
  });
});

dbTest("hook: executable by supabase_auth_admin only", async () => {
  await withFreshDb(async (sql) => {
    const [p] = await sql`
      select
        has_function_privilege('supabase_auth_admin', 'public.custom_access_token_hook(jsonb)',
          'execute') as auth_admin,
        has_function_privilege('anon', 'public.custom_access_token_hook(jsonb)', 'execute') as anon,
        has_function_privilege('authenticated', 'public.custom_access_token_hook(jsonb)',
          'execute') as authenticated,
        exists (
          select 1 from pg_proc p, aclexplode(p.proacl) a
          where p.oid = 'public.custom_access_token_hook(jsonb)'::regprocedure
            and a.grantee = 0 and a.privilege_type = 'EXECUTE'
        ) as public_execute`;
    assert.deepEqual(p, {
      auth_admin: true,
      anon: false,
      authenticated: false,
      public_execute: false,
    });
    // supabase_auth_admin can read what the hook needs and nothing personal.
    const [c] = await sql`
      select
        has_column_privilege('supabase_auth_admin', 'public.user_profiles', 'is_active',
          'select') as active,
        has_column_privilege('supabase_auth_admin', 'public.user_profiles', 'display_name',
          'select') as name,
        has_table_privilege('supabase_auth_admin', 'public.contacts', 'select') as contacts`;
    assert.deepEqual(c, { active: true, name: false, contacts: false });
  });
});

// One test per defect of the original pharmacy database (issue 6), on a real PostgreSQL
// server with the Supabase emulation: each shows the old failure mode no longer happens.

import assert from "node:assert/strict";
import {
  asRole,
  assertSqlState,
  asUser,
  baseClaims,
  callHook,
  dbTest,
  EMPLOYEES,
  type SeedUser,
  STORES,
  USERS,
  withFreshDb,
} from "./_pg.ts";

const ALL_USERS: SeedUser[] = [
  "admin",
  "manager",
  "pharmacist",
  "employee",
  "employeeSameName",
];

dbTest("no policy recursion: an admin reads every profile, contact and schedule", async () => {
  await withFreshDb(async (sql) => {
    const counts = await asUser(sql, "admin", async (tx) => {
      const [p] = await tx`select count(*)::int as n from public.user_profiles`;
      const [c] = await tx`select count(*)::int as n from public.contacts`;
      const [s] = await tx`select count(*)::int as n from public.store_schedules`;
      const [r] = await tx`select count(*)::int as n from public.user_roles`;
      return [p.n, c.n, s.n, r.n];
    });
    // 6 profiles, 6 contacts, 5 employees x 7 days, 7 role assignments (seed).
    assert.deepEqual(counts, [6, 6, 35, 7]);
    // Every role can query every table without `infinite recursion detected in policy`.
    for (const user of ALL_USERS) {
      await asUser(sql, user, async (tx) => {
        for (
          const table of [
            "user_profiles",
            "user_roles",
            "contacts",
            "store_schedules",
            "messages",
            "stores",
          ]
        ) {
          await tx.unsafe(`select count(*) from public.${table}`);
        }
      });
    }
  });
});

dbTest("schedules are matched by employee id: same name and no phone see only own", async () => {
  await withFreshDb(async (sql) => {
    // The two seeded employees are both "Alex Kim", and neither has a phone.
    const [a, b] = await sql`
      select first_name, last_name, phone from public.contacts
      where id in (${EMPLOYEES.employee}, ${EMPLOYEES.employeeSameName}) order by id`;
    assert.deepEqual([a.first_name, a.last_name, a.phone], [b.first_name, b.last_name, b.phone]);
    assert.deepEqual(a.phone, null);

    for (const user of ["employee", "employeeSameName"] as const) {
      const rows = await asUser(
        sql,
        user,
        (tx) => tx`select employee_id from public.store_schedules`,
      );
      assert.deepEqual(rows.length, 7);
      for (const r of rows) assert.deepEqual(r.employee_id, EMPLOYEES[user]);
      const contacts = await asUser(sql, user, (tx) => tx`select id from public.contacts`);
      assert.deepEqual(contacts.map((c) => c.id), [EMPLOYEES[user]]);
    }
    // An empty string is not a phone number: the constraint refuses it.
    await assertSqlState(
      sql`update public.contacts set phone = '' where id = ${EMPLOYEES.employee}`,
      "23514",
    );
  });
});

dbTest("column grants: an employee cannot rename themselves into a colleague", async () => {
  await withFreshDb(async (sql) => {
    await assertSqlState(
      asUser(
        sql,
        "employee",
        (tx) =>
          tx`update public.contacts set first_name = 'Paula', last_name = 'Pharmacist'
              where id = ${EMPLOYEES.employee}`,
      ),
      "42501",
    );
    // The same goes for the employee id of a profile.
    await assertSqlState(
      asUser(
        sql,
        "employee",
        (tx) =>
          tx`update public.user_profiles set employee_id = ${EMPLOYEES.pharmacist}
              where user_id = ${USERS.employee}`,
      ),
      "42501",
    );
    // Self-service columns of one's own row still work, and only of one's own row.
    const own = await asUser(
      sql,
      "employee",
      (tx) =>
        tx`update public.contacts set phone = '+15550199999' where id = ${EMPLOYEES.employee}`,
    );
    assert.deepEqual(own.count, 1);
    const other = await asUser(
      sql,
      "employee",
      (tx) =>
        tx`update public.contacts set phone = '+15550199998'
            where id = ${EMPLOYEES.employeeSameName}`,
    );
    assert.deepEqual(other.count, 0);
    const [row] = await sql`select first_name, phone from public.contacts
                            where id = ${EMPLOYEES.employee}`;
    assert.deepEqual([row.first_name, row.phone], ["Alex", "+15550199999"]);
  });
});

dbTest("permissions are rows and a JSON array; an object in the token never grants", async () => {
  await withFreshDb(async (sql) => {
    // No JSON permission document anywhere in the schema.
    const jsonCols = await sql`
      select table_schema, table_name, column_name from information_schema.columns
      where table_schema in ('public', 'private') and data_type in ('json', 'jsonb')
        and column_name like '%permission%'`;
    assert.deepEqual(jsonCols.length, 0);

    // The hook emits an array of strings for every role.
    for (const user of ALL_USERS) {
      const out = await callHook(sql, USERS[user], baseClaims(user));
      const claims = out.claims as Record<string, unknown>;
      assert(Array.isArray(claims.user_permissions), `${user}: user_permissions is an array`);
      for (const p of claims.user_permissions as unknown[]) assert.deepEqual(typeof p, "string");
    }

    // A token whose permissions are an object (keys present, even "true") and which claims to
    // be admin grants nothing beyond the employee's own rows: RLS reads the tables.
    const forged = {
      user_role: "admin",
      user_permissions: { "contacts.read": true, "schedules.read_all": true, "users.manage": true },
    };
    const seen = await asUser(sql, "employee", async (tx) => {
      const c = await tx`select id from public.contacts`;
      const s = await tx`select distinct employee_id from public.store_schedules`;
      const p = await tx`select user_id from public.user_profiles`;
      return { c: c.map((r) => r.id), s: s.map((r) => r.employee_id), p: p.map((r) => r.user_id) };
    }, forged);
    assert.deepEqual(seen, {
      c: [EMPLOYEES.employee],
      s: [EMPLOYEES.employee],
      p: [USERS.employee],
    });
  });
});

dbTest("retention cleanup runs and deletes exactly what has expired", async () => {
  await withFreshDb(async (sql) => {
    await sql`
      insert into public.messages (sender_id, recipient_employee_id, body, created_at) values
        (${USERS.manager}, ${EMPLOYEES.employee}, 'old', now() - interval '91 days'),
        (${USERS.manager}, ${EMPLOYEES.employee}, 'recent', now() - interval '89 days')`;
    await sql`
      insert into public.store_schedules (store_id, employee_id, starts_at, ends_at) values
        (${STORES.central}, ${EMPLOYEES.employee},
         now() - interval '500 days', now() - interval '500 days' + interval '8 hours')`;
    await sql`
      insert into private.audit_log
        (occurred_at, table_name, operation, row_key, changed_columns, changes)
      values (now() - interval '400 days', 'public.contacts', 'UPDATE', '{}', '{}', '{}')`;
    await sql`
      insert into private.auth_events
        (event_id, occurred_at, request_id, function_name, outcome, reason, check_name, ip)
      values
        (gen_random_uuid(), now() - interval '366 days', 'r1', 'f', 'failed_auth', 'expired',
         'authenticate', 'unknown'),
        (gen_random_uuid(), now() - interval '364 days', 'r2', 'f', 'granted', 'ok',
         'authenticate', 'unknown')`;
    const [before] = await sql`select count(*)::int as n from private.audit_log`;

    const result = await asRole(
      sql,
      "service_role",
      { role: "service_role" },
      (tx) => tx`select target, deleted::int from private.cleanup_expired_data() order by target`,
    );
    // Deleting the old schedule adds one audit row (the trigger), so audit_log nets to zero.
    assert.deepEqual(result.map((r) => [r.target, r.deleted]), [
      ["private.audit_log", 1],
      ["private.auth_events", 1],
      ["public.messages", 1],
      ["public.store_schedules", 1],
    ]);
    const bodies = await sql`select body from public.messages order by body`;
    assert.deepEqual(bodies.map((r) => r.body), ["recent"]);
    const [sched] = await sql`select count(*)::int as n from public.store_schedules`;
    assert.deepEqual(sched.n, 35);
    const [after] = await sql`select count(*)::int as n from private.audit_log`;
    assert.deepEqual(after.n, before.n - 1 + 1);
    const [old] = await sql`select count(*)::int as n from private.audit_log
                            where occurred_at < now() - interval '365 days'`;
    assert.deepEqual(old.n, 0);
  });
});

dbTest("every SECURITY DEFINER function has search_path fixed to ''", async () => {
  await withFreshDb(async (sql) => {
    const rows = await sql`
      select n.nspname || '.' || p.proname as fn, p.proconfig
      from pg_proc p join pg_namespace n on n.oid = p.pronamespace
      where p.prosecdef and n.nspname in ('public', 'private')`;
    // app_role_of, is_active_user, current_app_role, current_employee_id, has_permission,
    // is_privileged, audit_row_change, cleanup_expired_data, anonymise_employee.
    assert(rows.length >= 9, `found ${rows.length} SECURITY DEFINER functions`);
    for (const r of rows) {
      assert(
        Array.isArray(r.proconfig) && r.proconfig.includes('search_path=""'),
        `${r.fn}: proconfig ${JSON.stringify(r.proconfig)}`,
      );
    }
    // None of them lives in the exposed schema.
    assert.deepEqual(rows.filter((r) => String(r.fn).startsWith("public.")), []);
    // The hook (security invoker) fixes it too.
    const [hook] = await sql`select proconfig from pg_proc
                             where oid = 'public.custom_access_token_hook(jsonb)'::regprocedure`;
    assert(hook.proconfig.includes('search_path=""'));
  });
});

dbTest(
  "audit log, retention rules and admin functions are out of anon/authenticated reach",
  async () => {
    await withFreshDb(async (sql) => {
      const attempts = [
        "select * from private.audit_log",
        "insert into private.audit_log (table_name, operation, row_key, changed_columns, changes) " +
        "values ('x', 'INSERT', '{}', '{}', '{}')",
        "select * from private.retention_policies",
        "update private.retention_policies set keep_for = interval '100 years'",
        "select * from private.cleanup_expired_data()",
        `select private.anonymise_employee('${EMPLOYEES.pharmacist}')`,
        `select private.app_role_of('${USERS.admin}')`,
        "select public.custom_access_token_hook('{}'::jsonb)",
      ];
      for (const role of ["anon", "authenticated"] as const) {
        for (const stmt of attempts) {
          await assertSqlState(
            asRole(
              sql,
              role,
              baseClaims(role === "anon" ? USERS.admin : "admin"),
              (tx) => tx.unsafe(stmt),
            ),
            "42501",
          );
        }
      }
      // anon reads no table at all.
      for (const table of ["contacts", "store_schedules", "user_profiles", "messages", "stores"]) {
        await assertSqlState(
          asRole(sql, "anon", { role: "anon" }, (tx) => tx.unsafe(`select * from public.${table}`)),
          "42501",
        );
      }
      const [privs] = await sql`
      select
        has_function_privilege('anon', 'private.cleanup_expired_data()', 'execute') as a1,
        has_function_privilege('authenticated', 'private.cleanup_expired_data()', 'execute') as a2,
        has_function_privilege('authenticated', 'private.anonymise_employee(uuid)', 'execute') as a3,
        has_function_privilege('service_role', 'private.cleanup_expired_data()', 'execute') as s1,
        has_function_privilege('service_role', 'private.anonymise_employee(uuid)', 'execute') as s2`;
      assert.deepEqual(privs, { a1: false, a2: false, a3: false, s1: true, s2: true });
      // The whole class: in `private`, the API roles execute exactly the RLS helpers, anon nothing.
      const fns = await sql`
      select p.oid::regprocedure::text as fn,
             has_function_privilege('anon', p.oid, 'execute') as anon,
             has_function_privilege('authenticated', p.oid, 'execute') as auth
      from pg_proc p join pg_namespace n on n.oid = p.pronamespace
      where n.nspname = 'private' order by 1`;
      assert.deepEqual(fns.filter((f) => f.anon).map((f) => f.fn), []);
      assert.deepEqual(fns.filter((f) => f.auth).map((f) => f.fn), [
        "private.current_app_role()",
        "private.current_employee_id()",
        "private.has_permission(text)",
        "private.is_active_user()",
        "private.is_privileged()",
      ]);
      // Functions added by later migrations (in any schema) are executable by no API role
      // until granted: PUBLIC's built-in EXECUTE is revoked globally, not per schema.
      for (const schema of ["private", "public"]) {
        await sql.unsafe(
          `create function ${schema}.later_job() returns int language sql security definer
           set search_path = '' as 'select 1'`,
        );
        const [f] = await sql.unsafe(`select
          has_function_privilege('anon', '${schema}.later_job()', 'execute') as anon,
          has_function_privilege('authenticated', '${schema}.later_job()', 'execute') as auth`);
        assert.deepEqual(f, { anon: false, auth: false }, schema);
      }
      // Tables added by later migrations are not exposed until granted.
      await sql.unsafe("create table public.later_table (id int primary key)");
      const [later] = await sql`
      select
        has_table_privilege('anon', 'public.later_table', 'select') as anon_t,
        has_table_privilege('authenticated', 'public.later_table', 'select') as auth_t`;
      assert.deepEqual(later, { anon_t: false, auth_t: false });
    });
  },
);

dbTest(
  "audit trigger: tables without `id`, changed column names, personal data redacted",
  async () => {
    await withFreshDb(async (sql) => {
      await sql`delete from private.audit_log`;
      // user_profiles is keyed by user_id, user_roles by (user_id, role): no `id` column.
      await asUser(
        sql,
        "admin",
        (tx) =>
          tx`update public.user_profiles set is_active = false, display_name = 'Alex K.'
            where user_id = ${USERS.employeeSameName}`,
        { aal: "aal2" },
      );
      await asUser(
        sql,
        "admin",
        (tx) =>
          tx`insert into public.user_roles (user_id, role) values (${USERS.employee}, 'pharmacist')`,
        { aal: "aal2" },
      );
      await asUser(
        sql,
        "employee",
        (tx) =>
          tx`update public.contacts set phone = '+15550177777', email = 'new@mail.test'
            where id = ${EMPLOYEES.employee}`,
      );
      // A brand-new table with a text key and a personal column named by trigger argument.
      await sql.unsafe(`
      create table public.badge_codes (code text primary key, holder_name text, colour text);
      create trigger audit_badge_codes after insert or update or delete on public.badge_codes
        for each row execute function private.audit_row_change('holder_name');
      insert into public.badge_codes values ('B-7', 'Alex Kim', 'red');
      update public.badge_codes set colour = 'blue' where code = 'B-7';
      update public.badge_codes set colour = 'blue' where code = 'B-7';
      delete from public.badge_codes where code = 'B-7';`);

      const log = await sql`
      select table_name, operation, row_key, changed_columns, changes, actor_user_id
      from private.audit_log order by id`;
      assert.deepEqual(
        log.map((r) => [r.table_name, r.operation]),
        [
          ["public.user_profiles", "UPDATE"],
          ["public.user_roles", "INSERT"],
          ["public.contacts", "UPDATE"],
          ["public.badge_codes", "INSERT"],
          ["public.badge_codes", "UPDATE"], // the second, no-op update is not logged
          ["public.badge_codes", "DELETE"],
        ],
      );
      const [profile, role, contact, bInsert, bUpdate] = log;
      assert.deepEqual(profile.row_key, { user_id: USERS.employeeSameName });
      assert.deepEqual(profile.changed_columns, ["display_name", "is_active"]);
      assert.deepEqual(profile.changes, {
        display_name: "[redacted]",
        is_active: { old: true, new: false },
      });
      assert.deepEqual(profile.actor_user_id, USERS.admin);
      assert.deepEqual(role.row_key, { user_id: USERS.employee, role: "pharmacist" });
      assert.deepEqual(contact.row_key, { id: EMPLOYEES.employee });
      assert.deepEqual(contact.changed_columns, ["email", "phone"]);
      assert.deepEqual(contact.changes, { email: "[redacted]", phone: "[redacted]" });
      assert.deepEqual(bInsert.row_key, { code: "B-7" });
      assert.deepEqual(bInsert.changes.holder_name, "[redacted]");
      assert.deepEqual(bUpdate.changes, { colour: { old: "red", new: "blue" } });

      // No personal value appears anywhere in the log.
      const [dump] =
        await sql`select string_agg(to_jsonb(a)::text, ' ') as t from private.audit_log a`;
      for (const secret of ["+15550177777", "new@mail.test", "Alex K", "Alex Kim"]) {
        assert(!String(dump.t).includes(secret), `audit log leaks ${secret}`);
      }
    });
  },
);

dbTest("is_active is enforced in the database, whatever the token says", async () => {
  await withFreshDb(async (sql) => {
    const claims = { user_role: "employee", user_permissions: ["schedules.read"] };
    const seen = await asUser(sql, "inactive", async (tx) => {
      const out: number[] = [];
      for (
        const table of ["store_schedules", "contacts", "user_profiles", "user_roles", "stores"]
      ) {
        const [r] = await tx.unsafe(`select count(*)::int as n from public.${table}`);
        out.push(r.n);
      }
      return out;
    }, claims);
    assert.deepEqual(seen, [0, 0, 0, 0, 0]);
    // Own contact details cannot be changed either.
    const upd = await asUser(
      sql,
      "inactive",
      (tx) =>
        tx`update public.contacts set phone = '+15550166666' where id = ${EMPLOYEES.inactive}`,
    );
    assert.deepEqual(upd.count, 0);
    // And the hook refuses to issue a token.
    const out = await callHook(sql, USERS.inactive, baseClaims("inactive"));
    assert.deepEqual(Object.keys(out), ["error"]);
    assert.deepEqual((out.error as Record<string, unknown>).http_code, 403);

    // Deactivating an active user takes effect at once, without a new token.
    const before = await asUser(sql, "employee", (tx) => tx`select id from public.store_schedules`);
    assert.deepEqual(before.length, 7);
    await sql`update public.user_profiles set is_active = false where user_id = ${USERS.employee}`;
    const after = await asUser(sql, "employee", (tx) => tx`select id from public.store_schedules`);
    assert.deepEqual(after.length, 0);
  });
});

dbTest(
  "policies: all `to authenticated` (or the auth server), auth.uid() wrapped in select",
  async () => {
    await withFreshDb(async (sql) => {
      const policies = await sql`
      select schemaname, tablename, policyname, roles::text[] as roles, qual, with_check
      from pg_policies where schemaname in ('public', 'private')`;
      assert(policies.length > 40, `found ${policies.length} policies`);
      for (const p of policies) {
        const where = `${p.tablename}: ${p.policyname}`;
        assert(
          (p.roles.length === 1 && p.roles[0] === "authenticated") ||
            (p.roles.length === 1 && p.roles[0] === "supabase_auth_admin"),
          `${where}: roles ${p.roles}`,
        );
        for (const expr of [p.qual, p.with_check]) {
          if (expr === null) continue;
          // Every function call is an initPlan `( SELECT f() ...)`, evaluated once per statement.
          const calls = [...String(expr).matchAll(/(\w+)\.(\w+)\(/g)];
          for (const call of calls) {
            const before = String(expr).slice(0, call.index);
            assert(/SELECT[\s(]+$/.test(before), `${where}: unwrapped call ${call[0]} in ${expr}`);
          }
          // No policy reads a table (the recursion defect): only helper calls.
          assert(!/\bFROM\b/i.test(String(expr)), `${where}: policy queries a table: ${expr}`);
        }
      }
      // The views for failed logins / suspicious reads that nothing fed are gone.
      const [views] = await sql`select count(*)::int as n from pg_views
                              where schemaname in ('public', 'private')`;
      assert.deepEqual(views.n, 0);
    });
  },
);

dbTest(
  "aal2: managers and admins write only with a second factor (restrictive policy)",
  async () => {
    await withFreshDb(async (sql) => {
      const restrictive = await sql`
      select tablename, cmd from pg_policies
      where schemaname = 'public' and permissive = 'RESTRICTIVE'
        and (qual like '%aal%' or with_check like '%aal%')`;
      assert.deepEqual(restrictive.length, 18); // 6 tables x insert / update / delete

      const shift = {
        store_id: STORES.central,
        employee_id: EMPLOYEES.employee,
        starts_at: "2030-01-07T08:00:00Z",
        ends_at: "2030-01-07T16:00:00Z",
      };
      const insert = (user: SeedUser, aal: string) =>
        asUser(
          sql,
          user,
          (tx) =>
            tx`insert into public.store_schedules ${
              tx(shift, "store_id", "employee_id", "starts_at", "ends_at")
            } returning id`,
          { aal },
        );
      await assertSqlState(insert("manager", "aal1"), "42501");
      await assertSqlState(insert("admin", "aal1"), "42501");
      assert.deepEqual((await insert("manager", "aal2")).length, 1);
      assert.deepEqual((await insert("admin", "aal2")).length, 1);
      // aal2 does not make an employee a scheduler.
      await assertSqlState(insert("employee", "aal2"), "42501");

      // Updates and deletes by a manager at aal1 touch nothing.
      const upd = await asUser(
        sql,
        "manager",
        (tx) => tx`update public.store_schedules set note = 'x'`,
        { aal: "aal1" },
      );
      assert.deepEqual(upd.count, 0);
      const del = await asUser(
        sql,
        "manager",
        (tx) => tx`delete from public.store_schedules`,
        { aal: "aal1" },
      );
      assert.deepEqual(del.count, 0);
      const upd2 = await asUser(
        sql,
        "manager",
        (tx) => tx`update public.store_schedules set note = 'ok' where starts_at >= '2030-01-01'`,
        { aal: "aal2" },
      );
      assert.deepEqual(upd2.count, 2);
      // A missing aal claim counts as no second factor.
      await assertSqlState(insert("manager", ""), "42501");
      // Employees' self-service writes need no second factor.
      const own = await asUser(
        sql,
        "employee",
        (tx) =>
          tx`update public.contacts set address = '2 Side Street' where id = ${EMPLOYEES.employee}`,
      );
      assert.deepEqual(own.count, 1);
    });
  },
);

dbTest("anonymise (service role) removes personal data and blocks the login", async () => {
  await withFreshDb(async (sql) => {
    await sql`insert into public.messages (sender_id, recipient_employee_id, body)
              values (${USERS.manager}, ${EMPLOYEES.pharmacist}, 'Your shift moved'),
                     (${USERS.pharmacist}, ${EMPLOYEES.manager}, 'Chemo on Tuesdays, call me')`;
    await sql`update public.store_schedules set note = 'Pat: chemo Tuesdays, +15550100'
              where employee_id = ${EMPLOYEES.pharmacist}`;
    const [r] = await asRole(
      sql,
      "service_role",
      { role: "service_role" },
      (tx) => tx`select private.anonymise_employee(${EMPLOYEES.pharmacist}) as ok`,
    );
    assert.deepEqual(r.ok, true);
    const [c] = await sql`select first_name, last_name, phone, email, anonymised_at
                          from public.contacts where id = ${EMPLOYEES.pharmacist}`;
    assert.deepEqual([c.first_name, c.last_name, c.phone, c.email], [
      "Anonymised",
      "Employee",
      null,
      null,
    ]);
    assert.notDeepEqual(c.anonymised_at, null);
    // Messages to and from them, and the notes on their shifts, keep no personal text.
    const bodies = await sql`select m.body from public.messages m
                             where m.recipient_employee_id = ${EMPLOYEES.pharmacist}
                                or m.sender_id = ${USERS.pharmacist}`;
    assert.equal(bodies.length, 2);
    assert.deepEqual(bodies.map((m) => m.body), ["[anonymised]", "[anonymised]"]);
    const [notes] = await sql`select count(*)::int as total, count(note)::int as with_note
                              from public.store_schedules
                              where employee_id = ${EMPLOYEES.pharmacist}`;
    assert.ok(notes.total > 0);
    assert.equal(notes.with_note, 0);
    const out = await callHook(sql, USERS.pharmacist, baseClaims("pharmacist"));
    assert.deepEqual((out.error as Record<string, unknown>).http_code, 403);
  });
});

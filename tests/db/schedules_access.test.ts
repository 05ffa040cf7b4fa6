// functions/_shared/db.ts against the real server: listSchedules / createSchedule run as the
// caller (role authenticated + verified claims), so RLS decides. Claims come from the real
// access token hook, as in production.

import assert from "node:assert/strict";
import {
  type CallerContext,
  cleanupExpiredData,
  createPgliteBackend,
  createPostgresBackend,
  createSchedule,
  type DbBackend,
  DbError,
  listSchedules,
  setBackend,
  withCallerTransaction,
} from "../../functions/_shared/db.ts";
import {
  baseClaims,
  callHook,
  dbTest,
  EMPLOYEES,
  type SeedUser,
  type Sql,
  STORES,
  USERS,
  withFreshDb,
} from "./_pg.ts";

async function contextFor(
  sql: Sql,
  user: SeedUser,
  aal = "aal1",
): Promise<CallerContext> {
  const out = await callHook(sql, USERS[user], baseClaims(user, { aal }));
  assert.ok(out.claims, `hook refused ${user}: ${JSON.stringify(out)}`);
  return contextFromClaims(out.claims as Record<string, unknown>);
}

function contextFromClaims(claims: Record<string, unknown>): CallerContext {
  return {
    kind: "user",
    user_id: claims.sub as string,
    postgres_role: claims.role as string,
    expires_at: claims.exp as number,
    claims,
  };
}

async function withDbBackend(fn: (sql: Sql, backend: DbBackend) => Promise<void>): Promise<void> {
  await withFreshDb(async (sql, url) => {
    const backend = createPostgresBackend(url, 1);
    setBackend(backend);
    try {
      await fn(sql, backend);
    } finally {
      setBackend(null);
      await backend.close();
    }
  });
}

async function assertDbError(p: Promise<unknown>, code: string): Promise<DbError> {
  try {
    await p;
  } catch (e) {
    assert.ok(e instanceof DbError, `expected DbError ${code}, got ${e}`);
    assert.equal(e.code, code, e.message);
    return e;
  }
  throw new Error(`expected DbError ${code}, but it succeeded`);
}

const SHIFT = {
  store_id: STORES.harbour,
  employee_id: EMPLOYEES.employeeSameName,
  starts_at: "2030-03-04T07:00:00Z",
  ends_at: "2030-03-04T15:30:00+00:00",
  note: "cover",
};

dbTest("listSchedules: employees see only their own shifts, managers all", async () => {
  await withDbBackend(async (sql) => {
    for (const user of ["employee", "employeeSameName", "pharmacist"] as const) {
      const rows = await listSchedules(await contextFor(sql, user));
      assert.equal(rows.length, 7, user);
      for (const r of rows) assert.equal(r.employee_id, EMPLOYEES[user]);
      assert.match(rows[0].starts_at, /^\d{4}-\d{2}-\d{2}T08:00:00\.000Z$/);
    }
    for (const user of ["manager", "admin"] as const) {
      const rows = await listSchedules(await contextFor(sql, user));
      assert.equal(rows.length, 35, user);
    }
    // Range and limit.
    const some = await listSchedules(await contextFor(sql, "manager"), { limit: 3 });
    assert.equal(some.length, 3);
    const none = await listSchedules(await contextFor(sql, "manager"), {
      from: "2100-01-01T00:00:00Z",
    });
    assert.equal(none.length, 0);
  });
});

dbTest("createSchedule: managers need aal2; employees and pharmacists cannot", async () => {
  await withDbBackend(async (sql) => {
    await assertDbError(
      createSchedule(await contextFor(sql, "manager", "aal1"), SHIFT),
      "forbidden",
    );
    await assertDbError(createSchedule(await contextFor(sql, "admin", "aal1"), SHIFT), "forbidden");
    await assertDbError(
      createSchedule(await contextFor(sql, "employee", "aal2"), SHIFT),
      "forbidden",
    );
    await assertDbError(
      createSchedule(await contextFor(sql, "pharmacist", "aal2"), SHIFT),
      "forbidden",
    );
    const created = await createSchedule(await contextFor(sql, "manager", "aal2"), SHIFT);
    assert.equal(created.employee_id, SHIFT.employee_id);
    assert.equal(created.starts_at, "2030-03-04T07:00:00.000Z");
    assert.equal(created.ends_at, "2030-03-04T15:30:00.000Z");
    assert.equal(created.note, "cover");
    const [row] = await sql`select created_by from public.store_schedules where id = ${created.id}`;
    assert.equal(row.created_by, USERS.manager);
    // The employee it is for sees it; the other "Alex Kim" does not.
    const mine = await listSchedules(await contextFor(sql, "employeeSameName"));
    assert.ok(mine.some((s) => s.id === created.id));
    const theirs = await listSchedules(await contextFor(sql, "employee"));
    assert.ok(!theirs.some((s) => s.id === created.id));
  });
});

dbTest("createSchedule: input is validated before the database", async () => {
  await withDbBackend(async (sql) => {
    const ctx = await contextFor(sql, "manager", "aal2");
    const bad: unknown[] = [
      null,
      [],
      "x",
      { ...SHIFT, extra: 1 },
      { ...SHIFT, store_id: "1; drop table x" },
      { ...SHIFT, starts_at: "2030-03-04 07:00" },
      { ...SHIFT, starts_at: "2030-03-04T07:00:00" }, // no offset
      { ...SHIFT, ends_at: SHIFT.starts_at },
      { ...SHIFT, ends_at: "2030-03-06T07:00:00Z" }, // over 24 hours
      { ...SHIFT, note: 5 },
      { ...SHIFT, note: "x".repeat(501) },
      // Dates that do not exist are refused, not rolled over (2030-02-30 is not March 2).
      ...[
        "2030-02-30T08:00:00Z",
        "2030-04-31T08:00:00Z",
        "2031-02-29T08:00:00Z",
        "2030-13-01T08:00:00Z",
        "2030-00-10T08:00:00Z",
        "2030-03-04T24:00:00Z",
        "2030-03-04T07:60:00Z",
        "2030-03-04T07:00:60Z",
        "2030-03-04T07:00:00+15:00",
        "2030-03-04T07:00:00+01:60",
        "0050-03-04T07:00:00Z",
      ].map((starts_at) => {
        // An end 8 hours after where Date would roll the start over to, so that a rollover
        // would otherwise make a valid shift.
        const rolled = new Date(starts_at).getTime();
        const ends_at = Number.isNaN(rolled)
          ? SHIFT.ends_at
          : new Date(rolled + 8 * 3600_000).toISOString();
        return { ...SHIFT, starts_at, ends_at };
      }),
    ];
    for (const input of bad) await assertDbError(createSchedule(ctx, input), "invalid_input");
    // A well-formed but unknown employee is refused by the foreign key, without details.
    const e = await assertDbError(
      createSchedule(ctx, { ...SHIFT, employee_id: crypto.randomUUID() }),
      "invalid_input",
    );
    assert.equal(e.sqlState, "23503");
    assert.ok(!e.message.includes("employee_id"), e.message);
  });
});

dbTest(
  "withCallerTransaction: only verified user contexts; API keys and mismatches refused",
  async () => {
    await withDbBackend(async (sql) => {
      const good = await contextFor(sql, "employee");
      const variants: CallerContext[] = [
        { ...good, kind: "anon" },
        { ...good, kind: "service_role" },
        { ...good, user_id: null },
        { ...good, user_id: USERS.admin }, // sub says someone else
        { ...good, postgres_role: "service_role" },
        { ...good, claims: { ...good.claims, role: "service_role" } },
        { ...good, claims: { ...good.claims, exp: Math.floor(Date.now() / 1000) - 1 } },
        { ...good, expires_at: Math.floor(Date.now() / 1000) - 1 },
        { ...good, claims: [] as unknown as Record<string, unknown> },
      ];
      for (const ctx of variants) await assertDbError(listSchedules(ctx), "not_a_user");
      // The inactive user's token (minted before deactivation) reads nothing.
      const inactive = contextFromClaims(baseClaims("inactive"));
      assert.deepEqual(await listSchedules(inactive), []);
    });
  },
);

dbTest(
  "withCallerTransaction: role and claims are transaction-local on the pooled connection",
  async () => {
    await withDbBackend(async (sql, backend) => {
      const ctx = await contextFor(sql, "employee");
      const inside = await withCallerTransaction(
        ctx,
        (tx) =>
          tx.query<{ u: string; uid: string; c: string }>(
            "select current_user as u, auth.uid()::text as uid, " +
              "current_setting('request.jwt.claims', true) as c",
          ),
      );
      assert.equal(inside[0].u, "authenticated");
      assert.equal(inside[0].uid, USERS.employee);
      assert.deepEqual(JSON.parse(inside[0].c), ctx.claims);
      // The pool has one connection: the next transaction reuses it and sees nothing left over.
      const after = await backend.transaction((tx) =>
        tx.query<{ u: string; c: string | null; s: string | null }>(
          "select current_user as u, current_setting('request.jwt.claims', true) as c, " +
            "current_setting('request.jwt.claim.sub', true) as s",
        )
      );
      assert.notEqual(after[0].u, "authenticated");
      assert.ok(!after[0].c, `claims leaked: ${after[0].c}`);
      assert.ok(!after[0].s, `sub leaked: ${after[0].s}`);
      // A failing statement rolls the whole request back.
      await assertDbError(
        withCallerTransaction(await contextFor(sql, "employee"), async (tx) => {
          await tx.query("update public.contacts set phone = '+15550155555' where id = $1", [
            EMPLOYEES.employee,
          ]);
          await tx.query("update public.contacts set first_name = 'X' where id = $1", [
            EMPLOYEES.employee,
          ]);
        }),
        "forbidden",
      );
      const [c] = await sql`select phone from public.contacts where id = ${EMPLOYEES.employee}`;
      assert.equal(c.phone, null);
    });
  },
);

dbTest("withServiceRole: the retention job runs as service_role", async () => {
  await withDbBackend(async (sql) => {
    await sql`insert into public.messages (sender_id, recipient_employee_id, body, created_at)
              values (${USERS.manager}, ${EMPLOYEES.employee}, 'old', now() - interval '1 year')`;
    const result = await cleanupExpiredData();
    assert.deepEqual(result.find((r) => r.target === "public.messages"), {
      target: "public.messages",
      deleted: 1,
    });
  });
});

// The embedded backend needs no server: it always runs.
Deno.test({
  name: "PGlite backend: migrations + seed load; RLS and aal2 behave as on PostgreSQL",
  sanitizeResources: false,
  sanitizeOps: false,
  fn: async () => {
    const backend = await createPgliteBackend();
    setBackend(backend);
    try {
      const claims = (user: SeedUser, aal = "aal1") => contextFromClaims(baseClaims(user, { aal }));
      const own = await listSchedules(claims("employee"));
      assert.equal(own.length, 7);
      for (const r of own) assert.equal(r.employee_id, EMPLOYEES.employee);
      assert.equal((await listSchedules(claims("manager"))).length, 35);
      assert.deepEqual(await listSchedules(claims("inactive")), []);
      await assertDbError(createSchedule(claims("manager", "aal1"), SHIFT), "forbidden");
      await assertDbError(createSchedule(claims("employee", "aal2"), SHIFT), "forbidden");
      const created = await createSchedule(claims("manager", "aal2"), SHIFT);
      assert.equal(created.store_id, SHIFT.store_id);
      const mine = await listSchedules(claims("employeeSameName"));
      assert.ok(mine.some((s) => s.id === created.id));
      // The hook works there too.
      const out = await backend.transaction(async (tx) => {
        await tx.query("set local role supabase_auth_admin");
        return await tx.query<{ o: Record<string, unknown> }>(
          "select public.custom_access_token_hook($1::text::jsonb) as o",
          [JSON.stringify({ user_id: USERS.manager, claims: baseClaims("manager") })],
        );
      });
      const hookClaims = out[0].o.claims as Record<string, unknown>;
      assert.equal(hookClaims.user_role, "manager");
      assert.equal(hookClaims.employee_id, EMPLOYEES.manager);
    } finally {
      setBackend(null);
      await backend.close();
    }
  },
});

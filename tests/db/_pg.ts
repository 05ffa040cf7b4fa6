// Helpers for the PostgreSQL tests: a fresh database per test with the Supabase emulation,
// the migrations and the seed applied; Supabase-shaped claims; running as an API role.
//
// TEST_DATABASE_URL points at a server started by `scripts/pg.sh start` (or any server where
// the URL's user may CREATE DATABASE and CREATE ROLE). Without it the tests FAIL when CI is
// set, and are ignored otherwise.

import postgres from "postgres";
import assert from "node:assert/strict";
import { localSchemaFiles } from "../../functions/_shared/db.ts";

export type Sql = postgres.Sql;
export type Tx = postgres.TransactionSql;

export const DATABASE_URL = Deno.env.get("TEST_DATABASE_URL") ?? "";
const IN_CI = (Deno.env.get("CI") ?? "") !== "";

/** Seeded users (supabase/seed.sql). */
export const USERS = {
  admin: "00000000-0000-4000-a000-000000000001",
  manager: "00000000-0000-4000-a000-000000000002",
  pharmacist: "00000000-0000-4000-a000-000000000003",
  employee: "00000000-0000-4000-a000-000000000004",
  employeeSameName: "00000000-0000-4000-a000-000000000005",
  inactive: "00000000-0000-4000-a000-000000000006",
} as const;
export type SeedUser = keyof typeof USERS;

/** Seeded employee ids (public.contacts.id), same numbering as USERS. */
export const EMPLOYEES: Record<SeedUser, string> = {
  admin: "00000000-0000-4000-b000-000000000001",
  manager: "00000000-0000-4000-b000-000000000002",
  pharmacist: "00000000-0000-4000-b000-000000000003",
  employee: "00000000-0000-4000-b000-000000000004",
  employeeSameName: "00000000-0000-4000-b000-000000000005",
  inactive: "00000000-0000-4000-b000-000000000006",
};

export const STORES = {
  central: "00000000-0000-4000-c000-000000000001",
  harbour: "00000000-0000-4000-c000-000000000002",
} as const;

/**
 * Declares a test that needs the PostgreSQL server. Ignored only outside CI when
 * TEST_DATABASE_URL is unset; in CI a missing URL is a failure.
 */
export function dbTest(name: string, fn: () => Promise<void>): void {
  Deno.test({
    name,
    ignore: DATABASE_URL === "" && !IN_CI,
    sanitizeResources: false,
    sanitizeOps: false,
    fn: async () => {
      if (DATABASE_URL === "") {
        throw new Error('TEST_DATABASE_URL is not set: run `eval "$(scripts/pg.sh start)"`');
      }
      await fn();
    },
  });
}

function connect(url: string, max = 3): Sql {
  return postgres(url, { max, prepare: false, onnotice: () => {}, connect_timeout: 10 });
}

function urlWithDatabase(url: string, name: string): string {
  const u = new URL(url);
  u.pathname = "/" + name;
  return u.toString();
}

/** A fresh database with emulation + migrations + seed; dropped after `fn`. */
export async function withFreshDb(
  fn: (sql: Sql, url: string) => Promise<void>,
  options: { seed?: boolean } = {},
): Promise<void> {
  const name = "t_" + crypto.randomUUID().replaceAll("-", "").slice(0, 20);
  const admin = connect(DATABASE_URL, 1);
  await admin.unsafe(`create database ${name}`);
  const url = urlWithDatabase(DATABASE_URL, name);
  const sql = connect(url);
  try {
    const files = await localSchemaFiles();
    for (const file of files) {
      if (options.seed === false && file.pathname.endsWith("/seed.sql")) continue;
      await sql.unsafe(await Deno.readTextFile(file)).simple();
    }
    await fn(sql, url);
  } finally {
    await sql.end({ timeout: 5 });
    await admin.unsafe(`drop database if exists ${name} with (force)`);
    await admin.end({ timeout: 5 });
  }
}

/** Supabase-shaped access token claims for a seeded user (before the hook adds its own). */
export function baseClaims(
  user: SeedUser | string,
  extra: Record<string, unknown> = {},
): Record<string, unknown> {
  const sub = user in USERS ? USERS[user as SeedUser] : user;
  const now = Math.floor(Date.now() / 1000);
  return {
    iss: "http://127.0.0.1:54321/auth/v1",
    aud: "authenticated",
    exp: now + 3600,
    iat: now,
    sub,
    email: `${sub}@example.test`,
    phone: "",
    app_metadata: { provider: "email", providers: ["email"] },
    user_metadata: {},
    role: "authenticated",
    aal: "aal1",
    amr: [{ method: "password", timestamp: now }],
    session_id: crypto.randomUUID(),
    is_anonymous: false,
    ...extra,
  };
}

const API_ROLES = new Set(["anon", "authenticated", "service_role", "supabase_auth_admin"]);

/**
 * Runs `fn` in a transaction as an API role with the given claims, as PostgREST does. The
 * transaction commits when `fn` resolves.
 */
export async function asRole<T>(
  sql: Sql,
  role: "anon" | "authenticated" | "service_role" | "supabase_auth_admin",
  claims: Record<string, unknown> | null,
  fn: (tx: Tx) => Promise<T>,
): Promise<T> {
  assert(API_ROLES.has(role));
  return (await sql.begin(async (tx) => {
    await tx.unsafe(`set local role ${role}`);
    await tx`select set_config('request.jwt.claims', ${JSON.stringify(claims ?? {})}, true)`;
    return await fn(tx);
  })) as T;
}

/** As a seeded user (role authenticated) with aal1 unless given. */
export function asUser<T>(
  sql: Sql,
  user: SeedUser,
  fn: (tx: Tx) => Promise<T>,
  extra: Record<string, unknown> = {},
): Promise<T> {
  return asRole(sql, "authenticated", baseClaims(user, extra), fn);
}

/** Asserts that `p` rejects with the given SQLSTATE (e.g. 42501 insufficient_privilege). */
export async function assertSqlState(p: Promise<unknown>, code: string): Promise<Error> {
  try {
    await p;
  } catch (e) {
    const err = e as { code?: string; message?: string };
    assert.deepEqual(err.code, code, `expected SQLSTATE ${code}, got ${err.code}: ${err.message}`);
    return e as Error;
  }
  throw new Error(`expected SQLSTATE ${code}, but the statement succeeded`);
}

/** Calls the access token hook as supabase_auth_admin, like Supabase Auth. */
export async function callHook(
  sql: Sql,
  userId: string,
  claims: Record<string, unknown>,
): Promise<Record<string, unknown>> {
  return await asRole(sql, "supabase_auth_admin", null, async (tx) => {
    const event = { user_id: userId, claims, authentication_method: "password" };
    // The event goes as text and is cast in SQL, so the driver cannot re-encode it.
    const [row] = await tx.unsafe(
      "select public.custom_access_token_hook($1::text::jsonb) as out",
      [JSON.stringify(event)],
    );
    return row.out as Record<string, unknown>;
  });
}

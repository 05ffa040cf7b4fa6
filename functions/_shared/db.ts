// Data access after authentication. Every request's queries run in one transaction as the
// caller, the way Supabase's REST layer runs them: `set local role authenticated` plus the
// verified JWT claims in `request.jwt.claims`, so row level security in the database stays
// the source of truth. The service role is used only by explicit admin jobs.
//
// Backends (one small interface, `DbBackend`):
//   SUPABASE_DB_URL set  -> a pooled connection to that server (npm:postgres)
//   otherwise            -> an embedded PGlite database loaded with the Supabase emulation,
//                           the migrations and supabase/seed.sql (local development only)

import postgres from "postgres";

/** A connection inside a transaction. Parameters are always bound, never interpolated. */
export interface Queryable {
  query<T = Record<string, unknown>>(text: string, params?: readonly unknown[]): Promise<T[]>;
}

/** The one interface a database backend implements. */
export interface DbBackend {
  readonly kind: "postgres" | "pglite";
  /** Runs `fn` in a transaction; commits when it resolves, rolls back when it throws. */
  transaction<T>(fn: (tx: Queryable) => Promise<T>): Promise<T>;
  close(): Promise<void>;
}

/** The fields of the verified security context (from `validateRequest`) used here. */
export interface CallerContext {
  kind: "user" | "anon" | "service_role";
  user_id: string | null;
  postgres_role: string | null;
  expires_at: number;
  claims: Record<string, unknown>;
}

export type DbErrorCode =
  | "not_a_user"
  | "invalid_input"
  | "forbidden"
  | "not_found"
  | "conflict"
  | "unavailable"
  | "database_error";

const STATUS: Record<DbErrorCode, number> = {
  not_a_user: 403,
  invalid_input: 400,
  forbidden: 403,
  not_found: 404,
  conflict: 409,
  unavailable: 503,
  database_error: 500,
};

/**
 * A data-access failure with a stable code and HTTP status. The message is generic and safe
 * to return to clients: database messages (which can quote row values) are never copied in;
 * only the SQLSTATE is kept, in `sqlState`.
 */
export class DbError extends Error {
  readonly code: DbErrorCode;
  readonly status: number;
  readonly sqlState: string | undefined;
  constructor(code: DbErrorCode, message: string, sqlState?: string) {
    super(message);
    this.name = "DbError";
    this.code = code;
    this.status = STATUS[code];
    this.sqlState = sqlState;
  }
}

const UUID_RE = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;
const MAX_CLAIMS_BYTES = 16 * 1024;
const STATEMENT_TIMEOUT_MS = "5000";

// ---------------------------------------------------------------------------------------
// Backends
// ---------------------------------------------------------------------------------------

/** A pooled connection to a PostgreSQL server (Supabase's SUPABASE_DB_URL, or a test DB). */
export function createPostgresBackend(url: string, maxConnections = 5): DbBackend {
  const sql = postgres(url, {
    max: maxConnections,
    // Supabase's transaction pooler does not support prepared statements.
    prepare: false,
    idle_timeout: 20,
    connect_timeout: 10,
    onnotice: () => {},
  });
  return {
    kind: "postgres",
    async transaction<T>(fn: (tx: Queryable) => Promise<T>): Promise<T> {
      const result = await sql.begin((tx) =>
        fn({
          query: async <R>(text: string, params: readonly unknown[] = []) =>
            // deno-lint-ignore no-explicit-any
            (await tx.unsafe(text, params as any[])) as unknown as R[],
        })
      );
      return result as T;
    },
    close: () => sql.end({ timeout: 5 }),
  };
}

/** The SQL files the embedded database loads, in order. */
export async function localSchemaFiles(): Promise<URL[]> {
  const root = new URL("../../", import.meta.url);
  const migrationsDir = new URL("supabase/migrations/", root);
  const migrations: string[] = [];
  for await (const entry of Deno.readDir(migrationsDir)) {
    if (entry.isFile && entry.name.endsWith(".sql")) migrations.push(entry.name);
  }
  migrations.sort();
  return [
    new URL("tests/db/supabase_auth_emulation.sql", root),
    ...migrations.map((name) => new URL(name, migrationsDir)),
    new URL("supabase/seed.sql", root),
  ];
}

/** An in-memory PGlite (PostgreSQL in WASM) with the emulation, migrations and seed. */
export async function createPgliteBackend(): Promise<DbBackend> {
  const { PGlite } = await import("@electric-sql/pglite");
  const db = new PGlite();
  for (const file of await localSchemaFiles()) {
    await db.exec(await Deno.readTextFile(file));
  }
  return {
    kind: "pglite",
    transaction<T>(fn: (tx: Queryable) => Promise<T>): Promise<T> {
      return db.transaction((tx) =>
        fn({
          query: async <R>(text: string, params: readonly unknown[] = []) =>
            (await tx.query<R>(text, params as unknown[])).rows,
        })
      );
    },
    close: () => db.close(),
  };
}

let backend: Promise<DbBackend> | null = null;

/** The process-wide backend, chosen on first use from SUPABASE_DB_URL. */
export function getBackend(): Promise<DbBackend> {
  if (!backend) {
    const url = Deno.env.get("SUPABASE_DB_URL");
    backend = url ? Promise.resolve(createPostgresBackend(url)) : createPgliteBackend();
    // A failed start is not cached: the next request tries again.
    backend.catch(() => {
      backend = null;
    });
  }
  return backend;
}

/** Replaces the process-wide backend (tests, or a host that builds its own). */
export function setBackend(next: DbBackend | null): void {
  backend = next ? Promise.resolve(next) : null;
}

// ---------------------------------------------------------------------------------------
// Transactions as the caller / as the service role
// ---------------------------------------------------------------------------------------

function callerClaimsJson(ctx: CallerContext): { json: string; sub: string } {
  if (ctx.kind !== "user") {
    throw new DbError("not_a_user", "A signed-in user is required");
  }
  const claims = ctx.claims;
  if (typeof claims !== "object" || claims === null || Array.isArray(claims)) {
    throw new DbError("not_a_user", "A signed-in user is required");
  }
  const sub = ctx.user_id;
  if (typeof sub !== "string" || !UUID_RE.test(sub) || claims.sub !== sub) {
    throw new DbError("not_a_user", "A signed-in user is required");
  }
  if (claims.role !== "authenticated" || ctx.postgres_role !== "authenticated") {
    throw new DbError("not_a_user", "A signed-in user is required");
  }
  const now = Date.now() / 1000;
  if (
    typeof claims.exp !== "number" || claims.exp <= now ||
    !(ctx.expires_at > now)
  ) {
    throw new DbError("not_a_user", "A signed-in user is required");
  }
  const json = JSON.stringify(claims);
  if (new TextEncoder().encode(json).length > MAX_CLAIMS_BYTES) {
    throw new DbError("not_a_user", "A signed-in user is required");
  }
  return { json, sub };
}

/**
 * Runs `fn` in one transaction as the verified caller: role `authenticated` and the verified
 * claims in `request.jwt.claims` (plus `request.jwt.claim.sub` / `.role`, which auth.uid()
 * and auth.role() read first), all transaction-local, so nothing leaks to the next user of
 * the pooled connection. Only `kind: "user"` contexts are accepted; API keys are refused.
 */
export async function withCallerTransaction<T>(
  ctx: CallerContext,
  fn: (tx: Queryable) => Promise<T>,
): Promise<T> {
  const { json, sub } = callerClaimsJson(ctx);
  const db = await getDb();
  try {
    return await db.transaction(async (tx) => {
      await tx.query("set local role authenticated");
      await tx.query(
        `select set_config('request.jwt.claims', $1, true),
                set_config('request.jwt.claim.sub', $2, true),
                set_config('request.jwt.claim.role', 'authenticated', true),
                set_config('statement_timeout', $3, true)`,
        [json, sub, STATEMENT_TIMEOUT_MS],
      );
      return await fn(tx);
    });
  } catch (e) {
    throw toDbError(e);
  }
}

const JOB_RE = /^[a-z][a-z0-9_.-]{0,63}$/;

/**
 * Runs `fn` in one transaction as `service_role` (bypasses RLS). Only for explicit admin jobs
 * that are themselves authorised (e.g. a cron-triggered retention run); never for serving a
 * user's request. `job` names the job for the server's logs (application_name).
 */
export async function withServiceRole<T>(
  job: string,
  fn: (tx: Queryable) => Promise<T>,
): Promise<T> {
  if (!JOB_RE.test(job)) throw new DbError("invalid_input", "Invalid job name");
  const db = await getDb();
  try {
    return await db.transaction(async (tx) => {
      await tx.query("set local role service_role");
      await tx.query(
        `select set_config('request.jwt.claims', '{"role":"service_role"}', true),
                set_config('request.jwt.claim.sub', '', true),
                set_config('request.jwt.claim.role', 'service_role', true),
                set_config('application_name', $1, true)`,
        ["job:" + job],
      );
      return await fn(tx);
    });
  } catch (e) {
    throw toDbError(e);
  }
}

async function getDb(): Promise<DbBackend> {
  try {
    return await getBackend();
  } catch {
    throw new DbError("unavailable", "The database is unavailable");
  }
}

/** Maps any driver error to a DbError without copying the database's message. */
export function toDbError(e: unknown): DbError {
  if (e instanceof DbError) return e;
  const code = (e as { code?: unknown } | null)?.code;
  if (typeof code !== "string" || !/^[0-9A-Z]{5}$/.test(code)) {
    return new DbError("unavailable", "The database is unavailable");
  }
  if (code === "42501") return new DbError("forbidden", "Not allowed", code);
  if (code === "23505") return new DbError("conflict", "Already exists", code);
  if (code === "23503") {
    return new DbError("invalid_input", "A referenced row does not exist", code);
  }
  if (code.startsWith("22") || code.startsWith("23")) {
    return new DbError("invalid_input", "Invalid data", code);
  }
  if (code === "57014" || code.startsWith("08") || code.startsWith("53")) {
    return new DbError("unavailable", "The database is unavailable", code);
  }
  return new DbError("database_error", "Database error", code);
}

// ---------------------------------------------------------------------------------------
// Schedules (used by functions/schedules)
// ---------------------------------------------------------------------------------------

export interface Schedule {
  id: string;
  store_id: string;
  employee_id: string;
  starts_at: string;
  ends_at: string;
  note: string | null;
}

export interface NewSchedule {
  store_id: string;
  employee_id: string;
  starts_at: string;
  ends_at: string;
  note?: string | null;
}

export interface ListSchedulesOptions {
  /** Only shifts ending after this instant (ISO 8601 with offset). */
  from?: string;
  /** Only shifts starting before this instant (ISO 8601 with offset). */
  to?: string;
  /** At most this many rows (1..500, default 200). */
  limit?: number;
}

const SCHEDULE_COLUMNS = "id, store_id, employee_id, starts_at, ends_at, note";
const ISO_RE =
  /^(\d{4})-(\d{2})-(\d{2})T(\d{2}):(\d{2})(?::(\d{2})(?:\.\d{1,6})?)?(?:Z|[+-](\d{2}):(\d{2}))$/;
const MAX_SHIFT_MS = 24 * 3600 * 1000;

function toIso(v: unknown): string {
  const d = v instanceof Date ? v : new Date(String(v));
  return d.toISOString();
}

function toSchedule(row: Record<string, unknown>): Schedule {
  return {
    id: String(row.id),
    store_id: String(row.store_id),
    employee_id: String(row.employee_id),
    starts_at: toIso(row.starts_at),
    ends_at: toIso(row.ends_at),
    note: row.note === null || row.note === undefined ? null : String(row.note),
  };
}

function parseInstant(v: unknown, field: string): Date {
  const m = typeof v === "string" ? ISO_RE.exec(v) : null;
  const invalid = () =>
    new DbError("invalid_input", `${field} must be an ISO 8601 date-time with offset`);
  if (!m) throw invalid();
  const [year, month, day, hour, minute, second, offH, offM] = m.slice(1).map((x) =>
    Number(x ?? 0)
  );
  // A real calendar day and clock time: Date would roll 2030-02-30 over into March.
  const midnight = new Date(Date.UTC(2000, month - 1, day));
  midnight.setUTCFullYear(year);
  if (
    year < 1900 || midnight.getUTCFullYear() !== year || midnight.getUTCMonth() !== month - 1 ||
    midnight.getUTCDate() !== day || hour > 23 || minute > 59 || second > 59 || offH > 14 ||
    offM > 59
  ) {
    throw invalid();
  }
  const d = new Date(v as string);
  if (Number.isNaN(d.getTime())) throw invalid();
  return d;
}

function parseUuid(v: unknown, field: string): string {
  if (typeof v !== "string" || !UUID_RE.test(v)) {
    throw new DbError("invalid_input", `${field} must be a UUID`);
  }
  return v.toLowerCase();
}

/** Validates an untrusted request body as a new schedule. Unknown fields are refused. */
export function parseNewSchedule(input: unknown): NewSchedule {
  if (typeof input !== "object" || input === null || Array.isArray(input)) {
    throw new DbError("invalid_input", "Body must be a JSON object");
  }
  const allowed = new Set(["store_id", "employee_id", "starts_at", "ends_at", "note"]);
  for (const key of Object.keys(input)) {
    if (!allowed.has(key)) throw new DbError("invalid_input", "Unknown field in body");
  }
  const o = input as Record<string, unknown>;
  const starts = parseInstant(o.starts_at, "starts_at");
  const ends = parseInstant(o.ends_at, "ends_at");
  if (ends.getTime() <= starts.getTime() || ends.getTime() - starts.getTime() > MAX_SHIFT_MS) {
    throw new DbError("invalid_input", "ends_at must be after starts_at, within 24 hours");
  }
  let note: string | null = null;
  if (o.note !== undefined && o.note !== null) {
    if (typeof o.note !== "string" || o.note.length > 500) {
      throw new DbError("invalid_input", "note must be a string of at most 500 characters");
    }
    note = o.note;
  }
  return {
    store_id: parseUuid(o.store_id, "store_id"),
    employee_id: parseUuid(o.employee_id, "employee_id"),
    starts_at: starts.toISOString(),
    ends_at: ends.toISOString(),
    note,
  };
}

/** The schedules the caller may see (RLS decides: own shifts, or all with schedules.read_all). */
export async function listSchedules(
  ctx: CallerContext,
  options: ListSchedulesOptions = {},
): Promise<Schedule[]> {
  const from = options.from === undefined ? null : parseInstant(options.from, "from").toISOString();
  const to = options.to === undefined ? null : parseInstant(options.to, "to").toISOString();
  const limit = options.limit ?? 200;
  if (!Number.isInteger(limit) || limit < 1 || limit > 500) {
    throw new DbError("invalid_input", "limit must be an integer from 1 to 500");
  }
  const rows = await withCallerTransaction(ctx, (tx) =>
    tx.query(
      `select ${SCHEDULE_COLUMNS}
         from public.store_schedules
        where ($1::timestamptz is null or ends_at > $1::timestamptz)
          and ($2::timestamptz is null or starts_at < $2::timestamptz)
        order by starts_at, id
        limit $3`,
      [from, to, limit],
    ));
  return rows.map(toSchedule);
}

/**
 * Creates a schedule as the caller. RLS requires schedules.write, an active profile and,
 * for managers and admins, a second factor (aal2); a refusal is DbError `forbidden`.
 */
export async function createSchedule(ctx: CallerContext, input: unknown): Promise<Schedule> {
  const s = parseNewSchedule(input);
  const rows = await withCallerTransaction(ctx, (tx) =>
    tx.query(
      `insert into public.store_schedules (store_id, employee_id, starts_at, ends_at, note)
       values ($1, $2, $3, $4, $5)
       returning ${SCHEDULE_COLUMNS}`,
      [s.store_id, s.employee_id, s.starts_at, s.ends_at, s.note],
    ));
  if (rows.length !== 1) throw new DbError("database_error", "Database error");
  return toSchedule(rows[0]);
}

/**
 * The edge's profile check (`loadProfile`): is this verified user's account active? Read as
 * service_role because it runs after the JWT verified but before any caller transaction, and
 * it must see the row whatever RLS would show. No row: `null` (the token's claims stand).
 */
export async function loadUserProfile(userId: string): Promise<{ is_active: boolean } | null> {
  if (!UUID_RE.test(userId)) return null;
  const rows = await withServiceRole("profile", (tx) =>
    tx.query<{ is_active: boolean }>(
      "select is_active from public.user_profiles where user_id = $1",
      [userId],
    ));
  if (rows.length === 0) return null;
  return { is_active: rows[0].is_active === true };
}

// ---------------------------------------------------------------------------------------
// Admin jobs (service role)
// ---------------------------------------------------------------------------------------

/** Deletes expired rows per private.retention_policies; returns the count per target. */
export async function cleanupExpiredData(): Promise<{ target: string; deleted: number }[]> {
  const rows = await withServiceRole(
    "retention",
    (tx) =>
      tx.query<{ target: string; deleted: string | number }>(
        "select target, deleted from private.cleanup_expired_data()",
      ),
  );
  return rows.map((r) => ({ target: r.target, deleted: Number(r.deleted) }));
}

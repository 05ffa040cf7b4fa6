// Postgres adapters for the audit trail and the throttle: batch inserts into
// `private.auth_events` and an atomic upsert into `private.auth_throttle` (migration
// 20250601000500). Kept apart from the core facade so that functions which do not use them
// neither resolve nor bundle npm:postgres (it costs every cold start otherwise).
import type postgres from "postgres";
import type { AuditSink } from "../audit.ts";
import { inWindow, type ThrottleEntry, type ThrottleStore } from "../throttle.ts";

/** Batch inserts into `private.auth_events` (migration 20250601000500). Duplicate ids (a retry
 * after an insert whose answer was lost) are ignored. */
export function postgresSink(sql: postgres.Sql): AuditSink {
  return {
    name: "postgres",
    async write(events) {
      await sql.unsafe(INSERT_EVENTS, [JSON.stringify(events)]);
    },
    close: () => sql.end({ timeout: 5 }),
  };
}

/** A Postgres sink on its own small pool, connected on first write. */
export function postgresSinkFromUrl(url: string): AuditSink {
  let sql: postgres.Sql | undefined;
  const connect = async () => {
    const { default: pg } = await import("postgres");
    return (sql ??= pg(url, {
      max: 2,
      prepare: false,
      connect_timeout: 3,
      idle_timeout: 20,
      onnotice: () => {},
    }));
  };
  return {
    name: "postgres",
    async write(events) {
      await (await connect()).unsafe(INSERT_EVENTS, [JSON.stringify(events)]);
    },
    close: async () => {
      await sql?.end({ timeout: 5 });
    },
  };
}

const INSERT_EVENTS = `
insert into private.auth_events (event_id, occurred_at, request_id, function_name, outcome,
  reason, check_name, status, user_id, app_role, ip, user_agent, subject_hash, count)
select x.event_id, x.time, x.request_id, x.function, x.outcome, x.reason, x.check, x.status,
  x.user_id, x.role, x.ip, x.user_agent, x.subject_hash, x.count
from jsonb_to_recordset($1::text::jsonb) as x(event_id uuid, time timestamptz, request_id text,
  function text, outcome text, reason text, "check" text, status smallint, user_id uuid,
  role text, ip text, user_agent text, subject_hash text, count integer)
on conflict (event_id) do nothing`;

function numbers(v: unknown): number[] {
  if (!Array.isArray(v)) return [];
  return v.map(Number).filter(Number.isFinite).sort((a, b) => a - b);
}

const PG_HIT = `
insert into private.auth_throttle as t (key, hits, updated_at)
values ($1, array[$2::float8], now())
on conflict (key) do update set
  hits = (select coalesce(array_agg(h order by h), '{}') from (
    select h from unnest(t.hits || $2::float8) as h
    where h > $2::float8 - $3::float8 order by h desc limit $4::int) s),
  updated_at = now()
returning hits`;

/** `private.auth_throttle`, one atomic upsert per failure (the row lock orders concurrent ones). */
export class PostgresThrottleStore implements ThrottleStore {
  readonly name = "postgres";
  constructor(readonly sql: postgres.Sql) {}

  /** A small pool of its own (`prepare: false` for Supabase's transaction pooler). */
  static async connect(url: string): Promise<PostgresThrottleStore> {
    const { default: pg } = await import("postgres");
    return new PostgresThrottleStore(
      pg(url, { max: 3, prepare: false, connect_timeout: 2, idle_timeout: 20, onnotice: () => {} }),
    );
  }

  async hit(key: string, now: number, window: number, keep: number): Promise<number[]> {
    const rows = await this.sql.unsafe(PG_HIT, [key, now, window, keep]);
    return numbers(rows[0]?.hits);
  }

  async peek(key: string, now: number, window: number): Promise<number[]> {
    const rows = await this.sql.unsafe(
      "select hits from private.auth_throttle where key = $1",
      [key],
    );
    return inWindow(numbers(rows[0]?.hits), now, window);
  }

  async entries(now: number, window: number, limit: number): Promise<ThrottleEntry[]> {
    const rows = await this.sql.unsafe(
      `select key, hits from private.auth_throttle
       where hits[array_upper(hits, 1)] > $1::float8 order by updated_at desc limit $2::int`,
      [now - window, limit],
    );
    return rows.map((r) => ({ key: String(r.key), hits: inWindow(numbers(r.hits), now, window) }))
      .filter((e) => e.hits.length > 0);
  }

  close(): Promise<void> {
    return this.sql.end({ timeout: 5 });
  }
}

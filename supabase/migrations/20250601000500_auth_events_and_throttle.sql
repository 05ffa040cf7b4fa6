-- Edge authentication audit trail and the shared failed-auth throttle (issue 7).
-- Both tables live in schema `private` (never exposed by the API). The edge functions write
-- them through their own database connection (SUPABASE_DB_URL); the security-monitor job
-- reads them as service_role. anon / authenticated get nothing.

-- ---------------------------------------------------------------------------------------
-- One row per decision of validateRequest / requireRole / requirePermission / requireAal /
-- verifyWebhook (lib/audit.ts), plus the monitor's alerts and the edge's loss reports.
-- Never a token, secret, signature, email or phone: the columns have no room for them.
-- ---------------------------------------------------------------------------------------
create table private.auth_events (
  id bigint generated always as identity primary key,
  -- Made by the edge for each event: a retried batch insert cannot store an event twice.
  event_id uuid not null unique,
  occurred_at timestamptz not null,
  request_id text not null check (length(request_id) <= 128),
  function_name text not null check (length(function_name) <= 64),
  outcome text not null check (
    outcome in ('granted', 'failed_auth', 'denied', 'webhook_rejected', 'alert', 'audit_loss')
  ),
  -- The AuthError code, or 'ok'.
  reason text not null check (reason ~ '^[a-z0-9_]{1,64}$'),
  -- authenticate | role | permission | aal | webhook | throttle | monitor | audit
  check_name text not null check (check_name ~ '^[a-z_]{1,32}$'),
  status smallint,
  user_id uuid,
  app_role text check (length(app_role) <= 64),
  -- The client address under the trusted-proxy rules, or 'unknown'.
  ip text not null check (length(ip) <= 64),
  user_agent text check (length(user_agent) <= 256),
  -- A keyed hash of the subject a failing token named (never the value itself).
  subject_hash text check (subject_hash ~ '^[0-9a-f]{32}$'),
  -- Number of events an edge instance could not store (outcome 'audit_loss'), or the failure
  -- count that raised an alert (outcome 'alert').
  count integer check (count >= 0)
);
create index auth_events_occurred_at_idx on private.auth_events (occurred_at);
create index auth_events_failed_ip_idx on private.auth_events (ip, occurred_at)
  where outcome = 'failed_auth';

-- ---------------------------------------------------------------------------------------
-- Failed-auth throttle (lib/throttle.ts, PostgresThrottleStore): per key (`ip:<address>` or
-- `sub:<hash>`), the times of the most recent failures within the window, updated by one
-- atomic upsert per failure.
-- ---------------------------------------------------------------------------------------
create table private.auth_throttle (
  key text primary key check (length(key) <= 200),
  hits double precision[] not null,
  updated_at timestamptz not null default now()
);
create index auth_throttle_updated_at_idx on private.auth_throttle (updated_at);

alter table private.auth_events enable row level security;
alter table private.auth_throttle enable row level security;
revoke all on private.auth_events, private.auth_throttle from public, anon, authenticated;
revoke all on sequence private.auth_events_id_seq from public, anon, authenticated;

-- The monitor job (withServiceRole) reads both tables, records its alerts, and prunes the
-- throttle rows that no longer hold a failure.
grant usage on schema private to service_role;
grant select, insert on private.auth_events to service_role;
grant select, delete on private.auth_throttle to service_role;

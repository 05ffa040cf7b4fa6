-- Pharmacy schema: tables, constraints and the reference data for roles and permissions.
-- Policies, grants, helpers, audit, retention and the access token hook follow in later files.
--
-- Identity model:
--   auth.users (Supabase Auth)  1 ── 0..1  public.user_profiles ── 1  public.contacts
--   public.contacts.id is the EMPLOYEE ID. Schedules and messages point at it by uuid,
--   never by name or phone (two people may share a name; a phone may be empty).

-- Schema for everything the API must not reach (audit log, retention, helpers, admin jobs).
-- Never add it to the API's exposed schemas.
create schema if not exists private;
revoke all on schema private from public;
alter default privileges in schema private revoke execute on functions from public;
-- (No effect on PUBLIC's built-in EXECUTE: see 20250601000700, which revokes it globally.)

-- ---------------------------------------------------------------------------------------
-- Roles and permissions (reference data)
-- ---------------------------------------------------------------------------------------
create table public.roles (
  role text primary key check (role in ('admin', 'manager', 'pharmacist', 'employee')),
  -- 1 is the strongest. A user holding several roles acts with the one of lowest precedence
  -- number, both in the token (custom_access_token_hook) and in RLS (private.app_role_of).
  precedence smallint not null unique check (precedence > 0),
  description text not null
);

create table public.permissions (
  permission text primary key check (permission ~ '^[a-z_]+\.[a-z_]+$'),
  description text not null
);

-- One row per granted (role, permission). Permissions are rows, never a JSON document.
create table public.role_permissions (
  role text not null references public.roles (role) on delete cascade,
  permission text not null references public.permissions (permission) on delete cascade,
  primary key (role, permission)
);

insert into public.roles (role, precedence, description) values
  ('admin', 1, 'Owner or IT: manages users, roles and every store'),
  ('manager', 2, 'Store manager: plans schedules, manages contacts, sends messages'),
  ('pharmacist', 3, 'Pharmacist: reads contacts and own schedule, sends messages'),
  ('employee', 4, 'Employee: reads own schedule, edits own contact details');

insert into public.permissions (permission, description) values
  ('schedules.read', 'Read own schedule'),
  ('schedules.read_all', 'Read the schedules of every employee'),
  ('schedules.write', 'Create, change and delete schedules'),
  ('contacts.read', 'Read every employee contact'),
  ('contacts.write', 'Create, change and delete employee contacts'),
  ('messages.send', 'Send SMS messages to employees'),
  ('audit.read', 'Read the audit log (through an admin job)'),
  ('stores.write', 'Create, change and delete stores'),
  ('users.manage', 'Manage user profiles and role assignments');

insert into public.role_permissions (role, permission) values
  ('employee', 'schedules.read'),
  ('pharmacist', 'schedules.read'),
  ('pharmacist', 'contacts.read'),
  ('pharmacist', 'messages.send'),
  ('manager', 'schedules.read'),
  ('manager', 'schedules.read_all'),
  ('manager', 'schedules.write'),
  ('manager', 'contacts.read'),
  ('manager', 'contacts.write'),
  ('manager', 'messages.send'),
  ('manager', 'audit.read'),
  ('admin', 'schedules.read'),
  ('admin', 'schedules.read_all'),
  ('admin', 'schedules.write'),
  ('admin', 'contacts.read'),
  ('admin', 'contacts.write'),
  ('admin', 'messages.send'),
  ('admin', 'audit.read'),
  ('admin', 'stores.write'),
  ('admin', 'users.manage');

-- ---------------------------------------------------------------------------------------
-- Stores, employees (contacts), users
-- ---------------------------------------------------------------------------------------
create table public.stores (
  id uuid primary key default gen_random_uuid(),
  name text not null check (length(name) between 1 and 200),
  address text check (length(address) <= 500),
  phone text check (phone ~ '^\+[1-9][0-9]{6,14}$'),
  created_at timestamptz not null default now()
);

-- The employee directory. `id` is the employee id used everywhere else.
create table public.contacts (
  id uuid primary key default gen_random_uuid(),
  store_id uuid references public.stores (id) on delete set null,
  first_name text not null check (length(first_name) between 1 and 100),
  last_name text not null check (length(last_name) between 1 and 100),
  -- E.164 or NULL: an empty string is not a phone number (and never identifies anyone).
  phone text check (phone ~ '^\+[1-9][0-9]{6,14}$'),
  email text check (length(email) <= 320 and email ~ '^[^@\s]+@[^@\s]+$'),
  address text check (length(address) <= 500),
  anonymised_at timestamptz,
  created_at timestamptz not null default now()
);
create index contacts_store_id_idx on public.contacts (store_id);

create table public.user_roles (
  user_id uuid not null references auth.users (id) on delete cascade,
  role text not null references public.roles (role),
  created_at timestamptz not null default now(),
  primary key (user_id, role)
);

create table public.user_profiles (
  user_id uuid primary key references auth.users (id) on delete cascade,
  employee_id uuid not null unique references public.contacts (id) on delete restrict,
  display_name text check (length(display_name) <= 200),
  -- Enforced in the database: RLS (private.is_active_user) and the access token hook.
  is_active boolean not null default true,
  created_at timestamptz not null default now()
);

-- ---------------------------------------------------------------------------------------
-- Schedules and messages
-- ---------------------------------------------------------------------------------------
create table public.store_schedules (
  id uuid primary key default gen_random_uuid(),
  store_id uuid not null references public.stores (id) on delete cascade,
  employee_id uuid not null references public.contacts (id) on delete cascade,
  starts_at timestamptz not null,
  ends_at timestamptz not null,
  note text check (length(note) <= 500),
  created_by uuid default auth.uid() references auth.users (id) on delete set null,
  created_at timestamptz not null default now(),
  constraint store_schedules_shift_length check (
    ends_at > starts_at and ends_at - starts_at <= interval '24 hours'
  )
);
create index store_schedules_employee_idx on public.store_schedules (employee_id, starts_at);
create index store_schedules_store_idx on public.store_schedules (store_id, starts_at);
create index store_schedules_ends_at_idx on public.store_schedules (ends_at);

create table public.messages (
  id uuid primary key default gen_random_uuid(),
  sender_id uuid not null default auth.uid() references auth.users (id) on delete cascade,
  recipient_employee_id uuid not null references public.contacts (id) on delete cascade,
  body text not null check (length(body) between 1 and 1600),
  status text not null default 'queued' check (status in ('queued', 'sent', 'failed')),
  created_at timestamptz not null default now()
);
create index messages_created_at_idx on public.messages (created_at);
create index messages_recipient_idx on public.messages (recipient_employee_id);
create index messages_sender_idx on public.messages (sender_id);

-- ---------------------------------------------------------------------------------------
-- Private tables: audit log and retention rules (no grant to anon / authenticated)
-- ---------------------------------------------------------------------------------------
create table private.audit_log (
  id bigint generated always as identity primary key,
  occurred_at timestamptz not null default now(),
  actor_user_id uuid,
  actor_role text,
  table_name text not null,
  operation text not null check (operation in ('INSERT', 'UPDATE', 'DELETE')),
  -- Primary key of the row (any columns, not only `id`); personal key columns are redacted.
  row_key jsonb not null,
  -- Names of the changed columns (all columns for INSERT / DELETE).
  changed_columns text[] not null,
  -- old/new values of the changed NON-personal columns; personal ones hold "[redacted]".
  changes jsonb not null
);
create index audit_log_occurred_at_idx on private.audit_log (occurred_at);

create table private.retention_policies (
  target text primary key
    check (target in ('public.messages', 'public.store_schedules', 'private.audit_log')),
  keep_for interval not null check (keep_for >= interval '1 day')
);

insert into private.retention_policies (target, keep_for) values
  ('public.messages', interval '90 days'),
  ('public.store_schedules', interval '400 days'),
  ('private.audit_log', interval '365 days');

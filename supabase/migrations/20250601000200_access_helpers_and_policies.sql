-- Who may do what: helper functions, table and column grants, row level security.
--
-- Rules followed here:
--   * No policy queries its own table. Lookups of the caller's role, employee id and active
--     flag go through SECURITY DEFINER helpers in schema `private` (not exposed by the API)
--     with `set search_path = ''` and fully qualified names.
--   * auth.uid() / helpers are wrapped as `(select ...)` so they run once per statement.
--   * Every policy names its role (`to authenticated`); `anon` gets no grant at all.
--   * The role and permissions used by RLS are read from the database on each statement,
--     not from the token, so deactivating a user or removing a role takes effect at once.
--   * Writes are granted column by column; identity columns (names, employee ids, sender,
--     creator) are not updatable by API users.

-- ---------------------------------------------------------------------------------------
-- Helpers
-- ---------------------------------------------------------------------------------------

-- The effective application role of a user: the role of strongest precedence, and only for
-- an active profile. NULL when the user has no active profile or no role.
create or replace function private.app_role_of(p_user_id uuid)
returns text
language sql
stable
security definer
set search_path = ''
as $$
  select ur.role
  from public.user_roles ur
  join public.roles r on r.role = ur.role
  join public.user_profiles up on up.user_id = ur.user_id
  where ur.user_id = p_user_id
    and up.is_active
  order by r.precedence
  limit 1
$$;

create or replace function private.is_active_user()
returns boolean
language sql
stable
security definer
set search_path = ''
as $$
  select coalesce(
    (select up.is_active from public.user_profiles up where up.user_id = (select auth.uid())),
    false
  )
$$;

create or replace function private.current_app_role()
returns text
language sql
stable
security definer
set search_path = ''
as $$
  select private.app_role_of((select auth.uid()))
$$;

create or replace function private.current_employee_id()
returns uuid
language sql
stable
security definer
set search_path = ''
as $$
  select up.employee_id
  from public.user_profiles up
  where up.user_id = (select auth.uid())
    and up.is_active
$$;

create or replace function private.has_permission(p_permission text)
returns boolean
language sql
stable
security definer
set search_path = ''
as $$
  select exists (
    select 1
    from public.role_permissions rp
    where rp.role = private.app_role_of((select auth.uid()))
      and rp.permission = p_permission
  )
$$;

-- True when the caller acts as manager or admin: their writes need a second factor (aal2).
create or replace function private.is_privileged()
returns boolean
language sql
stable
security definer
set search_path = ''
as $$
  select coalesce(private.app_role_of((select auth.uid())) in ('admin', 'manager'), false)
$$;

revoke all on function
  private.app_role_of(uuid),
  private.is_active_user(),
  private.current_app_role(),
  private.current_employee_id(),
  private.has_permission(text),
  private.is_privileged()
from public, anon, authenticated;

-- Policies run as the caller, so `authenticated` may call the caller-scoped helpers (they
-- only answer about auth.uid()). app_role_of(any user) stays internal.
grant usage on schema private to authenticated;
grant execute on function
  private.is_active_user(),
  private.current_app_role(),
  private.current_employee_id(),
  private.has_permission(text),
  private.is_privileged()
to authenticated;

-- ---------------------------------------------------------------------------------------
-- Grants. Supabase grants everything in `public` to anon and authenticated by default:
-- take it all back, then grant what the policies below are written for.
-- ---------------------------------------------------------------------------------------
revoke all on all tables in schema public from anon, authenticated;
revoke all on all sequences in schema public from anon, authenticated;
revoke all on all tables in schema private from public, anon, authenticated;
-- Fail closed for what later migrations add: a new table in `public` is reachable by the API
-- roles only once a migration grants it. (New functions still get PostgreSQL's default
-- EXECUTE for PUBLIC: every migration that adds one must revoke it, as the ones here do.)
alter default privileges in schema public revoke all on tables from anon, authenticated;
alter default privileges in schema public revoke all on sequences from anon, authenticated;
alter default privileges in schema public revoke execute on functions from anon, authenticated;

grant select on
  public.roles, public.permissions, public.role_permissions,
  public.stores, public.contacts, public.user_roles, public.user_profiles,
  public.store_schedules, public.messages
to authenticated;

grant insert, delete on public.stores to authenticated;
grant update (name, address, phone) on public.stores to authenticated;

grant insert (store_id, first_name, last_name, phone, email, address) on public.contacts
  to authenticated;
-- Self-service columns only: nobody renames an employee through the API.
grant update (phone, email, address) on public.contacts to authenticated;
grant delete on public.contacts to authenticated;

grant insert (user_id, role), delete on public.user_roles to authenticated;

grant insert (user_id, employee_id, display_name, is_active) on public.user_profiles
  to authenticated;
grant update (display_name, is_active) on public.user_profiles to authenticated;

grant insert (store_id, employee_id, starts_at, ends_at, note) on public.store_schedules
  to authenticated;
grant update (store_id, employee_id, starts_at, ends_at, note) on public.store_schedules
  to authenticated;
grant delete on public.store_schedules to authenticated;

grant insert (recipient_employee_id, body) on public.messages to authenticated;

-- ---------------------------------------------------------------------------------------
-- Row level security
-- ---------------------------------------------------------------------------------------
alter table public.roles enable row level security;
alter table public.permissions enable row level security;
alter table public.role_permissions enable row level security;
alter table public.stores enable row level security;
alter table public.contacts enable row level security;
alter table public.user_roles enable row level security;
alter table public.user_profiles enable row level security;
alter table public.store_schedules enable row level security;
alter table public.messages enable row level security;
alter table private.audit_log enable row level security;
alter table private.retention_policies enable row level security;

-- An inactive (or profile-less) user can neither read nor write anything, whatever their
-- token says: restrictive policies are ANDed with every permissive one.
do $$
declare
  t text;
begin
  foreach t in array array[
    'roles', 'permissions', 'role_permissions', 'stores', 'contacts', 'user_roles',
    'user_profiles', 'store_schedules', 'messages'
  ] loop
    execute format(
      'create policy "active users only" on public.%I as restrictive for all to authenticated '
      'using ((select private.is_active_user())) with check ((select private.is_active_user()))',
      t
    );
  end loop;
end
$$;

-- Managers and admins write only with a second factor (aal2 in the verified JWT).
do $$
declare
  t text;
begin
  foreach t in array array[
    'stores', 'contacts', 'user_roles', 'user_profiles', 'store_schedules', 'messages'
  ] loop
    execute format(
      'create policy "privileged inserts need aal2" on public.%I as restrictive for insert '
      'to authenticated with check ('
      '(select auth.jwt() ->> ''aal'') = ''aal2'' or not (select private.is_privileged()))',
      t
    );
    execute format(
      'create policy "privileged updates need aal2" on public.%I as restrictive for update '
      'to authenticated using ('
      '(select auth.jwt() ->> ''aal'') = ''aal2'' or not (select private.is_privileged())) '
      'with check ((select auth.jwt() ->> ''aal'') = ''aal2'' '
      'or not (select private.is_privileged()))',
      t
    );
    execute format(
      'create policy "privileged deletes need aal2" on public.%I as restrictive for delete '
      'to authenticated using ('
      '(select auth.jwt() ->> ''aal'') = ''aal2'' or not (select private.is_privileged()))',
      t
    );
  end loop;
end
$$;

-- Reference data: readable by active users, written only by migrations / service role.
create policy "read roles" on public.roles for select to authenticated using (true);
create policy "read permissions" on public.permissions for select to authenticated using (true);
create policy "read role permissions" on public.role_permissions for select to authenticated
  using (true);

-- Stores
create policy "read stores" on public.stores for select to authenticated using (true);
create policy "insert stores" on public.stores for insert to authenticated
  with check ((select private.has_permission('stores.write')));
create policy "update stores" on public.stores for update to authenticated
  using ((select private.has_permission('stores.write')))
  with check ((select private.has_permission('stores.write')));
create policy "delete stores" on public.stores for delete to authenticated
  using ((select private.has_permission('stores.write')));

-- Contacts: own row, or everybody's with contacts.read / contacts.write.
create policy "read own or permitted contacts" on public.contacts for select to authenticated
  using (
    id = (select private.current_employee_id())
    or (select private.has_permission('contacts.read'))
  );
create policy "insert contacts" on public.contacts for insert to authenticated
  with check ((select private.has_permission('contacts.write')));
create policy "update own or permitted contacts" on public.contacts for update to authenticated
  using (
    id = (select private.current_employee_id())
    or (select private.has_permission('contacts.write'))
  )
  with check (
    id = (select private.current_employee_id())
    or (select private.has_permission('contacts.write'))
  );
create policy "delete contacts" on public.contacts for delete to authenticated
  using ((select private.has_permission('contacts.write')));

-- User roles and profiles: own rows, or all with users.manage (no self-referencing policy).
create policy "read own or managed roles" on public.user_roles for select to authenticated
  using (
    user_id = (select auth.uid())
    or (select private.has_permission('users.manage'))
  );
create policy "assign roles" on public.user_roles for insert to authenticated
  with check ((select private.has_permission('users.manage')));
create policy "remove roles" on public.user_roles for delete to authenticated
  using ((select private.has_permission('users.manage')));

create policy "read own or managed profiles" on public.user_profiles for select
  to authenticated
  using (
    user_id = (select auth.uid())
    or (select private.has_permission('users.manage'))
  );
create policy "create profiles" on public.user_profiles for insert to authenticated
  with check ((select private.has_permission('users.manage')));
create policy "update profiles" on public.user_profiles for update to authenticated
  using ((select private.has_permission('users.manage')))
  with check ((select private.has_permission('users.manage')));

-- Schedules: matched by employee id only.
create policy "read own or all schedules" on public.store_schedules for select
  to authenticated
  using (
    (select private.has_permission('schedules.read_all'))
    or (
      employee_id = (select private.current_employee_id())
      and (select private.has_permission('schedules.read'))
    )
  );
create policy "insert schedules" on public.store_schedules for insert to authenticated
  with check ((select private.has_permission('schedules.write')));
create policy "update schedules" on public.store_schedules for update to authenticated
  using ((select private.has_permission('schedules.write')))
  with check ((select private.has_permission('schedules.write')));
create policy "delete schedules" on public.store_schedules for delete to authenticated
  using ((select private.has_permission('schedules.write')));

-- Messages: sender or recipient reads; sending needs messages.send and one's own sender id.
create policy "read own messages" on public.messages for select to authenticated
  using (
    sender_id = (select auth.uid())
    or recipient_employee_id = (select private.current_employee_id())
  );
create policy "send messages" on public.messages for insert to authenticated
  with check (
    sender_id = (select auth.uid())
    and (select private.has_permission('messages.send'))
  );

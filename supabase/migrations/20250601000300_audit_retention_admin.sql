-- Audit trigger, retention and admin jobs. All in schema `private`; the admin jobs are
-- executable by service_role only (explicit admin jobs), never by anon / authenticated.

-- ---------------------------------------------------------------------------------------
-- Audit trigger
-- ---------------------------------------------------------------------------------------
-- Generic AFTER ROW trigger. Logs the row's primary key (whatever its columns: tables keyed
-- by user_id or by a composite key work as well as those with `id`), the NAMES of the
-- changed columns, and old/new values only for non-personal columns. Personal columns are
-- the built-in list below plus any names passed as trigger arguments. A no-op UPDATE is not
-- logged.
create or replace function private.audit_row_change()
returns trigger
language plpgsql
security definer
set search_path = ''
as $$
declare
  personal text[] := array[
    'first_name', 'last_name', 'display_name', 'phone', 'email', 'address', 'body', 'note'
  ] || coalesce(tg_argv::text[], '{}'::text[]);
  old_row jsonb := case when tg_op in ('UPDATE', 'DELETE') then to_jsonb(old) end;
  new_row jsonb := case when tg_op in ('INSERT', 'UPDATE') then to_jsonb(new) end;
  any_row jsonb := coalesce(new_row, old_row);
  key_columns text[];
  changed text[];
  row_key jsonb;
  changes jsonb;
  claims jsonb;
begin
  select array_agg(a.attname::text order by k.ord)
  into key_columns
  from pg_catalog.pg_index i
  cross join lateral unnest(i.indkey::int2[]) with ordinality as k (attnum, ord)
  join pg_catalog.pg_attribute a on a.attrelid = i.indrelid and a.attnum = k.attnum
  where i.indrelid = tg_relid
    and i.indisprimary;

  if tg_op = 'UPDATE' then
    select coalesce(array_agg(n.key order by n.key), '{}'::text[])
    into changed
    from jsonb_each(new_row) as n (key, value)
    where n.value is distinct from old_row -> n.key;
    if cardinality(changed) = 0 then
      return null;
    end if;
  else
    select array_agg(k order by k) into changed from jsonb_object_keys(any_row) as k;
  end if;

  select coalesce(jsonb_object_agg(
    c,
    case when c = any (personal) then '"[redacted]"'::jsonb else any_row -> c end
  ), '{}'::jsonb)
  into row_key
  from unnest(coalesce(key_columns, '{}'::text[])) as c;

  select coalesce(jsonb_object_agg(
    c,
    case
      when c = any (personal) then '"[redacted]"'::jsonb
      else jsonb_build_object('old', old_row -> c, 'new', new_row -> c)
    end
  ), '{}'::jsonb)
  into changes
  from unnest(changed) as c;

  -- Claims are absent for service jobs; a malformed value must not block the write.
  begin
    claims := nullif(current_setting('request.jwt.claims', true), '')::jsonb;
  exception when others then
    claims := null;
  end;

  insert into private.audit_log (
    actor_user_id, actor_role, table_name, operation, row_key, changed_columns, changes
  ) values (
    case when (claims ->> 'sub')
      ~ '^[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}$' then (claims ->> 'sub')::uuid end,
    coalesce(claims ->> 'role', session_user::text),
    tg_table_schema || '.' || tg_table_name,
    tg_op,
    row_key,
    changed,
    changes
  );
  return null;
end
$$;

revoke all on function private.audit_row_change() from public, anon, authenticated;

create trigger audit_stores after insert or update or delete on public.stores
  for each row execute function private.audit_row_change();
create trigger audit_contacts after insert or update or delete on public.contacts
  for each row execute function private.audit_row_change();
create trigger audit_user_roles after insert or update or delete on public.user_roles
  for each row execute function private.audit_row_change();
create trigger audit_user_profiles after insert or update or delete on public.user_profiles
  for each row execute function private.audit_row_change();
create trigger audit_role_permissions after insert or update or delete
  on public.role_permissions
  for each row execute function private.audit_row_change();
create trigger audit_store_schedules after insert or update or delete
  on public.store_schedules
  for each row execute function private.audit_row_change();

-- ---------------------------------------------------------------------------------------
-- Retention
-- ---------------------------------------------------------------------------------------
-- Deletes what private.retention_policies says is expired and reports how many rows per
-- target. An unknown target (impossible under the check constraint) is skipped with a
-- warning instead of aborting the whole run. Schedule it daily, e.g. with pg_cron:
--   select cron.schedule('retention', '17 3 * * *', 'select private.cleanup_expired_data()');
create or replace function private.cleanup_expired_data()
returns table (target text, deleted bigint)
language plpgsql
security definer
set search_path = ''
as $$
declare
  p record;
  n bigint;
begin
  for p in select rp.target, rp.keep_for from private.retention_policies rp order by rp.target
  loop
    n := 0;
    case p.target
      when 'public.messages' then
        delete from public.messages m where m.created_at < now() - p.keep_for;
        get diagnostics n = row_count;
      when 'public.store_schedules' then
        delete from public.store_schedules s where s.ends_at < now() - p.keep_for;
        get diagnostics n = row_count;
      when 'private.audit_log' then
        delete from private.audit_log a where a.occurred_at < now() - p.keep_for;
        get diagnostics n = row_count;
      else
        raise warning 'retention: no rule for target %, skipped', p.target;
    end case;
    target := p.target;
    deleted := n;
    return next;
  end loop;
end
$$;

-- ---------------------------------------------------------------------------------------
-- Anonymisation (right to erasure): keeps the employee id so schedules stay consistent,
-- removes personal data, blanks messages sent to them and deactivates their login.
-- ---------------------------------------------------------------------------------------
create or replace function private.anonymise_employee(p_employee_id uuid)
returns boolean
language plpgsql
security definer
set search_path = ''
as $$
begin
  update public.contacts c
  set first_name = 'Anonymised',
      last_name = 'Employee',
      phone = null,
      email = null,
      address = null,
      anonymised_at = now()
  where c.id = p_employee_id;
  if not found then
    return false;
  end if;
  update public.messages m set body = '[anonymised]' where m.recipient_employee_id = p_employee_id;
  update public.user_profiles up
  set is_active = false, display_name = null
  where up.employee_id = p_employee_id;
  return true;
end
$$;

revoke all on function private.cleanup_expired_data() from public, anon, authenticated;
revoke all on function private.anonymise_employee(uuid) from public, anon, authenticated;

grant usage on schema private to service_role;
grant execute on function private.cleanup_expired_data() to service_role;
grant execute on function private.anonymise_employee(uuid) to service_role;

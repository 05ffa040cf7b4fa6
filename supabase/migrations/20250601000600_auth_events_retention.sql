-- Retention for the edge audit trail (private.auth_events): the same daily job that expires
-- messages, schedules and row audits now expires authentication events too. A year by default,
-- like private.audit_log; change keep_for to match your compliance policy.

alter table private.retention_policies drop constraint retention_policies_target_check;
alter table private.retention_policies add constraint retention_policies_target_check
  check (target in ('public.messages', 'public.store_schedules', 'private.audit_log',
                    'private.auth_events'));

insert into private.retention_policies (target, keep_for) values
  ('private.auth_events', interval '365 days')
on conflict (target) do nothing;

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
      when 'private.auth_events' then
        delete from private.auth_events e where e.occurred_at < now() - p.keep_for;
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

-- create or replace keeps the existing grants; restate them so this file stands on its own.
revoke all on function private.cleanup_expired_data() from public, anon, authenticated;
grant execute on function private.cleanup_expired_data() to service_role;

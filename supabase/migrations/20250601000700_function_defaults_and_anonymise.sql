-- Two fixes found in review.
--
-- 1. New functions start with no EXECUTE for PUBLIC. The statement in 20250601000100
--    (`alter default privileges in schema private revoke execute on functions from public`)
--    has no effect: PUBLIC's EXECUTE is PostgreSQL's built-in global default, which a
--    per-schema entry cannot take away. A SECURITY DEFINER function added to `private` later
--    without a revoke of its own would have been callable by every API role (`authenticated`
--    has USAGE on `private` for the RLS helpers). This global entry covers every function the
--    migration role creates from now on; each role gets what it needs through Supabase's
--    per-schema grants or this project's explicit grants.
alter default privileges revoke execute on functions from public;

-- 2. Anonymising an employee also clears the personal text around them: the notes of their
--    shifts and the messages they sent (messages they received were already cleared).
--    `create or replace` keeps the function's owner and grants (service_role only).
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
  update public.messages m set body = '[anonymised]'
  where m.recipient_employee_id = p_employee_id
     or m.sender_id in (
       select up.user_id from public.user_profiles up where up.employee_id = p_employee_id
     );
  update public.store_schedules s set note = null
  where s.employee_id = p_employee_id and s.note is not null;
  update public.user_profiles up
  set is_active = false, display_name = null
  where up.employee_id = p_employee_id;
  return true;
end
$$;

-- Custom access token hook (Supabase Auth calls it before issuing every access token).
-- Enable it: Dashboard -> Authentication -> Hooks -> Customize Access Token (JWT) Claims ->
-- Postgres function public.custom_access_token_hook, or in supabase/config.toml:
--   [auth.hook.custom_access_token]
--   enabled = true
--   uri = "pg-functions://postgres/public/custom_access_token_hook"
--
-- Adds to the claims Supabase built (all of which are kept: iss, aud, exp, iat, sub, role,
-- aal, amr, session_id, email, phone, is_anonymous, app_metadata, user_metadata, ...):
--   user_role         the user's one role, by precedence admin > manager > pharmacist >
--                     employee (public.roles.precedence); null when the user has none
--   user_permissions  JSON array of permission names of that role ([] when none)
--   employee_id       the user's employee id (public.user_profiles), or null
-- An inactive user gets the hook's error output (HTTP 403) and no token.
-- Runs as supabase_auth_admin (security invoker), which may read only what is granted below.
create or replace function public.custom_access_token_hook(event jsonb)
returns jsonb
language plpgsql
stable
set search_path = ''
as $$
declare
  claims jsonb := event -> 'claims';
  v_user_id uuid;
  v_is_active boolean;
  v_employee_id uuid;
  v_role text;
  v_permissions jsonb;
begin
  if jsonb_typeof(claims) is distinct from 'object'
    or coalesce(event ->> 'user_id', '')
      !~ '^[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}$'
  then
    return jsonb_build_object('error', jsonb_build_object(
      'http_code', 400, 'message', 'Malformed access token hook event'));
  end if;
  v_user_id := (event ->> 'user_id')::uuid;

  select up.is_active, up.employee_id
  into v_is_active, v_employee_id
  from public.user_profiles up
  where up.user_id = v_user_id;

  if v_is_active is false then
    return jsonb_build_object('error', jsonb_build_object(
      'http_code', 403, 'message', 'This account is deactivated.'));
  end if;

  v_role := private.app_role_of(v_user_id);

  select coalesce(jsonb_agg(rp.permission order by rp.permission), '[]'::jsonb)
  into v_permissions
  from public.role_permissions rp
  where rp.role = v_role;

  claims := claims || jsonb_build_object(
    'user_role', v_role,
    'user_permissions', v_permissions,
    'employee_id', v_employee_id
  );
  return jsonb_set(event, '{claims}', claims);
end
$$;

revoke all on function public.custom_access_token_hook(jsonb) from public, anon, authenticated;
grant execute on function public.custom_access_token_hook(jsonb) to supabase_auth_admin;

-- What the hook reads as supabase_auth_admin: nothing more.
grant usage on schema public to supabase_auth_admin;
grant usage on schema private to supabase_auth_admin;
grant execute on function private.app_role_of(uuid) to supabase_auth_admin;
grant select (user_id, employee_id, is_active) on public.user_profiles to supabase_auth_admin;
grant select on public.role_permissions to supabase_auth_admin;

create policy "auth server reads profiles" on public.user_profiles for select
  to supabase_auth_admin using (true);
create policy "auth server reads role permissions" on public.role_permissions for select
  to supabase_auth_admin using (true);

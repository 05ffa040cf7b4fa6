-- A small pharmacy for local development (`supabase db reset` runs this file; the embedded
-- PGlite database of functions/_shared/db.ts loads it too). Fixed UUIDs so tokens for local
-- tests can name the users:
--   users     00000000-0000-4000-a000-00000000000N
--   employees 00000000-0000-4000-b000-00000000000N  (public.contacts.id)
--   stores    00000000-0000-4000-c000-00000000000N
-- N: 1 admin, 2 manager, 3 pharmacist, 4 and 5 employees (both named "Alex Kim", no phone),
--    6 an inactive employee.

insert into auth.users (id, aud, role, email) values
  ('00000000-0000-4000-a000-000000000001', 'authenticated', 'authenticated', 'admin@pharmacy.test'),
  ('00000000-0000-4000-a000-000000000002', 'authenticated', 'authenticated', 'manager@pharmacy.test'),
  ('00000000-0000-4000-a000-000000000003', 'authenticated', 'authenticated', 'pharmacist@pharmacy.test'),
  ('00000000-0000-4000-a000-000000000004', 'authenticated', 'authenticated', 'alex.kim@pharmacy.test'),
  ('00000000-0000-4000-a000-000000000005', 'authenticated', 'authenticated', 'alex.kim2@pharmacy.test'),
  ('00000000-0000-4000-a000-000000000006', 'authenticated', 'authenticated', 'former@pharmacy.test');

insert into public.stores (id, name, address, phone) values
  ('00000000-0000-4000-c000-000000000001', 'Central Pharmacy', '1 Main Street', '+15550100001'),
  ('00000000-0000-4000-c000-000000000002', 'Harbour Pharmacy', '9 Quay Road', '+15550100002');

insert into public.contacts (id, store_id, first_name, last_name, phone, email) values
  ('00000000-0000-4000-b000-000000000001', '00000000-0000-4000-c000-000000000001', 'Ada', 'Admin', '+15550110001', 'admin@pharmacy.test'),
  ('00000000-0000-4000-b000-000000000002', '00000000-0000-4000-c000-000000000001', 'Max', 'Manager', '+15550110002', 'manager@pharmacy.test'),
  ('00000000-0000-4000-b000-000000000003', '00000000-0000-4000-c000-000000000001', 'Paula', 'Pharmacist', '+15550110003', 'pharmacist@pharmacy.test'),
  ('00000000-0000-4000-b000-000000000004', '00000000-0000-4000-c000-000000000001', 'Alex', 'Kim', null, 'alex.kim@pharmacy.test'),
  ('00000000-0000-4000-b000-000000000005', '00000000-0000-4000-c000-000000000002', 'Alex', 'Kim', null, 'alex.kim2@pharmacy.test'),
  ('00000000-0000-4000-b000-000000000006', '00000000-0000-4000-c000-000000000002', 'Ina', 'Former', '+15550110006', 'former@pharmacy.test');

insert into public.user_profiles (user_id, employee_id, display_name, is_active) values
  ('00000000-0000-4000-a000-000000000001', '00000000-0000-4000-b000-000000000001', 'Ada Admin', true),
  ('00000000-0000-4000-a000-000000000002', '00000000-0000-4000-b000-000000000002', 'Max Manager', true),
  ('00000000-0000-4000-a000-000000000003', '00000000-0000-4000-b000-000000000003', 'Paula Pharmacist', true),
  ('00000000-0000-4000-a000-000000000004', '00000000-0000-4000-b000-000000000004', 'Alex Kim', true),
  ('00000000-0000-4000-a000-000000000005', '00000000-0000-4000-b000-000000000005', 'Alex Kim', true),
  ('00000000-0000-4000-a000-000000000006', '00000000-0000-4000-b000-000000000006', 'Ina Former', false);

-- The admin also holds "employee": precedence makes them act as admin.
insert into public.user_roles (user_id, role) values
  ('00000000-0000-4000-a000-000000000001', 'admin'),
  ('00000000-0000-4000-a000-000000000001', 'employee'),
  ('00000000-0000-4000-a000-000000000002', 'manager'),
  ('00000000-0000-4000-a000-000000000003', 'pharmacist'),
  ('00000000-0000-4000-a000-000000000004', 'employee'),
  ('00000000-0000-4000-a000-000000000005', 'employee'),
  ('00000000-0000-4000-a000-000000000006', 'employee');

-- This week (Monday to Sunday, UTC): one 8-hour shift a day for employees 2..6.
insert into public.store_schedules (store_id, employee_id, starts_at, ends_at, note)
select
  c.store_id,
  c.id,
  day + interval '8 hours',
  day + interval '16 hours',
  null
from public.contacts c
cross join generate_series(
  date_trunc('week', now() at time zone 'UTC') at time zone 'UTC',
  date_trunc('week', now() at time zone 'UTC') at time zone 'UTC' + interval '6 days',
  interval '1 day'
) as day
where c.id <> '00000000-0000-4000-b000-000000000001';

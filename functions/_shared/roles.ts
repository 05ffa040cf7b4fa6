// The pharmacy's roles and permissions: the single place the functions name them.
// Mirrors public.roles / public.role_permissions in supabase/migrations.

export const ROLES = ["admin", "manager", "pharmacist", "employee"] as const;
export type Role = typeof ROLES[number];

export const PERMISSIONS = {
  schedulesRead: "schedules.read",
  schedulesReadAll: "schedules.read_all",
  schedulesWrite: "schedules.write",
  contactsRead: "contacts.read",
  contactsWrite: "contacts.write",
  messagesSend: "messages.send",
  auditRead: "audit.read",
  storesWrite: "stores.write",
  usersManage: "users.manage",
} as const;

const P = PERMISSIONS;

/** Permissions per role, used when a token carries no `user_permissions` claim. */
export const ROLE_PERMISSIONS: Record<Role, string[]> = {
  admin: Object.values(P),
  manager: [
    P.schedulesRead,
    P.schedulesReadAll,
    P.schedulesWrite,
    P.contactsRead,
    P.contactsWrite,
    P.messagesSend,
    P.auditRead,
  ],
  pharmacist: [P.schedulesRead, P.contactsRead, P.messagesSend],
  employee: [P.schedulesRead],
};

/** Everyone on staff. */
export const STAFF: Role[] = [...ROLES];
/** Who may change schedules. */
export const SCHEDULERS: Role[] = ["manager", "admin"];

// The auth options every pharmacy function shares: keys and issuer from the Supabase env
// (read by the facade), the role→permission map, and whether writes need MFA (aal2).
import type { AuthOptions } from "../../mod.ts";
import { ROLE_PERMISSIONS } from "./roles.ts";

function flag(name: string): boolean {
  try {
    return ["1", "true", "yes"].includes((Deno.env.get(name) ?? "").toLowerCase());
  } catch {
    return false;
  }
}

export const authOptions: AuthOptions = {
  rolePermissions: ROLE_PERMISSIONS,
};

/** `REQUIRE_AAL2_FOR_WRITES=true` makes schedule writes require a session that passed MFA. */
export const writeAal: string | undefined = flag("REQUIRE_AAL2_FOR_WRITES") ? "aal2" : undefined;

// schedules: staff read schedules; managers and admins with schedules.write create them
// (and, when REQUIRE_AAL2_FOR_WRITES is set, only from a session that passed MFA).
import { withAuth } from "../../mod.ts";
import { authOptions, writeAal } from "../_shared/auth.ts";
import { PERMISSIONS, SCHEDULERS, STAFF } from "../_shared/roles.ts";
import { serveFunction } from "../_shared/serve.ts";

export const handler = withAuth({
  ...authOptions,
  methods: {
    GET: { roles: STAFF },
    POST: { roles: SCHEDULERS, permissions: PERMISSIONS.schedulesWrite, aal: writeAal },
  },
}, (req, ctx) => {
  if (req.method === "GET") {
    return Response.json({ schedules: [], viewer: { user_id: ctx.user_id, role: ctx.role } });
  }
  return Response.json({ created: false, reason: "no database configured" }, { status: 501 });
});

serveFunction(handler);

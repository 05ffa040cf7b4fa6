// schedules: staff read schedules; managers and admins with schedules.write create them
// (and, when REQUIRE_AAL2_FOR_WRITES is set, only from a session that passed MFA; the database
// itself requires aal2 for manager and admin writes). Queries run as the caller, so row level
// security decides what each role sees.
import { withAuth } from "../../mod.ts";
import { authOptions, writeAal } from "../_shared/auth.ts";
import { createSchedule, DbError, listSchedules } from "../_shared/db.ts";
import { PERMISSIONS, SCHEDULERS, STAFF } from "../_shared/roles.ts";
import { serveFunction } from "../_shared/serve.ts";

function dbErrorResponse(e: unknown): Response {
  if (e instanceof DbError) {
    return Response.json({ error: e.code, message: e.message }, { status: e.status });
  }
  throw e;
}

export const handler = withAuth({
  ...authOptions,
  methods: {
    GET: { roles: STAFF },
    POST: { roles: SCHEDULERS, permissions: PERMISSIONS.schedulesWrite, aal: writeAal },
  },
}, async (req, ctx) => {
  try {
    if (req.method === "GET") {
      const url = new URL(req.url);
      const from = url.searchParams.get("from") ?? undefined;
      const to = url.searchParams.get("to") ?? undefined;
      return Response.json({ schedules: await listSchedules(ctx, { from, to }) });
    }
    let body: unknown;
    try {
      body = await req.json();
    } catch {
      return Response.json({ error: "invalid_input", message: "body must be JSON" }, {
        status: 400,
      });
    }
    return Response.json({ schedule: await createSchedule(ctx, body) }, { status: 201 });
  } catch (e) {
    return dbErrorResponse(e);
  }
});

serveFunction(handler);

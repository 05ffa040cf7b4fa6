// whoami: any verified user gets their security context back (without the raw claims).
import { withAuth } from "../../mod.ts";
import { authOptions } from "../_shared/auth.ts";
import { serveFunction } from "../_shared/serve.ts";

export const handler = withAuth(authOptions, (_req, ctx) => {
  const { claims: _claims, ...context } = ctx;
  return Response.json(context);
});

serveFunction(handler);

// How a function starts: on Supabase (or `deno run` of one function) it calls Deno.serve; under
// the local dev server (scripts/serve.ts) it registers with the router instead, so one process
// serves every function at /functions/v1/<name>.

export type Handler = (req: Request) => Response | Promise<Response>;

/** Set by scripts/serve.ts before it imports the functions. */
export interface DevRouter {
  register(handler: Handler): void;
}

declare global {
  var __edgeAuthDevRouter: DevRouter | undefined;
}

export function serveFunction(handler: Handler): void {
  const router = globalThis.__edgeAuthDevRouter;
  if (router) router.register(handler);
  else Deno.serve(handler);
}

// Cold-start probe: import, configure, verify one request, exit.
import { validateRequest } from "../mod.ts";
await validateRequest(
  new Request("http://x/", { headers: { Authorization: `Bearer ${Deno.env.get("BENCH_TOKEN")}` } }),
  { jwks: Deno.env.get("BENCH_JWKS"), jwksUrl: false, issuer: [], audit: false },
);
console.log("ok");

// Cold-start probe for the peer: import jose, verify one token, exit.
import { createLocalJWKSet, jwtVerify } from "jose";
await jwtVerify(
  Deno.env.get("BENCH_TOKEN")!,
  createLocalJWKSet(JSON.parse(Deno.env.get("BENCH_JWKS")!)),
  { audience: "authenticated" },
);
console.log("ok");

// Cold-start probe for the peer: import jose, verify the Bearer token of one request, exit.
// Like our probe (and like a real handler) it reads the token from a Request.
import { createLocalJWKSet, jwtVerify } from "jose";
const req = new Request("http://x/", {
  headers: { Authorization: `Bearer ${Deno.env.get("BENCH_TOKEN")}` },
});
const token = req.headers.get("authorization")!.slice("Bearer ".length);
await jwtVerify(token, createLocalJWKSet(JSON.parse(Deno.env.get("BENCH_JWKS")!)), {
  audience: "authenticated",
});
console.log("ok");

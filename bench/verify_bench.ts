// `deno bench -A bench/verify_bench.ts`: validateRequest next to jose jwtVerify on the same
// Supabase-shaped HS256 and ES256 tokens (deno bench reports averages and percentiles; the
// median/ratio table comes from bench/compare.ts).
import { createRemoteJWKSet, importJWK, type JWK, jwtVerify } from "jose";
import { validateRequest } from "../mod.ts";
import { ISSUER, mint, SECRET } from "./tokens.ts";

const hs = await mint("HS256");
const es = await mint("ES256");
const esKey = await importJWK(es.jwk as JWK, "ES256");
const hsKey = new TextEncoder().encode(SECRET);
const base = {
  issuer: ISSUER,
  jwtSecret: SECRET,
  jwks: { keys: [es.jwk] },
  jwksUrl: false as const,
  audit: false as const,
  tokenCache: false as const,
};
const req = (t: string) => new Request("http://x/", { headers: { Authorization: `Bearer ${t}` } });
const hsReq = req(hs.token);
const esReq = req(es.token);
const verifyOpts = { issuer: ISSUER, audience: "authenticated" };

Deno.bench("HS256 ours validateRequest", { group: "HS256", baseline: true }, async () => {
  await validateRequest(hsReq, base);
});
Deno.bench("HS256 jose jwtVerify", { group: "HS256" }, async () => {
  await jwtVerify(hs.token, hsKey, verifyOpts);
});
Deno.bench("ES256 ours validateRequest", { group: "ES256", baseline: true }, async () => {
  await validateRequest(esReq, base);
});
Deno.bench("ES256 jose jwtVerify", { group: "ES256" }, async () => {
  await jwtVerify(es.token, esKey, verifyOpts);
});

// A repeated ES256 token with the key set fetched from a loopback JWKS endpoint (as Supabase
// publishes it): ours with the verified-token cache, ours without it, jose's remote key set.
const jwksServer = Deno.serve(
  { hostname: "127.0.0.1", port: 0, onListen: () => {} },
  () => Response.json({ keys: [es.jwk] }, { headers: { "cache-control": "max-age=600" } }),
);
const jwksUrl = `http://127.0.0.1:${jwksServer.addr.port}/auth/v1/.well-known/jwks.json`;
const remote = { issuer: ISSUER, jwtSecret: null, jwks: null, jwksUrl, audit: false as const };
const remoteNoCache = { ...remote, tokenCache: false as const };
const joseRemote = createRemoteJWKSet(new URL(jwksUrl));
Deno.bench("ES256 repeated: ours, cached", { group: "repeated", baseline: true }, async () => {
  await validateRequest(esReq, remote);
});
Deno.bench("ES256 repeated: ours, cache off", { group: "repeated" }, async () => {
  await validateRequest(esReq, remoteNoCache);
});
Deno.bench("ES256 repeated: jose createRemoteJWKSet", { group: "repeated" }, async () => {
  await jwtVerify(es.token, joseRemote, verifyOpts);
});

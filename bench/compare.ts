// The benchmark suite: every contender verifies the same Supabase-shaped tokens in one Deno
// process, interleaved in shuffled order round after round; we report medians and ratios to
// jose. `--smoke` only checks that every contender accepts its token (CI runs that).
//   deno task bench            full run (prints the table for BENCHMARKS.md)
//   deno task bench --smoke    correctness only
import { createLocalJWKSet, createRemoteJWKSet, importJWK, type JWK, jwtVerify } from "jose";
import { createClient } from "@supabase/supabase-js";
import { verifyAuth } from "@supabase/server/core";
import { validateRequest } from "../mod.ts";
import { resolveConfig } from "../lib/config.ts";
import { WasmAuth } from "../lib/wasm.ts";
import { type Alg, ALGS, ISSUER, mint, type Minted, SECRET } from "./tokens.ts";

const SMOKE = Deno.args.includes("--smoke");
const ROUNDS = SMOKE ? 1 : 21;

type Op = () => Promise<unknown>;
interface Contender {
  name: string;
  alg: Alg;
  op: Op;
}

function request(token: string): Request {
  return new Request("https://x.supabase.co/functions/v1/f", {
    headers: { Authorization: `Bearer ${token}`, "x-forwarded-for": "203.0.113.7" },
  });
}

const servers: Deno.HttpServer<Deno.NetAddr>[] = [];

/** A loopback JWKS endpoint with Supabase's caching headers; closed when the run ends. */
function serveJwks(jwks: unknown): string {
  const server = Deno.serve(
    { hostname: "127.0.0.1", port: 0, onListen: () => {} },
    () => Response.json(jwks, { headers: { "cache-control": "public, max-age=600" } }),
  );
  servers.push(server);
  return `http://127.0.0.1:${server.addr.port}/auth/v1/.well-known/jwks.json`;
}

async function contenders(m: Minted): Promise<Contender[]> {
  const jwks = m.jwk ? { keys: [m.jwk] } : undefined;
  const base = { issuer: ISSUER, jwtSecret: SECRET, jwks, jwksUrl: false as const };
  // jose audits nothing: our verification contenders run without audit events; one more
  // contender shows what the default audit trail (to a discarding sink) and throttle add.
  const ours = { ...base, tokenCache: false as const, audit: false as const };
  const oursCached = { ...base, audit: false as const };
  const oursGuarded = {
    ...base,
    tokenCache: false as const,
    audit: { sinks: [{ name: "discard", write: () => {} }] },
    throttle: {},
  };
  // One Request per token, reused: reading headers does not consume it, and building a
  // Request (about 10 us) is the runtime's work, not the verifier's.
  const req = request(m.token);
  const out: Contender[] = [
    { name: "ours validateRequest", alg: m.alg, op: () => validateRequest(req, ours) },
    {
      name: "ours validateRequest, cached",
      alg: m.alg,
      op: () => validateRequest(req, oursCached),
    },
    {
      name: "ours + audit events + throttle",
      alg: m.alg,
      op: () => validateRequest(req, oursGuarded),
    },
  ];
  const verifyOpts = { issuer: ISSUER, audience: "authenticated", algorithms: [m.alg] };
  if (m.alg === "HS256") {
    // The WASM core alone (header string in, context JSON out), to compare with native Rust.
    const core = new WasmAuth(resolveConfig({ ...base, tokenCache: false, jwks: null }));
    const header = `Bearer ${m.token}`;
    out.push({
      name: "ours WASM core only",
      alg: m.alg,
      op: () => core.authenticate(header, [], Date.now() / 1000),
    });
    const key = new TextEncoder().encode(SECRET);
    out.push({ name: "jose jwtVerify", alg: m.alg, op: () => jwtVerify(m.token, key, verifyOpts) });
  } else {
    const key = await importJWK(m.jwk as JWK, m.alg);
    const set = createLocalJWKSet(jwks!);
    // The same key set served over loopback HTTP, as Supabase publishes it: jose's remote set
    // next to ours (remote JWKS + verified-token cache, the default configuration).
    const url = serveJwks(jwks!);
    const remote = createRemoteJWKSet(new URL(url));
    const oursRemote = {
      issuer: ISSUER,
      jwtSecret: null,
      jwks: null,
      jwksUrl: url,
      audit: false as const,
    };
    out.push(
      { name: "jose jwtVerify", alg: m.alg, op: () => jwtVerify(m.token, key, verifyOpts) },
      { name: "jose createLocalJWKSet", alg: m.alg, op: () => jwtVerify(m.token, set, verifyOpts) },
      {
        name: "jose createRemoteJWKSet",
        alg: m.alg,
        op: () => jwtVerify(m.token, remote, verifyOpts),
      },
      {
        name: "ours remote JWKS, cached",
        alg: m.alg,
        op: () => validateRequest(req, oursRemote),
      },
      {
        name: "@supabase/server verifyAuth",
        alg: m.alg,
        op: async () => {
          const { error } = await verifyAuth(req, {
            auth: "user",
            issuer: ISSUER,
            audience: "authenticated",
            env: { url: "https://qzmxkvbwhtrplycdnsaf.supabase.co", jwks: jwks as never },
          });
          if (error) throw error;
        },
      },
    );
    if (m.alg !== "EdDSA") {
      const supabase = createClient("https://qzmxkvbwhtrplycdnsaf.supabase.co", "anon", {
        auth: { persistSession: false, autoRefreshToken: false },
      });
      out.push({
        name: "supabase-js auth.getClaims",
        alg: m.alg,
        op: async () => {
          const { error } = await supabase.auth.getClaims(m.token, { jwks: jwks as never });
          if (error) throw error;
        },
      });
    }
  }
  return out;
}

function median(xs: number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  const mid = Math.floor(s.length / 2);
  return s.length % 2 ? s[mid] : (s[mid - 1] + s[mid]) / 2;
}

function shuffle<T>(xs: T[]): T[] {
  const a = [...xs];
  for (let i = a.length - 1; i > 0; i--) {
    const j = Math.floor(Math.random() * (i + 1));
    [a[i], a[j]] = [a[j], a[i]];
  }
  return a;
}

/** Microseconds per operation, one sequential batch. */
async function batch(op: Op, n: number): Promise<number> {
  const t0 = performance.now();
  for (let i = 0; i < n; i++) await op();
  return ((performance.now() - t0) * 1000) / n;
}

/** Operations per second with `inFlight` verifications running concurrently. */
async function throughput(op: Op, inFlight: number, perWorker: number): Promise<number> {
  const t0 = performance.now();
  await Promise.all(Array.from({ length: inFlight }, async () => {
    for (let i = 0; i < perWorker; i++) await op();
  }));
  return (inFlight * perWorker) / ((performance.now() - t0) / 1000);
}

const fmt = (us: number) => us >= 100 ? us.toFixed(0) : us.toFixed(1);

async function main() {
  const all: Contender[] = [];
  for (const alg of ALGS) all.push(...await contenders(await mint(alg)));
  // Correctness first: every contender must accept its token.
  for (const c of all) await c.op();
  if (SMOKE) {
    console.log(`bench smoke: ${all.length} contenders verified their tokens`);
    return;
  }
  const seq = new Map<Contender, number[]>();
  const par = new Map<Contender, number[]>();
  for (const c of all) await batch(c.op, 50); // warm-up
  for (let r = 0; r < ROUNDS; r++) {
    for (const c of shuffle(all)) {
      const n = c.alg === "HS256" || c.name.includes("cached") ? 400 : 40;
      seq.set(c, [...(seq.get(c) ?? []), await batch(c.op, n)]);
    }
  }
  for (let r = 0; r < 7; r++) {
    for (const c of shuffle(all)) {
      const per = c.alg === "HS256" || c.name.includes("cached") ? 100 : 8;
      par.set(c, [...(par.get(c) ?? []), await throughput(c.op, 16, per)]);
    }
  }
  console.log(`\n${ROUNDS} interleaved rounds; medians; ratio = time / jose jwtVerify time`);
  console.log(
    `| alg | contender | median us/op | ratio vs jose | 16 in flight ops/s | ratio vs jose |`,
  );
  console.log(`|---|---|---:|---:|---:|---:|`);
  for (const alg of ALGS) {
    const joseC = all.find((c) => c.alg === alg && c.name === "jose jwtVerify")!;
    const joseT = median(seq.get(joseC)!);
    const joseP = median(par.get(joseC)!);
    for (const c of all.filter((c) => c.alg === alg)) {
      const t = median(seq.get(c)!);
      const p = median(par.get(c)!);
      console.log(
        `| ${alg} | ${c.name} | ${fmt(t)} | ${(t / joseT).toFixed(3)}x | ${p.toFixed(0)} | ${
          (p / joseP).toFixed(2)
        }x |`,
      );
    }
  }
  await coldStart();
}

/** Fresh `deno run` processes, spawn to exit after the first verified request; interleaved. */
async function coldStart() {
  const m = await mint("ES256");
  const env = { BENCH_TOKEN: m.token, BENCH_JWKS: JSON.stringify({ keys: [m.jwk] }) };
  const script = (who: string) => new URL(`./cold_${who}.ts`, import.meta.url).pathname;
  const times: Record<string, number[]> = { ours: [], jose: [] };
  const runOnce = async (who: string) => {
    const t0 = performance.now();
    const out = await new Deno.Command(Deno.execPath(), {
      args: ["run", "--allow-env", "--allow-read", script(who)],
      env,
      stdout: "piped",
      stderr: "piped",
    }).output();
    const ms = performance.now() - t0;
    if (!out.success || new TextDecoder().decode(out.stdout).trim() !== "ok") {
      throw new Error(`cold start ${who} failed: ${new TextDecoder().decode(out.stderr)}`);
    }
    return ms;
  };
  await runOnce("ours");
  await runOnce("jose"); // warm the module cache, as a deployed function has it
  for (let i = 0; i < 15; i++) {
    for (const who of shuffle(["ours", "jose"])) times[who].push(await runOnce(who));
  }
  const ours = median(times.ours);
  const jose = median(times.jose);
  console.log(`\nCold start to first verified ES256 request (fresh deno run, median of 15):`);
  console.log(`| contender | median ms | ratio vs jose |`);
  console.log(`|---|---:|---:|`);
  console.log(`| ours | ${ours.toFixed(1)} | ${(ours / jose).toFixed(2)}x |`);
  console.log(`| jose | ${jose.toFixed(1)} | 1.00x |`);
}

try {
  await main();
} finally {
  await Promise.all(servers.map((s) => s.shutdown()));
}

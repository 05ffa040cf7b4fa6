// Helpers for the audit / throttle tests: edge instances as separate processes, tokens, and the
// gate that makes a missing server a failure in CI (and an ignored test elsewhere).
import { SignJWT } from "jose";

export const DATABASE_URL = Deno.env.get("TEST_DATABASE_URL") ?? "";
export const REDIS_URL = Deno.env.get("TEST_REDIS_URL") ?? "";
const IN_CI = (Deno.env.get("CI") ?? "") !== "";

/** 40 bytes: a test-only HS256 secret. */
export const SECRET = "audit-throttle-test-secret-0123456789abcdef";
export const WRONG_SECRET = "not-the-secret-0123456789abcdef-0123456789";
export const EMAIL = "pat.pharmacist@example.test";
export const PHONE = "15550001234";

/** A test that needs PostgreSQL and/or Redis: ignored outside CI when missing, failed in CI. */
export function serverTest(
  name: string,
  needs: { pg?: boolean; redis?: boolean },
  fn: () => Promise<void>,
): void {
  const missing = [
    needs.pg && DATABASE_URL === "" ? 'TEST_DATABASE_URL (eval "$(scripts/pg.sh start)")' : "",
    needs.redis && REDIS_URL === "" ? 'TEST_REDIS_URL (eval "$(scripts/redis.sh start)")' : "",
  ].filter(Boolean);
  Deno.test({
    name,
    ignore: missing.length > 0 && !IN_CI,
    sanitizeResources: false,
    sanitizeOps: false,
    fn: async () => {
      if (missing.length > 0) throw new Error(`not set: ${missing.join(", ")}`);
      await fn();
    },
  });
}

/** An HS256 user token like Supabase's, with an email and phone that must never be logged. */
export async function userToken(
  sub: string,
  secret = SECRET,
  extra: Record<string, unknown> = {},
): Promise<string> {
  const now = Math.floor(Date.now() / 1000);
  return await new SignJWT({
    role: "authenticated",
    aal: "aal1",
    email: EMAIL,
    phone: PHONE,
    user_role: "pharmacist",
    user_permissions: ["schedules.read"],
    session_id: crypto.randomUUID(),
    is_anonymous: false,
    ...extra,
  })
    .setProtectedHeader({ alg: "HS256", typ: "JWT" })
    .setSubject(sub)
    .setAudience("authenticated")
    .setIssuedAt(now)
    .setExpirationTime(now + 3600)
    .sign(new TextEncoder().encode(secret));
}

export interface Instance {
  url: string;
  pid: number;
  stdout(): string;
  stats(): Promise<InstanceStats>;
  flush(): Promise<InstanceStats>;
  stop(): Promise<void>;
}

export interface InstanceStats {
  audit: {
    emitted: number;
    sinks: Array<
      { name: string; written: number; lost: number; pending: number; failedWrites: number }
    >;
  } | null;
  throttle: { storeErrors: number; blocked: number; failures: number } | null;
}

/** Starts tests/audit/_server.ts with `env` (plus the test secret); resolves once listening. */
export async function startInstance(env: Record<string, string>): Promise<Instance> {
  const child = new Deno.Command(Deno.execPath(), {
    args: ["run", "-A", new URL("./_server.ts", import.meta.url).pathname],
    // These instances test the audit trail and the throttle: no database, so no profile check
    // (it would boot an embedded database on the first request and skew the timings).
    env: { SUPABASE_JWT_SECRET: SECRET, NO_COLOR: "1", PROFILE_CHECK: "off", ...env },
    clearEnv: false,
    stdout: "piped",
    stderr: "piped",
  }).spawn();
  let out = "";
  let err = "";
  const dec = new TextDecoder();
  (async () => {
    for await (const chunk of child.stdout) out += dec.decode(chunk, { stream: true });
  })().catch(() => {});
  let resolvePort: (p: number) => void = () => {};
  const port = new Promise<number>((r) => (resolvePort = r));
  (async () => {
    for await (const chunk of child.stderr) {
      err += dec.decode(chunk, { stream: true });
      const m = /LISTENING (\d+)/.exec(err);
      if (m) resolvePort(Number(m[1]));
    }
  })().catch(() => {});
  const timeout = new Promise<never>((_, reject) =>
    setTimeout(() => reject(new Error(`instance did not start: ${err.slice(-2000)}`)), 60_000)
  );
  const p = await Promise.race([port, timeout]);
  const url = `http://127.0.0.1:${p}`;
  const get = async (path: string) => (await (await fetch(url + path)).json()) as InstanceStats;
  return {
    url,
    pid: child.pid,
    stdout: () => out,
    stats: () => get("/__stats"),
    flush: () => get("/__flush"),
    async stop() {
      try {
        child.kill("SIGTERM");
      } catch {
        // already gone
      }
      await child.status;
    },
  };
}

/** Calls whoami on an instance as client `ip` (X-Forwarded-For, trusted by default). */
export async function call(
  inst: Instance,
  token: string | null,
  ip: string,
  requestId?: string,
): Promise<Response> {
  const headers: Record<string, string> = {
    "x-forwarded-for": ip,
    "user-agent": "audit-test/1.0",
  };
  if (token !== null) headers.authorization = `Bearer ${token}`;
  if (requestId) headers["x-request-id"] = requestId;
  const res = await fetch(`${inst.url}/functions/v1/whoami`, { headers });
  await res.body?.cancel();
  return res;
}

export function median(xs: number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  return s.length % 2 ? s[(s.length - 1) / 2] : (s[s.length / 2 - 1] + s[s.length / 2]) / 2;
}

/** Runs `tasks` with at most `width` in flight. */
export async function pool<T>(tasks: Array<() => Promise<T>>, width: number): Promise<T[]> {
  const out: T[] = new Array(tasks.length);
  let next = 0;
  const worker = async () => {
    while (next < tasks.length) {
      const i = next++;
      out[i] = await tasks[i]();
    }
  };
  await Promise.all(Array.from({ length: Math.min(width, tasks.length) }, worker));
  return out;
}

// Prints a token for the local server:
//   deno task token --role manager --permissions schedules.write --aal aal2 [--alg ES256]
// Options: --sub <uuid> --email <e> --ttl=<seconds> --api-key anon|service_role.
// (A negative --ttl, for an expired token, needs the `=` form: `--ttl=-100`.)
// With --role and no --sub, the token is for the seeded user of that role (supabase/seed.sql).
import { parseArgs } from "node:util";
import { SignJWT } from "jose";
import { DEV_JWT_SECRET, DEV_PORT, devSigningKey, loadOrCreateDevKeys } from "./dev_keys.ts";

const USAGE = "usage: deno task token [--role R] [--permissions a,b] [--aal aal1|aal2] " +
  "[--alg HS256|ES256] [--sub UUID] [--email E] [--ttl=SECONDS] [--api-key anon|service_role]";

function usage(problem: string): never {
  console.error(`token: ${problem}\n${USAGE}`);
  Deno.exit(2);
}

function args() {
  try {
    return parseArgs({
      args: Deno.args,
      options: {
        role: { type: "string" },
        permissions: { type: "string" },
        aal: { type: "string", default: "aal1" },
        alg: { type: "string", default: "HS256" },
        sub: { type: "string" },
        email: { type: "string", default: "dev@example.com" },
        ttl: { type: "string", default: "3600" },
        "api-key": { type: "string" },
      },
    });
  } catch (e) {
    usage(e instanceof Error ? e.message : String(e));
  }
}

const { values } = args();
if (!/^-?\d{1,9}$/.test(values.ttl!)) {
  usage("--ttl takes whole seconds, e.g. --ttl=600 or --ttl=-100");
}

// The users of supabase/seed.sql, so that tokens for a role see that user's data locally.
const SEEDED_USERS: Record<string, string> = {
  admin: "00000000-0000-4000-a000-000000000001",
  manager: "00000000-0000-4000-a000-000000000002",
  pharmacist: "00000000-0000-4000-a000-000000000003",
  employee: "00000000-0000-4000-a000-000000000004",
};

const base = (Deno.env.get("SUPABASE_URL") ?? `http://127.0.0.1:${DEV_PORT}`).replace(/\/+$/, "");
const now = Math.floor(Date.now() / 1000);
const apiKey = values["api-key"];
const claims: Record<string, unknown> = apiKey ? { iss: "supabase-demo", role: apiKey } : {
  iss: `${base}/auth/v1`,
  sub: values.sub ?? SEEDED_USERS[values.role ?? ""] ?? crypto.randomUUID(),
  aud: "authenticated",
  role: "authenticated",
  email: values.email,
  phone: "",
  aal: values.aal,
  session_id: crypto.randomUUID(),
  is_anonymous: false,
  ...(values.role ? { user_role: values.role } : {}),
  ...(values.permissions ? { user_permissions: values.permissions.split(",") } : {}),
};

const alg = values.alg!;
let jwt = new SignJWT(claims).setIssuedAt(now).setExpirationTime(now + Number(values.ttl));
let key: CryptoKey | Uint8Array;
if (alg === "HS256") {
  const secret = Deno.env.get("SUPABASE_JWT_SECRET") ?? DEV_JWT_SECRET;
  jwt = jwt.setProtectedHeader({ alg, typ: "JWT" });
  key = new TextEncoder().encode(secret);
} else if (alg === "ES256") {
  const keys = await loadOrCreateDevKeys();
  jwt = jwt.setProtectedHeader({ alg, typ: "JWT", kid: keys.privateJwk.kid });
  key = await devSigningKey(keys);
} else {
  console.error("--alg takes HS256 or ES256");
  Deno.exit(2);
}
console.log(await jwt.sign(key));

// Supabase-shaped tokens and keys for the benchmarks, minted once per run with jose.
import { exportJWK, generateKeyPair, type JWK, SignJWT } from "jose";

export const SECRET = "super-secret-jwt-token-with-at-least-32-characters-long";
export const ISSUER = "https://qzmxkvbwhtrplycdnsaf.supabase.co/auth/v1";
export const ALGS = ["HS256", "ES256", "RS256", "EdDSA"] as const;
export type Alg = typeof ALGS[number];

export interface Minted {
  alg: Alg;
  token: string;
  /** The public JWK (asymmetric) the token verifies with. */
  jwk?: JWK;
}

export function supabaseClaims(): Record<string, unknown> {
  const now = Math.floor(Date.now() / 1000);
  return {
    iss: ISSUER,
    sub: crypto.randomUUID(),
    aud: "authenticated",
    exp: now + 3600,
    iat: now,
    email: "bench@example.com",
    phone: "",
    app_metadata: { provider: "email", providers: ["email"] },
    user_metadata: {},
    role: "authenticated",
    aal: "aal1",
    amr: [{ method: "password", timestamp: now }],
    session_id: crypto.randomUUID(),
    is_anonymous: false,
    user_role: "pharmacist",
    user_permissions: ["schedules.read", "contacts.read"],
  };
}

export async function mint(alg: Alg): Promise<Minted> {
  if (alg === "HS256") {
    const token = await new SignJWT(supabaseClaims()).setProtectedHeader({ alg, typ: "JWT" })
      .sign(new TextEncoder().encode(SECRET));
    return { alg, token };
  }
  const { privateKey, publicKey } = await generateKeyPair(alg, { extractable: true });
  const kid = crypto.randomUUID();
  const jwk = { ...(await exportJWK(publicKey)), kid, alg, use: "sig", key_ops: ["verify"] };
  const token = await new SignJWT(supabaseClaims()).setProtectedHeader({ alg, kid, typ: "JWT" })
    .sign(privateKey);
  return { alg, token, jwk };
}

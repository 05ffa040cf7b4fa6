// Development keys for the local server and the token task: the public Supabase CLI demo
// secret, and an ES256 key pair generated once into .dev/ (gitignored). Never for production.
import { exportJWK, generateKeyPair, importJWK, type JWK } from "jose";

/** The Supabase CLI's public local-development JWT secret. */
export const DEV_JWT_SECRET = "super-secret-jwt-token-with-at-least-32-characters-long";
export const DEV_PORT = 54321;
const KEY_FILE = ".dev/dev-es256.json";

export interface DevKeys {
  privateJwk: JWK;
  publicJwks: { keys: JWK[] };
}

export async function loadOrCreateDevKeys(): Promise<DevKeys> {
  try {
    return JSON.parse(await Deno.readTextFile(KEY_FILE));
  } catch {
    const { privateKey, publicKey } = await generateKeyPair("ES256", { extractable: true });
    const kid = crypto.randomUUID();
    const privateJwk = { ...(await exportJWK(privateKey)), kid, alg: "ES256" };
    const pub = { ...(await exportJWK(publicKey)), kid, alg: "ES256", use: "sig" };
    const keys: DevKeys = { privateJwk, publicJwks: { keys: [pub] } };
    await Deno.mkdir(".dev", { recursive: true });
    // A private key, even a development one: readable by its owner only.
    await Deno.writeTextFile(KEY_FILE, JSON.stringify(keys, null, 2), { mode: 0o600 });
    return keys;
  }
}

export async function devSigningKey(keys: DevKeys): Promise<CryptoKey> {
  return await importJWK(keys.privateJwk, "ES256") as CryptoKey;
}

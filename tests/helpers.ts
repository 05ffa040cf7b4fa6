// Shared test helpers: paths to ../shared, and the local dev server in its own process.
import { join } from "node:path";
import { fileURLToPath } from "node:url";

const here = fileURLToPath(new URL(".", import.meta.url));

/** A path inside the read-only shared data folder beside the repository. */
export function sharedPath(rel: string): string {
  return join(here, "..", "..", "shared", rel);
}

/**
 * Starts scripts/serve.ts on `port` with only the env it needs (no Supabase keys inherited, so
 * it runs in development mode) plus `env`; resolves once `probePath` answers (15 s at most).
 */
export async function startDevServer(
  port: number,
  env: Record<string, string> = {},
  probePath = "/functions/v1/whoami",
): Promise<Deno.ChildProcess> {
  const base = `http://127.0.0.1:${port}`;
  const child = new Deno.Command(Deno.execPath(), {
    // The permissions of the `serve` task (deno.json), so the tests prove they suffice.
    args: [
      "run",
      "--allow-net",
      "--allow-env",
      "--allow-read",
      "--allow-write=.dev",
      "scripts/serve.ts",
    ],
    env: {
      PORT: String(port),
      SUPABASE_URL: base,
      PATH: Deno.env.get("PATH") ?? "",
      HOME: Deno.env.get("HOME") ?? "",
      ...(Deno.env.get("DENO_DIR") ? { DENO_DIR: Deno.env.get("DENO_DIR")! } : {}),
      ...env,
    },
    clearEnv: true,
    stdout: "null",
    stderr: "null",
  }).spawn();
  for (let i = 0; i < 150; i++) {
    try {
      await (await fetch(base + probePath)).body?.cancel();
      return child;
    } catch {
      await new Promise((r) => setTimeout(r, 100));
    }
  }
  child.kill();
  await child.status;
  throw new Error("the dev server did not start within 15 s");
}

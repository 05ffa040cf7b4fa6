// One "edge instance" for the audit / throttle tests: the whoami function with the shared
// pharmacy options (audit sinks and throttle store from env), plus /__stats and /__flush for
// the test to read the counters. Listens on 127.0.0.1 on a free port and prints
// `LISTENING <port>` on stderr (stdout carries the audit JSON lines). Test use only.
import type { Handler } from "../../functions/_shared/serve.ts";
import { auditStats, flushAudit, throttleStats } from "../../mod.ts";
import { authOptions } from "../../functions/_shared/auth.ts";

let handler: Handler | undefined;
globalThis.__edgeAuthDevRouter = { register: (h) => (handler = h) };
await import("../../functions/whoami/index.ts");
globalThis.__edgeAuthDevRouter = undefined;
if (!handler) throw new Error("whoami did not register");
const whoami = handler;

const server = Deno.serve({
  hostname: "127.0.0.1",
  port: 0,
  onListen: ({ port }) => console.error(`LISTENING ${port}`),
}, async (req) => {
  const path = new URL(req.url).pathname;
  if (path === "/__stats") {
    return Response.json({ audit: auditStats(authOptions), throttle: throttleStats(authOptions) });
  }
  if (path === "/__flush") {
    await flushAudit(authOptions, 15_000);
    return Response.json({ audit: auditStats(authOptions), throttle: throttleStats(authOptions) });
  }
  return await whoami(req);
});

Deno.addSignalListener("SIGTERM", () => {
  server.shutdown().finally(() => Deno.exit(0));
});

// Loads the WASM core once per isolate, at module scope, from bytes embedded in pkg/: no file
// or network permission is needed, and the hosted edge runtime needs no static_files entry.
import { initSync } from "../pkg/edge_auth.js";
import { wasmBase64 } from "../pkg/edge_auth_wasm.js";

function decodeBase64(text: string): Uint8Array<ArrayBuffer> {
  // Uint8Array.fromBase64 is recent; older runtimes take the atob path.
  const native = (Uint8Array as unknown as { fromBase64?: (s: string) => Uint8Array<ArrayBuffer> })
    .fromBase64;
  if (typeof native === "function") return native(text);
  const binary = atob(text);
  const bytes = new Uint8Array(binary.length);
  for (let i = 0; i < binary.length; i++) bytes[i] = binary.charCodeAt(i);
  return bytes;
}

initSync({ module: decodeBase64(wasmBase64) });

export {
  Auth as WasmAuth,
  clearKeyCache,
  clientIp as wasmClientIp,
  errorForCode,
  requireAal as wasmRequireAal,
  requirePermissions as wasmRequirePermissions,
  requireRole as wasmRequireRole,
  verifyDetached,
} from "../pkg/edge_auth.js";

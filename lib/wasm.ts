// Loads the WASM core once per isolate, at module scope, from bytes embedded in pkg/: no file
// or network permission is needed, and the hosted edge runtime needs no static_files entry.
import { initSync } from "../pkg/edge_auth.js";
import { wasmBase64 } from "../pkg/edge_auth_wasm.js";
import { decodeBase64 } from "./base64.ts";

initSync({ module: decodeBase64(wasmBase64, "base64") });

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

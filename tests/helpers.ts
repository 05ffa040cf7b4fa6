// Shared test helpers: paths to ../shared and small builders.
import { join } from "node:path";
import { fileURLToPath } from "node:url";

const here = fileURLToPath(new URL(".", import.meta.url));

/** A path inside the read-only shared data folder beside the repository. */
export function sharedPath(rel: string): string {
  return join(here, "..", "..", "shared", rel);
}

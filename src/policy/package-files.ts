import { access } from "node:fs/promises";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";

// Files shipped with the package (policies/) sit at the package root: two levels
// up from dist/policy/, three from .test-build/src/policy/.

const HERE = dirname(fileURLToPath(import.meta.url));
/** dist/policy → 2, .test-build/src/policy → 3; a little slack for other layouts. */
const MAX_LEVELS_UP = 4;

/** The absolute path of a file shipped with kuma-guard (`policies/default.yaml`). */
export async function findPackageFile(relativePath: string): Promise<string> {
  let dir = HERE;
  for (let level = 0; level <= MAX_LEVELS_UP; level++) {
    const candidate = join(dir, relativePath);
    try {
      await access(candidate);
      return candidate;
    } catch {
      dir = dirname(dir);
    }
  }
  throw new Error(`${relativePath} not found next to kuma-guard (looked upwards from ${HERE})`);
}

/** The bundled default policy file. */
export const BUNDLED_POLICY = "policies/default.yaml";

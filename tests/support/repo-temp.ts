import { mkdirSync, mkdtempSync } from "node:fs";
import path from "node:path";

const REPO = path.resolve(__dirname, "..", "..", "..");

/**
 * A temporary folder inside the repository's (git-ignored) release/ folder. Notebooks must run
 * inside the repository for tslab to resolve the kit's packages from node_modules.
 */
export function repoTempDir(prefix: string): string {
  const parent = path.join(REPO, "release");
  mkdirSync(parent, { recursive: true });
  return mkdtempSync(path.join(parent, prefix));
}

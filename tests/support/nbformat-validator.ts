/**
 * The real notebook validator: Debian's python3-nbformat, run as a child process. The npm
 * package named `nbformat` is broken, so Python's is the reference the tests hold us to.
 */
import { spawnSync } from "node:child_process";

export const DEBIAN_PYTHON = "/usr/bin/python3";

const SCRIPT = `
import sys, nbformat
for path in sys.argv[1:]:
    try:
        nb = nbformat.read(path, as_version=nbformat.NO_CONVERT)
        nbformat.validate(nb)
        print("OK", path)
    except Exception as e:
        print("INVALID", path, type(e).__name__, str(e).splitlines()[0] if str(e) else "")
`;

export interface ValidationResult {
  file: string;
  ok: boolean;
  message: string;
}

/** Validate notebook files with Python's nbformat.validate; one result per file. */
export function validateWithNbformat(...files: string[]): ValidationResult[] {
  const run = spawnSync(DEBIAN_PYTHON, ["-c", SCRIPT, ...files], { encoding: "utf8" });
  if (run.status !== 0) {
    throw new Error(`python nbformat validator failed to run: ${run.stderr || run.error}`);
  }
  const lines = run.stdout.trim().split("\n");
  return files.map((file, i) => {
    const line = lines[i] ?? "";
    return { file, ok: line.startsWith("OK "), message: line };
  });
}

/** Throw with the validator's message unless every file is valid. */
export function assertValidNotebooks(...files: string[]): void {
  const bad = validateWithNbformat(...files).filter((r) => !r.ok);
  if (bad.length) throw new Error(`nbformat rejected:\n${bad.map((r) => r.message).join("\n")}`);
}

/**
 * Files that are replaced whole: written to a temporary file beside the target, then renamed
 * over it. A reader (or a run killed mid-write) sees the old content or the new, never a part.
 * This protects against the grader dying, not against the machine losing power (no fsync).
 */
import { closeSync, openSync, readdirSync, renameSync, rmSync, writeFileSync, writeSync } from "node:fs";
import path from "node:path";

const TEMP = /^\..+\.\d+\.tmp$/;

function tempName(file: string): string {
  return path.join(path.dirname(file), `.${path.basename(file)}.${process.pid}.tmp`);
}

export function writeFileAtomic(file: string, data: string | Uint8Array): void {
  const temp = tempName(file);
  try {
    writeFileSync(temp, data);
    renameSync(temp, file);
  } catch (err) {
    rmSync(temp, { force: true });
    throw err;
  }
}

/** Like writeFileAtomic, from pieces written one at a time: the whole content is never in memory. */
export function writeFileAtomicPieces(file: string, pieces: Iterable<string>): void {
  const temp = tempName(file);
  try {
    const fd = openSync(temp, "w");
    try {
      for (const piece of pieces) writeSync(fd, piece);
    } finally {
      closeSync(fd);
    }
    renameSync(temp, file);
  } catch (err) {
    rmSync(temp, { force: true });
    throw err;
  }
}

/** Remove the temporary files a killed writer left in `dir` (not recursive). */
export function removeStaleTemps(dir: string): void {
  let names: string[];
  try {
    names = readdirSync(dir);
  } catch {
    return;
  }
  for (const name of names) if (TEMP.test(name)) rmSync(path.join(dir, name), { force: true });
}

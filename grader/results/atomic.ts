/**
 * Files that are replaced whole: written to a temporary file beside the target, then renamed
 * over it. A reader (or a run killed mid-write) sees the old content or the new, never a part.
 * This protects against the grader dying, not against the machine losing power (no fsync).
 */
import { closeSync, mkdirSync, openSync, readdirSync, renameSync, rmSync, writeFileSync, writeSync } from "node:fs";
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

/**
 * A folder whose files are replaced together: they are written into a temporary folder beside it,
 * the old folder is moved aside and the new one renamed into place. A run killed at any moment
 * leaves the old folder, the new one, or (between the two renames) none, never a folder with some
 * of its files; the leftovers are temporary names that removeStaleTemps clears.
 */
export function writeFolderAtomic(dir: string, files: Record<string, string | Uint8Array>): void {
  const temp = tempName(dir);
  const old = path.join(path.dirname(dir), `.${path.basename(dir)}.old.${process.pid}.tmp`);
  rmSync(temp, { recursive: true, force: true });
  try {
    mkdirSync(temp);
    for (const [name, data] of Object.entries(files)) writeFileSync(path.join(temp, name), data);
    let moved = false;
    try {
      renameSync(dir, old);
      moved = true;
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== "ENOENT") throw err;
    }
    renameSync(temp, dir);
    if (moved) rmSync(old, { recursive: true, force: true });
  } catch (err) {
    rmSync(temp, { recursive: true, force: true });
    throw err;
  }
}

/** Remove the temporary files and folders a killed writer left in `dir` (not looking deeper). */
export function removeStaleTemps(dir: string): void {
  let names: string[];
  try {
    names = readdirSync(dir);
  } catch {
    return;
  }
  for (const name of names) if (TEMP.test(name)) rmSync(path.join(dir, name), { recursive: true, force: true });
}

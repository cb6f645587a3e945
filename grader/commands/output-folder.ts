/**
 * The folder an --out option names, checked before any work: a file in the way (the folder
 * itself, or one of its parents) is refused with the option's name, not a raw ENOTDIR later.
 */
import { existsSync, statSync } from "node:fs";
import path from "node:path";

export function outputFolder(dir: string, option = "--out"): string {
  const resolved = path.resolve(dir);
  for (let p = resolved; ; p = path.dirname(p)) {
    if (existsSync(p)) {
      if (!statSync(p).isDirectory())
        throw new Error(p === resolved ? `${option} ${dir} is a file, not a folder` : `${option} ${dir}: ${p} is a file, not a folder`);
      return resolved;
    }
    if (path.dirname(p) === p) return resolved;
  }
}

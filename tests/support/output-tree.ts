/** Comparing output folders file by file (deterministic grading, merges). */
import { readdirSync, statSync } from "node:fs";
import path from "node:path";

/** Every file under `dir`, hidden ones included, as sorted paths relative to it. */
export function filesUnder(dir: string, sub = ""): string[] {
  return readdirSync(path.join(dir, sub))
    .sort()
    .flatMap((name) => {
      const rel = sub ? `${sub}/${name}` : name;
      return statSync(path.join(dir, rel)).isDirectory() ? filesUnder(dir, rel) : [rel];
    });
}

/** The first line where two texts differ, both versions, for a readable failure. */
export function firstDifference(a: string, b: string): string {
  const la = a.split("\n");
  const lb = b.split("\n");
  const i = la.findIndex((line, k) => line !== lb[k]);
  const at = i < 0 ? la.length : i;
  return `line ${at + 1}:\n  ${(la[at] ?? "(end)").slice(0, 300)}\n  ${(lb[at] ?? "(end)").slice(0, 300)}`;
}

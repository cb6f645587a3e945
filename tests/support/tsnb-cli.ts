/** The `tsnb` command line as a learner or instructor runs it: a fresh Node process per call. */
import { spawnSync } from "node:child_process";
import path from "node:path";

const ROOT = path.resolve(__dirname, "..", "..", "..");
const TSNB = path.join(ROOT, "bin", "tsnb.js");

export function tsnb(args: string[], cwd = ROOT): { status: number; stdout: string; stderr: string } {
  const r = spawnSync(process.execPath, [TSNB, ...args], { cwd, encoding: "utf8", env: { ...process.env, FORCE_COLOR: "0" } });
  return { status: r.status ?? -1, stdout: r.stdout, stderr: r.stderr };
}

/**
 * Jupyter's data-path rules (jupyter_core.paths), restricted to what a Node program can know:
 * JUPYTER_PATH entries first, then the user data dir, then the system dirs. The Python
 * environment's own prefix is not knowable from here; Debian's is /usr, which the system
 * list already holds.
 */
import os from "node:os";
import path from "node:path";

export function userDataDir(env: NodeJS.ProcessEnv = process.env): string {
  if (env.JUPYTER_DATA_DIR) return env.JUPYTER_DATA_DIR;
  if (process.platform === "darwin") return path.join(os.homedir(), "Library", "Jupyter");
  const xdg = env.XDG_DATA_HOME || path.join(os.homedir(), ".local", "share");
  return path.join(xdg, "jupyter");
}

export const SYSTEM_DATA_DIRS = ["/usr/local/share/jupyter", "/usr/share/jupyter"];

export function jupyterDataPath(env: NodeJS.ProcessEnv = process.env): string[] {
  const fromEnv = (env.JUPYTER_PATH ?? "").split(path.delimiter).filter(Boolean);
  const dirs = [...fromEnv, userDataDir(env), ...SYSTEM_DATA_DIRS];
  return [...new Set(dirs.map((d) => path.resolve(d)))];
}

/** Where `kernels/<name>` lives for an install: the user dir, a prefix, or the system dir. */
export function kernelsDirFor(target: { user?: boolean; prefix?: string }, env: NodeJS.ProcessEnv = process.env): string {
  if (target.prefix) return path.join(path.resolve(target.prefix), "share", "jupyter", "kernels");
  if (target.user) return path.join(userDataDir(env), "kernels");
  return path.join(SYSTEM_DATA_DIRS[0], "kernels");
}

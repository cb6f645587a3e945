/** Finding the system programs the grader may wrap learner processes with. */
import { accessSync, constants } from "node:fs";
import path from "node:path";
import { spawnSync } from "node:child_process";

/** The first executable called `name` on PATH (plus the usual system folders), if any. */
export function findExecutable(name: string): string | undefined {
  if (name.includes("/")) return isExecutable(name) ? name : undefined;
  const dirs = [...(process.env.PATH ?? "").split(path.delimiter), "/usr/bin", "/bin", "/usr/sbin", "/sbin"];
  for (const dir of dirs) {
    if (!dir) continue;
    const file = path.join(dir, name);
    if (isExecutable(file)) return file;
  }
  return undefined;
}

function isExecutable(file: string): boolean {
  try {
    accessSync(file, constants.X_OK);
    return true;
  } catch {
    return false;
  }
}

let setprivCache: string | null | undefined;

/**
 * util-linux's setpriv, if it can set a parent-death signal (util-linux 2.33 and later). A
 * process started through it is killed as soon as the process that started it dies.
 */
export function setprivWithDeathSignal(): string | undefined {
  if (setprivCache === undefined) {
    const found = findExecutable("setpriv");
    const help = found ? spawnSync(found, ["--help"], { encoding: "utf8", timeout: 5000 }) : undefined;
    setprivCache = found && help?.status === 0 && help.stdout.includes("--pdeathsig") ? found : null;
  }
  return setprivCache ?? undefined;
}

/** `command args` wrapped so that it dies with its parent, when the system can do that. */
export function dyingWithParent(command: string, args: string[], setpriv = setprivWithDeathSignal()): { command: string; args: string[]; wrapped: boolean } {
  return setpriv ? { command: setpriv, args: ["--pdeathsig", "SIGKILL", "--", command, ...args], wrapped: true } : { command, args, wrapped: false };
}

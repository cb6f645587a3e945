/**
 * Which isolation a run's sandbox processes get, decided once per run by trying it:
 * - "bubblewrap": Node's permission model inside a bubblewrap sandbox (bwrap.ts) with resource
 *   limits, run as `nobody` both inside and, where possible, outside the namespaces;
 * - "node-permissions": Node's permission model only (the fallback where namespaces cannot be
 *   created, e.g. in an unprivileged container), as `nobody` when the grader is root.
 * In both, a sandbox process is in a session of its own (a Ctrl-C at the terminal goes to the
 * grader, which decides) and dies with the process that started it.
 * The result is plain JSON, so the grader can hand it to its Jest workers.
 */
import { spawnSync } from "node:child_process";
import { dyingWithParent, findExecutable, setprivWithDeathSignal } from "../process/executables";
import { tasksOfUser } from "../process/tree";
import { BwrapSetup, bwrapCommand, nodeSystemFiles, SANDBOX_HOSTNAME, SANDBOX_UID, TMP_BYTES } from "./bwrap";

export type IsolationMode = "auto" | "strict" | "basic";
export const ISOLATION_MODES: IsolationMode[] = ["auto", "strict", "basic"];
export type IsolationKind = "bubblewrap" | "node-permissions";

export interface SandboxLaunch {
  kind: IsolationKind;
  /** One line for instructors: what is in force, or why the grader fell back. */
  summary: string;
  /** Run the sandbox's outermost process as this user (the grader's own when undefined). */
  user?: { uid: number; gid: number };
  /** setpriv, to give a node-permissions sandbox a parent-death signal. */
  setpriv?: string;
  bwrap?: BwrapSetup;
}

export class IsolationUnavailable extends Error {}

const RUNNING_AS_ROOT = typeof process.getuid === "function" && process.getuid() === 0;
const NOBODY = { uid: SANDBOX_UID, gid: SANDBOX_UID };
/** The sandbox's own compiled code, which every sandbox process may read. */
export const SANDBOX_CODE_DIR = __dirname;

/** Today's isolation: Node's permission model, `nobody` when root. */
export function basicLaunch(summary = "Node's permission model only"): SandboxLaunch {
  return { kind: "node-permissions", summary, user: RUNNING_AS_ROOT ? NOBODY : undefined, setpriv: setprivWithDeathSignal() };
}

export interface ProcessCommand {
  command: string;
  args: string[];
  uid?: number;
  gid?: number;
  /** A session of its own: terminal signals do not reach it. Only when it dies with its parent. */
  detached: boolean;
}

/** How to start `node nodeArgs` under `launch`, able to read only `readable` (and its own code). */
export function sandboxCommand(launch: SandboxLaunch, nodeArgs: string[], readable: string[], cwd: string = SANDBOX_CODE_DIR): ProcessCommand {
  const user = launch.user ? { uid: launch.user.uid, gid: launch.user.gid } : {};
  if (launch.kind === "bubblewrap" && launch.bwrap) {
    const [command, ...args] = bwrapCommand(launch.bwrap, process.execPath, nodeArgs, [SANDBOX_CODE_DIR, ...readable], cwd);
    return { command, args, ...user, detached: true };
  }
  const { command, args, wrapped } = launch.setpriv
    ? dyingWithParent(process.execPath, nodeArgs, launch.setpriv)
    : { command: process.execPath, args: nodeArgs, wrapped: false };
  return { command, args, ...user, detached: wrapped };
}

/** What a probe sandbox must see: its own host name and user, and no network interface but lo. */
const PROBE = `const os = require("os");
const nets = Object.keys(os.networkInterfaces()).filter((n) => n !== "lo");
if (os.hostname() === ${JSON.stringify(SANDBOX_HOSTNAME)} && process.getuid() === ${SANDBOX_UID} && nets.length === 0) process.stdout.write("tsnb-sandbox-ok");`;

/** Start a tiny sandbox with this setup; undefined when it works, else why not. */
export function probeBubblewrap(launch: SandboxLaunch): string | undefined {
  const cmd = sandboxCommand(launch, ["-e", PROBE], []);
  const run = spawnSync(cmd.command, cmd.args, {
    encoding: "utf8",
    timeout: 15_000,
    uid: cmd.uid,
    gid: cmd.gid,
    env: { PATH: "/usr/bin:/bin", LANG: "C.UTF-8" },
  });
  if (run.error) return run.error.message;
  if (run.status === 0 && run.stdout === "tsnb-sandbox-ok") return undefined;
  const said =
    `${run.stderr ?? ""}`
      .trim()
      .split("\n")
      .find((l) => l.trim()) ?? `exit code ${run.status ?? run.signal}`;
  return run.status === 0 ? "the test sandbox started but was not isolated as expected" : said;
}

/**
 * RLIMIT_NPROC counts every task of the sandbox's real user, so the limit is what that user
 * runs now plus room for this run's sandboxes: a fork bomb stops there.
 */
function processLimit(uid: number, jobs: number): number {
  return tasksOfUser(uid) + 256 + 64 * (jobs + 2);
}

/** Try bubblewrap: as `nobody` outside too, else (root only) as root mapped to nobody inside. */
function tryBubblewrap(jobs: number): { launch?: SandboxLaunch; reason: string } {
  const bwrap = findExecutable(process.env.TSNB_BWRAP || "bwrap");
  if (!bwrap)
    return {
      reason: process.env.TSNB_BWRAP
        ? `TSNB_BWRAP=${process.env.TSNB_BWRAP} is not an executable`
        : "bwrap is not installed (Debian/Ubuntu package bubblewrap)",
    };
  const prlimit = findExecutable("prlimit");
  let system: string[];
  try {
    system = nodeSystemFiles();
  } catch (err) {
    return { reason: `cannot list Node's libraries: ${(err as Error).message}` };
  }
  const ownUid = typeof process.getuid === "function" ? process.getuid() : SANDBOX_UID;
  const candidates: { user?: { uid: number; gid: number }; who: string }[] = RUNNING_AS_ROOT
    ? [
        { user: NOBODY, who: "nobody inside and outside" },
        { user: undefined, who: "nobody inside, root without capabilities outside" },
      ]
    : [{ user: undefined, who: `nobody inside, uid ${ownUid} outside` }];
  const failures: string[] = [];
  for (const c of candidates) {
    const uid = c.user?.uid ?? ownUid;
    const setup: BwrapSetup = { bwrap, prlimit, system, limits: { processes: processLimit(uid, jobs), fileSizeBytes: TMP_BYTES, openFiles: 256 } };
    // The task limit's number depends on the machine's load: the terminal shows it, the summary (in the log) does not.
    const limits = prlimit
      ? `limits: the user's tasks (those it runs + room for this run's), 16 MiB files, 256 open files, no core dumps`
      : "no resource limits (prlimit not found)";
    const launch: SandboxLaunch = {
      kind: "bubblewrap",
      summary: `bubblewrap: no network, own user/pid/ipc/uts namespaces, a read-only view of only Node and the sandbox's code, a private /tmp; runs as ${c.who}${failures.length ? ` (as nobody: ${failures[0]})` : ""}; ${limits}; plus Node's permission model`,
      user: c.user,
      bwrap: setup,
    };
    const failed = probeBubblewrap(launch);
    if (!failed) return { launch, reason: "" };
    failures.push(failed);
  }
  return { reason: `bubblewrap could not create a sandbox here: ${[...new Set(failures)].join("; ")}` };
}

const cache = new Map<string, SandboxLaunch | IsolationUnavailable>();

/**
 * The isolation for a run, by mode: "basic" is Node's permission model only; "auto" tries
 * bubblewrap and falls back, saying why; "strict" throws IsolationUnavailable instead of
 * falling back. Decided once per process and mode.
 */
export function detectIsolation(mode: IsolationMode, jobs = 1): SandboxLaunch {
  const key = `${mode}/${jobs}`;
  let found = cache.get(key);
  if (!found) {
    if (mode === "basic") found = basicLaunch("Node's permission model only (--isolation basic)");
    else {
      const tried = tryBubblewrap(jobs);
      if (tried.launch) found = tried.launch;
      else if (mode === "strict") found = new IsolationUnavailable(`--isolation strict: refusing to grade without OS-level isolation; ${tried.reason}`);
      else found = basicLaunch(`FALLBACK to Node's permission model only (no network isolation, no namespaces): ${tried.reason}`);
    }
    cache.set(key, found);
  }
  if (found instanceof IsolationUnavailable) throw found;
  return found;
}

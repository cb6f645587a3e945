/**
 * The bubblewrap command line a learner's sandbox process runs under: its own user, pid,
 * network, ipc, uts and mount namespaces (the network namespace holds only a loopback with
 * nothing listening), a new session, death with its parent, and a root file system that holds
 * only the Node binary with its shared libraries, the sandbox's own code and the files it is
 * offered, read-only, plus an empty private /tmp. Resource limits (processes, file size, open
 * files, core dumps) are set by util-linux's prlimit, which then executes bwrap.
 */
import { spawnSync } from "node:child_process";
import { existsSync, realpathSync } from "node:fs";

/** Inside the sandbox the learner is `nobody`. */
export const SANDBOX_UID = 65534;
export const SANDBOX_HOSTNAME = "tsnb-sandbox";
/** Size of the private /tmp, and the largest file a sandbox may write. */
export const TMP_BYTES = 16 * 1024 * 1024;

export interface ResourceLimits {
  /** RLIMIT_NPROC: tasks (processes and threads) of the sandbox's real user. */
  processes: number;
  /** RLIMIT_FSIZE in bytes. */
  fileSizeBytes: number;
  /** RLIMIT_NOFILE. */
  openFiles: number;
}

export interface BwrapSetup {
  bwrap: string;
  /** util-linux prlimit; without it the limits are not set (and the summary says so). */
  prlimit?: string;
  limits: ResourceLimits;
  /** Host files bound read-only at the same path: the Node binary, its libraries, the loader cache. */
  system: string[];
}

/**
 * The Node binary and the shared libraries it loads, as `ldd` lists them (each at the path the
 * loader will look for, plus the file the path resolves to). Where ldd is missing or fails, the
 * usual system library folders are offered instead.
 */
export function nodeSystemFiles(node: string = process.execPath): string[] {
  const binary = realpathSync(node);
  const files = new Set<string>([binary]);
  const ldd = spawnSync("ldd", [binary], { encoding: "utf8", timeout: 10_000 });
  if (ldd.status === 0 && typeof ldd.stdout === "string") {
    for (const line of ldd.stdout.split("\n")) {
      const lib = /(?:=>\s*)?(\/\S+)\s+\(0x/.exec(line)?.[1];
      if (!lib || !existsSync(lib)) continue;
      files.add(lib);
      files.add(realpathSync(lib));
    }
  } else if (!/not a dynamic executable/.test(`${ldd.stdout ?? ""}${ldd.stderr ?? ""}`)) {
    for (const dir of ["/usr/lib", "/usr/lib64", "/lib", "/lib64", "/lib32"]) if (existsSync(dir)) files.add(dir);
  }
  // The loader's cache finds libraries installed outside its default folders.
  if (existsSync("/etc/ld.so.cache")) files.add("/etc/ld.so.cache");
  return [...files];
}

function prlimitArgs(prlimit: string, limits: ResourceLimits): string[] {
  const both = (n: number) => `${n}:${n}`;
  return [prlimit, `--nproc=${both(limits.processes)}`, `--fsize=${both(limits.fileSizeBytes)}`, `--nofile=${both(limits.openFiles)}`, "--core=0:0", "--"];
}

/**
 * The full command (program first) that runs `node nodeArgs` in a sandbox where `readable`
 * (files or folders) are the only paths besides the system files, with `cwd` as its folder.
 */
export function bwrapCommand(setup: BwrapSetup, node: string, nodeArgs: string[], readable: string[], cwd: string): string[] {
  const binds = [...new Set([...setup.system, ...readable])].flatMap((p) => ["--ro-bind", p, p]);
  return [
    ...(setup.prlimit ? prlimitArgs(setup.prlimit, setup.limits) : []),
    setup.bwrap,
    "--unshare-all",
    "--unshare-user",
    "--disable-userns",
    "--die-with-parent",
    "--new-session",
    "--hostname",
    SANDBOX_HOSTNAME,
    "--uid",
    String(SANDBOX_UID),
    "--gid",
    String(SANDBOX_UID),
    // /tmp first: files offered from the host's /tmp are then bound into the private one.
    "--size",
    String(TMP_BYTES),
    "--tmpfs",
    "/tmp",
    ...binds,
    "--dev",
    "/dev",
    "--remount-ro",
    "/",
    "--chdir",
    cwd,
    "--",
    realpathSync(node),
    ...nodeArgs,
  ];
}

/**
 * A local imitation of Gradescope's autograder harness, as faithful as its published behaviour
 * allows (the autograder specification and the sample Dockerfile in gradescope/autograder_samples):
 *
 * - build: the zip is unpacked to /autograder/source (by Python's zipfile, an unzipper of its
 *   own), run_autograder is copied to /autograder/run_autograder and made executable, and
 *   `bash /autograder/source/setup.sh` runs as root; a non-zero exit fails the build;
 * - run, per submission: fresh /autograder/submission and /autograder/results, a synthetic
 *   /autograder/submission_metadata.json, /autograder/run_autograder started as root with
 *   working directory /autograder, stdout and stderr merged into /autograder/results/stdout,
 *   and a wall-clock kill at the configured timeout.
 *
 * bubblewrap binds the imitation's folder at the real path /autograder, over a root made of the
 * host's /usr and /etc with a fresh /tmp for every run (a fresh container), so the scripts run at
 * the paths they will really see. The source is read-only during runs: every run starts from
 * the image the build left, as a fresh container does.
 */
import { ChildProcess, spawn, spawnSync } from "node:child_process";
import {
  chmodSync,
  closeSync,
  copyFileSync,
  cpSync,
  existsSync,
  lstatSync,
  mkdirSync,
  mkdtempSync,
  openSync,
  readFileSync,
  realpathSync,
  rmSync,
  writeFileSync,
} from "node:fs";
import os from "node:os";
import path from "node:path";

export interface BuildResult {
  ok: boolean;
  code: number | null;
  log: string;
  seconds: number;
}

export interface RunResult {
  /** results.json as text, when there is one. */
  resultsText?: string;
  results?: unknown;
  /** What run_autograder printed (results/stdout). */
  stdout: string;
  seconds: number;
  timedOut: boolean;
  code: number | null;
}

export interface RunOptions {
  /** Files of the submission: a folder to copy, or relative path → content. */
  submission: string | Record<string, string | Buffer>;
  /** Written as submission_metadata.json; undefined leaves it out. */
  metadata?: unknown;
  timeoutMs?: number;
  /** CPUs to pin the run to (taskset -c), e.g. "0". */
  cpus?: string;
  /** Extra bubblewrap arguments for this run (for example --tmpfs over a folder to break it). */
  extraArgs?: string[];
  /** Called with the pid of the run's outermost process (for memory sampling). */
  onSpawn?: (pid: number) => void;
}

const BWRAP = "/usr/bin/bwrap";
const PYTHON = "/usr/bin/python3";

/** The host folders a Debian or Ubuntu root needs; merged-/usr symlinks are kept as symlinks. */
function rootArgs(): string[] {
  const args = ["--ro-bind", "/usr", "/usr", "--ro-bind", "/etc", "/etc"];
  for (const dir of ["/bin", "/sbin", "/lib", "/lib64", "/lib32", "/libx32"]) {
    if (!existsSync(dir)) continue;
    if (lstatSync(dir).isSymbolicLink()) args.push("--symlink", readlinkRelative(dir), dir);
    else args.push("--ro-bind", dir, dir);
  }
  // A Node installed outside /usr (nvm, a tarball in /opt) is bound where it is.
  const nodePrefix = path.dirname(path.dirname(realpathSync(process.execPath)));
  if (!nodePrefix.startsWith("/usr")) args.push("--ro-bind", nodePrefix, nodePrefix);
  args.push("--proc", "/proc", "--dev", "/dev", "--tmpfs", "/tmp", "--tmpfs", "/run", "--ro-bind-try", "/run/systemd/resolve", "/run/systemd/resolve");
  return args;
}

function readlinkRelative(link: string): string {
  return path.relative(path.dirname(link), realpathSync(link)) || ".";
}

function nodeBin(): string {
  return path.dirname(realpathSync(process.execPath));
}

function envArgs(): string[] {
  const pathVar = [...new Set([nodeBin(), "/usr/local/sbin", "/usr/local/bin", "/usr/sbin", "/usr/bin", "/sbin", "/bin"])].join(":");
  return ["--clearenv", "--setenv", "PATH", pathVar, "--setenv", "HOME", "/root", "--setenv", "LANG", "C.UTF-8", "--setenv", "USER", "root"];
}

/** Whether bubblewrap can build the imitation here, and if not, why. */
export function harnessAvailable(): { ok: boolean; why?: string } {
  if (!existsSync(BWRAP)) return { ok: false, why: `${BWRAP} is not installed (Debian package bubblewrap)` };
  if (process.getuid?.() !== 0) return { ok: false, why: "the imitation runs setup.sh and run_autograder as root, as Gradescope does; run the tests as root" };
  if (!existsSync(PYTHON)) return { ok: false, why: `${PYTHON} is needed to unpack the zip` };
  const r = spawnSync(BWRAP, ["--die-with-parent", "--unshare-pid", ...rootArgs(), "true"], { encoding: "utf8" });
  if (r.status !== 0) return { ok: false, why: `bubblewrap cannot create a sandbox here: ${(r.stderr || r.error?.message || "").trim()}` };
  return { ok: true };
}

export class GradescopeHarness {
  readonly root: string;
  readonly autograder: string;

  constructor(root = mkdtempSync(path.join(os.tmpdir(), "tsnb-gradescope-"))) {
    this.root = root;
    this.autograder = path.join(root, "autograder");
  }

  private spawnBwrap(args: string[], command: string[], stdoutFd: number | "pipe", options: { cpus?: string; cwd: string }): ChildProcess {
    const full = [
      "--die-with-parent",
      "--unshare-pid",
      "--unshare-ipc",
      "--unshare-uts",
      "--hostname",
      "gradescope-imitation",
      ...rootArgs(),
      ...envArgs(),
      "--bind",
      this.autograder,
      "/autograder",
      ...args,
      "--chdir",
      options.cwd,
      ...command,
    ];
    const [file, argv] = options.cpus ? ["/usr/bin/taskset", ["-c", options.cpus, BWRAP, ...full]] : [BWRAP, full];
    return spawn(file, argv, { stdio: ["ignore", stdoutFd, stdoutFd], detached: false });
  }

  /** Unpack the zip, copy run_autograder, run setup.sh as root. */
  async build(zipFile: string, timeoutMs = 15 * 60_000): Promise<BuildResult> {
    rmSync(this.autograder, { recursive: true, force: true });
    const source = path.join(this.autograder, "source");
    mkdirSync(source, { recursive: true });
    const unzip = spawnSync(PYTHON, ["-m", "zipfile", "-e", zipFile, source], { encoding: "utf8" });
    if (unzip.status !== 0) return { ok: false, code: unzip.status, log: `unzip failed: ${unzip.stderr}`, seconds: 0 };
    const runner = path.join(source, "run_autograder");
    if (!existsSync(runner) || !existsSync(path.join(source, "setup.sh"))) {
      return { ok: false, code: null, log: "the zip has no setup.sh and run_autograder at its root", seconds: 0 };
    }
    copyFileSync(runner, path.join(this.autograder, "run_autograder"));
    chmodSync(path.join(this.autograder, "run_autograder"), 0o755);
    // npm inside the build reaches the registry as npm on this machine does (its cache and
    // user configuration), which makes a rebuild fast without changing what gets installed.
    const cache = npmConfig("cache");
    const userconfig = npmConfig("userconfig");
    const npmArgs = [
      ...(cache ? ["--bind", ensureDir(cache), cache] : []),
      ...(userconfig && existsSync(userconfig) ? ["--ro-bind", userconfig, userconfig] : []),
    ];
    const logFile = path.join(this.root, "build.log");
    const fd = openSync(logFile, "w");
    const started = performance.now();
    let code: number | null;
    let timedOut = false;
    try {
      const child = this.spawnBwrap(npmArgs, ["bash", "/autograder/source/setup.sh"], fd, { cwd: "/" });
      code = await waitFor(child, timeoutMs, () => (timedOut = true));
    } finally {
      closeSync(fd);
    }
    const log = readFileSync(logFile, "utf8") + (timedOut ? `\n(harness: the build was killed after ${timeoutMs} ms)\n` : "");
    return { ok: code === 0 && !timedOut, code, log, seconds: (performance.now() - started) / 1000 };
  }

  /** One submission in a fresh container. */
  async run(options: RunOptions): Promise<RunResult> {
    const submission = path.join(this.autograder, "submission");
    const results = path.join(this.autograder, "results");
    for (const dir of [submission, results]) {
      rmSync(dir, { recursive: true, force: true });
      mkdirSync(dir, { recursive: true });
    }
    if (typeof options.submission === "string") cpSync(options.submission, submission, { recursive: true });
    else {
      for (const [name, content] of Object.entries(options.submission)) {
        mkdirSync(path.dirname(path.join(submission, name)), { recursive: true });
        writeFileSync(path.join(submission, name), content);
      }
    }
    const metadataFile = path.join(this.autograder, "submission_metadata.json");
    rmSync(metadataFile, { force: true });
    if (options.metadata !== undefined) writeFileSync(metadataFile, JSON.stringify(options.metadata, null, 2));

    const stdoutFile = path.join(results, "stdout");
    const fd = openSync(stdoutFile, "w");
    const started = performance.now();
    let timedOut = false;
    let code: number | null;
    try {
      const child = this.spawnBwrap(
        ["--ro-bind", path.join(this.autograder, "source"), "/autograder/source", ...(options.extraArgs ?? [])],
        ["/autograder/run_autograder"],
        fd,
        { cpus: options.cpus, cwd: "/autograder" },
      );
      if (child.pid) options.onSpawn?.(child.pid);
      code = await waitFor(child, options.timeoutMs ?? 10 * 60_000, () => (timedOut = true));
    } finally {
      closeSync(fd);
    }
    const seconds = (performance.now() - started) / 1000;
    const resultsFile = path.join(results, "results.json");
    const resultsText = existsSync(resultsFile) ? readFileSync(resultsFile, "utf8") : undefined;
    let parsed: unknown;
    try {
      parsed = resultsText === undefined ? undefined : JSON.parse(resultsText);
    } catch {
      parsed = undefined;
    }
    return { resultsText, results: parsed, stdout: readFileSync(stdoutFile, "utf8"), seconds, timedOut, code };
  }

  /** Run a command inside the built image (as root unless wrapped), for checks. */
  exec(command: string[]): { status: number | null; stdout: string; stderr: string } {
    const r = spawnSync(
      BWRAP,
      ["--die-with-parent", "--unshare-pid", ...rootArgs(), ...envArgs(), "--bind", this.autograder, "/autograder", "--chdir", "/autograder", ...command],
      { encoding: "utf8" },
    );
    return { status: r.status, stdout: r.stdout, stderr: r.stderr };
  }

  dispose(): void {
    rmSync(this.root, { recursive: true, force: true });
  }
}

function npmConfig(key: string): string | undefined {
  const r = spawnSync("npm", ["config", "get", key], { encoding: "utf8" });
  const value = r.status === 0 ? r.stdout.trim() : "";
  return value && value !== "undefined" && path.isAbsolute(value) ? value : undefined;
}

function ensureDir(dir: string): string {
  mkdirSync(dir, { recursive: true });
  return dir;
}

/** Wait for a process; kill it (and with it bubblewrap's whole sandbox) at the deadline. */
function waitFor(child: ChildProcess, timeoutMs: number, onTimeout: () => void): Promise<number | null> {
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => {
      onTimeout();
      child.kill("SIGKILL");
    }, timeoutMs);
    child.on("error", (err) => {
      clearTimeout(timer);
      reject(err);
    });
    child.on("exit", (code) => {
      clearTimeout(timer);
      resolve(code);
    });
  });
}

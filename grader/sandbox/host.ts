/**
 * The grader's side of a learner sandbox: a child process that runs learner code and nothing
 * else. Its limits, each enforced from outside the child:
 * - Node's permission model: it may read only its own code and the helper modules it offers
 *   (the learner's cells arrive over IPC); it may not write files, spawn processes or start
 *   workers.
 * - When the grader runs as root, the child runs as `nobody`, so it cannot signal the grader.
 * - A V8 heap limit, plus an RSS watchdog for memory outside the heap (typed arrays).
 * - A time limit per call (the child is killed and restarted when it is exceeded), a limit for
 *   the whole submission, and a cap on captured output.
 * - Where the run found it works, all of this runs inside bubblewrap (see isolation.ts): no
 *   network, its own namespaces, a read-only view of only what it needs, resource limits.
 * A call never rejects: every way a learner can fail comes back as a CallOutcome, whose messages
 * are in the learner's language (the child names what happened; this side puts it into words).
 */
import { ChildProcess, spawn } from "node:child_process";
import { readFileSync } from "node:fs";
import path from "node:path";
import { findExecutable } from "../process/executables";
import { Language, message, MessageRef, render } from "@course-kit/kernel-helpers/messages";
import { descendantPids, residentBytes } from "../process/tree";
import { basicLaunch, ProcessCommand, SANDBOX_CODE_DIR, SandboxLaunch, sandboxCommand } from "./isolation";
import { CallReply, CellLoadResult, ChildMessage, LoadedCell, LoadRequest, ReadyMessage, RealmTexts, SETUP_FAILED, ThrowSite, unboxNumbers } from "./protocol";

export interface SandboxLimits {
  /** Per call, in ms. */
  callTimeoutMs: number;
  /** For the whole submission (load plus all calls), in ms. */
  totalBudgetMs: number;
  /** Resident memory limit of the child, in MiB. */
  memoryMb: number;
  /** Time to start the child and load the cells, in ms. */
  startupTimeoutMs: number;
  /** After this many timeouts of one function, later calls to it fail at once. */
  timeoutsBeforeSkip: number;
}

export const DEFAULT_LIMITS: SandboxLimits = {
  callTimeoutMs: 5000,
  totalBudgetMs: 120_000,
  memoryMb: 512,
  startupTimeoutMs: 15_000,
  timeoutsBeforeSkip: 2,
};

export interface SandboxFiles {
  /** The compiled cells (protocol.LearnerProgram as JSON), read by the grader, not the child. */
  programFile: string;
  /** SandboxModule JSON files offered to learner code. */
  moduleFiles: string[];
  /** Start the next sandbox process in the background, for a batch that will need one. */
  prewarm?: boolean;
  /** How sandbox processes are isolated (detectIsolation); Node's permission model alone if absent. */
  launch?: SandboxLaunch;
  /** The language of the outcomes' messages (English if absent). */
  lang?: Language;
}

export type CallOutcome =
  | { kind: "returned"; value: unknown; output: string; ms: number }
  /** `where`: the learner's cell and line, in words ("…ipynb, cell 12 (conv2dForward), line 3"). */
  | { kind: "threw"; name: string; message: string; where?: string; output: string; ms: number }
  | { kind: "missing" | "invalid-result" | "timeout" | "crashed" | "budget" | "internal"; message: string; output: string; ms: number };

const CHILD_SCRIPT = path.join(SANDBOX_CODE_DIR, "child.js");
const OUTPUT_CAP = 65536;

/**
 * Started, idle sandbox processes waiting for a program, one per distinct command line. A
 * batch pays for process start-up while the previous submission's tests are still running.
 */
const warm = new Map<string, ChildProcess>();

/**
 * Node's flags for a sandbox process that runs `script` and may read only the sandbox's code
 * and `readable`: the permission model, a heap limit, no code generation from strings.
 */
export function sandboxNodeArgs(readable: string[], memoryMb: number, script: string = CHILD_SCRIPT, scriptArgs: string[] = readable): string[] {
  const heapMb = Math.max(64, Math.floor(memoryMb / 2));
  return [
    "--experimental-permission",
    ...[SANDBOX_CODE_DIR, ...readable].map((p) => `--allow-fs-read=${p}`),
    `--max-old-space-size=${heapMb}`,
    "--disallow-code-generation-from-strings",
    "--no-warnings",
    "--stack-size=984",
    script,
    ...scriptArgs,
  ];
}

let prlimitPath: string | null | undefined;

/**
 * The kernel's limit on the sandbox's writable memory (RLIMIT_DATA, set by util-linux's prlimit,
 * which then executes the command in place), half again the watchdog's limit: one large
 * allocation fails at once instead of outrunning the watchdog, which looks every 50 ms, while
 * memory that grows step by step is still stopped by the watchdog with its clearer message.
 */
function withDataLimit(cmd: ProcessCommand, memoryMb: number): ProcessCommand {
  if (prlimitPath === undefined) prlimitPath = findExecutable("prlimit") ?? null;
  if (!prlimitPath) return cmd;
  const bytes = Math.floor(memoryMb * 1.5) * 1024 * 1024;
  return { ...cmd, command: prlimitPath, args: [`--data=${bytes}:${bytes}`, "--", cmd.command, ...cmd.args] };
}

function childCommand(launch: SandboxLaunch, moduleFiles: string[], memoryMb: number): ProcessCommand {
  return withDataLimit(sandboxCommand(launch, sandboxNodeArgs(moduleFiles, memoryMb), moduleFiles), memoryMb);
}

/** Start a sandbox process: a clean environment (nothing of the grader's), an IPC channel, piped output. */
export function spawnSandbox(cmd: ProcessCommand): ChildProcess {
  return spawn(cmd.command, cmd.args, {
    stdio: ["ignore", "pipe", "pipe", "ipc"],
    serialization: "json",
    cwd: SANDBOX_CODE_DIR,
    env: { PATH: "/usr/bin:/bin", LANG: "C.UTF-8" },
    detached: cmd.detached,
    uid: cmd.uid,
    gid: cmd.gid,
  });
}

/** Let an idle process not keep the grader alive, or make it count again once in use. */
function setRef(child: ChildProcess, ref: boolean): void {
  const handles = [child, child.channel, child.stdout, child.stderr] as ({ ref?(): void; unref?(): void } | null | undefined)[];
  for (const h of handles) (ref ? h?.ref : h?.unref)?.call(h);
}

function commandKey(cmd: ProcessCommand): string {
  return JSON.stringify(cmd);
}

function takeProcess(cmd: ProcessCommand): ChildProcess {
  const key = commandKey(cmd);
  const idle = warm.get(key);
  warm.delete(key);
  if (idle && idle.exitCode === null && idle.signalCode === null && idle.connected) {
    setRef(idle, true);
    return idle;
  }
  idle?.kill("SIGKILL");
  return spawnSandbox(cmd);
}

function prewarm(cmd: ProcessCommand): void {
  const key = commandKey(cmd);
  if (warm.has(key)) return;
  const child = spawnSandbox(cmd);
  child.on("error", () => warm.delete(key));
  child.on("exit", () => warm.get(key) === child && warm.delete(key));
  setRef(child, false);
  warm.set(key, child);
}

let fallback: SandboxLaunch | undefined;
function defaultLaunch(): SandboxLaunch {
  return (fallback ??= basicLaunch());
}

/** Stop idle sandbox processes (the end of a batch run in this process). */
export function disposeWarmSandboxes(): void {
  for (const child of warm.values()) child.kill("SIGKILL");
  warm.clear();
}

/** What the learner's realm says itself, in `lang` (`{module}` is left for the realm to fill). */
function realmTexts(lang: Language): RealmTexts {
  return {
    moduleUnavailable: message(lang, "sandbox.moduleUnavailable", { module: "{module}" }),
    moduleUnavailableNew: message(lang, "sandbox.moduleUnavailableNew", { module: "{module}" }),
    outputTruncated: message(lang, "sandbox.outputTruncated"),
    thrownValue: message(lang, "sandbox.thrownValue"),
    proxyThrown: message(lang, "sandbox.proxyThrown"),
  };
}

interface Pending {
  id: number;
  resolve: (outcome: CallOutcome) => void;
  timer: NodeJS.Timeout;
  started: number;
  fn: string;
}

export class LearnerSandbox {
  private child?: ChildProcess;
  private ready?: Promise<ReadyMessage | CallOutcome>;
  private pending?: Pending;
  private nextId = 1;
  private spent = 0;
  private queue: Promise<unknown> = Promise.resolve();
  private readonly timeouts = new Map<string, number>();
  private stderr = "";
  private killedFor?: MessageRef;
  private watchdog?: NodeJS.Timeout;
  /** Load results of the most recent start. */
  cells: CellLoadResult[] = [];
  /** Everything learner code printed, capped. */
  output = "";
  /** Instructor-side log of sandbox events (crashes, kills); never shown to learners. */
  readonly log: string[] = [];

  private readonly lang: Language;

  constructor(
    private readonly files: SandboxFiles,
    private readonly limits: SandboxLimits = DEFAULT_LIMITS,
  ) {
    this.lang = files.lang ?? "en";
  }

  /** A message in the learner's language. */
  private say(ref: MessageRef): string {
    return render(this.lang, ref);
  }

  /** Start the child (if needed) and return the per-cell load results. */
  async start(): Promise<CellLoadResult[]> {
    const ready = await this.ensureStarted();
    return "type" in ready ? this.cells : [];
  }

  /** Call a learner function. Calls are serialized: one at a time per sandbox. */
  call(fn: string, args: unknown[]): Promise<CallOutcome> {
    const run = this.queue.then(() => this.callNow(fn, args));
    this.queue = run.catch(() => undefined);
    return run;
  }

  async dispose(): Promise<void> {
    this.kill({ key: "sandbox.stopped" });
  }

  private budgetLeft(): number {
    return this.limits.totalBudgetMs - this.spent;
  }

  private async callNow(fn: string, args: unknown[]): Promise<CallOutcome> {
    const base = { output: "", ms: 0 };
    if (this.budgetLeft() <= 0) {
      return { kind: "budget", message: this.say({ key: "sandbox.skippedBudget", params: { seconds: this.limits.totalBudgetMs / 1000 } }), ...base };
    }
    if ((this.timeouts.get(fn) ?? 0) >= this.limits.timeoutsBeforeSkip) {
      return { kind: "timeout", message: this.say({ key: "sandbox.skippedTimeouts", params: { fn, count: this.limits.timeoutsBeforeSkip } }), ...base };
    }
    const ready = await this.ensureStarted();
    if (!("type" in ready)) return ready;
    const child = this.child;
    if (!child || !child.connected) return { kind: "crashed", message: this.say({ key: "sandbox.notRunning" }), ...base };
    // vm timeouts must be whole milliseconds.
    const timeoutMs = Math.max(1, Math.floor(Math.min(this.limits.callTimeoutMs, this.budgetLeft())));
    const outcome = await new Promise<CallOutcome>((resolve) => {
      const id = this.nextId++;
      const started = Date.now();
      // The child enforces the limit itself (vm timeout); this timer catches what it cannot,
      // such as a blocked event loop, and kills the process.
      const timer = setTimeout(() => {
        this.kill({ key: "sandbox.callKilled", params: { fn, ms: timeoutMs } });
        this.settle({
          kind: "timeout",
          message: this.say({ key: "sandbox.callTimeout", params: { fn, ms: timeoutMs } }),
          output: "",
          ms: Date.now() - started,
        });
      }, timeoutMs + 1000);
      this.pending = { id, resolve, timer, started, fn };
      try {
        child.send({ type: "call", id, fn, args, timeoutMs });
      } catch (err) {
        this.settle({ kind: "crashed", message: this.say({ key: "sandbox.unreachable", params: { error: (err as Error).message } }), output: "", ms: 0 });
      }
    });
    this.spent += outcome.ms;
    if (outcome.kind === "timeout") this.timeouts.set(fn, (this.timeouts.get(fn) ?? 0) + 1);
    return outcome;
  }

  private settle(outcome: CallOutcome): void {
    const pending = this.pending;
    if (!pending) return;
    this.pending = undefined;
    clearTimeout(pending.timer);
    this.appendOutput(outcome.output);
    pending.resolve(outcome);
  }

  private appendOutput(text: string): void {
    if (!text || this.output.length >= OUTPUT_CAP) return;
    this.output += text;
    if (this.output.length >= OUTPUT_CAP) this.output = `${this.output.slice(0, OUTPUT_CAP)}\n${this.say({ key: "sandbox.outputTruncated" })}\n`;
  }

  private ensureStarted(): Promise<ReadyMessage | CallOutcome> {
    if (this.child && this.ready) return this.ready;
    this.ready = this.spawnChild();
    return this.ready;
  }

  private spawnChild(): Promise<ReadyMessage | CallOutcome> {
    const started = Date.now();
    let program: string;
    try {
      program = readFileSync(this.files.programFile, "utf8");
    } catch (err) {
      this.log.push(`cannot read the program: ${(err as Error).message}`);
      return Promise.resolve({ kind: "crashed", message: this.say({ key: "sandbox.cannotPrepare" }), output: "", ms: 0 });
    }
    const cmd = childCommand(this.files.launch ?? defaultLaunch(), this.files.moduleFiles, this.limits.memoryMb);
    this.stderr = "";
    this.killedFor = undefined;
    const child = takeProcess(cmd);
    this.child = child;
    child.stdout?.on("data", (chunk: Buffer) => this.appendOutput(chunk.toString("utf8")));
    child.stderr?.on("data", (chunk: Buffer) => {
      if (this.stderr.length < OUTPUT_CAP) this.stderr += chunk.toString("utf8");
    });
    this.startWatchdog(child);

    return new Promise((resolve) => {
      let done = false;
      const finish = (value: ReadyMessage | CallOutcome) => {
        if (done) return;
        done = true;
        clearTimeout(timer);
        this.spent += Date.now() - started;
        resolve(value);
      };
      const timer = setTimeout(() => {
        this.kill({ key: "sandbox.startupKilled" });
        finish({
          kind: "crashed",
          message: this.say({ key: "sandbox.loadTimeout", params: { seconds: this.limits.startupTimeoutMs / 1000 } }),
          output: "",
          ms: Date.now() - started,
        });
      }, this.limits.startupTimeoutMs);
      child.on("message", (raw: unknown) => {
        const msg = raw as ChildMessage;
        if (msg.type === "ready") {
          this.cells = msg.cells.map((c) => this.loadResult(c));
          this.appendOutput(msg.output);
          finish(msg);
          if (this.files.prewarm) prewarm(cmd);
        } else if (msg.type === "reply" && this.pending && msg.id === this.pending.id) {
          this.settle(this.fromReply(msg));
        }
      });
      child.on("error", (err) => {
        this.log.push(`spawn error: ${err.message}`);
        finish({ kind: "crashed", message: this.say({ key: "sandbox.cannotStart" }), output: "", ms: 0 });
      });
      try {
        child.send({ type: "load", program: JSON.parse(program) as LoadRequest["program"], texts: realmTexts(this.lang) } satisfies LoadRequest);
      } catch (err) {
        this.log.push(`cannot send the program: ${(err as Error).message}`);
      }
      child.on("exit", (code, signal) => {
        this.stopWatchdog();
        const why = this.exitReason(code, signal);
        this.log.push(
          `sandbox exited: code ${code} signal ${signal}${this.killedFor ? ` (${render("en", this.killedFor)})` : ""}\n${this.stderr.slice(0, 4000)}`,
        );
        if (this.child === child) {
          this.child = undefined;
          this.ready = undefined;
        }
        const during: MessageRef = code === SETUP_FAILED || /^bwrap: /m.test(this.stderr) ? why : { key: "sandbox.endedWhileLoading", params: { why } };
        finish({ kind: "crashed", message: this.say(during), output: "", ms: Date.now() - started });
        if (this.pending) {
          this.settle({ kind: "crashed", message: this.say(why), output: "", ms: Date.now() - this.pending.started });
        }
      });
    });
  }

  /** A cell's load result in words: its compile error, or what it threw and where. */
  private loadResult(cell: LoadedCell): CellLoadResult {
    const { label, exercise, ok } = cell;
    if (cell.thrown) {
      const where = this.where(cell.thrown.where);
      return { label, exercise, ok, error: `${cell.thrown.name}: ${cell.thrown.message}${where ? ` (${where})` : ""}` };
    }
    return cell.compileError === undefined ? { label, exercise, ok } : { label, exercise, ok, error: cell.compileError };
  }

  /** "<cell>, line <n>" in the learner's language. */
  private where(site: ThrowSite | undefined): string | undefined {
    return site && this.say({ key: "where.line", params: { cell: site.cell, line: site.line } });
  }

  private fromReply(msg: CallReply): CallOutcome {
    switch (msg.kind) {
      case "returned":
        return { kind: "returned", value: unboxNumbers(msg.value), output: msg.output, ms: msg.ms };
      case "threw":
        return { kind: "threw", name: msg.name, message: msg.message, where: this.where(msg.where), output: msg.output, ms: msg.ms };
      case "internal":
        this.log.push(`internal sandbox error on ${this.pending?.fn}: ${msg.message}`);
        return { kind: "internal", message: msg.message, output: msg.output, ms: msg.ms };
      default:
        return { kind: msg.kind, message: this.say(msg.reason), output: msg.output, ms: msg.ms };
    }
  }

  private exitReason(code: number | null, signal: NodeJS.Signals | null): MessageRef {
    if (this.killedFor?.key === "sandbox.memoryLimit") return { key: "sandbox.memoryLimit", params: { mb: this.limits.memoryMb } };
    if (this.killedFor) return this.killedFor;
    if (/heap out of memory|Allocation failed/i.test(this.stderr)) return { key: "sandbox.outOfMemory" };
    if (/Maximum call stack/i.test(this.stderr)) return { key: "sandbox.stackOverflow" };
    if (code === SETUP_FAILED || /^bwrap: /m.test(this.stderr)) return { key: "sandbox.setupFailed" };
    if (signal) return { key: "sandbox.killedBy", params: { signal } };
    // bubblewrap reports a child killed by signal N as exit code 128 + N.
    if (this.files.launch?.kind === "bubblewrap" && code !== null && code > 128) return { key: "sandbox.killedBySignal", params: { number: code - 128 } };
    return { key: "sandbox.exitCode", params: { code: String(code) } };
  }

  private kill(reason: MessageRef): void {
    const child = this.child;
    if (!child) return;
    this.killedFor ??= reason;
    this.child = undefined;
    this.ready = undefined;
    this.stopWatchdog();
    try {
      child.kill("SIGKILL");
    } catch {
      /* already gone */
    }
  }

  private startWatchdog(child: ChildProcess): void {
    this.stopWatchdog();
    const pid = child.pid;
    if (process.platform !== "linux" || !pid) return;
    const limitBytes = this.limits.memoryMb * 1024 * 1024;
    // The whole process tree counts: under bubblewrap the learner's Node is a grandchild. The
    // tree is listed again every 10th tick; its members' memory is read on every tick.
    let tick = 0;
    let members = [pid];
    this.watchdog = setInterval(() => {
      if (tick++ % 10 === 0) members = [pid, ...descendantPids(pid)];
      const resident = residentBytes(members);
      if (resident === 0) this.stopWatchdog();
      else if (resident > limitBytes) {
        this.log.push(`memory limit: resident ${Math.round(resident / 1048576)} MiB`);
        this.kill({ key: "sandbox.memoryLimit", params: { mb: this.limits.memoryMb } });
      }
    }, 50);
    this.watchdog.unref();
  }

  private stopWatchdog(): void {
    if (this.watchdog) clearInterval(this.watchdog);
    this.watchdog = undefined;
  }
}

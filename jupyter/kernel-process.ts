/**
 * The kernel as an operating-system process, and its heartbeat.
 *
 * Like jupyter_client, we start the kernel from its kernelspec's argv with {connection_file}
 * substituted, in its own process group (so an interrupt or a kill reaches everything the
 * kernel started), and watch two signs of life:
 *  - the process: its exit is final and immediate;
 *  - the heartbeat: a Request socket pinging the kernel's heartbeat port. A silent heartbeat
 *    alone proves little for tslab, whose heartbeat is answered on the same JavaScript thread
 *    as user code (a long synchronous cell silences it), so the heartbeat reports death only
 *    when it has been silent for several beats *and* the connection to the heartbeat port
 *    has dropped: the kernel's sockets are gone even though the process we started lives on
 *    (a wrapper script, a kernel that forked and died, ...).
 */
import { ChildProcess, spawn } from "node:child_process";
import { randomBytes } from "node:crypto";
import { EventEmitter } from "node:events";
import * as zmq from "zeromq";
import { FoundKernelSpec } from "./kernelspec";

export interface ExitInfo {
  code: number | null;
  signal: NodeJS.Signals | null;
  /** Set when the process could not be started at all (e.g. ENOENT for argv[0]). */
  error?: Error;
}

export function describeExit(exit: ExitInfo): string {
  if (exit.error) return `could not start: ${exit.error.message}`;
  if (exit.signal) return `killed by ${exit.signal}`;
  return `exit code ${exit.code}`;
}

/** Kernel process groups still alive; killed synchronously if tsnb itself exits first. */
const liveGroups = new Set<number>();
let exitHookInstalled = false;
function installExitHook(): void {
  if (exitHookInstalled) return;
  exitHookInstalled = true;
  process.on("exit", () => {
    for (const pid of liveGroups) {
      try {
        process.kill(-pid, "SIGKILL");
      } catch {
        // already gone
      }
    }
  });
}

/** jupyter_client substitutes `${NAME}` in kernelspec env values from the current environment. */
function substituteEnv(value: string, env: NodeJS.ProcessEnv): string {
  return value.replace(/\$\{([A-Za-z_][A-Za-z0-9_]*)\}/g, (whole, name: string) => env[name] ?? whole);
}

export function kernelCommand(found: FoundKernelSpec, connectionFile: string): string[] {
  if (!Array.isArray(found.spec.argv) || found.spec.argv.length === 0) {
    throw new Error(`kernelspec ${found.name} (${found.dir}) has an empty argv`);
  }
  return found.spec.argv.map((arg) => arg.replaceAll("{connection_file}", connectionFile).replaceAll("{resource_dir}", found.dir));
}

export function kernelEnv(found: FoundKernelSpec, base: NodeJS.ProcessEnv = process.env): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = { ...base };
  for (const [name, value] of Object.entries(found.spec.env ?? {})) env[name] = substituteEnv(String(value), base);
  env.JPY_PARENT_PID = String(process.pid);
  return env;
}

const OUTPUT_TAIL_BYTES = 16 * 1024;

export class KernelProcess {
  readonly child: ChildProcess;
  readonly argv: string[];
  /** Resolves once the process has exited (or failed to start). Never rejects. */
  readonly exited: Promise<ExitInfo>;
  exitInfo?: ExitInfo;
  private tail = "";

  constructor(
    readonly found: FoundKernelSpec,
    connectionFile: string,
    options: { cwd: string; env?: NodeJS.ProcessEnv },
  ) {
    installExitHook();
    this.argv = kernelCommand(found, connectionFile);
    const [command, ...args] = this.argv;
    this.child = spawn(command, args, {
      cwd: options.cwd,
      env: kernelEnv(found, options.env),
      stdio: ["ignore", "pipe", "pipe"],
      // Its own process group: signals go to the whole kernel, and a Ctrl-C in the terminal
      // reaches tsnb only, which then interrupts or shuts down the kernel itself.
      detached: process.platform !== "win32",
    });
    const pid = this.child.pid;
    if (pid !== undefined) liveGroups.add(pid);
    const keep = (chunk: Buffer) => {
      this.tail = (this.tail + chunk.toString("utf8")).slice(-OUTPUT_TAIL_BYTES);
    };
    this.child.stdout?.on("data", keep);
    this.child.stderr?.on("data", keep);
    this.exited = new Promise<ExitInfo>((resolve) => {
      const done = (info: ExitInfo) => {
        if (this.exitInfo) return;
        this.exitInfo = info;
        if (pid !== undefined) liveGroups.delete(pid);
        resolve(info);
      };
      this.child.once("error", (error) => done({ code: null, signal: null, error }));
      this.child.once("exit", (code, signal) => done({ code, signal }));
    });
  }

  get pid(): number | undefined {
    return this.child.pid;
  }

  get alive(): boolean {
    return this.exitInfo === undefined && this.child.pid !== undefined;
  }

  /** The last 16 KiB the kernel process wrote to its own stdout and stderr. */
  outputTail(): string {
    return this.tail;
  }

  /** Send a signal to the kernel's whole process group (falling back to the process). */
  signal(sig: NodeJS.Signals): boolean {
    const pid = this.child.pid;
    if (pid === undefined) return false;
    try {
      if (process.platform !== "win32") process.kill(-pid, sig);
      else this.child.kill(sig);
      return true;
    } catch {
      try {
        return this.child.kill(sig);
      } catch {
        return false;
      }
    }
  }

  /** Kill the process group even if the process we started has exited (its children may not have). */
  killGroup(): void {
    const pid = this.child.pid;
    if (pid === undefined || process.platform === "win32") return;
    try {
      process.kill(-pid, "SIGKILL");
    } catch {
      // the group is gone
    }
  }

  /** SIGTERM, then SIGKILL after `graceMs`; resolves when the process has exited. */
  async terminate(graceMs = 1000): Promise<ExitInfo> {
    if (this.exitInfo) {
      this.killGroup();
      return this.exitInfo;
    }
    this.signal("SIGTERM");
    const timer = setTimeout(() => this.signal("SIGKILL"), graceMs);
    const info = await this.exited;
    clearTimeout(timer);
    this.killGroup();
    return info;
  }
}

export interface HeartbeatOptions {
  /** Time between pings, and how long a ping may wait for its echo. */
  intervalMs?: number;
  /** Consecutive missed echoes (with the connection down) after which the kernel is dead. */
  missLimit?: number;
}

/**
 * Pings the kernel's heartbeat port (a REP socket echoing what it receives).
 * Events: "beat" (an echo came back), "miss" (count), "dead" (once).
 */
export class Heartbeat extends EventEmitter {
  readonly intervalMs: number;
  readonly missLimit: number;
  misses = 0;
  beats = 0;
  /** Whether ZeroMQ currently has a TCP connection to the heartbeat port. */
  connected = false;
  everConnected = false;
  private socket?: zmq.Request;
  private stopped = false;
  private declaredDead = false;
  private wakeUp: () => void = () => undefined;

  constructor(
    readonly address: string,
    options: HeartbeatOptions = {},
  ) {
    super();
    this.intervalMs = options.intervalMs ?? 1000;
    this.missLimit = options.missLimit ?? 3;
  }

  start(): void {
    const socket = new zmq.Request({ linger: 0, relaxed: true, correlate: true, receiveTimeout: this.intervalMs });
    socket.events.on("connect", () => {
      this.connected = true;
      this.everConnected = true;
    });
    socket.events.on("disconnect", () => {
      this.connected = false;
    });
    socket.connect(this.address);
    this.socket = socket;
    void this.loop(socket);
  }

  private async loop(socket: zmq.Request): Promise<void> {
    while (!this.stopped) {
      const ping = randomBytes(8);
      const started = Date.now();
      let ok: boolean;
      try {
        await socket.send(ping);
        const [echo] = await socket.receive();
        ok = Buffer.isBuffer(echo) && echo.equals(ping);
      } catch {
        ok = false; // receive timed out (EAGAIN), or the socket was closed by stop()
      }
      if (this.stopped) return;
      if (ok) {
        this.misses = 0;
        this.beats++;
        this.emit("beat");
      } else {
        this.misses++;
        this.emit("miss", this.misses);
        // Never connected yet means the kernel is still starting; startup has its own timeout.
        if (this.misses >= this.missLimit && this.everConnected && !this.connected && !this.declaredDead) {
          this.declaredDead = true;
          this.emit("dead");
        }
      }
      const wait = this.intervalMs - (Date.now() - started);
      if (wait > 0 && !this.stopped) {
        await new Promise<void>((resolve) => {
          const timer = setTimeout(resolve, wait);
          this.wakeUp = () => {
            clearTimeout(timer);
            resolve();
          };
        });
      }
    }
  }

  stop(): void {
    this.stopped = true;
    this.wakeUp();
    try {
      this.socket?.close();
    } catch {
      // already closed
    }
  }
}

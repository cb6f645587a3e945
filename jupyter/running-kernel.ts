/**
 * A started kernel: its process, heartbeat and client, ready to execute code.
 *
 * Start-up follows jupyter_client: write a connection file, spawn the kernelspec's argv,
 * connect, then repeat kernel_info_request until both a kernel_info_reply and *some* iopub
 * message have arrived. The second condition handles ZeroMQ's "slow joiner" problem: a
 * SUB socket receives nothing until its subscription has reached the PUB side, so without
 * it the first cell's early output (or its idle status) could silently be lost.
 */
import { randomUUID } from "node:crypto";
import { FoundKernelSpec } from "./kernelspec";
import { KernelClient } from "./client";
import { ConnectionInfo, endpoint, newConnectionInfo, writeConnectionFile } from "./connection";
import { describeExit, ExitInfo, Heartbeat, HeartbeatOptions, KernelProcess } from "./kernel-process";
import { JupyterMessage, Session } from "./wire";

export interface KernelDeath {
  via: "process" | "heartbeat" | "killed";
  exit?: ExitInfo;
  message: string;
}

export class KernelStartError extends Error {
  constructor(
    message: string,
    readonly kernelOutput = "",
  ) {
    super(kernelOutput.trim() ? `${message}\n--- kernel output ---\n${kernelOutput.trimEnd()}` : message);
    this.name = "KernelStartError";
  }
}

export interface StartKernelOptions {
  cwd: string;
  env?: NodeJS.ProcessEnv;
  startupTimeoutMs?: number;
  heartbeat?: HeartbeatOptions;
  /** Aborting it stops waiting for the kernel (which is then shut down). */
  signal?: AbortSignal;
}

export interface StartupStats {
  /** From spawn to the first kernel_info_reply. */
  firstReplyMs: number;
  /** From spawn to ready (a reply and an iopub message both received). */
  readyMs: number;
  kernelInfoRequests: number;
}

/** `promise`, or `fallback` after `ms`; the timer is cleared either way, so it never holds the process open. */
function within<T, F>(promise: Promise<T>, ms: number, fallback: F): Promise<T | F> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<F>((resolve) => (timer = setTimeout(() => resolve(fallback), ms)));
  return Promise.race([promise, timeout]).finally(() => clearTimeout(timer));
}

export class RunningKernel {
  /** Resolves when the kernel is found dead (never rejects, never resolves on a clean shutdown). */
  readonly death: Promise<KernelDeath>;
  deathInfo?: KernelDeath;
  kernelInfo?: Record<string, unknown>;
  startup?: StartupStats;
  private resolveDeath!: (d: KernelDeath) => void;
  private shuttingDown = false;
  private removeConnectionFile: () => Promise<void> = async () => undefined;

  constructor(
    readonly found: FoundKernelSpec,
    readonly info: ConnectionInfo,
    readonly process: KernelProcess,
    readonly client: KernelClient,
    readonly heartbeat: Heartbeat,
  ) {
    this.death = new Promise((resolve) => (this.resolveDeath = resolve));
    void process.exited.then((exit) => {
      if (!this.shuttingDown) this.declareDead({ via: "process", exit, message: `the kernel process ended (${describeExit(exit)})` });
    });
    heartbeat.once("dead", () => {
      if (this.shuttingDown) return;
      this.declareDead({
        via: "heartbeat",
        message: `the kernel stopped answering its heartbeat and closed its sockets (process ${process.pid} is still running; killed it)`,
      });
      process.killGroup();
    });
  }

  get dead(): boolean {
    return this.deathInfo !== undefined;
  }

  private declareDead(death: KernelDeath): void {
    if (this.deathInfo) return;
    this.deathInfo = death;
    this.heartbeat.stop();
    this.resolveDeath(death);
  }

  /** Kill the kernel because it is unusable (e.g. an interrupt did not stop a cell). */
  async kill(reason: string): Promise<void> {
    this.declareDead({ via: "killed", message: reason });
    const exit = await this.process.terminate(500);
    if (this.deathInfo) this.deathInfo.exit = exit;
  }

  /**
   * Interrupt the running cell: SIGINT to the process group for `interrupt_mode: signal`
   * (the default), an interrupt_request on the control channel for `message`.
   */
  interrupt(): void {
    if (this.dead) return;
    if (this.found.spec.interrupt_mode === "message") {
      this.client.request("control", "interrupt_request", {});
    } else {
      this.process.signal("SIGINT");
    }
  }

  setConnectionFileRemover(remove: () => Promise<void>): void {
    this.removeConnectionFile = remove;
  }

  /**
   * Ask the kernel to shut down (shutdown_request on control), give it `graceMs` to exit,
   * then terminate its process group. Always closes the sockets and removes the connection file.
   */
  async shutdown(graceMs = 1000): Promise<void> {
    this.shuttingDown = true;
    this.heartbeat.stop();
    try {
      if (!this.dead && this.process.alive) {
        const { reply } = this.client.request("control", "shutdown_request", { restart: false });
        await within(
          reply.catch(() => undefined),
          graceMs,
          undefined,
        );
        const exitedInTime = await within(
          this.process.exited.then(() => true),
          graceMs,
          false,
        );
        if (!exitedInTime) await this.process.terminate(graceMs);
      }
      this.process.killGroup();
    } finally {
      this.client.close();
      await this.removeConnectionFile().catch(() => undefined);
    }
  }
}

/** Spawn a kernel from its spec and wait until it is ready (see the file comment). */
export async function startKernel(found: FoundKernelSpec, options: StartKernelOptions): Promise<RunningKernel> {
  const started = Date.now();
  const timeoutMs = options.startupTimeoutMs ?? 60_000;
  const info = await newConnectionInfo(found.name);
  const connection = await writeConnectionFile(info);
  let kernel: RunningKernel | undefined;
  try {
    const proc = new KernelProcess(found, connection.file, { cwd: options.cwd, env: options.env });
    const session = new Session(info.key, info.signature_scheme, { username: `tsnb-${randomUUID().slice(0, 8)}` });
    const client = new KernelClient(info, session);
    const heartbeat = new Heartbeat(endpoint(info, "hb"), options.heartbeat);
    kernel = new RunningKernel(found, info, proc, client, heartbeat);
    kernel.setConnectionFileRemover(connection.remove);
    client.connect();
    heartbeat.start();
    await waitForReady(kernel, started, timeoutMs, options.signal);
    return kernel;
  } catch (err) {
    if (kernel) {
      const output = kernel.process.outputTail();
      await kernel.shutdown(200).catch(() => undefined);
      if (err instanceof KernelStartError) throw new KernelStartError(err.message.split("\n--- kernel output ---")[0], output);
    } else {
      await connection.remove();
    }
    throw err;
  }
}

async function waitForReady(kernel: RunningKernel, started: number, timeoutMs: number, signal?: AbortSignal): Promise<void> {
  const { client } = kernel;
  let reply: JupyterMessage | undefined;
  let sawIopub = false;
  let firstReplyAt = 0;
  let lastSentAt = 0;
  const sentIds: string[] = [];
  let wake: () => void = () => undefined;
  const stopWatching = client.onAnyIopub(() => {
    sawIopub = true;
    wake();
  });
  void kernel.death.then(() => wake());
  const onAbort = () => wake();
  signal?.addEventListener("abort", onAbort);
  try {
    while (!(reply && sawIopub)) {
      if (signal?.aborted) throw new KernelStartError(`start-up of kernel ${kernel.found.name} was cancelled`);
      if (kernel.dead) {
        throw new KernelStartError(`kernel ${kernel.found.name} died during start-up: ${kernel.deathInfo!.message}`, kernel.process.outputTail());
      }
      const now = Date.now();
      const left = started + timeoutMs - now;
      if (left <= 0) {
        throw new KernelStartError(
          `kernel ${kernel.found.name} did not become ready within ${timeoutMs / 1000} s (` +
            (reply ? "it answered on shell but nothing arrived on iopub" : "no kernel_info_reply") +
            `); command: ${kernel.process.argv.join(" ")}`,
        );
      }
      // Before the first reply the kernel is still starting: ask once a second (requests queue
      // in the Dealer until it connects, and a reply to any of them will do). Once it answers,
      // only iopub is missing: ask every 100 ms; each request makes the kernel publish
      // busy/idle, and one of those gets through as soon as our subscription has joined.
      const interval = reply ? 100 : 1000;
      if (now - lastSentAt >= interval) {
        const sent = client.request("shell", "kernel_info_request", {});
        sentIds.push(sent.msgId);
        lastSentAt = now;
        sent.reply.then(
          (m) => {
            if (!reply) {
              reply = m;
              firstReplyAt = Date.now();
            }
            wake();
          },
          () => wake(),
        );
      }
      await new Promise<void>((resolve) => {
        const timer = setTimeout(resolve, Math.max(1, Math.min(lastSentAt + interval - Date.now(), left)));
        wake = () => {
          clearTimeout(timer);
          resolve();
        };
      });
    }
  } finally {
    signal?.removeEventListener("abort", onAbort);
    stopWatching();
    for (const id of sentIds) client.forget(id);
  }
  kernel.kernelInfo = reply.content;
  kernel.startup = { firstReplyMs: firstReplyAt - started, readyMs: Date.now() - started, kernelInfoRequests: sentIds.length };
}

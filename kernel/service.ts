/**
 * The kernel's request loop.
 *
 * Shell requests are handled one at a time, in arrival order; each publishes `busy` when its
 * turn comes and `idle` once its reply and all its iopub messages are out (so a front end's
 * status is busy exactly while something runs). Control requests (shutdown, interrupt, and
 * anything else sent there) are handled at once, also while a cell waits on a promise.
 *
 * stop_on_error: when an execute_request that asked for it fails, every execute_request
 * already received is answered `aborted` without running, and requests that arrive later run
 * normally. A request sent with stop_on_error=false aborts nothing.
 */
import type { KernelSockets, RequestChannel } from "../jupyter/kernel-sockets";
import type { JupyterMessage } from "../jupyter/wire";
import type { Engine } from "./engine";
import { executeRequest, ExecuteState } from "./execute";
import { kernelInfo } from "./info";
import type { OutputRouter } from "./output";

interface Queued {
  msg: JupyterMessage;
  /** Answer without running (stop_on_error after an earlier failure). */
  abort: boolean;
}

/** Convert between the spec's cursor positions (Unicode code points) and JavaScript string offsets. */
function codePointsToOffset(text: string, points: number): number {
  let offset = 0;
  for (let i = 0; i < points && offset < text.length; i++) offset += (text.codePointAt(offset) ?? 0) > 0xffff ? 2 : 1;
  return offset;
}
function offsetToCodePoints(text: string, offset: number): number {
  return [...text.slice(0, offset)].length;
}

export interface ServiceOptions {
  cwd: string;
  /** Called after the shutdown reply is out; ends the process. */
  exit: (code: number) => void;
  /** Start the engine in the background once the kernel has answered its first kernel_info. */
  warmUp?: boolean;
}

export class KernelService {
  readonly state: ExecuteState = { count: 0, history: [] };
  private readonly queue: Queued[] = [];
  private pumping = false;
  private engineInstance?: Engine;
  private engineError?: Error;
  private warmUpScheduled = false;
  private shuttingDown = false;

  constructor(
    private readonly sockets: KernelSockets,
    private readonly output: OutputRouter,
    private readonly createEngine: () => Engine,
    private readonly options: ServiceOptions,
  ) {}

  /** The engine, started on first use (loading the compiler takes a second or two). */
  engine = (): Engine => {
    if (this.engineInstance) return this.engineInstance;
    if (this.engineError) throw this.engineError;
    try {
      this.engineInstance = this.createEngine();
    } catch (err) {
      this.engineError = err as Error;
      this.output.log(`tsnb kernel: the TypeScript engine could not start: ${(err as Error | undefined)?.stack ?? String(err)}\n`);
      throw err;
    }
    return this.engineInstance;
  };

  get runningEngine(): Engine | undefined {
    return this.engineInstance;
  }

  /** Entry point for every verified message (KernelSockets.bind). */
  receive = (msg: JupyterMessage, channel: RequestChannel): void => {
    if (channel === "stdin") return; // the kernel sends no input_request, so nothing is expected here
    if (channel === "control") {
      void this.handle(msg, "control");
      return;
    }
    this.queue.push({ msg, abort: false });
    void this.pump();
  };

  private async pump(): Promise<void> {
    if (this.pumping) return;
    this.pumping = true;
    try {
      for (let next = this.queue.shift(); next; next = this.queue.shift()) await this.handle(next.msg, "shell", next.abort);
    } finally {
      this.pumping = false;
    }
  }

  /** Let messages the client has already sent reach the queue (the socket is read between turns of the event loop). */
  private async settleIncoming(): Promise<void> {
    for (let turns = 0; turns < 20; turns++) {
      const before = this.sockets.stats.received;
      await new Promise<void>((resolve) => setImmediate(resolve));
      if (this.sockets.stats.received === before) return;
    }
  }

  private async abortQueuedExecutions(): Promise<void> {
    await this.settleIncoming();
    for (const item of this.queue) if (item.msg.header.msg_type === "execute_request") item.abort = true;
  }

  private async handle(msg: JupyterMessage, channel: "shell" | "control", abort = false): Promise<void> {
    const type = msg.header.msg_type;
    const reply = (replyType: string, content: object) => this.sockets.reply(channel, msg, replyType, content);
    await this.sockets.publish(msg, "status", { execution_state: "busy" });
    try {
      if (abort) {
        // ipykernel's answer to a request it did not run: no count, no outputs.
        await reply("execute_reply", { status: "aborted" });
        return;
      }
      const code = typeof msg.content.code === "string" ? msg.content.code : "";
      switch (type) {
        case "kernel_info_request":
          await reply("kernel_info_reply", kernelInfo());
          this.scheduleWarmUp();
          break;
        case "execute_request": {
          const { reply: content, failed } = await executeRequest(msg, { engine: this.engine, output: this.output, state: this.state, cwd: this.options.cwd });
          if (failed && msg.content.stop_on_error !== false) await this.abortQueuedExecutions();
          await reply("execute_reply", content);
          break;
        }
        case "is_complete_request":
          await reply("is_complete_reply", this.isComplete(code));
          break;
        case "complete_request":
          await reply("complete_reply", this.complete(code, Number(msg.content.cursor_pos ?? 0)));
          break;
        case "inspect_request":
          await reply("inspect_reply", this.inspect(code, Number(msg.content.cursor_pos ?? 0)));
          break;
        case "history_request":
          await reply("history_reply", { status: "ok", history: this.history(msg.content) });
          break;
        case "comm_info_request":
          await reply("comm_info_reply", { status: "ok", comms: {} });
          break;
        case "comm_open":
          // No comm targets here: close it at once, as the spec asks, so the front end does not wait.
          await this.sockets.publish(msg, "comm_close", { comm_id: msg.content.comm_id, data: {} });
          break;
        case "interrupt_request":
          this.engineInstance?.interrupt();
          await reply("interrupt_reply", { status: "ok" });
          break;
        case "shutdown_request":
          await this.shutdown(msg, reply);
          return;
        default:
          this.output.log(`tsnb kernel: ignoring a ${type} message on ${channel}\n`);
      }
    } catch (err) {
      this.output.log(`tsnb kernel: error handling ${type}: ${(err as Error | undefined)?.stack ?? String(err)}\n`);
      const error = { ename: "KernelError", evalue: (err as Error).message ?? String(err), traceback: [`KernelError: ${(err as Error).message}`] };
      if (type.endsWith("_request")) await reply(type.replace(/_request$/, "_reply"), { status: "error", ...error });
    } finally {
      await this.output.flush();
      await this.sockets.publish(msg, "status", { execution_state: "idle" });
    }
  }

  private scheduleWarmUp(): void {
    if (!this.options.warmUp || this.warmUpScheduled) return;
    this.warmUpScheduled = true;
    // After the reply and the idle status have left: the engine's start blocks this thread.
    setTimeout(() => {
      try {
        this.engine();
      } catch {
        // reported by engine(), and again to the first execute_request
      }
    }, 20);
  }

  private isComplete(code: string): Record<string, unknown> {
    try {
      const r = this.engine().isComplete(code);
      return r.complete ? { status: "complete" } : { status: "incomplete", indent: r.indent ?? "" };
    } catch {
      return { status: "unknown" };
    }
  }

  private complete(code: string, cursor: number): Record<string, unknown> {
    const offset = codePointsToOffset(code, cursor);
    const r = this.engine().complete(code, offset);
    return { status: "ok", matches: r.candidates, cursor_start: offsetToCodePoints(code, r.start), cursor_end: offsetToCodePoints(code, r.end), metadata: {} };
  }

  private inspect(code: string, cursor: number): Record<string, unknown> {
    const text = this.engine().inspect(code, codePointsToOffset(code, cursor));
    return text ? { status: "ok", found: true, data: { "text/plain": text }, metadata: {} } : { status: "ok", found: false, data: {}, metadata: {} };
  }

  /** history_request: "tail" and "range" over this session's inputs (session 1, lines from 1). */
  private history(content: Record<string, unknown>): unknown[] {
    const entries = this.state.history.map((code, i) => [1, i + 1, content.output ? [code, null] : code]);
    if (content.hist_access_type === "tail") return entries.slice(-Math.max(0, Number(content.n ?? 10)));
    if (content.hist_access_type === "range") {
      const start = Number(content.start ?? 1);
      const stop = content.stop === undefined ? entries.length + 1 : Number(content.stop);
      return entries.filter(([, line]) => (line as number) >= start && (line as number) < stop);
    }
    return [];
  }

  private async shutdown(msg: JupyterMessage, reply: (type: string, content: object) => Promise<void>): Promise<void> {
    if (this.shuttingDown) return;
    this.shuttingDown = true;
    const content = { status: "ok", restart: msg.content.restart === true };
    await reply("shutdown_reply", content);
    await this.sockets.publish(msg, "shutdown_reply", content);
    await this.output.flush();
    await this.sockets.publish(msg, "status", { execution_state: "idle" });
    this.engineInstance?.close();
    await this.sockets.close();
    this.options.exit(0);
  }
}

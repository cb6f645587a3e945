/**
 * The kernel's heartbeat: a REP socket echoing every ping, in a small child process of its own.
 * A kernel's JavaScript thread is busy for as long as a cell runs synchronously; answering the
 * heartbeat elsewhere (ipykernel uses a thread) lets clients tell "busy" from "dead".
 *
 * Why a process and not a worker thread: zeromq.js aborts the whole process (SIGABRT,
 * "terminate called after throwing an instance of 'Napi::Error'") when a worker thread that
 * loaded it is torn down by process.exit() at the wrong moment (zeromq.js issue #411), and notebook
 * code may call process.exit() at any time. A child process has no such teardown to get wrong:
 * it exits when its parent's IPC channel closes, which happens however the kernel ends (an
 * exit, a crash, SIGKILL).
 *
 * Loaded twice: by the kernel (startHeartbeatEcho) and, as the child's script, by `fork`.
 */
import { fork } from "node:child_process";

type EchoReport = { bound: true } | { error: string };

/** The child: bind, report to the parent, echo until the parent is gone. */
async function echoUntilOrphaned(address: string): Promise<void> {
  let socket: import("zeromq").Reply | undefined;
  // Registered before anything asynchronous, so a kernel that dies at once is not missed.
  process.once("disconnect", () => {
    socket?.close();
    process.exit(0);
  });
  // Interrupts are sent to the kernel's whole process group; they are the kernel's business.
  process.on("SIGINT", () => undefined);
  const report = (m: EchoReport) => process.send?.(m);
  const zmq = await import("zeromq");
  socket = new zmq.Reply({ linger: 0 });
  try {
    await socket.bind(address);
  } catch (err) {
    // The kernel gives up on this and exits, which disconnects us.
    report({ error: `cannot bind the heartbeat socket ${address}: ${(err as Error).message}` });
    return;
  }
  report({ bound: true });
  try {
    for await (const frames of socket) await socket.send(frames);
  } catch {
    // closed at disconnect
  }
}

if (require.main === module && process.send && process.argv[2]) {
  void echoUntilOrphaned(process.argv[2]);
}

export interface HeartbeatEcho {
  /** Resolves once the socket is bound; rejects if it cannot be. */
  ready: Promise<void>;
  /** End the echo process. */
  stop(): void;
}

/** Start echoing heartbeats on `address` from a child process. The child never keeps the kernel alive. */
export function startHeartbeatEcho(address: string): HeartbeatEcho {
  // stderr inherited: if the echo process fails, the reason shows where the kernel's own errors do.
  const child = fork(__filename, [address], { execArgv: [], stdio: ["ignore", "ignore", "inherit", "ipc"] });
  let running = true;
  const ready = new Promise<void>((resolve, reject) => {
    child.once("message", (m: EchoReport) => ("error" in m ? reject(new Error(m.error)) : resolve()));
    child.once("error", reject);
    child.once("exit", (code, signal) => {
      running = false;
      reject(new Error(`the heartbeat process exited (${signal ?? `code ${code}`})`));
    });
  });
  ready.catch(() => undefined);
  // Referenced until bound (start-up waits for it), then never what keeps the kernel running.
  void ready.finally(() => {
    child.unref();
    child.channel?.unref();
  });
  const stop = () => {
    if (!running) return;
    running = false;
    child.kill();
  };
  process.once("exit", stop);
  return { ready, stop };
}

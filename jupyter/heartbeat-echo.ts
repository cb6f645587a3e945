/**
 * The kernel's heartbeat: a REP socket echoing every ping, on a worker thread of its own. A
 * kernel's JavaScript thread is busy for as long as a cell runs synchronously; answering the
 * heartbeat from a separate thread (as ipykernel does) lets clients tell "busy" from "dead".
 *
 * The thread's socket must be closed before the process ends: ZeroMQ aborts the process if a
 * worker is torn down with a socket open. So the process's exit (also a process.exit() in
 * notebook code) first asks the thread to close it and waits for that, synchronously, on a
 * shared flag.
 *
 * Loaded twice: by the kernel (startHeartbeatEcho) and, as the worker's script, by the thread.
 */
import path from "node:path";
import { isMainThread, parentPort, Worker, workerData } from "node:worker_threads";

interface EchoData {
  address: string;
  /** Int32 flag: set to 1 by the thread once its socket is closed. */
  closed: SharedArrayBuffer;
}

async function echoForever(data: EchoData): Promise<void> {
  const zmq = await import("zeromq");
  const socket = new zmq.Reply({ linger: 0 });
  const closed = new Int32Array(data.closed);
  parentPort?.on("message", (m) => {
    if (m !== "stop") return;
    socket.close();
    Atomics.store(closed, 0, 1);
    Atomics.notify(closed, 0);
    parentPort?.close();
  });
  try {
    await socket.bind(data.address);
  } catch (err) {
    parentPort?.postMessage({ error: `cannot bind the heartbeat socket ${data.address}: ${(err as Error).message}` });
    return;
  }
  parentPort?.postMessage({ bound: true });
  try {
    for await (const frames of socket) await socket.send(frames);
  } catch {
    // closed by "stop"
  }
}

if (!isMainThread && (workerData as EchoData | undefined)?.address) {
  void echoForever(workerData as EchoData);
}

export interface HeartbeatEcho {
  /** Resolves once the socket is bound; rejects if it cannot be. */
  ready: Promise<void>;
  /** Close the socket and end the thread. */
  stop(): void;
}

/** Start echoing heartbeats on `address` from a worker thread. The thread never keeps the process alive. */
export function startHeartbeatEcho(address: string): HeartbeatEcho {
  const closed = new SharedArrayBuffer(4);
  const flag = new Int32Array(closed);
  const worker = new Worker(path.join(__dirname, "heartbeat-echo.js"), { workerData: { address, closed } satisfies EchoData });
  worker.unref();
  let running = true;
  const ready = new Promise<void>((resolve, reject) => {
    worker.on("message", (m: { bound?: boolean; error?: string }) => (m.error ? reject(new Error(m.error)) : resolve()));
    worker.once("error", reject);
    worker.once("exit", (code) => {
      running = false;
      reject(new Error(`the heartbeat thread exited (code ${code})`));
    });
  });
  ready.catch(() => undefined);
  const stop = () => {
    if (!running) return;
    running = false;
    worker.postMessage("stop");
    Atomics.wait(flag, 0, 0, 2000);
  };
  process.once("exit", stop);
  return { ready, stop };
}

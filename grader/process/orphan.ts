/**
 * A process the grader forks (a Jest worker) must not outlive the grader: if the grader is
 * killed with SIGKILL it can clean nothing up, so the worker watches for it itself. The watch
 * runs in a worker thread, so it works while the main thread is busy (computing test data, or
 * blocked on a sandbox); the worker's own sandbox processes then die with it (they are started
 * with a parent-death signal).
 */
import { Worker } from "node:worker_threads";

let watching = false;

const WATCH = `
const { workerData } = require("node:worker_threads");
setInterval(() => {
  if (process.ppid !== workerData.ppid) process.kill(process.pid, "SIGKILL");
}, workerData.intervalMs);
`;

/** SIGKILL this process once its parent process is gone (checked every `intervalMs`). */
export function dieWhenOrphaned(intervalMs = 100): void {
  if (watching || process.platform !== "linux") return;
  watching = true;
  const worker = new Worker(WATCH, { eval: true, workerData: { ppid: process.ppid, intervalMs } });
  worker.unref();
}

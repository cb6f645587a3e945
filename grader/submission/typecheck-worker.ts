/**
 * Runs the type check in a worker thread, so that it overlaps with the Jest run instead of
 * delaying it (loading the TypeScript compiler alone takes about a second).
 */
import path from "node:path";
import { isMainThread, parentPort, Worker, workerData } from "node:worker_threads";
import type { CellSource, Problem } from "./extract";

if (!isMainThread && parentPort) {
  const { typeCheckSubmissions } = require("./typecheck") as typeof import("./typecheck");
  parentPort.postMessage(typeCheckSubmissions(workerData as CellSource[][]));
}

/** Start the check; resolves to one list of type-error problems per submission. */
export function typeCheckInWorker(submissions: CellSource[][]): Promise<Problem[][]> {
  return new Promise((resolve, reject) => {
    const worker = new Worker(path.join(__dirname, "typecheck-worker.js"), { workerData: submissions });
    worker.once("message", (problems: Problem[][]) => resolve(problems));
    worker.once("error", reject);
    worker.once("exit", (code) => code !== 0 && reject(new Error(`type-check worker exited with code ${code}`)));
  });
}

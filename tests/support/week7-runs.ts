/**
 * Week 7 notebooks executed by Debian's nbclient through the test kernelspec, once per test
 * process: the notebook tests and the `tsnb run` comparison read the same executions, which
 * keeps the suite's time (a full week 7 run takes minutes) within CI's budget.
 */
import path from "node:path";
import { nbclientRun, NbclientResult, tempDir } from "../run/support";

const runs = new Map<string, Promise<NbclientResult>>();
const outDir = tempDir("tsnb-week7-nbclient-");

/** The nbclient execution of `file` (an absolute notebook path), started on first request. */
export function nbclientExecution(file: string): Promise<NbclientResult> {
  let run = runs.get(file);
  if (!run) {
    const output = path.join(outDir, `${runs.size}-${path.basename(file)}`);
    run = nbclientRun(file, output, { processTimeoutMs: 900_000 });
    runs.set(file, run);
  }
  return run;
}

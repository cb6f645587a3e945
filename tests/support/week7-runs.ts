/**
 * Week 7 notebooks executed by Debian's nbclient through the test kernelspec, once per test
 * process: the notebook tests, the browser test and the `tsnb run` comparison read the same
 * executions, which keeps the suite's time (a full week 7 run takes minutes) within CI's budget.
 */
import { rmSync } from "node:fs";
import path from "node:path";
import { createRelease } from "../../grader/assign/release";
import { loadAssignment } from "../../grader/assignment/load";
import { nbclientRun, NbclientResult, REPO, tempDir } from "../run/support";
import { repoTempDir } from "./repo-temp";

export const WEEK7 = path.join(REPO, "notebooks", "week07-cnn");

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

let release: Promise<string> | undefined;
/**
 * The student release of week 7 (what `tsnb assign` writes), made once per test process inside
 * the repository (kernels resolve the kit's packages from its node_modules) and removed when the
 * process exits. Resolves to the release's folder; nothing may change files in it.
 */
export function week7Release(): Promise<string> {
  if (!release) {
    const root = repoTempDir(".week7-release-");
    process.once("exit", () => rmSync(root, { recursive: true, force: true }));
    release = createRelease(loadAssignment(WEEK7), root).then((r) => r.dir);
  }
  return release;
}

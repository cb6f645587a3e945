/**
 * Grading throughput: `tsnb grade` on generated week 7 submissions (correct, partly correct,
 * broken and slow), timed end to end as a user runs it, with the peak memory of the whole
 * process tree; and the cost a notebook-executing grader pays, measured in the same run by
 * executing submissions with `jupyter nbconvert --execute` through the tslab kernel.
 */
import { ChildProcess, spawn } from "node:child_process";
import { copyFileSync, mkdtempSync, readdirSync, readFileSync, rmSync } from "node:fs";
import os from "node:os";
import path from "node:path";
import { loadAssignment } from "../grader/assignment/load";
import { descendantPids } from "../grader/process/tree";
import { distinct, makeSubmission, SubmissionKind, writeSubmission } from "./submissions";

const ROOT = path.resolve(__dirname, "..", "..");
const TSNB = path.join(ROOT, "bin", "tsnb.js");
export const WEEK7 = path.join(ROOT, "notebooks", "week07-cnn");

/** The mix of generated submissions: mostly correct, some partial, some broken, a few slow. */
const MIX: SubmissionKind[] = ["full", "partial", "full", "broken", "full", "partial", "full", "full", "partial", "slow"];

export interface GradingRun {
  submissions: number;
  jobs: number;
  wallSeconds: number;
  secondsPerSubmission: number;
  /** CPU seconds of the whole process tree per submission. */
  cpuSecondsPerSubmission: number;
  peakRssMiB: number;
  exitCode: number | null;
}

export interface BaselineRun {
  submissions: number;
  notebooksPerSubmission: number;
  wallSeconds: number;
  secondsPerSubmission: number;
  /** Cells that failed (tslab reports errors as stderr text): expected only for unfinished work. */
  cellsWithErrors: number;
}

/** Code cells of an executed notebook with stderr output, tslab's only sign of a failed cell. */
function countStderrCells(file: string): number {
  const nb = JSON.parse(readFileSync(file, "utf8")) as { cells: { cell_type: string; outputs?: { output_type: string; name?: string }[] }[] };
  return nb.cells.filter((c) => c.cell_type === "code" && (c.outputs ?? []).some((o) => o.output_type === "stream" && o.name === "stderr")).length;
}

/** Write `count` submissions (the MIX in turn, varied) into a fresh folder; returns their paths. */
export async function generateSubmissions(count: number, root: string): Promise<string[]> {
  const assignment = loadAssignment(WEEK7);
  const dirs: string[] = [];
  for (let i = 0; i < count; i++) {
    const kind = MIX[i % MIX.length];
    const name = `s${String(i).padStart(3, "0")}-${kind}`;
    const dir = await writeSubmission(distinct(makeSubmission(assignment, kind, i), name), path.join(root, name));
    // A learner's folder is a copy of the release, public checks included: the notebooks import them.
    if (assignment.publicChecks) copyFileSync(assignment.publicChecks, path.join(dir, path.basename(assignment.publicChecks)));
    dirs.push(dir);
  }
  return dirs;
}

/** Resident memory of a process and all its descendants, in bytes (Linux /proc). */
export function treeRss(rootPid: number): number {
  const children = new Map<number, number[]>();
  const rss = new Map<number, number>();
  for (const entry of readdirSync("/proc")) {
    if (!/^\d+$/.test(entry)) continue;
    try {
      const stat = readFileSync(`/proc/${entry}/stat`, "utf8");
      // Fields after the command name (which may contain spaces) start after the last ')'.
      const fields = stat.slice(stat.lastIndexOf(")") + 2).split(" ");
      const pid = Number(entry);
      const ppid = Number(fields[1]);
      rss.set(pid, Number(fields[21]) * 4096);
      children.set(ppid, [...(children.get(ppid) ?? []), pid]);
    } catch {
      /* the process ended while we looked */
    }
  }
  let total = 0;
  const stack = [rootPid];
  while (stack.length) {
    const pid = stack.pop()!;
    total += rss.get(pid) ?? 0;
    stack.push(...(children.get(pid) ?? []));
  }
  return total;
}

const CLOCK_TICKS = 100;

/** CPU time (user + system, clock ticks) and start time of a process, from /proc/<pid>/stat. */
export function cpuTicks(pid: number): { ticks: number; start: string } | undefined {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, "utf8");
    const f = stat.slice(stat.lastIndexOf(")") + 2).split(" ");
    return { ticks: Number(f[11]) + Number(f[12]), start: f[19] };
  } catch {
    return undefined;
  }
}

/**
 * Sums the CPU time of a process tree: each process's as last seen (a process loses at most
 * what it used since the last sample). On a machine shared with other work, CPU time swings far
 * less with the load than the wall clock.
 */
export class TreeCpu {
  private readonly seen = new Map<string, number>();

  sample(rootPid: number): void {
    for (const pid of [rootPid, ...descendantPids(rootPid)]) {
      const t = cpuTicks(pid);
      if (t) this.seen.set(`${pid}/${t.start}`, Math.max(this.seen.get(`${pid}/${t.start}`) ?? 0, t.ticks));
    }
  }

  seconds(): number {
    return [...this.seen.values()].reduce((a, b) => a + b, 0) / CLOCK_TICKS;
  }
}

/** Run a command, sampling the process tree's memory and CPU time every 100 ms. */
export function timed(
  command: string,
  args: string[],
  env: NodeJS.ProcessEnv = process.env,
): Promise<{ seconds: number; cpuSeconds: number; peakRss: number; code: number | null }> {
  return new Promise((resolve, reject) => {
    const started = performance.now();
    const child: ChildProcess = spawn(command, args, { stdio: ["ignore", "ignore", "pipe"], env });
    let stderr = "";
    child.stderr?.on("data", (d: Buffer) => (stderr += d.toString()));
    let peak = 0;
    const cpu = new TreeCpu();
    const sampler = setInterval(() => {
      if (!child.pid) return;
      peak = Math.max(peak, treeRss(child.pid));
      cpu.sample(child.pid);
    }, 100);
    child.on("error", reject);
    child.on("exit", (code) => {
      clearInterval(sampler);
      if (code !== 0 && stderr) process.stderr.write(stderr.slice(-2000));
      resolve({ seconds: (performance.now() - started) / 1000, cpuSeconds: cpu.seconds(), peakRss: peak, code });
    });
  });
}

export async function runGrading(submissions: string[], jobs: number): Promise<GradingRun> {
  const out = mkdtempSync(path.join(os.tmpdir(), "tsnb-bench-results-"));
  try {
    const r = await timed(process.execPath, [TSNB, "grade", WEEK7, ...submissions, "--out", out, "--jobs", String(jobs)]);
    return {
      submissions: submissions.length,
      jobs,
      wallSeconds: r.seconds,
      secondsPerSubmission: r.seconds / submissions.length,
      cpuSecondsPerSubmission: r.cpuSeconds / submissions.length,
      peakRssMiB: r.peakRss / 1048576,
      exitCode: r.code,
    };
  } finally {
    rmSync(out, { recursive: true, force: true });
  }
}

/**
 * What a notebook-executing grader pays: each submission's graded notebooks executed one by one
 * with Debian's `jupyter nbconvert --execute` through the tslab kernelspec (before any test runs).
 */
export async function runBaseline(submissions: string[]): Promise<BaselineRun> {
  const assignment = loadAssignment(WEEK7);
  const graded = assignment.notebooks.filter((n) => n.exercises.length > 0).map((n) => n.file);
  const out = mkdtempSync(path.join(os.tmpdir(), "tsnb-bench-nbconvert-"));
  let seconds = 0;
  let stderrCells = 0;
  try {
    for (const dir of submissions) {
      for (const file of graded) {
        // tslab named explicitly: the notebooks name the kit's kernel now, and the baseline's
        // figures (and its stderr count of failed cells) are tslab's.
        const r = await timed("/usr/bin/jupyter", [
          "nbconvert",
          "--to",
          "notebook",
          "--execute",
          "--allow-errors",
          "--ExecutePreprocessor.kernel_name=tslab",
          path.join(dir, file),
          "--output-dir",
          out,
        ]);
        if (r.code !== 0) throw new Error(`nbconvert failed on ${path.join(dir, file)}`);
        seconds += r.seconds;
        stderrCells += countStderrCells(path.join(out, file));
      }
    }
  } finally {
    rmSync(out, { recursive: true, force: true });
  }
  return {
    submissions: submissions.length,
    notebooksPerSubmission: graded.length,
    wallSeconds: seconds,
    secondsPerSubmission: seconds / submissions.length,
    cellsWithErrors: stderrCells,
  };
}

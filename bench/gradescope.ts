/**
 * Grading where the class submits, measured:
 *   - the Gradescope autograder in the imitation of Gradescope's harness
 *     (tests/support/gradescope-harness.ts): the build, a cold run_autograder for one full
 *     week 7 submission pinned to one core (taskset -c 0; every run is a fresh container: new
 *     /tmp, new processes), with and without the type check, and the peak memory of the whole
 *     run_autograder process tree with memory bombs among the exercises;
 *   - a large class: 1,000 generated submissions through `tsnb grade --jobs 2` against 100, for
 *     the cost per submission and the peak memory of the process tree.
 */
import { mkdtempSync, rmSync } from "node:fs";
import os from "node:os";
import path from "node:path";
import { spawnSync } from "node:child_process";
import { loadAssignment } from "../grader/assignment/load";
import { GradescopeHarness, harnessAvailable } from "../tests/support/gradescope-harness";
import { GradingRun, runGrading, treeRss, WEEK7 } from "./grading";
import { cellSource, Notebooks, solvedNotebooks, withCell, writeSubmission } from "./submissions";

const ROOT = path.resolve(__dirname, "..", "..");
const TSNB = path.join(ROOT, "bin", "tsnb.js");

export interface ColdRuns {
  label: string;
  typecheck: boolean;
  buildSeconds: number;
  /** Wall seconds from starting run_autograder to its exit (results.json written), one per run. */
  seconds: number[];
  median: number;
  score: number;
}

export interface MemoryRun {
  label: string;
  peakMiB: number;
  seconds: number;
  score: number;
  detail: string;
}

export interface AutograderBench {
  available: boolean;
  why?: string;
  cold: ColdRuns[];
  memory: MemoryRun[];
}

export interface LargeClassBench {
  /** The small batch, graded before and after the large one (the machine's load drifts). */
  small: GradingRun[];
  large: GradingRun;
}

function median(xs: number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  return s.length % 2 ? s[(s.length - 1) / 2] : (s[s.length / 2 - 1] + s[s.length / 2]) / 2;
}

function prefixed(nbs: Notebooks, name: string, code: string): Notebooks {
  return withCell(nbs, name, cellSource(nbs, name).replace(/\{\n/, `{\n${code}\n`));
}

function exportZip(out: string, extra: string[]): void {
  const r = spawnSync(process.execPath, [TSNB, "export", "gradescope", WEEK7, "--out", out, ...extra], { encoding: "utf8" });
  if (r.status !== 0) throw new Error(`tsnb export gradescope failed: ${r.stderr}`);
}

function scoreOf(resultsText: string | undefined): number {
  return resultsText ? (JSON.parse(resultsText) as { score: number }).score : NaN;
}

export async function runAutograderBench(options: { repeats: number; log: (line: string) => void }): Promise<AutograderBench> {
  const available = harnessAvailable();
  if (!available.ok) return { available: false, why: available.why, cold: [], memory: [] };
  const tmp = mkdtempSync(path.join(os.tmpdir(), "tsnb-bench-gradescope-"));
  const assignment = loadAssignment(WEEK7);
  const solved = solvedNotebooks(assignment);
  const subs = {
    full: await writeSubmission(solved, path.join(tmp, "full")),
    hoard: await writeSubmission(
      prefixed(solved, "im2col", "  const hoard: Float64Array[] = [];\n  for (;;) hoard.push(new Float64Array(1 << 20).fill(1));"),
      path.join(tmp, "hoard"),
    ),
    big: await writeSubmission(
      prefixed(solved, "im2col", "  const big = new Float64Array(1 << 28).fill(1);\n  if (big[1] === 2) return [];"),
      path.join(tmp, "big"),
    ),
  };
  const report: AutograderBench = { available: true, cold: [], memory: [] };
  try {
    for (const typecheck of [true, false]) {
      const zip = path.join(tmp, `week07-${typecheck ? "tc" : "notc"}.zip`);
      exportZip(zip, typecheck ? [] : ["--no-typecheck"]);
      const harness = new GradescopeHarness(path.join(tmp, `harness-${typecheck}`));
      try {
        options.log(`Gradescope: building the autograder (type check ${typecheck ? "on" : "off"})...`);
        const build = await harness.build(zip);
        if (!build.ok) throw new Error(`the autograder build failed:\n${build.log.slice(-3000)}`);
        const seconds: number[] = [];
        let score = NaN;
        for (let i = 0; i < options.repeats; i++) {
          const run = await harness.run({ submission: subs.full, cpus: "0" });
          seconds.push(run.seconds);
          score = scoreOf(run.resultsText);
        }
        const cold: ColdRuns = {
          label: `full submission, type check ${typecheck ? "on" : "off"}`,
          typecheck,
          buildSeconds: build.seconds,
          seconds,
          median: median(seconds),
          score,
        };
        report.cold.push(cold);
        options.log(
          `  build ${build.seconds.toFixed(1)} s; cold run_autograder on one core: ${seconds.map((s) => s.toFixed(2)).join(", ")} s (score ${score})`,
        );
        if (!typecheck) continue;
        for (const [label, dir] of [
          ["full submission", subs.full],
          ["memory bomb: 8 MiB arrays in a loop", subs.hoard],
          ["memory bomb: one 2 GiB array filled", subs.big],
        ] as const) {
          let peak = 0;
          let sampler: NodeJS.Timeout | undefined;
          const run = await harness.run({
            submission: dir,
            onSpawn: (pid) => {
              sampler = setInterval(() => (peak = Math.max(peak, treeRss(pid))), 5);
            },
          });
          clearInterval(sampler);
          const kills = (run.stdout.match(/memory limit: resident \d+ MiB/g) ?? []).map((m) => m.replace(/\D+/g, ""));
          report.memory.push({
            label,
            peakMiB: peak / 2 ** 20,
            seconds: run.seconds,
            score: scoreOf(run.resultsText),
            detail: kills.length ? `sandbox killed ${kills.length}x at ${Math.min(...kills.map(Number))}-${Math.max(...kills.map(Number))} MiB resident` : "",
          });
          options.log(`  ${label}: peak ${(peak / 2 ** 20).toFixed(0)} MiB, score ${scoreOf(run.resultsText)}`);
        }
      } finally {
        harness.dispose();
      }
    }
  } finally {
    rmSync(tmp, { recursive: true, force: true });
  }
  return report;
}

export async function runLargeClassBench(subs: string[], small: number, log: (line: string) => void): Promise<LargeClassBench> {
  const line = (g: GradingRun) =>
    `  ${g.submissions}: ${g.secondsPerSubmission.toFixed(3)} s and ${g.cpuSecondsPerSubmission.toFixed(3)} CPU s each, peak ${g.peakRssMiB.toFixed(0)} MiB`;
  log(`Large class: grading ${small}, ${subs.length} and again ${small} submissions with --jobs 2...`);
  const before = await runGrading(subs.slice(0, small), 2);
  log(line(before));
  const large = await runGrading(subs, 2);
  log(line(large));
  const after = await runGrading(subs.slice(0, small), 2);
  log(line(after));
  for (const run of [before, large, after]) if (run.exitCode !== 0) throw new Error(`tsnb grade exited with ${run.exitCode}`);
  return { small: [before, after], large };
}

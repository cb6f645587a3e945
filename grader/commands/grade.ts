import os from "node:os";
import path from "node:path";
import { Command, InvalidArgumentError } from "commander";
import { loadAssignment } from "../assignment/load";
import { gradeBatch, hiddenTests, SubmissionGrade, SubmissionInput } from "../grading/batch";
import { SandboxLimits } from "../sandbox/host";
import { exerciseScore } from "../results/csv";
import { textTable } from "../results/table";
import { writeResults } from "../results/write";
import { createProgress } from "./progress";

export function positiveInt(value: string): number {
  const n = Number(value);
  if (!Number.isInteger(n) || n < 1) throw new InvalidArgumentError("expected a whole number of at least 1");
  return n;
}

export function positiveNumber(value: string): number {
  const n = Number(value);
  if (!Number.isFinite(n) || n <= 0) throw new InvalidArgumentError("expected a number above 0");
  return n;
}

/** Folder-safe, unique names for submissions: the file or folder name without .ipynb. */
export function submissionNames(inputs: string[]): SubmissionInput[] {
  const used = new Map<string, number>();
  return inputs.map((input) => {
    const base = path.basename(path.resolve(input)).replace(/\.ipynb$/, "").replace(/[^\w.-]+/g, "_") || "submission";
    const count = used.get(base) ?? 0;
    used.set(base, count + 1);
    return { name: count ? `${base}-${count + 1}` : base, input: path.resolve(input) };
  });
}

export interface LimitOptions {
  timeout?: number;
  submissionTimeout?: number;
  memory?: number;
}

export function limitsFrom(opts: LimitOptions): Partial<SandboxLimits> {
  const limits: Partial<SandboxLimits> = {};
  if (opts.timeout) limits.callTimeoutMs = opts.timeout * 1000;
  if (opts.submissionTimeout) limits.totalBudgetMs = opts.submissionTimeout * 1000;
  if (opts.memory) limits.memoryMb = opts.memory;
  return limits;
}

export function addLimitOptions(cmd: Command): Command {
  return cmd
    .option("--timeout <seconds>", "time limit for one call of a learner function", positiveNumber, 5)
    .option("--submission-timeout <seconds>", "time limit for all calls of one submission", positiveNumber, 120)
    .option("--memory <MiB>", "memory limit of a submission's sandbox process", positiveInt, 512);
}

export function summaryTable(grades: SubmissionGrade[], exercises: string[]): string {
  const header = ["submission", ...exercises.map((_, i) => `E${i + 1}`), "score", "notes"];
  const rows = grades.map((g) => [
    g.name,
    ...exercises.map((e) => {
      const s = exerciseScore(g, e);
      return s.max ? `${round(s.score)}/${round(s.max)}` : "-";
    }),
    `${round(g.score)}/${round(g.maxScore)}`,
    g.graderError ? "GRADER ERROR" : g.fatal ? "unreadable" : g.problems.filter((p) => p.kind !== "type-error").length ? `${g.problems.length} note(s)` : g.problems.length ? "type errors" : "",
  ]);
  const legend = exercises.map((e, i) => `E${i + 1}=${e}`).join("  ");
  return textTable(header, rows, ["left", ...exercises.map(() => "right" as const), "right"]) + legend + "\n";
}

function round(n: number): number {
  return Math.round(n * 100) / 100;
}

export function registerGradeCommand(program: Command): void {
  addLimitOptions(
    program
      .command("grade")
      .description("Grade submissions with the assignment's hidden Jest tests; writes results.json, feedback.html and grades.csv")
      .argument("<assignment-dir>", "the assignment folder (source notebooks and hidden-tests/)")
      .argument("<submissions...>", "submitted notebooks (.ipynb) or folders of notebooks, one submission each")
      .option("--out <dir>", "where to write results", "results")
      .option("--jobs <n>", "submissions graded in parallel", positiveInt, Math.max(1, os.availableParallelism()))
      .option("--no-typecheck", "skip the type check of learner code (type errors are only reported, never penalized)")
      .option("--keep-work", "keep the temporary work folder for debugging"),
  ).action(async (assignmentDir: string, inputs: string[], opts: LimitOptions & { out: string; jobs: number; typecheck: boolean; keepWork?: boolean }) => {
    const assignment = loadAssignment(assignmentDir);
    if (assignment.hiddenTests.length === 0) throw new Error(`${assignmentDir} has no hidden tests (expected ${path.join(assignmentDir, "hidden-tests", "*.test.ts")})`);
    const submissions = submissionNames(inputs);
    const progress = createProgress(submissions.length, "grading");
    const started = Date.now();
    let grades: SubmissionGrade[];
    try {
      grades = await gradeBatch({
        assignment,
        submissions,
        tests: hiddenTests(assignment.hiddenTests),
        jobs: opts.jobs,
        limits: limitsFrom(opts),
        typeCheck: opts.typecheck,
        keepWork: opts.keepWork,
        onSubmissionDone: (name) => progress.tick(name),
      });
    } finally {
      progress.stop();
    }
    const seconds = (Date.now() - started) / 1000;
    const written = writeResults(path.resolve(opts.out), assignment, grades);
    const exercises = assignment.exercises.map((e) => e.name);
    process.stdout.write(summaryTable(grades, exercises));
    process.stdout.write(
      `\nGraded ${grades.length} submission(s) in ${seconds.toFixed(1)} s (${(seconds / Math.max(1, grades.length)).toFixed(2)} s each, --jobs ${opts.jobs}).\n` +
        `Results: ${written.dir} (grades.csv, <submission>/results.json, <submission>/feedback.html; instructor log: ${path.basename(written.logFile)})\n`,
    );
    const failed = grades.filter((g) => g.graderError);
    if (failed.length) {
      process.stderr.write(`tsnb: the grader could not grade ${failed.length} submission(s): ${failed.map((g) => `${g.name} (${g.graderError})`).join("; ")}\n`);
      process.exitCode = 1;
    }
  });
}

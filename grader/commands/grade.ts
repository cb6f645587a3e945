import os from "node:os";
import path from "node:path";
import type { Language } from "@course-kit/kernel-helpers/messages";
import { Command, InvalidArgumentError } from "commander";
import { loadAssignment } from "../assignment/load";
import { gradeBatch, hiddenTests, SubmissionGrade, SubmissionInput } from "../grading/batch";
import { formatShard, parseShard, selectShard, Shard, ShardError } from "../grading/shard";
import { signalDescendants } from "../process/tree";
import { onStopSignal, STOP_EXIT_CODES } from "../process/stop";
import { SandboxLimits } from "../sandbox/host";
import { detectIsolation, ISOLATION_MODES, IsolationMode, SandboxLaunch } from "../sandbox/isolation";
import { exerciseScore } from "../results/csv";
import { acquireRunLock, RunLock } from "../results/lock";
import { buildManifest, writeManifest } from "../results/manifest";
import { byCodeUnits } from "../results/order";
import { graderVersion, planRun } from "../results/resume";
import { textTable } from "../results/table";
import { ResultsWriter } from "../results/write";
import { buildClassReport, ReportInput, reportTimings } from "../report/model";
import { diffRuns, readPreviousRun, regradeText } from "../report/regrade";
import type { RegradeDiff } from "../report/schema";
import { writeClassReport, WrittenReport } from "../report/write";
import { LANGUAGE_OPTION } from "./language";
import { outputFolder } from "./output-folder";
import { createProgress, Progress } from "./progress";

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

/**
 * Folder-safe, unique names for submissions: the file or folder name without .ipynb. The list
 * comes back sorted by name, and names that clash are told apart in the order of their full
 * paths, so the order the submissions are given in changes nothing (deterministic grading). A path
 * given twice (overlapping globs) is one submission.
 */
export function submissionNames(inputs: string[]): SubmissionInput[] {
  const used = new Map<string, number>();
  return [...new Set(inputs.map((input) => path.resolve(input)))]
    .sort(byCodeUnits)
    .map((input) => {
      // No leading dot: names are folders in --out, beside the grader's own `.tsnb`.
      const base =
        path
          .basename(input)
          .replace(/\.ipynb$/, "")
          .replace(/[^\w.-]+/g, "_")
          .replace(/^\.+/, "_") || "submission";
      const count = used.get(base) ?? 0;
      used.set(base, count + 1);
      return { name: count ? `${base}-${count + 1}` : base, input };
    })
    .sort((a, b) => byCodeUnits(a.name, b.name));
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
    g.graderError
      ? "GRADER ERROR"
      : g.fatal
        ? "unreadable"
        : g.problems.filter((p) => p.kind !== "type-error").length
          ? `${g.problems.length} note(s)`
          : g.problems.length
            ? "type errors"
            : "",
  ]);
  const legend = exercises.map((e, i) => `E${i + 1}=${e}`).join("  ");
  return textTable(header, rows, ["left", ...exercises.map(() => "right" as const), "right"]) + legend + "\n";
}

function round(n: number): number {
  return Math.round(n * 100) / 100;
}

function shardOption(value: string): Shard {
  try {
    return parseShard(value);
  } catch (err) {
    if (err instanceof ShardError) throw new InvalidArgumentError(err.message);
    throw err;
  }
}

function isolationMode(value: string): IsolationMode {
  if (!(ISOLATION_MODES as string[]).includes(value)) throw new InvalidArgumentError(`expected one of ${ISOLATION_MODES.join(", ")}`);
  return value as IsolationMode;
}

interface GradeOptions extends LimitOptions {
  lang?: Language;
  out: string;
  jobs: number;
  typecheck: boolean;
  keepWork?: boolean;
  isolation: IsolationMode;
  resume?: boolean;
  shard?: Shard;
  timings: boolean;
  compare?: string;
}

/**
 * The line the terminal shows about how learner code was isolated, with this run's task limit
 * (it depends on what else the machine runs, so the log, which must not change between runs,
 * has the summary alone).
 */
function isolationLine(launch: SandboxLaunch): string {
  const tasks = launch.bwrap?.prlimit ? ` (task limit now: ${launch.bwrap.limits.processes})` : "";
  return `Isolation: ${launch.summary}${tasks}`;
}

/** What a stop request needs to know of a run; the writer and progress bar join once they exist. */
interface RunState {
  outDir: string;
  submissions: SubmissionInput[];
  lock: RunLock;
  controller: AbortController;
  progress?: Progress;
  writer?: ResultsWriter;
  /** Writes the class report of what is graded so far; set once the writer exists. */
  writeReport?: (stopped?: ReportInput["stopped"]) => { files: WrittenReport; regrade?: RegradeDiff };
}

/**
 * On Ctrl-C or SIGTERM: everything finished is on disk already (written atomically as it
 * finished), so end the run's processes, write the class report of the graded part (marked
 * incomplete, so an earlier run's report is never left beside these results), say what is
 * missing, release the lock, and leave.
 */
function stopCleanly(run: RunState): () => void {
  return onStopSignal((signal) => {
    run.progress?.stop();
    signalDescendants(process.pid, "SIGKILL");
    run.controller.abort();
    run.lock.release();
    const graded = new Set(run.writer?.all().map((g) => g.name) ?? []);
    const missing = run.submissions.filter((s) => !graded.has(s.name)).map((s) => s.name);
    let reportLine = "";
    try {
      if (run.writeReport) reportLine = `Class report of the graded part: ${run.writeReport({ signal, notGraded: missing }).files.html}\n`;
    } catch (err) {
      reportLine = `The class report could not be written: ${(err as Error).message}\n`;
    }
    process.stderr.write(
      `\ntsnb: stopped by ${signal}. ${graded.size} of ${run.submissions.length} submission(s) are graded and saved in ${run.outDir}; ` +
        `not graded (${missing.length}): ${missing.join(", ") || "none"}.\n${reportLine}Run the same command with --resume to grade the rest.\n`,
    );
    process.exit(STOP_EXIT_CODES[signal]);
  });
}

export function registerGradeCommand(program: Command): void {
  addLimitOptions(
    program
      .command("grade")
      .description(
        "Grade submissions with the assignment's hidden Jest tests; writes results.json, feedback.html, grades.csv and the class report (report.html, report.json)",
      )
      .argument("<assignment-dir>", "the assignment folder (source notebooks and hidden-tests/)")
      .argument("<submissions...>", "submitted notebooks (.ipynb) or folders of notebooks, one submission each")
      .option("--out <dir>", "where to write results", "results")
      .option("--jobs <n>", "submissions graded in parallel", positiveInt, Math.max(1, os.availableParallelism()))
      .option("--no-typecheck", "skip the type check of learner code (type errors are only reported, never penalized)")
      .option("--keep-work", "keep the temporary work folder for debugging")
      .option(
        "--isolation <mode>",
        "auto: learner code runs in bubblewrap where this machine allows it, else with Node's permission model only (said in the output, the log and results.json); strict: refuse to grade without bubblewrap; basic: Node's permission model only (see tsnb doctor)",
        isolationMode,
        "auto",
      )
      .option("--resume", "grade only the submissions without up-to-date results in --out (same notebooks, assignment, settings and grader); keep the others")
      .option(
        "--no-timings",
        "leave out the timing fields (execution_time, durationMs, seconds, the log's time stamp; see docs/determinism.md): the output folder is then the same, byte for byte, every time the same submissions are graded",
      )
      .option(
        "--shard <K/N>",
        "grade only shard K of N: a stable subset chosen by a hash of each submission's name (combine the shards with tsnb merge)",
        shardOption,
      )
      .option(
        "--compare <results-dir>",
        "compare with an earlier tsnb grade output folder: print, write to regrade.csv and add to report.html every learner whose total changes, with the tests that changed status",
      )
      .option(...LANGUAGE_OPTION),
  ).action(async (assignmentDir: string, inputs: string[], opts: GradeOptions) => {
    const assignment = loadAssignment(assignmentDir);
    if (assignment.hiddenTests.length === 0)
      throw new Error(`${assignmentDir} has no hidden tests (expected ${path.join(assignmentDir, "hidden-tests", "*.test.ts")})`);
    // Read before grading: a wrong folder fails at once, and --compare may name --out itself.
    const previous = opts.compare === undefined ? undefined : readPreviousRun(opts.compare, assignment.name);
    const batch = submissionNames(inputs);
    if (batch.length < inputs.length)
      process.stdout.write(`${inputs.length - batch.length} submission path(s) were given more than once; each submission is graded once.\n`);
    const submissions = opts.shard ? selectShard(batch, opts.shard) : batch;
    if (opts.shard) process.stdout.write(`Shard ${formatShard(opts.shard)}: ${submissions.length} of ${batch.length} submission(s).\n`);
    const outDir = outputFolder(opts.out);
    const lock = acquireRunLock(outDir, `tsnb grade ${process.argv.slice(3).join(" ")}`);
    const run: RunState = { outDir, submissions, lock, controller: new AbortController() };
    const removeStopHandlers = stopCleanly(run);
    try {
      const launch = detectIsolation(opts.isolation, opts.jobs);
      process.stdout.write(`${isolationLine(launch)}\n`);
      if (lock.tookOver)
        process.stdout.write(`Took over the lock of an earlier run that is no longer running (pid ${lock.tookOver.pid}, started ${lock.tookOver.started}).\n`);

      // Without timings the files differ from a run with them: a setting of its own (so --resume and
      // tsnb merge never mix the two), recorded only when off, so other runs keep their fingerprints.
      const settings = {
        limits: limitsFrom(opts),
        typeCheck: opts.typecheck,
        lang: opts.lang ?? assignment.language,
        ...(opts.timings ? {} : { timings: false }),
      };
      const plan = planRun(outDir, assignment, submissions, settings, opts.resume === true);
      writeManifest(outDir, buildManifest({ assignment, batch, submissions, shard: opts.shard, settings }));
      const { carried, todo } = plan;
      if (opts.resume) process.stdout.write(`--resume: ${carried.length} of ${submissions.length} submission(s) already graded; grading ${todo.length}.\n`);
      const writer = new ResultsWriter(outDir, assignment, {
        order: submissions.map((s) => s.name),
        launch,
        fingerprints: plan.fingerprints,
        header: [
          `tsnb grade ${graderVersion()}${opts.timings ? `, ${new Date().toISOString()}` : ""}`,
          `Isolation: ${launch.summary}`,
          `Learner-facing language: ${settings.lang}`,
        ],
        timings: opts.timings,
      });
      writer.carryOver(carried);
      const progress = createProgress(todo.length, "grading");
      const started = Date.now();
      let seconds = 0;
      const writeReport = (stopped?: ReportInput["stopped"]) => {
        const grades = writer.all();
        const regrade = previous && diffRuns(previous, grades);
        const files = writeClassReport(
          outDir,
          buildClassReport({
            assignment,
            language: settings.lang,
            grader: graderVersion(),
            launch,
            grades,
            regrade,
            stopped,
            // The report's one varying part: gone with --no-timings, like the other timing fields.
            timings: opts.timings && !stopped ? reportTimings(grades, new Set(todo.map((s) => s.name)), todo.length ? seconds : 0, opts.jobs) : undefined,
          }),
        );
        return { files, regrade };
      };
      Object.assign(run, { writer, progress, writeReport });

      if (todo.length === 0) writer.write([]);
      else {
        try {
          await gradeBatch({
            assignment,
            submissions: todo,
            tests: hiddenTests(assignment.hiddenTests),
            jobs: opts.jobs,
            limits: settings.limits,
            typeCheck: opts.typecheck,
            lang: settings.lang,
            keepWork: opts.keepWork,
            launch,
            signal: run.controller.signal,
            onSubmissionDone: (name) => progress.tick(name),
            onGraded: (grades) => writer.write(grades),
          });
        } finally {
          progress.stop();
        }
      }
      seconds = (Date.now() - started) / 1000;
      const grades = writer.all();
      const exercises = assignment.exercises.map((e) => e.name);
      process.stdout.write(summaryTable(grades, exercises));
      const { files: reportFiles, regrade } = writeReport();
      if (regrade) process.stdout.write(`\n${regradeText(regrade)}`);
      const resumed = carried.length ? ` (${carried.length} more kept from an earlier run)` : "";
      const graded = todo.length
        ? `Graded ${todo.length} submission(s) in ${seconds.toFixed(1)} s (${(seconds / todo.length).toFixed(2)} s each, --jobs ${opts.jobs})${resumed}.`
        : `Nothing to grade: all ${carried.length} submission(s) were graded by an earlier run.`;
      process.stdout.write(
        `\n${graded}\n` +
          `${isolationLine(launch)}\n` +
          `Results: ${outDir} (grades.csv, <submission>/results.json, <submission>/feedback.html; instructor log: ${path.basename(writer.written.logFile)})\n` +
          `Class report: ${reportFiles.html} (numbers in report.json${reportFiles.regradeCsv ? "; regrade.csv" : ""})\n`,
      );
      const failed = grades.filter((g) => g.graderError);
      if (failed.length) {
        process.stderr.write(
          `tsnb: the grader could not grade ${failed.length} submission(s): ${failed.map((g) => `${g.name} (${g.graderError})`).join("; ")}\n`,
        );
        process.exitCode = 1;
      }
    } finally {
      removeStopHandlers();
      lock.release();
    }
  });
}

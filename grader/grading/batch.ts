/**
 * Grade a batch of submissions with one Jest run: extract each submission's cells, compile
 * them, type-check them beside the run, and grade groups of submissions per generated test
 * file (see jest/environment.ts). Jest starts once, its workers and transform cache serve the
 * whole batch, and every submission still gets a sandbox process of its own. Each group's
 * grades are handed over (onGraded) as soon as its test file finishes, so that a batch that is
 * stopped part-way keeps what it finished.
 */
import { chmodSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import os from "node:os";
import path from "node:path";
import type { AggregatedResult, TestResult } from "@jest/test-result";
import { Language, message } from "@course-kit/kernel-helpers/messages";
import { Assignment } from "../assignment/load";
import type { EnvironmentOptions, SandboxReport } from "../jest/environment";
import { REGISTRY_GLOBAL } from "../jest/registry";
import { progressEvents } from "../jest/progress-reporter";
import { disposeWarmSandboxes, SandboxLimits } from "../sandbox/host";
import { detectIsolation, SandboxLaunch } from "../sandbox/isolation";
import { writeOfferedModules } from "../sandbox/offered-modules";
import { PROGRAM_FILE } from "../sandbox/protocol";
import { POINTS_MARKER } from "../testing";
import { compileProgram, extractSubmission, ExtractedSubmission, Problem } from "../submission/extract";
import { TypeCheckBatch } from "../submission/typecheck";

export interface SubmissionInput {
  name: string;
  input: string;
}

export interface TestOutcome {
  exercise: string;
  /** Title without the points marker. */
  title: string;
  /** "<exercise>: <title>", the name reported to Gradescope. */
  name: string;
  maxScore: number;
  score: number;
  passed: boolean;
  /** Learner-facing message (empty when passed). */
  message: string;
  /** `<exercise>/<id>` of the catalogued mistake the failing result matched (instructor-facing). */
  misconception?: string;
  /** The learner's code ran out of time on this test (instructor-facing). */
  timedOut?: boolean;
  /** A timing: left out with --no-timings (results/timings.ts). */
  durationMs?: number;
}

export interface SubmissionGrade {
  name: string;
  input: string;
  /** The language of every learner-facing text of this grade (messages, notes). */
  language: Language;
  tests: TestOutcome[];
  score: number;
  maxScore: number;
  problems: Problem[];
  /** What the learner's code printed while graded (capped). */
  learnerOutput: string;
  /** The submission could not be read at all. */
  fatal?: string;
  /** The grader itself failed on this submission (instructor-facing). */
  graderError?: string;
  /** Instructor-only details: sandbox log, raw failure messages. */
  instructorLog: string[];
  /** A timing (this submission's share of its group's Jest run): left out with --no-timings. */
  seconds?: number;
}

/**
 * What is worth keeping of a grade once its files are written: everything but the learner's
 * output and the instructor log (the bulk of a grade), so that a large class fits in flat memory.
 */
export function compactGrade(grade: SubmissionGrade): SubmissionGrade {
  return { ...grade, learnerOutput: "", instructorLog: [] };
}

export interface BatchOptions {
  assignment: Assignment;
  submissions: SubmissionInput[];
  /** What to run against every submission: hiddenTests(...) or publicChecks(...). */
  tests: TestPlan;
  jobs: number;
  limits?: Partial<SandboxLimits>;
  /** Keep the work folder (for debugging). */
  keepWork?: boolean;
  /** Type-check learner cells and report type errors as feedback. */
  typeCheck?: boolean;
  onSubmissionDone?: (name: string) => void;
  /**
   * Grades of submissions whose tests have finished, group by group, before the batch ends.
   * When given, the batch keeps (and returns) only compact grades (see compactGrade): the
   * caller has the whole ones.
   */
  onGraded?: (grades: SubmissionGrade[]) => void;
  /** How sandboxes are isolated; detectIsolation("auto") when absent. */
  launch?: SandboxLaunch;
  /** Aborting removes the work folder at once (the caller is about to exit). */
  signal?: AbortSignal;
  /** The language of learner-facing messages; the assignment's when absent. */
  lang?: Language;
}

/** The body of each submission's generated test file, and the folders whose paths must not leak. */
export interface TestPlan {
  body: string;
  privateRoots: string[];
}

const DIST_GRADER = path.join(__dirname, "..");
const PACKAGE_ROOT = path.join(DIST_GRADER, "..", "..");

export function hiddenTests(files: string[]): TestPlan {
  return { body: files.map((f) => `require(${JSON.stringify(f)});`).join("\n"), privateRoots: files.map((f) => path.dirname(f)) };
}

export function publicChecks(checksFile: string): TestPlan {
  const runner = path.join(DIST_GRADER, "jest", "public-checks.js");
  return { body: `require(${JSON.stringify(runner)}).registerPublicChecks(require(${JSON.stringify(checksFile)}).publicCases);`, privateRoots: [] };
}
const ENVIRONMENT = path.join(DIST_GRADER, "jest", "environment.js");
const COMPILE_CHUNK = 32;
const TRANSFORMER = path.join(DIST_GRADER, "jest", "esbuild-transformer.js");
const REPORTER = path.join(DIST_GRADER, "jest", "progress-reporter.js");
const TESTING = path.join(DIST_GRADER, "testing", "index.js");

/** Remove what could reveal a hidden test from a failure message: stack lines and file paths. */
export function sanitizeMessage(message: string, hiddenRoots: string[]): string {
  let text = message.replace(/\u001b\[[0-9;]*m/g, "");
  text = text
    .split("\n")
    .filter((line) => !/^\s*at\s/.test(line) && !/^\s*>?\s*\d+\s*\|/.test(line))
    .join("\n");
  for (const root of hiddenRoots) text = text.split(root).join("<tests>");
  return text.trim().slice(0, 2000);
}

/**
 * A failure's raw text for the instructor log, without the stack frames that tell nothing about
 * the test and that change with how Jest ran: Node's own, and the grader's (its TypeScript
 * source in an in-band run, the compiled JavaScript in a worker). The hidden test's frames stay,
 * with paths relative to the assignment, so the log does not depend on where it is graded from.
 */
export function instructorDetail(raw: string, assignmentDir: string): string {
  const own = [path.join(PACKAGE_ROOT, "grader") + path.sep, DIST_GRADER + path.sep];
  return raw
    .split("\n")
    .filter((line) => !/^\s*at\s/.test(line) || !(/\(node:|\sat node:/.test(line) || own.some((dir) => line.includes(dir))))
    .join("\n")
    .split(assignmentDir + path.sep)
    .join("<assignment>/");
}

const LEARNER_FACING = /^(GradingFailure|LearnerThrew): /;

function failureMessage(
  assertion: TestResult["testResults"][number],
  lang: Language,
): { learner: string; raw: string; misconception?: string; timedOut?: boolean } {
  const raw = assertion.failureMessages.join("\n");
  // In-band runs keep the thrown error; worker runs pass only its formatted text and own properties.
  const detail = assertion.failureDetails[0] as { message?: unknown; name?: unknown; misconception?: unknown; timedOut?: unknown } | undefined;
  const firstLine = raw.replace(/\u001b\[[0-9;]*m/g, "").split("\n")[0] ?? "";
  const name = typeof detail?.name === "string" ? detail.name : (/^(\w+): /.exec(firstLine)?.[1] ?? "");
  const text = typeof detail?.message === "string" ? detail.message : firstLine.replace(/^\w+: /, "");
  if (name === "GradingFailure" || LEARNER_FACING.test(firstLine)) {
    return {
      learner: text,
      raw,
      misconception: typeof detail?.misconception === "string" ? detail.misconception : undefined,
      timedOut: detail?.timedOut === true || undefined,
    };
  }
  if (/Exceeded timeout/.test(raw)) return { learner: message(lang, "test.outOfTime"), raw, timedOut: true };
  return { learner: message(lang, "test.couldNotCheck", { detail: `${name ? `${name}: ` : ""}${text}` }), raw };
}

const WORK_PREFIX = "tsnb-grade-";

/**
 * A grader killed with SIGKILL cannot remove its work folder; the next run does. Work folders
 * carry their run's pid, and only those whose process is gone are removed.
 */
function removeOrphanedWorkDirs(): void {
  let names: string[];
  try {
    names = readdirSync(os.tmpdir());
  } catch {
    return;
  }
  for (const name of names) {
    const pid = Number(new RegExp(`^${WORK_PREFIX}(\\d+)-\\w+$`).exec(name)?.[1]);
    if (!pid || pid === process.pid) continue;
    try {
      process.kill(pid, 0);
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code === "ESRCH") rmSync(path.join(os.tmpdir(), name), { recursive: true, force: true });
    }
  }
}

export async function gradeBatch(options: BatchOptions): Promise<SubmissionGrade[]> {
  const { assignment } = options;
  const lang = options.lang ?? assignment.language;
  const launch = options.launch ?? detectIsolation("auto", options.jobs);
  removeOrphanedWorkDirs();
  const work = mkdtempSync(path.join(os.tmpdir(), `${WORK_PREFIX}${process.pid}-`));
  const removeWork = () => {
    if (!options.keepWork) rmSync(work, { recursive: true, force: true });
  };
  options.signal?.addEventListener("abort", removeWork, { once: true });
  // The sandbox may run as `nobody`: it must be able to read the offered modules, nothing more.
  chmodSync(work, 0o755);
  const dirs = { programs: path.join(work, "programs"), tests: path.join(work, "tests"), modules: path.join(work, "modules") };
  for (const d of Object.values(dirs)) mkdirSync(d, { mode: 0o755 });
  const moduleFiles = writeOfferedModules(dirs.modules);

  try {
    // Submissions are read, laid out for the type check and compiled a few at a time, and their
    // cells' text then lives on disk only (the program, the type-check project): a large
    // batch's notebooks, cells and programs are never all in memory (nor all queued in
    // esbuild's service). Type errors are feedback only; the check runs beside Jest and joins
    // each group's results.
    const typeCheck = options.typeCheck === false ? undefined : new TypeCheckBatch(path.join(work, "typecheck"), lang);
    let typeCheckWriteFailure: string | undefined;
    const extracted: ExtractedSubmission[] = [];
    const programFiles: string[] = [];
    for (let start = 0; start < options.submissions.length; start += COMPILE_CHUNK) {
      const chunk = options.submissions.slice(start, start + COMPILE_CHUNK).map((s) => extractSubmission(assignment, s.input, s.name, lang));
      if (typeCheck && !typeCheckWriteFailure) {
        try {
          typeCheck.add(chunk.map((sub) => sub.sources));
        } catch (err) {
          typeCheckWriteFailure = (err as Error).message;
        }
      }
      const programs = await Promise.all(chunk.map((sub) => compileProgram(sub.sources, sub.problems, lang)));
      programs.forEach((program, k) => {
        const programDir = path.join(dirs.programs, String(start + k));
        mkdirSync(programDir, { mode: 0o755 });
        const programFile = path.join(programDir, PROGRAM_FILE);
        writeFileSync(programFile, JSON.stringify(program), { mode: 0o644 });
        programFiles.push(programFile);
      });
      for (const sub of chunk) sub.sources = [];
      extracted.push(...chunk);
    }
    typeCheck?.close();
    /** Submission i's type errors joined to its problems (once), and why the check failed, if it did. */
    const typeChecked = async (i: number): Promise<string | undefined> => {
      if (!typeCheck || typeCheckWriteFailure) return typeCheckWriteFailure;
      const { problems, failure } = await typeCheck.problemsOf(i);
      if (!failure) extracted[i].problems.push(...problems);
      return failure;
    };

    const hiddenRoots = [...options.tests.privateRoots, assignment.dir];
    const grades: SubmissionGrade[] = [];
    const deliveries: Promise<void>[] = [];
    let deliveryFailure: { error: unknown } | undefined;
    /** Grade a finished group and hand its grades over once the type check has joined. */
    const deliver = (group: GroupResult): void => {
      deliveries.push(
        Promise.all(group.indices.map(typeChecked))
          .then((typeCheckFailures) => {
            const graded = group.indices.map((i, k) => {
              const assertions = group.result?.testResults.filter((a) => a.ancestorTitles[0] === groupTitle(k)) ?? [];
              const outcome = { assertions, execError: group.execError, execStack: group.execStack, seconds: group.seconds / group.indices.length };
              const grade = toGrade(extracted[i], outcome, readReport(path.join(dirs.programs, String(i))), hiddenRoots, assignment.dir, lang);
              if (typeCheckFailures[k]) grade.instructorLog.push(`type check skipped: ${typeCheckFailures[k]}`);
              return grade;
            });
            options.onGraded?.(graded);
            group.indices.forEach((i, k) => (grades[i] = options.onGraded ? compactGrade(graded[k]) : graded[k]));
            // Jest keeps every file's result until its run ends: drop what has been read, so that
            // a large batch does not hold every assertion of every submission in memory.
            if (group.result) {
              group.result.testResults = [];
              group.result.failureMessage = null;
            }
          })
          .catch((err: unknown) => {
            // Reported once the run is over (e.g. the results folder could not be written).
            deliveryFailure ??= { error: err };
          }),
      );
    };

    const env = { moduleFiles, limits: options.limits, prewarm: extracted.length > 1, launch, lang };
    // A group whose test file could not run at all is graded again one submission per file, so
    // that one submission's failure cannot take its group down with it.
    const failedGroups = await runGroups(dirs.tests, "pass1", groupSubmissions(extracted.length, options.jobs), programFiles, env, options, (group) => {
      group.indices.forEach((i) => options.onSubmissionDone?.(extracted[i].name));
      if (!group.execError) deliver(group);
    });
    if (failedGroups.length) {
      const retry = failedGroups.flatMap((r) => r.indices).map((i) => [i]);
      await runGroups(dirs.tests, "pass2", retry, programFiles, env, options, deliver);
    }
    await Promise.all(deliveries);
    if (deliveryFailure) throw deliveryFailure.error;
    return extracted.map((sub, i) => grades[i] ?? toGrade(sub, undefined, undefined, hiddenRoots, assignment.dir, lang));
  } finally {
    options.signal?.removeEventListener("abort", removeWork);
    removeWork();
  }
}

type AssertionResult = TestResult["testResults"][number];

interface GroupResult {
  indices: number[];
  result?: TestResult;
  execError?: string;
  execStack?: string;
  seconds: number;
}

/** Submissions per generated test file: enough to spread Jest's per-file cost, not so many that the workers go unbalanced. */
export function groupSubmissions(count: number, jobs: number): number[][] {
  const size = Math.min(16, Math.max(1, Math.ceil(count / (Math.max(1, jobs) * 4))));
  const groups: number[][] = [];
  for (let i = 0; i < count; i += size) groups.push(Array.from({ length: Math.min(size, count - i) }, (_, k) => i + k));
  return groups;
}

function groupTitle(k: number): string {
  return `submission ${k}`;
}

/** One generated test file per group; each submission's tests load afresh in their own describe block. */
function groupTestFile(options: EnvironmentOptions, body: string): string {
  return `/**
 * @jest-environment-options ${JSON.stringify({ tsnb: options })}
 */
const registry = globalThis.${REGISTRY_GLOBAL};
for (let k = 0; k < ${options.programFiles.length}; k++) {
  describe(${JSON.stringify(groupTitle(0).replace(/0$/, ""))} + k, () => {
    registry.current = k;
    registry.reseed();
    beforeAll(() => registry.reseed());
    jest.isolateModules(() => {
${body}
    });
    afterAll(() => registry.finish(k));
  });
}
`;
}

/**
 * Run one Jest pass over `groups`. Each group is handed to `onGroup` as soon as its file
 * finishes; the groups whose file could not run at all (or gave no result) are returned, after
 * `onGroup` saw them, for the caller to retry or report.
 */
async function runGroups(
  testsDir: string,
  pass: string,
  groups: number[][],
  programFiles: string[],
  env: Omit<EnvironmentOptions, "programFiles">,
  options: BatchOptions,
  onGroup: (group: GroupResult) => void,
): Promise<GroupResult[]> {
  const dir = path.join(testsDir, pass);
  mkdirSync(dir, { mode: 0o755 });
  const fileGroup = new Map<string, number[]>();
  groups.forEach((indices, g) => {
    const file = path.join(dir, `group-${g}.test.js`);
    writeFileSync(file, groupTestFile({ ...env, programFiles: indices.map((i) => programFiles[i]) }, options.tests.body));
    fileGroup.set(file, indices);
  });
  const seen = new Set<string>();
  const failed: GroupResult[] = [];
  const onFile = (testPath: string, result: TestResult) => {
    const indices = fileGroup.get(testPath);
    if (!indices || seen.has(testPath)) return;
    seen.add(testPath);
    // With --keep-work the folder stays to be looked at: its path is worth more than a stable log.
    const group = groupResult(indices, result, options.keepWork ? undefined : path.dirname(testsDir));
    if (group.execError) failed.push(group);
    onGroup(group);
  };
  progressEvents.on("file", onFile);
  try {
    await runJest(path.dirname(testsDir), dir, options.jobs);
  } finally {
    progressEvents.off("file", onFile);
    disposeWarmSandboxes();
  }
  for (const [file, indices] of fileGroup) {
    if (seen.has(file)) continue;
    const group: GroupResult = { indices, execError: "Jest produced no result for this submission", seconds: 0 };
    failed.push(group);
    onGroup(group);
  }
  return failed;
}

function groupResult(indices: number[], result: TestResult, workDir?: string): GroupResult {
  const seconds = (result.perfStats.runtime || 0) / 1000;
  if (result.testExecError) {
    // The run's temporary folder has a random name: say <work> instead, as the log must not change between runs.
    const unnamed = (text: string) => (workDir ? text.split(workDir).join("<work>") : text);
    const { message: what, stack } = result.testExecError;
    return { indices, result, execError: `the tests could not run: ${unnamed(what)}`, execStack: stack ? unnamed(stack) : undefined, seconds };
  }
  return { indices, result, seconds };
}

function readReport(programDir: string): SandboxReport | undefined {
  try {
    return JSON.parse(readFileSync(path.join(programDir, "sandbox-report.json"), "utf8")) as SandboxReport;
  } catch {
    return undefined;
  }
}

function toGrade(
  sub: ExtractedSubmission,
  outcome: { assertions: AssertionResult[]; execError?: string; execStack?: string; seconds: number } | undefined,
  report: SandboxReport | undefined,
  hiddenRoots: string[],
  assignmentDir: string,
  lang: Language,
): SubmissionGrade {
  const instructorLog = [...(report?.log ?? [])];
  const tests: TestOutcome[] = [];
  let graderError: string | undefined;
  if (!outcome) {
    graderError = "Jest produced no result for this submission";
  } else if (outcome.execError) {
    graderError = outcome.execError;
    instructorLog.push(outcome.execStack ?? outcome.execError);
  }
  for (const a of outcome?.assertions ?? []) {
    const marker = POINTS_MARKER.exec(a.title);
    const maxScore = marker ? Number(marker[1]) : 0;
    const title = marker ? a.title.slice(0, marker.index) : a.title;
    const exercise = a.ancestorTitles[1] ?? "other";
    const passed = a.status === "passed";
    let text = "";
    let misconception: string | undefined;
    let timedOut: boolean | undefined;
    if (!passed) {
      const f = failureMessage(a, lang);
      text = a.status === "failed" ? sanitizeMessage(f.learner, hiddenRoots) : message(lang, "test.notRun", { status: a.status });
      misconception = f.misconception;
      timedOut = f.timedOut;
      instructorLog.push(`${exercise}: ${title}${misconception ? ` [misconception ${misconception}]` : ""}\n${instructorDetail(f.raw, assignmentDir)}`);
    }
    tests.push({
      exercise,
      title,
      name: `${exercise}: ${title}`,
      maxScore,
      score: passed ? maxScore : 0,
      passed,
      message: text,
      misconception,
      ...(timedOut ? { timedOut } : {}),
      durationMs: a.duration ?? 0,
    });
  }
  const score = tests.reduce((s, t) => s + t.score, 0);
  const maxScore = tests.reduce((s, t) => s + t.maxScore, 0);
  return {
    name: sub.name,
    input: sub.input,
    language: lang,
    tests,
    score,
    maxScore,
    problems: sub.problems,
    learnerOutput: report?.output ?? "",
    fatal: sub.fatal,
    graderError,
    instructorLog,
    seconds: outcome?.seconds ?? 0,
  };
}

/** Jest's cache holds the transformed hidden tests: readable by the grader's user only. */
function jestCacheDir(): string {
  const dir = path.join(os.tmpdir(), "tsnb-jest-cache");
  mkdirSync(dir, { recursive: true, mode: 0o700 });
  try {
    chmodSync(dir, 0o700);
  } catch {
    /* another user's folder: Jest reports it if it cannot write there */
  }
  return dir;
}

async function runJest(rootDir: string, testsDir: string, jobs: number): Promise<AggregatedResult> {
  const { runCLI } = await import("jest");
  const config = {
    rootDir,
    roots: [testsDir],
    testMatch: ["**/*.test.js"],
    testEnvironment: ENVIRONMENT,
    transform: { "\\.[cm]?tsx?$": TRANSFORMER },
    moduleNameMapper: { "^tsnb/testing$": TESTING },
    // Assignment files outside this package (a release elsewhere) still find the kit's packages.
    modulePaths: [path.join(PACKAGE_ROOT, "node_modules")],
    moduleFileExtensions: ["js", "ts", "json", "cjs", "mjs"],
    cacheDirectory: jestCacheDir(),
    testTimeout: 120_000,
  };
  const { results } = await runCLI(
    {
      _: [],
      $0: "tsnb",
      config: JSON.stringify(config),
      runInBand: jobs <= 1,
      maxWorkers: Math.max(1, jobs),
      // Workers are recycled when they grow past this (Jest's remedy for per-file leaks), so
      // that a batch of any size runs in flat memory; a new worker recomputes the fixtures.
      workerIdleMemoryLimit: "75MB",
      silent: true,
      reporters: [REPORTER],
      ci: true,
      watchman: false,
      passWithNoTests: true,
    },
    [rootDir],
  );
  return results;
}

import { existsSync, statSync } from "node:fs";
import path from "node:path";
import { Command, InvalidArgumentError, Option } from "commander";
import { Language } from "@course-kit/kernel-helpers/messages";
import { VISIBILITIES } from "../results/gradescope";
import { exportGradescope } from "../export/gradescope/bundle";
import { DEFAULT_SANDBOX_MEMORY_MB, GRADER_HEAP_MB, GRADESCOPE_MEMORY_MB, LatePolicy } from "../export/gradescope/config";
import { positiveInt, positiveNumber } from "./grade";
import { LANGUAGE_OPTION } from "./language";

interface ExportOptions {
  out?: string;
  visibility: (typeof VISIBILITIES)[number];
  stdoutVisibility: (typeof VISIBILITIES)[number];
  typecheck: boolean;
  timeout: number;
  submissionTimeout: number;
  memory: number;
  timeLimit: number;
  latePenalty?: number;
  latePeriod: number;
  lateMax: number;
  lateGrace: number;
  lang?: Language;
}

function percent(value: string): number {
  const n = Number(value);
  if (!Number.isFinite(n) || n < 0 || n > 100) throw new InvalidArgumentError("expected a percentage from 0 to 100");
  return n;
}

function nonNegative(value: string): number {
  const n = Number(value);
  if (!Number.isFinite(n) || n < 0) throw new InvalidArgumentError("expected a number of at least 0");
  return n;
}

function latePolicy(opts: ExportOptions): LatePolicy | null {
  if (opts.latePenalty === undefined) return null;
  return { penaltyPercent: opts.latePenalty, periodHours: opts.latePeriod, maxPercent: opts.lateMax, graceMinutes: opts.lateGrace };
}

const HELP = `
The zip holds setup.sh and run_autograder at its root. Upload it on Gradescope (Programming
Assignment > Configure Autograder > Zip file upload, base image Ubuntu 22.04). Gradescope's
build runs setup.sh, which installs Node.js when missing, installs the grading packages and
grades your solution: the build fails unless the solution scores full marks.

Late policy (computed from the submission's time and its due date in Gradescope's metadata,
a user's extension included, so regrades give the same score):
  --late-penalty 10 --late-period 24 --late-max 50   10% per started day late, at most 50%

Example:
  tsnb export gradescope notebooks/week07-cnn --out week07-gradescope.zip --visibility after_due_date
`;

export function registerExportCommand(program: Command): void {
  const exp = program.command("export").description("Package an assignment for a grading platform");
  exp
    .command("gradescope")
    .description("Write the Gradescope autograder zip for an assignment (setup.sh, run_autograder, the grader and the hidden tests)")
    .argument("<assignment-dir>", "the assignment folder (source notebooks and hidden-tests/)")
    .option(
      "--out <file.zip>",
      "the zip to write, or a folder to write <assignment>-gradescope.zip into; missing folders are made (default: <assignment>-gradescope.zip here)",
    )
    .addOption(new Option("--visibility <when>", "when learners see the tests' results (and so their total)").choices(VISIBILITIES).default("visible"))
    .addOption(
      new Option("--stdout-visibility <when>", "when learners see the autograder's output (instructor notes, raw logs)")
        .choices(VISIBILITIES)
        .default("hidden"),
    )
    .option("--late-penalty <percent>", "late policy: percent of the score taken per started period after the due date (off by default)", percent)
    .option("--late-period <hours>", "late policy: length of one period", positiveNumber, 24)
    .option("--late-max <percent>", "late policy: largest total penalty", percent, 100)
    .option("--late-grace <minutes>", "late policy: minutes after the due date that cost nothing", nonNegative, 0)
    .option("--timeout <seconds>", "time limit for one call of a learner function", positiveNumber, 5)
    .option("--submission-timeout <seconds>", "time limit for all calls of one submission", positiveNumber, 120)
    .option(
      "--memory <MiB>",
      `memory limit of the learner sandbox (sized for Gradescope's ${GRADESCOPE_MEMORY_MB} MB container)`,
      positiveInt,
      DEFAULT_SANDBOX_MEMORY_MB,
    )
    .option("--time-limit <seconds>", "the autograder timeout set on Gradescope (its default is 600); results are written before it", positiveInt, 600)
    .option("--no-typecheck", "skip the type check of learner code (type errors are only reported, never penalized)")
    .option(...LANGUAGE_OPTION)
    .addHelpText("after", HELP)
    .action(async (assignmentDir: string, opts: ExportOptions) => {
      // Like cp: a folder given as --out receives the zip under its default name.
      const defaultName = `${path.basename(path.resolve(assignmentDir))}-gradescope.zip`;
      const out = opts.out === undefined ? defaultName : existsSync(opts.out) && statSync(opts.out).isDirectory() ? path.join(opts.out, defaultName) : opts.out;
      const summary = await exportGradescope(assignmentDir, out, {
        visibility: opts.visibility,
        stdoutVisibility: opts.stdoutVisibility,
        typecheck: opts.typecheck,
        limits: { callTimeoutMs: opts.timeout * 1000, totalBudgetMs: opts.submissionTimeout * 1000, memoryMb: opts.memory },
        late: latePolicy(opts),
        timeLimitSeconds: opts.timeLimit,
        language: opts.lang,
      });
      const c = summary.config;
      const deps = Object.entries(summary.dependencies).map(([n, v]) => `${n}@${v}`);
      process.stdout.write(
        `Wrote ${summary.file} (${(summary.bytes / 1024).toFixed(0)} KiB, ${summary.entries} files) for ${summary.assignment.name}: ` +
          `${summary.assignment.exercises.length} exercises, ${summary.assignment.totalPoints} points.\n` +
          `  npm packages installed by setup.sh: ${deps.join(", ")}\n` +
          (summary.testPackages.length ? `  (the hidden tests import ${summary.testPackages.join(", ")})\n` : "") +
          `  learners read: ${c.language}; tests visible: ${c.visibility}; stdout visible: ${c.stdoutVisibility}; type check: ${c.typecheck ? "on" : "off"}\n` +
          `  late policy: ${c.late ? `${c.late.penaltyPercent}% per ${c.late.periodHours} h started, at most ${c.late.maxPercent}%, ${c.late.graceMinutes} min grace` : "none"}\n` +
          `  limits: ${opts.timeout} s per call, ${opts.submissionTimeout} s per submission, sandbox ${c.limits.memoryMb} MiB, results within ${c.timeLimitSeconds} s\n` +
          `Upload it on Gradescope (Configure Autograder > Zip file upload, Ubuntu 22.04); the build fails unless your solution scores full marks.\n`,
      );
      if (c.limits.memoryMb + GRADER_HEAP_MB + 192 > GRADESCOPE_MEMORY_MB) {
        process.stderr.write(
          `tsnb: warning: a ${c.limits.memoryMb} MiB sandbox may not fit Gradescope's default ${GRADESCOPE_MEMORY_MB} MB container beside the grader; raise the container's memory in Gradescope's autograder settings\n`,
        );
      }
    });
}

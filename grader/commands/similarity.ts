import { existsSync, readdirSync, statSync } from "node:fs";
import path from "node:path";
import { Command, InvalidArgumentError, Option } from "commander";
import { loadAssignment } from "../assignment/load";
import type { SubmissionInput } from "../grading/batch";
import { textTable } from "../results/table";
import { readGrades } from "../similarity/grades";
import { positiveInt, positiveNumber, submissionNames } from "./grade";
import { outputFolder } from "./output-folder";
import { createProgress } from "./progress";

interface SimilarityOptions {
  out: string;
  exercise?: string[];
  minZ: number;
  top: number;
  grades?: string;
  kgramLength: number;
  kgramsInWindow: number;
  maxFingerprintShare?: number;
  archive: string[];
}

function fraction(value: string): number {
  const n = Number(value);
  if (!Number.isFinite(n) || n <= 0 || n > 1) throw new InvalidArgumentError("expected a fraction above 0 and at most 1");
  return n;
}

function exerciseList(value: string, previous: string[] | undefined): string[] {
  return [
    ...(previous ?? []),
    ...value
      .split(",")
      .map((s) => s.trim())
      .filter(Boolean),
  ];
}

function folderList(value: string, previous: string[]): string[] {
  return [...previous, value];
}

/**
 * The submissions of earlier terms, one per entry of each --archive folder, named
 * `<folder>/<submission>` (a `/` no name of this class has), so a report says which term a
 * learner is from.
 */
function archiveSubmissions(folders: string[]): SubmissionInput[] {
  const labels = new Map<string, number>();
  return folders.flatMap((folder) => {
    if (!existsSync(folder) || !statSync(folder).isDirectory())
      throw new Error(`--archive ${folder} is not a folder (expected one notebook or folder per submission in it)`);
    const base = path.basename(path.resolve(folder)).replace(/[^\w.-]+/g, "_") || "archive";
    const seen = (labels.get(base) ?? 0) + 1;
    labels.set(base, seen);
    const label = seen > 1 ? `${base}-${seen}` : base;
    const entries = readdirSync(folder)
      .filter((name) => !name.startsWith("."))
      .map((name) => path.join(folder, name));
    if (entries.length === 0) throw new Error(`--archive ${folder} is empty`);
    return submissionNames(entries).map((s) => ({ ...s, name: `${label}/${s.name}` }));
  });
}

type AnalyzeModule = typeof import("../similarity/analyze");

/** Per exercise the spread and flags, then the flagged pairs furthest above their exercise. */
function summary(report: import("../similarity/analyze").SimilarityReport, { flaggedEntries, pairAt }: AnalyzeModule): string {
  const rows = report.exercises.map((ex) => [
    ex.exercise.name,
    ex.compared.length,
    ex.pairs.count,
    ex.spread.median.toFixed(3),
    ex.spread.threshold === undefined ? "-" : ex.spread.threshold.toFixed(3),
    ex.pairs.count ? ex.pairs.similarity[0].toFixed(3) : "-",
    flaggedEntries(ex).length,
  ]);
  let text = textTable(["exercise", "compared", "pairs", "median", "flagged from", "top", "flagged"], rows, [
    "left",
    "right",
    "right",
    "right",
    "right",
    "right",
    "right",
  ]);
  const flagged = report.exercises.flatMap((ex) => flaggedEntries(ex).map((i) => pairAt(report, ex, i)));
  if (flagged.length === 0) return `${text}\nNo pair stands out in any exercise.\n`;
  const top = [...flagged].sort((x, y) => y.z - x.z).slice(0, 20);
  text += `\nFlagged pairs (${flagged.length}${flagged.length > top.length ? `, the ${top.length} furthest above their exercise shown` : ""}):\n`;
  return (
    text +
    textTable(
      ["exercise", "learners", "similarity", "robust z"],
      top.map((p) => [p.exercise, `${p.a} <-> ${p.b}`, p.similarity.toFixed(3), p.z.toFixed(1)]),
      ["left", "left", "right", "right"],
    )
  );
}

/** The analysis modules load Dolos (an ES module) through require(), which needs Node 20.19 or newer. */
async function loadSimilarity(): Promise<typeof import("../similarity/run")> {
  try {
    return await import("../similarity/run");
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === "ERR_REQUIRE_ESM") {
      throw new Error(`tsnb similarity needs Node.js 20.19 or newer (it loads Dolos, an ES module, with require()); this is ${process.version}`, {
        cause: err,
      });
    }
    throw err;
  }
}

export function registerSimilarityCommand(program: Command): void {
  program
    .command("similarity")
    .description("Compare learners' solutions per exercise with Dolos and report the pairs that stand out; writes similarity.html and similarity.csv")
    .argument("<assignment-dir>", "the assignment folder (source or released notebooks); its stubs are ignored")
    .argument("<submissions...>", "submitted notebooks (.ipynb) or folders of notebooks, one submission each")
    .option("--out <dir>", "where to write similarity.html and similarity.csv", "similarity")
    .option("--exercise <names>", "compare only these exercises (comma-separated, or the option repeated; default: all)", exerciseList, undefined)
    .option("--min-z <z>", "flag pairs at least this many robust standard deviations above their exercise's median", positiveNumber, 3.5)
    .option("--top <n>", "pairs per exercise shown with their code besides the flagged ones", positiveInt, 5)
    .option("--grades <grades.csv>", "a grades.csv from tsnb grade, to show each flagged pair's points per exercise")
    .option(
      "--archive <folder>",
      "also compare with the submissions of an earlier term, one notebook or folder per submission in <folder> (repeat for more terms); they are named <folder>/<submission>, and two of them are never paired",
      folderList,
      [],
    )
    .addOption(new Option("--kgram-length <n>", "Dolos: tokens per k-gram").argParser(positiveInt).default(23))
    .addOption(new Option("--kgrams-in-window <n>", "Dolos: k-grams per winnowing window").argParser(positiveInt).default(17))
    .addOption(
      new Option(
        "--max-fingerprint-share <fraction>",
        "Dolos: ignore code found in more than this share of the solutions (e.g. code from the course notes)",
      ).argParser(fraction),
    )
    .addHelpText(
      "after",
      `
Each exercise's solution cells (matched by nbgrader grade_id) are compared pairwise; the released
stub, setup cells and markdown do not count, nor do names, comments or layout. Pairs are ranked
within their exercise and flagged by how far they stand above that exercise's own spread, since
independent solutions of some exercises are alike anyway. Exit code 0 whatever is flagged.

With --archive, each learner of this class is also paired with every submission of the earlier
terms given (a copy of last year's solution), and those pairs are ranked and flagged with the rest.

Examples:
  tsnb similarity notebooks/week07-cnn submissions/* --out similarity --grades results/grades.csv
  tsnb similarity notebooks/week07-cnn submissions/* --archive archive/2025 --archive archive/2024`,
    )
    .action(async (assignmentDir: string, inputs: string[], opts: SimilarityOptions) => {
      const assignment = loadAssignment(assignmentDir, { released: true });
      const names = assignment.exercises.map((e) => e.name);
      const unknown = (opts.exercise ?? []).filter((e) => !names.includes(e));
      if (unknown.length) throw new Error(`no exercise ${unknown.join(", ")} in ${assignmentDir} (its exercises: ${names.join(", ")})`);
      const exercises = opts.exercise ? assignment.exercises.filter((e) => opts.exercise!.includes(e.name)) : assignment.exercises;
      if (exercises.length === 0) throw new Error(`${assignmentDir} has no exercises (solution cells with a grade_id)`);
      if (inputs.length < 2 && opts.archive.length === 0) throw new Error("give at least two submissions to compare, or one and --archive");
      const { readClass, compareClass } = await loadSimilarity();
      const analyzeModule = await import("../similarity/analyze");
      const grades = opts.grades ? readGrades(opts.grades, assignment.exercises) : undefined;
      const out = outputFolder(opts.out);

      const submissions = submissionNames(inputs);
      const archive = archiveSubmissions(opts.archive);
      const started = Date.now();
      const reading = createProgress(submissions.length + archive.length, "reading");
      let solutions;
      try {
        solutions = readClass(assignment, submissions, exercises, (learner) => reading.tick(learner), archive);
      } finally {
        reading.stop();
      }
      const comparing = createProgress(exercises.length, "comparing");
      const analysis = {
        dolos: { kgramLength: opts.kgramLength, kgramsInWindow: opts.kgramsInWindow, maxFingerprintShare: opts.maxFingerprintShare },
        minZ: opts.minZ,
        top: opts.top,
        maxDetailed: 50,
      };
      let output;
      try {
        output = compareClass(assignment, solutions, out, analysis, grades, (exercise) => comparing.tick(exercise));
      } finally {
        comparing.stop();
      }
      for (const u of output.report.unreadable) process.stderr.write(`tsnb: ${u.learner}: ${u.message}\n`);
      process.stdout.write(summary(output.report, analyzeModule));
      const seconds = (Date.now() - started) / 1000;
      process.stdout.write(
        `\nCompared ${submissions.length} submission(s)${archive.length ? ` and ${archive.length} of earlier terms` : ""}, ${exercises.length} exercise(s) in ${seconds.toFixed(1)} s.\nReport: ${output.html}\nAll pairs: ${output.csv}\n`,
      );
    });
}

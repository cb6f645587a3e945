/**
 * Everything `tsnb grade` leaves on disk: per submission a results.json (Gradescope format) and
 * a feedback.html, and for the batch a grades.csv and an instructor log with the raw details
 * that learners must not see. A ResultsWriter writes each submission as soon as it is graded
 * and rewrites grades.csv and the log after each group, every file atomically, so that a run
 * stopped at any moment leaves complete files for what it finished. Once a submission's files
 * are written, the writer keeps only its compact grade (scores, tests with their messages,
 * problems; no learner output or instructor log) and its instructor log waits on disk, so that
 * a class of any size is written in flat memory.
 */
import { mkdirSync, readFileSync } from "node:fs";
import path from "node:path";
import type { Assignment } from "../assignment/load";
import { compactGrade, SubmissionGrade } from "../grading/batch";
import type { SandboxLaunch } from "../sandbox/isolation";
import { removeStaleTemps, writeFileAtomic, writeFileAtomicPieces, writeFolderAtomic } from "./atomic";
import { gradesCsv } from "./csv";
import { feedbackHtml } from "./feedback";
import { toGradescope } from "./gradescope";
import { Fingerprint, GradedRecord, gradedRecordsDir, writeGradedRecord } from "./resume";
import { STATE_DIR } from "./state";
import { withoutTimings } from "./timings";

/** A submission's folder holds exactly these two files. */
const RESULTS_FILE = "results.json";
const FEEDBACK_FILE = "feedback.html";

export interface WrittenResults {
  dir: string;
  submissions: { name: string; resultsFile: string; feedbackFile: string }[];
  csvFile: string;
  logFile: string;
}

export interface WriterOptions {
  /** Submission names in the order of grades.csv (sorted by name, see submissionNames). */
  order: string[];
  launch?: SandboxLaunch;
  /** Fingerprint per submission name, recorded for --resume. */
  fingerprints?: Map<string, Fingerprint>;
  /** First lines of the instructor log. */
  header?: string[];
  /** Write the timing fields (results/timings.ts); true when absent. */
  timings?: boolean;
}

export class ResultsWriter {
  readonly written: WrittenResults;
  private readonly exercises: string[];
  private readonly grades = new Map<string, SubmissionGrade>();
  private readonly carried = new Set<string>();
  /** Each submission's part of the instructor log, one file per submission, until the log is assembled. */
  private readonly logParts: string;

  constructor(
    private readonly outDir: string,
    private readonly assignment: Assignment,
    private readonly options: WriterOptions,
  ) {
    this.exercises = assignment.exercises.map((e) => e.name);
    mkdirSync(outDir, { recursive: true });
    removeStaleTemps(outDir);
    removeStaleTemps(gradedRecordsDir(outDir));
    this.logParts = path.join(outDir, STATE_DIR, "log-parts");
    mkdirSync(this.logParts, { recursive: true });
    removeStaleTemps(this.logParts);
    this.written = { dir: outDir, submissions: [], csvFile: path.join(outDir, "grades.csv"), logFile: path.join(outDir, "grader-log.txt") };
  }

  /** Grades a previous run wrote (kept by --resume): listed in grades.csv and the log, not rewritten. */
  carryOver(records: GradedRecord[]): void {
    for (const r of records) {
      this.keep(r.grade);
      this.carried.add(r.grade.name);
    }
  }

  /** Write these submissions' files, then grades.csv and the log for everything known so far. */
  write(grades: SubmissionGrade[]): void {
    for (const graded of grades) {
      const grade = this.options.timings === false ? withoutTimings(graded) : graded;
      const dir = path.join(this.outDir, grade.name);
      const resultsFile = path.join(dir, RESULTS_FILE);
      const feedbackFile = path.join(dir, FEEDBACK_FILE);
      const fingerprint = this.options.fingerprints?.get(grade.name);
      const isolation = this.options.launch?.kind;
      const extra = { ...(isolation ? { isolation } : {}), ...(fingerprint ? { fingerprint } : {}), ...(grade.graderError ? { grader_error: true } : {}) };
      // Both files or neither: a killed run never leaves results.json without its feedback page.
      writeFolderAtomic(dir, {
        [RESULTS_FILE]: JSON.stringify(toGradescope(grade, this.exercises, extra), null, 2) + "\n",
        [FEEDBACK_FILE]: feedbackHtml(grade, this.assignment.name, this.exercises),
      });
      // The record comes last: a submission counts as done for --resume only once all of it is on disk.
      if (fingerprint && isolation) writeGradedRecord(this.outDir, { fingerprint, isolation, grade });
      this.keep(grade);
      this.carried.delete(grade.name);
      this.written.submissions.push({ name: grade.name, resultsFile, feedbackFile });
    }
    this.writeSummaries();
  }

  /** Keep the compact grade; its instructor log goes to disk. */
  private keep(grade: SubmissionGrade): void {
    const lines = [...(grade.graderError ? [`GRADER ERROR: ${grade.graderError}`] : []), ...grade.instructorLog, ""];
    writeFileAtomic(this.logPart(grade.name), lines.join("\n") + "\n");
    this.grades.set(grade.name, compactGrade(grade));
  }

  private logPart(name: string): string {
    return path.join(this.logParts, `${encodeURIComponent(name)}.txt`);
  }

  /** Everything graded so far (by this run or carried over), in the given order, as compact grades (see compactGrade). */
  all(): SubmissionGrade[] {
    return this.options.order.flatMap((name) => this.grades.get(name) ?? []);
  }

  private writeSummaries(): void {
    const grades = this.all();
    writeFileAtomic(this.written.csvFile, gradesCsv(grades, this.exercises));
    writeFileAtomicPieces(this.written.logFile, this.logPieces(grades));
  }

  /** The instructor log, a submission at a time: its heading, then its part read back from disk. */
  private *logPieces(grades: SubmissionGrade[]): Iterable<string> {
    yield [...(this.options.header ?? []), ""].join("\n") + "\n";
    for (const grade of grades) {
      yield `=== ${grade.name} (${grade.input}): ${grade.score} / ${grade.maxScore}${this.carried.has(grade.name) ? " (graded by an earlier run; kept by --resume)" : ""}\n`;
      yield readFileSync(this.logPart(grade.name), "utf8");
    }
  }
}

/** Write a whole batch's results at once (grades that exist already, e.g. from several runs). */
export function writeResults(outDir: string, assignment: Assignment, grades: SubmissionGrade[]): WrittenResults {
  const writer = new ResultsWriter(outDir, assignment, { order: grades.map((g) => g.name) });
  writer.write(grades);
  return writer.written;
}

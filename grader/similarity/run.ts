/**
 * `tsnb similarity` without the command line: read the class, then compare every exercise and
 * write similarity.html and similarity.csv.
 */
import { mkdirSync, writeFileSync } from "node:fs";
import path from "node:path";
import { Assignment, Exercise } from "../assignment/load";
import type { SubmissionInput } from "../grading/batch";
import { analyzeClass, AnalysisOptions, SimilarityReport } from "./analyze";
import { ClassSolutions, collectSolutions } from "./collect";
import { writeSimilarityCsv } from "./csv";
import { Grades } from "./grades";
import { similarityHtml } from "./html";

export function readClass(
  assignment: Assignment,
  submissions: SubmissionInput[],
  exercises: Exercise[],
  onRead?: (learner: string) => void,
  archive: SubmissionInput[] = [],
): ClassSolutions {
  const solutions = collectSolutions(assignment, submissions, exercises, onRead, archive);
  // A submission counts when at least one of its solution cells was found.
  const readableNames = new Set(solutions.exercises.flatMap((e) => e.solutions.map((s) => s.learner)));
  const readable = readableNames.size;
  const archived = new Set(solutions.archived);
  if (archive.length && ![...readableNames].some((n) => !archived.has(n))) {
    const why = solutions.unreadable.filter((u) => !archived.has(u.learner)).map((u) => `${u.learner}: ${u.message}`);
    throw new Error(
      `none of this class's submissions could be read, so there is nothing to compare with the archive${why.length ? `:\n  ${why.join("\n  ")}` : ""}`,
    );
  }
  if (readable < 2) {
    const why = solutions.unreadable.map((u) => `${u.learner}: ${u.message}`).join("\n  ");
    throw new Error(`need at least two readable submissions to compare, got ${readable}${why ? `:\n  ${why}` : ""}`);
  }
  return solutions;
}

export interface SimilarityOutput {
  report: SimilarityReport;
  html: string;
  csv: string;
}

export function compareClass(
  assignment: Assignment,
  solutions: ClassSolutions,
  out: string,
  analysis: AnalysisOptions,
  grades?: Grades,
  onExercise?: (exercise: string) => void,
): SimilarityOutput {
  const report = analyzeClass(assignment.name, solutions, analysis, onExercise);
  mkdirSync(out, { recursive: true });
  const html = path.join(out, "similarity.html");
  const csv = path.join(out, "similarity.csv");
  writeFileSync(html, similarityHtml(report, grades));
  writeSimilarityCsv(csv, report, grades);
  return { report, html, csv };
}

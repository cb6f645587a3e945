/**
 * Everything `tsnb grade` leaves on disk: per submission a results.json (Gradescope format) and
 * a feedback.html, and for the batch a grades.csv and an instructor log with the raw details
 * that learners must not see.
 */
import { mkdirSync, writeFileSync } from "node:fs";
import path from "node:path";
import type { Assignment } from "../assignment/load";
import type { SubmissionGrade } from "../grading/batch";
import { gradesCsv } from "./csv";
import { feedbackHtml } from "./feedback";
import { toGradescope } from "./gradescope";

export interface WrittenResults {
  dir: string;
  submissions: { name: string; resultsFile: string; feedbackFile: string }[];
  csvFile: string;
  logFile: string;
}

export function writeResults(outDir: string, assignment: Assignment, grades: SubmissionGrade[]): WrittenResults {
  const exercises = assignment.exercises.map((e) => e.name);
  mkdirSync(outDir, { recursive: true });
  const written: WrittenResults = { dir: outDir, submissions: [], csvFile: path.join(outDir, "grades.csv"), logFile: path.join(outDir, "grader-log.txt") };
  const log: string[] = [];
  for (const grade of grades) {
    const dir = path.join(outDir, grade.name);
    mkdirSync(dir, { recursive: true });
    const resultsFile = path.join(dir, "results.json");
    const feedbackFile = path.join(dir, "feedback.html");
    writeFileSync(resultsFile, JSON.stringify(toGradescope(grade, exercises), null, 2) + "\n");
    writeFileSync(feedbackFile, feedbackHtml(grade, assignment.name, exercises));
    written.submissions.push({ name: grade.name, resultsFile, feedbackFile });
    log.push(`=== ${grade.name} (${grade.input}): ${grade.score} / ${grade.maxScore}`);
    if (grade.graderError) log.push(`GRADER ERROR: ${grade.graderError}`);
    log.push(...grade.instructorLog, "");
  }
  writeFileSync(written.csvFile, gradesCsv(grades, exercises));
  writeFileSync(written.logFile, log.join("\n") + "\n");
  return written;
}

/**
 * results.json as the Gradescope autograder writes it: tsnb's Gradescope results with the
 * instructor's export-time choices applied (test and stdout visibility, the late policy), and
 * the placeholder written when the grader itself fails. Every result is checked against the
 * results schema before it is written.
 */
import { Language, message } from "@course-kit/kernel-helpers/messages";
import type { SubmissionGrade } from "../../grading/batch";
import { writeFileAtomic } from "../../results/atomic";
import { GradescopeResults, gradescopeResultsSchema, limitText, toGradescope } from "../../results/gradescope";
import type { AutograderConfig } from "./config";
import { applyPenalty, lateLine, lateness } from "./late";
import type { SubmissionMetadata } from "./metadata";

export interface AutograderResults {
  results: GradescopeResults;
  /** Instructor-facing notes (printed to the autograder's stdout). */
  notes: string[];
}

export function autograderResults(
  grade: SubmissionGrade,
  exercises: string[],
  config: AutograderConfig,
  metadata?: SubmissionMetadata,
  files: string[] = [],
): AutograderResults {
  const results = toGradescope(grade, exercises);
  const notes: string[] = [];
  results.visibility = config.visibility;
  results.stdout_visibility = config.stdoutVisibility;
  for (const t of results.tests) t.visibility = config.visibility;
  const lines = [results.output];
  if (files.length) lines.push("", message(grade.language, "autograder.found", { files: files.join(", ") }));
  results.extra_data.raw_score = results.score;
  if (config.late && metadata) {
    const { late, note } = lateness(config.late, metadata);
    if (note) notes.push(note);
    if (late && late.penaltyPercent > 0) {
      const before = results.score;
      results.score = applyPenalty(before, late.penaltyPercent);
      lines.push("", lateLine(late, config.late, before, results.score, grade.language));
    }
    if (late) results.extra_data.late = { ...late };
  } else if (config.late) {
    notes.push("no submission metadata: no late policy applied");
  }
  results.output = limitText(lines.join("\n"));
  return { results: gradescopeResultsSchema.parse(results), notes };
}

/** Score 0 and a message that puts the fault where it belongs; the details go to stdout. */
export function graderFaultResults(reason: string, lang: Language, seconds = 0): GradescopeResults {
  return gradescopeResultsSchema.parse({
    score: 0,
    execution_time: Math.round(seconds * 1000) / 1000,
    output: message(lang, "autograder.graderFault"),
    output_format: "text",
    visibility: "visible",
    stdout_visibility: "hidden",
    extra_data: { grader_error: limitText(reason, 10_000) },
    tests: [],
    leaderboard: [],
  });
}

/** Write results.json whole or not at all. */
export function writeResultsFile(file: string, results: GradescopeResults): void {
  writeFileAtomic(file, JSON.stringify(results, null, 2) + "\n");
}

/**
 * Gradescope's autograder results format (results.json), as its published specification
 * describes it, with a zod schema so that what we write is checked before it is written.
 */
import { message } from "@course-kit/kernel-helpers/messages";
import { z } from "zod";
import type { SubmissionGrade } from "../grading/batch";
import type { Problem } from "../submission/extract";

const visibility = z.enum(["hidden", "after_due_date", "after_published", "visible"]);
const outputFormat = z.enum(["text", "html", "simple_format", "md", "ansi"]);

export const gradescopeTestSchema = z.object({
  score: z.number().min(0),
  max_score: z.number().min(0),
  status: z.enum(["passed", "failed"]),
  name: z.string().min(1),
  number: z.string(),
  output: z.string(),
  output_format: outputFormat,
  tags: z.array(z.string()),
  visibility,
  extra_data: z.record(z.string(), z.unknown()),
});

export const gradescopeResultsSchema = z.object({
  score: z.number().min(0),
  execution_time: z.number().min(0),
  output: z.string(),
  output_format: outputFormat,
  visibility,
  stdout_visibility: visibility,
  extra_data: z.record(z.string(), z.unknown()),
  tests: z.array(gradescopeTestSchema),
  leaderboard: z.array(z.object({ name: z.string(), value: z.union([z.number(), z.string()]), order: z.enum(["asc", "desc"]).optional() })),
});

export type GradescopeResults = z.infer<typeof gradescopeResultsSchema>;

/** Learner-facing notes about the submission as a whole. */
export function problemLines(problems: Problem[]): string[] {
  return problems.map((p) => `- ${p.message}`);
}

/** `extra` joins the results' extra_data (e.g. the isolation used and the resume fingerprint). */
export function toGradescope(grade: SubmissionGrade, exerciseOrder: string[], extra: Record<string, unknown> = {}): GradescopeResults {
  const counters = new Map<string, number>();
  const tests = grade.tests.map((t) => {
    const group = exerciseOrder.indexOf(t.exercise) + 1 || exerciseOrder.length + 1;
    const k = (counters.get(t.exercise) ?? 0) + 1;
    counters.set(t.exercise, k);
    return {
      score: t.score,
      max_score: t.maxScore,
      status: t.passed ? ("passed" as const) : ("failed" as const),
      name: t.name,
      number: `${group}.${k}`,
      output: t.passed ? "" : t.message,
      output_format: "text" as const,
      tags: [t.exercise],
      visibility: "visible" as const,
      extra_data: { exercise: t.exercise, ...(t.misconception ? { misconception: t.misconception } : {}) },
    };
  });
  const lang = grade.language;
  const lines: string[] = [];
  if (grade.fatal) lines.push(message(lang, "feedback.fatal", { reason: grade.fatal }));
  lines.push(message(lang, "results.score", { score: grade.score, max: grade.maxScore }));
  if (grade.problems.length) lines.push("", message(lang, "results.notes"), ...problemLines(grade.problems));
  const results: GradescopeResults = {
    score: grade.score,
    execution_time: Math.round(grade.seconds * 1000) / 1000,
    output: lines.join("\n"),
    output_format: "text",
    visibility: "visible",
    stdout_visibility: "hidden",
    extra_data: {
      submission: grade.name,
      max_score: grade.maxScore,
      problems: grade.problems.map((p) => ({ kind: p.kind, exercise: p.exercise, notebook: p.notebook })),
      ...extra,
    },
    tests,
    leaderboard: [],
  };
  return gradescopeResultsSchema.parse(results);
}

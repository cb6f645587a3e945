/**
 * Gradescope's autograder results format (results.json), as its published specification
 * describes it, with a zod schema so that what we write is checked before it is written.
 * The spec makes every field optional; this schema requires the ones tsnb always writes, allows
 * the spec's other fields (name_format, test_output_format, test_name_format), rejects unknown
 * keys (a misspelt key would be silently ignored by Gradescope), and holds text fields to
 * Gradescope's limit, which tsnb enforces itself by cutting in the middle (see limitText).
 */
import { message } from "@course-kit/kernel-helpers/messages";
import { z } from "zod";
import type { SubmissionGrade } from "../grading/batch";
import type { Problem } from "../submission/extract";

export const VISIBILITIES = ["hidden", "after_due_date", "after_published", "visible"] as const;
export type Visibility = (typeof VISIBILITIES)[number];
const visibility = z.enum(VISIBILITIES);
const outputFormat = z.enum(["text", "html", "simple_format", "md", "ansi"]);

/** Gradescope cuts longer text fields (output, names) in the middle. */
export const GRADESCOPE_TEXT_LIMIT = 100_000;
const text = z.string().max(GRADESCOPE_TEXT_LIMIT);

export const gradescopeTestSchema = z.strictObject({
  score: z.number().min(0),
  max_score: z.number().min(0),
  status: z.enum(["passed", "failed"]),
  name: text.min(1),
  name_format: outputFormat.optional(),
  number: z.string(),
  output: text,
  output_format: outputFormat,
  tags: z.array(z.string()),
  visibility,
  extra_data: z.record(z.string(), z.unknown()),
});

export const gradescopeResultsSchema = z.strictObject({
  score: z.number().min(0),
  /** Optional in Gradescope's spec; left out by `tsnb grade --no-timings`. */
  execution_time: z.number().min(0).optional(),
  output: text,
  output_format: outputFormat,
  test_output_format: outputFormat.optional(),
  test_name_format: outputFormat.optional(),
  visibility,
  stdout_visibility: visibility,
  extra_data: z.record(z.string(), z.unknown()),
  tests: z.array(gradescopeTestSchema),
  leaderboard: z.array(z.strictObject({ name: z.string(), value: z.union([z.number(), z.string()]), order: z.enum(["asc", "desc"]).optional() })),
});

export type GradescopeResults = z.infer<typeof gradescopeResultsSchema>;

/** Learner-facing notes about the submission as a whole. */
export function problemLines(problems: Problem[]): string[] {
  return problems.map((p) => `- ${p.message}`);
}

/** Cut text longer than `limit` in the middle, saying how much was left out. */
export function limitText(value: string, limit = GRADESCOPE_TEXT_LIMIT): string {
  if (value.length <= limit) return value;
  const marker = (n: number) => `\n\n… (${n} characters left out) …\n\n`;
  const keep = limit - marker(value.length).length;
  const head = Math.ceil(keep / 2);
  return value.slice(0, head) + marker(value.length - keep) + value.slice(value.length - (keep - head));
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
      name: limitText(t.name),
      number: `${group}.${k}`,
      output: limitText(t.passed ? "" : t.message),
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
    ...(grade.seconds === undefined ? {} : { execution_time: Math.round(grade.seconds * 1000) / 1000 }),
    output: limitText(lines.join("\n")),
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

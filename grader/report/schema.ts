/**
 * report.json: the class report's numbers, as a zod schema, so that what is written is checked
 * before it is written (as results.json is) and readers can check what they read. Everything in
 * it follows from the grades alone, in a fixed order with tie-breaks, except `timings`: the only
 * field that changes between two gradings of the same submissions (and the one to drop for
 * byte-identical output).
 */
import { z } from "zod";

const count = z.number().int().min(0);
const share = z.number().min(0).max(1);

/** Mean, spread and range of a list of points. */
export const statsSchema = z.strictObject({
  mean: z.number(),
  median: z.number(),
  /** Population standard deviation. */
  sd: z.number().min(0),
  min: z.number(),
  max: z.number(),
});

export const exerciseStatsSchema = statsSchema.extend({
  name: z.string(),
  maxScore: z.number().min(0),
  /** Learners with every point of the exercise, and with none. */
  fullMarks: count,
  zero: count,
});

export const testStatsSchema = z.strictObject({
  /** "<exercise>: <title>", as in results.json. */
  name: z.string(),
  exercise: z.string(),
  maxScore: z.number().min(0),
  passed: count,
  failed: count,
  passRate: share,
  /** The catalogued mistakes named on this test's failures, with how many learners. */
  misconceptions: z.array(z.strictObject({ id: z.string(), learners: count })),
});

export const failureGroupSchema = z.strictObject({
  /** The message with its numbers (values, indices, cell and line numbers) replaced by `#`. */
  pattern: z.string(),
  /** The first such message (by learner, then test). */
  example: z.string(),
  failures: count,
  learners: count,
  tests: z.array(z.string()),
});

export const misconceptionStatsSchema = z.strictObject({
  /** `<exercise>/<id>` of the assignment's catalogue. */
  id: z.string(),
  exercise: z.string(),
  learners: z.array(z.string()),
  tests: z.array(z.string()),
  /** One learner-facing message that named it. */
  example: z.string(),
});

export const PROBLEM_KINDS = [
  "unreadable-submission",
  "missing-notebook",
  "locked-cell-edited",
  "locked-cell-deleted",
  "missing-cell",
  "compile-error",
  "timeout",
  "grader-error",
  "extra-notebook",
  "type-error",
] as const;
export type ReportProblemKind = (typeof PROBLEM_KINDS)[number];

export const problemGroupSchema = z.strictObject({
  kind: z.enum(PROBLEM_KINDS),
  learners: z.array(z.strictObject({ name: z.string(), details: z.array(z.string()) })),
});

export const learnerRowSchema = z.strictObject({
  name: z.string(),
  score: z.number(),
  maxScore: z.number(),
  /** Points per exercise, in the assignment's order. */
  exercises: z.array(z.number()),
  failedTests: count,
  misconceptions: z.array(z.string()),
  problems: z.array(z.enum(PROBLEM_KINDS)),
  /** The learner's feedback page, relative to the report. */
  feedback: z.string(),
});

export const TEST_STATUSES = ["passed", "failed", "absent"] as const;
export type TestStatus = (typeof TEST_STATUSES)[number];

export const regradeSchema = z.strictObject({
  /** The previous results folder, as given to --compare. */
  previous: z.string(),
  compared: count,
  changed: z.array(
    z.strictObject({
      name: z.string(),
      oldScore: z.number(),
      newScore: z.number(),
      tests: z.array(z.strictObject({ name: z.string(), old: z.enum(TEST_STATUSES), new: z.enum(TEST_STATUSES) })),
    }),
  ),
  /** Learners with the same total whose tests changed status nonetheless (e.g. a renamed test). */
  sameScoreOtherTests: z.array(z.string()),
  onlyInPrevious: z.array(z.string()),
  onlyInNew: z.array(z.string()),
});

export const timingsSchema = z.strictObject({
  /** Wall time of this run's grading; 0 when everything was kept by --resume. */
  wallSeconds: z.number().min(0),
  jobs: z.number().int().min(1),
  graded: count,
  /** Per submission: each group's Jest run time shared among its submissions. */
  meanSeconds: z.number().min(0),
  slowest: z.array(z.strictObject({ name: z.string(), seconds: z.number().min(0) })),
});

export const classReportSchema = z.strictObject({
  format: z.literal(1),
  assignment: z.string(),
  language: z.enum(["ko", "en"]),
  grader: z.string(),
  isolation: z.strictObject({ kind: z.string(), summary: z.string() }),
  submissions: count,
  /** Submissions with a score (not unreadable, and the grader did not fail on them). */
  graded: count,
  maxScore: z.number().min(0),
  scores: statsSchema,
  histogram: z.array(z.strictObject({ from: z.number(), to: z.number(), count })),
  exercises: z.array(exerciseStatsSchema),
  /** Hardest first: by pass rate, then the assignment's order. */
  tests: z.array(testStatsSchema),
  failures: z.array(failureGroupSchema),
  misconceptions: z.array(misconceptionStatsSchema),
  problems: z.array(problemGroupSchema),
  learners: z.array(learnerRowSchema),
  /**
   * Set when the run was stopped (Ctrl-C, SIGTERM) before it graded these submissions: every
   * number above covers only the others, until `--resume` grades the rest and rewrites the report.
   */
  stopped: z.strictObject({ signal: z.string(), notGraded: z.array(z.string()).min(1) }).optional(),
  regrade: regradeSchema.optional(),
  /** Everything that varies from run to run, and nothing else. */
  timings: timingsSchema.optional(),
});

export type Stats = z.infer<typeof statsSchema>;
export type ClassReport = z.infer<typeof classReportSchema>;
export type RegradeDiff = z.infer<typeof regradeSchema>;
export type ReportTimings = z.infer<typeof timingsSchema>;

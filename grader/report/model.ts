/**
 * The class report's numbers, from a run's grades: how the scores spread, which exercise and
 * which test hurt, what the failures say, which catalogued mistakes learners made, and which
 * submissions need a person to look at them. Plain data in a fixed order (ties broken by name),
 * so the same grades always give the same report; rendering is html.ts's job.
 */
import path from "node:path";
import type { Language } from "@course-kit/kernel-helpers/messages";
import type { SubmissionGrade, TestOutcome } from "../grading/batch";
import { exerciseScore } from "../results/csv";
import { ClassReport, classReportSchema, PROBLEM_KINDS, RegradeDiff, ReportProblemKind, ReportTimings, Stats } from "./schema";

export interface ReportInput {
  assignment: { name: string; exercises: { name: string; points: number }[]; totalPoints: number };
  language: Language;
  grader: string;
  /** How learner code was isolated: a SandboxLaunch, or what merged runs recorded. */
  launch: { kind: string; summary: string };
  grades: SubmissionGrade[];
  regrade?: RegradeDiff;
  timings?: ReportTimings;
  /** The run was stopped by `signal` before it graded `notGraded`. */
  stopped?: { signal: string; notGraded: string[] };
}

const HISTOGRAM_BINS = 10;

function round(n: number, digits = 3): number {
  const f = 10 ** digits;
  return Math.round(n * f) / f;
}

export function byName(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}

export function stats(values: number[]): Stats {
  if (values.length === 0) return { mean: 0, median: 0, sd: 0, min: 0, max: 0 };
  const sorted = [...values].sort((a, b) => a - b);
  const n = sorted.length;
  const mean = sorted.reduce((s, v) => s + v, 0) / n;
  const variance = sorted.reduce((s, v) => s + (v - mean) ** 2, 0) / n;
  const median = n % 2 ? sorted[(n - 1) / 2] : (sorted[n / 2 - 1] + sorted[n / 2]) / 2;
  return { mean: round(mean), median: round(median), sd: round(Math.sqrt(variance)), min: sorted[0], max: sorted[n - 1] };
}

/** Ten equal bins from 0 to the maximum score; the last one holds full marks too. */
export function scoreHistogram(scores: number[], maxScore: number): ClassReport["histogram"] {
  const width = maxScore > 0 ? maxScore / HISTOGRAM_BINS : 1;
  const bins = Array.from({ length: HISTOGRAM_BINS }, (_, i) => ({ from: round(i * width), to: round((i + 1) * width), count: 0 }));
  for (const s of scores) bins[Math.min(HISTOGRAM_BINS - 1, Math.max(0, Math.floor(s / width)))].count++;
  return bins;
}

/**
 * A failure message with what differs from learner to learner (values, indices, cell and line
 * numbers) replaced by `#`, so that one cause gives one group. Numbers inside words stay
 * (conv2dForward, 3x3, a notebook's 01- prefix).
 */
export function messagePattern(text: string): string {
  return text
    .replace(/(?<![\w.-])-?\d+(?:\.\d+)?(?:e[+-]?\d+)?(?![\w-])/gi, "#")
    .replace(/\s+/g, " ")
    .trim();
}

/** A learner's feedback page, relative to the results folder (and so to the report). */
export function feedbackPath(name: string): string {
  return `${encodeURIComponent(name)}/feedback.html`;
}

/** A grade that counts in the statistics: it was read and the grader did not fail on it. */
function isGraded(g: SubmissionGrade): boolean {
  return !g.fatal && !g.graderError;
}

function problemKinds(g: SubmissionGrade): Map<ReportProblemKind, string[]> {
  const kinds = new Map<ReportProblemKind, string[]>();
  // Messages about files name them by their path; the report names them from the submission's folder.
  const where = path.dirname(g.input) + path.sep;
  const add = (kind: ReportProblemKind, detail: string) => {
    if (!kinds.has(kind)) kinds.set(kind, []);
    kinds.get(kind)!.push(detail.split(where).join(""));
  };
  if (g.fatal) add("unreadable-submission", g.fatal);
  for (const p of g.problems) add(p.kind, p.message);
  for (const t of g.tests) if (t.timedOut) add("timeout", `${t.name}: ${t.message}`);
  if (g.graderError) add("grader-error", g.graderError);
  return kinds;
}

function testStats(grades: SubmissionGrade[], exerciseOrder: string[]): ClassReport["tests"] {
  const tests = new Map<string, { exercise: string; maxScore: number; passed: number; failed: number; mistakes: Map<string, Set<string>> }>();
  for (const g of grades) {
    for (const t of g.tests) {
      let s = tests.get(t.name);
      if (!s) tests.set(t.name, (s = { exercise: t.exercise, maxScore: t.maxScore, passed: 0, failed: 0, mistakes: new Map() }));
      if (t.passed) s.passed++;
      else s.failed++;
      if (t.misconception) {
        if (!s.mistakes.has(t.misconception)) s.mistakes.set(t.misconception, new Set());
        s.mistakes.get(t.misconception)!.add(g.name);
      }
    }
  }
  const order = (exercise: string) => {
    const i = exerciseOrder.indexOf(exercise);
    return i < 0 ? exerciseOrder.length : i;
  };
  return [...tests]
    .map(([name, s]) => ({
      name,
      exercise: s.exercise,
      maxScore: s.maxScore,
      passed: s.passed,
      failed: s.failed,
      passRate: round(s.passed / Math.max(1, s.passed + s.failed), 4),
      misconceptions: [...s.mistakes].map(([id, who]) => ({ id, learners: who.size })).sort((a, b) => b.learners - a.learners || byName(a.id, b.id)),
    }))
    .sort((a, b) => a.passRate - b.passRate || order(a.exercise) - order(b.exercise) || byName(a.name, b.name));
}

/** Failing tests of every graded learner, in a fixed order: by learner, then by test name. */
function failuresInOrder(grades: SubmissionGrade[]): { learner: string; test: TestOutcome }[] {
  return grades
    .flatMap((g) => g.tests.filter((t) => !t.passed).map((test) => ({ learner: g.name, test })))
    .sort((a, b) => byName(a.learner, b.learner) || byName(a.test.name, b.test.name));
}

function failureGroups(failures: { learner: string; test: TestOutcome }[]): ClassReport["failures"] {
  const groups = new Map<string, { example: string; failures: number; learners: Set<string>; tests: Set<string> }>();
  for (const { learner, test } of failures) {
    const pattern = messagePattern(test.message);
    let g = groups.get(pattern);
    if (!g) groups.set(pattern, (g = { example: test.message, failures: 0, learners: new Set(), tests: new Set() }));
    g.failures++;
    g.learners.add(learner);
    g.tests.add(test.name);
  }
  return [...groups]
    .map(([pattern, g]) => ({ pattern, example: g.example, failures: g.failures, learners: g.learners.size, tests: [...g.tests].sort(byName) }))
    .sort((a, b) => b.failures - a.failures || b.learners - a.learners || byName(a.pattern, b.pattern));
}

function misconceptionStats(failures: { learner: string; test: TestOutcome }[]): ClassReport["misconceptions"] {
  const found = new Map<string, { exercise: string; learners: Set<string>; tests: Set<string>; example: string }>();
  for (const { learner, test } of failures) {
    const id = test.misconception;
    if (!id) continue;
    let m = found.get(id);
    if (!m) found.set(id, (m = { exercise: id.slice(0, id.indexOf("/")) || test.exercise, learners: new Set(), tests: new Set(), example: test.message }));
    m.learners.add(learner);
    m.tests.add(test.name);
  }
  return [...found]
    .map(([id, m]) => ({ id, exercise: m.exercise, learners: [...m.learners].sort(byName), tests: [...m.tests].sort(byName), example: m.example }))
    .sort((a, b) => b.learners.length - a.learners.length || byName(a.id, b.id));
}

export function buildClassReport(input: ReportInput): ClassReport {
  const exercises = input.assignment.exercises;
  const exerciseNames = exercises.map((e) => e.name);
  const all = [...input.grades].sort((a, b) => byName(a.name, b.name));
  const graded = all.filter(isGraded);
  const maxScore = input.assignment.totalPoints;
  const scores = graded.map((g) => g.score);
  const kinds = new Map(all.map((g) => [g.name, problemKinds(g)]));
  const failures = failuresInOrder(graded);

  const report: ClassReport = {
    format: 1,
    assignment: input.assignment.name,
    language: input.language,
    grader: input.grader,
    isolation: { kind: input.launch.kind, summary: input.launch.summary },
    submissions: all.length,
    graded: graded.length,
    maxScore,
    scores: stats(scores),
    histogram: scoreHistogram(scores, maxScore),
    exercises: exercises.map((e) => {
      const points = graded.map((g) => exerciseScore(g, e.name).score);
      const { mean, median, sd, min, max } = stats(points);
      return {
        name: e.name,
        maxScore: e.points,
        mean,
        median,
        sd,
        min,
        max,
        fullMarks: points.filter((p) => p >= e.points).length,
        zero: points.filter((p) => p === 0).length,
      };
    }),
    tests: testStats(graded, exerciseNames),
    failures: failureGroups(failures),
    misconceptions: misconceptionStats(failures),
    problems: PROBLEM_KINDS.map((kind) => ({
      kind,
      learners: all.flatMap((g) => {
        const details = kinds.get(g.name)!.get(kind);
        return details ? [{ name: g.name, details }] : [];
      }),
    })).filter((p) => p.learners.length > 0),
    learners: all.map((g) => ({
      name: g.name,
      score: g.score,
      maxScore: g.maxScore || maxScore,
      exercises: exerciseNames.map((e) => exerciseScore(g, e).score),
      failedTests: g.tests.filter((t) => !t.passed).length,
      misconceptions: [...new Set(g.tests.flatMap((t) => (!t.passed && t.misconception ? [t.misconception] : [])))].sort(byName),
      problems: PROBLEM_KINDS.filter((k) => kinds.get(g.name)!.has(k)),
      feedback: feedbackPath(g.name),
    })),
    ...(input.stopped?.notGraded.length ? { stopped: { signal: input.stopped.signal, notGraded: [...input.stopped.notGraded].sort(byName) } } : {}),
    ...(input.regrade ? { regrade: input.regrade } : {}),
    ...(input.timings ? { timings: input.timings } : {}),
  };
  return classReportSchema.parse(report);
}

/** The run's timing, kept apart from the numbers that do not change between runs. */
export function reportTimings(grades: SubmissionGrade[], gradedNow: Set<string>, wallSeconds: number, jobs: number): ReportTimings {
  const now = grades.filter((g) => gradedNow.has(g.name));
  const seconds = now.map((g) => g.seconds ?? 0);
  return {
    wallSeconds: round(wallSeconds, 2),
    jobs,
    graded: now.length,
    meanSeconds: round(seconds.reduce((s, v) => s + v, 0) / Math.max(1, seconds.length), 3),
    slowest: [...now]
      .sort((a, b) => (b.seconds ?? 0) - (a.seconds ?? 0) || byName(a.name, b.name))
      .slice(0, 5)
      .map((g) => ({ name: g.name, seconds: round(g.seconds ?? 0, 3) })),
  };
}

/**
 * `tsnb grade --compare <previous results>`: what a regrade changes, learner by learner, before
 * an instructor publishes a changed hidden test. The previous folder is read through its
 * manifest (which submissions it graded) and each submission's results.json (total and each
 * test's status, by name), so any finished `tsnb grade` or `tsnb merge` output can be compared.
 */
import { existsSync, readFileSync } from "node:fs";
import path from "node:path";
import type { SubmissionGrade } from "../grading/batch";
import { field } from "../results/csv";
import { gradescopeResultsSchema } from "../results/gradescope";
import { readManifest } from "../results/manifest";
import { textTable } from "../results/table";
import { byName } from "./model";
import type { RegradeDiff, TestStatus } from "./schema";

export class CompareError extends Error {}

/** One learner's outcome in a run: the total and each test's status by name. */
export interface RunOutcome {
  score: number;
  tests: Map<string, "passed" | "failed">;
}

export interface PreviousRun {
  /** As given on the command line. */
  dir: string;
  assignment: string;
  learners: Map<string, RunOutcome>;
}

/** Read a previous `tsnb grade` output folder, or say clearly why it is not one. */
export function readPreviousRun(dir: string, assignmentName: string): PreviousRun {
  const abs = path.resolve(dir);
  if (!existsSync(abs)) throw new CompareError(`--compare ${dir}: no such folder`);
  let manifest;
  try {
    manifest = readManifest(abs);
  } catch (err) {
    throw new CompareError(`--compare ${dir} is not a results folder of tsnb grade: ${(err as Error).message}`);
  }
  if (manifest.assignment.name !== assignmentName) {
    throw new CompareError(`--compare ${dir} holds grades of assignment ${manifest.assignment.name}, not ${assignmentName}`);
  }
  const learners = new Map<string, RunOutcome>();
  for (const { name } of manifest.submissions) {
    const file = path.join(abs, name, "results.json");
    // A submission the previous run did not finish has no grade to compare with.
    if (!existsSync(file)) continue;
    const parsed = gradescopeResultsSchema.safeParse(JSON.parse(readFileSync(file, "utf8")));
    if (!parsed.success)
      throw new CompareError(`--compare ${dir}: ${path.join(name, "results.json")} is not a valid results.json: ${parsed.error.issues[0].message}`);
    learners.set(name, { score: parsed.data.score, tests: new Map(parsed.data.tests.map((t) => [t.name, t.status])) });
  }
  return { dir, assignment: manifest.assignment.name, learners };
}

export function outcomeOf(grade: SubmissionGrade): RunOutcome {
  return { score: grade.score, tests: new Map(grade.tests.map((t) => [t.name, t.passed ? "passed" : "failed"])) };
}

function changedTests(before: RunOutcome, after: RunOutcome): RegradeDiff["changed"][number]["tests"] {
  const names = [...new Set([...before.tests.keys(), ...after.tests.keys()])].sort(byName);
  return names.flatMap((name) => {
    const old: TestStatus = before.tests.get(name) ?? "absent";
    const now: TestStatus = after.tests.get(name) ?? "absent";
    return old === now ? [] : [{ name, old, new: now }];
  });
}

/** Every learner whose total changed, and those whose tests changed without changing the total. */
export function diffRuns(previous: PreviousRun, grades: SubmissionGrade[]): RegradeDiff {
  const now = new Map(grades.map((g) => [g.name, outcomeOf(g)]));
  const both = [...now.keys()].filter((n) => previous.learners.has(n)).sort(byName);
  const changed: RegradeDiff["changed"] = [];
  const sameScoreOtherTests: string[] = [];
  for (const name of both) {
    const before = previous.learners.get(name)!;
    const after = now.get(name)!;
    const tests = changedTests(before, after);
    if (before.score !== after.score) changed.push({ name, oldScore: before.score, newScore: after.score, tests });
    else if (tests.length) sameScoreOtherTests.push(name);
  }
  return {
    previous: previous.dir,
    compared: both.length,
    changed,
    sameScoreOtherTests,
    onlyInPrevious: [...previous.learners.keys()].filter((n) => !now.has(n)).sort(byName),
    onlyInNew: [...now.keys()].filter((n) => !previous.learners.has(n)).sort(byName),
  };
}

function fmt(n: number): string {
  return String(Math.round(n * 1000) / 1000);
}

function signed(n: number): string {
  return n > 0 ? `+${fmt(n)}` : fmt(n);
}

function testChanges(tests: RegradeDiff["changed"][number]["tests"]): string {
  return tests.map((t) => `${t.name} (${t.old} -> ${t.new})`).join("; ");
}

/** regrade.csv: one row per learner whose total changed. */
export function regradeCsv(diff: RegradeDiff): string {
  const rows = diff.changed.map((c) => [c.name, fmt(c.oldScore), fmt(c.newScore), signed(c.newScore - c.oldScore), testChanges(c.tests)]);
  return [["submission", "old_total", "new_total", "change", "tests_changed"], ...rows].map((r) => r.map(field).join(",")).join("\n") + "\n";
}

/** What `tsnb grade --compare` prints (instructor output, in English like the summary table). */
export function regradeText(diff: RegradeDiff): string {
  const head = `Regrade against ${diff.previous}: ${diff.changed.length} of ${diff.compared} submission(s) change total.`;
  const lines = [head];
  if (diff.changed.length) {
    lines.push(
      textTable(
        ["submission", "old", "new", "change", "tests that changed status"],
        diff.changed.map((c) => [c.name, fmt(c.oldScore), fmt(c.newScore), signed(c.newScore - c.oldScore), testChanges(c.tests)]),
        ["left", "right", "right", "right", "left"],
      ).trimEnd(),
    );
  }
  if (diff.sameScoreOtherTests.length) lines.push(`Same total, but tests changed status: ${diff.sameScoreOtherTests.join(", ")}.`);
  if (diff.onlyInPrevious.length) lines.push(`Only in the previous results (not graded now): ${diff.onlyInPrevious.join(", ")}.`);
  if (diff.onlyInNew.length) lines.push(`Not in the previous results: ${diff.onlyInNew.join(", ")}.`);
  return lines.join("\n") + "\n";
}

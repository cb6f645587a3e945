/**
 * Every catalogued week 7 mistake, written into learner code (bench/week07-mistakes.ts) and
 * graded by `tsnb grade`: eight submissions, each with at most one mistake per exercise. Each
 * mistake must be named (results.json carries its id and the learner reads its sentence) on every
 * test it fails with a wrong result (some also make the learner's own checks throw a RangeError),
 * and nothing else may be named or fail. conv2dIm2col calls the learner's own im2col, so an
 * im2col mistake also shows there, as conv2dIm2col's matching mistake.
 */
import assert from "node:assert/strict";
import { mkdtempSync, readFileSync, rmSync } from "node:fs";
import os from "node:os";
import path from "node:path";
import { loadAssignment } from "../../grader/assignment/load";
import { gradescopeResultsSchema, GradescopeResults } from "../../grader/results/gradescope";
import { exerciseOf, solvedNotebooks, withMistake, writeSubmission } from "../../bench/submissions";
import { SourceMistake, WEEK7_MISTAKES } from "../../bench/week07-mistakes";
import { tsnb } from "../support/tsnb-cli";

const ROOT = path.resolve(__dirname, "..", "..", "..");
const WEEK7 = path.join(ROOT, "notebooks", "week07-cnn");

/** What an im2col mistake looks like from conv2dIm2col, which calls it. */
const CASCADE: Record<string, string> = {
  "im2col/column-order": "conv2dIm2col/column-order-mismatch",
  "im2col/row-order": "conv2dIm2col/row-order",
};
/** conv2dIm2col's own mistakes go to submissions without an im2col mistake. */
const OFFSET: Record<string, number> = { conv2dIm2col: 2 };

describe("catalogued mistakes named by tsnb grade", function () {
  this.timeout(600_000);
  const tmp = mkdtempSync(path.join(os.tmpdir(), "tsnb-mistakes-"));
  after(() => rmSync(tmp, { recursive: true, force: true }));
  const assignment = loadAssignment(WEEK7);
  const solved = solvedNotebooks(assignment);

  // Submission j gets the j-th mistake of every exercise (shifted by OFFSET).
  const plan: SourceMistake[][] = [];
  for (const ex of assignment.exercises) {
    WEEK7_MISTAKES.filter((m) => exerciseOf(m) === ex.name).forEach((m, k) => {
      const j = k + (OFFSET[ex.name] ?? 0);
      (plan[j] ??= []).push(m);
    });
  }
  const results = new Map<number, GradescopeResults>();

  before(async () => {
    const dirs: string[] = [];
    for (const [j, mistakes] of plan.entries()) {
      dirs.push(await writeSubmission(mistakes.reduce(withMistake, solved), path.join(tmp, "subs", `mistakes-${j}`)));
    }
    const r = tsnb(["grade", WEEK7, ...dirs, "--out", path.join(tmp, "results"), "--jobs", "2", "--lang", "en"]);
    assert.equal(r.status, 0, r.stderr);
    for (const j of plan.keys()) {
      results.set(j, gradescopeResultsSchema.parse(JSON.parse(readFileSync(path.join(tmp, "results", `mistakes-${j}`, "results.json"), "utf8"))));
    }
  });

  it("writes every catalogued mistake into some submission", () => {
    assert.equal(plan.flat().length, WEEK7_MISTAKES.length);
    assert.equal(WEEK7_MISTAKES.length, 29);
  });

  it("names each mistake on the tests it fails, and fails or names nothing else", () => {
    const problems: string[] = [];
    for (const [j, mistakes] of plan.entries()) {
      const expected = new Map<string, string>();
      for (const m of mistakes) expected.set(exerciseOf(m), m.misconception);
      for (const m of mistakes) if (CASCADE[m.misconception]) expected.set("conv2dIm2col", CASCADE[m.misconception]);
      const r = results.get(j)!;
      for (const ex of assignment.exercises) {
        const tests = r.tests.filter((t) => t.tags.includes(ex.name));
        const failed = tests.filter((t) => t.status === "failed");
        const want = expected.get(ex.name);
        if (!want) {
          for (const t of failed) problems.push(`mistakes-${j}: ${t.name} failed: ${t.output}`);
          continue;
        }
        if (!failed.some((t) => t.extra_data.misconception === want)) problems.push(`mistakes-${j}: ${want} is named on no test of ${ex.name}`);
        for (const t of failed) {
          // Where the mistake makes the learner's own code throw (a size below 1), there is no result to match.
          const threw = t.output.startsWith(`${ex.name} threw RangeError`) && t.extra_data.misconception === undefined;
          if (t.extra_data.misconception !== want && !threw)
            problems.push(`mistakes-${j}: ${t.name}: named ${String(t.extra_data.misconception)}, not ${want}: ${t.output}`);
        }
      }
    }
    assert.deepEqual(problems, []);
  });

  it("gives the learner the mistake's sentence before the usual detail", () => {
    const j = plan.findIndex((ms) => ms.some((m) => m.misconception === "conv2dForward/bias-missing"));
    const failed = results.get(j)!.tests.filter((t) => t.tags.includes("conv2dForward") && t.status === "failed");
    assert.ok(failed.length > 0);
    for (const t of failed) {
      assert.match(
        t.output,
        /^your output is off by exactly the bias of each filter: is `b\[co\]` added once to every output value\? \(largest relative error .* expected .*, got .*\)$/,
      );
    }
    const feedback = readFileSync(path.join(tmp, "results", `mistakes-${j}`, "feedback.html"), "utf8");
    assert.match(feedback, /off by exactly the bias of each filter/);
  });
});

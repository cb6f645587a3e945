/**
 * What lets a large class be graded in flat memory, on its own: the type check fed a few
 * submissions at a time (one compiler run per part, each submission's errors found in its own
 * part), and the results writer keeping compact grades while the instructor log, assembled from
 * parts on disk, still holds every submission's details in the given order.
 */
import assert from "node:assert/strict";
import { mkdtempSync, readFileSync, rmSync } from "node:fs";
import os from "node:os";
import path from "node:path";
import { loadAssignment } from "../../grader/assignment/load";
import type { SubmissionGrade } from "../../grader/grading/batch";
import type { CellSource } from "../../grader/submission/extract";
import { TypeCheckBatch } from "../../grader/submission/typecheck";
import { ResultsWriter } from "../../grader/results/write";

const WEEK7 = path.resolve(__dirname, "..", "..", "..", "notebooks", "week07-cnn");

function cells(body: string): CellSource[] {
  return [
    { notebook: "01.ipynb", label: "setup", source: "const size = 3;\n" },
    { notebook: "01.ipynb", label: "answer", exercise: "conv", source: body },
  ];
}

function grade(name: string, score: number, log: string[]): SubmissionGrade {
  return {
    name,
    input: `/in/${name}`,
    language: "en",
    tests: [
      {
        exercise: "conv",
        title: "t",
        name: "conv: t",
        maxScore: 2,
        score,
        passed: score === 2,
        message: score === 2 ? "" : "wrong shape",
        misconception: score === 2 ? undefined : "conv/flip",
        durationMs: 1,
      },
    ],
    score,
    maxScore: 2,
    problems: [],
    learnerOutput: `printed by ${name}`,
    instructorLog: log,
    seconds: 0.1,
  };
}

describe("grading a large class in flat memory", () => {
  let tmp: string;
  beforeEach(() => (tmp = mkdtempSync(path.join(os.tmpdir(), "tsnb-flat-"))));
  afterEach(() => rmSync(tmp, { recursive: true, force: true }));

  it("type-checks submissions added a few at a time, part by part, each error with its own submission", async function () {
    this.timeout(60_000);
    const batch = new TypeCheckBatch(path.join(tmp, "tc"), "en", 2);
    const ok = cells("export const y: number = size * 2;\n");
    const bad = (n: number) => cells(`const x${n}: string = ${n};\n`);
    // Five submissions in calls of 3 and 2: parts [0, 1], [2, 3], [4]; errors in 1, 2 and 4.
    batch.add([ok, bad(1), bad(2)]);
    batch.add([ok, bad(4)]);
    batch.close();
    const found = await Promise.all([0, 1, 2, 3, 4].map((i) => batch.problemsOf(i)));
    assert.deepEqual(
      found.map((f) => f.failure),
      [undefined, undefined, undefined, undefined, undefined],
    );
    assert.deepEqual(
      found.map((f) => f.problems.length),
      [0, 1, 1, 0, 1],
    );
    for (const i of [1, 2, 4]) {
      const [p] = found[i].problems;
      assert.equal(p.kind, "type-error");
      assert.equal(p.exercise, "conv");
      assert.match(p.message, new RegExp(`TS2322`));
      assert.match(p.message, /number.*string/s);
    }
  });

  it("keeps compact grades, while the instructor log holds every submission's details in order", () => {
    const assignment = loadAssignment(WEEK7);
    const out = path.join(tmp, "out");
    const writer = new ResultsWriter(out, assignment, { order: ["a", "b", "c"], header: ["HEADER"] });
    writer.write([grade("c", 0, ["c failed: raw stack of c"])]);
    writer.write([grade("a", 2, []), grade("b", 0, ["b failed: raw stack of b", "sandbox: b"])]);
    const kept = writer.all();
    assert.deepEqual(
      kept.map((g) => g.name),
      ["a", "b", "c"],
    );
    for (const g of kept) {
      assert.equal(g.learnerOutput, "");
      assert.deepEqual(g.instructorLog, []);
    }
    // What a class report needs is still there.
    assert.deepEqual(
      kept.map((g) => [g.score, g.tests[0].passed, g.tests[0].message, g.tests[0].misconception]),
      [
        [2, true, "", undefined],
        [0, false, "wrong shape", "conv/flip"],
        [0, false, "wrong shape", "conv/flip"],
      ],
    );
    const log = readFileSync(path.join(out, "grader-log.txt"), "utf8");
    assert.equal(
      log,
      "HEADER\n\n=== a (/in/a): 2 / 2\n\n=== b (/in/b): 0 / 2\nb failed: raw stack of b\nsandbox: b\n\n=== c (/in/c): 0 / 2\nc failed: raw stack of c\n\n",
    );
    // The learner's output went to the submission's own feedback.
    assert.match(readFileSync(path.join(out, "b", "feedback.html"), "utf8"), /printed by b/);
  });
});

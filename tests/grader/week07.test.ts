/**
 * tsnb on the real week 7 assignment: assign and validate, then one grading batch with the
 * solution, the bare release, partial work, broken work and one submission per attack on the
 * grader. Each submission's total is asserted exactly, so an attack that gained (or a defence
 * that cost) a single point fails the test. All submissions share one batch, which also shows
 * that one submission's failure leaves the others' results alone. No --lang is given: learners
 * read their messages in the assignment's language, Korean (assignment.json).
 */
import assert from "node:assert/strict";
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync } from "node:fs";
import os from "node:os";
import path from "node:path";
import { loadAssignment } from "../../grader/assignment/load";
import { gradescopeResultsSchema, GradescopeResults } from "../../grader/results/gradescope";
import { cellSource, makeSubmission, Notebooks, releasedNotebooks, solvedNotebooks, withCell, writeSubmission } from "../../bench/submissions";
import { validateWithNbformat } from "../support/nbformat-validator";
import { repoTempDir } from "../support/repo-temp";
import { tsnb } from "../support/tsnb-cli";

const ROOT = path.resolve(__dirname, "..", "..", "..");
const WEEK7 = path.join(ROOT, "notebooks", "week07-cnn");
const HIDDEN = path.join(WEEK7, "hidden-tests");

/** Rename the solution's function to `<name>Real` and put a wrapper under the real name. */
function wrapped(nbs: Notebooks, name: string, wrapper: string): Notebooks {
  const real = cellSource(nbs, name).replace(`function ${name}(`, `function ${name}Real(`);
  return withCell(nbs, name, `${real}\n${wrapper}\n`);
}

/** Prepend `code` to the body of the exercise's function. */
function prefixed(nbs: Notebooks, name: string, code: string): Notebooks {
  return withCell(nbs, name, cellSource(nbs, name).replace(/\{\n/, `{\n${code}\n`));
}

interface Case {
  name: string;
  nbs: Notebooks;
  /** Exact total out of 100. */
  score: number;
  /** Exercises expected at 0 (all others at full marks, unless in `points`). */
  zero: string[];
  /** Exact points of exercises that lose some of theirs. */
  points?: Record<string, number>;
  /** Catalogued mistakes the feedback must name (and no other). */
  named?: string[];
}

describe("tsnb on week 7", function () {
  this.timeout(600_000);
  const tmp = mkdtempSync(path.join(os.tmpdir(), "tsnb-week07-"));
  const assignment = loadAssignment(WEEK7);
  const solved = solvedNotebooks(assignment);
  const released = releasedNotebooks(assignment);
  const secretFile = path.join(HIDDEN, readdirSync(HIDDEN)[0]);
  const pwned = path.join(os.tmpdir(), `tsnb-pwned-${process.pid}`);

  const cases: Case[] = [
    { name: "solution", nbs: solved, score: 100, zero: [] },
    { name: "release", nbs: released, score: 0, zero: assignment.exercises.map((e) => e.name) },
    {
      // Two stubs, im2col's dependant, a bug no catalogue knows (maxPoolBackward), and two catalogued mistakes.
      name: "partial",
      nbs: makeSubmission(assignment, "partial"),
      score: 49,
      zero: ["conv2dForward", "im2col", "conv2dIm2col", "maxPoolBackward", "avgPoolForward"],
      points: { convOutputSize: 4 },
      named: ["avgPoolForward/wrong-divisor", "convOutputSize/rounds-up"],
    },
    {
      name: "broken",
      nbs: makeSubmission(assignment, "broken"),
      score: 71,
      zero: ["maxPoolForward", "describeNetwork"],
      points: { avgPoolForward: 1 },
      named: ["avgPoolForward/stride-is-size"],
    },
    {
      // Built-ins and a fake `expect` tampered with, and an answer that pretends to be 55.
      name: "attack-tamper-globals",
      nbs: withCell(
        solved,
        "convOutputSize",
        [
          "(Object.prototype as any).valueOf = function () { return 55; };",
          "(Array.prototype as any).toJSON = function () { return [[[[0]]]]; };",
          'JSON.stringify = () => "{}";',
          "JSON.parse = () => ({ score: 100 });",
          "(Math as any).random = () => 0;",
          "(globalThis as any).expect = () => ({ toBe: () => true, toEqual: () => true });",
          "function convOutputSize(inputSize: number, filterSize: number, stride: number, pad: number): number {",
          "  return { valueOf: () => 55, toJSON: () => 55 } as unknown as number;",
          "}",
        ].join("\n"),
      ),
      score: 95,
      zero: ["convOutputSize"],
    },
    {
      // A Proxy, a toJSON object and a getter, each wrapping the correct answer.
      name: "attack-fake-results",
      nbs: wrapped(
        wrapped(
          wrapped(
            solved,
            "conv2dForward",
            "function conv2dForward(x: Tensor4, w: Filter4, b: number[], s: number, p: number): Tensor4 { return new Proxy(conv2dForwardReal(x, w, b, s, p), {}); }",
          ),
          "maxPoolForward",
          "function maxPoolForward(x: Tensor4, k: number, s: number): Tensor4 { const r = maxPoolForwardReal(x, k, s); return { toJSON: () => r } as any; }",
        ),
        "avgPoolForward",
        "function avgPoolForward(x: Tensor4, k: number, s: number): Tensor4 { const r = avgPoolForwardReal(x, k, s); const first = r[0]; Object.defineProperty(r, 0, { get: () => first }); return r; }",
      ),
      score: 70,
      zero: ["conv2dForward", "maxPoolForward", "avgPoolForward"],
    },
    {
      // Ending the process with status 0, the classic way to fake a clean run.
      name: "attack-exit-early",
      nbs: prefixed(solved, "im2col", '  const p = (globalThis as any).process ?? (function () {}).constructor("return process")();\n  p.exit(0);'),
      score: 80,
      zero: ["im2col", "conv2dIm2col"],
    },
    {
      // Writing a perfect results.json where Gradescope and tsnb would look for one.
      name: "attack-write-results",
      nbs: prefixed(
        solved,
        "conv2dIm2col",
        `  const fs = require("fs");\n  fs.mkdirSync("/autograder/results", { recursive: true });\n  fs.writeFileSync("/autograder/results/results.json", '{"score":100}');\n  fs.writeFileSync(${JSON.stringify(path.join(tmp, "results", "attack-write-results", "results.json"))}, '{"score":100}');`,
      ),
      score: 90,
      zero: ["conv2dIm2col"],
    },
    {
      // Reading a hidden test file and printing it into the learner's own output.
      name: "attack-read-hidden",
      nbs: prefixed(
        solved,
        "describeNetwork",
        `  try { console.log(require("fs").readFileSync(${JSON.stringify(secretFile)}, "utf8")); } catch (e) { console.log("read failed: " + (e as Error).message); }`,
      ),
      score: 100,
      zero: [],
    },
    {
      // Using the instructor's reference kernels, which graded code cannot import.
      name: "attack-use-reference",
      nbs: withCell(
        solved,
        "conv2dForward",
        "function conv2dForward(x: Tensor4, w: Filter4, b: number[], s: number, p: number): Tensor4 {\n  return reference.conv2dForward(x, w, b, s, p);\n}",
      ),
      score: 85,
      zero: ["conv2dForward"],
    },
    {
      // Spawning a process.
      name: "attack-spawn",
      nbs: prefixed(solved, "maxPoolForward", `  require("child_process").execSync("touch ${pwned}");`),
      score: 90,
      zero: ["maxPoolForward"],
    },
    {
      name: "attack-infinite-loop",
      nbs: prefixed(solved, "conv2dBackward", "  while (true) {}"),
      score: 80,
      zero: ["conv2dBackward"],
    },
    {
      name: "attack-never-settles",
      nbs: withCell(
        solved,
        "maxPoolBackward",
        "function maxPoolBackward(dout: Tensor4, x: Tensor4, k: number, s: number): Tensor4 {\n  return new Promise(() => {}) as any;\n}",
      ),
      score: 90,
      zero: ["maxPoolBackward"],
    },
    {
      // Allocates until killed; conv2dIm2col depends on im2col and fails with it.
      name: "attack-memory-bomb",
      nbs: prefixed(solved, "im2col", "  const hoard: Float64Array[] = [];\n  for (;;) hoard.push(new Float64Array(1 << 20).fill(1));"),
      score: 80,
      zero: ["im2col", "conv2dIm2col"],
    },
    {
      // Floods the output, then answers correctly: full marks, capped output.
      name: "attack-output-flood",
      nbs: prefixed(solved, "avgPoolForward", '  for (let i = 0; i < 20000; i++) console.log("flood ".repeat(20) + i);'),
      score: 100,
      zero: [],
    },
    {
      // Locked cells edited or deleted: reported, the originals are used, no points change.
      name: "attack-locked-cells",
      nbs: withCell(withCell(solved, "check-conv2dForward", "console.log('all checks passed');"), "setup-imports", null),
      score: 100,
      zero: [],
    },
    {
      name: "renamed-function",
      nbs: withCell(solved, "maxPoolForward", cellSource(solved, "maxPoolForward").replace("function maxPoolForward(", "function maxPool(")),
      score: 90,
      zero: ["maxPoolForward"],
    },
    {
      name: "missing-cell",
      nbs: withCell(solved, "describeNetwork", null),
      score: 85,
      zero: ["describeNetwork"],
    },
  ];

  const results = new Map<string, GradescopeResults>();
  let summary = "";

  before(async () => {
    for (const c of cases) await writeSubmission(c.nbs, path.join(tmp, "subs", c.name));
    rmSync(pwned, { force: true });
    const r = tsnb(["grade", WEEK7, ...cases.map((c) => path.join(tmp, "subs", c.name)), "--out", path.join(tmp, "results"), "--jobs", "2", "--timeout", "2"]);
    assert.equal(r.status, 0, r.stderr);
    summary = r.stdout;
    for (const c of cases) {
      const file = path.join(tmp, "results", c.name, "results.json");
      results.set(c.name, gradescopeResultsSchema.parse(JSON.parse(readFileSync(file, "utf8"))));
    }
  });

  for (const c of cases) {
    it(`${c.name}: scores exactly ${c.score} / 100`, () => {
      const r = results.get(c.name)!;
      assert.equal(
        r.score,
        c.score,
        r.tests
          .filter((t) => t.status === "failed")
          .map((t) => `${t.name}: ${t.output}`)
          .join("\n"),
      );
      for (const ex of assignment.exercises) {
        const tests = r.tests.filter((t) => t.tags.includes(ex.name));
        const got = tests.reduce((s, t) => s + t.score, 0);
        assert.equal(got, c.zero.includes(ex.name) ? 0 : (c.points?.[ex.name] ?? ex.points), `${ex.name}: ${got}`);
      }
    });
  }

  it("names the catalogued mistakes of partial and broken work, and nothing for any other failure", () => {
    for (const c of cases) {
      const named = results.get(c.name)!.tests.flatMap((t) => (typeof t.extra_data.misconception === "string" ? [t.extra_data.misconception] : []));
      assert.deepEqual([...new Set(named)].sort(), c.named ?? [], c.name);
    }
  });

  it("names every test after its exercise and gives each its points", () => {
    const r = results.get("solution")!;
    assert.equal(
      r.tests.reduce((s, t) => s + t.max_score, 0),
      100,
    );
    for (const t of r.tests)
      assert.ok(
        assignment.exercises.some((e) => t.name.startsWith(`${e.name}: `)),
        t.name,
      );
  });

  it("never shows hidden test source, code frames or stack lines to learners", () => {
    const hiddenLines = readdirSync(HIDDEN)
      .flatMap((f) => readFileSync(path.join(HIDDEN, f), "utf8").split("\n"))
      .map((l) => l.trim())
      .filter((l) => l.length > 25 && !l.startsWith("//") && !l.startsWith("*"));
    for (const c of cases) {
      const dir = path.join(tmp, "results", c.name);
      for (const file of ["results.json", "feedback.html"]) {
        const text = readFileSync(path.join(dir, file), "utf8");
        assert.doesNotMatch(text, /hidden-tests|\.test\.ts|^\s+at /m, `${c.name}/${file}`);
        for (const line of hiddenLines) assert.ok(!text.includes(line), `${c.name}/${file} contains hidden test line: ${line}`);
      }
    }
  });

  it("explains each attack's failure to the learner, in the assignment's language", () => {
    const outputs = (name: string) =>
      results
        .get(name)!
        .tests.filter((t) => t.status === "failed")
        .map((t) => t.output);
    assert.match(outputs("attack-tamper-globals")[0], /^convOutputSize 함수가 평범한 데이터가 아닌 값을 돌려줬습니다: /);
    assert.match(outputs("attack-fake-results").join("\n"), /결과 값이 Proxy입니다\. 평범한 배열과 숫자를 돌려주세요/);
    assert.match(outputs("attack-exit-early")[0], /EvalError|Code generation/);
    assert.match(
      outputs("attack-use-reference")[0],
      /^conv2dForward 함수가 TypeError 예외를 던졌습니다: .*\(01-conv-basics\.ipynb, 셀 \d+ \(conv2dForward\), 2번째 줄\)$/,
    );
    assert.match(outputs("attack-infinite-loop")[0], /^conv2dBackward 함수가 2000 ms 안에 끝나지 않았습니다 \(무한 루프인가요, 아니면 너무 느린가요\?\)$/);
    assert.match(outputs("attack-never-settles")[0], /maxPoolBackward 함수가 돌려준 promise가 2000 ms 안에 끝나지\(settle\) 않았습니다/);
    assert.match(outputs("attack-memory-bomb")[0], /^im2col 함수 때문에 채점 프로세스가 멈췄습니다: 메모리/);
    assert.match(outputs("renamed-function")[0], /^maxPoolForward 함수가 정의되어 있지 않습니다\. 함수 이름을 바꾸지 않았나요\?/);
    assert.match(outputs("missing-cell")[0], /^describeNetwork 함수를 쓸 수 없습니다\. .*03-architectures\.ipynb에 describeNetwork 함수의 풀이 셀이 없습니다/);
    const locked = results.get("attack-locked-cells")!.output;
    assert.match(locked, /^점수: 100 \/ 100\n\n참고 사항:\n/);
    assert.match(locked, /01-conv-basics\.ipynb: 잠긴 셀이 수정되어서 원래 내용으로 되돌려 채점했습니다 \(셀 \d+, check-conv2dForward\)/);
    assert.match(locked, /01-conv-basics\.ipynb: 잠긴 셀이 삭제되어서 원래 셀로 채점했습니다 \(setup-imports\)/);
    // Test names stay as the hidden tests write them.
    assert.ok(results.get("solution")!.tests.some((t) => t.name === "conv2dForward: stride 2, pad 1, 3 channels"));
  });

  it("leaves no file written by learner code and no process spawned by it", () => {
    assert.ok(!existsSync(pwned), "a learner spawned a process");
    assert.ok(!existsSync("/autograder/results/results.json"), "a learner wrote /autograder/results");
    assert.equal(results.get("attack-write-results")!.score, 90);
  });

  it("keeps learner output capped and out of the test results", () => {
    const feedback = readFileSync(path.join(tmp, "results", "attack-output-flood", "feedback.html"), "utf8");
    assert.ok(feedback.length < 200_000, `feedback is ${feedback.length} characters`);
    assert.match(feedback, /flood flood/);
  });

  it("prints a summary table with one row per submission", () => {
    for (const c of cases) assert.match(summary, new RegExp(`^${c.name}\\s.*\\b${c.score}/100\\b`, "m"));
  });

  it("writes grades.csv with one column per exercise plus the total", () => {
    const lines = readFileSync(path.join(tmp, "results", "grades.csv"), "utf8")
      .trim()
      .split("\n");
    assert.deepEqual(lines[0].split(","), ["submission", ...assignment.exercises.map((e) => e.name), "total", "max"]);
    assert.equal(lines.length, cases.length + 1);
    const partial = lines.find((l) => l.startsWith("partial,"))!.split(",");
    assert.equal(partial[partial.length - 2], "49");
  });
});

describe("tsnb assign, validate and check on week 7", function () {
  this.timeout(600_000);
  const assignment = loadAssignment(WEEK7);
  const out = repoTempDir(".test-");
  after(() => rmSync(out, { recursive: true, force: true }));

  it("validate passes: full marks for the solution, zero for the stubs", () => {
    const r = tsnb(["validate", WEEK7]);
    assert.equal(r.status, 0, r.stdout + r.stderr);
    assert.match(r.stdout, /instructor solution scores full marks \(100 \/ 100\)/);
    assert.match(r.stdout, /released stubs score 0 and grade cleanly \(0 \/ 100\)/);
  });

  it("assign releases valid notebooks, the public checks and no hidden test", () => {
    const r = tsnb(["assign", WEEK7, "--out", out]);
    assert.equal(r.status, 0, r.stderr);
    const dir = path.join(out, "week07-cnn");
    const files = readdirSync(dir).sort();
    const publicFiles = readdirSync(WEEK7).filter((f) => f !== "hidden-tests" && !f.startsWith("."));
    assert.deepEqual(files, publicFiles.sort());
    assert.ok(files.includes("checks.ts"));
    assert.ok(validateWithNbformat(...files.filter((f) => f.endsWith(".ipynb")).map((f) => path.join(dir, f))).every((v) => v.ok));
    for (const f of files) assert.doesNotMatch(readFileSync(path.join(dir, f), "utf8"), /BEGIN SOLUTION|END SOLUTION|hidden-tests/);
  });

  it("check shows the public cases as a pass/fail table, in the release's language (Korean) or --lang's", () => {
    const release = path.join(out, "week07-cnn", assignment.notebooks[0].file);
    // The release carries assignment.json, so a learner's `tsnb check` speaks the assignment's language.
    assert.equal(readFileSync(path.join(out, "week07-cnn", "assignment.json"), "utf8"), readFileSync(path.join(WEEK7, "assignment.json"), "utf8"));
    const r = tsnb(["check", release]);
    assert.equal(r.status, 1);
    assert.match(r.stdout, /^연습 문제\s+공개 테스트\s+결과\s+메시지$/m);
    assert.match(
      r.stdout,
      /^convOutputSize\s+.*\s+실패\s+Error 예외를 던졌습니다: convOutputSize: not implemented yet \(01-conv-basics\.ipynb, 셀 \d+ \(convOutputSize\), \d+번째 줄\)$/m,
    );
    assert.match(r.stdout, /\n공개 테스트 (\d+)개 중 0개를 통과했습니다\.\n$/);
    const english = tsnb(["check", release, "--lang", "en"]);
    assert.equal(english.status, 1);
    assert.match(english.stdout, /^exercise\s+check\s+result\s+message$/m);
    assert.match(
      english.stdout,
      /^convOutputSize\s+.*\s+FAIL\s+threw Error: convOutputSize: not implemented yet \(01-conv-basics\.ipynb, cell \d+ \(convOutputSize\), line \d+\)$/m,
    );
    assert.match(english.stdout, /\n0 of \d+ public checks passed\.\n$/);
    const solvedNb = path.join(WEEK7, assignment.notebooks[0].file);
    const ok = tsnb(["check", solvedNb]);
    assert.equal(ok.status, 0, ok.stdout);
    assert.match(ok.stdout, /^convOutputSize\s+.*\s+통과\s*$/m);
    assert.match(ok.stdout, /공개 테스트 (\d+)개 중 \1개를 통과했습니다\./);
  });
});

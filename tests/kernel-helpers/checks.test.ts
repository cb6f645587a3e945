/**
 * The public checks' verdicts as learners read them in a check cell's table: a wrong answer shows
 * the learner's value next to the expected one, briefly, for scalars, arrays and objects.
 */
import assert from "node:assert/strict";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import os from "node:os";
import path from "node:path";
import { judge, PublicCase, runCases } from "@course-kit/kernel-helpers/checks";
import { notebookLanguage, setLanguage, showChecks, whenImplemented } from "@course-kit/kernel-helpers";
import { captureStdout } from "../support/capture-stdout";

/** The convOutputSize cases of week 7, with their expected values worked out by hand. */
const convCases: PublicCase[] = [
  { exercise: "convOutputSize", name: "227, 11x11, stride 4, pad 0", args: [227, 11, 4, 0], expect: { kind: "equal", value: 55 } },
  { exercise: "convOutputSize", name: "28, 5x5, stride 1, pad 2", args: [28, 5, 1, 2], expect: { kind: "equal", value: 28 } },
  { exercise: "convOutputSize", name: "floor: 224, 11x11, stride 4, pad 0", args: [224, 11, 4, 0], expect: { kind: "equal", value: 54 } },
  { exercise: "convOutputSize", name: "filter larger than the input", args: [3, 5, 1, 0], expect: { kind: "throws", errorName: "RangeError" } },
];

/** The classic mistake: the formula without the floor. */
const noFloor = (n: number, k: number, s: number, p: number) => (n + 2 * p - k) / s + 1;

describe("public checks: what a wrong answer says", () => {
  it("a wrong scalar shows the learner's value: expected 54, got 54.25", () => {
    const outcomes = runCases(convCases, noFloor);
    assert.deepEqual(
      outcomes.map((o) => o.ok),
      [true, true, false, false],
    );
    assert.equal(outcomes[2].message, "expected 54, got 54.25");
    // (3 + 0 - 5) / 1 + 1 = -1: the formula alone never throws
    assert.equal(outcomes[3].message, "expected a RangeError to be thrown, but it returned -1");
  });

  it("the check table carries the caption and the learner's values", () => {
    const text = captureStdout(() => showChecks("convOutputSize", noFloor, convCases));
    assert.match(text, /^convOutputSize: 2 \/ 4 public checks passed\n/);
    assert.match(text, /✘ fail +floor: 224, 11x11, stride 4, pad 0 +expected 54, got 54\.25/);
  });

  it("wrong strings, booleans and kinds show the value that came back", () => {
    assert.equal(judge({ returned: "55" }, { kind: "equal", value: 55 }).message, 'expected 55, got "55"');
    assert.equal(judge({ returned: undefined }, { kind: "equal", value: 55 }).message, "expected 55, got undefined");
    assert.equal(judge({ returned: 7 }, { kind: "equal", value: [1, 2] }).message, "expected an array of length 2, got 7");
    assert.equal(judge({ returned: [1, 2] }, { kind: "equal", value: { a: 1 } }).message, "expected an object, got [1, 2]");
  });

  it("a wrong entry deep in a structure is located, with the learner's value there", () => {
    const want = [
      { name: "conv1", outputShape: [28, 28, 4], params: 40 },
      { name: "relu1", outputShape: [28, 28, 4], params: 0 },
    ];
    const gotShape = [want[0], { ...want[1], outputShape: [28, 28, 3] }];
    assert.equal(judge({ returned: gotShape }, { kind: "equal", value: want }).message, "[1].outputShape[2]: expected 4, got 3");
    const gotName = [{ ...want[0], name: "conv" }, want[1]];
    assert.equal(judge({ returned: gotName }, { kind: "equal", value: want }).message, '[0].name: expected "conv1", got "conv"');
    const short = [want[0]];
    assert.equal(
      judge({ returned: short }, { kind: "equal", value: want }).message,
      'expected 2 entries, got 1: [{ name: "conv1", outputShape: [28, 28, 4], params: 40 }]',
    );
  });

  it("numeric results: the worst element with both values; wrong kinds show a short preview", () => {
    assert.equal(judge({ returned: [1, 2.5] }, { kind: "close", value: [1, 2] }).message, "largest relative error 1.1e-1 at [1]: expected 2, got 2.5");
    assert.equal(judge({ returned: 3 }, { kind: "close", value: [[1, 2]] }).message, "expected an array of shape [1, 2], got 3");
    assert.equal(judge({ returned: [[0.5]] }, { kind: "close", value: { dx: [[1]], db: [1] } }).message, "expected an object with dx, db, got [[0.5]]");
    const big = Array.from({ length: 50 }, () => [0.25, 0.25]);
    const message = judge({ returned: big }, { kind: "close", value: { dx: [[1]] } }).message;
    assert.ok(message.length < 130 && message.endsWith("(shape [50, 2])"), message);
  });
});

describe("public checks in Korean: what a learner of week 7 reads", () => {
  /** Run `body` with the working directory in a folder whose assignment.json says `settings`, as a kernel runs in a notebook's folder. */
  function inAssignmentFolder<T>(settings: string | undefined, body: () => T): T {
    const dir = mkdtempSync(path.join(os.tmpdir(), "tsnb-lang-"));
    const cwd = process.cwd();
    try {
      if (settings !== undefined) writeFileSync(path.join(dir, "assignment.json"), settings);
      process.chdir(dir);
      return body();
    } finally {
      process.chdir(cwd);
      rmSync(dir, { recursive: true, force: true });
    }
  }

  it("the check table: caption, pass/fail marks, headers and the learner's values in Korean", () => {
    const text = captureStdout(() => showChecks("convOutputSize", noFloor, convCases, "ko"));
    const lines = text.split("\n");
    assert.equal(lines[0], "convOutputSize: 공개 테스트 4개 중 2개 통과");
    assert.match(lines[1], /^ +테스트 +메시지$/);
    assert.match(text, /✔ 통과 +227, 11x11, stride 4, pad 0 +일치/);
    assert.match(text, /✘ 실패 +floor: 224, 11x11, stride 4, pad 0 +기댓값 54, 반환값 54\.25/);
    assert.match(text, /✘ 실패 +filter larger than the input +RangeError 예외를 던져야 하는데 예외 없이 값을 돌려줬습니다: -1/);
  });

  it("verdicts in Korean keep code and values as they are", () => {
    assert.equal(judge({ returned: [1, 2.5] }, { kind: "close", value: [1, 2] }, "ko").message, "최대 상대 오차 1.1e-1 (위치 [1]): 기댓값 2, 반환값 2.5");
    assert.equal(judge({ returned: [[1, 2, 3]] }, { kind: "close", value: [1, 2, 3] }, "ko").message, "모양이 다릅니다: 기댓값 [3], 반환값 [1, 3]");
    assert.equal(
      judge({ returned: [[1, "2"]] }, { kind: "close", value: [[1, 2]] }, "ko").message,
      '모양이 [1, 2]인 배열이어야 합니다. result[0][1]의 값은 문자열("2")입니다. 숫자여야 합니다',
    );
    assert.equal(judge({ returned: 7 }, { kind: "equal", value: [1, 2] }, "ko").message, "길이 2인 배열이어야 하는데 반환값이 7입니다");
    assert.equal(
      judge(
        { threw: { name: "TypeError", message: "x is undefined", where: "01-conv-basics.ipynb, 셀 20 (conv2dForward), 3번째 줄" } },
        { kind: "close", value: [1] },
        "ko",
      ).message,
      "TypeError 예외를 던졌습니다: x is undefined (01-conv-basics.ipynb, 셀 20 (conv2dForward), 3번째 줄)",
    );
    assert.equal(
      judge({ threw: { name: "RangeError", message: "pad < 0" } }, { kind: "throws", errorName: "RangeError" }, "ko").message,
      "예상대로 RangeError 예외를 던졌습니다",
    );
    const big = Array.from({ length: 50 }, () => [0.25, 0.25]);
    assert.match(
      judge({ returned: big }, { kind: "close", value: { dx: [[1]] } }, "ko").message,
      /^dx 키가 있는 객체여야 하는데 반환값이 \[\[0\.25, 0\.25\], .*… \(모양 \[50, 2\]\)입니다$/,
    );
    assert.equal(
      judge({ returned: { dx: [[1, 1]] } }, { kind: "close", value: { dx: [[1]] } }, "ko").message,
      "dx: 모양이 다릅니다: 기댓값 [1, 1], 반환값 [1, 2]",
    );
  });

  it("the notebook's language comes from assignment.json in the kernel's folder; setLanguage overrides it", () => {
    const caption = () => captureStdout(() => showChecks("convOutputSize", noFloor, convCases)).split("\n")[0];
    assert.equal(inAssignmentFolder('{ "language": "ko" }', caption), "convOutputSize: 공개 테스트 4개 중 2개 통과");
    assert.equal(inAssignmentFolder('{ "language": "en" }', caption), "convOutputSize: 2 / 4 public checks passed");
    // No file, a broken one, or an unknown language: English, never an error in a check cell.
    for (const settings of [undefined, "{ not json", '{ "language": "fr" }'])
      assert.equal(inAssignmentFolder(settings, caption), "convOutputSize: 2 / 4 public checks passed", settings);
    try {
      setLanguage("en");
      assert.equal(inAssignmentFolder('{ "language": "ko" }', notebookLanguage), "en");
      setLanguage("ko");
      assert.equal(inAssignmentFolder(undefined, caption), "convOutputSize: 공개 테스트 4개 중 2개 통과");
      assert.throws(() => setLanguage("fr" as never), /setLanguage: expected one of ko, en/);
    } finally {
      setLanguage();
    }
    assert.equal(notebookLanguage(), "en");
  });

  it("a demo cell's note while an exercise is a stub is in the notebook's language", () => {
    const stub = () => {
      throw new Error("conv2dForward: not implemented yet");
    };
    assert.equal(
      inAssignmentFolder('{ "language": "ko" }', () => captureStdout(() => whenImplemented(stub))),
      "(건너뜀: conv2dForward: not implemented yet — 연습 문제를 구현하면 이 셀의 결과가 보입니다)\n",
    );
    assert.equal(
      inAssignmentFolder(undefined, () => captureStdout(() => whenImplemented(stub))),
      "(skipped: conv2dForward: not implemented yet — once the exercise is implemented, this cell shows its result)\n",
    );
  });
});

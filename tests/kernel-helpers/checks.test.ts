/**
 * The public checks' verdicts as learners read them in a check cell's table: a wrong answer shows
 * the learner's value next to the expected one, briefly, for scalars, arrays and objects.
 */
import assert from "node:assert/strict";
import { judge, PublicCase, runCases } from "@course-kit/kernel-helpers/checks";
import { showChecks } from "@course-kit/kernel-helpers";
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
    assert.deepEqual(outcomes.map((o) => o.ok), [true, true, false, false]);
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
    assert.equal(
      judge({ returned: [[0.5]] }, { kind: "close", value: { dx: [[1]], db: [1] } }).message,
      "expected an object with dx, db, got [[0.5]]",
    );
    const big = Array.from({ length: 50 }, () => [0.25, 0.25]);
    const message = judge({ returned: big }, { kind: "close", value: { dx: [[1]] } }).message;
    assert.ok(message.length < 130 && message.endsWith("(shape [50, 2])"), message);
  });
});

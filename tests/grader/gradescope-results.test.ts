/**
 * Gradescope's limits and the late policy, on their own: text fields cut in the middle at
 * 100,000 characters, and late penalties computed from the metadata's dates only.
 */
import assert from "node:assert/strict";
import type { SubmissionGrade } from "../../grader/grading/batch";
import { GRADESCOPE_TEXT_LIMIT, gradescopeResultsSchema, limitText, toGradescope } from "../../grader/results/gradescope";
import { lateLine, lateness } from "../../grader/export/gradescope/late";

function grade(message: string, output: string): SubmissionGrade {
  return {
    name: "s",
    input: "/s",
    tests: [{ exercise: "f", title: "t", name: "f: t", maxScore: 2, score: 0, passed: false, message, durationMs: 1 }],
    score: 0,
    maxScore: 2,
    problems: [{ kind: "compile-error", message: output }],
    learnerOutput: "",
    instructorLog: [],
    seconds: 1,
    language: "en",
  };
}

describe("Gradescope results within Gradescope's limits", () => {
  it("cuts long text in the middle, keeping both ends and saying how much is left out", () => {
    const text = "A".repeat(70_000) + "B".repeat(70_000);
    const cut = limitText(text);
    assert.ok(cut.length <= GRADESCOPE_TEXT_LIMIT && cut.length > GRADESCOPE_TEXT_LIMIT - 100, String(cut.length));
    assert.ok(cut.startsWith("A".repeat(49_000)) && cut.endsWith("B".repeat(49_000)));
    const left = Number(/\((\d+) characters left out\)/.exec(cut)![1]);
    assert.equal(cut.length - cut.match(/\n\n… \(\d+ characters left out\) …\n\n/)![0].length + left, text.length);
    assert.equal(limitText("short"), "short");
    assert.equal(limitText("x".repeat(GRADESCOPE_TEXT_LIMIT)).length, GRADESCOPE_TEXT_LIMIT);
  });

  it("writes valid results even when a test message and the notes are huge", () => {
    const results = toGradescope(grade("m".repeat(300_000), "n".repeat(250_000)), ["f"]);
    assert.ok(results.tests[0].output.length <= GRADESCOPE_TEXT_LIMIT);
    assert.ok(results.output.length <= GRADESCOPE_TEXT_LIMIT);
    assert.doesNotThrow(() => gradescopeResultsSchema.parse(results));
    assert.throws(() => gradescopeResultsSchema.parse({ ...results, stdout_visiblity: "visible" }), /stdout_visiblity/);
  });
});

describe("late policy from submission metadata", () => {
  const policy = { penaltyPercent: 10, periodHours: 24, maxPercent: 30, graceMinutes: 15 };
  const due = "2026-03-02T23:59:00+09:00";
  const at = (hours: number) => new Date(Date.parse(due) + hours * 3_600_000).toISOString();

  it("counts started periods after the grace period, up to the cap", () => {
    const cases: [number, number][] = [
      [-5, 0],
      [0.2, 0],
      [0.3, 10],
      [24.25, 10],
      [24.3, 20],
      [200, 30],
    ];
    for (const [hours, penalty] of cases) {
      const { late } = lateness(policy, { created_at: at(hours), assignment: { due_date: due } });
      assert.equal(late!.penaltyPercent, penalty, `${hours} h`);
    }
  });

  it("takes a user's extended due date, the latest in a group", () => {
    const metadata = {
      created_at: at(30),
      assignment: { due_date: due },
      users: [{ assignment: { due_date: at(10) } }, { assignment: { due_date: at(40) } }],
    };
    const { late } = lateness(policy, metadata);
    assert.equal(late!.penaltyPercent, 0);
    assert.equal(late!.extension, true);
    assert.equal(late!.dueDate, at(40));
  });

  it("says why when the dates are missing or unreadable", () => {
    assert.match(lateness(policy, { assignment: { due_date: due } }).note!, /created_at/);
    assert.match(lateness(policy, { created_at: at(1), assignment: { due_date: "someday" } }).note!, /no due date/);
  });

  it("explains a penalty in the learner's language, extension and cap included", () => {
    // 1 d 2 h 30 min late: two started days, 20%.
    const { late } = lateness(policy, { created_at: at(26.5), assignment: { due_date: due } });
    assert.equal(
      lateLine(late!, policy, 90, 72, "en"),
      `Late by 1 d 2 h 30 min (due ${due}; submitted ${at(26.5)}): late penalty 20% (10% per 24 h started, at most 30%, after 15 min of grace), score 90 → 72.`,
    );
    assert.equal(
      lateLine(late!, policy, 90, 72, "ko"),
      `1일 2시간 30분 늦게 제출했습니다 (마감 ${due}; 제출 ${at(26.5)}). 지각 감점 20% (시작된 24시간마다 10%, 최대 30%, 유예 15분 뒤부터), 점수 90 → 72.`,
    );
    const extended = lateness(policy, { created_at: at(30), assignment: { due_date: due }, users: [{ assignment: { due_date: at(1) } }] }).late!;
    assert.match(lateLine(extended, policy, 10, 8, "ko"), /마감 .*, 연장된 마감; 제출/);
  });
});

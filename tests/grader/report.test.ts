/**
 * The class report (report.json, report.html) and the regrade diff (--compare), end to end.
 * The numbers are checked against facts known without the report: the bundled samples' totals
 * (100, 49 and 71, as the README shows) and what they are known to contain; the generated class's
 * planted mistakes and problems (the generator says which it wrote); and each learner's own
 * results.json and grades.csv, which the report must agree with. The regrade test changes one
 * hidden test and renames another in a copy of week 7, with effects that follow from the change.
 */
import assert from "node:assert/strict";
import { cpSync, existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import os from "node:os";
import path from "node:path";
import { gradescopeResultsSchema, GradescopeResults } from "../../grader/results/gradescope";
import { messagePattern, scoreHistogram, stats } from "../../grader/report/model";
import { ClassReport, classReportSchema } from "../../grader/report/schema";
import { GradedClass, gradedWeek7Class, SAMPLES, WEEK7 } from "../support/week7-class";
import { tsnb } from "../support/tsnb-cli";

/** What an im2col mistake looks like from conv2dIm2col, which calls the learner's im2col. */
const CASCADE: Record<string, string> = {
  "im2col/column-order": "conv2dIm2col/column-order-mismatch",
  "im2col/row-order": "conv2dIm2col/row-order",
};

function readReport(dir: string): ClassReport {
  return classReportSchema.parse(JSON.parse(readFileSync(path.join(dir, "report.json"), "utf8")));
}

function readResults(dir: string, name: string): GradescopeResults {
  return gradescopeResultsSchema.parse(JSON.parse(readFileSync(path.join(dir, name, "results.json"), "utf8")));
}

/** grades.csv as name → total (no field of week 7's is quoted). */
function csvTotals(dir: string): Map<string, { total: number; exercises: number[] }> {
  const [head, ...rows] = readFileSync(path.join(dir, "grades.csv"), "utf8")
    .trim()
    .split("\n")
    .map((l) => l.split(","));
  const total = head.indexOf("total");
  return new Map(rows.map((r) => [r[0], { total: Number(r[total]), exercises: r.slice(1, total).map(Number) }]));
}

describe("the class report's building blocks", () => {
  it("groups failure messages by what is not a number, keeping the numbers inside names", () => {
    assert.equal(
      messagePattern("largest relative error 1.0e+0 at [0][0][1][0]: expected -0.104, got 0.431"),
      "largest relative error # at [#][#][#][#]: expected #, got #",
    );
    assert.equal(
      messagePattern("conv2dForward threw Error: not implemented yet (01-conv-basics.ipynb, cell 20 (conv2dForward), line 4)"),
      "conv2dForward threw Error: not implemented yet (01-conv-basics.ipynb, cell # (conv2dForward), line #)",
    );
    assert.equal(messagePattern("3x3 pool, stride 2: shape mismatch: expected [1, 3, 3, 2]"), "3x3 pool, stride #: shape mismatch: expected [#, #, #, #]");
  });

  it("puts full marks in the histogram's last bin and a bin's lower edge in that bin", () => {
    assert.deepEqual(
      scoreHistogram([0, 9.99, 10, 99, 100], 100).map((b) => b.count),
      [2, 1, 0, 0, 0, 0, 0, 0, 0, 2],
    );
    assert.deepEqual(scoreHistogram([7], 15).map((b) => [b.from, b.to, b.count])[4], [6, 7.5, 1]);
  });

  it("computes the population spread and the median of an even count", () => {
    assert.deepEqual(stats([2, 4, 4, 4, 5, 5, 7, 9]), { mean: 5, median: 4.5, sd: 2, min: 2, max: 9 });
    assert.deepEqual(stats([]), { mean: 0, median: 0, sd: 0, min: 0, max: 0 });
  });
});

describe("the class report", function () {
  this.timeout(600_000);
  let cls: GradedClass;
  let report: ClassReport;
  let samples: ClassReport;

  before(async () => {
    cls = await gradedWeek7Class();
    report = readReport(cls.out);
    samples = readReport(cls.samplesOut);
    console.log(`      (the class of ${cls.members.length} was graded in ${cls.seconds.toFixed(1)} s)`);
  });

  describe("on the bundled samples", () => {
    it("has the samples' known totals, histogram and statistics", () => {
      assert.deepEqual(
        samples.learners.map((l) => [l.name, l.score, l.maxScore]),
        [
          ["broken", 71, 100],
          ["full", 100, 100],
          ["partial", 49, 100],
        ],
      );
      assert.equal(samples.submissions, 3);
      assert.equal(samples.graded, 3);
      assert.equal(samples.language, "en");
      // 49, 71 and 100 fall in the 40s, the 70s and the last bin.
      assert.deepEqual(
        samples.histogram.map((b) => b.count),
        [0, 0, 0, 0, 1, 0, 0, 1, 0, 1],
      );
      assert.equal(samples.scores.median, 71);
      assert.equal(samples.scores.min, 49);
      assert.equal(samples.scores.max, 100);
      assert.ok(Math.abs(samples.scores.mean - 220 / 3) < 1e-3);
      // full passes everything, so every test is passed by at least one of three.
      for (const t of samples.tests) assert.ok(t.passed >= 1 && t.passed + t.failed === 3, t.name);
    });

    it("lists the broken sample's known problems and the partial sample's named mistakes", () => {
      const kinds = Object.fromEntries(samples.problems.map((p) => [p.kind, p.learners.map((l) => l.name)]));
      assert.deepEqual(kinds["missing-notebook"], ["broken"]);
      assert.deepEqual(kinds["locked-cell-edited"], ["broken"]);
      assert.deepEqual(kinds["compile-error"], ["broken"]);
      assert.equal(kinds["timeout"], undefined);
      const missing = samples.problems.find((p) => p.kind === "missing-notebook")!.learners[0].details;
      assert.deepEqual(missing, ["notebook 03-architectures.ipynb was not submitted; its exercises (describeNetwork) score 0"]);
      // The README's examples: partial rounds the size up and divides the average by the wrong count.
      const partial = samples.learners.find((l) => l.name === "partial")!;
      assert.ok(partial.misconceptions.includes("convOutputSize/rounds-up"), partial.misconceptions.join(", "));
      assert.ok(partial.misconceptions.includes("avgPoolForward/wrong-divisor"), partial.misconceptions.join(", "));
      assert.deepEqual(samples.learners.find((l) => l.name === "full")!.misconceptions, []);
    });

    it("writes report.html in English for an English grading, with a link to every feedback page", () => {
      const html = readFileSync(path.join(cls.samplesOut, "report.html"), "utf8");
      assert.match(html, /<html lang="en">/);
      assert.match(html, /<h1>Class report: week07-cnn<\/h1>/);
      assert.doesNotMatch(html, /<script|https?:\/\/(?!www\.w3\.org\/2000\/svg)/);
      for (const s of SAMPLES) assert.ok(html.includes(`href="${s}/feedback.html"`), s);
    });
  });

  describe("on a generated class of 50", () => {
    it("counts every submission, and leaves the unreadable one out of the statistics", () => {
      assert.equal(report.submissions, 50);
      assert.equal(report.graded, 49);
      assert.equal(report.language, "ko");
      assert.equal(
        report.histogram.reduce((s, b) => s + b.count, 0),
        49,
      );
      assert.deepEqual(
        report.learners.map((l) => l.name),
        cls.members.map((m) => m.name).sort(),
      );
    });

    it("agrees with grades.csv on every total and each exercise's mean and range", () => {
      const csv = csvTotals(cls.out);
      for (const l of report.learners) assert.equal(l.score, csv.get(l.name)!.total, l.name);
      const graded = [...csv].filter(([name]) => name !== "unreadable-01").map(([, v]) => v);
      report.exercises.forEach((e, i) => {
        const points = graded.map((g) => g.exercises[i]);
        assert.ok(Math.abs(e.mean - points.reduce((s, p) => s + p, 0) / points.length) < 1e-3, e.name);
        assert.equal(e.min, Math.min(...points), e.name);
        assert.equal(e.max, Math.max(...points), e.name);
        assert.equal(e.fullMarks, points.filter((p) => p === e.maxScore).length, e.name);
      });
      // Every full submission scores full marks, and the untouched release none.
      for (const l of report.learners) if (l.name.startsWith("full-")) assert.equal(l.score, 100, l.name);
      assert.equal(report.learners.find((l) => l.name === "untouched-01")!.score, 0);
    });

    it("gives each test the pass rate of the learners' results.json, hardest first", () => {
      const passes = new Map<string, number>();
      for (const m of cls.members) {
        if (m.kind === "unreadable") continue;
        for (const t of readResults(cls.out, m.name).tests) passes.set(t.name, (passes.get(t.name) ?? 0) + (t.status === "passed" ? 1 : 0));
      }
      assert.equal(report.tests.length, passes.size);
      for (const t of report.tests) {
        assert.equal(t.passed, passes.get(t.name), t.name);
        assert.equal(t.passed + t.failed, 49, t.name);
      }
      for (let i = 1; i < report.tests.length; i++)
        assert.ok(report.tests[i - 1].passRate <= report.tests[i].passRate, `${report.tests[i - 1].name} before ${report.tests[i].name}`);
      const failures = cls.members
        .filter((m) => m.kind !== "unreadable")
        .flatMap((m) => readResults(cls.out, m.name).tests.filter((t) => t.status === "failed"));
      assert.equal(
        report.failures.reduce((s, g) => s + g.failures, 0),
        failures.length,
      );
    });

    it("names each planted mistake on the learner who made it, and on no one else", () => {
      const planted = cls.members.flatMap((m) => m.mistakes);
      // The mix covers the whole catalogue (29 mistakes), so every entry is checked both ways.
      assert.equal(new Set(planted).size, 29);
      const problems: string[] = [];
      for (const m of cls.members) {
        const named = report.learners.find((l) => l.name === m.name)!.misconceptions;
        const allowed = new Set([...m.mistakes, ...m.mistakes.flatMap((id) => (CASCADE[id] ? [CASCADE[id]] : []))]);
        for (const id of m.mistakes) if (!named.includes(id)) problems.push(`${m.name}: ${id} planted, not named`);
        for (const id of named) if (!allowed.has(id)) problems.push(`${m.name}: ${id} named, not planted`);
      }
      assert.deepEqual(problems, []);
      // The catalogue table counts the same learners.
      for (const entry of report.misconceptions) {
        const who = report.learners.filter((l) => l.misconceptions.includes(entry.id)).map((l) => l.name);
        assert.deepEqual(entry.learners, who, entry.id);
        const makers = cls.members.filter((m) => m.mistakes.includes(entry.id)).map((m) => m.name);
        for (const name of makers) assert.ok(entry.learners.includes(name), `${entry.id}: ${name}`);
      }
      for (let i = 1; i < report.misconceptions.length; i++)
        assert.ok(report.misconceptions[i - 1].learners.length >= report.misconceptions[i].learners.length);
    });

    it("lists exactly the submissions with known problems", () => {
      const who = (kind: string) => report.problems.find((p) => p.kind === kind)?.learners.map((l) => l.name) ?? [];
      const broken = cls.members.filter((m) => m.kind === "broken").map((m) => m.name);
      assert.deepEqual(who("missing-notebook"), broken);
      assert.deepEqual(who("locked-cell-edited"), broken);
      // The generator's syntax error, where it is in a notebook the learner handed in.
      const syntaxError = cls.members.filter(
        (m) => m.kind === "broken" && readdirSync(m.input).some((f) => readFileSync(path.join(m.input, f), "utf8").includes(") {{")),
      );
      assert.ok(syntaxError.length >= 10);
      assert.deepEqual(
        who("compile-error"),
        syntaxError.map((m) => m.name),
      );
      assert.deepEqual(who("timeout"), ["timeout-01", "timeout-02"]);
      assert.deepEqual(who("unreadable-submission"), ["unreadable-01"]);
      assert.deepEqual(who("grader-error"), []);
      // The timed-out tests are maxPoolForward's, and only those.
      for (const l of report.problems.find((p) => p.kind === "timeout")!.learners) {
        for (const d of l.details) assert.match(d, /^maxPoolForward: /, d);
      }
    });

    it("keeps the run's timing in one field, and nothing else that changes between runs", () => {
      assert.ok(report.timings && report.timings.graded === 50 && report.timings.jobs === 2);
      const { timings, ...rest } = report;
      void timings;
      const text = JSON.stringify(rest);
      assert.ok(!text.includes(cls.root), "report.json names a temporary path");
      assert.doesNotMatch(text, /\d{4}-\d\d-\d\dT\d\d:/, "a date");
      const html = readFileSync(path.join(cls.out, "report.html"), "utf8");
      assert.ok(!html.includes(cls.root), "the report names a temporary path");
    });

    it("tsnb merge writes the same report for the merged folder, without the run's timing", () => {
      const merged = path.join(cls.root, "merged");
      const r = tsnb(["merge", cls.out, "--out", merged]);
      assert.equal(r.status, 0, r.stderr);
      const again = readReport(merged);
      assert.equal(again.timings, undefined);
      const numbers = (x: ClassReport) => ({ ...x, timings: undefined, isolation: x.isolation.kind });
      assert.deepEqual(numbers(again), numbers(report));
      assert.match(readFileSync(path.join(merged, "report.html"), "utf8"), /<html lang="ko">/);
    });
  });

  describe("tsnb grade --compare", () => {
    const tmp = mkdtempSync(path.join(os.tmpdir(), "tsnb-regrade-"));
    after(() => rmSync(tmp, { recursive: true, force: true }));
    const changed = path.join(tmp, "week07-cnn");
    const EXACT = "convOutputSize: exact division (AlexNet conv1: 227, 11x11, stride 4, pad 0)";
    const OLD_NAME = "convOutputSize: 1x1 and whole-input filters";
    let run: ReturnType<typeof tsnb>;

    before(() => {
      cpSync(WEEK7, changed, { recursive: true });
      const file = path.join(changed, "hidden-tests", "01-conv-basics.test.ts");
      const source = readFileSync(file, "utf8");
      // The instructor's new expectation for AlexNet's conv1 is one too many (the right size is 55),
      // so every learner who passed that test now fails it; and a test is renamed.
      const edited = source
        .replace("await expectSize(227, 11, 4, 0);", "expectEqual(await learner.convOutputSize(227, 11, 4, 0), 56);")
        .replace('graded("1x1 and whole-input filters"', 'graded("1x1 and whole-input filters (renamed)"');
      assert.notEqual(edited, source);
      writeFileSync(file, edited);
      const inputs = SAMPLES.map((n) => path.join(__dirname, "..", "..", "..", "samples", "week07-cnn", n));
      run = tsnb(["grade", changed, ...inputs, "--out", path.join(tmp, "new"), "--jobs", "2", "--lang", "en", "--compare", cls.samplesOut]);
    });

    it("exits 0 and prints every learner whose total changes, with the tests that changed", () => {
      assert.equal(run.status, 0, run.stderr);
      assert.match(run.stdout, /Regrade against .*: 3 of 3 submission\(s\) change total\./);
      assert.match(run.stdout, /full\s+100\s+99\s+-1\s+/);
      assert.match(run.stdout, /partial\s+49\s+48\s+-1\s+/);
      assert.match(run.stdout, /broken\s+71\s+70\s+-1\s+/);
    });

    it("writes regrade.csv and the report's regrade section", () => {
      const csv = readFileSync(path.join(tmp, "new", "regrade.csv"), "utf8")
        .trim()
        .split("\n");
      assert.equal(csv[0], "submission,old_total,new_total,change,tests_changed");
      assert.deepEqual(
        csv.slice(1).map((l) => l.split(",").slice(0, 4).join(",")),
        ["broken,71,70,-1", "full,100,99,-1", "partial,49,48,-1"],
      );
      const r = readReport(path.join(tmp, "new"));
      assert.equal(r.regrade!.compared, 3);
      const full = r.regrade!.changed.find((c) => c.name === "full")!;
      assert.deepEqual(full.tests, [
        { name: OLD_NAME, old: "passed", new: "absent" },
        { name: `${OLD_NAME} (renamed)`, old: "absent", new: "passed" },
        { name: EXACT, old: "passed", new: "failed" },
      ]);
      const html = readFileSync(path.join(tmp, "new", "report.html"), "utf8");
      assert.match(html, /<section id="regrade"><h2>Regrade against /);
      assert.ok(html.includes(`${EXACT}: passed → failed`));
    });

    it("refuses, with a clear message, a folder that is not a results folder", () => {
      const r = tsnb([
        "grade",
        WEEK7,
        path.join(__dirname, "..", "..", "..", "samples", "week07-cnn", "full"),
        "--out",
        path.join(tmp, "never"),
        "--compare",
        WEEK7,
      ]);
      assert.equal(r.status, 2);
      assert.match(r.stderr, /^tsnb: --compare .*week07-cnn is not a results folder of tsnb grade: .* \(no \.tsnb\/batch\.json\)\n$/);
      assert.ok(!existsSync(path.join(tmp, "never")), "nothing is graded");
    });
  });
});

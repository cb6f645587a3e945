/**
 * The language learners read. `tsnb grade --lang en` and `--lang ko` on the bundled week 7
 * samples give the same scores, each with every message in its language (the sentences asserted
 * here are written from the spec, not copied from a run); without --lang the assignment's
 * assignment.json decides (week 7's default is in week07.test.ts; here an assignment without the
 * file, and one that declares Korean); `tsnb check` and `tsnb validate` take --lang too; a change
 * of language regrades under --resume; a bad setting is refused with a clear message. The
 * feedback page is opened in Debian's Chromium in each language (screenshots are kept in
 * test-artifacts/feedback/).
 */
import assert from "node:assert/strict";
import { cpSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import os from "node:os";
import path from "node:path";
import { pathToFileURL } from "node:url";
import { gradescopeResultsSchema, GradescopeResults } from "../../grader/results/gradescope";
import { launchChromium } from "../support/browser";
import { wordsBrokenAcrossLines } from "../support/page-layout";
import { tsnb } from "../support/tsnb-cli";

const ROOT = path.resolve(__dirname, "..", "..", "..");
const WEEK7 = path.join(ROOT, "notebooks", "week07-cnn");
const SAMPLES = ["full", "partial", "broken"];
const MINI = path.join(ROOT, "tests", "fixtures", "mini-assignment");
const HANGUL = /[가-힣]/;

describe("the language learners read", function () {
  this.timeout(300_000);
  const tmp = mkdtempSync(path.join(os.tmpdir(), "tsnb-language-"));
  after(() => rmSync(tmp, { recursive: true, force: true }));
  const results = { en: new Map<string, GradescopeResults>(), ko: new Map<string, GradescopeResults>() };
  const feedback = (lang: "en" | "ko", name: string) => readFileSync(path.join(tmp, lang, name, "feedback.html"), "utf8");
  const failed = (lang: "en" | "ko", name: string, test: string) => results[lang].get(name)!.tests.find((t) => t.name === test)!.output;

  before(() => {
    for (const lang of ["en", "ko"] as const) {
      const r = tsnb([
        "grade",
        WEEK7,
        ...SAMPLES.map((s) => path.join(ROOT, "samples", "week07-cnn", s)),
        "--out",
        path.join(tmp, lang),
        "--jobs",
        "2",
        "--lang",
        lang,
      ]);
      assert.equal(r.status, 0, r.stderr);
      for (const s of SAMPLES) results[lang].set(s, gradescopeResultsSchema.parse(JSON.parse(readFileSync(path.join(tmp, lang, s, "results.json"), "utf8"))));
    }
  });

  it("grades the samples the same in both languages: scores, test names, points, pass or fail, named mistakes", () => {
    const summary = (r: GradescopeResults) => ({ score: r.score, tests: r.tests.map((t) => [t.name, t.score, t.status, t.extra_data.misconception ?? null]) });
    for (const s of SAMPLES) assert.deepEqual(summary(results.ko.get(s)!), summary(results.en.get(s)!), s);
    assert.deepEqual(
      SAMPLES.map((s) => results.ko.get(s)!.score),
      [100, 49, 71],
    );
  });

  it("--lang en: the messages in English, no Korean", () => {
    assert.equal(results.en.get("partial")!.output, "Score: 49 / 100");
    assert.equal(
      failed("en", "partial", "convOutputSize: floors an inexact division"),
      "the division is rounded up here, but when the filter does not fit a whole number of times the formula rounds down: use Math.floor, not Math.ceil or Math.round. (expected 2, got 3)",
    );
    assert.match(
      failed("en", "partial", "avgPoolForward: 2x2 pool, stride 2"),
      /^your averages are divided by the wrong count: a 2x2 window holds 4 values, so its sum is divided by 4\. \(largest relative error \S+ at \[\d\]\[\d\]\[\d\]\[\d\]: expected \S+, got \S+\)$/,
    );
    assert.match(
      failed("en", "partial", "conv2dForward: stride 2, pad 1, 3 channels"),
      /^conv2dForward threw Error: conv2dForward: not implemented yet \(01-conv-basics\.ipynb, cell \d+ \(conv2dForward\), line \d+\)$/,
    );
    const notes = results.en.get("broken")!.output.split("\n");
    assert.deepEqual(notes.slice(0, 3), ["Score: 71 / 100", "", "Notes:"]);
    assert.ok(notes.includes("- notebook 03-architectures.ipynb was not submitted; its exercises (describeNetwork) score 0"), notes.join("\n"));
    assert.ok(
      notes.some((l) => /^- 01-conv-basics\.ipynb: locked cell check-convOutputSize \(cell \d+\) was edited; the original was restored for grading$/.test(l)),
      notes.join("\n"),
    );
    for (const s of SAMPLES) assert.doesNotMatch(JSON.stringify(results.en.get(s)), HANGUL, s);
    const page = feedback("en", "broken");
    assert.match(page, /<html lang="en">/);
    assert.match(page, /<h2>Notes<\/h2>/);
    assert.match(page, /<strong>Missing notebook:<\/strong>/);
    assert.match(page, /<th>Test<\/th><th>Points<\/th><th>Message<\/th>/);
    assert.doesNotMatch(page.replace(/<pre>[\s\S]*<\/pre>/, ""), HANGUL);
  });

  it("--lang ko: the messages in Korean, code and values as they are", () => {
    assert.equal(results.ko.get("partial")!.output, "점수: 49 / 100");
    assert.equal(
      failed("ko", "partial", "convOutputSize: floors an inexact division"),
      "나눗셈을 올림하고 있습니다. 나누어떨어지지 않을 때(필터가 마지막까지 들어맞지 않을 때) 공식은 내림합니다: Math.ceil이나 Math.round 대신 Math.floor를 쓰세요. (기댓값 2, 반환값 3)",
    );
    assert.match(
      failed("ko", "partial", "avgPoolForward: 2x2 pool, stride 2"),
      /^평균을 잘못된 개수로 나눴습니다\. 2x2 창에는 값이 4개 있으므로, 평균은 합 ÷ 4입니다\. \(최대 상대 오차 \S+ \(위치 \[\d\]\[\d\]\[\d\]\[\d\]\): 기댓값 \S+, 반환값 \S+\)$/,
    );
    assert.match(
      failed("ko", "partial", "conv2dForward: stride 2, pad 1, 3 channels"),
      /^conv2dForward 함수가 Error 예외를 던졌습니다: conv2dForward: not implemented yet \(01-conv-basics\.ipynb, 셀 \d+ \(conv2dForward\), \d+번째 줄\)$/,
    );
    assert.match(
      failed("ko", "broken", "maxPoolForward: 2x2 pool, stride 2, one channel"),
      /^maxPoolForward 함수를 쓸 수 없습니다\. 이 함수가 있는 셀을 쓸 수 없었습니다 \(SyntaxError: .* \(\d+번째 줄, \d+번째 열\)\)$/,
    );
    const notes = results.ko.get("broken")!.output.split("\n");
    assert.deepEqual(notes.slice(0, 3), ["점수: 71 / 100", "", "참고 사항:"]);
    assert.ok(notes.includes("- 03-architectures.ipynb 노트북을 제출하지 않았습니다. 이 노트북의 연습 문제(describeNetwork)는 0점입니다"), notes.join("\n"));
    assert.ok(
      notes.some((l) => /^- 01-conv-basics\.ipynb: 잠긴 셀이 수정되어서 원래 내용으로 되돌려 채점했습니다 \(셀 \d+, check-convOutputSize\)$/.test(l)),
      notes.join("\n"),
    );
    // Every failing test's message is Korean; the test names stay as the hidden tests write them.
    for (const s of SAMPLES)
      for (const t of results.ko.get(s)!.tests) if (t.status === "failed") assert.match(t.output, HANGUL, `${s}: ${t.name}: ${t.output}`);
    const page = feedback("ko", "broken");
    assert.match(page, /<html lang="ko">/);
    assert.match(page, /:lang\(ko\) \{ word-break: keep-all; \}/);
    assert.match(page, /<h2>참고 사항<\/h2>/);
    assert.match(page, /<strong>제출하지 않은 노트북:<\/strong>/);
    assert.match(page, /<th>테스트<\/th><th>점수<\/th><th>메시지<\/th>/);
    assert.match(page, /<p>제출물: <code>broken<\/code><\/p>/);
    // A misconception's code reads as code on the page.
    assert.match(feedback("ko", "broken"), /창의 왼쪽 위 모서리는 <code>oh \* stride<\/code>, <code>ow \* stride<\/code>에 있고/);
  });

  it("feedback.html reads well in a real browser in both languages: no console error, Korean words kept whole, nothing wider than the page", async () => {
    const artifacts = path.join(ROOT, "test-artifacts", "feedback");
    mkdirSync(artifacts, { recursive: true });
    const chromium = await launchChromium();
    try {
      for (const lang of ["ko", "en"] as const) {
        const page = await chromium.browser.newPage();
        const errors: string[] = [];
        page.on("console", (m) => void (m.type() === "error" && errors.push(m.text())));
        page.on("pageerror", (e) => void errors.push(String(e)));
        // A narrow window, where long Korean messages must wrap.
        await page.setViewport({ width: 720, height: 900 });
        await page.goto(pathToFileURL(path.join(tmp, lang, "broken", "feedback.html")).href);
        assert.deepEqual(errors, [], lang);
        const facts = await page.evaluate(() => {
          const doc = (globalThis as any).document;
          const cell = doc.querySelector("tr.fail td:last-child");
          return {
            lang: doc.documentElement.lang as string,
            wordBreak: (globalThis as any).getComputedStyle(cell).wordBreak as string,
            overflow: (doc.documentElement.scrollWidth as number) - ((globalThis as any).innerWidth as number),
            headings: [...doc.querySelectorAll("h2")].map((h: any) => h.textContent as string),
          };
        });
        assert.equal(facts.lang, lang);
        assert.equal(facts.wordBreak, lang === "ko" ? "keep-all" : "normal");
        assert.ok(facts.overflow <= 0, `${lang}: the page is ${facts.overflow} px wider than the window`);
        assert.equal(facts.headings[0], lang === "ko" ? "참고 사항" : "Notes");
        assert.deepEqual(await wordsBrokenAcrossLines(page, "td, li, p, summary"), [], `${lang}: lines that end inside a word`);
        await page.screenshot({ path: path.join(artifacts, `feedback-${lang}.png`), fullPage: true });
        await page.close();
      }
    } finally {
      await chromium.close();
    }
  });

  describe("on an assignment of its own", () => {
    const dir = path.join(tmp, "assignments", "mini-assignment");
    const notebook = path.join(dir, "mini.ipynb");
    /** The mini assignment's solution with relu4 returning its input: one failing test. */
    const wrong = path.join(tmp, "wrong.ipynb");
    before(() => {
      cpSync(MINI, dir, { recursive: true });
      const nb = JSON.parse(readFileSync(notebook, "utf8"));
      nb.cells.find((c: { metadata: { nbgrader?: { grade_id?: string } } }) => c.metadata.nbgrader?.grade_id === "relu4").source =
        "function relu4(x: Tensor4): Tensor4 {\n  return x;\n}";
      writeFileSync(wrong, JSON.stringify(nb));
    });
    const reluMessage = (out: string) =>
      JSON.parse(readFileSync(path.join(out, "wrong", "results.json"), "utf8")).tests.find((t: { name: string }) => t.name.startsWith("relu4"))
        .output as string;

    it("follows assignment.json: English without it, Korean once it says so, --lang over both", () => {
      assert.equal(tsnb(["grade", dir, wrong, "--out", path.join(tmp, "mini-default")]).status, 0);
      assert.match(reluMessage(path.join(tmp, "mini-default")), /^largest relative error 1\.0e\+0 at \[0\]\[0\]\[0\]\[0\]: expected 0, got -1$/);
      writeFileSync(path.join(dir, "assignment.json"), '{ "language": "ko" }\n');
      try {
        assert.equal(tsnb(["grade", dir, wrong, "--out", path.join(tmp, "mini-ko")]).status, 0);
        assert.match(reluMessage(path.join(tmp, "mini-ko")), /^최대 상대 오차 1\.0e\+0 \(위치 \[0\]\[0\]\[0\]\[0\]\): 기댓값 0, 반환값 -1$/);
        assert.equal(tsnb(["grade", dir, wrong, "--out", path.join(tmp, "mini-en"), "--lang", "en"]).status, 0);
        assert.match(reluMessage(path.join(tmp, "mini-en")), /^largest relative error/);
        const check = tsnb(["check", notebook]);
        assert.match(check.stdout, /^연습 문제\s+공개 테스트\s+결과\s+메시지$/m);
      } finally {
        rmSync(path.join(dir, "assignment.json"));
      }
    });

    it("tsnb check: the table in Korean, its columns aligned as a terminal shows them", () => {
      const ko = tsnb(["check", notebook, "--lang", "ko"]);
      assert.equal(ko.status, 0, ko.stdout + ko.stderr);
      const lines = ko.stdout.split("\n");
      assert.match(lines[0], /^연습 문제 {7}공개 테스트 {29}결과 {2}메시지$/);
      assert.match(ko.stdout, /^relu4 {11}negative values become 0 {16}통과$/m);
      assert.match(ko.stdout, /\n공개 테스트 3개 중 3개를 통과했습니다\.\n$/);
      const en = tsnb(["check", notebook, "--lang", "en"]);
      assert.match(en.stdout, /^exercise\s+check\s+result\s+message$/m);
      assert.match(en.stdout, /\n3 of 3 public checks passed\.\n$/);
    });

    it("tsnb validate reports in English and quotes learners' messages in --lang", () => {
      const broken = path.join(tmp, "broken-assignment", "mini-assignment");
      cpSync(dir, broken, { recursive: true });
      const nb = JSON.parse(readFileSync(path.join(broken, "mini.ipynb"), "utf8"));
      nb.cells.find((c: { metadata: { nbgrader?: { grade_id?: string } } }) => c.metadata.nbgrader?.grade_id === "relu4").source =
        "function relu4(x: Tensor4): Tensor4 {\n  // BEGIN SOLUTION\n  return x;\n  // END SOLUTION\n}";
      writeFileSync(path.join(broken, "mini.ipynb"), JSON.stringify(nb));
      const r = tsnb(["validate", broken, "--lang", "ko"]);
      assert.equal(r.status, 1, r.stdout);
      assert.match(r.stdout, /✘ instructor solution scores full marks \(3 \/ 5\)/);
      assert.match(r.stdout, /relu4: batch of two, two channels: 최대 상대 오차 1\.0e\+0 \(위치 \[0\]\[0\]\[0\]\[0\]\): 기댓값 0, 반환값 -1/);
    });

    it("--resume grades again when the language changes", () => {
      const out = path.join(tmp, "mini-resume");
      assert.equal(tsnb(["grade", dir, wrong, "--out", out, "--lang", "ko"]).status, 0);
      const same = tsnb(["grade", dir, wrong, "--out", out, "--lang", "ko", "--resume"]);
      assert.match(same.stdout, /--resume: 1 of 1 submission\(s\) already graded; grading 0\./);
      const other = tsnb(["grade", dir, wrong, "--out", out, "--lang", "en", "--resume"]);
      assert.match(other.stdout, /--resume: 0 of 1 submission\(s\) already graded; grading 1\./);
      assert.match(reluMessage(out), /^largest relative error/);
    });

    it("refuses an unknown language and a broken assignment.json, saying what is expected", () => {
      const bad = tsnb(["grade", dir, wrong, "--out", path.join(tmp, "mini-fr"), "--lang", "fr"]);
      assert.equal(bad.status, 2);
      assert.match(bad.stderr, /option '--lang <ko\|en>' argument 'fr' is invalid\. expected one of ko, en/);
      writeFileSync(path.join(dir, "assignment.json"), '{ "language": "kr" }');
      try {
        const r = tsnb(["check", notebook]);
        assert.equal(r.status, 2);
        assert.match(r.stderr, /assignment\.json: "language": .*\(expected \{"language": "ko" or "en"\}\)/);
      } finally {
        rmSync(path.join(dir, "assignment.json"));
      }
    });
  });
});

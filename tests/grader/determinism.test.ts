/**
 * Deterministic grading (issue 11 §3): the bundled week 7 samples, a generated batch with
 * catalogued mistakes, and a learner whose answers depend on Math.random are graded four times:
 * without timings with --jobs 1 and, in reversed order, with --jobs 2; then with timings, the
 * same two ways. Every file `tsnb grade` writes into its output folder is compared, whatever it
 * is (results.json, feedback.html, grades.csv, the log, the grader's records, and any file a
 * later version adds): without timings byte for byte, with timings all but the timing fields
 * documented in docs/determinism.md.
 */
import assert from "node:assert/strict";
import { cpSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import os from "node:os";
import path from "node:path";
import { createRng } from "@course-kit/kernel-helpers/random";
import { generateSubmissions } from "../../bench/grading";
import { cellSource, solvedNotebooks, withCell, writeSubmission } from "../../bench/submissions";
import { loadAssignment } from "../../grader/assignment/load";
import { submissionNames } from "../../grader/commands/grade";
import { LearnerRealm } from "../../grader/sandbox/context";
import { LEARNER_RANDOM_SEED } from "../../grader/sandbox/protocol";
import { filesUnder, firstDifference } from "../support/output-tree";
import { tsnb } from "../support/tsnb-cli";

const ROOT = path.resolve(__dirname, "..", "..", "..");
const WEEK7 = path.join(ROOT, "notebooks", "week07-cnn");
const MINI = path.join(ROOT, "tests", "fixtures", "mini-assignment");
const SAMPLES = ["full", "partial", "broken"].map((k) => path.join(ROOT, "samples", "week07-cnn", k));

/**
 * The timing fields, as docs/determinism.md lists them, by file: JSON paths (`[]` for every
 * element of an array) per file kind, and the log's time-stamped first line.
 */
const TIMING_FIELDS: { file: RegExp; fields: string[] }[] = [
  { file: /^[^/]+\/results\.json$/, fields: ["execution_time"] },
  { file: /^\.tsnb\/graded\/[^/]+\.json$/, fields: ["grade.seconds", "grade.tests[].durationMs"] },
  { file: /^report\.json$/, fields: ["timings"] },
];
/** The class report's one timing paragraph (report.html). */
const REPORT_TIMING = /<p class="timing">[^<]*<\/p>/;
const LOG = "grader-log.txt";
const LOG_STAMP = /^(tsnb grade \S+), \d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z$/;

/** Remove `field` (a dotted path, `[]` meaning every element) from `value`; counts the removals. */
function removeField(value: unknown, field: string[]): number {
  if (value === null || typeof value !== "object") return 0;
  const [head, ...rest] = field;
  if (head.endsWith("[]")) {
    const list = (value as Record<string, unknown>)[head.slice(0, -2)];
    return Array.isArray(list) ? list.reduce((n: number, item) => n + removeField(item, rest), 0) : 0;
  }
  const obj = value as Record<string, unknown>;
  if (rest.length) return removeField(obj[head], rest);
  if (!(head in obj)) return 0;
  delete obj[head];
  return 1;
}

/** The learner's convOutputSize is right only when a draw of Math.random says so; the cell also prints draws. */
async function writeRandomSubmission(dir: string): Promise<string> {
  const assignment = loadAssignment(WEEK7);
  const solved = solvedNotebooks(assignment);
  const line = "const out = Math.floor((inputSize + 2 * pad - filterSize) / stride) + 1;";
  const source = cellSource(solved, "convOutputSize");
  assert.ok(source.includes(line), "the solution of convOutputSize changed: update this test");
  const lucky = source.replace(line, line.replace("+ 1;", "+ (Math.random() < 0.5 ? 1 : 0);")) + '\nconsole.log("draws:", Math.random(), Math.random());\n';
  return writeSubmission(withCell(solved, "convOutputSize", lucky), dir);
}

describe("deterministic grading: tsnb grade's output folder", function () {
  this.timeout(900_000);
  const tmp = mkdtempSync(path.join(os.tmpdir(), "tsnb-determinism-"));
  const out = (name: string) => path.join(tmp, name);
  let inputs: string[] = [];

  before(async () => {
    const generated = await generateSubmissions(10, out("generated"));
    const random = await writeRandomSubmission(out("learners/lucky"));
    inputs = [...SAMPLES, ...generated, random];
    const reversed = [...inputs].reverse();
    const runs: [string, string[], string[]][] = [
      ["a", inputs, ["--jobs", "1", "--no-timings"]],
      ["b", reversed, ["--jobs", "2", "--no-timings"]],
      ["c", inputs, ["--jobs", "2"]],
      ["d", reversed, ["--jobs", "1"]],
    ];
    for (const [name, list, options] of runs) {
      const r = tsnb(["grade", WEEK7, ...list, "--out", out(name), ...options]);
      assert.equal(r.status, 0, `run ${name}: ${r.stderr}`);
    }
  });

  after(() => rmSync(tmp, { recursive: true, force: true }));

  it("--no-timings: every file is the same, byte for byte, with --jobs 1 and 2 and the submissions in reverse order", () => {
    const files = filesUnder(out("a"));
    assert.deepEqual(filesUnder(out("b")), files);
    // Not vacuous: every submission's files, the class files and the grader's records are there.
    for (const s of submissionNames(inputs).map((s) => s.name)) {
      for (const f of [`${s}/results.json`, `${s}/feedback.html`, `.tsnb/graded/${s}.json`]) assert.ok(files.includes(f), f);
    }
    for (const f of ["grades.csv", LOG, ".tsnb/batch.json"]) assert.ok(files.includes(f), f);
    for (const f of files) {
      const a = readFileSync(path.join(out("a"), f));
      const b = readFileSync(path.join(out("b"), f));
      if (!a.equals(b)) assert.fail(`${f} differs between the runs, ${firstDifference(a.toString("utf8"), b.toString("utf8"))}`);
    }
  });

  it("--no-timings writes no timing field", () => {
    for (const f of filesUnder(out("a"))) {
      const spec = TIMING_FIELDS.find((t) => t.file.test(f));
      if (!spec) continue;
      const json = JSON.parse(readFileSync(path.join(out("a"), f), "utf8"));
      for (const field of spec.fields) assert.equal(removeField(json, field.split(".")), 0, `${f} has ${field}`);
    }
    assert.match(readFileSync(path.join(out("a"), LOG), "utf8").split("\n")[0], /^tsnb grade \S+$/);
  });

  it("with timings, the documented timing fields are the only difference", () => {
    const files = filesUnder(out("c"));
    assert.deepEqual(filesUnder(out("d")), files);
    let timings = 0;
    for (const f of files) {
      const [c, d] = ["c", "d"].map((run) => readFileSync(path.join(out(run), f), "utf8"));
      const spec = TIMING_FIELDS.find((t) => t.file.test(f));
      if (spec) {
        const [jc, jd] = [JSON.parse(c), JSON.parse(d)];
        for (const field of spec.fields) {
          const [nc, nd] = [removeField(jc, field.split(".")), removeField(jd, field.split("."))];
          assert.ok(nc > 0 && nc === nd, `${f}: ${field} is missing (${nc} / ${nd})`);
          timings += nc;
        }
        assert.deepEqual(jc, jd, `${f} differs in more than its timings`);
      } else if (f === LOG) {
        const [lc, ld] = [c, d].map((text) => text.split("\n"));
        for (const first of [lc[0], ld[0]]) assert.match(first, LOG_STAMP);
        assert.equal(lc[0].replace(LOG_STAMP, "$1"), ld[0].replace(LOG_STAMP, "$1"));
        if (c.slice(lc[0].length) !== d.slice(ld[0].length)) assert.fail(`${f} differs below its first line, ${firstDifference(c, d)}`);
      } else if (f === "report.html") {
        for (const page of [c, d]) assert.match(page, REPORT_TIMING);
        const [pc, pd] = [c, d].map((page) => page.replace(REPORT_TIMING, ""));
        if (pc !== pd) assert.fail(`${f} differs in more than its timing paragraph, ${firstDifference(pc, pd)}`);
      } else if (c !== d) {
        assert.fail(`${f} differs between the runs, ${firstDifference(c, d)}`);
      }
    }
    assert.ok(timings > 100, `only ${timings} timing fields`);
  });

  it("a learner's Math.random draws the same numbers in every run: the same score and output, though its answers depend on them", () => {
    const results = ["a", "b", "c", "d"].map((run) => JSON.parse(readFileSync(path.join(out(run), "lucky", "results.json"), "utf8")));
    const statuses = results.map((r) =>
      r.tests.filter((t: { name: string }) => t.name.startsWith("convOutputSize: ")).map((t: { status: string }) => t.status),
    );
    // The draws matter: some of the exercise's tests pass and some fail.
    assert.ok(statuses[0].includes("passed") && statuses[0].includes("failed"), statuses[0].join(", "));
    for (const s of statuses.slice(1)) assert.deepEqual(s, statuses[0]);
    for (const r of results.slice(1)) assert.equal(r.score, results[0].score);
    const feedback = ["a", "b", "c", "d"].map((run) => readFileSync(path.join(out(run), "lucky", "feedback.html"), "utf8"));
    assert.match(feedback[0], /draws: 0\.\d+ 0\.\d+/);
    for (const f of feedback.slice(1)) assert.equal(f, feedback[0]);
  });
});

/** Hidden tests that draw their inputs with Math.random, when they load and while they run. */
const DRAWN_TESTS = `import { exercise, expectEqual, graded, learner } from "tsnb/testing";

exercise("convOutputSize", () => {
  for (let i = 0; i < 6; i++) {
    const inputSize = 5 + Math.floor(Math.random() * 20);
    graded(\`drawn input \${i}\`, 1, async () => {
      const filterSize = 1 + Math.floor(Math.random() * 3);
      expectEqual(await learner.convOutputSize(inputSize, filterSize, 1, 0), inputSize - filterSize + 1);
    });
  }
});
`;

/** Right for even input sizes only. */
const EVEN_ONLY = `function convOutputSize(inputSize: number, filterSize: number, stride: number, pad: number): number {
  const out = Math.floor((inputSize + 2 * pad - filterSize) / stride) + 1;
  return inputSize % 2 === 0 ? out : out + 1;
}`;

describe("deterministic grading: Math.random in hidden tests", function () {
  this.timeout(300_000);
  const tmp = mkdtempSync(path.join(os.tmpdir(), "tsnb-drawn-"));
  after(() => rmSync(tmp, { recursive: true, force: true }));

  it("gives every submission the same draws, wherever it falls in Jest's groups", () => {
    const assignment = path.join(tmp, "mini-assignment");
    cpSync(MINI, assignment, { recursive: true });
    writeFileSync(path.join(assignment, "hidden-tests", "drawn.test.ts"), DRAWN_TESTS);
    const nb = JSON.parse(readFileSync(path.join(MINI, "mini.ipynb"), "utf8"));
    nb.cells.find((c: { metadata: { nbgrader?: { grade_id?: string } } }) => c.metadata.nbgrader?.grade_id === "convOutputSize").source = EVEN_ONLY;
    mkdirSync(path.join(tmp, "class"));
    // Eight learners with the same code: with --jobs 1, Jest grades them two to a test file.
    const learners = Array.from({ length: 8 }, (_, i) => path.join(tmp, "class", `l${i}.ipynb`));
    for (const file of learners) writeFileSync(file, JSON.stringify(nb));
    const r = tsnb(["grade", assignment, ...learners, "--out", path.join(tmp, "results"), "--jobs", "1", "--no-timings"]);
    assert.equal(r.status, 0, r.stderr);
    const statuses = learners.map((_, i) => {
      const results = JSON.parse(readFileSync(path.join(tmp, "results", `l${i}`, "results.json"), "utf8"));
      return results.tests.filter((t: { name: string }) => t.name.includes("drawn input")).map((t: { status: string }) => t.status);
    });
    assert.equal(statuses[0].length, 6);
    assert.ok(statuses[0].includes("passed") && statuses[0].includes("failed"), `the draws do not matter: ${statuses[0].join(", ")}`);
    for (const s of statuses.slice(1)) assert.deepEqual(s, statuses[0]);
  });
});

describe("deterministic grading: the pieces", () => {
  const texts = { moduleUnavailable: "", moduleUnavailableNew: "", outputTruncated: "", thrownValue: "", proxyThrown: "" };

  it("a learner realm's Math.random is kernel-helpers' createRng(LEARNER_RANDOM_SEED), afresh in every realm", () => {
    const draws = () => {
      const realm = new LearnerRealm([], texts);
      realm.runCell("function draws(n) { const out = []; for (let i = 0; i < n; i++) out.push(Math.random()); return out; }", "cell-0.js", 1000);
      return realm.call(realm.lookup("draws", 1000), "[5]", 1000).result as number[];
    };
    const first = draws();
    const rng = createRng(LEARNER_RANDOM_SEED);
    assert.deepEqual(
      [...first],
      Array.from({ length: 5 }, () => rng.next()),
    );
    assert.deepEqual([...draws()], [...first]);
    assert.equal(new Set(first).size, 5);
  });

  it("names submissions the same whatever order they are given in, clashing names by their full paths", () => {
    const inputs = ["/b/x.ipynb", "/a/x.ipynb", "/c/y", "/a/x"];
    const names = submissionNames(inputs);
    assert.deepEqual(
      names.map((s) => [s.name, s.input]),
      [
        ["x", "/a/x"],
        ["x-2", "/a/x.ipynb"],
        ["x-3", "/b/x.ipynb"],
        ["y", "/c/y"],
      ],
    );
    assert.deepEqual(submissionNames([...inputs].reverse()), names);
  });
});

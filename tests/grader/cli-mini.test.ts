/**
 * tsnb assign / grade / check / validate end to end on a two-exercise fixture assignment.
 * The week 7 assignment has its own, slower suite (week07.test.ts).
 */
import assert from "node:assert/strict";
import { cpSync, existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, writeFileSync } from "node:fs";
import os from "node:os";
import path from "node:path";
import { gradescopeResultsSchema } from "../../grader/results/gradescope";
import { validateWithNbformat } from "../support/nbformat-validator";
import { tsnb } from "../support/tsnb-cli";

const ROOT = path.resolve(__dirname, "..", "..", "..");
const MINI = path.join(ROOT, "tests", "fixtures", "mini-assignment");

function editCell(nbFile: string, gradeId: string, source: string, out: string): void {
  const nb = JSON.parse(readFileSync(nbFile, "utf8"));
  const cell = nb.cells.find((c: { metadata: { nbgrader?: { grade_id?: string } } }) => c.metadata.nbgrader?.grade_id === gradeId);
  cell.source = source;
  writeFileSync(out, JSON.stringify(nb));
}

describe("tsnb on the fixture assignment", function () {
  this.timeout(120_000);
  const tmp = mkdtempSync(path.join(os.tmpdir(), "tsnb-mini-"));

  it("--help lists every command and each command has its own help", () => {
    const help = tsnb(["--help"]);
    assert.equal(help.status, 0);
    for (const cmd of ["assign", "grade", "validate", "check", "kernel", "run"]) assert.match(help.stdout, new RegExp(`\\b${cmd}\\b`));
    const grade = tsnb(["grade", "--help"]);
    assert.equal(grade.status, 0);
    assert.match(grade.stdout, /--jobs/);
    assert.match(grade.stdout, /--out/);
  });

  it("exits 2 with a clear message on a missing assignment folder or missing arguments", () => {
    const r = tsnb(["grade", path.join(tmp, "nope"), "x.ipynb"]);
    assert.equal(r.status, 2);
    assert.match(r.stderr, /assignment folder not found/);
    const nope = path.join(tmp, "nope");
    for (const args of [
      ["validate", nope],
      ["assign", nope],
      ["sync", nope],
      ["sync", nope, "--check"],
      ["export", "gradescope", nope],
      ["similarity", nope, "a.ipynb", "b.ipynb"],
    ]) {
      const other = tsnb(args);
      assert.equal(other.status, 2, args.join(" "));
      assert.match(other.stderr, /^tsnb: assignment folder not found: .*nope$/m, args.join(" "));
    }
    assert.equal(tsnb(["grade"]).status, 2);
    assert.equal(tsnb(["grade", MINI, "x.ipynb", "--jobs", "zero"]).status, 2);
  });

  it("exits 2, before any work, when a file stands where an output folder goes, and when check is given a folder", () => {
    const file = path.join(tmp, "a-file");
    writeFileSync(file, "not a folder\n");
    const solution = path.join(MINI, "mini.ipynb");
    const cases: [string[], RegExp][] = [
      [["grade", MINI, solution, "--out", file], /^tsnb: --out .*a-file is a file, not a folder$/m],
      [["grade", MINI, solution, "--out", path.join(file, "inside")], /^tsnb: --out .*a-file\/inside: .*a-file is a file, not a folder$/m],
      [["assign", MINI, "--out", file], /^tsnb: --out .*a-file is a file, not a folder$/m],
      [["merge", tmp, "--out", file], /^tsnb: --out .*a-file is a file, not a folder$/m],
      [["similarity", MINI, solution, solution, "--out", file], /^tsnb: --out .*a-file is a file, not a folder$/m],
      [["check", MINI], /^tsnb: .*mini-assignment is a folder; check one notebook at a time \(here: mini\.ipynb\)$/m],
    ];
    for (const [args, said] of cases) {
      const r = tsnb(args);
      assert.equal(r.status, 2, `${args.join(" ")}: ${r.stderr}`);
      assert.match(r.stderr, said, args.join(" "));
    }
    assert.equal(readFileSync(file, "utf8"), "not a folder\n");
  });

  it("grade: a path given twice (overlapping globs) is graded once; a .zip is refused with what to do", () => {
    const solution = path.join(MINI, "mini.ipynb");
    const zip = path.join(tmp, "upload.zip");
    writeFileSync(zip, Buffer.from([0x50, 0x4b, 0x03, 0x04, 0, 0, 0, 0]));
    const out = path.join(tmp, "twice");
    const r = tsnb(["grade", MINI, solution, solution, path.join(MINI, ".", "mini.ipynb"), zip, "--out", out, "--lang", "en"]);
    assert.equal(r.status, 0, r.stderr); // an unreadable upload is the learner's 0, not the grader's failure
    assert.match(r.stdout, /^2 submission path\(s\) were given more than once; each submission is graded once\.$/m);
    const rows = readFileSync(path.join(out, "grades.csv"), "utf8").trim().split("\n").slice(1);
    assert.deepEqual(
      rows.map((row) => row.split(",")[0]),
      ["mini", "upload.zip"],
    );
    const results = gradescopeResultsSchema.parse(JSON.parse(readFileSync(path.join(out, "upload.zip", "results.json"), "utf8")));
    assert.equal(results.score, 0);
    assert.match(results.output ?? "", /upload\.zip is a \.zip archive: tsnb grade reads notebooks and folders of notebooks, so unpack it first/);
  });

  it("assign writes stubs that keep the signature and closing brace, checksums, and no hidden tests", () => {
    const r = tsnb(["assign", MINI, "--out", tmp]);
    assert.equal(r.status, 0, r.stderr);
    const dir = path.join(tmp, "mini-assignment");
    assert.deepEqual(readdirSync(dir).sort(), ["checks.ts", "mini.ipynb"]);
    const nb = JSON.parse(readFileSync(path.join(dir, "mini.ipynb"), "utf8"));
    const solution = nb.cells.find((c: { metadata: { nbgrader?: { grade_id?: string } } }) => c.metadata.nbgrader?.grade_id === "convOutputSize");
    const lines: string[] = solution.source.join("").split("\n");
    assert.equal(lines[0], "function convOutputSize(inputSize: number, filterSize: number, stride: number, pad: number): number {");
    assert.deepEqual(lines.slice(1), ["  // YOUR CODE HERE", '  throw new Error("convOutputSize: not implemented yet");', "}"]);
    for (const c of nb.cells) {
      const meta = c.metadata.nbgrader;
      if (meta?.locked || meta?.grade) assert.match(meta.checksum, /^[0-9a-f]{32}$/);
      if (c.cell_type === "code") assert.deepEqual([c.outputs, c.execution_count], [[], null]);
    }
    assert.ok(validateWithNbformat(path.join(dir, "mini.ipynb"))[0].ok);
    assert.equal(tsnb(["assign", MINI, "--out", tmp]).status, 2, "refuses to replace an existing release without --force");
    assert.equal(tsnb(["assign", MINI, "--out", tmp, "--force"]).status, 0);
  });

  it("grade scores the solution, a stub, partial work and unreadable files, and writes every result", () => {
    const release = path.join(tmp, "mini-assignment", "mini.ipynb");
    const partial = path.join(tmp, "partial.ipynb");
    editCell(MINI + "/mini.ipynb", "relu4", "function relu4(x: Tensor4): Tensor4 {\n  return x;\n}", partial);
    const broken = path.join(tmp, "broken.ipynb");
    writeFileSync(broken, "{ this is not json");
    const v3 = path.join(tmp, "old.ipynb");
    writeFileSync(v3, JSON.stringify({ nbformat: 3, nbformat_minor: 0, worksheets: [], metadata: {} }));
    const out = path.join(tmp, "results");
    const r = tsnb(["grade", MINI, path.join(MINI, "mini.ipynb"), release, partial, broken, v3, "--out", out, "--jobs", "2"]);
    assert.equal(r.status, 0, r.stderr);
    const csv = readFileSync(path.join(out, "grades.csv"), "utf8").trim().split("\n");
    // Rows in name order; of the two mini.ipynb, the one whose full path sorts first is "mini".
    const [solution, stub] = path.join(MINI, "mini.ipynb") < release ? ["mini", "mini-2"] : ["mini-2", "mini"];
    assert.deepEqual(csv, [
      "submission,convOutputSize,relu4,total,max",
      "broken,0,0,0,5",
      ...[`${solution},3,2,5,5`, `${stub},0,0,0,5`].sort(),
      "old,0,0,0,5",
      "partial,3,0,3,5",
    ]);
    for (const name of ["mini", "mini-2", "partial", "broken", "old"]) {
      const results = JSON.parse(readFileSync(path.join(out, name, "results.json"), "utf8"));
      gradescopeResultsSchema.parse(results);
      assert.ok(existsSync(path.join(out, name, "feedback.html")));
    }
    const partialResults = JSON.parse(readFileSync(path.join(out, "partial", "results.json"), "utf8"));
    const reluTest = partialResults.tests.find((t: { name: string }) => t.name.startsWith("relu4: "));
    assert.equal(reluTest.status, "failed");
    assert.match(reluTest.output, /largest relative error .* at \[0\]\[0\]\[0\]\[0\]: expected 0, got -1/);
    const broken2 = JSON.parse(readFileSync(path.join(out, "broken", "results.json"), "utf8"));
    assert.equal(broken2.score, 0);
    assert.match(broken2.output, /not valid JSON/);
    const old = JSON.parse(readFileSync(path.join(out, "old", "results.json"), "utf8"));
    assert.match(old.output, /version 3 is not supported/);
    assert.match(r.stdout, /partial\s+3\/3\s+0\/2\s+3\/5/);
  });

  it("check runs the public cases and exits 1 while some fail, 0 when all pass", () => {
    const stub = tsnb(["check", path.join(tmp, "mini-assignment", "mini.ipynb")]);
    assert.equal(stub.status, 1);
    assert.match(stub.stdout, /0 of 3 public checks passed/);
    const solved = tsnb(["check", path.join(MINI, "mini.ipynb")]);
    assert.equal(solved.status, 0, solved.stdout + solved.stderr);
    assert.match(solved.stdout, /3 of 3 public checks passed/);
    const notNotebook = tsnb(["check", path.join(ROOT, "package.json")]);
    assert.equal(notNotebook.status, 2);
    assert.match(notNotebook.stderr, /not a Jupyter notebook/);
  });

  it("reports a type error in the feedback without taking points", () => {
    const typed = path.join(tmp, "typed.ipynb");
    editCell(
      MINI + "/mini.ipynb",
      "relu4",
      "function relu4(x: Tensor4): Tensor4 {\n  const label: string = 42;\n  return x.map((a) => a.map((b) => b.map((c) => c.map((v) => Math.max(0, v)))));\n}",
      typed,
    );
    const out = path.join(tmp, "typed-results");
    assert.equal(tsnb(["grade", MINI, typed, "--out", out]).status, 0);
    const results = JSON.parse(readFileSync(path.join(out, "typed", "results.json"), "utf8"));
    assert.equal(results.score, 5);
    assert.match(results.output, /cell 5 \(relu4\), line 2, column 9: Type 'number' is not assignable to type 'string'/);
    assert.match(readFileSync(path.join(out, "typed", "feedback.html"), "utf8"), /Type error \(no points taken\)/);
  });

  it("validate fails (exit 1) when the solution is wrong or the points do not add up", () => {
    const broken = path.join(tmp, "broken-assignment", "mini-assignment");
    cpSync(MINI, broken, { recursive: true });
    editCell(
      path.join(MINI, "mini.ipynb"),
      "relu4",
      "function relu4(x: Tensor4): Tensor4 {\n  // BEGIN SOLUTION\n  return x;\n  // END SOLUTION\n}",
      path.join(broken, "mini.ipynb"),
    );
    const r = tsnb(["validate", broken]);
    assert.equal(r.status, 1, r.stdout);
    assert.match(r.stdout, /✘ instructor solution scores full marks \(3 \/ 5\)/);
    assert.match(r.stdout, /✘ the solution passes all 3 public checks/);
  });

  it("validate passes on a correct assignment", () => {
    const r = tsnb(["validate", MINI]);
    assert.equal(r.status, 0, r.stdout);
    assert.match(r.stdout, /instructor solution scores full marks \(5 \/ 5\)/);
    assert.match(r.stdout, /released stubs score 0/);
  });

  it("export gradescope: a folder as --out receives <assignment>-gradescope.zip, and missing folders are made", () => {
    const folder = path.join(tmp, "exports");
    mkdirSync(folder);
    const into = tsnb(["export", "gradescope", MINI, "--out", folder]);
    assert.equal(into.status, 0, into.stderr);
    assert.deepEqual(readdirSync(folder), ["mini-assignment-gradescope.zip"]);
    const nested = path.join(tmp, "not", "yet", "there.zip");
    const made = tsnb(["export", "gradescope", MINI, "--out", nested]);
    assert.equal(made.status, 0, made.stderr);
    assert.deepEqual(readdirSync(path.dirname(nested)), ["there.zip"]);
    // Both are zips (a local file header's signature first).
    for (const zip of [path.join(folder, "mini-assignment-gradescope.zip"), nested]) assert.equal(readFileSync(zip).readUInt32LE(0), 0x04034b50, zip);
  });
});

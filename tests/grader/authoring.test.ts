/**
 * Authoring without hand-written metadata: `// tsnb:` marker comments, `tsnb sync`, and
 * `tsnb new`. The proof that markers are only another spelling of nbgrader metadata is a
 * marker-only copy of week 7 that releases byte for byte and grades exactly like the original.
 */
import assert from "node:assert/strict";
import { cpSync, existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import os from "node:os";
import path from "node:path";
import { loadAssignment } from "../../grader/assignment/load";
import { parseNotebook, serializeNotebook, sourceText } from "../../grader/notebook/io";
import { applyMarkers, parseMarker } from "../../grader/notebook/markers";
import { nbgraderMetadataSchema } from "../../grader/notebook/nbgrader";
import { Cell, Notebook } from "../../grader/notebook/schema";
import { validateWithNbformat } from "../support/nbformat-validator";
import { repoTempDir } from "../support/repo-temp";
import { TEST_KERNEL, tsnbRun } from "../run/support";
import { tsnb } from "../support/tsnb-cli";

const ROOT = path.resolve(__dirname, "..", "..", "..");
const WEEK7 = path.join(ROOT, "notebooks", "week07-cnn");
const SAMPLES = path.join(ROOT, "samples", "week07-cnn");

type Meta = { nbgrader?: { grade_id?: string; solution?: boolean; grade?: boolean; points?: number }; tags?: string[] };

/** Replace a code cell's nbgrader metadata (and setup tag) by the marker line an instructor would write. */
function toMarkers(nb: Notebook): Notebook {
  const cells = nb.cells.map((cell): Cell => {
    const meta = cell.metadata as Meta;
    if (cell.cell_type !== "code" || !meta.nbgrader) return cell;
    const m = meta.nbgrader;
    const id = m.grade_id ?? "";
    let marker: string;
    if (meta.tags?.includes("setup")) marker = `// tsnb: setup ${id.replace(/^setup-/, "")}`;
    else if (m.solution) marker = `// tsnb: exercise ${id}`;
    else if (m.grade) marker = `// tsnb: check ${id.replace(/^check-/, "")} points=${m.points}`;
    else throw new Error(`no marker for code cell ${id}`);
    const metadata: Record<string, unknown> = { ...cell.metadata };
    delete metadata.nbgrader;
    const tags = (meta.tags ?? []).filter((t) => t !== "setup");
    if (tags.length) metadata.tags = tags;
    else delete metadata.tags;
    return { ...cell, metadata, source: `${marker}\n${sourceText(cell)}` };
  });
  return { ...nb, cells };
}

function readNb(file: string): Notebook {
  return parseNotebook(readFileSync(file, "utf8"), file);
}

/** A notebook with the given code cells (source, optional nbgrader metadata). */
function notebookOf(cells: { source: string; nbgrader?: object; tags?: string[] }[]): Notebook {
  return {
    nbformat: 4,
    nbformat_minor: 5,
    metadata: {},
    cells: cells.map((c, i) => ({
      cell_type: "code",
      id: `c${i}`,
      metadata: { ...(c.nbgrader ? { nbgrader: c.nbgrader } : {}), ...(c.tags ? { tags: c.tags } : {}) },
      source: c.source,
      outputs: [],
      execution_count: null,
    })),
  };
}

/** results.json without the fields that are timings. */
/** A results.json without what differs between runs: timings, and the resume fingerprint (it hashes the assignment's files). */
function withoutTimings(text: string): unknown {
  return JSON.parse(text, (key, value) => (key === "execution_time" || key === "fingerprint" ? undefined : value));
}

describe("authoring with // tsnb: markers", function () {
  this.timeout(180_000);
  const tmp = mkdtempSync(path.join(os.tmpdir(), "tsnb-authoring-"));
  after(() => rmSync(tmp, { recursive: true, force: true }));

  describe("the marker language", () => {
    it("reads the three markers with their names and points", () => {
      assert.deepEqual(parseMarker(" setup"), { kind: "setup" });
      assert.deepEqual(parseMarker(" setup imports"), { kind: "setup", name: "imports" });
      assert.deepEqual(parseMarker(" exercise conv2dForward"), { kind: "exercise", name: "conv2dForward" });
      assert.deepEqual(parseMarker(" check conv2dForward points=15"), { kind: "check", name: "conv2dForward", points: 15 });
      assert.deepEqual(parseMarker("check f points=2.5"), { kind: "check", name: "f", points: 2.5 });
    });

    it("rejects malformed markers with a message that shows the right form", () => {
      assert.throws(() => parseMarker(" exercize f"), /unknown marker "exercize"; expected one of: \/\/ tsnb: setup/);
      assert.throws(() => parseMarker(" exercise"), /needs the exercise's function name/);
      assert.throws(() => parseMarker(" exercise 2d"), /"2d" is not a function name/);
      assert.throws(() => parseMarker(" check f"), /needs its points, e\.g\. "\/\/ tsnb: check f points=10"/);
      assert.throws(() => parseMarker(" check f points=ten"), /points=ten is not a number/);
      assert.throws(() => parseMarker(" check f points=-1"), /points=-1 is not a number/);
      assert.throws(() => parseMarker(" check f points=3 weight=2"), /unknown option weight=/);
      assert.throws(() => parseMarker(" exercise f g"), /unexpected "g"/);
      assert.throws(() => parseMarker(""), /empty marker/);
    });

    it("derives nbgrader schema v3 metadata, numbers unnamed setup cells, and takes the marker line out", () => {
      const nb = applyMarkers(
        notebookOf([
          { source: "// tsnb: setup\nimport { a } from './a';" },
          { source: "\n// tsnb: setup\nconst k = 2;" },
          { source: "// tsnb: exercise f\nfunction f() {\n  // BEGIN SOLUTION\n  return 1;\n  // END SOLUTION\n}" },
          { source: "// tsnb: check f points=4\nshow(f);" },
          { source: "const demo = f(); // tsnb: not a marker when it is not a line of its own" },
        ]),
        "t.ipynb",
        "strict",
      );
      const metas = nb.cells.map((c) => (c.metadata as Meta).nbgrader);
      assert.deepEqual(metas[0], { schema_version: 3, grade: false, solution: false, locked: true, grade_id: "setup" });
      assert.deepEqual((nb.cells[0].metadata as Meta).tags, ["setup"]);
      assert.equal(metas[1]?.grade_id, "setup-2");
      assert.deepEqual(metas[2], { schema_version: 3, grade: false, solution: true, locked: false, grade_id: "f" });
      assert.deepEqual(metas[3], { schema_version: 3, grade: true, solution: false, locked: true, grade_id: "check-f", points: 4 });
      assert.equal(metas[4], undefined);
      for (const m of metas.slice(0, 4)) assert.ok(nbgraderMetadataSchema.safeParse(m).success);
      assert.equal(sourceText(nb.cells[0]), "import { a } from './a';");
      assert.equal(sourceText(nb.cells[1]), "const k = 2;");
      assert.equal(sourceText(nb.cells[3]), "show(f);");
    });
  });

  describe("conflicts name the cell", () => {
    const solution = "function f() {\n  // BEGIN SOLUTION\n  return 1;\n  // END SOLUTION\n}";
    const load = (cells: Parameters<typeof notebookOf>[0]) => () => applyMarkers(notebookOf(cells), "w.ipynb", "strict");

    it("a marker and metadata that disagree", () => {
      assert.throws(
        load([
          { source: `// tsnb: exercise f\n${solution}` },
          {
            source: "// tsnb: check f points=15\nshow(f);",
            nbgrader: { schema_version: 3, grade: true, solution: false, locked: true, grade_id: "check-f", points: 10 },
          },
        ]),
        /w\.ipynb, cell 2: the marker "\/\/ tsnb: check f points=15" and the cell's nbgrader metadata disagree: points are 10 in the metadata, 15 by the marker/,
      );
      assert.throws(
        load([{ source: `// tsnb: exercise f\n${solution}`, nbgrader: { schema_version: 3, grade: false, solution: true, locked: false, grade_id: "g" } }]),
        /cell 1: .*grade_id is "g" in the metadata, "f" by the marker/,
      );
    });

    it("metadata that agrees with its marker is no conflict", () => {
      const nb = load([
        { source: `// tsnb: exercise f\n${solution}`, nbgrader: { schema_version: 3, grade: false, solution: true, locked: false, grade_id: "f" } },
      ])();
      assert.equal((nb.cells[0].metadata as Meta).nbgrader?.grade_id, "f");
    });

    it("two exercises with one name", () => {
      assert.throws(
        load([
          { source: `// tsnb: exercise f\n${solution}` },
          { source: "// tsnb: check f points=1\nshow(f);" },
          { source: `// tsnb: exercise f\n${solution}` },
        ]),
        /w\.ipynb, cell 3: exercise f is marked twice \(first in cell 1\)/,
      );
    });

    it("a check with no exercise", () => {
      assert.throws(
        load([{ source: "// tsnb: check g points=5\nshow(g);" }]),
        /w\.ipynb, cell 1: "\/\/ tsnb: check g points=5" checks an exercise that no cell defines/,
      );
    });

    it("a marker that is not on the cell's first line", () => {
      assert.throws(
        load([{ source: `const a = 1;\n// tsnb: exercise f\n${solution}` }]),
        /w\.ipynb, cell 1: a "\/\/ tsnb:" marker must be the cell's first line \(found on line 2\)/,
      );
    });

    it("points that do not match the hidden tests: validate names the check cell", () => {
      const created = tsnb(["new", path.join(tmp, "points-mismatch")]);
      assert.equal(created.status, 0, created.stderr);
      const nbFile = path.join(tmp, "points-mismatch", "01-points-mismatch.ipynb");
      writeFileSync(nbFile, readFileSync(nbFile, "utf8").replace("// tsnb: check relu points=10", "// tsnb: check relu points=12"));
      const r = tsnb(["validate", path.join(tmp, "points-mismatch")]);
      assert.equal(r.status, 1, r.stdout + r.stderr);
      assert.match(r.stdout, /relu: hidden tests are worth 10 points, its check cell \(01-points-mismatch\.ipynb, cell 5\) says 12/);
    });

    it("grading refuses a source notebook with a bad marker and says where", () => {
      const dir = path.join(tmp, "bad-marker");
      assert.equal(tsnb(["new", dir]).status, 0);
      const nbFile = path.join(dir, "01-bad-marker.ipynb");
      writeFileSync(nbFile, readFileSync(nbFile, "utf8").replace("// tsnb: check relu points=10", "// tsnb: check relu"));
      const r = tsnb(["assign", dir, "--out", path.join(tmp, "bad-release")]);
      assert.equal(r.status, 2);
      assert.match(r.stderr, /01-bad-marker\.ipynb, cell 5: "tsnb: check relu" needs its points/);
    });
  });

  describe("a marker-only copy of week 7", () => {
    const original = path.join(tmp, "original", "week07-cnn");
    const marked = path.join(tmp, "marked", "week07-cnn");
    before(() => {
      cpSync(WEEK7, original, { recursive: true });
      cpSync(WEEK7, marked, { recursive: true });
      for (const file of readdirSync(marked).filter((f) => f.endsWith(".ipynb"))) {
        const full = path.join(marked, file);
        writeFileSync(full, serializeNotebook(toMarkers(readNb(full))));
      }
    });

    it("has no nbgrader metadata on code cells, only markers", () => {
      const nb = readNb(path.join(marked, "01-conv-basics.ipynb"));
      const code = nb.cells.filter((c) => c.cell_type === "code");
      assert.ok(code.every((c) => (c.metadata as Meta).nbgrader === undefined));
      assert.equal(code.filter((c) => sourceText(c).startsWith("// tsnb: exercise ")).length, 4);
      assert.deepEqual(
        loadAssignment(marked).exercises.map((e) => [e.name, e.points]),
        loadAssignment(WEEK7).exercises.map((e) => [e.name, e.points]),
      );
    });

    it("releases byte for byte like the metadata original", () => {
      for (const [dir, out] of [
        [original, path.join(tmp, "rel-original")],
        [marked, path.join(tmp, "rel-marked")],
      ]) {
        const r = tsnb(["assign", dir, "--out", out]);
        assert.equal(r.status, 0, r.stderr);
      }
      const files = readdirSync(path.join(tmp, "rel-original", "week07-cnn")).sort();
      assert.deepEqual(readdirSync(path.join(tmp, "rel-marked", "week07-cnn")).sort(), files);
      for (const f of files) {
        const a = readFileSync(path.join(tmp, "rel-original", "week07-cnn", f), "utf8");
        const b = readFileSync(path.join(tmp, "rel-marked", "week07-cnn", f), "utf8");
        assert.ok(a === b, `${f} differs between the two releases`);
      }
      assert.doesNotMatch(readFileSync(path.join(tmp, "rel-marked", "week07-cnn", "01-conv-basics.ipynb"), "utf8"), /tsnb:/);
    });

    it("grades the bundled samples exactly like the metadata original", () => {
      const samples = readdirSync(SAMPLES).map((s) => path.join(SAMPLES, s));
      for (const [dir, out] of [
        [original, path.join(tmp, "grades-original")],
        [marked, path.join(tmp, "grades-marked")],
      ]) {
        const r = tsnb(["grade", dir, ...samples, "--out", out, "--jobs", "2"]);
        assert.equal(r.status, 0, r.stderr);
      }
      assert.equal(readFileSync(path.join(tmp, "grades-marked", "grades.csv"), "utf8"), readFileSync(path.join(tmp, "grades-original", "grades.csv"), "utf8"));
      for (const s of readdirSync(SAMPLES)) {
        const a = readFileSync(path.join(tmp, "grades-original", s, "results.json"), "utf8");
        const b = readFileSync(path.join(tmp, "grades-marked", s, "results.json"), "utf8");
        assert.deepEqual(withoutTimings(b), withoutTimings(a), `${s}: results differ`);
      }
      // The copy is not a degenerate case: the samples score differently from each other.
      const scores = readdirSync(SAMPLES).map((s) => JSON.parse(readFileSync(path.join(tmp, "grades-marked", s, "results.json"), "utf8")).score);
      assert.ok(new Set(scores).size > 1, `scores ${scores}`);
    });

    it("tsnb sync writes the metadata back, keeps the markers, and is then in step", () => {
      const dir = path.join(tmp, "synced", "week07-cnn");
      cpSync(marked, dir, { recursive: true });
      const before = tsnb(["sync", dir, "--check"]);
      assert.equal(before.status, 1);
      assert.match(before.stdout, /01-conv-basics\.ipynb: out of step \(cells 2, 11, 12, 20, 21, 30, 31, 32, 33\)/);
      const r = tsnb(["sync", dir]);
      assert.equal(r.status, 0, r.stderr);
      assert.match(r.stdout, /Wrote 3 notebook\(s\)\. week07-cnn: 9 exercise\(s\), 100 points\./);
      const synced = readNb(path.join(dir, "01-conv-basics.ipynb"));
      const originalNb = readNb(path.join(WEEK7, "01-conv-basics.ipynb"));
      synced.cells.forEach((cell, i) => {
        assert.deepEqual((cell.metadata as Meta).nbgrader, (originalNb.cells[i].metadata as Meta).nbgrader, `cell ${i + 1}`);
      });
      assert.match(sourceText(synced.cells[19]), /^\/\/ tsnb: exercise conv2dForward\n/);
      assert.deepEqual(
        validateWithNbformat(
          ...readdirSync(dir)
            .filter((f) => f.endsWith(".ipynb"))
            .map((f) => path.join(dir, f)),
        ).filter((v) => !v.ok),
        [],
      );
      const after = tsnb(["sync", dir, "--check"]);
      assert.equal(after.status, 0, after.stdout);
    });

    it("tsnb sync refuses metadata that disagrees with a marker, and --overwrite replaces it", () => {
      const dir = path.join(tmp, "conflict", "week07-cnn");
      cpSync(marked, dir, { recursive: true });
      const file = path.join(dir, "01-conv-basics.ipynb");
      const nb = readNb(file);
      nb.cells[20].metadata = { nbgrader: { schema_version: 3, grade: true, solution: false, locked: true, grade_id: "check-conv2dForward", points: 12 } };
      writeFileSync(file, serializeNotebook(nb));
      const text = readFileSync(file, "utf8");
      const r = tsnb(["sync", dir]);
      assert.equal(r.status, 2);
      assert.match(
        r.stderr,
        /01-conv-basics\.ipynb, cell 21: the marker "\/\/ tsnb: check conv2dForward points=15" and the cell's nbgrader metadata disagree: points are 12/,
      );
      assert.equal(readFileSync(file, "utf8"), text, "nothing written on error");
      const forced = tsnb(["sync", dir, "--overwrite"]);
      assert.equal(forced.status, 0, forced.stderr);
      assert.equal((readNb(file).cells[20].metadata as Meta).nbgrader?.points, 15);
    });
  });

  describe("tsnb new", () => {
    it("scaffolds an assignment that validates, releases and grades with no change to the kit", () => {
      const root = path.join(tmp, "course");
      const r = tsnb(["new", "week08-demo", "--root", root]);
      assert.equal(r.status, 0, r.stderr);
      const dir = path.join(root, "week08-demo");
      assert.deepEqual(readdirSync(dir).sort(), ["01-week08-demo.ipynb", "README.md", "assignment.json", "checks.ts", "hidden-tests"]);
      // The study group's language by default: learners read Korean.
      assert.deepEqual(JSON.parse(readFileSync(path.join(dir, "assignment.json"), "utf8")), { language: "ko" });
      assert.deepEqual(readdirSync(path.join(dir, "hidden-tests")), ["01-week08-demo.test.ts"]);
      assert.deepEqual(
        validateWithNbformat(path.join(dir, "01-week08-demo.ipynb")).filter((v) => !v.ok),
        [],
      );

      const v = tsnb(["validate", dir]);
      assert.equal(v.status, 0, v.stdout + v.stderr);
      assert.match(v.stdout, /instructor solution scores full marks \(10 \/ 10\)/);
      assert.match(v.stdout, /released stubs score 0 and grade cleanly/);
      assert.match(v.stdout, /the solution passes all 2 public checks/);

      const rel = tsnb(["assign", dir, "--out", path.join(tmp, "new-release")]);
      assert.equal(rel.status, 0, rel.stderr);
      const released = path.join(tmp, "new-release", "week08-demo", "01-week08-demo.ipynb");
      // A learner's answer in the released notebook: a wrong one (abs instead of max) scores 0.
      const nb = readNb(released);
      const cell = nb.cells.find((c) => (c.metadata as Meta).nbgrader?.grade_id === "relu")!;
      assert.doesNotMatch(sourceText(cell), /tsnb:|Math\.max/);
      cell.source = "function relu(x: number[]): number[] {\n  return x.map((v) => Math.abs(v));\n}";
      const wrong = path.join(tmp, "wrong.ipynb");
      writeFileSync(wrong, serializeNotebook(nb));
      const g = tsnb(["grade", dir, released, wrong, "--out", path.join(tmp, "new-grades")]);
      assert.equal(g.status, 0, g.stderr);
      const csv = readFileSync(path.join(tmp, "new-grades", "grades.csv"), "utf8");
      assert.match(csv, /^submission,relu,total,max$/m);
      assert.match(csv, /^01-week08-demo,0,0,10$/m);
      assert.match(csv, /^wrong,0,0,10$/m);
      const wrongResults = JSON.parse(readFileSync(path.join(tmp, "new-grades", "wrong", "results.json"), "utf8"));
      assert.equal(wrongResults.score, 0);
      assert.match(wrongResults.tests[0].output, /^최대 상대 오차 .* \(위치 \[0\]\): 기댓값 0, 반환값 2$/);
    });

    it("--lang en starts an English assignment: assignment.json, prose and learners' messages", () => {
      const root = path.join(tmp, "course-en");
      assert.equal(tsnb(["new", "week08-en", "--root", root, "--lang", "en"]).status, 0);
      const dir = path.join(root, "week08-en");
      assert.deepEqual(JSON.parse(readFileSync(path.join(dir, "assignment.json"), "utf8")), { language: "en" });
      const markdown = readNb(path.join(dir, "01-week08-en.ipynb"))
        .cells.filter((c) => c.cell_type === "markdown")
        .map(sourceText)
        .join("\n");
      assert.match(markdown, /## Exercise 1: `relu` \(10 points\)/);
      assert.doesNotMatch(markdown, /[가-힣]/);
      const check = tsnb(["check", path.join(dir, "01-week08-en.ipynb")]);
      assert.equal(check.status, 0, check.stdout + check.stderr);
      assert.match(check.stdout, /^2 of 2 public checks passed\.$/m);
      assert.equal(tsnb(["new", "week08-fr", "--root", root, "--lang", "fr"]).status, 2);
    });

    it("runs top to bottom in the notebook kernel, its check table passing", async function () {
      const root = repoTempDir("tsnb-new-");
      try {
        assert.equal(tsnb(["new", "week08-run", "--root", root]).status, 0);
        const file = path.join(root, "week08-run", "01-week08-run.ipynb");
        assert.equal(readNb(file).metadata.kernelspec?.name, "tsnb-typescript", "new notebooks name the kit's kernel");
        // The kit's kernel from the tests' own kernelspecs, not whatever the machine has installed.
        const r = await tsnbRun([file, "--kernel", TEST_KERNEL, "--output", path.join(root, "out.ipynb")]);
        assert.equal(r.code, 0, r.stdout + r.stderr);
        const out = readNb(path.join(root, "out.ipynb"));
        const outputs = JSON.stringify(out.cells.flatMap((c) => (c.cell_type === "code" ? c.outputs : [])));
        assert.doesNotMatch(outputs, /"output_type":"error"|"name":"stderr"/);
        // In Korean: the kernel, started in the notebook's folder, reads assignment.json there.
        assert.match(outputs, /relu: 공개 테스트 2개 중 2개 통과/);
      } finally {
        rmSync(root, { recursive: true, force: true });
      }
    });

    it("refuses to overwrite an existing assignment, and bad names", () => {
      const root = path.join(tmp, "course2");
      assert.equal(tsnb(["new", "week09", "--root", root]).status, 0);
      const nbFile = path.join(root, "week09", "01-week09.ipynb");
      writeFileSync(nbFile, "instructor's work");
      const again = tsnb(["new", "week09", "--root", root]);
      assert.equal(again.status, 2);
      assert.match(again.stderr, /already exists and is not empty; choose another name \(tsnb new never overwrites\)/);
      assert.equal(readFileSync(nbFile, "utf8"), "instructor's work");
      const bad = tsnb(["new", "week 9!", "--root", root]);
      assert.equal(bad.status, 2);
      assert.match(bad.stderr, /assignment name "week 9!"/);
      assert.ok(!existsSync(path.join(root, "week 9!")));
    });
  });
});

import assert from "node:assert/strict";
import { mkdtempSync } from "node:fs";
import os from "node:os";
import path from "node:path";
import { NotebookError, parseNotebook, serializeNotebook, splitLines, writeNotebook } from "../grader/notebook/io";
import { computeChecksum, nbgraderOf } from "../grader/notebook/nbgrader";
import { Notebook } from "../grader/notebook/schema";
import { validateWithNbformat } from "./support/nbformat-validator";

const tmp = mkdtempSync(path.join(os.tmpdir(), "nbio-"));

function sample(): Notebook {
  return {
    nbformat: 4,
    nbformat_minor: 5,
    metadata: { kernelspec: { name: "tslab", display_name: "TypeScript", language: "typescript" } },
    cells: [
      { cell_type: "markdown", id: "intro", metadata: {}, source: "# 제목\n\n본문" },
      {
        cell_type: "code",
        id: "code-1",
        metadata: { nbgrader: { schema_version: 3, grade: false, solution: true, locked: false, grade_id: "f" } },
        source: "function f(a: number): number {\n  return a;\n}\n",
        outputs: [
          { output_type: "stream", name: "stdout", text: "1\n2\n" },
          { output_type: "display_data", data: { "text/plain": "x" }, metadata: {} },
          { output_type: "error", ename: "TypeError", evalue: "bad", traceback: ["TypeError: bad"] },
        ],
        execution_count: 3,
      },
    ],
  };
}

describe("notebook io", () => {
  it("writes notebooks that Python's nbformat validates, and reads them back unchanged", async () => {
    const file = path.join(tmp, "a.ipynb");
    await writeNotebook(file, sample());
    assert.deepEqual(
      validateWithNbformat(file).map((r) => r.ok),
      [true],
    );
    const back = parseNotebook(serializeNotebook(sample()));
    assert.equal(back.cells.length, 2);
    assert.deepEqual(back.cells[1].source, splitLines("function f(a: number): number {\n  return a;\n}\n"));
  });

  it("upgrades a 4.4 notebook without cell ids to 4.5 with stable valid ids", async () => {
    const old = {
      nbformat: 4,
      nbformat_minor: 4,
      metadata: {},
      cells: [{ cell_type: "code", metadata: {}, source: ["1+1"], outputs: [], execution_count: null }],
    };
    const a = parseNotebook(JSON.stringify(old));
    const b = parseNotebook(JSON.stringify(old));
    assert.equal(a.nbformat_minor, 5);
    assert.match(a.cells[0].id ?? "", /^[a-zA-Z0-9_-]{1,64}$/);
    assert.equal(a.cells[0].id, b.cells[0].id);
    const file = path.join(tmp, "old.ipynb");
    await writeNotebook(file, a);
    assert.ok(validateWithNbformat(file)[0].ok);
  });

  const bad: [string, string, NotebookError["problem"]][] = [
    ["malformed JSON", "{ not json", "not-json"],
    ["a JSON array", "[1,2]", "not-a-notebook"],
    ["an unrelated JSON object", '{"name":"package"}', "not-a-notebook"],
    ["a version 3 notebook", '{"nbformat":3,"nbformat_minor":0,"worksheets":[],"metadata":{}}', "wrong-version"],
    ["a v4 notebook with a bad cell", '{"nbformat":4,"nbformat_minor":5,"metadata":{},"cells":[{"cell_type":"code"}]}', "invalid"],
  ];
  for (const [what, text, problem] of bad) {
    it(`classifies ${what} as ${problem}`, () => {
      assert.throws(
        () => parseNotebook(text, "x.ipynb"),
        (err: unknown) => err instanceof NotebookError && err.problem === problem,
      );
    });
  }

  it("computes nbgrader's checksum, which changes when the source or points change", () => {
    const nb = sample();
    const cell = nb.cells[1];
    const meta = nbgraderOf(cell)!;
    const before = computeChecksum(cell, meta);
    assert.match(before, /^[0-9a-f]{32}$/);
    assert.notEqual(computeChecksum({ ...cell, source: "function f() {}" }, meta), before);
    assert.notEqual(computeChecksum(cell, { ...meta, grade: true, points: 2 }), computeChecksum(cell, { ...meta, grade: true, points: 3 }));
  });

  it("rejects nbgrader metadata without a grade_id on a solution cell", () => {
    const cell = { ...sample().cells[1], metadata: { nbgrader: { schema_version: 3, grade: false, solution: true, locked: false } } };
    assert.throws(() => nbgraderOf(cell), /grade_id is required/);
  });
});

/**
 * The atomic writers behind "nothing lost": a submission's folder is replaced whole, and what a
 * killed writer leaves behind is only temporary names that the next run clears.
 */
import assert from "node:assert/strict";
import { existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import os from "node:os";
import path from "node:path";
import { removeStaleTemps, writeFolderAtomic } from "../../grader/results/atomic";

describe("atomic folder writes", () => {
  let tmp: string;
  beforeEach(() => (tmp = mkdtempSync(path.join(os.tmpdir(), "tsnb-atomic-"))));
  afterEach(() => rmSync(tmp, { recursive: true, force: true }));

  it("creates the folder with all its files, and leaves no temporary name", () => {
    const dir = path.join(tmp, "s1");
    writeFolderAtomic(dir, { "results.json": "{}\n", "feedback.html": "<html></html>\n" });
    assert.deepEqual(readdirSync(dir).sort(), ["feedback.html", "results.json"]);
    assert.deepEqual(readdirSync(tmp), ["s1"]);
  });

  it("replaces an earlier folder whole: new contents, and no file of the old one survives", () => {
    const dir = path.join(tmp, "s1");
    mkdirSync(dir);
    writeFileSync(path.join(dir, "results.json"), "old");
    writeFileSync(path.join(dir, "stale.txt"), "from an older grader");
    writeFolderAtomic(dir, { "results.json": "new", "feedback.html": "page" });
    assert.deepEqual(readdirSync(dir).sort(), ["feedback.html", "results.json"]);
    assert.equal(readFileSync(path.join(dir, "results.json"), "utf8"), "new");
    assert.deepEqual(readdirSync(tmp), ["s1"]);
  });

  it("what a writer killed between its renames leaves (a half-written folder, the moved-aside one) is cleared by removeStaleTemps", () => {
    // The names a killed writer with pid 4242 would leave: its new folder and the old one moved aside.
    mkdirSync(path.join(tmp, ".s2.4242.tmp"));
    writeFileSync(path.join(tmp, ".s2.4242.tmp", "results.json"), "half");
    mkdirSync(path.join(tmp, ".s3.old.4242.tmp"));
    writeFileSync(path.join(tmp, ".grades.csv.4242.tmp"), "partial");
    writeFolderAtomic(path.join(tmp, "s1"), { "results.json": "{}" });
    removeStaleTemps(tmp);
    assert.deepEqual(readdirSync(tmp), ["s1"]);
    assert.ok(existsSync(path.join(tmp, "s1", "results.json")));
  });
});

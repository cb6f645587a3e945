/**
 * Sharded grading: one batch of week 7 submissions graded whole and as 3 shards, the shards
 * merged with `tsnb merge`; the merged grades.csv, summary and per-submission results must be
 * those of the unsharded run. Merging folders that do not belong together must be refused.
 */
import assert from "node:assert/strict";
import { cpSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import os from "node:os";
import path from "node:path";
import { generateSubmissions } from "../../bench/grading";
import { MANIFEST_FILE } from "../../grader/results/manifest";
import { filesUnder, firstDifference } from "../support/output-tree";
import { tsnb } from "../support/tsnb-cli";

const ROOT = path.resolve(__dirname, "..", "..", "..");
const WEEK7 = path.join(ROOT, "notebooks", "week07-cnn");
const MINI = path.join(ROOT, "tests", "fixtures", "mini-assignment");

function manifest(dir: string): { shard: { index: number; count: number } | null; submissions: { name: string; score: number }[]; graderVersion: string } {
  return JSON.parse(readFileSync(path.join(dir, MANIFEST_FILE), "utf8"));
}

/** The summary table's rows (without the legend and the timing lines). */
function summaryRows(stdout: string): string[] {
  return stdout.split("\n").filter((l) => /^s\d{3}-/.test(l));
}

describe("tsnb grade --shard and tsnb merge", function () {
  this.timeout(600_000);
  const tmp = mkdtempSync(path.join(os.tmpdir(), "tsnb-shards-"));
  const dir = (name: string) => path.join(tmp, name);
  let subs: string[] = [];
  let whole = "";
  let merged = { status: 0, stdout: "", stderr: "" };
  const shardLines: string[] = [];

  before(async () => {
    subs = await generateSubmissions(12, dir("subs"));
    const all = tsnb(["grade", WEEK7, ...subs, "--out", dir("all"), "--jobs", "2"]);
    assert.equal(all.status, 0, all.stderr);
    whole = all.stdout;
    for (const k of [1, 2, 3]) {
      const r = tsnb(["grade", WEEK7, ...subs, "--shard", `${k}/3`, "--out", dir(`shard-${k}`), "--jobs", "2"]);
      assert.equal(r.status, 0, r.stderr);
      shardLines.push(r.stdout);
    }
    merged = tsnb(["merge", dir("shard-1"), dir("shard-2"), dir("shard-3"), "--out", dir("merged")]);
  });

  after(() => rmSync(tmp, { recursive: true, force: true }));

  it("grades every submission in exactly one shard", () => {
    const names = [1, 2, 3].map((k) => manifest(dir(`shard-${k}`)).submissions.map((s) => s.name));
    for (const [k, list] of names.entries()) {
      assert.ok(list.length > 0, `shard ${k + 1} is empty`);
      assert.match(shardLines[k], new RegExp(`Shard ${k + 1}/3: ${list.length} of 12 submission`));
    }
    const flat = names.flat().sort();
    assert.deepEqual(flat, subs.map((s) => path.basename(s)).sort());
  });

  it("merges into the unsharded grades.csv, summary and results", () => {
    assert.equal(merged.status, 0, merged.stderr);
    assert.equal(readFileSync(dir("merged") + "/grades.csv", "utf8"), readFileSync(dir("all") + "/grades.csv", "utf8"));
    assert.deepEqual(summaryRows(merged.stdout), summaryRows(whole));
    assert.equal(summaryRows(whole).length, 12);
    for (const s of subs.map((p) => path.basename(p))) {
      const a = JSON.parse(readFileSync(path.join(dir("all"), s, "results.json"), "utf8"));
      const b = JSON.parse(readFileSync(path.join(dir("merged"), s, "results.json"), "utf8"));
      assert.equal(b.score, a.score, s);
      assert.deepEqual(
        b.tests.map((t: { name: string; score: number }) => [t.name, t.score]),
        a.tests.map((t: { name: string; score: number }) => [t.name, t.score]),
      );
      assert.match(readFileSync(path.join(dir("merged"), s, "feedback.html"), "utf8"), /<html/);
    }
    const m = manifest(dir("merged"));
    assert.equal(m.shard, null);
    assert.equal(m.submissions.length, 12);
    assert.match(readFileSync(path.join(dir("merged"), "grader-log.txt"), "utf8"), /from .*shard-3 \(shard 3\/3\)/);
  });

  it("merges the same files whatever order the shards are given in", () => {
    const again = tsnb(["merge", dir("shard-3"), dir("shard-1"), dir("shard-2"), "--out", dir("merged-again")]);
    assert.equal(again.status, 0, again.stderr);
    const files = filesUnder(dir("merged"));
    assert.ok(files.includes("grades.csv") && files.includes("grader-log.txt") && files.length > 12 * 2, files.join(", "));
    assert.deepEqual(filesUnder(dir("merged-again")), files);
    for (const f of files) {
      const [a, b] = [dir("merged"), dir("merged-again")].map((d) => readFileSync(path.join(d, f), "utf8"));
      if (a !== b) assert.fail(`${f} differs, ${firstDifference(a, b)}`);
    }
  });

  it("refuses a missing shard, a shard given twice, another assignment, an unfinished shard and another grader version", () => {
    const missing = tsnb(["merge", dir("shard-1"), dir("shard-2"), "--out", dir("m1")]);
    assert.equal(missing.status, 2);
    assert.match(missing.stderr, /missing shard\(s\) 3\/3/);

    cpSync(dir("shard-2"), dir("shard-2-again"), { recursive: true });
    const twice = tsnb(["merge", dir("shard-1"), dir("shard-2"), dir("shard-2-again"), dir("shard-3"), "--out", dir("m2")]);
    assert.equal(twice.status, 2);
    assert.match(twice.stderr, /shard 2\/3 appears twice/);

    const other = tsnb(["grade", MINI, path.join(MINI, "mini.ipynb"), "--shard", "1/1", "--out", dir("mini")]);
    assert.equal(other.status, 0, other.stderr);
    const mixed = tsnb(["merge", dir("all"), dir("mini"), "--out", dir("m3")]);
    assert.equal(mixed.status, 2);
    assert.match(mixed.stderr, /graded with a different assignment \(mini-assignment/);

    cpSync(dir("shard-1"), dir("shard-1-unfinished"), { recursive: true });
    const first = manifest(dir("shard-1")).submissions[0].name;
    rmSync(path.join(dir("shard-1-unfinished"), ".tsnb", "graded", `${first}.json`));
    const unfinished = tsnb(["merge", dir("shard-1-unfinished"), dir("shard-2"), dir("shard-3"), "--out", dir("m5")]);
    assert.equal(unfinished.status, 2);
    assert.match(unfinished.stderr, new RegExp(`no results for ${first}: the run did not finish; run the same tsnb grade command with --resume`));

    cpSync(dir("shard-3"), dir("shard-3-old"), { recursive: true });
    const file = path.join(dir("shard-3-old"), MANIFEST_FILE);
    writeFileSync(file, JSON.stringify({ ...JSON.parse(readFileSync(file, "utf8")), graderVersion: "0.0.1+0123456789abcdef" }));
    const old = tsnb(["merge", dir("shard-1"), dir("shard-2"), dir("shard-3-old"), "--out", dir("m4")]);
    assert.equal(old.status, 2);
    assert.match(old.stderr, /graded by tsnb 0\.0\.1\+0123456789abcdef/);
  });

  it("rejects a malformed --shard", () => {
    for (const bad of ["0/3", "4/3", "a/b", "3"]) {
      const r = tsnb(["grade", WEEK7, subs[0], "--shard", bad, "--out", dir("bad")]);
      assert.equal(r.status, 2, bad);
      assert.match(r.stderr, /K\/N/);
    }
  });
});

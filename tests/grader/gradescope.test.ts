/**
 * `tsnb export gradescope` end to end: the zip is built and run in an imitation of Gradescope's
 * harness (tests/support/gradescope-harness.ts) at the real /autograder paths. The build runs
 * once (its npm ci is most of this suite's time) and serves every submission: the bundled
 * samples, hostile submissions, zips good and bad, late submissions and grader failures. Each
 * score is compared with what `tsnb grade` gives for the same files. A second export, whose
 * solution no longer scores full marks, must fail its build.
 */
import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import { cpSync, existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import os from "node:os";
import path from "node:path";
import { ZipFile } from "yazl";
import { cellSource, Notebooks, solvedNotebooks, withCell, writeSubmission } from "../../bench/submissions";
import { loadAssignment } from "../../grader/assignment/load";
import { GradescopeResults, gradescopeResultsSchema } from "../../grader/results/gradescope";
import { BuildResult, GradescopeHarness, harnessAvailable, RunResult } from "../support/gradescope-harness";
import { tsnb } from "../support/tsnb-cli";

const ROOT = path.resolve(__dirname, "..", "..", "..");
const WEEK7 = path.join(ROOT, "notebooks", "week07-cnn");
const SAMPLES = path.join(ROOT, "samples", "week07-cnn");
const HIDDEN_IN_IMAGE = "/autograder/source/assignment/week07-cnn/hidden-tests";
const PY = "/usr/bin/python3";

/** On time: submitted a day and a half before the due date. */
const ON_TIME = {
  id: 1,
  created_at: "2026-03-01T12:00:00.000000+09:00",
  assignment: { due_date: "2026-03-02T23:59:00.000000+09:00", late_due_date: "2026-03-05T23:59:00.000000+09:00", title: "Week 7", total_points: "100.0" },
  users: [{ email: "learner@example.com", id: 7, name: "Learner" }],
  previous_submissions: [],
};

function prefixed(nbs: Notebooks, name: string, code: string): Notebooks {
  return withCell(nbs, name, cellSource(nbs, name).replace(/\{\n/, `{\n${code}\n`));
}

function zipOf(dir: string, prefix: string, out: string): Promise<void> {
  const zip = new ZipFile();
  for (const f of readdirSync(dir)) zip.addBuffer(readFileSync(path.join(dir, f)), `${prefix}${f}`);
  zip.end();
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    zip.outputStream.on("data", (c: Buffer) => chunks.push(c));
    zip.outputStream.on("end", () => resolve(writeFileSync(out, Buffer.concat(chunks))));
    zip.outputStream.on("error", reject);
  });
}

/** A zip no ordinary tool writes, made with Python's zipfile: `entries` are [name, text, unix mode]. */
function craftedZip(out: string, entries: [string, string, number][]): void {
  const script = [
    "import json, sys, zipfile",
    "entries = json.loads(sys.argv[2])",
    "with zipfile.ZipFile(sys.argv[1], 'w') as z:",
    "    for name, text, mode in entries:",
    "        info = zipfile.ZipInfo(name)",
    "        info.create_system = 3",
    "        info.external_attr = mode << 16",
    "        z.writestr(info, text)",
  ].join("\n");
  const r = spawnSync(PY, ["-c", script, out, JSON.stringify(entries)], { encoding: "utf8" });
  assert.equal(r.status, 0, r.stderr);
}

function parse(run: RunResult): GradescopeResults {
  assert.ok(run.resultsText, `no results.json; stdout:\n${run.stdout.slice(-3000)}`);
  return gradescopeResultsSchema.parse(JSON.parse(run.resultsText));
}

describe("tsnb export gradescope, run in an imitation of Gradescope's harness", function () {
  this.timeout(900_000);
  const available = harnessAvailable();
  const tmp = mkdtempSync(path.join(os.tmpdir(), "tsnb-gradescope-test-"));
  const harness = new GradescopeHarness(path.join(tmp, "harness"));
  const zip = path.join(tmp, "week07-gradescope.zip");
  const subs = path.join(tmp, "subs");
  const reference = new Map<string, number>();
  let build: BuildResult;
  let exportOutput = "";

  const assignment = loadAssignment(WEEK7);
  const solved = solvedNotebooks(assignment);
  const hostile: [string, Notebooks][] = [
    [
      "overwrite-results",
      prefixed(
        solved,
        "conv2dIm2col",
        `  const fs = require("fs");\n  fs.mkdirSync("/autograder/results", { recursive: true });\n  fs.writeFileSync("/autograder/results/results.json", '{"score":100,"tests":[]}');`,
      ),
    ],
    [
      "read-source",
      prefixed(
        solved,
        "describeNetwork",
        `  try { console.log(require("fs").readFileSync("${HIDDEN_IN_IMAGE}/01-conv-basics.test.ts", "utf8")); } catch (e) { console.log("read failed: " + (e as Error).message); }\n` +
          `  try { console.log(require("fs").readdirSync("/autograder/source").join(",")); } catch (e) { console.log("list failed"); }`,
      ),
    ],
    ["memory-bomb", prefixed(solved, "im2col", "  const hoard: Float64Array[] = [];\n  for (;;) hoard.push(new Float64Array(1 << 20).fill(1));")],
  ];
  const cases = ["full", "partial", "broken", ...hostile.map(([n]) => n)];
  const runs = new Map<string, RunResult>();

  before(async function () {
    if (!available.ok) {
      process.stderr.write(`      (skipped: ${available.why})\n`);
      this.skip();
    }
    for (const s of ["full", "partial", "broken"]) cpSync(path.join(SAMPLES, s), path.join(subs, s), { recursive: true });
    for (const [name, nbs] of hostile) await writeSubmission(nbs, path.join(subs, name));
    const graded = tsnb(["grade", WEEK7, ...cases.map((c) => path.join(subs, c)), "--out", path.join(tmp, "reference"), "--jobs", "2"]);
    assert.equal(graded.status, 0, graded.stderr);
    for (const c of cases) reference.set(c, JSON.parse(readFileSync(path.join(tmp, "reference", c, "results.json"), "utf8")).score);

    const args = ["--visibility", "after_due_date", "--late-penalty", "10", "--late-period", "24", "--late-max", "30", "--late-grace", "10"];
    const exported = tsnb(["export", "gradescope", WEEK7, "--out", zip, ...args]);
    assert.equal(exported.status, 0, exported.stderr);
    exportOutput = exported.stdout;
    build = await harness.build(zip);
    assert.ok(build.ok, `the build failed:\n${build.log.slice(-6000)}`);
  });

  after(() => {
    harness.dispose();
    rmSync(tmp, { recursive: true, force: true });
  });

  it("the zip has setup.sh and run_autograder at its root: executable, #! line, Unix line endings", () => {
    const script = "import sys, zipfile\nfor i in zipfile.ZipFile(sys.argv[1]).infolist(): print(oct(i.external_attr >> 16), i.filename)";
    const listing = spawnSync(PY, ["-c", script, zip], { encoding: "utf8" }).stdout.trim().split("\n");
    for (const name of ["setup.sh", "run_autograder"]) {
      assert.ok(listing.includes(`0o100755 ${name}`), `${name} is not an executable file at the root of the zip`);
      const text = readFileSync(path.join(harness.autograder, "source", name), "utf8");
      assert.match(text, /^#!\/usr\/bin\/env bash\n/);
      assert.ok(!text.includes("\r"), `${name} has CR line endings`);
    }
    assert.ok(
      !listing.some((l) => / (tests|bench|notebooks)\//.test(l) || (/\.map$|\.d\.ts$/.test(l) && / dist\/grader\//.test(l))),
      "the zip carries development files",
    );
  });

  it("setup.sh keeps the installed Node, installs only the locked grading runtime and proves the solution", () => {
    assert.match(build.log, /Node\.js v\d+\.\d+\.\d+ is already installed/);
    assert.match(build.log, /The solution scores full marks \(100 \/ 100\)/);
    assert.match(build.log, /Hidden tests are readable by root only/);
    const source = path.join(harness.autograder, "source");
    const pkg = JSON.parse(readFileSync(path.join(source, "package.json"), "utf8"));
    assert.deepEqual(Object.keys(pkg.dependencies).sort(), ["esbuild", "jest", "jest-environment-node", "typescript7", "yauzl", "zod"]);
    const kit = JSON.parse(readFileSync(path.join(ROOT, "package.json"), "utf8"));
    for (const [name, version] of Object.entries(pkg.dependencies)) assert.equal(version, kit.dependencies[name], name);
    const kitLock = JSON.parse(readFileSync(path.join(ROOT, "package-lock.json"), "utf8")).packages;
    const lock = JSON.parse(readFileSync(path.join(source, "package-lock.json"), "utf8")).packages;
    for (const [where, entry] of Object.entries<{ version?: string; link?: boolean }>(lock)) {
      if (where && !entry.link && where !== "kernel-helpers") assert.equal(entry.version, kitLock[where]?.version, where);
    }
    for (const absent of ["@tensorflow/tfjs", "@tensorflow/tfjs-backend-wasm", "tslab", "zeromq", "mocha", "commander", "typescript"]) {
      assert.ok(!existsSync(path.join(source, "node_modules", absent, "package.json")), `${absent} was installed`);
    }
    assert.match(exportOutput, /npm packages installed by setup\.sh: esbuild@/);
  });

  it("the hidden tests are readable by root but not by the user learner code runs as", () => {
    const file = `${HIDDEN_IN_IMAGE}/01-conv-basics.test.ts`;
    assert.equal(harness.exec(["cat", file]).status, 0);
    const asNobody = harness.exec(["setpriv", "--reuid=65534", "--regid=65534", "--clear-groups", "cat", file]);
    assert.notEqual(asNobody.status, 0);
    assert.match(asNobody.stderr, /Permission denied/);
  });

  for (const name of cases) {
    it(`${name}: a valid results.json with the score tsnb grade gives`, async () => {
      const run = await harness.run({ submission: path.join(subs, name), metadata: ON_TIME });
      runs.set(name, run);
      assert.ok(!run.timedOut);
      const results = parse(run);
      assert.equal(results.score, reference.get(name), run.stdout.slice(-3000));
      assert.equal(results.visibility, "after_due_date");
      assert.ok(results.tests.every((t) => t.visibility === "after_due_date"));
      assert.equal(results.stdout_visibility, "hidden");
      assert.equal(
        results.tests.reduce((s, t) => s + t.max_score, 0),
        100,
      );
    });
  }

  it("hostile code neither replaces results.json nor sees the hidden tests, and a memory bomb is stopped", () => {
    const overwrite = parse(runs.get("overwrite-results")!);
    assert.ok(overwrite.tests.length > 0, "results.json was replaced");
    const hiddenLines = readdirSync(path.join(WEEK7, "hidden-tests"))
      .flatMap((f) => readFileSync(path.join(WEEK7, "hidden-tests", f), "utf8").split("\n"))
      .map((l) => l.trim())
      .filter((l) => l.length > 30 && !l.startsWith("*") && !l.startsWith("//"));
    for (const [name, run] of runs) {
      for (const line of hiddenLines) assert.ok(!run.resultsText!.includes(line), `${name}: results.json quotes a hidden test`);
    }
    // The learner sandbox's isolation is decided per run and said in the instructor's output.
    assert.match(runs.get("full")!.stdout, /^Isolation: (bubblewrap|FALLBACK)/m);
    assert.match(String(parse(runs.get("full")!).extra_data.isolation), /^(bubblewrap|node-permissions)$/);
    const bomb = parse(runs.get("memory-bomb")!);
    assert.match(bomb.tests.find((t) => t.status === "failed")!.output, /메모리를 \d+ MiB보다 많이 썼습니다/);
  });

  it("finds notebooks at any depth and in a .zip; the assignment's name nearest the top wins; checkpoints are ignored", async () => {
    const zipFile = path.join(tmp, "work.zip");
    await zipOf(path.join(subs, "partial"), "my-week7/", zipFile);
    // The full solution's notebook, where it must not be used: a checkpoint and a deeper backup.
    const full01 = readFileSync(path.join(subs, "full", "01-conv-basics.ipynb"));
    const run = await harness.run({
      submission: { "work.zip": readFileSync(zipFile), ".ipynb_checkpoints/01-conv-basics.ipynb": full01, "old/backup/v1/01-conv-basics.ipynb": full01 },
      metadata: ON_TIME,
    });
    const results = parse(run);
    assert.equal(results.score, reference.get("partial"), results.output);
    assert.match(results.output, /work\.zip: my-week7\/01-conv-basics\.ipynb/);
    // Week 7 is a Korean assignment (assignment.json): learners read its notes in Korean.
    assert.match(results.output, /old__backup__v1__01-conv-basics\.ipynb 파일은 01-conv-basics\.ipynb 노트북을 한 번 더 제출한 것이라서 채점하지 않았습니다/);
    assert.doesNotMatch(results.output, /checkpoint/);
  });

  it("refuses a .zip with a path that leaves its folder or a symbolic link, and writes nothing outside", async () => {
    const notebook = readFileSync(path.join(subs, "full", "01-conv-basics.ipynb"), "utf8");
    const traversal = path.join(tmp, "traversal.zip");
    craftedZip(traversal, [
      ["01-conv-basics.ipynb", notebook, 0o100644],
      ["../../results/results.json", '{"score": 100}', 0o100644],
      ["../../../tmp/pwned.ipynb", notebook, 0o100644],
    ]);
    const link = path.join(tmp, "link.zip");
    craftedZip(link, [["01-conv-basics.ipynb", `${HIDDEN_IN_IMAGE}/01-conv-basics.test.ts`, 0o120777]]);
    for (const [file, why] of [
      [traversal, /invalid relative path|leaves|\.\./],
      [link, /심볼릭 링크가 들어 있습니다/],
    ] as const) {
      const run = await harness.run({ submission: { [path.basename(file)]: readFileSync(file) }, metadata: ON_TIME });
      const results = parse(run);
      assert.equal(results.score, 0);
      assert.match(results.output, new RegExp(`${path.basename(file)} 파일을 열지 않았습니다`));
      assert.match(results.output, why);
      assert.ok(!existsSync(path.join(harness.autograder, "pwned.ipynb")));
    }
  });

  it("applies the late policy from created_at and the due dates, an extension included", async () => {
    const due = Date.parse(ON_TIME.assignment.due_date);
    const at = (hours: number) => new Date(due + hours * 3_600_000).toISOString();
    const score = async (metadata: unknown) => parse(await harness.run({ submission: path.join(subs, "full"), metadata }));
    const late30h = await score({ ...ON_TIME, created_at: at(30) });
    assert.equal(late30h.score, 80, late30h.output);
    assert.equal(late30h.extra_data.raw_score, 100);
    assert.match(late30h.output, /1일 6시간 늦게 제출했습니다 .*지각 감점 20%.*점수 100 → 80/);
    const capped = await score({ ...ON_TIME, created_at: at(24 * 6) });
    assert.equal(capped.score, 70);
    const withinGrace = await score({ ...ON_TIME, created_at: at(0.1) });
    assert.equal(withinGrace.score, 100);
    const extension = await score({ ...ON_TIME, created_at: at(30), users: [{ ...ON_TIME.users[0], assignment: { due_date: at(48) } }] });
    assert.equal(extension.score, 100, extension.output);
    const noMetadata = await harness.run({ submission: path.join(subs, "full") });
    assert.equal(parse(noMetadata).score, 100);
    assert.match(noMetadata.stdout, /no late policy applied/);
  });

  it("an empty submission scores 0 and says which notebooks to upload", async () => {
    const results = parse(await harness.run({ submission: { "notes.txt": "forgot" }, metadata: ON_TIME }));
    assert.equal(results.score, 0);
    assert.match(results.output, /Jupyter 노트북\(\.ipynb\)을 찾지 못했습니다.*01-conv-basics\.ipynb/);
  });

  it("still writes results.json, score 0 and the autograder's fault, when the grader fails", async () => {
    // Jest hidden from the grader: the grader catches its own failure.
    const noJest = await harness.run({
      submission: path.join(subs, "full"),
      metadata: ON_TIME,
      extraArgs: ["--tmpfs", "/autograder/source/node_modules/jest"],
    });
    const caught = parse(noJest);
    assert.equal(caught.score, 0);
    assert.match(caught.output, /자동 채점기 자체의 문제로 .* 제출한 내용의 잘못이 아닙니다/);
    assert.match(noJest.stdout, /GRADER FAILURE/);
    // The grader's code gone: run_autograder's own placeholder.
    const noGrader = await harness.run({ submission: path.join(subs, "full"), metadata: ON_TIME, extraArgs: ["--tmpfs", "/autograder/source/dist"] });
    const placeholder = parse(noGrader);
    assert.equal(placeholder.score, 0);
    assert.match(placeholder.output, /자동 채점기 자체의 문제/);
    assert.match(String(placeholder.extra_data.grader_error), /exit status 1/);
  });

  it("a broken export fails the build: a solution that no longer scores full marks", async () => {
    const broken = path.join(tmp, "broken-assignment", "week07-cnn");
    mkdirSync(path.dirname(broken));
    cpSync(WEEK7, broken, { recursive: true });
    const nbFile = path.join(broken, "01-conv-basics.ipynb");
    const nb = JSON.parse(readFileSync(nbFile, "utf8"));
    const cell = nb.cells.find((c: { metadata: { nbgrader?: { grade_id?: string } } }) => c.metadata.nbgrader?.grade_id === "convOutputSize");
    const source: string = Array.isArray(cell.source) ? cell.source.join("") : cell.source;
    cell.source = source.replace("// BEGIN SOLUTION\n", "// BEGIN SOLUTION\n  if (stride === 4) return -1;\n");
    writeFileSync(nbFile, JSON.stringify(nb));
    const brokenZip = path.join(tmp, "broken.zip");
    assert.equal(tsnb(["export", "gradescope", broken, "--out", brokenZip]).status, 0);
    const second = new GradescopeHarness(path.join(tmp, "harness-broken"));
    try {
      const result = await second.build(brokenZip);
      assert.equal(result.ok, false, "the build succeeded");
      assert.match(result.log, /BUILD FAILED/);
      assert.match(result.log, /convOutputSize: exact division/);
      assert.match(result.log, /scores 99 of 100 points/);
    } finally {
      second.dispose();
    }
  });
});

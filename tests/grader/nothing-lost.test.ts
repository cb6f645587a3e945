/**
 * Faults around a grading run, each with an exact outcome: a grader killed with SIGKILL
 * part-way leaves complete files and no process behind, and --resume then gives the same grades
 * as a clean run; Ctrl-C (SIGINT) stops cleanly with exit code 130; a second run on the same
 * --out is refused; and a machine without namespaces (forced) falls back and says so, or
 * refuses under --isolation strict.
 */
import assert from "node:assert/strict";
import { ChildProcess, spawn, spawnSync } from "node:child_process";
import { chmodSync, existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from "node:fs";
import os from "node:os";
import path from "node:path";
import { descendantPids, processStartTime } from "../../grader/process/tree";
import { classReportSchema } from "../../grader/report/schema";
import { gradescopeResultsSchema } from "../../grader/results/gradescope";

const ROOT = path.resolve(__dirname, "..", "..", "..");
const TSNB = path.join(ROOT, "bin", "tsnb.js");
const MINI = path.join(ROOT, "tests", "fixtures", "mini-assignment");
const COUNT = 8;

function tsnb(args: string[], env: NodeJS.ProcessEnv = {}): { status: number | null; stdout: string; stderr: string } {
  const r = spawnSync(process.execPath, [TSNB, ...args], { encoding: "utf8", env: { ...process.env, FORCE_COLOR: "0", ...env } });
  return { status: r.status, stdout: r.stdout, stderr: r.stderr };
}

/** Eight submissions: every other one slow (0.6 s in relu4), one wrong, each distinct. */
function writeSubmissions(dir: string): string[] {
  mkdirSync(dir);
  return Array.from({ length: COUNT }, (_, i) => {
    const nb = JSON.parse(readFileSync(path.join(MINI, "mini.ipynb"), "utf8"));
    const cell = nb.cells.find((c: { metadata: { nbgrader?: { grade_id?: string } } }) => c.metadata.nbgrader?.grade_id === "relu4");
    const body = i === 3 ? "  return x;" : "  return x.map((a) => a.map((b) => b.map((c) => c.map((v) => Math.max(0, v)))));";
    const slow = i % 2 === 1 ? "  const end = Date.now() + 600; while (Date.now() < end) {}\n" : "";
    cell.source = `function relu4(x: Tensor4): Tensor4 {\n  // submission ${i}\n${slow}${body}\n}`;
    const file = path.join(dir, `s${i}.ipynb`);
    writeFileSync(file, JSON.stringify(nb));
    return file;
  });
}

/** Processes (not zombies) from this checkout's grader that are not this test's own. */
function strays(): string[] {
  const mine = new Set([process.pid, ...descendantPids(process.pid)]);
  for (let pid = process.ppid; pid > 1;) {
    mine.add(pid);
    const stat = readFileSync(`/proc/${pid}/stat`, "utf8");
    pid = Number(stat.slice(stat.lastIndexOf(")") + 2).split(" ")[1]);
  }
  const found: string[] = [];
  for (const entry of readdirSync("/proc")) {
    if (!/^\d+$/.test(entry) || mine.has(Number(entry))) continue;
    try {
      const state = readFileSync(`/proc/${entry}/stat`, "utf8").split(") ")[1][0];
      const cmd = readFileSync(`/proc/${entry}/cmdline`, "utf8").split("\0").join(" ");
      if (state !== "Z" && (cmd.includes(path.join(ROOT, "dist", "grader")) || cmd.includes(path.join(ROOT, "node_modules"))))
        found.push(`${entry}: ${cmd.slice(0, 200)}`);
    } catch {
      /* gone */
    }
  }
  return found;
}

/** Start `tsnb grade` and follow its process tree until it ends. */
function startGrade(args: string[]): {
  child: ChildProcess;
  seen: Map<number, string | undefined>;
  done: Promise<{ code: number | null; signal: string | null; stdout: string; stderr: string }>;
} {
  const child = spawn(process.execPath, [TSNB, "grade", ...args], { env: { ...process.env, FORCE_COLOR: "0" } });
  const seen = new Map<number, string | undefined>();
  const sampler = setInterval(() => {
    for (const pid of descendantPids(child.pid!)) if (!seen.has(pid)) seen.set(pid, processStartTime(pid));
  }, 25);
  let stdout = "";
  let stderr = "";
  child.stdout.on("data", (d: Buffer) => (stdout += d.toString()));
  child.stderr.on("data", (d: Buffer) => (stderr += d.toString()));
  const done = new Promise<{ code: number | null; signal: string | null; stdout: string; stderr: string }>((resolve) =>
    child.on("exit", (code, signal) => {
      clearInterval(sampler);
      resolve({ code, signal, stdout, stderr });
    }),
  );
  return { child, seen, done };
}

async function until(condition: () => boolean, timeoutMs: number): Promise<boolean> {
  const end = Date.now() + timeoutMs;
  while (!condition()) {
    if (Date.now() > end) return false;
    await new Promise((r) => setTimeout(r, 20));
  }
  return true;
}

/** Processes of a run still alive (same pid and start time, not a zombie). */
function survivors(seen: Map<number, string | undefined>): number[] {
  return [...seen]
    .filter(([pid, start]) => {
      const now = processStartTime(pid);
      if (now === undefined || now !== start) return false;
      return readFileSync(`/proc/${pid}/stat`, "utf8").split(") ")[1][0] !== "Z";
    })
    .map(([pid]) => pid);
}

function resultsOf(out: string): Map<string, { score: number; tests: string[] }> {
  const map = new Map<string, { score: number; tests: string[] }>();
  for (const name of readdirSync(out)) {
    // A killed writer may leave a half-written temporary folder (a dot name); the next run clears it.
    if (name.startsWith(".")) continue;
    const file = path.join(out, name, "results.json");
    if (!existsSync(file)) continue;
    const r = gradescopeResultsSchema.parse(JSON.parse(readFileSync(file, "utf8")));
    map.set(name, { score: r.score, tests: r.tests.map((t) => `${t.name} ${t.status} ${t.score}`) });
  }
  return map;
}

/** Every file a (possibly killed) run left is whole. */
function assertComplete(out: string): void {
  for (const name of readdirSync(out)) {
    const dir = path.join(out, name);
    if (!statSync(dir).isDirectory() || name.startsWith(".")) continue;
    gradescopeResultsSchema.parse(JSON.parse(readFileSync(path.join(dir, "results.json"), "utf8")));
    assert.match(readFileSync(path.join(dir, "feedback.html"), "utf8"), /<\/html>\n$/);
  }
  if (existsSync(path.join(out, "grades.csv"))) {
    const lines = readFileSync(path.join(out, "grades.csv"), "utf8").split("\n");
    assert.equal(lines.pop(), "", "grades.csv ends with a newline");
    for (const line of lines) assert.equal(line.split(",").length, 5, line);
  }
}

describe("nothing lost, nothing left behind", function () {
  this.timeout(300_000);
  const tmp = mkdtempSync(path.join(os.tmpdir(), "tsnb-faults-"));
  const subs = writeSubmissions(path.join(tmp, "subs"));
  const common = [MINI, ...subs, "--jobs", "2"];
  const clean = path.join(tmp, "clean");
  after(() => rmSync(tmp, { recursive: true, force: true }));

  before(() => {
    const r = tsnb(["grade", ...common, "--out", clean]);
    assert.equal(r.status, 0, r.stderr);
  });

  it("SIGKILL part-way: complete files, no process left after 2 s; --resume then matches a clean run", async () => {
    const out = path.join(tmp, "killed");
    const run = startGrade([...common, "--out", out]);
    assert.ok(await until(() => existsSync(path.join(out, "grades.csv")), 120_000), "no results appeared");
    run.child.kill("SIGKILL");
    const killedAt = Date.now();
    await run.done;
    await until(() => survivors(run.seen).length === 0 && strays().length === 0, 2000);
    const waited = Date.now() - killedAt;
    assert.deepEqual(survivors(run.seen), [], `processes of the killed run still alive after ${waited} ms`);
    assert.deepEqual(strays(), []);
    assert.ok(run.seen.size >= 3, `the run was followed (${run.seen.size} processes seen)`);

    assertComplete(out);
    const before = resultsOf(out);
    assert.ok(before.size >= 1 && before.size < COUNT, `killed part-way: ${before.size} of ${COUNT} graded`);
    const mtimes = new Map([...before.keys()].map((n) => [n, statSync(path.join(out, n, "results.json")).mtimeMs]));

    // The kill may also land inside a folder write; make sure such a leftover is there either way.
    const halfWritten = path.join(out, `.s_half.${run.child.pid}.tmp`);
    mkdirSync(halfWritten, { recursive: true });
    writeFileSync(path.join(halfWritten, "results.json"), '{"score": 10');

    const workDirs = () => readdirSync(os.tmpdir()).filter((n) => n.startsWith(`tsnb-grade-${run.child.pid}-`));
    assert.equal(workDirs().length, 1, "a SIGKILLed grader cannot remove its work folder");
    const resumed = tsnb(["grade", ...common, "--out", out, "--resume"]);
    assert.deepEqual(workDirs(), [], "the next run removes it");
    assert.equal(resumed.status, 0, resumed.stderr);
    assert.match(resumed.stdout, new RegExp(`Took over the lock of an earlier run that is no longer running \\(pid ${run.child.pid},`));
    assert.match(resumed.stdout, new RegExp(`--resume: ${before.size} of ${COUNT} submission\\(s\\) already graded; grading ${COUNT - before.size}\\.`));
    for (const [name, mtime] of mtimes) assert.equal(statSync(path.join(out, name, "results.json")).mtimeMs, mtime, `${name} was graded again`);
    assert.deepEqual(resultsOf(out), resultsOf(clean));
    assert.equal(readFileSync(path.join(out, "grades.csv"), "utf8"), readFileSync(path.join(clean, "grades.csv"), "utf8"));
    assert.deepEqual(
      readdirSync(out).filter((f) => f.endsWith(".tmp")),
      [],
    );
    assert.ok(!existsSync(path.join(out, ".tsnb", "lock")), "the lock is released");
  });

  it("a second run on the same --out is refused; Ctrl-C stops cleanly with exit code 130 and a report of the graded part marked incomplete; --resume completes it", async () => {
    const out = path.join(tmp, "interrupted");
    const run = startGrade([...common, "--out", out]);
    assert.ok(await until(() => existsSync(path.join(out, ".tsnb", "lock")), 60_000));
    const second = tsnb(["grade", ...common, "--out", out]);
    assert.equal(second.status, 2);
    assert.match(second.stderr, new RegExp(`is in use by another run \\(pid ${run.child.pid}, started .*\\). Wait for it to finish or use another --out`));

    assert.ok(await until(() => existsSync(path.join(out, "grades.csv")), 120_000), "no results appeared");
    run.child.kill("SIGINT");
    const ended = await run.done;
    assert.equal(ended.code, 130, ended.stderr);
    const graded = resultsOf(out);
    const said = /stopped by SIGINT\. (\d+) of 8 submission\(s\) are graded and saved in .*; not graded \((\d+)\): (.*)\./.exec(ended.stderr);
    assert.ok(said, ended.stderr);
    assert.equal(Number(said[1]), graded.size);
    assert.equal(Number(said[2]), COUNT - graded.size);
    const notGraded = subs
      .map((s) => path.basename(s, ".ipynb"))
      .filter((n) => !graded.has(n))
      .sort();
    assert.deepEqual(said[3].split(", ").sort(), notGraded);
    assertComplete(out);

    // The class report covers the graded part, and says so before anything else.
    assert.match(ended.stderr, new RegExp(`^Class report of the graded part: ${path.join(out, "report.html")}$`, "m"));
    const partial = classReportSchema.parse(JSON.parse(readFileSync(path.join(out, "report.json"), "utf8")));
    assert.deepEqual(partial.stopped, { signal: "SIGINT", notGraded });
    assert.deepEqual(partial.learners.map((l) => l.name).sort(), [...graded.keys()].sort());
    const html = readFileSync(path.join(out, "report.html"), "utf8");
    const notice = /<section class="stopped" id="stopped" role="alert"><p>(.*?)<\/p><\/section>/.exec(html);
    assert.ok(notice && html.indexOf(notice[0]) < html.indexOf("<h2"), "the notice comes before the first section");
    for (const name of notGraded) assert.ok(notice[1].includes(name), `${name} is named in: ${notice[1]}`);
    assert.match(notice[1], /SIGINT.*--resume/);
    assert.ok(!existsSync(path.join(out, ".tsnb", "lock")), "the lock is released");
    assert.deepEqual(
      readdirSync(os.tmpdir()).filter((n) => n.startsWith(`tsnb-grade-${run.child.pid}-`)),
      [],
      "the work folder is removed",
    );
    assert.ok(await until(() => survivors(run.seen).length === 0, 2000), `left running: ${survivors(run.seen).join(", ")}`);
    assert.deepEqual(strays(), []);
    for (const [name, r] of graded) assert.deepEqual(r, resultsOf(clean).get(name), name);

    // --resume grades the rest and writes the whole report again, without the notice.
    const resumed = tsnb(["grade", ...common, "--out", out, "--resume"]);
    assert.equal(resumed.status, 0, resumed.stderr);
    const whole = classReportSchema.parse(JSON.parse(readFileSync(path.join(out, "report.json"), "utf8")));
    assert.equal(whole.stopped, undefined);
    assert.equal(whole.learners.length, COUNT);
    assert.doesNotMatch(readFileSync(path.join(out, "report.html"), "utf8"), /id="stopped"/);
  });

  it("without namespaces (forced), falls back and says so everywhere; --isolation strict refuses", () => {
    // Where the sandbox user can run it (the test folder is private).
    chmodSync(tmp, 0o755);
    const fake = path.join(tmp, "bwrap-denied");
    writeFileSync(fake, '#!/bin/sh\necho "bwrap: No permissions to create a new namespace" >&2\nexit 1\n');
    chmodSync(fake, 0o755);
    const env = { TSNB_BWRAP: fake };
    const out = path.join(tmp, "fallback");
    const r = tsnb(["grade", MINI, subs[0], "--out", out], env);
    assert.equal(r.status, 0, r.stderr);
    const line =
      /^Isolation: FALLBACK to Node's permission model only \(no network isolation, no namespaces\): bubblewrap could not create a sandbox here: bwrap: No permissions to create a new namespace$/m;
    assert.match(r.stdout, line);
    assert.match(readFileSync(path.join(out, "grader-log.txt"), "utf8"), line);
    const results = JSON.parse(readFileSync(path.join(out, "s0", "results.json"), "utf8"));
    assert.equal(results.extra_data.isolation, "node-permissions");
    assert.equal(results.score, 5);

    const strict = tsnb(["grade", MINI, subs[0], "--out", path.join(tmp, "strict"), "--isolation", "strict"], env);
    assert.equal(strict.status, 2);
    assert.match(
      strict.stderr,
      /--isolation strict: refusing to grade without OS-level isolation; bubblewrap could not create a sandbox here: bwrap: No permissions/,
    );
    assert.ok(!existsSync(path.join(tmp, "strict", "s0")));

    const doctor = tsnb(["doctor"], env);
    assert.equal(doctor.status, 1);
    assert.match(doctor.stdout, /NO\s+namespaces: bubblewrap could not create a sandbox here: bwrap: No permissions/);
    assert.match(doctor.stdout, /Verdict: tsnb grade would fall back to Node's permission model alone/);
  });

  it("tsnb doctor reports a working bubblewrap here, and the clean run used it", () => {
    const doctor = tsnb(["doctor"]);
    assert.equal(doctor.status, 0, doctor.stdout);
    assert.match(doctor.stdout, /ok\s+namespaces: a test sandbox started with no network/);
    assert.match(doctor.stdout, /Verdict: tsnb grade runs learner code inside bubblewrap/);
    assert.equal(JSON.parse(readFileSync(path.join(clean, "s0", "results.json"), "utf8")).extra_data.isolation, "bubblewrap");
  });
});

/**
 * The learner sandbox on its own: what learner code can and cannot do, and how each failure
 * comes back. Each case states the attack and the exact outcome it gets.
 */
import assert from "node:assert/strict";
import { chmodSync, mkdtempSync, writeFileSync } from "node:fs";
import os from "node:os";
import path from "node:path";
import { CallOutcome, LearnerSandbox } from "../../grader/sandbox/host";
import { writeOfferedModules } from "../../grader/sandbox/offered-modules";
import { LearnerCell } from "../../grader/sandbox/protocol";
import { transpileCell } from "../../grader/submission/transpile";

function program(sources: string[], notebook = "nb.ipynb"): { programFile: string; moduleFiles: string[]; dir: string } {
  const dir = mkdtempSync(path.join(os.tmpdir(), "sandbox-test-"));
  chmodSync(dir, 0o755);
  const cells: LearnerCell[] = sources.map((src, i) => {
    const out = transpileCell(src, `cell ${i + 1}`);
    return out.ok
      ? { label: `cell ${i + 1}`, notebook, code: out.code, map: out.map }
      : { label: `cell ${i + 1}`, notebook, code: "", compileError: out.error };
  });
  const programFile = path.join(dir, "learner.json");
  writeFileSync(programFile, JSON.stringify({ cells }), { mode: 0o644 });
  return { programFile, moduleFiles: writeOfferedModules(dir), dir };
}

const secret = path.join(os.tmpdir(), `tsnb-secret-${process.pid}.txt`);
const LIMITS = { callTimeoutMs: 800, totalBudgetMs: 20_000, memoryMb: 300, startupTimeoutMs: 10_000, timeoutsBeforeSkip: 2 };

describe("learner sandbox", function () {
  this.timeout(30_000);
  let sandbox: LearnerSandbox;

  before(async () => {
    writeFileSync(secret, "HIDDEN TEST SOURCE");
    const p = program([
      'import { zeros4 } from "@course-kit/kernel-helpers";\nimport * as tf from "@tensorflow/tfjs";',
      "function add(a: number, b: number): number { return a + b; }",
      "function usesHelpers() { return zeros4([1, 1, 1, 2]); }",
      "function boom(): number {\n  const y: any = undefined;\n  return y[0];\n}",
      "function loop(): number { while (true) {} }",
      "function usesTf() { return tf.zeros([2]); }",
      "function proxy() { return new Proxy([1, 2], {}); }",
      "function getter() { return { get a() { return 1; } }; }",
      "function sneakyValueOf() { return { valueOf: () => 42 }; }",
      "function specials() { return [NaN, Infinity, -Infinity, 1]; }",
      'function escape() { return (function () {}).constructor("return process")(); }',
      "function noProcess() { return typeof process; }",
      'function noRequireFs() { return require("fs").readFileSync(' + JSON.stringify(secret) + ', "utf8"); }',
      "function bomb() { const a: Float64Array[] = []; while (true) a.push(new Float64Array(1e6).fill(1)); }",
      "async function never() { return new Promise(() => {}); }",
      "async function later() { return 7; }",
      "function tamper() { (Array.prototype as any).map = () => 'hacked'; (Object.prototype as any).polluted = 1; JSON.stringify = () => '\"hacked\"'; return [1, 2].map((x) => x); }",
      "function printer() { for (let i = 0; i < 100000; i++) console.log('flood ' + i); return 1; }",
      "function syntax( {",
    ]);
    sandbox = new LearnerSandbox({ programFile: p.programFile, moduleFiles: p.moduleFiles }, LIMITS);
    const cells = await sandbox.start();
    assert.equal(cells.filter((c) => !c.ok).length, 1, "only the syntax-error cell fails to load");
  });
  after(async () => sandbox.dispose());

  const call = (fn: string, ...args: unknown[]): Promise<CallOutcome> => sandbox.call(fn, args);

  it("returns plain data", async () => {
    assert.deepEqual(await call("add", 2, 3).then((o) => o.kind === "returned" && o.value), 5);
    assert.deepEqual(await call("usesHelpers").then((o) => o.kind === "returned" && o.value), [[[[0, 0]]]]);
  });

  it("reports a learner exception with its name, message and cell line", async () => {
    const o = await call("boom");
    assert.equal(o.kind, "threw");
    if (o.kind !== "threw") return;
    assert.equal(o.name, "TypeError");
    assert.match(o.message, /Cannot read properties of undefined/);
    assert.equal(o.where, "cell 4, line 3");
  });

  it("times out an infinite loop and keeps working afterwards", async () => {
    const o = await call("loop");
    assert.equal(o.kind, "timeout");
    assert.equal((await call("add", 1, 1)).kind, "returned");
  });

  it("gives a stub for packages that graded code may not use", async () => {
    const o = await call("usesTf");
    assert.equal(o.kind, "threw");
    if (o.kind === "threw") assert.match(o.message, /not available while grading/);
  });

  it("refuses a Proxy, a getter and a custom valueOf instead of reading them", async () => {
    for (const fn of ["proxy", "getter", "sneakyValueOf"]) {
      const o = await call(fn);
      assert.equal(o.kind, "invalid-result", fn);
    }
  });

  it("carries NaN and infinities through JSON", async () => {
    const o = await call("specials");
    assert.equal(o.kind, "returned");
    if (o.kind === "returned") assert.deepEqual(o.value, [NaN, Infinity, -Infinity, 1]);
  });

  it("blocks the Function-constructor escape and hides process", async () => {
    const o = await call("escape");
    assert.equal(o.kind, "threw");
    if (o.kind === "threw") assert.equal(o.name, "EvalError");
    const p = await call("noProcess");
    assert.equal(p.kind === "returned" && p.value, "undefined");
  });

  it("cannot read files outside its program (require('fs') is not offered)", async () => {
    const o = await call("noRequireFs");
    assert.equal(o.kind, "threw");
  });

  it("kills a memory bomb at the memory limit and restarts for the next call", async () => {
    const o = await call("bomb");
    assert.equal(o.kind, "crashed");
    if (o.kind === "crashed") assert.match(o.message, /memory/);
    assert.equal((await call("add", 2, 2)).kind, "returned");
  });

  it("waits for an async result and times out a promise that never settles", async () => {
    const ok = await call("later");
    assert.equal(ok.kind === "returned" && ok.value, 7);
    assert.equal((await call("never")).kind, "timeout");
  });

  it("keeps learner tampering with built-ins inside the learner's realm", async () => {
    const o = await call("tamper");
    assert.equal(o.kind === "returned" && o.value, "hacked");
    assert.equal(([] as unknown[]).map.name, "map");
    assert.equal(({} as Record<string, unknown>).polluted, undefined);
    assert.deepEqual(await call("add", 20, 22).then((r) => r.kind === "returned" && r.value), 42);
  });

  it("caps what learner code prints", async () => {
    assert.equal((await call("printer")).kind, "returned");
    assert.ok(sandbox.output.length < 70_000, `output kept: ${sandbox.output.length} chars`);
  });

  it("reports a missing function as missing", async () => {
    assert.equal((await call("syntax")).kind, "missing");
    assert.equal((await call("notThere")).kind, "missing");
  });

  it("skips a function after it timed out twice", async () => {
    await call("loop");
    const third = await call("loop");
    assert.equal(third.kind, "timeout");
    if (third.kind === "timeout") assert.match(third.message, /skipped/);
    assert.ok(third.ms < 100);
  });
});

describe("learner sandbox process limits", function () {
  this.timeout(30_000);

  it("cannot read, write or spawn, even after escaping to the process (code generation on)", async () => {
    // A Function-constructor escape is blocked in the realm; here the program file itself
    // tries the process-level actions from the child's own entry point, as a worst case.
    const child = await import("node:child_process");
    const dirs = program(["function f() { return 1; }"]);
    const probe = path.join(dirs.dir, "probe.js");
    writeFileSync(
      probe,
      `const out = {};
       const t = (k, f) => { try { f(); out[k] = "allowed"; } catch (e) { out[k] = e.code || e.message; } };
       t("read", () => require("fs").readFileSync(${JSON.stringify(secret)}));
       t("write", () => require("fs").writeFileSync(${JSON.stringify(path.join(os.tmpdir(), "tsnb-written.json"))}, "{}"));
       t("spawn", () => require("child_process").execSync("true"));
       process.stdout.write(JSON.stringify(out));`,
    );
    const run = child.spawnSync(process.execPath, ["--experimental-permission", `--allow-fs-read=${dirs.dir}`, "--no-warnings", probe], { encoding: "utf8" });
    const out = JSON.parse(run.stdout);
    assert.deepEqual(out, { read: "ERR_ACCESS_DENIED", write: "ERR_ACCESS_DENIED", spawn: "ERR_ACCESS_DENIED" });
  });
});

describe("learner sandbox time limit for the whole submission", function () {
  this.timeout(30_000);

  it("skips every call once the submission has used its time", async () => {
    const p = program(["function slow(): number { const end = Date.now() + 300; while (Date.now() < end); return 1; }"]);
    const sandbox = new LearnerSandbox({ programFile: p.programFile, moduleFiles: p.moduleFiles }, { ...LIMITS, totalBudgetMs: 1000 });
    try {
      const kinds: string[] = [];
      for (let i = 0; i < 6; i++) kinds.push((await sandbox.call("slow", [])).kind);
      assert.equal(kinds[0], "returned");
      assert.equal(kinds[kinds.length - 1], "budget");
      assert.ok(kinds.filter((k) => k === "returned").length <= 3, kinds.join(", "));
    } finally {
      await sandbox.dispose();
    }
  });
});

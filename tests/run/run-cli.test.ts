/**
 * `tsnb run` end to end against real tslab kernels (started from a kernelspec in a temporary
 * JUPYTER_PATH). Each test starts at least one kernel (3-10 s on this machine).
 */
import assert from "node:assert/strict";
import { copyFileSync, existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import path from "node:path";
import { PassThrough } from "node:stream";
import { installKernelSpec, tslabEntry } from "../../grader/kernel/kernelspec";
import { prepareRuns, runAll, runOne } from "../../grader/run/runner";
import { assertValidNotebooks } from "../support/nbformat-validator";
import { codeCells, errorOf, FIXTURES, fixture, readJson, streamText, tempDir, TSLAB_TEST_KERNEL, testEnv, testJupyterPath, text, tsnbRun } from "./support";

const TIMESTAMP = /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{6}Z$/;

/** A scratch folder inside the repository (tslab resolves node_modules from the notebook's folder). */
function scratchInRepo(): string {
  return mkdtempSync(path.join(FIXTURES, ".scratch-"));
}

function writeNotebookJson(file: string, sources: string[]): void {
  const nb = {
    nbformat: 4,
    nbformat_minor: 5,
    metadata: { kernelspec: { name: TSLAB_TEST_KERNEL, display_name: "TypeScript", language: "typescript" } },
    cells: sources.map((source, i) => ({ cell_type: "code", id: `s${i}`, metadata: {}, source, outputs: [], execution_count: null })),
  };
  writeFileSync(file, JSON.stringify(nb));
}

describe("tsnb run: command line and bad input (no kernel started)", function () {
  this.timeout(30_000);
  const out = tempDir("tsnb-run-bad-");

  it("--help documents the default output name, the exit codes and tslab's quirks", async () => {
    const r = await tsnbRun(["--help"]);
    assert.equal(r.code, 0);
    for (const expected of [
      "<name>.out.ipynb",
      "--inplace",
      "--jobs",
      "--allow-errors",
      "--startup-timeout",
      "last expression",
      "Exit status",
      "  2  bad input",
    ]) {
      assert.ok(r.stdout.includes(expected), `help lacks ${JSON.stringify(expected)}:\n${r.stdout}`);
    }
  });

  it("exits 2 on a missing file", async () => {
    const r = await tsnbRun([path.join(out, "nope.ipynb")]);
    assert.equal(r.code, 2);
    assert.match(r.stderr, /nope\.ipynb: no such file/);
  });

  it("exits 2 on a file that is not a notebook, with NotebookError's explanation", async () => {
    const bad = path.join(out, "package.ipynb");
    writeFileSync(bad, JSON.stringify({ name: "not a notebook" }));
    const r = await tsnbRun([bad]);
    assert.equal(r.code, 2);
    assert.match(r.stderr, /not a Jupyter notebook/);
    assert.equal(existsSync(path.join(out, "package.out.ipynb")), false);
  });

  it("exits 2 on an unknown kernel and lists the available ones", async () => {
    const r = await tsnbRun([fixture("basic.ipynb"), "--kernel", "no-such-kernel", "--output", path.join(out, "x.ipynb")]);
    assert.equal(r.code, 2);
    assert.match(r.stderr, /unknown kernel "no-such-kernel"/);
    assert.ok(r.stderr.includes(TSLAB_TEST_KERNEL), `the available kernels should be listed:\n${r.stderr}`);
    assert.equal(existsSync(path.join(out, "x.ipynb")), false);
  });

  it("exits 2 when --output is given with several notebooks, or together with --inplace", async () => {
    const a = await tsnbRun([fixture("basic.ipynb"), fixture("type-error.ipynb"), "--output", path.join(out, "y.ipynb")]);
    assert.equal(a.code, 2);
    assert.match(a.stderr, /--output names one file/);
    const b = await tsnbRun([fixture("basic.ipynb"), "--output", path.join(out, "y.ipynb"), "--inplace"]);
    assert.equal(b.code, 2);
    assert.match(b.stderr, /choose one of --output and --inplace/);
    const c = await tsnbRun([fixture("basic.ipynb"), "--timeout", "soon"]);
    assert.equal(c.code, 2);
  });
});

describe("tsnb run: executing tslab notebooks", function () {
  this.timeout(120_000);
  const out = tempDir("tsnb-run-out-");
  let scratch: string;
  before(() => {
    scratch = scratchInRepo();
  });
  after(() => rmSync(scratch, { recursive: true, force: true }));

  it("runs a notebook into <name>.out.ipynb next to it, with merged streams, counts and nbclient's timing metadata", async () => {
    const input = path.join(scratch, "basic.ipynb");
    copyFileSync(fixture("basic.ipynb"), input);
    const r = await tsnbRun([input, "--kernel", TSLAB_TEST_KERNEL]);
    assert.equal(r.code, 0, r.stderr);
    const output = path.join(scratch, "basic.out.ipynb");
    assert.match(r.stderr, /^ok\s+.*basic\.ipynb \(5\/5 cells/m);
    assertValidNotebooks(output);
    const nb = readJson(output);
    assert.equal((nb.metadata.language_info as { name: string }).name, "typescript");
    const cells = codeCells(nb);
    assert.deepEqual(
      cells.map((c) => c.execution_count),
      [1, 2, 3, null, 4, 5],
      "the empty cell is not run",
    );
    assert.deepEqual(
      cells[1].outputs?.map((o) => [o.output_type, o.name, text(o.text)]),
      [
        ["stream", "stdout", "line 0\nline 1\nline 2\n"],
        ["stream", "stderr", "a warning\n"],
        ["stream", "stdout", "back to stdout\n"],
      ],
    );
    // tslab quirk 3: the last expression's value arrives on stdout, not as an execute_result.
    assert.deepEqual(
      cells[2].outputs?.map((o) => o.output_type),
      ["stream"],
    );
    assert.equal(streamText(cells[2], "stdout"), "[ 2, 4, 6 ]\n");
    assert.equal(streamText(cells[4], "stdout"), "awaited\n");
    assert.equal(streamText(cells[5], "stdout"), `${scratch}\n`, "the kernel runs in the notebook's folder");
    for (const c of [cells[0], cells[1], cells[2], cells[4], cells[5]]) {
      const t = c.metadata.execution as Record<string, string>;
      for (const key of ["iopub.status.busy", "shell.execute_reply", "iopub.status.idle"]) assert.match(t[key], TIMESTAMP, key);
      assert.ok(t["iopub.status.busy"] <= t["iopub.status.idle"]);
    }
  });

  it("turns tslab's stderr-only compile failure into a CompileError output, stops, exits 1 and still writes the notebook", async () => {
    const output = path.join(out, "type-error.ipynb");
    const r = await tsnbRun([fixture("type-error.ipynb"), "--kernel", TSLAB_TEST_KERNEL, "-o", output]);
    assert.equal(r.code, 1);
    assert.match(r.stderr, /FAILED\s+.*type-error\.ipynb \(2\/3 cells.*stopped at code cell 2.*CompileError/);
    assertValidNotebooks(output);
    const cells = codeCells(readJson(output));
    assert.equal(streamText(cells[0], "stdout"), "n is 1\n");
    const err = errorOf(cells[1]);
    assert.ok(err, "an error output");
    assert.equal(err.ename, "CompileError");
    assert.equal(err.evalue, "1:7 - Type 'string' is not assignable to type 'number'.");
    assert.deepEqual(err.traceback, ["1:7 - Type 'string' is not assignable to type 'number'."]);
    assert.equal(streamText(cells[1], "stderr"), "", "the diagnostic moved from stderr into the error");
    assert.deepEqual(cells[2].outputs, []);
    assert.equal(cells[2].execution_count, null);
  });

  it("with --allow-errors runs every cell after tslab's runtime errors by re-sending aborted requests", async () => {
    const env = testEnv();
    const [run] = await prepareRuns([fixture("runtime-error.ipynb")], { kernel: TSLAB_TEST_KERNEL, env, output: path.join(out, "runtime-allowed.ipynb") });
    const outcome = await runOne(run, { allowErrors: true, env });
    assert.equal(outcome.status, "errors-allowed");
    assertValidNotebooks(run.output);
    const cells = codeCells(readJson(run.output));
    assert.deepEqual(
      cells.map((c) => c.execution_count),
      [1, 2, 3, 4, 5],
    );
    assert.equal(streamText(cells[0], "stdout"), "42\n");
    assert.equal(streamText(cells[1], "stdout"), "before the call\n");
    assert.equal(streamText(cells[1], "stderr"), "a line the cell wrote to stderr\n", "the cell's own stderr stays");
    const typeError = errorOf(cells[1]);
    assert.equal(typeError?.ename, "TypeError");
    assert.equal(typeError?.evalue, "notAFunction is not a function");
    assert.ok(typeError?.traceback?.includes("TypeError: notAFunction is not a function"));
    assert.ok(
      typeError?.traceback?.some((l) => l.startsWith("    at ")),
      "the stack is kept",
    );
    assert.equal(streamText(cells[2], "stdout"), "still running 4\n");
    assert.equal(errorOf(cells[3])?.ename, "RangeError");
    assert.equal(errorOf(cells[3])?.evalue, "index 7 is out of range");
    assert.equal(streamText(cells[4], "stdout"), "last cell\n");
    // tslab quirk 2 really happened: the cells after each error were aborted at least once.
    assert.ok(outcome.result!.stats.abortedReplies >= 2, `aborted replies: ${outcome.result!.stats.abortedReplies}`);
    assert.ok(outcome.result!.cells[2].attempts >= 2);
  });

  it("control: without the abort retry the cell after an error is lost to tslab's abort", async () => {
    const env = testEnv();
    const [run] = await prepareRuns([fixture("runtime-error.ipynb")], { kernel: TSLAB_TEST_KERNEL, env, output: path.join(out, "runtime-noretry.ipynb") });
    const outcome = await runOne(run, { allowErrors: true, env, abortRetryDelaysMs: [] });
    const cells = codeCells(readJson(run.output));
    assert.equal(errorOf(cells[2])?.ename, "ExecutionAborted");
    assert.equal(streamText(cells[2], "stdout"), "");
    assert.equal(outcome.status, "errors-allowed");
  });

  it("interrupts an infinite loop at --timeout, records a CellTimeoutError and stops (exit 1)", async () => {
    const output = path.join(out, "loop.ipynb");
    const r = await tsnbRun([fixture("infinite-loop.ipynb"), "--kernel", TSLAB_TEST_KERNEL, "-o", output, "--timeout", "2"]);
    assert.equal(r.code, 1, r.stderr);
    assertValidNotebooks(output);
    const cells = codeCells(readJson(output));
    const err = errorOf(cells[1]);
    assert.equal(err?.ename, "CellTimeoutError");
    assert.equal(err?.evalue, "Cell execution timed out after 2 s and was interrupted");
    assert.ok(
      err?.traceback?.some((l) => /interrupted/.test(l) && l.startsWith("Error:")),
      "tslab's own interruption message is kept",
    );
    assert.deepEqual(cells[2].outputs, []);
  });

  it("with --allow-errors goes on after a timed-out cell, in the same kernel", async () => {
    const output = path.join(out, "loop-allowed.ipynb");
    const r = await tsnbRun([fixture("infinite-loop.ipynb"), "--kernel", TSLAB_TEST_KERNEL, "-o", output, "--timeout", "2", "--allow-errors"]);
    assert.equal(r.code, 0, r.stderr);
    const cells = codeCells(readJson(output));
    assert.equal(errorOf(cells[1])?.ename, "CellTimeoutError");
    assert.equal(streamText(cells[2], "stdout"), "after the loop true\n", "the loop's variable survived the interrupt");
  });

  it("keeps interrupting when the first SIGINT is lost (it lands while tslab is still compiling the cell)", async () => {
    // 50 ms is shorter than tslab's compile time for a cell, so the first interrupt usually
    // arrives before the loop starts; the cell must still be interrupted, not killed.
    const output = path.join(out, "loop-tiny.ipynb");
    const r = await tsnbRun([fixture("infinite-loop.ipynb"), "--kernel", TSLAB_TEST_KERNEL, "-o", output, "--timeout", "0.05", "--allow-errors"]);
    assert.equal(r.code, 0, r.stderr);
    const cells = codeCells(readJson(output));
    assert.equal(errorOf(cells[1])?.evalue, "Cell execution timed out after 0.05 s and was interrupted");
    assert.equal(streamText(cells[2], "stdout"), "after the loop true\n");
  });

  it("reports process.exit on the cell that called it, without hanging, even with --allow-errors", async () => {
    const output = path.join(out, "exit.ipynb");
    const r = await tsnbRun([fixture("process-exit.ipynb"), "--kernel", TSLAB_TEST_KERNEL, "-o", output, "--allow-errors"], { timeoutMs: 60_000 });
    assert.equal(r.code, 1);
    assertValidNotebooks(output);
    const cells = codeCells(readJson(output));
    assert.equal(streamText(cells[1], "stdout"), "exiting now\n");
    const err = errorOf(cells[1]);
    assert.equal(err?.ename, "DeadKernelError");
    assert.match(err?.evalue ?? "", /exit code 3/);
    assert.deepEqual(cells[2].outputs, []);
  });

  it("reports a kernel killed by a signal (a crash)", async () => {
    const output = path.join(out, "crash.ipynb");
    const r = await tsnbRun([fixture("crash.ipynb"), "--kernel", TSLAB_TEST_KERNEL, "-o", output], { timeoutMs: 60_000 });
    assert.equal(r.code, 1);
    const cells = codeCells(readJson(output));
    assert.match(errorOf(cells[1])?.evalue ?? "", /SIGKILL/);
  });

  it("detects death from the heartbeat when the process it started outlives the kernel (a wrapper script)", async () => {
    const prefix = tempDir("tsnb-wrapped-");
    const dir = installKernelSpec("tslab", { prefix, name: "tslab-wrapped" });
    const kernelJson = JSON.parse(readFileSync(path.join(dir, "kernel.json"), "utf8"));
    kernelJson.argv = ["/bin/sh", "-c", `'${process.execPath}' '${tslabEntry()}' kernel --config-path '{connection_file}'; exec sleep 600`];
    writeFileSync(path.join(dir, "kernel.json"), JSON.stringify(kernelJson));
    const env = testEnv({ JUPYTER_PATH: [path.join(prefix, "share", "jupyter"), testJupyterPath()].join(path.delimiter) });
    const output = path.join(out, "wrapped.ipynb");
    const r = await tsnbRun([fixture("process-exit.ipynb"), "--kernel", "tslab-wrapped", "-o", output], { env, timeoutMs: 60_000 });
    assert.equal(r.code, 1, r.stderr);
    const err = errorOf(codeCells(readJson(output))[1]);
    assert.equal(err?.ename, "DeadKernelError");
    assert.match(err?.evalue ?? "", /heartbeat/);
  });

  it("does not mistake a long synchronous cell (silent heartbeat, connection up) for a dead kernel", async () => {
    const input = path.join(scratch, "busy.ipynb");
    writeNotebookJson(input, ["const end = Date.now() + 5000;\nwhile (Date.now() < end) {}", 'console.log("alive");']);
    const output = path.join(out, "busy.ipynb");
    const r = await tsnbRun([input, "-o", output]);
    assert.equal(r.code, 0, r.stderr);
    assert.equal(streamText(codeCells(readJson(output))[1], "stdout"), "alive\n");
  });

  it("keeps rich display output with every mime type, and applies display updates to the earlier cell", async () => {
    const output = path.join(out, "rich.ipynb");
    const r = await tsnbRun([fixture("rich-display.ipynb"), "--kernel", TSLAB_TEST_KERNEL, "-o", output]);
    assert.equal(r.code, 0, r.stderr);
    assertValidNotebooks(output);
    const cells = codeCells(readJson(output));
    const data = (c: number, i: number) => cells[c].outputs?.[i]?.data ?? {};
    assert.deepEqual(data(0, 0), { "text/html": "<b>bold</b> text" });
    assert.deepEqual(data(0, 1), { "text/markdown": "*emphasis*" });
    assert.match(String(data(1, 0)["image/svg+xml"]), /^<svg /);
    assert.equal(data(1, 1)["image/png"], "iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mP8z8DwHwAFBQIAX8jx0gAAAABJRU5ErkJggg==");
    assert.deepEqual(data(2, 0), { "text/plain": "step 3 of 3" }, "updated by the next cell");
    assert.deepEqual(
      cells[3].outputs?.map((o) => o.output_type),
      ["stream"],
    );
  });

  it("--inplace replaces the input with the executed notebook", async () => {
    const input = path.join(scratch, "inplace.ipynb");
    copyFileSync(fixture("type-error.ipynb"), input);
    const r = await tsnbRun([input, "--kernel", TSLAB_TEST_KERNEL, "--inplace", "--allow-errors"]);
    assert.equal(r.code, 0, r.stderr);
    const cells = codeCells(readJson(input));
    assert.equal(errorOf(cells[1])?.ename, "CompileError");
    assert.equal(streamText(cells[2], "stdout"), "after the type error\n");
    assert.equal(existsSync(path.join(scratch, "inplace.out.ipynb")), false);
  });

  it("--jobs 2 runs notebooks in parallel kernels and prints one summary line per notebook when stderr is not a TTY", async () => {
    const a = path.join(scratch, "par-a.ipynb");
    const b = path.join(scratch, "par-b.ipynb");
    writeNotebookJson(a, ['const t0 = Date.now(); while (Date.now() - t0 < 1500) {}\nconsole.log("a")']);
    writeNotebookJson(b, ['const t0 = Date.now(); while (Date.now() - t0 < 1500) {}\nconsole.log("b")']);
    const r = await tsnbRun([a, b, "--jobs", "2"]);
    assert.equal(r.code, 0, r.stderr);
    const lines = r.stderr.trim().split("\n");
    assert.equal(lines.length, 2, r.stderr);
    assert.ok(lines.some((l) => /^ok\s+.*par-a\.ipynb/.test(l)) && lines.some((l) => /^ok\s+.*par-b\.ipynb/.test(l)));
    const window = (file: string) => {
      const t = codeCells(readJson(file))[0].metadata.execution as Record<string, string>;
      return [t["iopub.status.busy"], t["iopub.status.idle"]];
    };
    const [aStart, aEnd] = window(path.join(scratch, "par-a.out.ipynb"));
    const [bStart, bEnd] = window(path.join(scratch, "par-b.out.ipynb"));
    assert.ok(aStart < bEnd && bStart < aEnd, `the two 1.5 s cells should overlap: a ${aStart}..${aEnd}, b ${bStart}..${bEnd}`);
  });

  it("draws cli-progress bars on a TTY stream", async () => {
    const env = testEnv();
    const runs = await prepareRuns([fixture("type-error.ipynb")], { kernel: TSLAB_TEST_KERNEL, env, output: path.join(out, "bar.ipynb") });
    const stream = Object.assign(new PassThrough(), { isTTY: true, columns: 120, cursorTo: () => true, clearLine: () => true, moveCursor: () => true });
    let drawn = "";
    stream.on("data", (d) => (drawn += d));
    const outcomes = await runAll(runs, { env, progress: "bar", stream, allowErrors: true });
    assert.equal(outcomes[0].status, "errors-allowed");
    assert.match(drawn, /cells \| .*type-error\.ipynb/, "a bar line");
    assert.match(drawn, /ok\*\s+.*type-error\.ipynb \(3\/3 cells/, "the summary line");
  });
});

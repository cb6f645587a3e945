/**
 * `tsnb run` against the reference: Debian's nbclient 0.7.2 executing the same notebooks
 * through the same kernelspec in a temporary JUPYTER_PATH. Outputs are compared cell by cell,
 * ignoring timing metadata.
 *  - On the kit's kernel (the default for the kit's notebooks), the two must agree, the week 7
 *    notebooks included.
 *  - On tslab, which tsnb run still supports, nbclient gets tslab's faults wrong; those tests say
 *    so in their names and assert tsnb's better result next to nbclient's.
 */
import assert from "node:assert/strict";
import path from "node:path";
import { assertValidNotebooks } from "../support/nbformat-validator";
import { nbclientExecution } from "../support/week7-runs";
import {
  CellJson,
  codeCells,
  errorOf,
  fixture,
  nbclientRun,
  NbclientResult,
  normalizeOutputs,
  NotebookJson,
  OutputJson,
  readJson,
  streamText,
  tempDir,
  TEST_KERNEL,
  TSLAB_TEST_KERNEL,
  tsnbRun,
  week7Notebooks,
} from "./support";

const out = tempDir("tsnb-compare-");

interface Both {
  tsnb: NotebookJson;
  tsnbCode: number | null;
  nbclient: NbclientResult;
}

async function runBoth(name: string, options: { allowErrors?: boolean; timeoutS?: number; input?: string; kernel?: string } = {}): Promise<Both> {
  const input = options.input ?? fixture(name);
  const kernel = options.kernel ?? TEST_KERNEL;
  const base = `${path.basename(input, ".ipynb")}.${kernel}`;
  const tsnbOut = path.join(out, `${base}.tsnb.ipynb`);
  const nbOut = path.join(out, `${base}.nbclient.ipynb`);
  const args = [input, "--kernel", kernel, "-o", tsnbOut];
  if (options.allowErrors) args.push("--allow-errors");
  if (options.timeoutS) args.push("--timeout", String(options.timeoutS));
  // One after the other: the machine has two cores and both tools would compete.
  const tsnb = await tsnbRun(args, { timeoutMs: 600_000 });
  const nbclient = await nbclientRun(input, nbOut, { allowErrors: options.allowErrors, timeoutS: options.timeoutS, kernel, processTimeoutMs: 600_000 });
  assertValidNotebooks(tsnbOut, nbOut);
  return { tsnb: readJson(tsnbOut), tsnbCode: tsnb.code, nbclient };
}

/** Compare one cell's outputs and execution_count between the two tools. */
function assertSameCell(a: CellJson, b: CellJson, where: string, mask: (o: OutputJson[]) => unknown = (o) => o): void {
  assert.deepEqual(mask(normalizeOutputs(a.outputs)), mask(normalizeOutputs(b.outputs)), `${where}: outputs differ`);
  assert.equal(a.execution_count, b.execution_count, `${where}: execution_count differs`);
}

function assertSameNotebook(tsnb: NotebookJson, nbclient: NotebookJson, mask?: (o: OutputJson[]) => unknown): void {
  const a = codeCells(tsnb);
  const b = codeCells(nbclient);
  assert.equal(a.length, b.length);
  a.forEach((cell, i) => assertSameCell(cell, b[i], `code cell ${i + 1}`, mask));
  assert.deepEqual(tsnb.metadata.language_info, nbclient.metadata.language_info);
}

/** The error output's frames ("In [n], line L[, in f]") and nothing of Node, tslab or the kernel. */
function assertLearnerTraceback(err: OutputJson | undefined, frames: RegExp[]): void {
  assert.ok(err, "an error output");
  const tb = (err.traceback ?? []).join("\n");
  for (const f of frames) assert.match(tb, f);
  assert.doesNotMatch(tb, /evalmachine|node:internal|tslab|dist[\\/]kernel/);
}

describe("tsnb run compared with nbclient (the kit's kernel)", function () {
  this.timeout(240_000);

  it("basic notebook: identical outputs (streams, the last value as execute_result, await, cwd)", async () => {
    const { tsnb, tsnbCode, nbclient } = await runBoth("basic.ipynb");
    assert.equal(tsnbCode, 0);
    assert.equal(nbclient.raised, null);
    assertSameNotebook(tsnb, nbclient.notebook);
    const cells = codeCells(tsnb);
    assert.deepEqual(normalizeOutputs(cells[2].outputs), [
      { output_type: "execute_result", execution_count: 3, data: { "text/plain": "[ 2, 4, 6 ]" }, metadata: {} },
    ]);
    assert.equal(streamText(cells[1], "stderr"), "a warning\n");
    // The kit's kernel publishes execute_input, so both record its timestamp.
    assert.ok("iopub.execute_input" in (cells[0].metadata.execution as Record<string, string>));
  });

  it("rich display: identical html/markdown/svg/png outputs and display updates", async () => {
    const { tsnb, tsnbCode, nbclient } = await runBoth("rich-display.ipynb");
    assert.equal(tsnbCode, 0);
    assert.equal(nbclient.raised, null);
    assertSameNotebook(tsnb, nbclient.notebook);
  });

  it("type error: both stop at the cell with the same CompileError output, naming the cell, line and column", async () => {
    const { tsnb, tsnbCode, nbclient } = await runBoth("type-error.ipynb");
    assert.equal(tsnbCode, 1);
    assert.equal(nbclient.raised?.type, "CellExecutionError");
    assert.equal(nbclient.raised?.ename, "CompileError");
    assertSameNotebook(tsnb, nbclient.notebook);
    const err = errorOf(codeCells(tsnb)[1]);
    assert.equal(err?.ename, "CompileError");
    assertLearnerTraceback(err, [/^ {2}In \[2\], line 1, column 7: Type 'string' is not assignable to type 'number'\. \(TS2322\)$/m]);
    assert.equal(streamText(codeCells(tsnb)[1], "stderr"), "", "no stderr text: the error is an error output");
  });

  it("runtime errors with --allow-errors: both run every cell, with the same error outputs naming the cell and line", async () => {
    const { tsnb, tsnbCode, nbclient } = await runBoth("runtime-error.ipynb", { allowErrors: true });
    assert.equal(tsnbCode, 0);
    assert.equal(nbclient.raised, null);
    assertSameNotebook(tsnb, nbclient.notebook);
    const ours = codeCells(tsnb);
    assert.equal(streamText(ours[1], "stderr"), "a line the cell wrote to stderr\n");
    assert.equal(errorOf(ours[1])?.ename, "TypeError");
    assertLearnerTraceback(errorOf(ours[1]), [/^ {2}In \[2\], line 4$/m, /^ {6}notAFunction\(\);$/m]);
    assert.equal(streamText(ours[2], "stdout"), "still running 4\n");
    assertLearnerTraceback(errorOf(ours[3]), [/^RangeError: index 7 is out of range$/m, /^ {2}In \[4\], line 1$/m]);
    assert.equal(streamText(ours[4], "stdout"), "last cell\n");
  });

  it("infinite loop with a 3 s timeout and --allow-errors: nbclient gives up on the whole notebook; tsnb interrupts, records the timeout and runs the next cell", async () => {
    const { tsnb, tsnbCode, nbclient } = await runBoth("infinite-loop.ipynb", { allowErrors: true, timeoutS: 3 });
    // nbclient raises CellTimeoutError, or, when its kernel-alive poll races with the timeout on
    // a loaded machine, an AssertionError from its own cleanup: it gives up either way.
    assert.ok(nbclient.raised && ["CellTimeoutError", "AssertionError"].includes(nbclient.raised.type), JSON.stringify(nbclient.raised));
    assert.deepEqual(codeCells(nbclient.notebook)[2].outputs, [], "nbclient never ran the last cell");
    assert.equal(tsnbCode, 0);
    const ours = codeCells(tsnb);
    assertSameCell(ours[0], codeCells(nbclient.notebook)[0], "cell 1");
    const errors = (ours[1].outputs ?? []).filter((o) => o.output_type === "error");
    assert.deepEqual(
      errors.map((e) => e.ename),
      ["CellTimeoutError"],
      "one error: the kernel's Interrupted folded into the timeout",
    );
    assert.ok(
      errors[0].traceback?.some((l) => l.startsWith("Interrupted:")),
      "the kernel's own report is kept in the traceback",
    );
    assert.equal(streamText(ours[2], "stdout"), "after the loop true\n");
  });

  it("process.exit: nbclient raises DeadKernelError with nothing on the cell; tsnb records the death on the cell that caused it", async () => {
    const { tsnb, tsnbCode, nbclient } = await runBoth("process-exit.ipynb");
    assert.equal(nbclient.raised?.type, "DeadKernelError");
    const ref = codeCells(nbclient.notebook);
    assert.equal(errorOf(ref[1]), undefined);
    assert.equal(tsnbCode, 1);
    const ours = codeCells(tsnb);
    assertSameCell(ours[0], ref[0], "cell 1");
    assert.equal(streamText(ours[1], "stdout"), streamText(ref[1], "stdout"));
    assert.equal(errorOf(ours[1])?.ename, "DeadKernelError");
    assert.match(errorOf(ours[1])?.evalue ?? "", /exit code 3/);
  });

  const week7 = week7Notebooks();
  const maybe = week7.length ? it : it.skip;
  maybe(`week 7 notebooks (${week7.length ? week7.map((f) => path.basename(f)).join(", ") : "none found yet"}): same outputs cell by cell`, async function () {
    this.timeout(1_800_000);
    // Numbers printed by training loops and benchmarks (losses, timings) legitimately differ
    // between two runs, and so does the padding of tables around them: compare text with
    // numbers masked and blank runs collapsed, and images by their mime types.
    const mask = (outputs: OutputJson[]) =>
      outputs.map((o) => {
        const m = (s: string) => s.replace(/\d+(\.\d+)?(e[-+]?\d+)?/g, "#").replace(/[ \t]+/g, " ");
        if (o.output_type === "stream") return { ...o, text: m(String(o.text)) };
        if (o.data) {
          const data: Record<string, unknown> = {};
          for (const [k, v] of Object.entries(o.data)) data[k] = k.startsWith("image/") ? "<image>" : typeof v === "string" ? m(v) : v;
          return { ...o, data };
        }
        if (o.output_type === "error") return { ...o, traceback: [] };
        return o;
      });
    for (const file of week7) {
      // The nbclient side is the execution the notebook tests already made (tests/support/week7-runs).
      const tsnbOut = path.join(out, `${path.basename(file, ".ipynb")}.tsnb.ipynb`);
      const run = await tsnbRun([file, "--kernel", TEST_KERNEL, "-o", tsnbOut], { timeoutMs: 900_000 });
      const nbclient = await nbclientExecution(file);
      assertValidNotebooks(tsnbOut);
      const tsnb = readJson(tsnbOut);
      const tsnbCode = run.code;
      assert.equal(nbclient.raised, null, `${file}: nbclient failed: ${JSON.stringify(nbclient.raised)}`);
      assert.equal(tsnbCode, 0, `${file}: tsnb run failed`);
      assertSameNotebook(tsnb, nbclient.notebook, mask);
    }
  });
});

describe("tsnb run compared with nbclient on tslab (tsnb's handling of tslab's faults)", function () {
  this.timeout(240_000);

  it("type error without --allow-errors: nbclient raises an error with no name ('<Error>') and leaves only stderr text; tsnb writes a CompileError output", async () => {
    const { tsnb, tsnbCode, nbclient } = await runBoth("type-error.ipynb", { kernel: TSLAB_TEST_KERNEL });
    assert.equal(tsnbCode, 1);
    assert.equal(nbclient.raised?.type, "CellExecutionError");
    assert.equal(nbclient.raised?.ename, "<Error>", "tslab's reply has no ename, so nbclient cannot name the error");
    const ref = codeCells(nbclient.notebook);
    const ours = codeCells(tsnb);
    assertSameCell(ours[0], ref[0], "cell 1");
    assert.equal(errorOf(ref[1]), undefined, "nbclient has no error output");
    const diagnostic = streamText(ref[1], "stderr");
    assert.equal(diagnostic, "1:7 - Type 'string' is not assignable to type 'number'.\n");
    const err = errorOf(ours[1]);
    assert.equal(err?.ename, "CompileError");
    assert.equal(err?.traceback?.join("\n") + "\n", diagnostic, "tsnb keeps exactly what tslab printed");
  });

  it("runtime errors with --allow-errors: nbclient silently loses the cells after each error to tslab's abort; tsnb runs them all", async () => {
    const { tsnb, tsnbCode, nbclient } = await runBoth("runtime-error.ipynb", { allowErrors: true, kernel: TSLAB_TEST_KERNEL });
    assert.equal(tsnbCode, 0);
    assert.equal(nbclient.raised, null);
    const ref = codeCells(nbclient.notebook);
    const ours = codeCells(tsnb);
    assertSameCell(ours[0], ref[0], "cell 1");
    // The failing cell: nbclient has stderr text only; tsnb has the same text as a TypeError output.
    assert.equal(errorOf(ref[1]), undefined);
    assert.equal(errorOf(ours[1])?.ename, "TypeError");
    assert.equal(streamText(ref[1], "stderr"), streamText(ours[1], "stderr") + errorOf(ours[1])!.traceback!.join("\n") + "\n");
    // nbclient: every later cell was answered "abort" and recorded with no outputs at all.
    for (const i of [2, 3, 4]) assert.deepEqual(ref[i].outputs, [], `nbclient cell ${i + 1} should be empty (aborted)`);
    assert.equal(streamText(ours[2], "stdout"), "still running 4\n");
    assert.equal(errorOf(ours[3])?.ename, "RangeError");
    assert.equal(streamText(ours[4], "stdout"), "last cell\n");
  });
});

import assert from "node:assert/strict";
import { formatTimestamp } from "../../grader/run/executor";
import { NotebookOutputs } from "../../grader/run/outputs";
import { parseRuntimeError, parseTslabFailure } from "../../grader/run/tslab-errors";
import { JupyterMessage, Session } from "../../jupyter/wire";
import { CodeCell } from "../../grader/notebook/schema";

const session = new Session("k");
function iopub(msgType: string, content: Record<string, unknown>): JupyterMessage {
  return session.message(msgType, content);
}
function cell(): CodeCell {
  return { cell_type: "code", id: "x", metadata: {}, source: "", outputs: [], execution_count: null };
}

describe("run: building nbformat outputs from iopub messages", () => {
  it("merges consecutive chunks of the same stream, but not across streams", () => {
    const outs = new NotebookOutputs();
    const c = cell();
    outs.apply(c, iopub("stream", { name: "stdout", text: "a\n" }));
    outs.apply(c, iopub("stream", { name: "stdout", text: "b\n" }));
    outs.apply(c, iopub("stream", { name: "stderr", text: "warn\n" }));
    outs.apply(c, iopub("stream", { name: "stdout", text: "c\n" }));
    assert.deepEqual(c.outputs, [
      { output_type: "stream", name: "stdout", text: "a\nb\n" },
      { output_type: "stream", name: "stderr", text: "warn\n" },
      { output_type: "stream", name: "stdout", text: "c\n" },
    ]);
  });

  it("keeps every mime type of display_data and execute_result, with execution_count", () => {
    const outs = new NotebookOutputs();
    const c = cell();
    outs.apply(
      c,
      iopub("display_data", { data: { "text/html": "<b>x</b>", "text/plain": "x", "image/png": "AAAA" }, metadata: { "image/png": { width: 2 } } }),
    );
    outs.apply(c, iopub("execute_result", { data: { "text/plain": "3" }, metadata: {}, execution_count: 7 }));
    assert.deepEqual(c.outputs, [
      { output_type: "display_data", data: { "text/html": "<b>x</b>", "text/plain": "x", "image/png": "AAAA" }, metadata: { "image/png": { width: 2 } } },
      { output_type: "execute_result", data: { "text/plain": "3" }, metadata: {}, execution_count: 7 },
    ]);
  });

  it("applies update_display_data to earlier outputs with the same display_id, in any cell", () => {
    const outs = new NotebookOutputs();
    const first = cell();
    const second = cell();
    outs.apply(first, iopub("display_data", { data: { "text/plain": "step 1" }, metadata: {}, transient: { display_id: "p" } }));
    outs.apply(first, iopub("display_data", { data: { "text/plain": "other" }, metadata: {}, transient: { display_id: "q" } }));
    outs.apply(second, iopub("update_display_data", { data: { "text/plain": "step 2" }, metadata: { m: 1 }, transient: { display_id: "p" } }));
    assert.equal(second.outputs.length, 0, "an update adds no output");
    assert.deepEqual(first.outputs[0], { output_type: "display_data", data: { "text/plain": "step 2" }, metadata: { m: 1 } });
    assert.deepEqual(first.outputs[1], { output_type: "display_data", data: { "text/plain": "other" }, metadata: {} });
    // An update for an id nobody displayed changes nothing.
    outs.apply(second, iopub("update_display_data", { data: { "text/plain": "?" }, metadata: {}, transient: { display_id: "zzz" } }));
    assert.equal(second.outputs.length, 0);
  });

  it("clears outputs now, or before the next output with wait=true, and forgets their display ids", () => {
    const outs = new NotebookOutputs();
    const c = cell();
    outs.apply(c, iopub("display_data", { data: { "text/plain": "1" }, metadata: {}, transient: { display_id: "d" } }));
    outs.apply(c, iopub("clear_output", { wait: true }));
    assert.equal(c.outputs.length, 1);
    outs.apply(c, iopub("stream", { name: "stdout", text: "after\n" }));
    assert.deepEqual(c.outputs, [{ output_type: "stream", name: "stdout", text: "after\n" }]);
    outs.apply(c, iopub("clear_output", { wait: false }));
    assert.deepEqual(c.outputs, []);
  });

  it("moves an error's text out of the end of the stderr stream, merging what is left around it", () => {
    const outs = new NotebookOutputs();
    const c = cell();
    outs.apply(c, iopub("stream", { name: "stderr", text: "user line\n" }));
    outs.apply(c, iopub("stream", { name: "stderr", text: "TypeError: boom\n    at x\n" }));
    assert.equal(outs.removeStderrSuffix(c, "TypeError: boom\n    at x\n"), true);
    assert.deepEqual(c.outputs, [{ output_type: "stream", name: "stderr", text: "user line\n" }]);
    assert.equal(outs.removeStderrSuffix(c, "not there\n"), false);
    assert.deepEqual(c.outputs, [{ output_type: "stream", name: "stderr", text: "user line\n" }]);
  });
});

describe("run: reading tslab's printed errors", () => {
  it("turns TypeScript diagnostics into a CompileError with the position and every line kept", () => {
    const parsed = parseTslabFailure(["some earlier stderr\n", "1:7 - Type 'string' is not assignable to type 'number'.\n", "2:1 - Cannot find name 'foo'.\n"]);
    assert.ok(parsed);
    assert.equal(parsed.kind, "compile");
    assert.equal(parsed.ename, "CompileError");
    assert.equal(parsed.evalue, "1:7 - Type 'string' is not assignable to type 'number'. (and 1 more error)");
    assert.deepEqual(parsed.traceback, ["1:7 - Type 'string' is not assignable to type 'number'.", "2:1 - Cannot find name 'foo'."]);
    assert.equal(parsed.messageCount, 2);
  });

  it("reads the error name and message after Node's vm source decoration", () => {
    const printed =
      "evalmachine.<anonymous>:7\nexports.tsLastExpr = notAFunction();\n                     ^\n\nTypeError: notAFunction is not a function\n    at evalmachine.<anonymous>:7:22\n    at Object.execute (/x/executor.js:160:38)\n";
    const parsed = parseTslabFailure([printed]);
    assert.ok(parsed);
    assert.equal(parsed.kind, "runtime");
    assert.equal(parsed.ename, "TypeError");
    assert.equal(parsed.evalue, "notAFunction is not a function");
    assert.equal(parsed.traceback.join("\n") + "\n", printed);
  });

  it("handles errors with codes, empty and multi-line messages, and thrown non-errors", () => {
    assert.deepEqual(parseRuntimeError("Error [ERR_X]: bad thing\n    at f (a.js:1:1)\n"), { ename: "Error", evalue: "bad thing" });
    assert.deepEqual(parseRuntimeError("RangeError\n    at f (a.js:1:1)\n"), { ename: "RangeError", evalue: "" });
    assert.deepEqual(parseRuntimeError("Error: line one\nline two\n    at f (a.js:1:1)\n"), { ename: "Error", evalue: "line one\nline two" });
    assert.deepEqual(parseRuntimeError("oops\n"), { ename: "Uncaught", evalue: "oops" });
    assert.deepEqual(parseRuntimeError("{ code: 42 }\n"), { ename: "Uncaught", evalue: "{ code: 42 }" });
    assert.equal(parseTslabFailure([]), undefined);
  });

  it("formats timestamps as nbclient does (UTC, microseconds, Z)", () => {
    assert.equal(formatTimestamp("2026-01-02T03:04:05.678Z"), "2026-01-02T03:04:05.678000Z");
    assert.equal(formatTimestamp("2026-01-02T03:04:05.123456+00:00"), "2026-01-02T03:04:05.123456Z");
    assert.equal(formatTimestamp("2026-01-02T05:04:05.500+02:00"), "2026-01-02T03:04:05.500000Z");
    assert.match(formatTimestamp(undefined), /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{6}Z$/);
  });
});

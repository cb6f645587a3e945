/**
 * The kit's kernel against the messaging spec, message by message: one real kernel process
 * (started from its kernelspec, as Jupyter starts it) driven by the protocol home's own client.
 */
import assert from "node:assert/strict";
import { endpoint } from "../../jupyter/connection";
import { Heartbeat } from "../../jupyter/kernel-process";
import { FIXTURES } from "../run/support";
import { contentOf, executeContent, KernelHarness, streamText, types } from "./harness";

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
const tracebackOf = (content: Record<string, unknown>) => (content.traceback as string[]).join("\n");
/** Nothing of Node, the vm, tslab or the kernel itself may show in a learner's traceback. */
const INTERNALS = /evalmachine|node:|tslab|dist[\\/]kernel|<anonymous>|exercise-support/;

describe("the kit's kernel, message by message", function () {
  this.timeout(120_000);
  let k: KernelHarness;

  before(async function () {
    this.timeout(120_000);
    k = await KernelHarness.start("kit", FIXTURES);
  });
  after(async () => {
    await k?.shutdown();
  });

  it("kernel_info: TypeScript language_info, protocol 5.3, implementation, banner, help links; busy then idle", async () => {
    const r = await k.request("shell", "kernel_info_request", {});
    assert.equal(r.reply.header.msg_type, "kernel_info_reply");
    const c = r.reply.content;
    assert.equal(c.status, "ok");
    assert.equal(c.protocol_version, "5.3");
    assert.equal(c.implementation, "tsnb-typescript");
    assert.match(String(c.implementation_version), /^\d+\.\d+\.\d+$/);
    const language = c.language_info as Record<string, unknown>;
    assert.equal(language.name, "typescript");
    assert.equal(language.mimetype, "text/typescript");
    assert.equal(language.file_extension, ".ts");
    assert.match(String(language.version), /^5\.0\.\d+$/, "tslab's TypeScript");
    assert.deepEqual(language.codemirror_mode, { name: "javascript", typescript: true, mode: "typescript" });
    assert.match(String(c.banner), /TypeScript/);
    assert.ok(Array.isArray(c.help_links) && (c.help_links as { url: string }[]).every((l) => l.url.startsWith("https://")));
    assert.deepEqual(types(r.iopub), ["status:busy", "status:idle"]);
  });

  it("execute: busy, execute_input with the count, the stream, execute_result for the last value, idle; the reply has the same count", async () => {
    const code = 'const greeting: string = "hi";\nconsole.log(greeting + "!");\n[1, 2, 3].map((x) => x * 2)';
    const r = await k.execute(code);
    assert.equal(r.reply.content.status, "ok");
    const count = r.reply.content.execution_count;
    assert.equal(typeof count, "number");
    assert.deepEqual(types(r.iopub), ["status:busy", "execute_input", "stream", "execute_result", "status:idle"]);
    assert.deepEqual(contentOf(r.iopub, "execute_input")[0], { code, execution_count: count });
    assert.equal(streamText(r.iopub, "stdout"), "hi!\n");
    assert.deepEqual(contentOf(r.iopub, "execute_result")[0], { execution_count: count, data: { "text/plain": "[ 2, 4, 6 ]" }, metadata: {} });

    const next = await k.execute("greeting.length");
    assert.equal(next.reply.content.execution_count, (count as number) + 1);
    assert.equal(
      contentOf(next.iopub, "execute_result")[0].data && (contentOf(next.iopub, "execute_result")[0].data as Record<string, string>)["text/plain"],
      "2",
    );
  });

  it("no execute_result for undefined; a silent request publishes only busy/idle and does not advance the count", async () => {
    const quiet = await k.execute("let nothing = undefined;\nnothing");
    assert.deepEqual(types(quiet.iopub), ["status:busy", "execute_input", "status:idle"]);
    const silent = await k.execute('console.log("not shown");\n1 + 1', { silent: true });
    assert.equal(silent.reply.content.status, "ok");
    assert.equal(silent.reply.content.execution_count, quiet.reply.content.execution_count);
    assert.deepEqual(types(silent.iopub), ["status:busy", "status:idle"]);
  });

  it("busy and idle per request: three queued cells are busy one after another, each idle before the next is busy", async () => {
    const sent = ["await new Promise((r) => setTimeout(r, 300));\n'a'", "'b'", "'c'"].map((code) => k.send("shell", "execute_request", executeContent(code)));
    const done = await Promise.all(sent.map((s) => s.done));
    const names = new Map(sent.map((s, i) => [s.msgId, "abc"[i]]));
    const statuses = k.allIopub
      .filter((m) => m.header.msg_type === "status" && names.has(m.parent_header.msg_id!))
      .map((m) => `${String(m.content.execution_state)}:${names.get(m.parent_header.msg_id!)}`);
    assert.deepEqual(statuses, ["busy:a", "idle:a", "busy:b", "idle:b", "busy:c", "idle:c"]);
    assert.deepEqual(
      done.map((d) => (contentOf(d.iopub, "execute_result")[0].data as Record<string, string>)["text/plain"]),
      ["'a'", "'b'", "'c'"],
    );
  });

  it("identifiers starting with two underscores compile, and later cells see them", async () => {
    const first = await k.execute("const __tmp = 41;\nfunction __double(n: number) {\n  return n * 2;\n}\n__tmp + 1");
    assert.equal(first.reply.content.status, "ok", JSON.stringify(first.reply.content));
    assert.equal((contentOf(first.iopub, "execute_result")[0].data as Record<string, string>)["text/plain"], "42");
    const second = await k.execute("__double(__tmp)");
    assert.equal((contentOf(second.iopub, "execute_result")[0].data as Record<string, string>)["text/plain"], "82");
  });

  it("a runtime error: an error message and an error reply, with the learner's frames by cell and line only", async () => {
    const def = await k.execute("function conv2dForward(x: number[]) {\n  const n = x.length;\n  // a comment\n  return (x as any).missing.value + n;\n}");
    const defCount = def.reply.content.execution_count;
    const r = await k.execute("interface Unused {\n  a: number;\n}\nconst input = [1, 2, 3];\nconv2dForward(input);");
    const count = r.reply.content.execution_count;
    assert.deepEqual(types(r.iopub), ["status:busy", "execute_input", "error", "status:idle"]);
    const reply = r.reply.content;
    assert.equal(reply.status, "error");
    assert.equal(reply.ename, "TypeError");
    assert.match(String(reply.evalue), /Cannot read properties of undefined \(reading 'value'\)/);
    const error = contentOf(r.iopub, "error")[0];
    assert.deepEqual(error, { ename: reply.ename, evalue: reply.evalue, traceback: reply.traceback });
    const tb = reply.traceback as string[];
    assert.equal(tb[0], `TypeError: ${String(reply.evalue)}`);
    const frames = tb.filter((l) => /^ {2}In \[/.test(l));
    assert.deepEqual(frames, [`  In [${defCount}], line 4, in conv2dForward`, `  In [${count}], line 5`]);
    assert.ok(tb.includes("      return (x as any).missing.value + n;"), tb.join("\n"));
    assert.doesNotMatch(tracebackOf(reply), INTERNALS);
  });

  it("an error the helpers only pass on (whenImplemented rethrows it) is blamed on the learner's cell, not on exercise-support", async () => {
    const code =
      'import { whenImplemented } from "@course-kit/kernel-helpers";\nfunction broken(): number {\n  throw new RangeError("learner bug");\n}\nwhenImplemented(() => broken());';
    const r = await k.execute(code);
    const count = r.reply.content.execution_count;
    assert.equal(r.reply.content.ename, "RangeError");
    const tb = tracebackOf(r.reply.content);
    assert.ok(tb.includes(`In [${count}], line 3, in broken`), tb);
    assert.ok(tb.includes(`In [${count}], line 5`), tb);
    assert.doesNotMatch(tb, /kernel-helpers/);
    assert.doesNotMatch(tb, INTERNALS);
  });

  it("an error raised inside the helpers keeps the helper's frames, shown at their TypeScript source", async () => {
    const r = await k.execute('import { unflatten4 } from "@course-kit/kernel-helpers";\nunflatten4([1, 2, 3], [1, 1, 1, 2]);');
    const count = r.reply.content.execution_count;
    assert.equal(r.reply.content.ename, "RangeError");
    const frames = (r.reply.content.traceback as string[]).filter((l) => /^ {2}\S/.test(l));
    assert.match(frames[0], /^ {2}kernel-helpers[\\/]src[\\/]tensor\.ts, line \d+, in unflatten4$/);
    assert.equal(frames[frames.length - 1], `  In [${count}], line 2`);
  });

  it("a type error: one CompileError listing each diagnostic with its line and column in the cell; nothing runs", async () => {
    const r = await k.execute('console.log("ran");\nlet n: number = "text";\nmissingName();');
    const count = r.reply.content.execution_count;
    assert.deepEqual(types(r.iopub), ["status:busy", "execute_input", "error", "status:idle"], "no stdout: the cell did not run");
    assert.equal(r.reply.content.ename, "CompileError");
    const tb = r.reply.content.traceback as string[];
    assert.equal(tb[0], `CompileError: 2 TypeScript errors in In [${count}]; the cell did not run`);
    assert.ok(tb.includes(`  In [${count}], line 2, column 5: Type 'string' is not assignable to type 'number'. (TS2322)`), tb.join("\n"));
    assert.ok(tb.includes(`  In [${count}], line 3, column 1: Cannot find name 'missingName'. (TS2304)`), tb.join("\n"));
    assert.match(String(r.reply.content.evalue), /^Type 'string' is not assignable to type 'number'\. \(In \[\d+\], line 2, column 5\) and 1 more error$/);
  });

  it("rejected promises fail the cell: an awaited one, and one the cell leaves unhandled", async () => {
    const awaited = await k.execute('await Promise.resolve();\nawait Promise.reject(new Error("awaited"));');
    assert.equal(awaited.reply.content.evalue, "awaited");
    assert.ok(tracebackOf(awaited.reply.content).includes(`In [${awaited.reply.content.execution_count}], line 2`));
    const dropped = await k.execute('Promise.reject(new Error("dropped"));\n"after"');
    assert.equal(dropped.reply.content.status, "error");
    assert.equal(dropped.reply.content.evalue, "dropped");
    assert.deepEqual(contentOf(dropped.iopub, "execute_result"), []);
  });

  it("an error thrown by a timer while the cell awaits fails that cell", async () => {
    const r = await k.execute('setTimeout(() => {\n  throw new Error("from a timer");\n}, 10);\nawait new Promise((r) => setTimeout(r, 2000));');
    assert.equal(r.reply.content.evalue, "from a timer");
    assert.ok(tracebackOf(r.reply.content).includes(`In [${r.reply.content.execution_count}], line 2`));
  });

  it("stop_on_error: execute_requests queued behind a failure are aborted without running; a later request runs", async () => {
    const failing = k.send("shell", "execute_request", executeContent('await new Promise((r) => setTimeout(r, 200));\nthrow new Error("stop here");'));
    const queued = ['console.log("must not run")', "1"].map((code) => k.send("shell", "execute_request", executeContent(code)));
    const a = await failing.done;
    assert.equal(a.reply.content.status, "error");
    for (const q of queued) {
      const d = await q.done;
      assert.deepEqual(d.reply.content, { status: "aborted" });
      assert.deepEqual(types(d.iopub), ["status:busy", "status:idle"]);
    }
    const after = await k.execute('"after"');
    assert.equal(after.reply.content.status, "ok");
    assert.equal(after.reply.content.execution_count, (a.reply.content.execution_count as number) + 1, "aborted requests do not count");
  });

  it("stop_on_error=false: a failure aborts nothing", async () => {
    const failing = k.send("shell", "execute_request", executeContent('throw new Error("allowed");', { stopOnError: false }));
    const next = k.send("shell", "execute_request", executeContent('"still runs"'));
    assert.equal((await failing.done).reply.content.status, "error");
    const d = await next.done;
    assert.equal(d.reply.content.status, "ok");
    assert.equal((contentOf(d.iopub, "execute_result")[0].data as Record<string, string>)["text/plain"], "'still runs'");
  });

  it("SIGINT (interrupt_mode signal) stops a synchronous infinite loop; the kernel keeps its state", async () => {
    await k.execute("let kept = 7;");
    const loop = k.send("shell", "execute_request", executeContent("while (true) {}"));
    let settled = false;
    void loop.done.then(() => (settled = true));
    // Interrupt once execute_input is out, as a user presses the button while the cell runs
    // (the next test sends a single signal during the compile).
    for (let i = 0; i < 40 && !settled; i++) {
      await sleep(250);
      if (k.iopubFor(loop.msgId).some((m) => m.header.msg_type === "execute_input")) k.kernel.interrupt();
    }
    const r = await loop.done;
    assert.equal(r.reply.content.ename, "Interrupted");
    assert.deepEqual(
      contentOf(r.iopub, "error").map((e) => e.ename),
      ["Interrupted"],
    );
    const kept = await k.execute("kept");
    assert.equal((contentOf(kept.iopub, "execute_result")[0].data as Record<string, string>)["text/plain"], "7");
  });

  it("one SIGINT that lands while the cell is still compiling stops it before it starts (not lost, as in tslab)", async () => {
    // A cell whose compile takes hundreds of milliseconds; the signal is sent as soon as the
    // kernel says it has the cell (execute_input comes just before the compile).
    const lines = Array.from({ length: 3000 }, (_, i) => `const padding${i}: number = ${i} * 2;`);
    const loop = k.send("shell", "execute_request", executeContent(`${lines.join("\n")}\nwhile (true) {}`));
    for (let i = 0; i < 2000 && !k.iopubFor(loop.msgId).some((m) => m.header.msg_type === "execute_input"); i++) await sleep(5);
    const sentAt = Date.now();
    k.kernel.interrupt();
    let settled = false;
    void loop.done.then(() => (settled = true));
    for (let i = 0; i < 100 && !settled; i++) await sleep(100);
    const stoppedByOne = settled;
    // If the signal was lost, stop the loop for the next tests before failing.
    for (let i = 0; i < 40 && !settled; i++) {
      k.kernel.interrupt();
      await sleep(250);
    }
    assert.ok(stoppedByOne, `the first SIGINT was lost: the cell was still running ${Date.now() - sentAt} ms later`);
    const r = await loop.done;
    assert.equal(r.reply.content.ename, "Interrupted");
    // It was stopped before it ran: none of its declarations exist.
    const after = await k.execute("typeof padding0");
    assert.equal(after.reply.content.status, "error");
    assert.match(String(after.reply.content.evalue), /Cannot find name 'padding0'/);
  });

  it("interrupt_request on control stops a cell waiting on a promise", async () => {
    const wait = k.send("shell", "execute_request", executeContent("await new Promise(() => {});"));
    for (let i = 0; i < 40 && !k.iopubFor(wait.msgId).some((m) => m.header.msg_type === "execute_input"); i++) await sleep(100);
    await sleep(200);
    const interrupt = await k.request("control", "interrupt_request", {});
    assert.deepEqual(interrupt.reply.content, { status: "ok" });
    const r = await wait.done;
    assert.equal(r.reply.content.ename, "Interrupted");
  });

  it("the heartbeat is answered while a cell runs synchronously (it has a process of its own)", async () => {
    const hb = new Heartbeat(endpoint(k.kernel.info, "hb"), { intervalMs: 200 });
    hb.start();
    try {
      await sleep(500);
      const before = hb.beats;
      const r = await k.execute("const t0 = Date.now();\nwhile (Date.now() - t0 < 2000) {}");
      assert.equal(r.reply.content.status, "ok");
      assert.ok(hb.beats - before >= 6, `only ${hb.beats - before} beats during a 2 s synchronous cell`);
    } finally {
      hb.stop();
    }
  });

  it("display data from the helpers reaches iopub as one display_data with every representation", async () => {
    const r = await k.execute('import { displayBundle } from "@course-kit/kernel-helpers";\ndisplayBundle({ "text/html": "<b>hi</b>", "text/plain": "hi" });');
    assert.equal(r.reply.content.status, "ok");
    assert.deepEqual(contentOf(r.iopub, "display_data"), [{ data: { "text/html": "<b>hi</b>", "text/plain": "hi" }, metadata: {}, transient: {} }]);
  });

  it("stdout and stderr keep their order, and a burst of writes is one stream message", async () => {
    const r = await k.execute('for (let i = 0; i < 100; i++) console.log(i);\nconsole.error("e");\nconsole.log("end");');
    const streams = contentOf(r.iopub, "stream").map((c) => [c.name, c.text]);
    const numbers = Array.from({ length: 100 }, (_, i) => `${i}\n`).join("");
    assert.deepEqual(streams, [
      ["stdout", numbers],
      ["stderr", "e\n"],
      ["stdout", "end\n"],
    ]);
  });

  it("user_expressions are evaluated after the cell, each with its own status", async () => {
    const r = await k.execute("const base = 20;", { userExpressions: { double: "base * 2", bad: "nope()" } });
    const results = r.reply.content.user_expressions as Record<string, Record<string, unknown>>;
    assert.deepEqual(results.double, { status: "ok", data: { "text/plain": "40" }, metadata: {} });
    assert.equal(results.bad.status, "error");
    assert.equal(results.bad.ename, "CompileError");
  });

  it("complete, inspect and is_complete answer from the compiler, with the earlier cells' names", async () => {
    await k.execute("const learningRate = 0.01;");
    const code = "learningR";
    const completion = await k.request("shell", "complete_request", { code, cursor_pos: code.length });
    assert.equal(completion.reply.content.status, "ok");
    assert.ok((completion.reply.content.matches as string[]).includes("learningRate"));
    assert.equal(completion.reply.content.cursor_start, 0);
    assert.equal(completion.reply.content.cursor_end, code.length);
    const inspected = await k.request("shell", "inspect_request", { code: "learningRate", cursor_pos: 3, detail_level: 0 });
    assert.equal(inspected.reply.content.found, true);
    assert.match(String((inspected.reply.content.data as Record<string, string>)["text/plain"]), /learningRate: 0\.01|learningRate: number/);
    const incomplete = await k.request("shell", "is_complete_request", { code: "function f() {" });
    assert.equal(incomplete.reply.content.status, "incomplete");
    const complete = await k.request("shell", "is_complete_request", { code: "f();" });
    assert.equal(complete.reply.content.status, "complete");
  });

  it("shutdown_request on control: a reply, then the process exits with code 0", async () => {
    const r = await k.request("control", "shutdown_request", { restart: false });
    assert.deepEqual(r.reply.content, { status: "ok", restart: false });
    const exit = await Promise.race([k.kernel.process.exited, sleep(10_000).then(() => undefined)]);
    assert.deepEqual(exit, { code: 0, signal: null });
  });
});

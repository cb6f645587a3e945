import assert from "node:assert/strict";
import { mkdirSync, writeFileSync } from "node:fs";
import path from "node:path";
import { findKernelSpec } from "../../jupyter/kernelspec";
import { executeNotebook } from "../../grader/run/executor";
import { KernelStartError, startKernel } from "../../jupyter/running-kernel";
import { Notebook } from "../../grader/notebook/schema";
import { tempDir } from "./support";

/** A JUPYTER_PATH with a kernelspec running tests/run/fake-kernel.js. */
function fakeKernelEnv(extra: NodeJS.ProcessEnv = {}): NodeJS.ProcessEnv {
  const dataDir = tempDir("tsnb-fake-");
  const dir = path.join(dataDir, "kernels", "fake");
  mkdirSync(dir, { recursive: true });
  const spec = { argv: [process.execPath, path.join(__dirname, "fake-kernel.js"), "{connection_file}"], display_name: "Fake", language: "fake", env: extra };
  writeFileSync(path.join(dir, "kernel.json"), JSON.stringify(spec));
  return { ...process.env, JUPYTER_PATH: dataDir };
}

const oneCell: Notebook = {
  nbformat: 4,
  nbformat_minor: 5,
  metadata: {},
  cells: [{ cell_type: "code", id: "a", metadata: {}, source: "first", outputs: [], execution_count: null }],
};

describe("run: kernel start-up", function () {
  this.timeout(30_000);

  it("waits for iopub to join (slow joiner): re-sends kernel_info_request until an iopub message arrives", async () => {
    const env = fakeKernelEnv({ FAKE_IOPUB_DELAY_MS: "1500" });
    const kernel = await startKernel(findKernelSpec("fake", env)!, { cwd: process.cwd(), env });
    try {
      const s = kernel.startup!;
      assert.ok(s.readyMs - s.firstReplyMs >= 1000, `ready ${s.readyMs} ms should wait well past the first reply at ${s.firstReplyMs} ms`);
      assert.ok(s.kernelInfoRequests >= 5, `kernel_info_request sent ${s.kernelInfoRequests} times`);
      // The first cell's output is published right away; it arrives because iopub has joined.
      const result = await executeNotebook(oneCell, kernel);
      const cell = result.notebook.cells[0];
      assert.equal(cell.cell_type, "code");
      if (cell.cell_type === "code") {
        assert.deepEqual(cell.outputs, [{ output_type: "stream", name: "stdout", text: "fake: first\n" }]);
        assert.equal(cell.execution_count, 1);
        const t = cell.metadata.execution as Record<string, string>;
        assert.deepEqual(Object.keys(t).sort(), ["iopub.execute_input", "iopub.status.busy", "iopub.status.idle", "shell.execute_reply"]);
      }
    } finally {
      await kernel.shutdown();
    }
  });

  it("fails with the kernel's own output when the kernel exits during start-up", async () => {
    const dataDir = tempDir("tsnb-broken-");
    mkdirSync(path.join(dataDir, "kernels", "broken"), { recursive: true });
    writeFileSync(
      path.join(dataDir, "kernels", "broken", "kernel.json"),
      JSON.stringify({
        argv: [process.execPath, "-e", "console.error('cannot load the kernel'); process.exit(4)", "{connection_file}"],
        display_name: "B",
        language: "x",
      }),
    );
    const env = { ...process.env, JUPYTER_PATH: dataDir };
    const started = Date.now();
    await assert.rejects(startKernel(findKernelSpec("broken", env)!, { cwd: process.cwd(), env }), (err: unknown) => {
      assert.ok(err instanceof KernelStartError);
      assert.match(err.message, /died during start-up.*exit code 4/);
      assert.match(err.message, /cannot load the kernel/);
      return true;
    });
    assert.ok(Date.now() - started < 10_000);
  });

  it("gives up after --startup-timeout when the kernel never answers", async () => {
    const dataDir = tempDir("tsnb-mute-");
    mkdirSync(path.join(dataDir, "kernels", "mute"), { recursive: true });
    writeFileSync(
      path.join(dataDir, "kernels", "mute", "kernel.json"),
      JSON.stringify({ argv: [process.execPath, "-e", "setInterval(() => {}, 1000)", "{connection_file}"], display_name: "M", language: "x" }),
    );
    const env = { ...process.env, JUPYTER_PATH: dataDir };
    const started = Date.now();
    await assert.rejects(
      startKernel(findKernelSpec("mute", env)!, { cwd: process.cwd(), env, startupTimeoutMs: 1500 }),
      /did not become ready within 1.5 s \(no kernel_info_reply\)/,
    );
    const took = Date.now() - started;
    assert.ok(took >= 1400 && took < 5000, `took ${took} ms`);
  });
});

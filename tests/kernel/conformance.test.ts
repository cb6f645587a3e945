/**
 * The Jupyter project's kernel conformance suite (Debian's python3-jupyter-kernel-test) against
 * the kit's kernel, through jupyter_client as Jupyter itself starts kernels. The suite and its
 * code samples are in conformance.py beside this file.
 */
import assert from "node:assert/strict";
import path from "node:path";
import { installKernelSpec } from "../../grader/kernel/kernelspec";
import { DEBIAN_PYTHON, REPO, runProcess, tempDir } from "../run/support";

describe("the kit's kernel under Jupyter's conformance suite (jupyter_kernel_test)", function () {
  this.timeout(300_000);

  it("passes every test that applies, among them the three tslab fails (test_error, test_execute_result, test_kernel_info)", async () => {
    const prefix = tempDir("tsnb-conformance-");
    installKernelSpec("kit", { prefix, name: "tsnb-typescript-conformance" });
    const r = await runProcess(DEBIAN_PYTHON, ["-m", "unittest", "-v", "conformance"], {
      cwd: path.join(REPO, "tests", "kernel"),
      env: {
        ...process.env,
        JUPYTER_PATH: path.join(prefix, "share", "jupyter"),
        // A private data dir: a user-level kernelspec left on the machine must not shadow ours.
        JUPYTER_DATA_DIR: path.join(prefix, "data"),
        JUPYTER_RUNTIME_DIR: path.join(prefix, "runtime"),
        CONFORMANCE_KERNEL: "tsnb-typescript-conformance",
      },
      timeoutMs: 280_000,
    });
    const report = r.stderr;
    assert.equal(r.code, 0, report);
    const passed = new Set([...report.matchAll(/^(test_\w+) \(conformance\.\w+\.test_\w+\) \.\.\. ok$/gm)].map((m) => m[1]));
    for (const name of [
      "test_kernel_info",
      "test_execute_stdout",
      "test_execute_stderr",
      "test_error",
      "test_execute_result",
      "test_display_data",
      "test_completion",
      "test_inspect",
      "test_is_complete",
    ]) {
      assert.ok(passed.has(name), `${name} did not pass:\n${report}`);
    }
    assert.doesNotMatch(report, /^(FAIL|ERROR):/m);
  });
});

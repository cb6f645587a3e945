/**
 * `tsnb kernel install` writes a kernelspec that Jupyter itself finds, without IPython.
 */
import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import { mkdtempSync, readFileSync } from "node:fs";
import os from "node:os";
import path from "node:path";
import { tsnb } from "./grader/cli-mini.test";

function jupyterFinds(env: NodeJS.ProcessEnv): Record<string, string> {
  const script = "import json; from jupyter_client.kernelspec import KernelSpecManager as K; print(json.dumps(K().find_kernel_specs()))";
  const r = spawnSync("/usr/bin/python3", ["-c", script], { encoding: "utf8", env: { ...process.env, ...env } });
  assert.equal(r.status, 0, r.stderr);
  return JSON.parse(r.stdout) as Record<string, string>;
}

describe("tsnb kernel install", () => {
  it("--prefix writes <prefix>/share/jupyter/kernels/<name>/kernel.json that jupyter_client finds", () => {
    const prefix = mkdtempSync(path.join(os.tmpdir(), "tsnb-ks-"));
    const r = tsnb(["kernel", "install", "--prefix", prefix, "--name", "tslab-ci"]);
    assert.equal(r.status, 0, r.stderr);
    const dir = path.join(prefix, "share", "jupyter", "kernels", "tslab-ci");
    const spec = JSON.parse(readFileSync(path.join(dir, "kernel.json"), "utf8"));
    assert.equal(spec.language, "typescript");
    assert.deepEqual(spec.argv.slice(-3), ["kernel", "--config-path", "{connection_file}"]);
    assert.ok(path.isAbsolute(spec.argv[0]) && path.isAbsolute(spec.argv[1]), "absolute node and tslab paths");
    const found = jupyterFinds({ JUPYTER_PATH: path.join(prefix, "share", "jupyter") });
    assert.equal(found["tslab-ci"], dir);
  });

  it("--user writes into the user data dir", () => {
    const data = mkdtempSync(path.join(os.tmpdir(), "tsnb-ks-user-"));
    const r = spawnSync(process.execPath, [path.resolve(__dirname, "..", "..", "bin", "tsnb.js"), "kernel", "install", "--user"], {
      encoding: "utf8",
      env: { ...process.env, JUPYTER_DATA_DIR: data },
    });
    assert.equal(r.status, 0, r.stderr);
    assert.equal(jupyterFinds({ JUPYTER_DATA_DIR: data }).tslab, path.join(data, "kernels", "tslab"));
  });

  it("rejects a bad kernel name and conflicting targets", () => {
    assert.equal(tsnb(["kernel", "install", "--prefix", os.tmpdir(), "--name", "bad name!"]).status, 2);
    assert.equal(tsnb(["kernel", "install", "--prefix", os.tmpdir(), "--user"]).status, 2);
  });
});

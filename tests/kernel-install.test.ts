/**
 * `tsnb kernel install` writes kernelspecs that Jupyter itself finds, without IPython: the kit's
 * kernel (the default for the kit's notebooks) and tslab's.
 */
import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import { existsSync, mkdtempSync, readFileSync } from "node:fs";
import os from "node:os";
import path from "node:path";
import { tsnb } from "./support/tsnb-cli";

function jupyterFinds(env: NodeJS.ProcessEnv): Record<string, string> {
  const script = "import json; from jupyter_client.kernelspec import KernelSpecManager as K; print(json.dumps(K().find_kernel_specs()))";
  const r = spawnSync("/usr/bin/python3", ["-c", script], { encoding: "utf8", env: { ...process.env, ...env } });
  assert.equal(r.status, 0, r.stderr);
  return JSON.parse(r.stdout) as Record<string, string>;
}

const readSpec = (dir: string) =>
  JSON.parse(readFileSync(path.join(dir, "kernel.json"), "utf8")) as { argv: string[]; display_name: string; language: string; interrupt_mode?: string };

describe("tsnb kernel install", () => {
  it("--prefix writes the kit's kernelspec and tslab's, both found by jupyter_client", () => {
    const prefix = mkdtempSync(path.join(os.tmpdir(), "tsnb-ks-"));
    const r = tsnb(["kernel", "install", "--prefix", prefix]);
    assert.equal(r.status, 0, r.stderr);
    const kernels = path.join(prefix, "share", "jupyter", "kernels");
    const kit = readSpec(path.join(kernels, "tsnb-typescript"));
    assert.equal(kit.display_name, "TypeScript (course kit)");
    assert.equal(kit.language, "typescript");
    assert.equal(kit.interrupt_mode, "signal");
    assert.equal(kit.argv[2], "{connection_file}");
    assert.ok(path.isAbsolute(kit.argv[0]) && existsSync(kit.argv[1]), "absolute node path and an existing kernel entry point");
    assert.match(kit.argv[1], /[\\/]dist[\\/]kernel[\\/]main\.js$/);
    const tslab = readSpec(path.join(kernels, "tslab"));
    assert.equal(tslab.display_name, "TypeScript (tslab)");
    assert.deepEqual(tslab.argv.slice(-3), ["kernel", "--config-path", "{connection_file}"]);
    const found = jupyterFinds({ JUPYTER_PATH: path.join(prefix, "share", "jupyter") });
    assert.equal(found["tsnb-typescript"], path.join(kernels, "tsnb-typescript"));
    assert.equal(found.tslab, path.join(kernels, "tslab"));
  });

  it("--name and --tslab-name rename the specs; --no-tslab installs only the kit's kernel", () => {
    const prefix = mkdtempSync(path.join(os.tmpdir(), "tsnb-ks-"));
    assert.equal(tsnb(["kernel", "install", "--prefix", prefix, "--name", "ts-ci", "--tslab-name", "tslab-ci"]).status, 0);
    const found = jupyterFinds({ JUPYTER_PATH: path.join(prefix, "share", "jupyter") });
    assert.ok(found["ts-ci"] && found["tslab-ci"], JSON.stringify(found));
    assert.match(readSpec(found["ts-ci"]).argv[1], /main\.js$/);

    const only = mkdtempSync(path.join(os.tmpdir(), "tsnb-ks-"));
    assert.equal(tsnb(["kernel", "install", "--prefix", only, "--no-tslab"]).status, 0);
    // Only what is under the prefix: the machine may have kernelspecs of its own.
    const inPrefix = Object.entries(jupyterFinds({ JUPYTER_PATH: path.join(only, "share", "jupyter") })).filter(([, dir]) => dir.startsWith(only));
    assert.deepEqual(
      inPrefix.map(([name]) => name),
      ["tsnb-typescript"],
    );
  });

  it("--user writes into the user data dir", () => {
    const data = mkdtempSync(path.join(os.tmpdir(), "tsnb-ks-user-"));
    const r = spawnSync(process.execPath, [path.resolve(__dirname, "..", "..", "bin", "tsnb.js"), "kernel", "install", "--user"], {
      encoding: "utf8",
      env: { ...process.env, JUPYTER_DATA_DIR: data },
    });
    assert.equal(r.status, 0, r.stderr);
    const found = jupyterFinds({ JUPYTER_DATA_DIR: data });
    assert.equal(found["tsnb-typescript"], path.join(data, "kernels", "tsnb-typescript"));
    assert.equal(found.tslab, path.join(data, "kernels", "tslab"));
  });

  it("rejects a bad kernel name, conflicting targets and one name for both kernels", () => {
    assert.equal(tsnb(["kernel", "install", "--prefix", os.tmpdir(), "--name", "bad name!"]).status, 2);
    assert.equal(tsnb(["kernel", "install", "--prefix", os.tmpdir(), "--user"]).status, 2);
    assert.equal(tsnb(["kernel", "install", "--prefix", os.tmpdir(), "--name", "same", "--tslab-name", "same"]).status, 2);
  });

  it("--help explains both kernelspecs and where they go", () => {
    const r = tsnb(["kernel", "install", "--help"]);
    assert.equal(r.status, 0);
    for (const expected of ["tsnb-typescript", "TypeScript (course kit)", "tslab", "--prefix", "--no-tslab", "shadows"])
      assert.ok(r.stdout.includes(expected), `help lacks ${expected}:\n${r.stdout}`);
  });
});

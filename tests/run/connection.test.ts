import assert from "node:assert/strict";
import { existsSync, readFileSync, statSync } from "node:fs";
import net from "node:net";
import path from "node:path";
import { freePorts, newConnectionInfo, writeConnectionFile } from "../../jupyter/connection";
import { kernelCommand, kernelEnv } from "../../jupyter/kernel-process";

function canListen(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const s = net.createServer();
    s.once("error", () => resolve(false));
    s.listen({ host: "127.0.0.1", port, exclusive: true }, () => s.close(() => resolve(true)));
  });
}

describe("run: connection files and kernel command lines", () => {
  it("finds five distinct free ports, and does not hand the same port out twice in a row", async () => {
    const first = await freePorts(5);
    const second = await freePorts(5);
    assert.equal(new Set(first).size, 5);
    assert.equal(new Set([...first, ...second]).size, 10);
    for (const port of first) assert.ok(await canListen(port), `port ${port} should be free`);
  });

  it("writes a private connection file with tcp transport, a random key and hmac-sha256", async () => {
    const info = await newConnectionInfo("tslab");
    const other = await newConnectionInfo("tslab");
    assert.notEqual(info.key, other.key);
    const { file, remove } = await writeConnectionFile(info);
    const onDisk = JSON.parse(readFileSync(file, "utf8"));
    assert.equal(onDisk.transport, "tcp");
    assert.equal(onDisk.ip, "127.0.0.1");
    assert.equal(onDisk.signature_scheme, "hmac-sha256");
    assert.equal(onDisk.key, info.key);
    for (const ch of ["shell", "iopub", "stdin", "control", "hb"]) assert.equal(typeof onDisk[`${ch}_port`], "number");
    assert.equal(statSync(file).mode & 0o777, 0o600);
    await remove();
    assert.equal(existsSync(path.dirname(file)), false);
  });

  it("substitutes {connection_file} and {resource_dir} in argv and ${VAR} in the spec's env", () => {
    const found = {
      name: "k",
      dir: "/specs/k",
      spec: {
        argv: ["node", "kernel.js", "-f", "{connection_file}", "--res={resource_dir}"],
        display_name: "K",
        language: "ts",
        env: { FOO: "x-${HOME_FOR_TEST}-y", BAR: "plain" },
      },
    };
    assert.deepEqual(kernelCommand(found, "/tmp/c.json"), ["node", "kernel.js", "-f", "/tmp/c.json", "--res=/specs/k"]);
    const env = kernelEnv(found, { HOME_FOR_TEST: "h", KEEP: "1" });
    assert.equal(env.FOO, "x-h-y");
    assert.equal(env.BAR, "plain");
    assert.equal(env.KEEP, "1");
  });
});

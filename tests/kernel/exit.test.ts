/**
 * How the kit's kernel ends when it is not asked to: a cell calling process.exit(), or the
 * kernel process killed on its own. The heartbeat is echoed by a child process
 * (jupyter/heartbeat-echo.ts); it must end with the kernel, whichever way the kernel ends, and
 * the kernel must end with the learner's exit code, never a signal.
 *
 * The crash this design replaces (a SIGABRT from zeromq.js tearing down a worker thread at
 * process.exit, in a few percent of exits under CPU load) is a race too rare to catch here in a
 * few seconds; .scratch-style stress runs measured it (see the commit that added this file).
 */
import assert from "node:assert/strict";
import net from "node:net";
import path from "node:path";
import { newConnectionInfo, writeConnectionFile } from "../../jupyter/connection";
import { executeContent, KernelHarness } from "./harness";
import { FIXTURES, REPO, runProcess } from "../run/support";

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** Whether any process is left in the kernel's process group (its own pid: it is started detached). */
function groupAlive(pgid: number): boolean {
  try {
    process.kill(-pgid, 0);
    return true;
  } catch {
    return false;
  }
}

async function groupGone(pgid: number, withinMs: number): Promise<boolean> {
  for (const end = Date.now() + withinMs; Date.now() < end; await sleep(50)) if (!groupAlive(pgid)) return true;
  return !groupAlive(pgid);
}

describe("the kit's kernel ending on its own: process.exit in a cell, a kill", function () {
  this.timeout(120_000);
  const started: KernelHarness[] = [];
  const start = async () => {
    const k = await KernelHarness.start("kit", FIXTURES);
    started.push(k);
    return k;
  };
  after(async () => {
    for (const k of started) await k.shutdown().catch(() => undefined);
  });

  it("process.exit(3) in a cell: the process ends with exit code 3, and nothing of its group is left", async () => {
    const k = await start();
    const pgid = k.kernel.process.pid!;
    assert.ok(groupAlive(pgid));
    k.kernel.client.request("shell", "execute_request", executeContent('console.log("bye"); process.exit(3);')).reply.catch(() => undefined);
    const death = await k.kernel.death;
    assert.deepEqual({ code: death.exit?.code, signal: death.exit?.signal }, { code: 3, signal: null }, death.message);
    assert.ok(await groupGone(pgid, 3000), "a process of the kernel's group (its heartbeat echo?) outlived it");
  });

  it("the kernel process alone killed with SIGKILL: its heartbeat echo process exits too", async () => {
    const k = await start();
    const pgid = k.kernel.process.pid!;
    process.kill(pgid, "SIGKILL");
    const death = await k.kernel.death;
    assert.equal(death.exit?.signal, "SIGKILL", death.message);
    assert.ok(await groupGone(pgid, 3000), "the heartbeat echo process outlived its kernel");
  });

  it("a heartbeat port already taken: start-up fails with exit code 1, saying so on the kernel's stderr", async () => {
    const info = await newConnectionInfo("kit");
    const taken = net.createServer();
    await new Promise<void>((resolve) => taken.listen(info.hb_port, info.ip, resolve));
    const connection = await writeConnectionFile(info);
    try {
      const r = await runProcess(process.execPath, [path.join(REPO, "dist", "kernel", "main.js"), connection.file], { timeoutMs: 60_000 });
      assert.equal(r.code, 1, r.stderr);
      assert.match(r.stderr, new RegExp(`tsnb kernel: cannot bind the heartbeat socket tcp://127\\.0\\.0\\.1:${info.hb_port}`));
    } finally {
      taken.close();
      await connection.remove();
    }
  });
});

import assert from "node:assert/strict";
import * as zmq from "zeromq";
import { freePorts } from "../../jupyter/connection";
import { Heartbeat } from "../../jupyter/kernel-process";

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** A heartbeat server like a kernel's: a Reply socket that echoes, or (answer=false) never answers. */
async function server(port: number, answer: boolean): Promise<zmq.Reply> {
  const sock = new zmq.Reply({ linger: 0 });
  await sock.bind(`tcp://127.0.0.1:${port}`);
  void (async () => {
    try {
      for await (const frames of sock) if (answer) await sock.send(frames);
    } catch {
      // closed
    }
  })();
  return sock;
}

describe("run: heartbeat", () => {
  it("beats while the kernel echoes, and reports death once it stops answering and its socket is gone", async () => {
    const [port] = await freePorts(1);
    const srv = await server(port, true);
    const hb = new Heartbeat(`tcp://127.0.0.1:${port}`, { intervalMs: 100, missLimit: 3 });
    let deadAt = 0;
    hb.on("dead", () => (deadAt = Date.now()));
    hb.start();
    try {
      await sleep(600);
      assert.ok(hb.beats >= 3, `expected beats, got ${hb.beats}`);
      assert.equal(hb.misses, 0);
      const closedAt = Date.now();
      srv.close();
      for (let i = 0; i < 40 && !deadAt; i++) await sleep(50);
      assert.ok(deadAt > 0, "death was not reported");
      assert.ok(deadAt - closedAt < 1500, `death took ${deadAt - closedAt} ms`);
    } finally {
      hb.stop();
    }
  });

  it("counts misses but does not declare death while the kernel is connected but busy (tslab answers on its JS thread)", async () => {
    const [port] = await freePorts(1);
    const srv = await server(port, false);
    const hb = new Heartbeat(`tcp://127.0.0.1:${port}`, { intervalMs: 100, missLimit: 3 });
    let dead = false;
    hb.on("dead", () => (dead = true));
    hb.start();
    try {
      await sleep(800);
      assert.ok(hb.misses >= 4, `expected misses, got ${hb.misses}`);
      assert.equal(hb.connected, true);
      assert.equal(dead, false);
    } finally {
      hb.stop();
      srv.close();
    }
  });
});

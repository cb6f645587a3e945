/**
 * The sandbox's layers at the process level: what a learner process could do if it escaped the
 * vm realm, under each layer alone and under both as grading uses them. Each case asserts the
 * exact outcome, including what a layer does NOT stop (the permission model alone leaves the
 * network open). CI runs as root with working namespaces, so bubblewrap must be available here.
 */
import assert from "node:assert/strict";
import { existsSync, readdirSync, readFileSync, readlinkSync, rmSync, writeFileSync } from "node:fs";
import net from "node:net";
import os from "node:os";
import path from "node:path";
import { descendantPids, tasksOfUser } from "../../grader/process/tree";
import { sandboxNodeArgs, spawnSandbox } from "../../grader/sandbox/host";
import { basicLaunch, detectIsolation, SandboxLaunch, sandboxCommand } from "../../grader/sandbox/isolation";
import { ProbeConfig, probeDir, ProbeReport, runProbe } from "../support/sandbox-probe";

const ROOT = path.resolve(__dirname, "..", "..", "..");
const HIDDEN_TEST = path.join(ROOT, "notebooks", "week07-cnn", "hidden-tests", readdirSync(path.join(ROOT, "notebooks", "week07-cnn", "hidden-tests"))[0]);
const AS_ROOT = process.getuid?.() === 0;

/** A TCP server on 127.0.0.1 that counts the connections it receives. */
function countingServer(): Promise<{ port: number; count: () => number; close: () => void }> {
  return new Promise((resolve) => {
    let connections = 0;
    const server = net.createServer((s) => {
      connections++;
      s.destroy();
    });
    server.listen(0, "127.0.0.1", () => {
      const port = (server.address() as net.AddressInfo).port;
      resolve({ port, count: () => connections, close: () => server.close() });
    });
  });
}

describe("sandbox layers, probed from a process that escaped the realm", function () {
  this.timeout(60_000);
  const secret = `s3cret-${process.pid}-${Date.now()}`;
  const dir = probeDir();
  const hostFile = path.join(os.tmpdir(), `tsnb-probe-pwned-${process.pid}`);
  let bubblewrap: SandboxLaunch;
  let server: Awaited<ReturnType<typeof countingServer>>;
  let config: ProbeConfig;
  const reports = new Map<string, { report: ProbeReport; raw: string; connections: number }>();

  before(async () => {
    bubblewrap = detectIsolation("strict", 1);
    server = await countingServer();
    config = { reads: [HIDDEN_TEST, path.join(ROOT, "package.json")], lists: [ROOT, os.homedir(), os.tmpdir()], hostFile, port: server.port };
    for (const [name, launch, permission] of [
      ["both", bubblewrap, true],
      ["bubblewrap only", bubblewrap, false],
      ["permission model only", basicLaunch(), true],
    ] as const) {
      const before = server.count();
      const run = await runProbe(dir, launch, permission, config, secret);
      reports.set(name, { ...run, connections: server.count() - before });
    }
  });
  after(() => {
    server?.close();
    rmSync(dir, { recursive: true, force: true });
    rmSync(hostFile, { force: true });
  });

  it("bubblewrap is available on this machine (CI runs as root with namespaces)", () => {
    assert.equal(bubblewrap.kind, "bubblewrap", bubblewrap.summary);
  });

  it("no layer lets the grader's secret (environment, command line) reach the sandbox", () => {
    for (const [name, r] of reports) {
      assert.ok(!r.raw.includes(secret), `${name}: the secret leaked: ${r.raw.slice(0, 2000)}`);
      const env = JSON.parse(r.report.env) as Record<string, string>;
      // bubblewrap adds PWD (its --chdir); the IPC channel's variables are Node's own.
      const expected = name === "permission model only" ? ["LANG", "PATH"] : ["LANG", "PATH", "PWD"];
      assert.deepEqual(
        Object.keys(env)
          .filter((k) => !k.startsWith("NODE_CHANNEL"))
          .sort(),
        expected,
        name,
      );
    }
  });

  it("both layers (as grading runs): no network, no file outside the sandbox, no writes, no programs", () => {
    const { report, connections } = reports.get("both")!;
    assert.equal(connections, 0, "the server on 127.0.0.1 received a connection");
    assert.equal(report.connect, "ERR ECONNREFUSED");
    for (const [key, value] of Object.entries(report)) {
      if (key.startsWith("read ") || key.startsWith("list ") || key.startsWith("write ") || key.startsWith("spawn "))
        assert.equal(value, "ERR ERR_ACCESS_DENIED", key);
    }
    assert.ok(!existsSync(hostFile));
  });

  it("bubblewrap alone: its own empty network, a root holding only Node and the sandbox's files, read-only, no /proc", () => {
    const { report, connections } = reports.get("bubblewrap only")!;
    assert.equal(connections, 0, "the server on 127.0.0.1 received a connection");
    assert.equal(report.connect, "ERR ECONNREFUSED");
    for (const f of ["/proc/self/environ", "/proc/1/environ", "/proc/1/cmdline", "/etc/passwd", HIDDEN_TEST, path.join(ROOT, "package.json")]) {
      assert.equal(report[`read ${f}`], "ERR ENOENT", f);
    }
    assert.equal(report["list /proc"], "ERR ENOENT");
    // Top-level folders: /dev, /tmp, and those holding Node, its libraries, the loader cache
    // and the sandbox's code; nothing else (no /etc/passwd, /home, /root, /proc).
    const tops = new Set(["dev", "tmp", ...[ROOT, process.execPath, "/lib", "/lib64"].map((p) => p.split("/")[1])]);
    if (existsSync("/etc/ld.so.cache")) tops.add("etc");
    assert.deepEqual(report["list /"].split(",").sort(), [...tops].sort());
    // The project folder shows only the sandbox's compiled code; home is not there at all.
    assert.equal(report[`list ${ROOT}`], "dist");
    if (!os.homedir().startsWith(ROOT) && os.homedir() !== "/") assert.equal(report[`list ${os.homedir()}`], "ERR ENOENT");
    // /tmp is a private, empty tmpfs (holding only the files offered to the sandbox).
    // (A checkout that itself lives under /tmp, as CI's clone may, shows its own folder there too.)
    const inTmp = [dir, ROOT].filter((p) => p.startsWith(os.tmpdir() + path.sep)).map((p) => path.relative(os.tmpdir(), p).split(path.sep)[0]);
    assert.deepEqual(report[`list ${os.tmpdir()}`].split(",").sort(), [...new Set(inTmp)].sort());
    assert.equal(report["write /"], "ERR EROFS");
    assert.equal(report["write host file"], "ok", "writes to the private /tmp succeed inside");
    assert.ok(!existsSync(hostFile), "…and never reach the host's /tmp");
    assert.equal(report["spawn /bin/sh"], "ERR ENOENT", "no other program is there to start");
    assert.equal(report["spawn node"], "started", "Node itself can start, inside the same namespaces and limits");
  });

  it("the permission model alone stops files and programs but NOT the network (why bubblewrap matters)", () => {
    const { report, connections } = reports.get("permission model only")!;
    for (const f of ["/proc/self/environ", "/proc/1/environ", "/etc/passwd", HIDDEN_TEST]) assert.equal(report[`read ${f}`], "ERR ERR_ACCESS_DENIED", f);
    assert.equal(report["write host file"], "ERR ERR_ACCESS_DENIED");
    assert.equal(report["spawn node"], "ERR ERR_ACCESS_DENIED");
    assert.equal(report.connect, "connected");
    assert.equal(connections, 1);
  });

  it("a sandbox process runs as nobody in namespaces of its own, with its resource limits", async () => {
    writeFileSync(path.join(dir, "wait.js"), "process.stdout.write('ready'); setTimeout(() => {}, 5000);", { mode: 0o644 });
    const cmd = sandboxCommand(bubblewrap, sandboxNodeArgs([dir], 256, path.join(dir, "wait.js"), []), [dir]);
    const child = spawnSandbox(cmd);
    try {
      await new Promise<void>((resolve) => child.stdout!.once("data", () => resolve()));
      const node = descendantPids(child.pid!).pop()!;
      const status = readFileSync(`/proc/${node}/status`, "utf8");
      if (AS_ROOT) assert.match(status, /^Uid:\s+65534\s+65534\s+65534\s+65534$/m, "nobody outside the namespaces too");
      assert.match(status, /^CapEff:\s+0+$/m, "no capabilities");
      for (const ns of ["net", "pid", "ipc", "uts", "user", "mnt"]) {
        assert.notEqual(readlinkSync(`/proc/${node}/ns/${ns}`), readlinkSync(`/proc/self/ns/${ns}`), `${ns} namespace`);
      }
      const limits = readFileSync(`/proc/${node}/limits`, "utf8");
      const limit = (name: string) => new RegExp(`^${name}\\s+(\\S+)\\s+(\\S+)`, "m").exec(limits)?.slice(1, 3);
      const n = String(bubblewrap.bwrap!.limits.processes);
      assert.deepEqual(limit("Max processes"), [n, n]);
      assert.deepEqual(limit("Max file size"), ["16777216", "16777216"]);
      assert.deepEqual(limit("Max open files"), ["256", "256"]);
      assert.deepEqual(limit("Max core file size"), ["0", "0"]);
      // A different session from the grader's: a terminal's Ctrl-C does not reach it.
      const sid = (pid: number) => readFileSync(`/proc/${pid}/stat`, "utf8").split(") ")[1].split(" ")[3];
      assert.notEqual(sid(node), sid(process.pid));
    } finally {
      child.kill("SIGKILL");
    }
  });

  it("a fork bomb stops at the process limit (RLIMIT_NPROC)", async function () {
    if (!AS_ROOT) this.skip(); // needs a user of its own, so that the count is the bomb's alone
    const bomber = { uid: 4242, gid: 4242 };
    const cap = tasksOfUser(bomber.uid) + 40;
    const launch: SandboxLaunch = { ...bubblewrap, user: bomber, bwrap: { ...bubblewrap.bwrap!, limits: { ...bubblewrap.bwrap!.limits, processes: cap } } };
    writeFileSync(
      path.join(dir, "bomb.js"),
      `const cp = require("child_process"); let started = 0, refused = 0;
       for (let i = 0; i < 30; i++) { try { const c = cp.spawn(process.execPath, ["-e", "setTimeout(() => {}, 3000)"], { stdio: "ignore" }); c.on("error", () => refused++); c.on("spawn", () => started++); } catch (e) { refused++; } }
       setTimeout(() => { process.stdout.write(JSON.stringify({ started, refused })); process.exit(0); }, 1500);`,
      { mode: 0o644 },
    );
    // bubblewrap and limits only: the permission model would refuse the first spawn already.
    const child = spawnSandbox(sandboxCommand(launch, [path.join(dir, "bomb.js")], [dir]));
    let peak = 0;
    const sampler = setInterval(() => (peak = Math.max(peak, tasksOfUser(bomber.uid))), 20);
    let out = "";
    child.stdout!.on("data", (d: Buffer) => (out += d.toString()));
    await new Promise((resolve) => child.on("exit", resolve));
    clearInterval(sampler);
    const result = JSON.parse(out) as { started: number; refused: number };
    assert.ok(result.refused > 0 && result.started < 30, `no spawn was refused: ${out}`);
    assert.ok(peak <= cap, `the user ran ${peak} tasks, above its limit of ${cap}`);
  });
});

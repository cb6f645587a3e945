/**
 * Process-level probes of the sandbox layers: a script that does what learner code could try if
 * it ever escaped the vm realm (read secrets and files, write, start programs, open a socket),
 * run exactly as the grader starts sandbox processes, from an intermediate "grader" process
 * that holds a secret in its environment and on its command line.
 */
import { spawn } from "node:child_process";
import { chmodSync, mkdtempSync, writeFileSync } from "node:fs";
import os from "node:os";
import path from "node:path";
import type { SandboxLaunch } from "../../grader/sandbox/isolation";

export interface ProbeConfig {
  /** Files to try to read (hidden tests, results, the project, home, secrets). */
  reads: string[];
  /** Folders to try to list. */
  lists: string[];
  /** A host path to try to create. */
  hostFile: string;
  /** A TCP port on 127.0.0.1 to try to connect to. */
  port: number;
}

/** What the probe tried, each answered by "ok", a value, or "ERR <code>". */
export type ProbeReport = Record<string, string>;

const PROBE = `
const fs = require("fs"), net = require("net"), cp = require("child_process");
const cfg = JSON.parse(process.argv[2]);
const out = {};
const t = (k, f) => { try { const v = f(); out[k] = v === undefined ? "ok" : String(v); } catch (e) { out[k] = "ERR " + (e.code || e.message); } };
t("env", () => JSON.stringify(process.env));
for (const f of ["/proc/self/environ", "/proc/1/environ", "/proc/1/cmdline", "/proc/" + process.ppid + "/environ", "/proc/" + process.ppid + "/cmdline", "/etc/passwd", ...cfg.reads]) t("read " + f, () => fs.readFileSync(f, "latin1"));
for (const d of ["/", "/proc", ...cfg.lists]) t("list " + d, () => fs.readdirSync(d).join(","));
t("write host file", () => fs.writeFileSync(cfg.hostFile, "pwned"));
t("write /", () => fs.writeFileSync("/pwned", "pwned"));
t("spawn /bin/sh", () => cp.execFileSync("/bin/sh", ["-c", "echo started"]).toString().trim());
t("spawn node", () => cp.execFileSync(process.execPath, ["-e", "process.stdout.write('started')"]).toString());
const finish = () => { process.stdout.write(JSON.stringify(out)); process.exit(0); };
const socket = net.connect(cfg.port, "127.0.0.1");
socket.on("connect", () => { out.connect = "connected"; socket.destroy(); finish(); });
socket.on("error", (e) => { out.connect = "ERR " + e.code; finish(); });
setTimeout(() => { out.connect = "timeout"; finish(); }, 3000);
`;

/** The intermediate "grader": starts the probe as host.ts starts sandboxes and relays its output. */
const HOST = `
const { readFileSync } = require("fs");
const [launchFile, dir, permission, config] = process.argv.slice(2);
const { sandboxNodeArgs, spawnSandbox } = require(${JSON.stringify(path.resolve(__dirname, "../../grader/sandbox/host.js"))});
const { sandboxCommand } = require(${JSON.stringify(path.resolve(__dirname, "../../grader/sandbox/isolation.js"))});
const launch = JSON.parse(readFileSync(launchFile, "utf8"));
const probe = dir + "/probe.js";
const nodeArgs = permission === "1" ? sandboxNodeArgs([dir], 256, probe, [config]) : ["--max-old-space-size=128", probe, config];
const child = spawnSandbox(sandboxCommand(launch, nodeArgs, [dir]));
child.stdout.pipe(process.stdout);
child.stderr.pipe(process.stderr);
child.on("exit", (code) => process.exit(code ?? 1));
`;

/** A folder the sandbox user can read, holding the probe and the intermediate grader script. */
export function probeDir(): string {
  const dir = mkdtempSync(path.join(os.tmpdir(), "tsnb-probe-"));
  chmodSync(dir, 0o755);
  writeFileSync(path.join(dir, "probe.js"), PROBE, { mode: 0o644 });
  writeFileSync(path.join(dir, "host.js"), HOST, { mode: 0o644 });
  return dir;
}

/**
 * Run the probe under `launch` (with Node's permission model when `permission`), from an
 * intermediate process whose environment and command line hold `secret`.
 */
export function runProbe(
  dir: string,
  launch: SandboxLaunch,
  permission: boolean,
  config: ProbeConfig,
  secret: string,
): Promise<{ report: ProbeReport; raw: string }> {
  const launchFile = path.join(dir, `launch-${Math.random().toString(36).slice(2)}.json`);
  writeFileSync(launchFile, JSON.stringify(launch));
  return new Promise((resolve, reject) => {
    const host = spawn(process.execPath, [path.join(dir, "host.js"), launchFile, dir, permission ? "1" : "0", JSON.stringify(config), `--token=${secret}`], {
      env: { ...process.env, TSNB_TEST_SECRET: secret },
      stdio: ["ignore", "pipe", "pipe"],
    });
    let raw = "";
    host.stdout.on("data", (d: Buffer) => (raw += d.toString("latin1")));
    host.stderr.on("data", (d: Buffer) => (raw += d.toString("latin1")));
    host.on("error", reject);
    host.on("exit", () => {
      const json = raw.slice(raw.indexOf("{"), raw.lastIndexOf("}") + 1);
      try {
        resolve({ report: JSON.parse(json) as ProbeReport, raw });
      } catch {
        reject(new Error(`the probe printed no report: ${raw}`));
      }
    });
  });
}

/**
 * Connection files: five free TCP ports on 127.0.0.1, a random key, hmac-sha256 signing.
 * This is what jupyter_client writes before it starts a kernel, and what the kernel binds to.
 */
import { randomUUID } from "node:crypto";
import { promises as fs } from "node:fs";
import net from "node:net";
import os from "node:os";
import path from "node:path";

export interface ConnectionInfo {
  transport: "tcp";
  ip: string;
  shell_port: number;
  iopub_port: number;
  stdin_port: number;
  control_port: number;
  hb_port: number;
  key: string;
  signature_scheme: "hmac-sha256";
  kernel_name: string;
}

export type Channel = "shell" | "iopub" | "stdin" | "control" | "hb";
export const CHANNELS: readonly Channel[] = ["shell", "iopub", "stdin", "control", "hb"];

/**
 * Ports handed out by this process recently. Between our probe and the kernel's bind another
 * kernel we start in parallel (--jobs) could otherwise be given the same port.
 */
const recentlyGiven = new Map<number, number>();
const REUSE_AFTER_MS = 60_000;

function probePort(ip: string): Promise<{ port: number; server: net.Server }> {
  return new Promise((resolve, reject) => {
    const server = net.createServer();
    server.unref();
    server.once("error", reject);
    server.listen({ host: ip, port: 0, exclusive: true }, () => {
      const address = server.address();
      if (address && typeof address === "object") resolve({ port: address.port, server });
      else reject(new Error("could not read the probed port"));
    });
  });
}

/** `count` distinct ports that were free on `ip` a moment ago. */
export async function freePorts(count: number, ip = "127.0.0.1"): Promise<number[]> {
  const now = Date.now();
  for (const [port, at] of recentlyGiven) if (now - at > REUSE_AFTER_MS) recentlyGiven.delete(port);
  const servers: net.Server[] = [];
  const ports: number[] = [];
  try {
    // Keep every probe listening until all are chosen, so the OS cannot hand out one port twice.
    for (let attempts = 0; ports.length < count; attempts++) {
      if (attempts > count * 20) throw new Error(`could not find ${count} free ports on ${ip}`);
      const { port, server } = await probePort(ip);
      servers.push(server);
      if (!recentlyGiven.has(port) && !ports.includes(port)) ports.push(port);
    }
  } finally {
    await Promise.all(servers.map((s) => new Promise<void>((r) => s.close(() => r()))));
  }
  for (const port of ports) recentlyGiven.set(port, now);
  return ports;
}

export async function newConnectionInfo(kernelName: string, ip = "127.0.0.1"): Promise<ConnectionInfo> {
  const [shell_port, iopub_port, stdin_port, control_port, hb_port] = await freePorts(5, ip);
  return {
    transport: "tcp",
    ip,
    shell_port,
    iopub_port,
    stdin_port,
    control_port,
    hb_port,
    key: randomUUID(),
    signature_scheme: "hmac-sha256",
    kernel_name: kernelName,
  };
}

/**
 * Read a connection file (the kernel's side: jupyter_client wrote it before starting us). Only
 * TCP and hmac-sha256 are supported; anything else is refused with a clear message.
 */
export async function readConnectionFile(file: string): Promise<ConnectionInfo> {
  let parsed: Record<string, unknown>;
  try {
    parsed = JSON.parse(await fs.readFile(file, "utf8")) as Record<string, unknown>;
  } catch (err) {
    throw new Error(`cannot read connection file ${file}: ${(err as Error).message}`, { cause: err });
  }
  const transport = parsed.transport ?? "tcp";
  if (transport !== "tcp") throw new Error(`connection file ${file}: transport ${JSON.stringify(transport)} is not supported (only tcp)`);
  const scheme = parsed.signature_scheme ?? "hmac-sha256";
  if (scheme !== "hmac-sha256") throw new Error(`connection file ${file}: signature_scheme ${JSON.stringify(scheme)} is not supported (only hmac-sha256)`);
  const port = (name: string): number => {
    const value = parsed[name];
    if (typeof value !== "number" || !Number.isInteger(value) || value < 0 || value > 65535) {
      throw new Error(`connection file ${file}: ${name} must be a port number, got ${JSON.stringify(value)}`);
    }
    return value;
  };
  return {
    transport: "tcp",
    ip: typeof parsed.ip === "string" ? parsed.ip : "127.0.0.1",
    shell_port: port("shell_port"),
    iopub_port: port("iopub_port"),
    stdin_port: port("stdin_port"),
    control_port: port("control_port"),
    hb_port: port("hb_port"),
    key: typeof parsed.key === "string" ? parsed.key : "",
    signature_scheme: "hmac-sha256",
    kernel_name: typeof parsed.kernel_name === "string" ? parsed.kernel_name : "",
  };
}

export function endpoint(info: ConnectionInfo, channel: Channel): string {
  return `${info.transport}://${info.ip}:${info[`${channel}_port`]}`;
}

/**
 * Write the connection file into a fresh private folder (mode 0700, file 0600: the key lets
 * anyone who reads it run code in the kernel). Returns the file and a function removing both.
 */
export async function writeConnectionFile(info: ConnectionInfo): Promise<{ file: string; remove: () => Promise<void> }> {
  const dir = await fs.mkdtemp(path.join(os.tmpdir(), "tsnb-kernel-"));
  await fs.chmod(dir, 0o700);
  const file = path.join(dir, `kernel-${randomUUID()}.json`);
  await fs.writeFile(file, JSON.stringify(info, null, 2) + "\n", { mode: 0o600 });
  return { file, remove: () => fs.rm(dir, { recursive: true, force: true }) };
}

/**
 * Debian's classic Jupyter Notebook server (6.4) for real-browser tests: on 127.0.0.1, a free
 * port and a random token, with Jupyter folders of its own (data, config, runtime and HOME), so
 * that neither a kernelspec nor a setting left in the machine's or a user's folders can change
 * what the test sees. The kit's kernelspecs are written into its data folder by
 * `tsnb kernel install --prefix`, exactly as a learner would install them. Stopped by PID.
 */
import { ChildProcess, spawn, spawnSync } from "node:child_process";
import { randomBytes } from "node:crypto";
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import net from "node:net";
import os from "node:os";
import path from "node:path";
import { CLI, DEBIAN_PYTHON } from "../run/support";

export interface KernelSpecInfo {
  name: string;
  display_name: string;
  /** The folder Jupyter resolved the spec from. */
  resourceDir: string;
}

export interface NotebookServer {
  /** Base URL, e.g. http://127.0.0.1:43121/ */
  url: string;
  token: string;
  pid: number;
  /** The folder the server serves (its notebook directory). */
  root: string;
  /** The server's own Jupyter data folder (holds kernels/). */
  dataDir: string;
  /** URL of a notebook below `root`, with the token. */
  notebookUrl(relativePath: string): string;
  /** GET a path of the REST API (JSON), with the token. */
  api<T>(apiPath: string, init?: { method?: string }): Promise<T>;
  /** The kernelspecs as Jupyter resolves them with this server's environment. */
  kernelSpecs(): KernelSpecInfo[];
  /** The last lines the server logged, for failure messages. */
  log(): string;
  /** Shuts down every kernel, then the server (SIGTERM, then SIGKILL), and removes its folders. */
  stop(): Promise<void>;
}

export interface StartOptions {
  /** The folder to serve; notebooks must sit inside the repository so kernels find node_modules. */
  root: string;
  /** Files to place in the server's own HOME before it starts (path relative to HOME -> text). */
  homeFiles?: Record<string, string>;
  timeoutMs?: number;
}

const KEEP_LOG_CHARS = 20_000;

function waitForExit(child: ChildProcess, ms: number): Promise<boolean> {
  if (child.exitCode !== null || child.signalCode !== null) return Promise.resolve(true);
  return new Promise((resolve) => {
    const timer = setTimeout(() => resolve(false), ms);
    child.once("exit", () => {
      clearTimeout(timer);
      resolve(true);
    });
  });
}

/** The environment of the server and of the `jupyter kernelspec` queries made for it. */
function serverEnv(base: string): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = { ...process.env };
  // Jupyter also reads these; none may point at the machine's folders.
  for (const key of ["JUPYTER_PATH", "JUPYTER_CONFIG_PATH", "JUPYTER_PREFER_ENV_PATH", "XDG_DATA_HOME", "XDG_CONFIG_HOME", "XDG_RUNTIME_DIR", "IPYTHONDIR"]) {
    delete env[key];
  }
  return {
    ...env,
    HOME: path.join(base, "home"),
    // `tsnb kernel install --prefix <base>` writes <base>/share/jupyter/kernels: the data folder.
    JUPYTER_DATA_DIR: path.join(base, "share", "jupyter"),
    JUPYTER_CONFIG_DIR: path.join(base, "config"),
    JUPYTER_RUNTIME_DIR: path.join(base, "runtime"),
    JUPYTER_PREFER_ENV_PATH: "0",
    PYTHONNOUSERSITE: "1",
  };
}

/** A port that was free on 127.0.0.1 a moment ago (the OS picks it). */
function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const probe = net.createServer();
    probe.once("error", reject);
    probe.listen(0, "127.0.0.1", () => {
      const { port } = probe.address() as net.AddressInfo;
      probe.close(() => resolve(port));
    });
  });
}

/** Writes the kit's kernelspecs with the kit's own command into `<prefix>/share/jupyter/kernels`. */
function installKitKernels(prefix: string): void {
  const run = spawnSync(process.execPath, [CLI, "kernel", "install", "--prefix", prefix], { encoding: "utf8" });
  if (run.status !== 0) throw new Error(`tsnb kernel install --prefix failed (${run.status}):\n${run.stdout}${run.stderr}`);
}

export async function startNotebookServer(options: StartOptions): Promise<NotebookServer> {
  const base = mkdtempSync(path.join(os.tmpdir(), "tsnb-notebook-server-"));
  installKitKernels(base);
  const env = serverEnv(base);
  for (const dir of [env.HOME!, env.JUPYTER_CONFIG_DIR!, env.JUPYTER_RUNTIME_DIR!]) mkdirSync(dir, { recursive: true });
  for (const [rel, text] of Object.entries(options.homeFiles ?? {})) {
    const file = path.join(env.HOME!, rel);
    mkdirSync(path.dirname(file), { recursive: true });
    writeFileSync(file, text);
  }

  const token = randomBytes(24).toString("hex");
  const port = await freePort();
  const child = spawn(
    DEBIAN_PYTHON,
    [
      "-m",
      "notebook",
      "--no-browser",
      "--ip=127.0.0.1",
      `--port=${port}`,
      "--port-retries=0",
      // CI and this machine run as root; the server is on 127.0.0.1 with a token.
      "--allow-root",
      `--NotebookApp.token=${token}`,
      "--NotebookApp.password=",
      `--notebook-dir=${options.root}`,
    ],
    { env, cwd: options.root, stdio: ["ignore", "pipe", "pipe"] },
  );
  let log = "";
  const keep = (d: Buffer) => {
    log = (log + d.toString()).slice(-KEEP_LOG_CHARS);
  };
  child.stdout.on("data", keep);
  child.stderr.on("data", keep);

  const url = `http://127.0.0.1:${port}/`;
  const api = async <T>(apiPath: string, init: { method?: string } = {}): Promise<T> => {
    const res = await fetch(`${url}${apiPath.replace(/^\//, "")}`, { method: init.method ?? "GET", headers: { Authorization: `token ${token}` } });
    if (!res.ok) throw new Error(`${init.method ?? "GET"} ${apiPath}: HTTP ${res.status}`);
    const body = await res.text();
    return (body ? JSON.parse(body) : undefined) as T;
  };

  let stopped = false;
  const stop = async (): Promise<void> => {
    if (stopped) return;
    stopped = true;
    try {
      if (child.exitCode === null) {
        // Kernels run in sessions of their own: shut them down through the server first.
        const kernels = await api<{ id: string }[]>("api/kernels").catch(() => []);
        await Promise.all(kernels.map((k) => api(`api/kernels/${k.id}`, { method: "DELETE" }).catch(() => undefined)));
        child.kill("SIGTERM");
        if (!(await waitForExit(child, 10_000))) {
          child.kill("SIGKILL");
          await waitForExit(child, 5_000);
        }
      }
    } finally {
      rmSync(base, { recursive: true, force: true });
    }
  };

  // Ready when the REST API answers with the token.
  const deadline = Date.now() + (options.timeoutMs ?? 30_000);
  for (;;) {
    if (child.exitCode !== null) {
      await stop();
      throw new Error(`jupyter-notebook exited with ${child.exitCode} before it was ready:\n${log}`);
    }
    const ok = await api("api/status").then(
      () => true,
      () => false,
    );
    if (ok) break;
    if (Date.now() > deadline) {
      await stop();
      throw new Error(`jupyter-notebook did not answer on ${url} within ${options.timeoutMs ?? 30_000} ms:\n${log}`);
    }
    await new Promise((r) => setTimeout(r, 200));
  }

  return {
    url,
    token,
    pid: child.pid!,
    root: options.root,
    dataDir: env.JUPYTER_DATA_DIR!,
    notebookUrl: (rel) => `${url}notebooks/${rel.split(path.sep).map(encodeURIComponent).join("/")}?token=${token}`,
    api,
    kernelSpecs: () => {
      const run = spawnSync(DEBIAN_PYTHON, ["-m", "jupyter_client.kernelspecapp", "list", "--json"], { env, encoding: "utf8" });
      if (run.status !== 0) throw new Error(`jupyter kernelspec list failed: ${run.stderr}`);
      const specs = (JSON.parse(run.stdout) as { kernelspecs: Record<string, { resource_dir: string; spec: { display_name: string } }> }).kernelspecs;
      return Object.entries(specs).map(([name, s]) => ({ name, display_name: s.spec.display_name, resourceDir: s.resource_dir }));
    },
    log: () => log,
    stop,
  };
}

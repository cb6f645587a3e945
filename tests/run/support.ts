/**
 * Shared helpers for the `tsnb run` and kernel tests: a private Jupyter data path with the kit's
 * kernel and tslab as kernelspecs (so no test depends on what is installed globally), the CLI as a child process,
 * Debian's nbclient as the reference implementation, and output normalisation.
 */
import { spawn } from "node:child_process";
import { existsSync, mkdtempSync, readFileSync } from "node:fs";
import os from "node:os";
import path from "node:path";
import { listNotebooks } from "../../grader/assignment/load";
import { installKernelSpec } from "../../grader/kernel/kernelspec";

export const REPO = path.resolve(__dirname, "..", "..", "..");
export const FIXTURES = path.join(REPO, "tests", "fixtures", "run-notebooks");
export const CLI = path.join(REPO, "bin", "tsnb.js");
export const DEBIAN_PYTHON = "/usr/bin/python3";
/** The kit's kernel, as the test kernelspec names it. */
export const TEST_KERNEL = "tsnb-typescript-test";
/** tslab, for the tests of tsnb run's handling of tslab's quirks. */
export const TSLAB_TEST_KERNEL = "tslab-tsnb-test";

export function fixture(name: string): string {
  return path.join(FIXTURES, name);
}

export function tempDir(prefix: string): string {
  return mkdtempSync(path.join(os.tmpdir(), prefix));
}

let jupyterPath: string | undefined;
/** A temporary JUPYTER_PATH holding the kit's kernel (TEST_KERNEL) and tslab (TSLAB_TEST_KERNEL), made once per process. */
export function testJupyterPath(): string {
  if (!jupyterPath) {
    const prefix = tempDir("tsnb-jp-");
    installKernelSpec("kit", { prefix, name: TEST_KERNEL });
    installKernelSpec("tslab", { prefix, name: TSLAB_TEST_KERNEL });
    jupyterPath = path.join(prefix, "share", "jupyter");
  }
  return jupyterPath;
}

export function testEnv(extra: NodeJS.ProcessEnv = {}): NodeJS.ProcessEnv {
  const runtime = tempDir("tsnb-rt-");
  return { ...process.env, JUPYTER_PATH: testJupyterPath(), JUPYTER_RUNTIME_DIR: runtime, ...extra };
}

export interface Finished {
  code: number | null;
  stdout: string;
  stderr: string;
  ms: number;
}

export function runProcess(command: string, args: string[], options: { env?: NodeJS.ProcessEnv; cwd?: string; timeoutMs?: number } = {}): Promise<Finished> {
  const started = Date.now();
  return new Promise((resolve, reject) => {
    const child = spawn(command, args, { env: options.env ?? process.env, cwd: options.cwd ?? REPO, stdio: ["ignore", "pipe", "pipe"] });
    let stdout = "";
    let stderr = "";
    child.stdout.on("data", (d) => (stdout += d));
    child.stderr.on("data", (d) => (stderr += d));
    const timer = options.timeoutMs
      ? setTimeout(() => {
          child.kill("SIGKILL");
          reject(new Error(`${command} ${args.join(" ")} did not finish within ${options.timeoutMs} ms\n${stderr}`));
        }, options.timeoutMs)
      : undefined;
    child.on("error", reject);
    child.on("close", (code) => {
      if (timer) clearTimeout(timer);
      resolve({ code, stdout, stderr, ms: Date.now() - started });
    });
  });
}

/** `node bin/tsnb.js run ...args` with the test kernelspec on JUPYTER_PATH. */
export function tsnbRun(args: string[], options: { env?: NodeJS.ProcessEnv; timeoutMs?: number } = {}): Promise<Finished> {
  return runProcess(process.execPath, [CLI, "run", ...args], { env: options.env ?? testEnv(), timeoutMs: options.timeoutMs ?? 120_000 });
}

/**
 * Execute a notebook with Debian's nbclient. Writes the notebook as nbclient left it, even
 * when nbclient raised, and reports what it raised (nbconvert would write nothing then).
 */
const NBCLIENT_SCRIPT = `
import json, sys, time, nbformat
from nbclient import NotebookClient
src, dst, kernel, allow, timeout = sys.argv[1], sys.argv[2], sys.argv[3], sys.argv[4] == "1", float(sys.argv[5])
nb = nbformat.read(src, as_version=4)
client = NotebookClient(nb, kernel_name=kernel, allow_errors=allow, timeout=(int(timeout) or None),
                        resources={"metadata": {"path": sys.argv[6]}})
raised = None
t0 = time.time()
try:
    client.execute()
except Exception as e:
    raised = {"type": type(e).__name__, "ename": getattr(e, "ename", None), "evalue": getattr(e, "evalue", None)}
elapsed = time.time() - t0
nbformat.write(nb, dst)
print(json.dumps({"raised": raised, "seconds": elapsed}))
`;

export interface NbclientResult {
  raised: { type: string; ename: string | null; evalue: string | null } | null;
  seconds: number;
  notebook: NotebookJson;
  process: Finished;
}

export async function nbclientRun(
  input: string,
  output: string,
  options: { allowErrors?: boolean; timeoutS?: number; kernel?: string; processTimeoutMs?: number } = {},
): Promise<NbclientResult> {
  const finished = await runProcess(
    DEBIAN_PYTHON,
    ["-c", NBCLIENT_SCRIPT, input, output, options.kernel ?? TEST_KERNEL, options.allowErrors ? "1" : "0", String(options.timeoutS ?? 0), path.dirname(input)],
    { env: testEnv(), timeoutMs: options.processTimeoutMs ?? 180_000 },
  );
  if (finished.code !== 0) throw new Error(`nbclient script failed (${finished.code}):\n${finished.stderr}`);
  const report = JSON.parse(finished.stdout.trim().split("\n").pop()!) as { raised: NbclientResult["raised"]; seconds: number };
  return { ...report, notebook: readJson(output), process: finished };
}

// ---- notebooks as plain JSON, for comparisons -------------------------------------------

export interface OutputJson {
  output_type: string;
  name?: string;
  text?: string | string[];
  data?: Record<string, unknown>;
  metadata?: Record<string, unknown>;
  execution_count?: number | null;
  ename?: string;
  evalue?: string;
  traceback?: string[];
}
export interface CellJson {
  cell_type: string;
  id?: string;
  source: string | string[];
  metadata: Record<string, unknown>;
  outputs?: OutputJson[];
  execution_count?: number | null;
}
export interface NotebookJson {
  metadata: Record<string, unknown>;
  cells: CellJson[];
}

export function readJson(file: string): NotebookJson {
  return JSON.parse(readFileSync(file, "utf8")) as NotebookJson;
}

export function codeCells(nb: NotebookJson): CellJson[] {
  return nb.cells.filter((c) => c.cell_type === "code");
}

export const text = (t: string | string[] | undefined): string => (Array.isArray(t) ? t.join("") : (t ?? ""));

/** All stream text of a cell, per stream name. */
export function streamText(cell: CellJson, name: "stdout" | "stderr"): string {
  return (cell.outputs ?? [])
    .filter((o) => o.output_type === "stream" && o.name === name)
    .map((o) => text(o.text))
    .join("");
}

export function errorOf(cell: CellJson): OutputJson | undefined {
  return (cell.outputs ?? []).find((o) => o.output_type === "error");
}

/**
 * Outputs in a comparable form: multi-line strings joined, consecutive chunks of one stream
 * merged (Debian's nbclient 0.7.2 keeps one output per message; newer ones merge, as tsnb
 * does), mime data strings joined. Timing metadata is not part of outputs.
 */
export function normalizeOutputs(outputs: OutputJson[] = []): OutputJson[] {
  const result: OutputJson[] = [];
  for (const o of outputs) {
    const last = result[result.length - 1];
    if (o.output_type === "stream") {
      if (last && last.output_type === "stream" && last.name === o.name) {
        last.text = text(last.text) + text(o.text);
        continue;
      }
      result.push({ output_type: "stream", name: o.name, text: text(o.text) });
    } else if (o.output_type === "display_data" || o.output_type === "execute_result") {
      const data: Record<string, unknown> = {};
      for (const [k, v] of Object.entries(o.data ?? {})) data[k] = Array.isArray(v) ? v.join("") : v;
      result.push({ ...o, data });
    } else {
      result.push({ ...o });
    }
  }
  return result;
}

/** The week 7 notebooks (tsnb run outputs excluded). */
export function week7Notebooks(): string[] {
  const dir = path.join(REPO, "notebooks", "week07-cnn");
  return existsSync(dir) ? listNotebooks(dir) : [];
}

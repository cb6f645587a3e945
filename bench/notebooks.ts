/**
 * `tsnb run` against nbclient on the same tslab kernelspec, measured in one run so that the
 * two are compared under the same machine load (report ratios, not absolute numbers):
 *
 *  - kernel start: spawn until the kernel answers kernel_info and iopub is joined
 *    (tsnb: startKernel; nbclient: NotebookClient.setup_kernel, i.e. start_kernel +
 *    wait_for_ready), both measured inside their own process;
 *  - per-cell time on a notebook of trivial cells, and the client's overhead per cell: the
 *    wall time per cell minus the time the kernel itself was busy (its busy -> idle status
 *    timestamps, which both tools record in metadata.execution);
 *  - end to end: `node bin/tsnb.js run` vs `jupyter nbconvert --to notebook --execute`, as
 *    child processes, on the trivial notebook and on the week 7 notebooks when present.
 *
 * Run with `node dist/bench/notebooks.js [--repeats N] [--cells N] [--no-week7] [--week7-repeats N]`.
 */
import { spawn } from "node:child_process";
import { existsSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import os from "node:os";
import path from "node:path";
import { listNotebooks } from "../grader/assignment/load";
import { installKernelSpec } from "../grader/kernel/kernelspec";
import { findKernelSpec } from "../jupyter/kernelspec";
import { readNotebook } from "../grader/notebook/io";
import { executeNotebook } from "../grader/run/executor";
import { startKernel } from "../jupyter/running-kernel";

const REPO = path.resolve(__dirname, "..", "..");
const PYTHON = "/usr/bin/python3";
const JUPYTER = "/usr/bin/jupyter";
const KERNEL = "tslab-bench";

export interface BenchOptions {
  /** Measurements per tool and measure; the median is reported. Default 3. */
  repeats?: number;
  /** Trivial cells in the synthetic notebook. Default 30. */
  cells?: number;
  /** Also time the week 7 notebooks end to end when they exist. Default true. */
  week7?: boolean;
  /** Measurements per tool for each week 7 notebook (they take minutes). Default 1. */
  week7Repeats?: number;
  /** Progress messages (default: none). */
  log?: (line: string) => void;
}

export interface BenchRow {
  measure: "kernel start" | "per-cell wall" | "per-cell client overhead" | "end-to-end wall";
  notebook: string;
  /** Median milliseconds over `samples`. */
  tsnbMs: number;
  nbclientMs: number;
  /** nbclientMs / tsnbMs: above 1 means tsnb is faster. */
  ratio: number;
  samples: { tsnb: number[]; nbclient: number[] };
}

const median = (xs: number[]) => {
  const s = [...xs].sort((a, b) => a - b);
  const m = Math.floor(s.length / 2);
  return s.length % 2 ? s[m] : (s[m - 1] + s[m]) / 2;
};

function timed(command: string, args: string[], env: NodeJS.ProcessEnv): Promise<number> {
  const started = process.hrtime.bigint();
  return new Promise((resolve, reject) => {
    const child = spawn(command, args, { env, cwd: REPO, stdio: ["ignore", "ignore", "pipe"] });
    let stderr = "";
    child.stderr.on("data", (d) => (stderr += d));
    child.on("error", reject);
    child.on("close", (code) => {
      const ms = Number(process.hrtime.bigint() - started) / 1e6;
      if (code !== 0) reject(new Error(`${command} ${args.join(" ")} exited with ${code}:\n${stderr.slice(-2000)}`));
      else resolve(ms);
    });
  });
}

function capture(command: string, args: string[], env: NodeJS.ProcessEnv): Promise<string> {
  return new Promise((resolve, reject) => {
    const child = spawn(command, args, { env, cwd: REPO, stdio: ["ignore", "pipe", "pipe"] });
    let stdout = "";
    let stderr = "";
    child.stdout.on("data", (d) => (stdout += d));
    child.stderr.on("data", (d) => (stderr += d));
    child.on("error", reject);
    child.on("close", (code) => (code === 0 ? resolve(stdout) : reject(new Error(`${command} exited with ${code}:\n${stderr.slice(-2000)}`))));
  });
}

/** Kernel start and per-cell timings with nbclient, measured inside Python. */
const NBCLIENT_CELLS = `
import json, sys, time, nbformat, datetime
from nbclient import NotebookClient
src, kernel = sys.argv[1], sys.argv[2]
nb = nbformat.read(src, as_version=4)
client = NotebookClient(nb, kernel_name=kernel, resources={"metadata": {"path": sys.argv[3]}})
t0 = time.perf_counter()
cells = []
with client.setup_kernel():
    start_ms = (time.perf_counter() - t0) * 1000
    info = client.wait_for_reply(client.kc.kernel_info())
    for i, cell in enumerate(nb.cells):
        s = time.perf_counter()
        client.execute_cell(cell, i)
        cells.append((time.perf_counter() - s) * 1000)
def ts(x):
    return datetime.datetime.strptime(x, "%Y-%m-%dT%H:%M:%S.%fZ").timestamp() * 1000
busy = [ts(c.metadata.execution["iopub.status.idle"]) - ts(c.metadata.execution["iopub.status.busy"]) for c in nb.cells]
print(json.dumps({"start": start_ms, "cells": cells, "busy": busy}))
`;

function kernelBusyMs(execution: unknown): number {
  const t = execution as Record<string, string>;
  return Date.parse(t["iopub.status.idle"]) - Date.parse(t["iopub.status.busy"]);
}

async function tsnbInProcess(file: string, env: NodeJS.ProcessEnv): Promise<{ start: number; cells: number[]; busy: number[] }> {
  const found = findKernelSpec(KERNEL, env);
  if (!found) throw new Error(`kernelspec ${KERNEL} not found`);
  const nb = await readNotebook(file);
  const t0 = performance.now();
  const kernel = await startKernel(found, { cwd: path.dirname(file), env });
  const start = performance.now() - t0;
  const cells: number[] = [];
  let cellStart = 0;
  try {
    const result = await executeNotebook(nb, kernel, {
      onCellStart: () => (cellStart = performance.now()),
      onCellDone: () => cells.push(performance.now() - cellStart),
    });
    const busy = result.notebook.cells.map((c) => kernelBusyMs(c.metadata.execution));
    return { start, cells, busy };
  } finally {
    await kernel.shutdown();
  }
}

function trivialNotebook(dir: string, cells: number): string {
  const file = path.join(dir, "bench-cells.ipynb");
  const nb = {
    nbformat: 4,
    nbformat_minor: 5,
    metadata: { kernelspec: { name: KERNEL, display_name: "TypeScript", language: "typescript" } },
    cells: Array.from({ length: cells }, (_, i) => ({
      cell_type: "code",
      id: `b${i}`,
      metadata: {},
      source: `const v${i}: number = ${i} * 2;\nconsole.log("cell", v${i});`,
      outputs: [],
      execution_count: null,
    })),
  };
  writeFileSync(file, JSON.stringify(nb));
  return file;
}

function week7(): string[] {
  const dir = path.join(REPO, "notebooks", "week07-cnn");
  return existsSync(dir) ? listNotebooks(dir) : [];
}

export async function runNotebookBench(options: BenchOptions = {}): Promise<BenchRow[]> {
  const repeats = options.repeats ?? 3;
  const log = options.log ?? (() => undefined);
  const prefix = mkdtempSync(path.join(os.tmpdir(), "tsnb-bench-jp-"));
  installKernelSpec("tslab", { prefix, name: KERNEL });
  const outDir = mkdtempSync(path.join(os.tmpdir(), "tsnb-bench-out-"));
  // The notebook must live inside the repository: tslab resolves node_modules from its folder.
  const nbDir = mkdtempSync(path.join(REPO, "tests", "fixtures", "run-notebooks", ".bench-"));
  const env: NodeJS.ProcessEnv = { ...process.env, JUPYTER_PATH: path.join(prefix, "share", "jupyter"), JUPYTER_RUNTIME_DIR: outDir };
  const rows: BenchRow[] = [];
  const row = (measure: BenchRow["measure"], notebook: string, tsnb: number[], nbclient: number[]) => {
    const r = { measure, notebook, tsnbMs: median(tsnb), nbclientMs: median(nbclient), ratio: median(nbclient) / median(tsnb), samples: { tsnb, nbclient } };
    rows.push(r);
    return r;
  };
  try {
    const trivial = trivialNotebook(nbDir, options.cells ?? 30);
    const label = `${options.cells ?? 30} trivial cells`;

    // In-process: kernel start, per-cell wall time, per-cell client overhead. Alternate tools.
    const start = { tsnb: [] as number[], nbclient: [] as number[] };
    const perCell = { tsnb: [] as number[], nbclient: [] as number[] };
    const overhead = { tsnb: [] as number[], nbclient: [] as number[] };
    for (let i = 0; i < repeats; i++) {
      log(`in-process round ${i + 1}/${repeats}`);
      const ours = await tsnbInProcess(trivial, env);
      const theirs = JSON.parse((await capture(PYTHON, ["-c", NBCLIENT_CELLS, trivial, KERNEL, nbDir], env)).trim().split("\n").pop()!) as {
        start: number;
        cells: number[];
        busy: number[];
      };
      for (const [into, r] of [
        ["tsnb", ours],
        ["nbclient", theirs],
      ] as const) {
        start[into].push(r.start);
        perCell[into].push(median(r.cells));
        overhead[into].push(median(r.cells.map((c, k) => c - r.busy[k])));
      }
    }
    row("kernel start", "-", start.tsnb, start.nbclient);
    row("per-cell wall", label, perCell.tsnb, perCell.nbclient);
    row("per-cell client overhead", label, overhead.tsnb, overhead.nbclient);

    // End to end, as child processes, the way people run them.
    const endToEnd = async (file: string, name: string, times: number) => {
      const samples = { tsnb: [] as number[], nbclient: [] as number[] };
      for (let i = 0; i < times; i++) {
        log(`end to end ${name} ${i + 1}/${times}`);
        samples.tsnb.push(
          await timed(process.execPath, [path.join(REPO, "bin", "tsnb.js"), "run", file, "--kernel", KERNEL, "-o", path.join(outDir, "tsnb.ipynb")], env),
        );
        samples.nbclient.push(
          await timed(
            JUPYTER,
            [
              "nbconvert",
              "--to",
              "notebook",
              "--execute",
              `--ExecutePreprocessor.kernel_name=${KERNEL}`,
              "--ExecutePreprocessor.timeout=-1",
              "--output-dir",
              outDir,
              "--output",
              "nbconvert.ipynb",
              file,
            ],
            env,
          ),
        );
      }
      row("end-to-end wall", name, samples.tsnb, samples.nbclient);
    };
    await endToEnd(trivial, label, repeats);
    if (options.week7 ?? true) {
      for (const file of week7()) await endToEnd(file, path.relative(REPO, file), options.week7Repeats ?? 1);
    }
  } finally {
    rmSync(nbDir, { recursive: true, force: true });
    rmSync(outDir, { recursive: true, force: true });
    rmSync(prefix, { recursive: true, force: true });
  }
  return rows;
}

export function formatBenchTable(rows: BenchRow[]): string {
  const header = ["measure", "notebook", "tsnb run (ms)", "nbclient (ms)", "nbclient/tsnb", "samples tsnb | nbclient"];
  const body = rows.map((r) => [
    r.measure,
    r.notebook,
    r.tsnbMs.toFixed(1),
    r.nbclientMs.toFixed(1),
    `${r.ratio.toFixed(2)}x`,
    `${r.samples.tsnb.map((x) => x.toFixed(0)).join(" ")} | ${r.samples.nbclient.map((x) => x.toFixed(0)).join(" ")}`,
  ]);
  const widths = header.map((h, i) => Math.max(h.length, ...body.map((b) => b[i].length)));
  const line = (cells: string[]) => cells.map((c, i) => (i >= 2 && i <= 4 ? c.padStart(widths[i]) : c.padEnd(widths[i]))).join("  ");
  return [line(header), widths.map((w) => "-".repeat(w)).join("  "), ...body.map(line)].join("\n");
}

if (require.main === module) {
  const args = process.argv.slice(2);
  const value = (flag: string) => {
    const i = args.indexOf(flag);
    return i >= 0 ? Number(args[i + 1]) : undefined;
  };
  runNotebookBench({
    repeats: value("--repeats"),
    cells: value("--cells"),
    week7: !args.includes("--no-week7"),
    week7Repeats: value("--week7-repeats"),
    log: (l) => process.stderr.write(`bench: ${l}\n`),
  }).then(
    (rows) => {
      process.stdout.write(`${formatBenchTable(rows)}\n`);
      process.stdout.write(
        `(machine: ${os.cpus().length} cores, load average ${os
          .loadavg()
          .map((x) => x.toFixed(2))
          .join(" ")})\n`,
      );
    },
    (err) => {
      process.stderr.write(`${(err as Error).stack}\n`);
      process.exitCode = 1;
    },
  );
}

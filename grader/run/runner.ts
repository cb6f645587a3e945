/**
 * Running several notebooks: check every input before starting anything (bad input is an
 * error with exit code 2, and nothing runs), then execute them, up to `jobs` at a time, each
 * in its own kernel, and write each result (also a partly executed one) atomically.
 */
import { promises as fs, existsSync, statSync } from "node:fs";
import path from "node:path";
import { MultiBar, Presets, SingleBar } from "cli-progress";
import { findKernelSpec, FoundKernelSpec, listKernelSpecs } from "../../jupyter/kernelspec";
import { jupyterDataPath } from "../../jupyter/paths";
import { startKernel } from "../../jupyter/running-kernel";
import { KIT_KERNEL_NAME } from "../kernel/kernelspec";
import { readNotebook, serializeNotebook, sourceText } from "../notebook/io";
import { Notebook, notebookSchema } from "../notebook/schema";
import { CellResult, executeNotebook, NotebookRunResult } from "./executor";

/** Bad input (missing file, not a notebook, unknown kernel, conflicting options): exit code 2. */
export class RunInputError extends Error {
  constructor(message: string) {
    super(message);
    this.name = "RunInputError";
  }
}

export interface PreparedRun {
  input: string;
  output: string;
  notebook: Notebook;
  kernel: FoundKernelSpec;
  cwd: string;
  codeCells: number;
}

export interface PrepareOptions {
  output?: string;
  inplace?: boolean;
  kernel?: string;
  cwd?: string;
  env?: NodeJS.ProcessEnv;
}

/** `dir/name.ipynb` -> `dir/name.out.ipynb`, the default output next to the input. */
export function defaultOutputPath(input: string): string {
  const ext = path.extname(input);
  const base = ext === ".ipynb" ? input.slice(0, -ext.length) : input;
  return `${base}.out.ipynb`;
}

export async function prepareRuns(files: string[], options: PrepareOptions = {}): Promise<PreparedRun[]> {
  const env = options.env ?? process.env;
  if (files.length === 0) throw new RunInputError("no notebooks given");
  if (options.output && options.inplace) throw new RunInputError("choose one of --output and --inplace");
  if (options.output && files.length > 1)
    throw new RunInputError(`--output names one file, but ${files.length} notebooks were given; use --inplace or the default <name>.out.ipynb`);
  if (options.cwd && !(existsSync(options.cwd) && statSync(options.cwd).isDirectory())) {
    throw new RunInputError(`--cwd ${options.cwd}: no such directory`);
  }
  const seen = new Set<string>();
  const runs: PreparedRun[] = [];
  for (const file of files) {
    const input = path.resolve(file);
    if (seen.has(input)) throw new RunInputError(`${file} is given twice`);
    seen.add(input);
    if (!existsSync(input)) throw new RunInputError(`${file}: no such file`);
    if (statSync(input).isDirectory()) throw new RunInputError(`${file} is a directory, not a notebook`);
    const notebook = await readNotebook(input); // throws NotebookError, reported with exit code 2
    const kernelName = options.kernel ?? notebook.metadata.kernelspec?.name ?? KIT_KERNEL_NAME;
    const kernel = findKernelSpec(kernelName, env);
    if (!kernel) {
      const available = listKernelSpecs(env);
      throw new RunInputError(
        `${file}: unknown kernel ${JSON.stringify(kernelName)}; available kernels: ${available.length ? available.join(", ") : "(none)"}` +
          ` (searched ${jupyterDataPath(env)
            .map((d) => path.join(d, "kernels"))
            .join(", ")}; install the kit's kernels with \`tsnb kernel install\`)`,
      );
    }
    const output = options.inplace ? input : path.resolve(options.output ?? defaultOutputPath(input));
    const outDir = path.dirname(output);
    if (!existsSync(outDir)) throw new RunInputError(`cannot write ${output}: folder ${outDir} does not exist`);
    const codeCells = notebook.cells.filter(
      (c) => c.cell_type === "code" && sourceText(c).trim() && !(Array.isArray(c.metadata.tags) && c.metadata.tags.includes("skip-execution")),
    ).length;
    runs.push({ input, output, notebook, kernel, cwd: path.resolve(options.cwd ?? path.dirname(input)), codeCells });
  }
  const outputs = new Set<string>();
  for (const run of runs) {
    if (outputs.has(run.output)) throw new RunInputError(`two notebooks would be written to ${run.output}`);
    outputs.add(run.output);
  }
  return runs;
}

export type RunStatus = "ok" | "errors-allowed" | "failed" | "kernel-error" | "cancelled";

export interface RunOutcome {
  input: string;
  output: string;
  status: RunStatus;
  written: boolean;
  /** One line for humans. */
  summary: string;
  durationMs: number;
  kernelStartMs?: number;
  result?: NotebookRunResult;
  error?: Error;
}

export interface RunOptions {
  timeoutMs?: number;
  startupTimeoutMs?: number;
  allowErrors?: boolean;
  jobs?: number;
  env?: NodeJS.ProcessEnv;
  signal?: AbortSignal;
  /** "bar" draws cli-progress bars, "lines" prints one line per finished notebook, "none" prints nothing. */
  progress?: "bar" | "lines" | "none";
  stream?: NodeJS.WritableStream;
  /** Options passed through to the executor (tests tune these). */
  interruptGraceMs?: number;
  abortRetryDelaysMs?: number[];
}

async function writeAtomically(file: string, nb: Notebook): Promise<void> {
  const text = serializeNotebook(notebookSchema.parse(nb));
  const tmp = path.join(path.dirname(file), `.${path.basename(file)}.${process.pid}.${Date.now()}.tmp`);
  await fs.writeFile(tmp, text);
  await fs.rename(tmp, file);
}

function relative(file: string): string {
  const rel = path.relative(process.cwd(), file);
  return rel && !rel.startsWith("..") ? rel : file;
}

function describeCell(nb: Notebook, result: CellResult): string {
  const ordinal = nb.cells.slice(0, result.index + 1).filter((c) => c.cell_type === "code").length;
  const what = result.ename ? `${result.ename}${result.evalue ? `: ${result.evalue.split("\n")[0]}` : ""}` : result.status;
  return `code cell ${ordinal} (#${result.index}${result.id ? `, id ${result.id}` : ""}): ${what}`;
}

function summarize(run: PreparedRun, outcome: Omit<RunOutcome, "summary">): string {
  const seconds = (outcome.durationMs / 1000).toFixed(1);
  const result = outcome.result;
  const counts = result ? `${result.stats.executedCells}/${result.stats.codeCells} cells` : `0/${run.codeCells} cells`;
  const target = outcome.written ? ` -> ${relative(outcome.output)}` : "";
  const label = { ok: "ok", "errors-allowed": "ok*", failed: "FAILED", "kernel-error": "ERROR", cancelled: "CANCELLED" }[outcome.status];
  let detail = "";
  if (outcome.status === "errors-allowed" && result) {
    const failed = result.cells.filter((c) => c.status !== "ok");
    detail = `; ${failed.length} cell${failed.length === 1 ? "" : "s"} failed (allowed): ${describeCell(result.notebook, failed[0])}`;
  } else if ((outcome.status === "failed" || outcome.status === "cancelled") && result?.stoppedAt) {
    detail = `; stopped at ${describeCell(result.notebook, result.stoppedAt)}`;
  }
  if (outcome.error) detail += `; ${outcome.error.message.split("\n")[0]}`;
  return `${label.padEnd(9)} ${relative(run.input)} (${counts}, ${seconds} s)${detail}${target}`;
}

/** Execute one prepared notebook in a fresh kernel and write the result. */
export async function runOne(run: PreparedRun, options: RunOptions, onProgress?: (done: number, status: string) => void): Promise<RunOutcome> {
  const started = Date.now();
  const finish = (o: Omit<RunOutcome, "summary" | "durationMs" | "input" | "output">): RunOutcome => {
    const full = { ...o, input: run.input, output: run.output, durationMs: Date.now() - started };
    return { ...full, summary: summarize(run, full) };
  };
  if (options.signal?.aborted) return finish({ status: "cancelled", written: false });
  let kernel;
  try {
    onProgress?.(0, "starting kernel");
    kernel = await startKernel(run.kernel, { cwd: run.cwd, env: options.env, startupTimeoutMs: options.startupTimeoutMs, signal: options.signal });
  } catch (err) {
    if (options.signal?.aborted) return finish({ status: "cancelled", written: false });
    return finish({ status: "kernel-error", written: false, error: err as Error });
  }
  const kernelStartMs = Date.now() - started;
  let result: NotebookRunResult;
  try {
    result = await executeNotebook(run.notebook, kernel, {
      timeoutMs: options.timeoutMs,
      allowErrors: options.allowErrors,
      signal: options.signal,
      interruptGraceMs: options.interruptGraceMs,
      abortRetryDelaysMs: options.abortRetryDelaysMs,
      onCellStart: ({ done }) => onProgress?.(done, "running"),
      onCellDone: (_r, { done }) => onProgress?.(done, "running"),
    });
  } finally {
    await kernel.shutdown().catch(() => undefined);
  }
  const cancelled = result.stoppedAt?.status === "cancelled";
  const status: RunStatus = cancelled ? "cancelled" : result.stoppedAt ? "failed" : result.completed ? "ok" : "errors-allowed";
  try {
    await writeAtomically(run.output, result.notebook);
  } catch (err) {
    const error = new Error(`could not write ${run.output}: ${(err as Error).message}`);
    return finish({ status: status === "cancelled" ? status : "failed", written: false, result, kernelStartMs, error });
  }
  return finish({ status, written: true, result, kernelStartMs });
}

/** Run all prepared notebooks, `jobs` at a time, reporting progress on `stream` (stderr). */
export async function runAll(runs: PreparedRun[], options: RunOptions = {}): Promise<RunOutcome[]> {
  const stream = options.stream ?? process.stderr;
  const jobs = Math.max(1, Math.min(options.jobs ?? 1, runs.length));
  const progress = options.progress ?? "lines";
  const outcomes = new Array<RunOutcome>(runs.length);
  let multibar: MultiBar | undefined;
  if (progress === "bar") {
    multibar = new MultiBar(
      {
        stream,
        format: "{bar} {value}/{total} cells | {name} | {status}",
        hideCursor: true,
        clearOnComplete: false,
        stopOnComplete: false,
        fps: 5,
        autopadding: true,
        gracefulExit: false, // tsnb handles SIGINT itself (interrupts cells, writes notebooks)
      },
      Presets.shades_classic,
    );
  }
  // With bars, each notebook's bar stays with its final status and the summary lines follow
  // once all bars are done; without, a summary line is printed as each notebook finishes.
  const print = (line: string) => {
    if (progress === "lines") stream.write(`${line}\n`);
  };
  let next = 0;
  const worker = async () => {
    while (next < runs.length) {
      const i = next++;
      const run = runs[i];
      let bar: SingleBar | undefined;
      if (multibar) bar = multibar.create(Math.max(run.codeCells, 1), 0, { name: relative(run.input), status: "queued" });
      const outcome = await runOne(run, options, (done, status) => bar?.update(done, { status }));
      bar?.update(outcome.result?.stats.executedCells ?? 0, { status: outcome.summary.split(" ")[0] });
      outcomes[i] = outcome;
      print(outcome.summary);
    }
  };
  try {
    await Promise.all(Array.from({ length: jobs }, worker));
  } finally {
    multibar?.stop();
  }
  if (multibar) for (const o of outcomes) if (o) stream.write(`${o.summary}\n`);
  return outcomes;
}

/** 0: every notebook ran cleanly (or with errors allowed); 1: a failure; 130: cancelled. */
export function exitCodeFor(outcomes: RunOutcome[]): number {
  if (outcomes.some((o) => o.status === "cancelled")) return 130;
  if (outcomes.some((o) => o.status === "failed" || o.status === "kernel-error")) return 1;
  return 0;
}

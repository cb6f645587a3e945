/**
 * Executing a notebook's code cells, in order, on a running kernel, and writing the results
 * back as nbformat v4 outputs, with nbclient's execution_count and timing metadata.
 *
 * A cell is finished when the client has both its execute_reply (shell) and the
 * `status: idle` message (iopub) whose parent is its execute_request; only then have all
 * of its outputs arrived, since iopub preserves order.
 *
 * The kit's own kernel (kernel/) speaks the protocol as the spec says: error messages,
 * execute_input, execute_result, aborts only on stop_on_error. What follows is for tslab, which
 * notebooks may still name. tslab's quirks, and what we do about them:
 *  1. A failed cell produces no iopub `error` message: tslab prints the failure to stderr and
 *     replies `status: "error"` with no ename/evalue. We rebuild a proper `error` output from
 *     what it printed (tslab-errors.ts) and move that text out of the stderr stream into the
 *     error's traceback.
 *  2. For 200 ms after a failure tslab answers every execute_request with `status: "abort"`
 *     without running it. With --allow-errors we notice the aborted reply and send the cell
 *     again after a short, growing delay (nbclient instead records the cell as run, with no
 *     outputs).
 *  3. tslab prints the value of a cell's last expression on stdout instead of sending an
 *     `execute_result`. We keep it as the stdout stream output it is.
 */
import { sourceText } from "../notebook/io";
import { CodeCell, Notebook } from "../notebook/schema";
import { RunningKernel } from "../../jupyter/running-kernel";
import { NotebookOutputs } from "./outputs";
import { parseTslabFailure } from "./tslab-errors";
import { JupyterMessage } from "../../jupyter/wire";

export type CellStatus = "ok" | "error" | "timeout" | "dead" | "cancelled";

export interface CellResult {
  /** Index in notebook.cells. */
  index: number;
  id?: string;
  status: CellStatus;
  ename?: string;
  evalue?: string;
  durationMs: number;
  /** execute_requests sent for this cell (more than 1 when tslab aborted it). */
  attempts: number;
}

export interface ExecuteOptions {
  /** Per-cell timeout in milliseconds; undefined or <= 0 means no limit. */
  timeoutMs?: number;
  /** Record errors in the notebook and go on with the next cell. */
  allowErrors?: boolean;
  /** After interrupting a timed-out cell, how long to wait for its reply before killing the kernel. */
  interruptGraceMs?: number;
  /** After the execute_reply, how long to wait for the idle status before moving on. */
  iopubTimeoutMs?: number;
  /** Delays before re-sending an aborted execute_request; its length bounds the retries. */
  abortRetryDelaysMs?: number[];
  /** Aborting this cancels the run: the current cell is interrupted and the run stops. */
  signal?: AbortSignal;
  onCellStart?: (event: { index: number; done: number; total: number }) => void;
  onCellDone?: (result: CellResult, event: { done: number; total: number }) => void;
}

export interface NotebookRunResult {
  notebook: Notebook;
  cells: CellResult[];
  /** The cell that stopped the run, if one did. */
  stoppedAt?: CellResult;
  /** True when every code cell ran and none failed (errors allowed by --allow-errors still count as failed cells). */
  completed: boolean;
  stats: { abortedReplies: number; missingIdle: number; codeCells: number; executedCells: number };
}

export const DEFAULT_ABORT_RETRY_DELAYS_MS = [50, 100, 150, 250, 400, 600, 1000, 1500, 2000, 3000];

/** While a cell ignores an interrupt, how often to send another. */
const REINTERRUPT_MS = 1000;

const sleep = (ms: number) => new Promise<void>((r) => setTimeout(r, ms));

/** nbclient's timestamp format: UTC with six fractional digits, e.g. 2024-05-01T12:00:00.123000Z. */
export function formatTimestamp(date: string | undefined): string {
  const m = date ? /^(\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d)(?:\.(\d+))?(Z|[+-]00:?00)?$/i.exec(date) : null;
  if (m) return `${m[1]}.${(m[2] ?? "").padEnd(6, "0").slice(0, 6)}Z`;
  const parsed = date ? new Date(date) : new Date(NaN);
  const d = Number.isNaN(parsed.getTime()) ? new Date() : parsed;
  return d.toISOString().replace(/\.(\d{3})Z$/, ".$1000Z");
}

function isExecutable(cell: CodeCell): boolean {
  const tags = cell.metadata.tags;
  if (Array.isArray(tags) && tags.includes("skip-execution")) return false;
  return sourceText(cell).trim().length > 0;
}

function allowsErrors(cell: CodeCell, options: ExecuteOptions): boolean {
  const tags = cell.metadata.tags;
  return Boolean(options.allowErrors) || (Array.isArray(tags) && tags.includes("raises-exception"));
}

interface AttemptOutcome {
  kind: "ok" | "error" | "abort" | "timeout" | "dead" | "cancelled";
  reply?: JupyterMessage;
  ename?: string;
  evalue?: string;
}

/** Run every code cell of `input` (not modified) on `kernel`; returns the executed copy. */
export async function executeNotebook(input: Notebook, kernel: RunningKernel, options: ExecuteOptions = {}): Promise<NotebookRunResult> {
  const notebook = structuredClone(input);
  const info = kernel.kernelInfo?.language_info;
  if (info && typeof info === "object") notebook.metadata.language_info = info as Notebook["metadata"]["language_info"];
  const outputs = new NotebookOutputs();
  const stats = { abortedReplies: 0, missingIdle: 0, codeCells: 0, executedCells: 0 };
  const cells: CellResult[] = [];
  const runnable = notebook.cells
    .map((cell, index) => ({ cell, index }))
    .filter((c): c is { cell: CodeCell; index: number } => c.cell.cell_type === "code" && isExecutable(c.cell));
  stats.codeCells = runnable.length;
  let stoppedAt: CellResult | undefined;
  let done = 0;

  for (const { cell, index } of runnable) {
    if (stoppedAt) {
      // Not reached: clear what an earlier run left, so the file only shows this run.
      cell.outputs = [];
      cell.execution_count = null;
      delete cell.metadata.execution;
      continue;
    }
    options.onCellStart?.({ index, done, total: runnable.length });
    const result = await executeCell(kernel, outputs, cell, index, options, stats);
    if (kernel.dead && result.status === "ok") {
      // The cell finished, but the kernel died right after (e.g. a timer it started called
      // process.exit): it is the likeliest culprit, and the run cannot go on.
      const evalue = `The kernel died just after this cell finished: ${kernel.deathInfo?.message ?? "unknown cause"}`;
      outputs.add(cell, { output_type: "error", ename: "DeadKernelError", evalue, traceback: [`DeadKernelError: ${evalue}`] });
      Object.assign(result, { status: "dead", ename: "DeadKernelError", evalue });
    }
    cells.push(result);
    stats.executedCells++;
    done++;
    options.onCellDone?.(result, { done, total: runnable.length });
    const stops =
      result.status === "dead" ||
      result.status === "cancelled" ||
      ((result.status === "error" || result.status === "timeout") && !allowsErrors(cell, options)) ||
      // A timed-out cell whose kernel had to be killed leaves nothing to run the rest on.
      kernel.dead;
    if (stops) stoppedAt = result;
  }
  const completed = !stoppedAt && cells.every((c) => c.status === "ok");
  return { notebook, cells, stoppedAt, completed, stats };
}

async function executeCell(
  kernel: RunningKernel,
  outputs: NotebookOutputs,
  cell: CodeCell,
  index: number,
  options: ExecuteOptions,
  stats: NotebookRunResult["stats"],
): Promise<CellResult> {
  const started = Date.now();
  const delays = options.abortRetryDelaysMs ?? DEFAULT_ABORT_RETRY_DELAYS_MS;
  let attempts = 0;
  let outcome: AttemptOutcome;
  for (;;) {
    attempts++;
    outcome = await attemptCell(kernel, outputs, cell, options, allowsErrors(cell, options), stats);
    if (outcome.kind !== "abort") break;
    stats.abortedReplies++;
    if (attempts > delays.length) {
      const evalue = `the kernel aborted this cell ${attempts} time${attempts === 1 ? "" : "s"} in a row without running it`;
      outputs.add(cell, { output_type: "error", ename: "ExecutionAborted", evalue, traceback: [`ExecutionAborted: ${evalue}`] });
      outcome = { kind: "error", ename: "ExecutionAborted", evalue };
      break;
    }
    await sleep(delays[attempts - 1]);
  }
  const status: CellStatus = outcome.kind === "abort" ? "error" : outcome.kind;
  return { index, id: cell.id, status, ename: outcome.ename, evalue: outcome.evalue, durationMs: Date.now() - started, attempts };
}

async function attemptCell(
  kernel: RunningKernel,
  outputs: NotebookOutputs,
  cell: CodeCell,
  options: ExecuteOptions,
  cellAllowsErrors: boolean,
  stats: NotebookRunResult["stats"],
): Promise<AttemptOutcome> {
  const { client } = kernel;
  outputs.reset(cell);
  cell.execution_count = null;
  const timing: Record<string, string> = {};
  cell.metadata.execution = timing;

  let reply: JupyterMessage | undefined;
  let replyAt = 0;
  let idle = false;
  let sawIopubError = false;
  let inputCount: number | null = null;
  const stderrMessages: string[] = [];
  let notify: () => void = () => undefined;
  const changed = (ms: number) =>
    new Promise<void>((resolve) => {
      const timer = setTimeout(resolve, Math.max(0, ms));
      notify = () => {
        clearTimeout(timer);
        resolve();
      };
    });

  const onIopub = (msg: JupyterMessage) => {
    const type = msg.header.msg_type;
    if (type === "status") {
      const state = msg.content.execution_state;
      if (state === "busy") timing["iopub.status.busy"] = formatTimestamp(msg.header.date);
      if (state === "idle") {
        timing["iopub.status.idle"] = formatTimestamp(msg.header.date);
        idle = true;
      }
    } else if (type === "execute_input") {
      timing["iopub.execute_input"] = formatTimestamp(msg.header.date);
      if (typeof msg.content.execution_count === "number") inputCount = msg.content.execution_count;
    } else {
      if (type === "stream" && msg.content.name === "stderr" && typeof msg.content.text === "string") stderrMessages.push(msg.content.text);
      if (type === "error") sawIopubError = true;
      outputs.apply(cell, msg);
    }
    notify();
  };

  const sent = client.request(
    "shell",
    "execute_request",
    {
      code: sourceText(cell),
      silent: false,
      store_history: true,
      user_expressions: {},
      allow_stdin: false,
      stop_on_error: !cellAllowsErrors,
    },
    (msgId) => client.onIopubFor(msgId, onIopub),
  );
  sent.reply.then(
    (msg) => {
      reply = msg;
      replyAt = Date.now();
      timing["shell.execute_reply"] = formatTimestamp(msg.header.date);
      notify();
    },
    () => notify(),
  );
  void kernel.death.then(() => notify());
  const onAbort = () => notify();
  options.signal?.addEventListener("abort", onAbort);

  const sentAt = Date.now();
  const timeoutMs = options.timeoutMs && options.timeoutMs > 0 ? options.timeoutMs : undefined;
  const graceMs = options.interruptGraceMs ?? 5000;
  const iopubTimeoutMs = options.iopubTimeoutMs ?? 4000;
  let interruptedAt: number | undefined;
  let lastInterruptAt = 0;
  let timedOut = false;
  let cancelled = false;
  let killedAfterTimeout = false;

  try {
    for (;;) {
      if (reply && idle) break;
      if (kernel.dead) {
        await sleep(100); // let iopub messages the kernel sent just before dying arrive
        break;
      }
      const now = Date.now();
      if (options.signal?.aborted && !cancelled) {
        cancelled = true;
        interruptedAt ??= now;
        lastInterruptAt = now;
        kernel.interrupt();
        continue;
      }
      if (timeoutMs !== undefined && !timedOut && !reply && now - sentAt >= timeoutMs) {
        timedOut = true;
        interruptedAt ??= now;
        lastInterruptAt = now;
        kernel.interrupt();
        continue;
      }
      if (interruptedAt !== undefined && !reply && now - lastInterruptAt >= REINTERRUPT_MS && now - interruptedAt < graceMs) {
        // A SIGINT that lands while tslab is still compiling the cell is lost (Node only breaks
        // into running vm code), so keep interrupting until the cell stops.
        lastInterruptAt = now;
        kernel.interrupt();
        continue;
      }
      if (interruptedAt !== undefined && !reply && now - interruptedAt >= graceMs) {
        if (timedOut) killedAfterTimeout = true;
        await kernel.kill(`the kernel did not stop within ${Math.round(graceMs / 1000)} s of being interrupted and was killed`);
        continue;
      }
      if (reply && !idle && now - replyAt >= iopubTimeoutMs) {
        stats.missingIdle++;
        break;
      }
      const deadlines = [
        timeoutMs !== undefined && !timedOut && !reply ? sentAt + timeoutMs : Infinity,
        interruptedAt !== undefined && !reply ? Math.min(interruptedAt + graceMs, lastInterruptAt + REINTERRUPT_MS) : Infinity,
        reply && !idle ? replyAt + iopubTimeoutMs : Infinity,
      ];
      const next = Math.min(...deadlines);
      await changed(next === Infinity ? 60_000 : next - now);
    }
  } finally {
    options.signal?.removeEventListener("abort", onAbort);
    client.offIopubFor(sent.msgId);
    client.forget(sent.msgId);
  }

  const content = reply?.content ?? {};
  cell.execution_count = typeof content.execution_count === "number" ? content.execution_count : inputCount;

  // Whatever the kernel reported about the failure moves into our error output: its error
  // outputs (the kit's kernel reports the interrupt), or what tslab printed on stderr.
  const takeKernelErrorText = (): string[] => {
    const reported = outputs.removeErrors(cell).flatMap((e) => e.traceback);
    if (reported.length) return reported;
    const parsed = parseTslabFailure(stderrMessages);
    if (!parsed) return [];
    const region = stderrMessages.slice(-parsed.messageCount);
    for (const text of [...region].reverse()) if (!outputs.removeStderrSuffix(cell, text)) break;
    return parsed.traceback;
  };

  if (timedOut && (!reply || reply.content.status !== "ok")) {
    const seconds = (timeoutMs! / 1000).toString();
    const evalue = killedAfterTimeout
      ? `Cell execution timed out after ${seconds} s; the kernel did not stop when interrupted and was killed`
      : `Cell execution timed out after ${seconds} s and was interrupted`;
    const kernelText = reply ? takeKernelErrorText() : [];
    outputs.add(cell, { output_type: "error", ename: "CellTimeoutError", evalue, traceback: [`CellTimeoutError: ${evalue}`, ...kernelText] });
    return { kind: "timeout", reply, ename: "CellTimeoutError", evalue };
  }
  if (cancelled && (!reply || reply.content.status !== "ok")) {
    const evalue = "the run was cancelled (SIGINT/SIGTERM) while this cell was executing";
    const kernelText = reply ? takeKernelErrorText() : [];
    outputs.add(cell, { output_type: "error", ename: "KeyboardInterrupt", evalue, traceback: [`KeyboardInterrupt: ${evalue}`, ...kernelText] });
    return { kind: "cancelled", reply, ename: "KeyboardInterrupt", evalue };
  }
  if (!reply) {
    const death = kernel.deathInfo;
    const evalue = `The kernel died while this cell was executing: ${death?.message ?? "no reply"}`;
    const tail = kernel.process.outputTail().trimEnd();
    const traceback = [`DeadKernelError: ${evalue}`];
    if (tail) traceback.push("--- kernel output ---", ...tail.split("\n").slice(-20));
    outputs.add(cell, { output_type: "error", ename: "DeadKernelError", evalue, traceback });
    return { kind: "dead", ename: "DeadKernelError", evalue };
  }
  const status = content.status;
  if (status === "ok") return { kind: "ok", reply };
  if (status === "abort" || status === "aborted") {
    outputs.reset(cell);
    return { kind: "abort", reply };
  }
  // status "error"
  if (sawIopubError) {
    const err = cell.outputs.find((o) => o.output_type === "error");
    return { kind: "error", reply, ename: err?.output_type === "error" ? err.ename : undefined, evalue: err?.output_type === "error" ? err.evalue : undefined };
  }
  if (typeof content.ename === "string" && content.ename) {
    const evalue = typeof content.evalue === "string" ? content.evalue : "";
    const traceback = Array.isArray(content.traceback) ? content.traceback.map(String) : [`${content.ename}: ${evalue}`];
    outputs.add(cell, { output_type: "error", ename: content.ename, evalue, traceback });
    return { kind: "error", reply, ename: content.ename, evalue };
  }
  // tslab: rebuild the error from what it printed.
  const parsed = parseTslabFailure(stderrMessages);
  if (parsed) {
    takeKernelErrorText();
    outputs.add(cell, { output_type: "error", ename: parsed.ename, evalue: parsed.evalue, traceback: parsed.traceback });
    return { kind: "error", reply, ename: parsed.ename, evalue: parsed.evalue };
  }
  const evalue = "the kernel reported an error but printed nothing about it";
  outputs.add(cell, { output_type: "error", ename: "Error", evalue, traceback: [`Error: ${evalue}`] });
  return { kind: "error", reply, ename: "Error", evalue };
}

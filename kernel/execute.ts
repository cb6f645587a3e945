/**
 * One execute_request, as the messaging spec describes it: execute_input on iopub (with the
 * execution count, unless silent), the cell's streams and displays, an execute_result for the
 * value of its last expression, an `error` message when it fails, and the content of the
 * execute_reply (status "ok" or "error" with ename, evalue and traceback).
 */
import { inspect } from "node:util";
import type { JupyterMessage } from "../jupyter/wire";
import type { Engine, RunOutcome } from "./engine";
import type { OutputRouter } from "./output";
import { compileErrorContent, ErrorContent, interruptedContent, runtimeErrorContent } from "./traceback";

export interface ExecuteState {
  /** The execution counter (In [n]); counts requests that store history. */
  count: number;
  /** Code of every request that stored history, in order (for history_request). */
  history: string[];
}

export interface ExecuteDeps {
  engine: () => Engine;
  output: OutputRouter;
  state: ExecuteState;
  cwd: string;
}

export interface ExecuteOutcome {
  reply: Record<string, unknown>;
  /** The request failed (the reply's status is "error"). */
  failed: boolean;
}

/** The text/plain form of a value, as Node's REPL shows it. */
export function plainText(value: unknown): string {
  return inspect(value, { depth: 4, colors: false, maxArrayLength: 100, maxStringLength: 10_000, breakLength: 100 });
}

function errorFor(outcome: RunOutcome, label: string, code: string, cwd: string): ErrorContent | undefined {
  switch (outcome.kind) {
    case "compile-error":
      return compileErrorContent(outcome.diagnostics, label, code.split(/\r?\n/), cwd);
    case "runtime-error":
      return runtimeErrorContent(outcome.error);
    case "interrupted":
      return interruptedContent(label);
    default:
      return undefined;
  }
}

function engineOrError(deps: ExecuteDeps): Engine | ErrorContent {
  try {
    return deps.engine();
  } catch (err) {
    const evalue = `the TypeScript engine could not start: ${(err as Error).message}`;
    return { ename: "KernelError", evalue, traceback: [`KernelError: ${evalue}`] };
  }
}

async function userExpressions(engine: Engine, expressions: Record<string, unknown>, cwd: string): Promise<Record<string, unknown>> {
  const results: Record<string, unknown> = {};
  for (const [name, expression] of Object.entries(expressions)) {
    const code = `(${String(expression)})`;
    const outcome = await engine.run(code, { label: `user_expressions[${JSON.stringify(name)}]`, commit: false });
    const error = errorFor(outcome, name, code, cwd);
    results[name] = error
      ? { status: "error", ...error }
      : { status: "ok", data: { "text/plain": outcome.kind === "ok" && outcome.hasValue ? plainText(outcome.value) : "undefined" }, metadata: {} };
  }
  return results;
}

export async function executeRequest(msg: JupyterMessage, deps: ExecuteDeps): Promise<ExecuteOutcome> {
  const { output, state } = deps;
  const content = msg.content;
  const code = typeof content.code === "string" ? content.code : "";
  const silent = content.silent === true;
  // Blank code runs nothing and, as in IPython, does not advance the counter.
  const storeHistory = !silent && content.store_history !== false && code.trim() !== "";
  output.setParent(msg, silent);
  if (storeHistory) {
    state.count++;
    state.history.push(code);
  }
  const count = state.count;
  const label = storeHistory ? `In [${count}]` : "In [ ]";
  // Awaited: a front end should see the cell start even if it then blocks this thread for minutes.
  await output.publish("execute_input", { code, execution_count: count });
  if (!code.trim()) return { reply: { status: "ok", execution_count: count, user_expressions: {}, payload: [] }, failed: false };

  const engine = engineOrError(deps);
  let error: ErrorContent | undefined;
  let outcome: RunOutcome | undefined;
  if ("run" in engine) {
    outcome = await engine.run(code, { label });
    error = errorFor(outcome, label, code, deps.cwd);
  } else {
    error = engine;
  }
  if (outcome?.kind === "ok") {
    if (outcome.warnings?.length)
      output.write("stderr", compileErrorContent(outcome.warnings, label, code.split(/\r?\n/), deps.cwd).traceback.slice(1).join("\n") + "\n");
    if (outcome.hasValue) void output.publish("execute_result", { execution_count: count, data: { "text/plain": plainText(outcome.value) }, metadata: {} });
  }
  if (error) {
    await output.publish("error", error);
    return { reply: { status: "error", execution_count: count, ...error }, failed: true };
  }
  const expressions = content.user_expressions;
  const evaluated =
    expressions && typeof expressions === "object" && Object.keys(expressions).length > 0 && "run" in engine
      ? await userExpressions(engine, expressions as Record<string, unknown>, deps.cwd)
      : {};
  await output.flush();
  return { reply: { status: "ok", execution_count: count, user_expressions: evaluated, payload: [] }, failed: false };
}

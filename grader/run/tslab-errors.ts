/**
 * tslab reports a failed cell only by printing to stderr and answering execute_request with
 * `status: "error"` (no iopub `error` message; the reply has no ename/evalue/traceback).
 * It prints with console.error, one stream message per call:
 *  - a compile failure prints one message per TypeScript diagnostic, "LINE:COL - text"
 *    (prefixed by a file name for module cells), and runs nothing;
 *  - a runtime failure prints the thrown value once, as util.inspect shows it: for errors
 *    thrown by cell code, Node's decorated stack ("evalmachine.<anonymous>:7", the source
 *    line, a caret line, a blank line) and then "TypeError: message" and the "    at" frames.
 * This module recognises those messages and turns them into nbformat `error` fields.
 */

export interface ParsedKernelError {
  kind: "compile" | "runtime" | "unknown";
  ename: string;
  evalue: string;
  traceback: string[];
  /** How many of the trailing stderr messages the error consists of. */
  messageCount: number;
}

/** tslab's diagnostic line: optional file name, then "line:col - message". */
const DIAGNOSTIC = /^(?:(\S.*?) )?(\d+):(\d+) - ([\s\S]*?)\n?$/;
/** "Name: message" or "Name [CODE]: message" or just "Name", the first line of an error's stack. */
const ERROR_HEADER = /^([A-Za-z_$][\w$]*(?:\.[A-Za-z_$][\w$]*)*)(?: \[[^\]\n]*\])?(?:: ([\s\S]*))?$/;
const STACK_FRAME = /^\s+at\s/;

export function isDiagnosticMessage(text: string): boolean {
  return DIAGNOSTIC.test(text);
}

function toLines(text: string): string[] {
  return text.replace(/\n$/, "").split("\n");
}

/** Parse the value tslab printed for a runtime failure (one console.error message). */
export function parseRuntimeError(text: string): { ename: string; evalue: string } {
  let lines = toLines(text);
  // Node's decoration for errors thrown from vm code: "file:line", source, caret, blank line.
  if (lines.length > 3 && /:\d+$/.test(lines[0])) {
    const blank = lines.indexOf("");
    if (blank > 0 && blank <= 4) lines = lines.slice(blank + 1);
  }
  const firstFrame = lines.findIndex((l) => STACK_FRAME.test(l));
  const headerLines = firstFrame >= 0 ? lines.slice(0, firstFrame) : lines;
  const header = ERROR_HEADER.exec(headerLines[0] ?? "");
  if (header && (firstFrame >= 0 || headerLines[0].includes(": "))) {
    const rest = [header[2] ?? "", ...headerLines.slice(1)].join("\n");
    return { ename: header[1], evalue: rest.trim() };
  }
  // A thrown non-Error value (a string, an object): tslab prints it as inspected.
  return { ename: "Uncaught", evalue: text.trim() };
}

/**
 * Find the error in the stderr messages a failed cell produced (in order). Returns undefined
 * when there is nothing on stderr to build an error from.
 */
export function parseTslabFailure(stderrMessages: string[]): ParsedKernelError | undefined {
  if (stderrMessages.length === 0) return undefined;
  let count = 0;
  while (count < stderrMessages.length && isDiagnosticMessage(stderrMessages[stderrMessages.length - 1 - count])) count++;
  if (count > 0) {
    const diagnostics = stderrMessages.slice(-count);
    const first = DIAGNOSTIC.exec(diagnostics[0])!;
    const where = first[1] ? `${first[1]} ${first[2]}:${first[3]}` : `${first[2]}:${first[3]}`;
    const more = count > 1 ? ` (and ${count - 1} more ${count === 2 ? "error" : "errors"})` : "";
    return {
      kind: "compile",
      ename: "CompileError",
      evalue: `${where} - ${first[4].trim()}${more}`,
      traceback: diagnostics.flatMap(toLines),
      messageCount: count,
    };
  }
  const last = stderrMessages[stderrMessages.length - 1];
  const { ename, evalue } = parseRuntimeError(last);
  return { kind: ename === "Uncaught" ? "unknown" : "runtime", ename, evalue, traceback: toLines(last), messageCount: 1 };
}

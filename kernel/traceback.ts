/**
 * Failures as Jupyter error contents (ename, evalue, traceback), written for learners.
 *
 * A runtime error's traceback lists the frames of the learner's own code, innermost first, each
 * as "In [12], line 8, in conv2dForward" with the line of source under it. Frames of Node, of
 * tslab, of the kernel and of other libraries are left out. Frames of the course helpers are
 * kept only when the error was raised inside the helpers (their innermost frame is nearer the
 * throw than any cell's): when a helper merely passed on a learner's error (whenImplemented
 * rethrows it), the blame stays with the learner's cell.
 *
 * A compile failure lists every TypeScript diagnostic with its line and column in the cell.
 */
import { readFileSync, realpathSync } from "node:fs";
import path from "node:path";
import { inspect } from "node:util";
import { originalPositionFor, TraceMap } from "@jridgewell/trace-mapping";
import { fileLines, sourceFor } from "./sources";
import type { Diagnostic } from "./tslab-engine";

export interface ErrorContent {
  ename: string;
  evalue: string;
  traceback: string[];
}

type FrameKind = "code" | "helper" | "other";

interface Frame {
  fn?: string;
  file: string;
  line: number;
  column: number;
  kind: FrameKind;
}

/** "    at fn (file:line:col)" or "    at file:line:col" (a file name may hold spaces and brackets). */
const FRAME = /^\s*at (?:(.+?) \()?(.+?):(\d+):(\d+)\)?$/;

let helpersRootCache: string | null | undefined;
function helpersRoot(): string | null {
  if (helpersRootCache === undefined) {
    try {
      helpersRootCache = realpathSync(path.dirname(require.resolve("@course-kit/kernel-helpers/package.json")));
    } catch {
      helpersRootCache = null;
    }
  }
  return helpersRootCache;
}
const HELPERS_PATH = /[\\/](?:kernel-helpers|@course-kit[\\/]kernel-helpers)[\\/]dist[\\/]/;

function isHelperFile(file: string): boolean {
  const root = helpersRoot();
  return HELPERS_PATH.test(file) || (root !== null && file.startsWith(root + path.sep));
}

function cleanFunctionName(name: string | undefined): string | undefined {
  if (!name) return undefined;
  const n = name
    .replace(/^async /, "")
    .replace(/ \[as [^\]]+\]$/, "")
    .replace(/^(?:Object|Proxy)\./, "");
  return n === "<anonymous>" || n === "Object.<anonymous>" ? undefined : n;
}

export function parseStack(stack: string): Frame[] {
  const frames: Frame[] = [];
  for (const line of stack.split("\n")) {
    const m = FRAME.exec(line);
    if (!m || !/^\s*at /.test(line)) continue;
    const file = m[2];
    const kind: FrameKind = sourceFor(file) ? "code" : isHelperFile(file) ? "helper" : "other";
    frames.push({ fn: cleanFunctionName(m[1]), file, line: Number(m[3]), column: Number(m[4]), kind });
  }
  return frames;
}

const helperMaps = new Map<string, TraceMap | null>();
function helperMap(file: string): TraceMap | null {
  let map = helperMaps.get(file);
  if (map === undefined) {
    try {
      map = new TraceMap(readFileSync(`${file}.map`, "utf8"), `${file}.map`);
    } catch {
      map = null;
    }
    helperMaps.set(file, map);
  }
  return map;
}

interface Located {
  where: string;
  lines: () => string[];
  line: number;
  column: number;
}

function locate(frame: Frame): Located {
  const source = sourceFor(frame.file);
  if (source) return { where: source.label, lines: source.lines, line: frame.line, column: frame.column };
  // A helper: show its TypeScript source when the compiled file's map leads there.
  const map = helperMap(frame.file);
  const pos = map ? originalPositionFor(map, { line: frame.line, column: frame.column - 1 }) : undefined;
  const root = helpersRoot();
  const shown = (file: string) => (root && file.startsWith(root) ? path.join("kernel-helpers", path.relative(root, file)) : file);
  if (pos?.source && pos.line !== null) {
    const file = pos.source.startsWith("file://") ? new URL(pos.source).pathname : pos.source;
    return { where: shown(file), lines: fileLines(file), line: pos.line, column: pos.column + 1 };
  }
  return { where: shown(frame.file), lines: fileLines(frame.file), line: frame.line, column: frame.column };
}

/** A source line without its indentation, and a caret under `column` when asked for. */
function codeLines(lines: string[], line: number, column: number, caret: boolean): string[] {
  const text = lines[line - 1];
  if (text === undefined || !text.trim()) return [];
  const indent = text.length - text.trimStart().length;
  const out = [`      ${text.trim()}`];
  if (caret && column - 1 >= indent && column - 1 <= text.trimEnd().length) out.push(`      ${" ".repeat(column - 1 - indent)}^`);
  return out;
}

function isErrorLike(value: unknown): value is { name?: unknown; message?: unknown; stack?: unknown } {
  return value instanceof Error || (typeof value === "object" && value !== null && "message" in value && "stack" in value);
}

/** The frames a learner should see, innermost first (see the file comment). */
export function learnerFrames(stack: string): Frame[] {
  const frames = parseStack(stack);
  const innermost = frames.find((f) => f.kind !== "other");
  let helperBlock = innermost?.kind === "helper";
  const shown: Frame[] = [];
  for (const frame of frames) {
    if (frame.kind === "code") {
      helperBlock = false;
      shown.push(frame);
    } else if (frame.kind === "helper" && helperBlock) {
      shown.push(frame);
    }
  }
  return shown;
}

export function runtimeErrorContent(error: unknown): ErrorContent {
  if (!isErrorLike(error)) {
    const evalue = inspect(error, { depth: 2 });
    return { ename: "Uncaught", evalue, traceback: [`Uncaught ${evalue}`] };
  }
  let ename = "Error";
  let evalue = "";
  let stack = "";
  try {
    ename = typeof error.name === "string" && error.name ? error.name : "Error";
    evalue = typeof error.message === "string" ? error.message : String(error.message);
    stack = typeof error.stack === "string" ? error.stack : "";
  } catch {
    // A hostile getter: report what we have.
  }
  const traceback = [evalue ? `${ename}: ${evalue}` : ename];
  learnerFrames(stack).forEach((frame, i) => {
    const at = locate(frame);
    traceback.push(`  ${at.where}, line ${at.line}${frame.fn ? `, in ${frame.fn}` : ""}`);
    traceback.push(...codeLines(at.lines(), at.line, at.column, i === 0));
  });
  return { ename, evalue, traceback };
}

/** tslab flattens a diagnostic's message chain into entries at the same span; put them back together. */
function groupDiagnostics(diagnostics: Diagnostic[]): Diagnostic[][] {
  const groups: Diagnostic[][] = [];
  for (const d of diagnostics) {
    const last = groups[groups.length - 1]?.[0];
    const continues = last && d.fileName === undefined && d.start.offset === last.start.offset && d.end.offset === last.end.offset;
    if (continues) groups[groups.length - 1].push(d);
    else groups.push([d]);
  }
  return groups;
}

/** A cell that did not compile: every diagnostic, with its line and column in the cell (or module). */
export function compileErrorContent(diagnostics: Diagnostic[], label: string, cellLines: string[], cwd: string): ErrorContent {
  const groups = groupDiagnostics(diagnostics);
  const traceback: string[] = [
    `CompileError: ${groups.length === 1 ? "1 TypeScript error" : `${groups.length} TypeScript errors`} in ${label}; the cell did not run`,
  ];
  const places: string[] = [];
  for (const [first, ...chain] of groups) {
    const line = first.start.line + 1;
    const column = first.start.character + 1;
    const where = `${first.fileName ?? label}, line ${line}, column ${column}`;
    places.push(`${first.messageText} (${where})`);
    traceback.push(`  ${where}: ${first.messageText} (TS${first.code})`);
    for (const more of chain) traceback.push(`      ${more.messageText}`);
    const lines = first.fileName ? fileLines(path.resolve(cwd, first.fileName))() : cellLines;
    traceback.push(...codeLines(lines, line, column, true));
  }
  const more = groups.length > 1 ? ` and ${groups.length - 1} more error${groups.length > 2 ? "s" : ""}` : "";
  return { ename: "CompileError", evalue: `${places[0] ?? "the cell did not compile"}${more}`, traceback };
}

export function interruptedContent(label: string): ErrorContent {
  const evalue = `the execution of ${label} was interrupted`;
  return { ename: "Interrupted", evalue, traceback: [`Interrupted: ${evalue}`] };
}

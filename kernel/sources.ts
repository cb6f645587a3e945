/**
 * Where the code the kernel runs came from, so that stack frames can name the learner's cell
 * and line. Every executed cell is compiled under a file name of its own ("In [12]"), with a
 * source map back to the cell's TypeScript; local modules a cell imports (checks.ts) keep
 * their path and map. The helpers' compiled files carry source maps of their own.
 *
 * V8 formats a stack lazily through `Error.prepareStackTrace`; the kernel installs one that
 * rewrites positions in its own files to cell-relative TypeScript lines and columns, so both
 * the kernel's tracebacks and an `err.stack` the learner prints show lines of the cell.
 */
import { readFileSync } from "node:fs";
import { GREATEST_LOWER_BOUND, LEAST_UPPER_BOUND, originalPositionFor, TraceMap } from "@jridgewell/trace-mapping";

export interface CodeSource {
  /** The file name V8 reports for this code. */
  file: string;
  /** How tracebacks name it: "In [12]" for a cell, a path for a module. */
  label: string;
  kind: "cell" | "module";
  /** The TypeScript source, line by line (read lazily for modules). */
  lines: () => string[];
  map?: TraceMap;
  /** Characters the kernel's wrapper adds before the first generated line. */
  firstLineShift: number;
  /** Source lines before the learner's first line (tslab prefixes each cell with one). */
  lineShift: number;
  /** Lines of generated code; frames below them are the kernel's own call into the code. */
  generatedLines: number;
}

export interface SourcePosition {
  /** 1-based line in the learner's source. */
  line: number;
  /** 1-based column. */
  column: number;
}

const sources = new Map<string, CodeSource>();

export function registerSource(source: CodeSource): void {
  sources.set(source.file, source);
}

export function sourceFor(file: string): CodeSource | undefined {
  return sources.get(file);
}

/** Map a generated position (1-based line and column, as V8 reports them) to the source. */
export function originalPosition(source: CodeSource, line: number, column: number): SourcePosition | undefined {
  if (!source.map) return { line, column };
  const col = (line === 1 ? column - source.firstLineShift : column) - 1;
  const needle = { line, column: Math.max(0, col) };
  // Code the compiler synthesized has no segment of its own: take the nearest one on the line.
  let found = originalPositionFor(source.map, { ...needle, bias: GREATEST_LOWER_BOUND });
  if (found.line === null) found = originalPositionFor(source.map, { ...needle, bias: LEAST_UPPER_BOUND });
  if (found.line === null) return undefined;
  const mapped = found.line - source.lineShift;
  if (mapped < 1) return undefined;
  return { line: mapped, column: found.column + 1 };
}

/** Read a file's lines for tracebacks; empty if it cannot be read. */
export function fileLines(file: string): () => string[] {
  let lines: string[] | undefined;
  return () => {
    if (!lines) {
      try {
        lines = readFileSync(file, "utf8").split(/\r?\n/);
      } catch {
        lines = [];
      }
    }
    return lines;
  };
}

interface CallSiteLike {
  getFileName(): string | null | undefined;
  getLineNumber(): number | null;
  getColumnNumber(): number | null;
  toString(): string;
}

/** A frame's text with cell positions mapped, or undefined for the kernel's own wrapper call. */
function formatCallSite(site: CallSiteLike): string | undefined {
  const text = String(site);
  const file = site.getFileName();
  const source = file ? sources.get(file) : undefined;
  const line = site.getLineNumber();
  const column = site.getColumnNumber();
  if (!source || line === null || column === null) return text;
  if (line > source.generatedLines) return undefined;
  const pos = originalPosition(source, line, column);
  if (!pos) return text;
  const generated = `${file}:${line}:${column}`;
  const at = text.lastIndexOf(generated);
  return at < 0 ? text : `${text.slice(0, at)}${file}:${pos.line}:${pos.column}${text.slice(at + generated.length)}`;
}

/**
 * Format stacks with positions in the kernel's cells mapped back to the cell, in V8's usual
 * layout. Also raises the frame limit: a learner's frames can sit below a dozen library ones.
 */
export function installStackMapping(frameLimit = 50): void {
  Error.stackTraceLimit = Math.max(Error.stackTraceLimit, frameLimit);
  Error.prepareStackTrace = (error: unknown, sites: CallSiteLike[]) => {
    let header: string;
    try {
      header = Error.prototype.toString.call(error);
    } catch {
      header = "Error";
    }
    const frames = sites.map(formatCallSite).filter((f) => f !== undefined);
    return header + frames.map((f) => `\n    at ${f}`).join("");
  };
}

/**
 * Running TypeScript cells on top of tslab's converter (tslab-engine.ts).
 *
 * The converter type-checks a cell against the declarations of the cells before it and returns
 * CommonJS in which every top-level name of the cell is an export, plus the name of the
 * variable holding the value of the cell's last expression. This module runs that code the way
 * tslab's own executor does (all cells share one `exports` object, so later cells see earlier
 * names), with what the kernel needs on top:
 *  - each cell runs under a file name of its own ("In [12]") with a source map registered, so
 *    stack frames name the cell and its TypeScript line (sources.ts);
 *  - the last expression's value is returned, not printed, to become an execute_result;
 *  - failures come back as values: compile diagnostics, the thrown error, an interrupt;
 *  - an error thrown from a callback or a promise rejected while the cell runs (or left
 *    unhandled by it) fails the cell instead of going unnoticed;
 *  - `require("tslab")` gives tslab's display API, and local modules a cell imports
 *    (checks.ts) are compiled by the converter and loaded from memory, as in tslab.
 *
 * A cell with any TypeScript diagnostic does not run at all (tslab's behaviour). Declarations of
 * a cell that compiled are kept for later cells even if running it failed, so a cell that
 * defines a function and then throws while demonstrating it does not leave later cells with
 * "Cannot find name" errors.
 */
import { existsSync } from "node:fs";
import { createRequire } from "node:module";
import path from "node:path";
import vm from "node:vm";
import { TraceMap } from "@jridgewell/trace-mapping";
import { CodeSource, fileLines, registerSource, sourceFor } from "./sources";
import { Converter, Diagnostic, loadTslab, splitInlineMap, TslabEngine } from "./tslab-engine";

export type RunOutcome =
  | { kind: "ok"; hasValue: boolean; value?: unknown; warnings?: Diagnostic[] }
  | { kind: "compile-error"; diagnostics: Diagnostic[] }
  | { kind: "runtime-error"; error: unknown }
  | { kind: "interrupted" };

export interface RunOptions {
  /** How tracebacks name this code ("In [12]"). */
  label: string;
  /** Keep the cell's declarations for later cells (false for user_expressions). */
  commit?: boolean;
}

export class InterruptError extends Error {
  constructor() {
    super("interrupted");
    this.name = "InterruptError";
  }
}

/** Where cell code finds its shared `exports` and `require` (a symbol: invisible to learners). */
const SCOPE_KEY = "course-kit.kernel.scope";
const CELL_PREFIX = "(function (exports, require) { ";
const ASYNC_CELL_PREFIX = "(async function (exports, require) { ";
const CELL_SUFFIX = `\n})(globalThis[Symbol.for("${SCOPE_KEY}")].exports, globalThis[Symbol.for("${SCOPE_KEY}")].require)`;
const MODULE_PREFIX = "(function (exports, require, module, __filename, __dirname) { ";

/**
 * The shared exports object. TypeScript's CommonJS output defines re-exported imports as
 * getters; storing their values instead keeps them assignable by later cells, as in tslab.
 */
function createExports(): Record<string, unknown> {
  const target: Record<string, unknown> = {};
  return new Proxy(target, {
    defineProperty: (_t, key, attributes) => {
      if (key === "__esModule") return true;
      target[key as string] = attributes.get ? attributes.get() : attributes.value;
      return true;
    },
  });
}

interface ActiveCell {
  failure?: { error: unknown };
  fail: (error: unknown) => void;
  failed: Promise<never>;
}

export class Engine {
  private readonly tslab: TslabEngine;
  private readonly converter: Converter;
  private readonly exports = createExports();
  /** Compiled local modules (checks.ts -> checks.js), by absolute .js path. */
  private readonly localCode = new Map<string, string>();
  private readonly localLoaded = new Map<string, { exports: unknown }>();
  private prevDecl = "";
  private active?: ActiveCell;
  private fileCounter = 0;
  /**
   * A run is in progress. Until its cell starts (`active` is set), that is, while it compiles, an
   * interrupt is kept for when it would start.
   */
  private compiling = false;
  private interruptPending = false;

  constructor(
    readonly cwd: string,
    display: (content: object, update: boolean) => void,
  ) {
    this.tslab = loadTslab();
    // The kit's helpers find this hook in tslab's module (kernel-helpers/src/display/bundle.ts).
    this.tslab.display.lastWriteDisplayData = display;
    this.converter = this.tslab.converter.createConverter({ isJS: false, isBrowser: false });
    const scope = { exports: this.exports, require: this.requireFrom(cwd) };
    Object.defineProperty(globalThis, Symbol.for(SCOPE_KEY), { value: scope, configurable: true });
  }

  /** A require for code in `dir`: tslab's API, the converter's local modules, else Node's resolution. */
  private requireFrom(dir: string): NodeJS.Require {
    const base = createRequire(path.join(dir, "__cell__.js"));
    return new Proxy(base, {
      apply: (target, thisArg, args: unknown[]) => {
        const id = args[0];
        if (args.length === 1 && typeof id === "string") {
          if (id === "tslab") return this.tslab.publicApi;
          const local = this.loadLocal(dir, id);
          if (local) return local.exports;
        }
        return Reflect.apply(target, thisArg, args) as unknown;
      },
    });
  }

  private loadLocal(dir: string, id: string): { exports: unknown } | undefined {
    if (!id.startsWith(".")) return undefined;
    let file = path.resolve(dir, id);
    if (path.extname(file) === "") file += ".js";
    const loaded = this.localLoaded.get(file);
    if (loaded) return loaded;
    const compiled = this.localCode.get(file);
    if (compiled === undefined) return undefined;
    const { code, map } = splitInlineMap(compiled);
    const ts = [".ts", ".tsx"].map((ext) => file.replace(/\.js$/, ext)).find((f) => existsSync(f)) ?? file;
    registerSource({
      file,
      label: path.relative(this.cwd, ts) || path.basename(ts),
      kind: "module",
      lines: fileLines(ts),
      map: map ? new TraceMap(map as ConstructorParameters<typeof TraceMap>[0]) : undefined,
      firstLineShift: MODULE_PREFIX.length,
      lineShift: 0,
      generatedLines: code.split("\n").length,
    });
    const module = { exports: {} as unknown, filename: file, id: file };
    // Registered before it runs, so that import cycles see the partial exports as Node's would.
    this.localLoaded.set(file, module);
    const fn = vm.runInThisContext(`${MODULE_PREFIX}${code}\n})`, { filename: file }) as (...a: unknown[]) => void;
    fn.call(module.exports, module.exports, this.requireFrom(path.dirname(file)), module, file, path.dirname(file));
    return module;
  }

  /** A file name for this run's code that no earlier run used. */
  private fileFor(label: string): string {
    return sourceFor(label) ? `${label} (${++this.fileCounter})` : label;
  }

  /** Compile and run one cell. Never throws for anything the cell does. */
  async run(code: string, options: RunOptions): Promise<RunOutcome> {
    this.interruptPending = false;
    this.compiling = true;
    try {
      return await this.compileAndRun(code, options);
    } finally {
      this.compiling = false;
    }
  }

  private async compileAndRun(code: string, options: RunOptions): Promise<RunOutcome> {
    const meta = this.tslab.metadata.getCodeMetadata(code);
    if (meta.module) {
      // A `/** @module name */` cell defines an in-memory module; tslab registers it even with
      // diagnostics and only reports them.
      const warnings = this.converter.addModule(meta.module, code, meta);
      return { kind: "ok", hasValue: false, warnings };
    }
    if (meta.mode === "browser") return { kind: "ok", hasValue: false }; // tslab runs nothing for these either

    const converted = this.converter.convert(this.prevDecl, code);
    for (const side of converted.sideOutputs ?? []) {
      this.localCode.set(side.path, side.data);
      this.localLoaded.delete(side.path);
    }
    if (converted.diagnostics.length > 0) return { kind: "compile-error", diagnostics: converted.diagnostics };
    const commit = () => {
      if (options.commit !== false) this.prevDecl = converted.declOutput ?? "";
    };
    if (!converted.output) {
      commit();
      return { kind: "ok", hasValue: false };
    }

    const { code: js, map } = splitInlineMap(converted.output);
    const prefix = converted.hasToplevelAwait ? ASYNC_CELL_PREFIX : CELL_PREFIX;
    const file = this.fileFor(options.label);
    const lines = code.split(/\r?\n/);
    const source: CodeSource = {
      file,
      label: options.label,
      kind: "cell",
      lines: () => lines,
      map: map ? new TraceMap(map as ConstructorParameters<typeof TraceMap>[0]) : undefined,
      firstLineShift: prefix.length,
      lineShift: 1, // tslab puts "export {};" on a line of its own before the cell
      generatedLines: js.split("\n").length,
    };
    registerSource(source);

    // The compile above is synchronous, and a SIGINT's listener runs only when libuv polls for
    // I/O: let one poll phase pass (two check phases surround it), so an interrupt that came
    // during the compile stops the cell here instead of being lost (breakOnSigint sees only the
    // signals that come while the cell runs).
    for (let turn = 0; turn < 2; turn++) await new Promise<void>((resolve) => setImmediate(resolve));
    if (this.interruptPending) return { kind: "interrupted" };
    const active = this.begin();
    try {
      let result: unknown;
      try {
        // breakOnSigint: a SIGINT stops synchronous cell code (an infinite loop) with an error.
        result = vm.runInThisContext(prefix + js + CELL_SUFFIX, { filename: file, breakOnSigint: true });
        if (converted.hasToplevelAwait) await Promise.race([result, active.failed]);
        // Let a promise the cell rejected without handling it report itself (unhandledRejection).
        await new Promise<void>((resolve) => setImmediate(resolve));
      } catch (error) {
        return this.failure(error);
      } finally {
        commit();
      }
      if (active.failure) return this.failure(active.failure.error);
      const name = converted.lastExpressionVar;
      if (!name || !Object.prototype.hasOwnProperty.call(this.exports, name)) return { kind: "ok", hasValue: false };
      const value = this.exports[name];
      delete this.exports[name];
      return { kind: "ok", hasValue: value !== undefined, value };
    } finally {
      this.end(active);
    }
  }

  private failure(error: unknown): RunOutcome {
    if (error instanceof InterruptError) return { kind: "interrupted" };
    if (error instanceof Error && (error as NodeJS.ErrnoException).code === "ERR_SCRIPT_EXECUTION_INTERRUPTED") return { kind: "interrupted" };
    return { kind: "runtime-error", error };
  }

  private begin(): ActiveCell {
    let reject!: (e: unknown) => void;
    const failed = new Promise<never>((_, r) => (reject = r));
    failed.catch(() => undefined);
    const active: ActiveCell = {
      failed,
      fail: (error) => {
        if (active.failure) return;
        active.failure = { error };
        reject(error);
      },
    };
    this.active = active;
    return active;
  }

  private end(active: ActiveCell): void {
    if (this.active === active) this.active = undefined;
  }

  /** Whether a cell is running (including waiting for its top-level await). */
  get busy(): boolean {
    return this.active !== undefined;
  }

  /**
   * Fail the running cell with `error` (an uncaught exception or unhandled rejection while it
   * ran). Returns false when no cell is running: the caller reports the error elsewhere.
   */
  failRunning(error: unknown): boolean {
    if (!this.active) return false;
    this.active.fail(error);
    return true;
  }

  /**
   * Stop a cell that is waiting (top-level await), or one still being compiled (it will not
   * start). Synchronous code is stopped by SIGINT itself.
   */
  interrupt(): boolean {
    if (this.active) return this.failRunning(new InterruptError());
    if (!this.compiling) return false;
    this.interruptPending = true;
    return true;
  }

  complete(code: string, cursor: number): { start: number; end: number; candidates: string[] } {
    const info = this.converter.complete(this.prevDecl, code, cursor);
    return { start: info.start, end: info.end, candidates: info.candidates };
  }

  /** Quick info (type and documentation) at `cursor`, as text, or undefined if there is none. */
  inspect(code: string, cursor: number): string | undefined {
    const info = this.converter.inspect(this.prevDecl, code, cursor);
    return info ? this.tslab.inspect.printQuickInfo(info) : undefined;
  }

  isComplete(code: string): { complete: boolean; indent?: string } {
    const r = this.tslab.converter.isCompleteCode(code);
    return { complete: r.completed, indent: r.indent };
  }

  close(): void {
    this.converter.close();
  }
}

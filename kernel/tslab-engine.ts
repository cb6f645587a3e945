/**
 * tslab's TypeScript engine, loaded as a library: its converter (a TypeScript watch program
 * that type-checks a cell against the declarations of earlier cells and emits CommonJS), its
 * metadata parser, quick-info printer and display module. tslab pins its own TypeScript
 * (`@tslab/typescript-for-tslab`, 5.0).
 *
 * Three things the kernel needs are not reachable through the converter's API, so the
 * TypeScript module it loads is replaced, before tslab is first required, by a copy with two
 * functions wrapped (tslab's files on disk are untouched):
 *  - createWatchCompilerHost: asks for inline source maps; loads only @types/node of the ambient
 *    type packages (tslab loads every @types package it finds above the notebook, here 21 of
 *    them pulled in by Jest and mocha: a fifth of the compiler's start-up, and globals no
 *    notebook should see; set TSNB_KERNEL_ALL_TYPES=1 for tslab's way); and makes the cell's
 *    symbol table list names unescaped. The converter exports every top-level name of a cell by reading
 *    the keys of that table, which TypeScript stores escaped (`__tmp` is kept as `___tmp`), so
 *    a cell declaring `__tmp` failed with "Cannot find name '___tmp'".
 *  - transpileModule: the converter turns its ES module output into CommonJS with a second
 *    transpile, which would leave the first source map stale; the wrapper composes the two
 *    maps, so the final code maps straight back to the cell's TypeScript.
 */
import path from "node:path";
import type * as TS from "@tslab/typescript-for-tslab";
import type * as ConverterModule from "tslab/dist/converter";
import type * as InspectModule from "tslab/dist/inspect";
import type * as MetadataModule from "tslab/dist/metadata";

export type { Converter, Diagnostic } from "tslab/dist/converter";

/** tslab's `tslab/dist/jupyter` module: the kit's helpers send display data through `lastWriteDisplayData`. */
export interface TslabDisplayModule {
  lastWriteDisplayData: ((content: object, update: boolean) => void) | null;
}

export interface TslabEngine {
  ts: typeof TS;
  converter: typeof ConverterModule;
  metadata: typeof MetadataModule;
  inspect: typeof InspectModule;
  display: TslabDisplayModule;
  /** tslab's public module, what `require("tslab")` gives notebook code. */
  publicApi: unknown;
}

/**
 * Composes source maps ([last transform, ..., first]). Loaded with require: the package's
 * CommonJS type declarations (2.3.5) do not parse, and only this one signature is needed.
 */
const remapping = require("@jridgewell/remapping") as (maps: object[], loader: () => null) => object;

const INLINE_MAP = /\n?\/\/# sourceMappingURL=data:application\/json;base64,([A-Za-z0-9+/=]+)\s*$/;
const MAP_COMMENT = /\n?\/\/# sourceMappingURL=\S*\s*$/;

/** Split generated code from its inline source map (the last sourceMappingURL comment). */
export function splitInlineMap(code: string): { code: string; map?: object } {
  const m = INLINE_MAP.exec(code);
  if (!m) return { code };
  return { code: code.slice(0, m.index), map: JSON.parse(Buffer.from(m[1], "base64").toString("utf8")) as object };
}

function inlineMapComment(map: object): string {
  return `\n//# sourceMappingURL=data:application/json;base64,${Buffer.from(JSON.stringify(map)).toString("base64")}`;
}

function wrapTypeScript(real: typeof TS): typeof TS {
  // A plain copy: tslab's modules bind every export through getters on the object they import.
  const ts = Object.assign({}, real) as typeof TS & Record<string, unknown>;
  const isCellFile = (name: string) => path.basename(name) === "__tslab__.ts";

  const unescapeKeys = (sourceFile: TS.SourceFile | undefined) => {
    const locals = (sourceFile as { locals?: Map<string, unknown> } | undefined)?.locals;
    if (!locals || Object.prototype.hasOwnProperty.call(locals, "forEach")) return;
    const forEach = locals.forEach;
    // TypeScript itself only iterates symbol tables for their values, so changing the keys
    // that forEach reports affects the converter alone; get/has keep the escaped keys.
    Object.defineProperty(locals, "forEach", {
      value(callback: (value: unknown, key: string, map: Map<string, unknown>) => void, thisArg?: unknown) {
        return forEach.call(this, (value: unknown, key: string, map: Map<string, unknown>) =>
          callback.call(thisArg, value, real.unescapeLeadingUnderscores(key as TS.__String), map),
        );
      },
    });
  };

  ts.createWatchCompilerHost = ((...args: unknown[]) => {
    if (Array.isArray(args[0]) && args[1] && typeof args[1] === "object") {
      args[1] = {
        ...(args[1] as TS.CompilerOptions),
        inlineSourceMap: true,
        sourceMap: false,
        ...(process.env.TSNB_KERNEL_ALL_TYPES ? {} : { types: ["node"] }),
      };
    }
    const host = (real.createWatchCompilerHost as (...a: unknown[]) => TS.WatchCompilerHostOfFilesAndCompilerOptions<TS.BuilderProgram>)(...args);
    let afterCreate = host.afterProgramCreate;
    Object.defineProperty(host, "afterProgramCreate", {
      configurable: true,
      enumerable: true,
      get: () => (program: TS.BuilderProgram) => {
        for (const file of program.getSourceFiles()) if (isCellFile(file.fileName)) unescapeKeys(file);
        afterCreate?.(program);
      },
      set: (fn: typeof afterCreate) => {
        afterCreate = fn;
      },
    });
    return host;
  }) as typeof real.createWatchCompilerHost;

  ts.transpileModule = (input: string, options: TS.TranspileOptions) => {
    const first = splitInlineMap(input);
    if (!first.map) return real.transpileModule(input, options);
    const out = real.transpileModule(first.code, { ...options, compilerOptions: { ...options.compilerOptions, sourceMap: true, inlineSourceMap: false } });
    if (!out.sourceMapText) return out;
    const composed = remapping([JSON.parse(out.sourceMapText) as object, first.map], () => null);
    return { ...out, outputText: out.outputText.replace(MAP_COMMENT, "") + inlineMapComment(composed) };
  };

  return ts;
}

let engine: TslabEngine | undefined;

/** Load tslab (once), with the TypeScript module it uses replaced by the wrapped copy. */
export function loadTslab(): TslabEngine {
  if (engine) return engine;
  const tslabDir = path.dirname(require.resolve("tslab/package.json"));
  if (require.cache[path.join(tslabDir, "dist", "converter.js")]) {
    throw new Error("tslab's converter was loaded before the kernel could prepare it");
  }
  const tsPath = require.resolve("@tslab/typescript-for-tslab", { paths: [tslabDir] });
  const real = require(tsPath) as typeof TS;
  const cached = require.cache[tsPath];
  if (!cached) throw new Error(`cannot find ${tsPath} in the module cache`);
  const ts = wrapTypeScript(real);
  cached.exports = ts;
  engine = {
    ts,
    converter: require("tslab/dist/converter") as typeof ConverterModule,
    metadata: require("tslab/dist/metadata") as typeof MetadataModule,
    inspect: require("tslab/dist/inspect") as typeof InspectModule,
    display: require("tslab/dist/jupyter") as TslabDisplayModule,
    publicApi: require("tslab") as unknown,
  };
  return engine;
}

/** The TypeScript version tslab compiles with, read without loading the compiler. */
export function tslabTypeScriptVersion(): string {
  try {
    const tslabDir = path.dirname(require.resolve("tslab/package.json"));
    const pkg = require.resolve("@tslab/typescript-for-tslab/package.json", { paths: [tslabDir] });
    return String((require(pkg) as { version?: string }).version ?? "");
  } catch {
    return "";
  }
}

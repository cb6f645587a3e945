/**
 * TypeScript cell → JavaScript script, without a type check (a type error alone costs no
 * points; the type checker reports it separately). Each cell becomes a classic script so that
 * cells share top-level declarations the way they do in a notebook kernel; ES imports are
 * rewritten to `var` bindings from the sandbox's `require`, and exports are dropped.
 */
import { MessageRef, messageRef, render } from "@course-kit/kernel-helpers/messages";
import { transform, TransformOptions, transformSync } from "esbuild";

/** A failure carries its reason as a message (shown to learners in their language) and in English. */
export type TranspileResult = { ok: true; code: string; map: string } | { ok: false; error: string; reason: MessageRef };

const IMPORT_LINE = /^import\s+(.+?)\s+from\s+("(?:[^"\\]|\\.)*");\s*$/;
const BARE_IMPORT = /^import\s+("(?:[^"\\]|\\.)*");\s*$/;
const DEFAULT_OF = "((m) => (m && m.__esModule ? m.default : m))";

function bindingsFor(clause: string, spec: string): string {
  const req = `require(${spec})`;
  const parts: string[] = [];
  let rest = clause.trim();
  const def = /^([A-Za-z_$][\w$]*)\s*(?:,\s*|$)/.exec(rest);
  if (def && !rest.startsWith("{") && !rest.startsWith("*")) {
    parts.push(`var ${def[1]} = ${DEFAULT_OF}(${req});`);
    rest = rest.slice(def[0].length);
  }
  const ns = /^\*\s+as\s+([A-Za-z_$][\w$]*)$/.exec(rest);
  if (ns) parts.push(`var ${ns[1]} = ${req};`);
  const named = /^\{([^}]*)\}$/.exec(rest);
  if (named) {
    const specs = named[1]
      .split(",")
      .map((s) => s.trim())
      .filter(Boolean)
      .map((s) => s.replace(/^type\s+/, ""))
      .map((s) => {
        const m = /^([\w$]+|"[^"]*")\s+as\s+([\w$]+)$/.exec(s);
        return m ? `${m[1]}: ${m[2]}` : s;
      });
    if (specs.length) parts.push(`var { ${specs.join(", ")} } = ${req};`);
  }
  if (!def && !ns && !named) throw new Error(`unsupported import: import ${clause} from ${spec}`);
  return parts.join(" ");
}

/** Rewrite esbuild's normalized ES module output into a script. Keeps the line count. */
export function moduleToScript(js: string): string {
  const withoutExports = js.replace(/^export\s*\{[^}]*\};?[ \t]*$/gm, (block) => block.replace(/[^\n]/g, ""));
  return withoutExports
    .split("\n")
    .map((line) => {
      const imp = IMPORT_LINE.exec(line);
      if (imp) return bindingsFor(imp[1], imp[2]);
      const bare = BARE_IMPORT.exec(line);
      if (bare) return `require(${bare[1]});`;
      return line;
    })
    .join("\n");
}

function options(sourcefile: string): TransformOptions {
  return {
    loader: "ts",
    format: "esm",
    target: "es2022",
    sourcemap: "external",
    sourcefile,
    // Keep imports whose names are unused in this cell: later cells use them.
    tsconfigRaw: { compilerOptions: { verbatimModuleSyntax: true } },
    logLevel: "silent",
  };
}

function failed(reason: MessageRef): TranspileResult {
  return { ok: false, error: render("en", reason), reason };
}

function failure(err: unknown): TranspileResult {
  const errors = (err as { errors?: { text: string; location?: { line: number; column: number } | null }[] }).errors;
  if (errors?.length) {
    const { text, location } = errors[0];
    // esbuild's own text is a diagnostic, like a compiler's: it stays as esbuild writes it.
    if (!location) return failed(messageRef("submission.compileFailed", { error: `SyntaxError: ${text}` }));
    return failed(messageRef("submission.syntaxError", { text, line: location.line, column: location.column + 1 }));
  }
  return failed(messageRef("submission.compileFailed", { error: (err as Error).message }));
}

function finish(code: string, map: string): TranspileResult {
  try {
    return { ok: true, code: moduleToScript(code), map };
  } catch (err) {
    return failed(messageRef("submission.compileFailed", { error: (err as Error).message }));
  }
}

export function transpileCell(source: string, sourcefile: string): TranspileResult {
  try {
    const out = transformSync(source, options(sourcefile));
    return finish(out.code, out.map);
  } catch (err) {
    return failure(err);
  }
}

/** The same, through esbuild's asynchronous service: many cells compile concurrently. */
export async function transpileCellAsync(source: string, sourcefile: string): Promise<TranspileResult> {
  try {
    const out = await transform(source, options(sourcefile));
    return finish(out.code, out.map);
  } catch (err) {
    return failure(err);
  }
}

/**
 * Type errors in learner code, for feedback only: they never cost points (the code is
 * transpiled without a check), but a learner should hear about them. The whole batch is checked
 * in one TypeScript program, one virtual file per submitted notebook, so the standard library
 * is parsed and bound once per batch rather than once per submission. Options follow tslab's
 * (not strict), so learners see the errors their kernel would have shown.
 */
import path from "node:path";
import ts from "typescript";
import type { CellSource, Problem } from "./extract";

const MAX_REPORTED = 5;

/** Types offered to learner code: the same light part of the helpers the sandbox offers. */
function helpersDeclaration(): string {
  const dist = path.dirname(require.resolve("@course-kit/kernel-helpers"));
  const files = ["tensor", "random", "layers"].map((f) => path.join(dist, f).replace(/\\/g, "/"));
  return files.map((f) => `export * from ${JSON.stringify(f)};`).join("\n") + "\n";
}

const AMBIENT = `
declare const console: { log(...data: any[]): void; info(...data: any[]): void; warn(...data: any[]): void; error(...data: any[]): void; table(...data: any[]): void };
`;

interface CellSpan {
  startLine: number;
  endLine: number;
  label: string;
  exercise?: string;
}

/** One list of type-error problems per submission, given each submission's cell sources. */
export function typeCheckSubmissions(submissions: CellSource[][]): Problem[][] {
  const root = "/__tsnb_typecheck__";
  const helpersFile = `${root}/kernel-helpers.d.ts`;
  const ambientFile = `${root}/ambient.d.ts`;
  const files = new Map<string, string>([
    [helpersFile, helpersDeclaration()],
    [ambientFile, AMBIENT],
  ]);
  const spans = new Map<string, { submission: number; notebook: string; cells: CellSpan[] }>();

  submissions.forEach((sources, i) => {
    for (const notebook of new Set(sources.map((c) => c.notebook))) {
      const parts: string[] = [];
      const cells: CellSpan[] = [];
      let line = 0;
      for (const cell of sources.filter((c) => c.notebook === notebook)) {
        if (cell.source === undefined) continue;
        const text = cell.source.endsWith("\n") ? cell.source : cell.source + "\n";
        const lines = text.split("\n").length - 1;
        cells.push({ startLine: line, endLine: line + lines, label: cell.label, exercise: cell.exercise });
        parts.push(text);
        line += lines;
      }
      parts.push("export {};\n");
      const file = `${root}/s${i}/${notebook.replace(/\.ipynb$/, "").replace(/[^\w.-]/g, "_")}.ts`;
      files.set(file, parts.join(""));
      spans.set(file, { submission: i, notebook, cells });
    }
  });

  const options: ts.CompilerOptions = {
    target: ts.ScriptTarget.ES2022,
    lib: ["lib.es2022.d.ts"],
    module: ts.ModuleKind.ESNext,
    moduleResolution: ts.ModuleResolutionKind.Node10,
    esModuleInterop: true,
    noEmit: true,
    types: [],
    skipLibCheck: true,
    baseUrl: root,
    paths: { "@course-kit/kernel-helpers": [helpersFile] },
  };
  const host = ts.createCompilerHost(options, true);
  const readFile = host.readFile.bind(host);
  const fileExists = host.fileExists.bind(host);
  host.readFile = (f) => files.get(f) ?? readFile(f);
  host.fileExists = (f) => files.has(f) || fileExists(f);
  const getSourceFile = host.getSourceFile.bind(host);
  host.getSourceFile = (f, lang, onError, create) =>
    files.has(f) ? ts.createSourceFile(f, files.get(f)!, lang, true, ts.ScriptKind.TS) : getSourceFile(f, lang, onError, create);

  const program = ts.createProgram([...spans.keys(), ambientFile], options, host);
  const problems: Problem[][] = submissions.map(() => []);
  for (const [file, info] of spans) {
    const sf = program.getSourceFile(file);
    if (!sf) continue;
    const diagnostics = [...program.getSyntacticDiagnostics(sf), ...program.getSemanticDiagnostics(sf)];
    for (const d of diagnostics) {
      if (d.start === undefined) continue;
      const { line, character } = sf.getLineAndCharacterOfPosition(d.start);
      const cell = info.cells.find((c) => line >= c.startLine && line < c.endLine);
      // Only the learner's own cells: setup cells are the instructor's and may import packages
      // that the checker does not load.
      if (!cell?.exercise) continue;
      const list = problems[info.submission];
      if (list.filter((p) => p.kind === "type-error").length >= MAX_REPORTED) break;
      const text = ts.flattenDiagnosticMessageText(d.messageText, "\n");
      list.push({
        kind: "type-error",
        notebook: info.notebook,
        exercise: cell.exercise,
        message: `${cell.label}, line ${line - cell.startLine + 1}, column ${character + 1}: ${text} (TS${d.code}; no points are taken for type errors)`,
      });
    }
  }
  return problems;
}


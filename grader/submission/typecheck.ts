/**
 * Type errors in learner code, for feedback only: they never cost points (the code is
 * transpiled without a check), but a learner should hear about them. The whole batch is checked
 * in one run of TypeScript 7's native compiler (the `typescript7` package), one file per
 * submitted notebook: it reports the same diagnostics as the 5.x compiler at a fifth of the CPU
 * time, and it runs as a process of its own beside Jest. Options follow tslab's (not strict), so
 * learners see the errors their kernel would have shown.
 */
import { spawn } from "node:child_process";
import { existsSync, mkdirSync, writeFileSync } from "node:fs";
import { createRequire } from "node:module";
import path from "node:path";
import { Language, message } from "@course-kit/kernel-helpers/messages";
import { dyingWithParent } from "../process/executables";
import type { CellSource, Problem } from "./extract";

const MAX_REPORTED = 5;

/** Types offered to learner code: the same light part of the helpers the sandbox offers. */
function helpersDeclaration(): string {
  const dist = path.dirname(require.resolve("@course-kit/kernel-helpers"));
  return ["tensor", "random", "layers"].map((f) => `export * from ${JSON.stringify(path.join(dist, f))};`).join("\n") + "\n";
}

const AMBIENT = `declare const console: { log(...data: any[]): void; info(...data: any[]): void; warn(...data: any[]): void; error(...data: any[]): void; table(...data: any[]): void };\n`;

const TSCONFIG = {
  compilerOptions: {
    target: "es2022",
    lib: ["es2022"],
    module: "esnext",
    moduleResolution: "bundler",
    strict: false,
    noEmit: true,
    types: [],
    skipLibCheck: true,
    paths: { "@course-kit/kernel-helpers": ["./kernel-helpers.d.ts"] },
  },
  include: ["**/*.ts"],
};

interface CellSpan {
  startLine: number;
  endLine: number;
  label: string;
  exercise?: string;
}

interface FileInfo {
  submission: number;
  notebook: string;
  cells: CellSpan[];
}

/** Lay the submissions out as a TypeScript project in `dir`; returns what each file holds. */
function writeProject(dir: string, submissions: CellSource[][]): Map<string, FileInfo> {
  mkdirSync(dir, { recursive: true });
  writeFileSync(path.join(dir, "kernel-helpers.d.ts"), helpersDeclaration());
  writeFileSync(path.join(dir, "ambient.d.ts"), AMBIENT);
  writeFileSync(path.join(dir, "tsconfig.json"), JSON.stringify(TSCONFIG, null, 2));
  const files = new Map<string, FileInfo>();
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
      // A module of its own, so that submissions' top-level names do not collide.
      parts.push("export {};\n");
      const rel = path.join(`s${i}`, `${notebook.replace(/\.ipynb$/, "").replace(/[^\w.-]/g, "_")}.ts`);
      mkdirSync(path.join(dir, `s${i}`), { recursive: true });
      writeFileSync(path.join(dir, rel), parts.join(""));
      files.set(rel, { submission: i, notebook, cells });
    }
  });
  return files;
}

export interface Diagnostic {
  file: string;
  line: number;
  column: number;
  code: number;
  message: string;
}

const DIAGNOSTIC = /^(.+?)\((\d+),(\d+)\): error TS(\d+): (.*)$/;

/** Parse `tsc --pretty false` output: one diagnostic per line, continuation lines indented. */
export function parseDiagnostics(output: string): Diagnostic[] {
  const out: Diagnostic[] = [];
  for (const line of output.split("\n")) {
    const m = DIAGNOSTIC.exec(line);
    if (m) out.push({ file: m[1], line: Number(m[2]), column: Number(m[3]), code: Number(m[4]), message: m[5] });
    else if (/^\s+\S/.test(line) && out.length) out[out.length - 1].message += `\n${line.trim()}`;
  }
  return out;
}

/**
 * TypeScript 7's native compiler. Its npm launcher is a Node script that starts the binary as
 * a child; starting the binary directly saves a Node start-up and lets it die with the grader.
 */
function compilerCommand(): { command: string; args: string[] } {
  const pkg = require.resolve("typescript7/package.json");
  try {
    const native = createRequire(pkg).resolve(`@typescript/typescript-${process.platform}-${process.arch}/package.json`);
    const exe = path.join(path.dirname(native), "lib", process.platform === "win32" ? "tsc.exe" : "tsc");
    if (existsSync(exe)) return { command: exe, args: [] };
  } catch {
    /* no native package for this platform: use the launcher */
  }
  return { command: process.execPath, args: [path.join(path.dirname(pkg), "bin", "tsc")] };
}

function runCompiler(dir: string): Promise<string> {
  const compiler = compilerCommand();
  const { command, args, wrapped } = dyingWithParent(compiler.command, [...compiler.args, "-p", dir, "--pretty", "false"]);
  return new Promise((resolve, reject) => {
    // Its own session (no terminal Ctrl-C: the grader decides), and it dies with the grader.
    const child = spawn(command, args, { cwd: dir, stdio: ["ignore", "pipe", "pipe"], detached: wrapped });
    let stdout = "";
    let stderr = "";
    child.stdout.on("data", (d: Buffer) => (stdout += d.toString()));
    child.stderr.on("data", (d: Buffer) => (stderr += d.toString()));
    child.on("error", reject);
    // Exit code 1 or 2 means diagnostics were found; anything printed on stderr is a failure.
    child.on("exit", (code) => (stderr.trim() || (code ?? 3) > 2 ? reject(new Error(`tsc failed (${code}): ${stderr}`)) : resolve(stdout)));
  });
}

/** Submissions per compiler run: the compiler's memory grows with its program, a batch's must not. */
const CHECK_CHUNK = 100;

/**
 * Type-check the batch in `dir` (a fresh folder), one compiler run per chunk of submissions, one
 * run after another. Every chunk's project is written before this returns, so the caller may
 * drop the sources at once. Resolves to one list of type-error problems per submission, about
 * the learner's own (solution) cells only, framed in `lang` (the compiler's
 * own text stays as it is).
 */
export function typeCheckSubmissions(submissions: CellSource[][], dir: string, lang: Language = "en"): Promise<Problem[][]> {
  const projects: { dir: string; count: number; files: Map<string, FileInfo> }[] = [];
  try {
    for (let start = 0; start < submissions.length; start += CHECK_CHUNK) {
      const chunk = submissions.slice(start, start + CHECK_CHUNK);
      const partDir = path.join(dir, `part-${start / CHECK_CHUNK}`);
      projects.push({ dir: partDir, count: chunk.length, files: writeProject(partDir, chunk) });
    }
  } catch (err) {
    return Promise.reject(err);
  }
  return (async () => {
    const problems: Problem[][] = [];
    for (const p of projects) problems.push(...(await typeCheckProject(p.dir, p.count, p.files, lang)));
    return problems;
  })();
}

async function typeCheckProject(dir: string, count: number, files: Map<string, FileInfo>, lang: Language): Promise<Problem[][]> {
  const diagnostics = parseDiagnostics(await runCompiler(dir));
  const problems: Problem[][] = Array.from({ length: count }, () => []);
  for (const d of diagnostics) {
    const info = files.get(path.normalize(d.file));
    if (!info) continue;
    const line0 = d.line - 1;
    const cell = info.cells.find((c) => line0 >= c.startLine && line0 < c.endLine);
    // Setup cells are the instructor's and import packages the checker does not load.
    if (!cell?.exercise) continue;
    const list = problems[info.submission];
    if (list.length >= MAX_REPORTED) continue;
    list.push({
      kind: "type-error",
      notebook: info.notebook,
      exercise: cell.exercise,
      message: message(lang, "submission.typeError", { cell: cell.label, line: line0 - cell.startLine + 1, column: d.column, diagnostic: d.message, code: d.code }),
    });
  }
  return problems;
}

/**
 * Type errors in learner code, for feedback only: they never cost points (the code is
 * transpiled without a check), but a learner should hear about them. A batch is checked by
 * TypeScript 7's native compiler (the `typescript7` package), one run per hundred submissions,
 * one file per submitted notebook: it reports the same diagnostics as the 5.x compiler at a fifth of the CPU
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

/** The files every project shares: the helpers' types, the ambient console and tsconfig.json. */
function writeProjectFrame(dir: string): void {
  mkdirSync(dir, { recursive: true });
  writeFileSync(path.join(dir, "kernel-helpers.d.ts"), helpersDeclaration());
  writeFileSync(path.join(dir, "ambient.d.ts"), AMBIENT);
  writeFileSync(path.join(dir, "tsconfig.json"), JSON.stringify(TSCONFIG, null, 2));
}

/** Write submission `i`'s notebooks into the project in `dir`, one file each, recorded in `files`. */
function writeSubmissionFiles(dir: string, i: number, sources: CellSource[], files: Map<string, FileInfo>): void {
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

/** What one compiler run found: a list of type-error problems per submission, or why it failed. */
export interface CheckedPart {
  problems: Problem[][];
  failure?: string;
}

interface Project {
  dir: string;
  count: number;
  files: Map<string, FileInfo>;
  checked?: Promise<CheckedPart>;
}

/**
 * A batch's type check in `dir` (a fresh folder), fed a few submissions at a time so that the
 * caller never holds the whole batch's cells: every `perRun` submissions (CHECK_CHUNK) make a project of
 * their own, checked by one compiler run as soon as it is complete, one run after another.
 * Problems concern the learner's own (solution) cells only, framed in `lang` (the compiler's
 * own text stays as it is).
 */
export class TypeCheckBatch {
  private readonly projects: Project[] = [];
  private added = 0;
  private queue: Promise<unknown> = Promise.resolve();

  constructor(
    private readonly dir: string,
    private readonly lang: Language = "en",
    private readonly perRun: number = CHECK_CHUNK,
  ) {}

  /** Write the next submissions' cells (numbered on from the previous call); the caller may drop them at once. */
  add(submissions: CellSource[][]): void {
    for (const sources of submissions) {
      const part = Math.floor(this.added / this.perRun);
      let project = this.projects[part];
      if (!project) {
        if (part > 0) this.start(this.projects[part - 1]);
        project = this.projects[part] = { dir: path.join(this.dir, `part-${part}`), count: 0, files: new Map() };
        writeProjectFrame(project.dir);
      }
      writeSubmissionFiles(project.dir, project.count++, sources, project.files);
      this.added++;
    }
  }

  /** All submissions are added: check the last project too. */
  close(): void {
    const last = this.projects[this.projects.length - 1];
    if (last) this.start(last);
  }

  /** The check of submission `i`'s project (after close(), or once its project is complete). */
  part(i: number): Promise<CheckedPart> {
    const project = this.projects[Math.floor(i / this.perRun)];
    return project?.checked ?? Promise.resolve({ problems: [] });
  }

  /** Problems of submission `i`, once its project is checked. */
  async problemsOf(i: number): Promise<{ problems: Problem[]; failure?: string }> {
    const part = await this.part(i);
    return { problems: part.problems[i % this.perRun] ?? [], failure: part.failure };
  }

  private start(project: Project): void {
    if (project.checked) return;
    const run = this.queue.then(() => typeCheckProject(project.dir, project.count, project.files, this.lang));
    this.queue = run.catch(() => undefined);
    project.checked = run.then(
      (problems) => ({ problems }),
      (err: Error) => ({ problems: [], failure: err.message }),
    );
    // The cell spans are needed only by this check.
    void project.checked.then(() => project.files.clear());
  }
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
      message: message(lang, "submission.typeError", {
        cell: cell.label,
        line: line0 - cell.startLine + 1,
        column: d.column,
        diagnostic: d.message,
        code: d.code,
      }),
    });
  }
  return problems;
}

/**
 * Build the student release of an assignment: stubbed notebooks with cleared outputs and
 * checksummed locked cells, plus the assignment's public files (such as checks.ts). Hidden
 * tests are never copied, and the result is scanned afterwards to prove it.
 */
import { copyFileSync, existsSync, mkdirSync, readdirSync, rmSync, statSync } from "node:fs";
import path from "node:path";
import { Assignment, HIDDEN_TESTS_DIR } from "../assignment/load";
import { readNotebookSync, serializeNotebook, sourceText, writeNotebook } from "../notebook/io";
import { BEGIN_SOLUTION, computeChecksum, END_SOLUTION, nbgraderOf } from "../notebook/nbgrader";
import { Cell, Notebook } from "../notebook/schema";
import { transpileCell } from "../submission/transpile";
import { removeHiddenTests, StubError, stubCode, stubMarkdown } from "./stub";

export interface Release {
  dir: string;
  notebooks: string[];
  files: string[];
}

/** Files that must never reach learners, wherever they sit in the assignment folder. */
export function isHiddenPath(relative: string): boolean {
  const parts = relative.split(path.sep);
  return parts.includes(HIDDEN_TESTS_DIR) || /\.(test|spec)\.[cm]?[jt]sx?$/.test(relative);
}

export function releaseNotebook(nb: Notebook, file: string): Notebook {
  const cells = nb.cells.map((cell, i): Cell => {
    const where = `${file}, cell ${i + 1}`;
    const meta = nbgraderOf(cell);
    let source = removeHiddenTests(sourceText(cell), where);
    if (meta?.solution) {
      if (cell.cell_type === "code") {
        source = stubCode(source, meta.grade_id ?? "exercise", where);
        const compiled = transpileCell(source, where);
        if (!compiled.ok) throw new StubError(`${where}: the stub does not compile: ${compiled.error}`);
      } else if (cell.cell_type === "markdown") {
        source = stubMarkdown(source, where);
      }
    }
    const out: Cell = cell.cell_type === "code" ? { ...cell, source, outputs: [], execution_count: null } : { ...cell, source };
    if (meta && (meta.locked || meta.grade)) {
      const nbgrader = { ...meta };
      delete nbgrader.checksum;
      nbgrader.checksum = computeChecksum(out, nbgrader);
      out.metadata = { ...out.metadata, nbgrader };
    }
    return out;
  });
  return { ...nb, cells };
}

function copyPublicFiles(from: string, to: string, base: string, copied: string[]): void {
  for (const entry of readdirSync(from, { withFileTypes: true })) {
    const src = path.join(from, entry.name);
    const rel = path.relative(base, src);
    if (entry.name.startsWith(".") || entry.name === "node_modules" || isHiddenPath(rel)) continue;
    if (entry.isDirectory()) {
      copyPublicFiles(src, path.join(to, entry.name), base, copied);
    } else if (entry.isFile() && !entry.name.endsWith(".ipynb")) {
      mkdirSync(to, { recursive: true });
      copyFileSync(src, path.join(to, entry.name));
      copied.push(path.join(to, entry.name));
    }
  }
}

export async function createRelease(assignment: Assignment, outRoot: string, options: { force?: boolean } = {}): Promise<Release> {
  const dir = path.resolve(outRoot, assignment.name);
  if (path.resolve(dir) === path.resolve(assignment.dir)) throw new Error("the release folder cannot be the assignment folder itself");
  if (existsSync(dir) && readdirSync(dir).length > 0) {
    if (!options.force) throw new Error(`${dir} already exists; pass --force to replace it`);
    rmSync(dir, { recursive: true, force: true });
  }
  mkdirSync(dir, { recursive: true });
  const release: Release = { dir, notebooks: [], files: [] };
  for (const nb of assignment.notebooks) {
    const out = path.join(dir, nb.file);
    await writeNotebook(out, releaseNotebook(nb.notebook, nb.file));
    release.notebooks.push(out);
  }
  copyPublicFiles(assignment.dir, dir, assignment.dir, release.files);
  auditRelease(release);
  return release;
}

/** Prove that nothing secret reached the release: no hidden test files, no solution text. */
export function auditRelease(release: Release): void {
  const walk = (d: string): string[] =>
    readdirSync(d).flatMap((f) => {
      const full = path.join(d, f);
      return statSync(full).isDirectory() ? walk(full) : [full];
    });
  for (const file of walk(release.dir)) {
    const rel = path.relative(release.dir, file);
    if (isHiddenPath(rel)) throw new Error(`release audit: hidden test file ${rel} is in the release`);
  }
  for (const file of release.notebooks) {
    const text = serializeNotebook(readNotebookSync(file));
    if (text.includes(BEGIN_SOLUTION) || text.includes(END_SOLUTION)) throw new Error(`release audit: ${path.basename(file)} still contains a solution region`);
  }
}

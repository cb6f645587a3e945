/**
 * From a submission's notebooks to the cells the sandbox runs. Only setup cells and solution
 * cells are taken, in the source notebook's order; setup cells always come from the source
 * (a learner's edit to a locked cell is reported and undone), solution cells from the learner.
 * Cells are matched by nbgrader grade_id, so moving cells around does not matter. What it says
 * about a submission (problems, cell labels) is in the learner's language.
 */
import { existsSync, lstatSync, readdirSync, Stats, statSync } from "node:fs";
import path from "node:path";
import { Language, message, render } from "@course-kit/kernel-helpers/messages";
import { Assignment, AssignmentNotebook, isSetupCell } from "../assignment/load";
import { NotebookError, readNotebookSync, sourceText } from "../notebook/io";
import { applyMarkers } from "../notebook/markers";
import { computeChecksum, nbgraderOfLenient } from "../notebook/nbgrader";
import { Cell, Notebook } from "../notebook/schema";
import { LearnerCell, LearnerProgram } from "../sandbox/protocol";
import { transpileCellAsync } from "./transpile";

export type ProblemKind =
  | "unreadable-submission"
  | "missing-notebook"
  | "missing-cell"
  | "locked-cell-edited"
  | "locked-cell-deleted"
  | "compile-error"
  | "type-error"
  | "extra-notebook";

export interface Problem {
  kind: ProblemKind;
  message: string;
  notebook?: string;
  exercise?: string;
}

export interface SubmissionNotebook {
  /** The assignment notebook it answers. */
  source: AssignmentNotebook;
  file: string;
  notebook: Notebook;
}

/** A cell's TypeScript as the learner wrote it (or as the source has it, for setup cells). */
export interface CellSource {
  notebook: string;
  label: string;
  exercise?: string;
  /** Undefined when the cell is missing from the submission. */
  source?: string;
  /** Why the cell cannot be used, when it is missing. */
  missing?: string;
}

export interface ExtractedSubmission {
  name: string;
  input: string;
  /** Setup and solution cells, in the order the sandbox loads them. */
  sources: CellSource[];
  problems: Problem[];
  /** Set when nothing could be read at all (score 0, with this message). */
  fatal?: string;
}

function gradeIdOf(cell: Cell): string | undefined {
  return nbgraderOfLenient(cell)?.grade_id ?? undefined;
}

function findByGradeId(nb: Notebook, id: string): { cell: Cell; index: number } | undefined {
  const index = nb.cells.findIndex((c) => gradeIdOf(c) === id);
  return index >= 0 ? { cell: nb.cells[index], index } : undefined;
}

/** Pick the assignment notebook a lone submitted notebook answers: by file name, else by grade_ids. */
function matchNotebook(assignment: Assignment, file: string, nb: Notebook): AssignmentNotebook | undefined {
  const byName = assignment.notebooks.find((a) => a.file === path.basename(file));
  if (byName) return byName;
  const ids = new Set(nb.cells.map(gradeIdOf).filter((x): x is string => !!x));
  let best: AssignmentNotebook | undefined;
  let bestScore = 0;
  for (const a of assignment.notebooks) {
    const score = a.notebook.cells.filter((c) => {
      const id = gradeIdOf(c);
      return id !== undefined && ids.has(id);
    }).length;
    if (score > bestScore) [best, bestScore] = [a, score];
  }
  return best;
}

/** Larger notebook files are refused unread: graded code is small, and the grader must not run out of memory. */
export const MAX_NOTEBOOK_BYTES = 64 * 1024 * 1024;

export interface SubmissionEntries {
  /** Regular .ipynb files to read. */
  files: string[];
  /** Entries that are not read, and why (in the learner's terms). */
  refused: { file: string; why: string }[];
}

function refusal(file: string, stat: Stats, lang: Language): string | undefined {
  const name = path.basename(file);
  if (stat.isSymbolicLink()) return message(lang, "submission.symlink", { file: name });
  if (!stat.isFile() && !stat.isDirectory()) return message(lang, "submission.notRegular", { file: name });
  if (stat.isFile() && stat.size > MAX_NOTEBOOK_BYTES) {
    const mib = (n: number) => (n / 1048576).toFixed(1);
    return message(lang, "submission.tooLarge", { file: name, size: mib(stat.size), max: mib(MAX_NOTEBOOK_BYTES) });
  }
  return undefined;
}

/**
 * The notebooks of a submission: the file itself, or the .ipynb files directly inside a
 * folder. Symbolic links and special files are never followed, and oversized files not read.
 */
export function submissionEntries(input: string, lang: Language = "en"): SubmissionEntries {
  const out: SubmissionEntries = { files: [], refused: [] };
  const top = lstatSync(input);
  const why = refusal(input, top, lang);
  if (why) {
    out.refused.push({ file: input, why });
    return out;
  }
  if (!top.isDirectory()) {
    out.files.push(input);
    return out;
  }
  for (const name of readdirSync(input).sort()) {
    if (!name.endsWith(".ipynb") || name.startsWith(".")) continue;
    const file = path.join(input, name);
    const reason = refusal(file, lstatSync(file), lang);
    if (reason) out.refused.push({ file, why: reason });
    else if (statSync(file).isFile()) out.files.push(file);
  }
  return out;
}

export function extractSubmission(assignment: Assignment, input: string, name: string, lang: Language = assignment.language): ExtractedSubmission {
  const result: ExtractedSubmission = { name, input, sources: [], problems: [] };
  // The parsed notebooks are needed only here: a batch keeps just the cells' text.
  const answers: SubmissionNotebook[] = [];
  if (!existsSync(input) && !isLink(input)) {
    result.fatal = message(lang, "submission.notFound", { input });
    return result;
  }
  if (/\.zip$/i.test(input) && statSync(input).isFile()) {
    result.fatal = message(lang, "submission.archive", { input });
    return result;
  }
  const { files: entries, refused } = submissionEntries(input, lang);
  // Files named like an assignment notebook are matched first, so that a renamed copy (a backup,
  // "01-conv-basics (1).ipynb") cannot take the place of the notebook of that name.
  const named = new Set(assignment.notebooks.map((n) => n.file));
  const files = entries.sort((a, b) => Number(named.has(path.basename(b))) - Number(named.has(path.basename(a))));
  const unreadable: string[] = refused.map((r) => r.why);
  for (const r of refused) result.problems.push({ kind: "unreadable-submission", message: r.why, notebook: path.basename(r.file) });
  if (files.length === 0) {
    result.fatal = unreadable.length ? unreadable.join("\n") : message(lang, "submission.noNotebook", { input });
    return result;
  }
  for (const file of files) {
    let nb: Notebook;
    try {
      // A marker-only notebook (the instructor's own source, say) reads as its metadata twin.
      nb = applyMarkers(readNotebookSync(file), path.basename(file), "lenient");
    } catch (err) {
      const why = err instanceof NotebookError ? err.describe(lang) : `${file}: ${(err as Error).message}`;
      unreadable.push(why);
      result.problems.push({ kind: "unreadable-submission", message: why, notebook: path.basename(file) });
      continue;
    }
    const source = matchNotebook(assignment, file, nb);
    const submitted = path.basename(file);
    if (!source) {
      result.problems.push({ kind: "extra-notebook", message: message(lang, "submission.extraNotebook", { file: submitted }), notebook: submitted });
      continue;
    }
    if (answers.some((n) => n.source === source)) {
      result.problems.push({
        kind: "extra-notebook",
        message: message(lang, "submission.secondAnswer", { file: submitted, notebook: source.file }),
        notebook: submitted,
      });
      continue;
    }
    answers.push({ source, file, notebook: nb });
  }
  if (answers.length === 0) {
    result.fatal = unreadable.length ? unreadable.join("\n") : message(lang, "submission.wrongAssignment", { assignment: assignment.name });
    return result;
  }

  for (const source of assignment.notebooks) {
    const submitted = answers.find((n) => n.source === source);
    if (!submitted) {
      if (source.exercises.length) {
        result.problems.push({
          kind: "missing-notebook",
          message: message(lang, "submission.notebookMissing", { notebook: source.file, exercises: source.exercises.map((e) => e.name).join(", ") }),
          notebook: source.file,
        });
      }
      for (const ex of source.exercises) {
        const missing = message(lang, "submission.notebookNotSubmitted", { notebook: source.file });
        result.sources.push({ notebook: source.file, label: `${source.file} (${ex.name})`, exercise: ex.name, missing });
      }
      continue;
    }
    checkLockedCells(source, submitted.notebook, result.problems, lang);
    result.sources.push(...programCells(source, submitted.notebook, result.problems, lang));
  }
  return result;
}

function isLink(file: string): boolean {
  try {
    return lstatSync(file).isSymbolicLink();
  } catch {
    return false;
  }
}

function checkLockedCells(source: AssignmentNotebook, nb: Notebook, problems: Problem[], lang: Language): void {
  for (const locked of source.lockedCells) {
    const found = findByGradeId(nb, locked.gradeId);
    const where = { notebook: source.file, id: locked.gradeId };
    if (!found) {
      problems.push({ kind: "locked-cell-deleted", notebook: source.file, message: message(lang, "submission.lockedDeleted", where) });
      continue;
    }
    // Compare as nbgrader does (checksum of source, type and flags), with the source's flags,
    // so a learner cannot hide an edit by also editing the metadata.
    if (computeChecksum(found.cell, locked.meta) !== locked.checksum || found.cell.cell_type !== locked.cell.cell_type) {
      problems.push({
        kind: "locked-cell-edited",
        notebook: source.file,
        message: message(lang, "submission.lockedEdited", { ...where, cell: found.index + 1 }),
      });
    }
  }
}

function programCells(source: AssignmentNotebook, nb: Notebook, problems: Problem[], lang: Language): CellSource[] {
  const cells: CellSource[] = [];
  source.notebook.cells.forEach((srcCell, srcIndex) => {
    if (srcCell.cell_type !== "code") return;
    const meta = nbgraderOfLenient(srcCell);
    if (isSetupCell(srcCell)) {
      cells.push({ notebook: source.file, label: message(lang, "cell.setup", { file: source.file, cell: srcIndex + 1 }), source: sourceText(srcCell) });
      return;
    }
    if (!meta?.solution || !meta.grade_id) return;
    const exercise = meta.grade_id;
    const found = findByGradeId(nb, exercise);
    if (!found) {
      const missing = message(lang, "submission.cellMissing", { exercise, notebook: source.file });
      problems.push({ kind: "missing-cell", notebook: source.file, exercise, message: missing });
      cells.push({ notebook: source.file, label: `${source.file} (${exercise})`, exercise, missing });
      return;
    }
    const label = message(lang, "cell.solution", { file: source.file, cell: found.index + 1, exercise });
    cells.push({ notebook: source.file, label, exercise, source: sourceText(found.cell) });
  });
  return cells;
}

/** Transpile the cells (concurrently); syntax errors become problems and unloadable cells. */
export async function compileProgram(sources: CellSource[], problems: Problem[], lang: Language = "en"): Promise<LearnerProgram> {
  const cells = await Promise.all(
    sources.map(async (c): Promise<LearnerCell> => {
      const base = { label: c.label, notebook: c.notebook, exercise: c.exercise };
      if (c.source === undefined) return { ...base, code: "", compileError: c.missing ?? "missing" };
      const out = await transpileCellAsync(c.source, c.label);
      if (out.ok) return { ...base, code: out.code, map: out.map };
      const error = render(lang, out.reason);
      problems.push({ kind: "compile-error", notebook: c.notebook, exercise: c.exercise, message: `${c.label}: ${error}` });
      return { ...base, code: "", compileError: error };
    }),
  );
  return { cells };
}

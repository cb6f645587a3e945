/**
 * An assignment folder as the grader sees it: the source notebooks (with solutions), the
 * exercises they define, the public checks file, the hidden Jest tests and its settings
 * (assignment.json: the language of its feedback). Loading checks the instructor's marking so
 * that mistakes surface here, with the cell named, not during grading.
 */
import { existsSync, readdirSync, readFileSync, statSync } from "node:fs";
import path from "node:path";
import { ASSIGNMENT_FILE } from "@course-kit/kernel-helpers/language";
import { Language, LANGUAGES } from "@course-kit/kernel-helpers/messages";
import { z } from "zod";
import { readNotebookSync, sourceText } from "../notebook/io";
import { applyMarkers, MarkerError } from "../notebook/markers";
import { BEGIN_SOLUTION, computeChecksum, END_SOLUTION, NbgraderMetadata, nbgraderOf, tagsOf } from "../notebook/nbgrader";
import { Cell, Notebook } from "../notebook/schema";

export const HIDDEN_TESTS_DIR = "hidden-tests";
export const PUBLIC_CHECKS_FILE = "checks.ts";
export const SETUP_TAG = "setup";
export const CHECK_PREFIX = "check-";

export interface Exercise {
  /** The function's name, which is also its solution cell's grade_id. */
  name: string;
  notebook: string;
  /** Points of the exercise's check cell. */
  points: number;
  /** Where the check cell is, for messages: "01-conv-basics.ipynb, cell 12". */
  checkCell: string;
  /** Position among all exercises of the assignment. */
  order: number;
}

export interface LockedCell {
  gradeId: string;
  index: number;
  cell: Cell;
  meta: NbgraderMetadata;
  checksum: string;
}

export interface AssignmentNotebook {
  /** File name, e.g. "01-conv-basics.ipynb"; submissions are matched on it. */
  file: string;
  path: string;
  notebook: Notebook;
  exercises: Exercise[];
  lockedCells: LockedCell[];
}

export interface Assignment {
  name: string;
  dir: string;
  /** The language learners read their feedback in: assignment.json's, English without one. */
  language: Language;
  notebooks: AssignmentNotebook[];
  exercises: Exercise[];
  hiddenTests: string[];
  publicChecks?: string;
  totalPoints: number;
}

export class AssignmentError extends Error {}

export function isSetupCell(cell: Cell): boolean {
  return cell.cell_type === "code" && tagsOf(cell).includes(SETUP_TAG);
}

/** The notebooks in a folder, sorted; `tsnb run` outputs (`*.out.ipynb`) are not among them. */
export function listNotebooks(dir: string): string[] {
  return readdirSync(dir)
    .filter((f) => f.endsWith(".ipynb") && !f.endsWith(".out.ipynb") && !f.startsWith("."))
    .sort()
    .map((f) => path.join(dir, f));
}

export interface LoadOptions {
  /** A released copy: solution cells hold stubs instead of solution regions. */
  released?: boolean;
}

/** The notebooks of an assignment folder; a missing folder or one without notebooks is refused. */
export function assignmentNotebooks(dir: string): string[] {
  const abs = path.resolve(dir);
  if (!existsSync(abs) || !statSync(abs).isDirectory()) throw new AssignmentError(`assignment folder not found: ${dir}`);
  const files = listNotebooks(abs);
  if (files.length === 0) throw new AssignmentError(`no .ipynb notebooks in ${dir}`);
  return files;
}

export function loadAssignment(dir: string, options: LoadOptions = {}): Assignment {
  const abs = path.resolve(dir);
  const files = assignmentNotebooks(dir);

  const exercises: Exercise[] = [];
  const notebooks = files.map((file) => {
    const nb = loadSourceNotebook(file, options);
    for (const ex of nb.exercises) {
      if (exercises.some((e) => e.name === ex.name)) {
        throw new AssignmentError(`exercise ${ex.name} is defined in two notebooks (${exercises.find((e) => e.name === ex.name)!.notebook} and ${nb.file})`);
      }
      exercises.push({ ...ex, order: exercises.length });
    }
    return nb;
  });

  const hiddenDir = path.join(abs, HIDDEN_TESTS_DIR);
  const hiddenTests = existsSync(hiddenDir)
    ? readdirSync(hiddenDir)
        .filter((f) => /\.test\.[cm]?[jt]s$/.test(f))
        .sort()
        .map((f) => path.join(hiddenDir, f))
    : [];
  const publicChecks = path.join(abs, PUBLIC_CHECKS_FILE);
  return {
    name: path.basename(abs),
    dir: abs,
    language: readSettings(abs).language,
    notebooks,
    exercises,
    hiddenTests,
    publicChecks: existsSync(publicChecks) ? publicChecks : undefined,
    totalPoints: exercises.reduce((s, e) => s + e.points, 0),
  };
}

const settingsSchema = z.strictObject({ language: z.enum(LANGUAGES as [Language, ...Language[]]) });
export type AssignmentSettings = z.infer<typeof settingsSchema>;

/** assignment.json, which the release carries beside the notebooks (the notebook helpers read it too). */
export function readSettings(dir: string): AssignmentSettings {
  const file = path.join(dir, ASSIGNMENT_FILE);
  if (!existsSync(file)) return { language: "en" };
  let raw: unknown;
  try {
    raw = JSON.parse(readFileSync(file, "utf8"));
  } catch (err) {
    throw new AssignmentError(`${file}: not valid JSON (${(err as Error).message})`);
  }
  const parsed = settingsSchema.safeParse(raw);
  if (!parsed.success) {
    const issue = parsed.error.issues[0];
    const where = issue.path.length ? `"${issue.path.join(".")}": ` : "";
    throw new AssignmentError(`${file}: ${where}${issue.message} (expected {"language": "${LANGUAGES.join('" or "')}"})`);
  }
  return parsed.data;
}

function loadSourceNotebook(file: string, options: LoadOptions): AssignmentNotebook {
  const name = path.basename(file);
  let notebook: Notebook;
  try {
    // Marker comments (// tsnb: ...) become nbgrader metadata here; the rest of the kit sees only metadata.
    notebook = applyMarkers(readNotebookSync(file), name, "strict");
  } catch (err) {
    throw err instanceof MarkerError ? new AssignmentError(err.message) : err;
  }
  const where = (i: number) => `${name}, cell ${i + 1}`;
  const gradeIds = new Set<string>();
  const solutions: { name: string; index: number }[] = [];
  const checks = new Map<string, { points: number; index: number }>();
  const lockedCells: LockedCell[] = [];

  notebook.cells.forEach((cell, index) => {
    let meta: NbgraderMetadata | undefined;
    try {
      meta = nbgraderOf(cell);
    } catch (err) {
      throw new AssignmentError(`${where(index)}: ${(err as Error).message}`);
    }
    if (!meta) {
      if (isSetupCell(cell)) throw new AssignmentError(`${where(index)}: a setup cell must be locked (nbgrader locked: true with a grade_id)`);
      return;
    }
    const id = meta.grade_id ?? "";
    if (id) {
      if (gradeIds.has(id)) throw new AssignmentError(`${where(index)}: duplicate grade_id ${JSON.stringify(id)}`);
      gradeIds.add(id);
    }
    if (meta.solution) {
      if (cell.cell_type !== "code") return;
      const text = sourceText(cell);
      if (!options.released && (!text.includes(BEGIN_SOLUTION) || !text.includes(END_SOLUTION))) {
        throw new AssignmentError(`${where(index)}: solution cell ${id} has no ${BEGIN_SOLUTION} / ${END_SOLUTION} region`);
      }
      if (!new RegExp(`(function\\s+${id}\\s*\\()|((const|let|var)\\s+${id}\\b)`).test(text)) {
        throw new AssignmentError(`${where(index)}: solution cell ${id} does not define a function named ${id}`);
      }
      solutions.push({ name: id, index });
    }
    if (meta.grade && id.startsWith(CHECK_PREFIX)) checks.set(id.slice(CHECK_PREFIX.length), { points: meta.points ?? 0, index });
    if (meta.locked || meta.grade) {
      lockedCells.push({ gradeId: id, index, cell, meta, checksum: computeChecksum(cell, meta) });
    }
  });

  const exercises = solutions.map(({ name: ex, index }) => {
    const check = checks.get(ex);
    if (check === undefined) {
      throw new AssignmentError(
        `${where(index)}: exercise ${ex} has no check cell (a locked, graded cell with grade_id ${CHECK_PREFIX}${ex}, or "// tsnb: check ${ex} points=<n>")`,
      );
    }
    return { name: ex, notebook: name, points: check.points, checkCell: where(check.index), order: 0 };
  });
  for (const id of checks.keys()) {
    if (!solutions.some((s) => s.name === id)) throw new AssignmentError(`${name}: check cell ${CHECK_PREFIX}${id} has no solution cell ${id}`);
  }
  return { file: name, path: file, notebook, exercises, lockedCells };
}

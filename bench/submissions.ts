/**
 * Learner submissions made from an assignment's source notebooks, for benchmarks, tests and
 * the bundled samples: the released notebooks with solution cells filled in the way a learner
 * would (the instructor's code without the solution markers), then changed to taste.
 */
import { mkdirSync } from "node:fs";
import path from "node:path";
import { releaseNotebook } from "../grader/assign/release";
import { Assignment } from "../grader/assignment/load";
import { sourceText, writeNotebook } from "../grader/notebook/io";
import { BEGIN_SOLUTION, END_SOLUTION, nbgraderOfLenient } from "../grader/notebook/nbgrader";
import { Cell, Notebook } from "../grader/notebook/schema";
import { SourceMistake, sourceMistakes } from "./week07-mistakes";

/** A submission in memory: notebook file name → notebook. */
export type Notebooks = Map<string, Notebook>;

function gradeId(cell: Cell): string | undefined {
  return nbgraderOfLenient(cell)?.grade_id ?? undefined;
}

/** The instructor's solution as a learner would submit it: released notebooks, bodies filled in. */
export function solvedNotebooks(assignment: Assignment): Notebooks {
  const out: Notebooks = new Map();
  for (const nb of assignment.notebooks) {
    const released = releaseNotebook(nb.notebook, nb.file);
    const cells = released.cells.map((cell) => {
      const id = gradeId(cell);
      const meta = nbgraderOfLenient(cell);
      if (!meta?.solution || cell.cell_type !== "code" || !id) return cell;
      const original = nb.notebook.cells.find((c) => gradeId(c) === id)!;
      const body = sourceText(original)
        .split("\n")
        .filter((line) => !line.includes(BEGIN_SOLUTION) && !line.includes(END_SOLUTION))
        .join("\n");
      return { ...cell, source: body };
    });
    out.set(nb.file, { ...released, cells });
  }
  return out;
}

/** The bare release: every exercise a stub. */
export function releasedNotebooks(assignment: Assignment): Notebooks {
  return new Map(assignment.notebooks.map((nb) => [nb.file, releaseNotebook(nb.notebook, nb.file)]));
}

/** A copy with the cell of `id` (an nbgrader grade_id) given a new source, or removed. */
export function withCell(nbs: Notebooks, id: string, source: string | null): Notebooks {
  const out: Notebooks = new Map();
  let found = false;
  for (const [file, nb] of nbs) {
    const cells = nb.cells.flatMap((cell) => {
      if (gradeId(cell) !== id) return [cell];
      found = true;
      return source === null ? [] : [{ ...cell, source }];
    });
    out.set(file, { ...nb, cells });
  }
  if (!found) throw new Error(`no cell with grade_id ${id}`);
  return out;
}

/** The source of the cell with grade_id `id`. */
export function cellSource(nbs: Notebooks, id: string): string {
  for (const nb of nbs.values()) {
    const cell = nb.cells.find((c) => gradeId(c) === id);
    if (cell) return sourceText(cell);
  }
  throw new Error(`no cell with grade_id ${id}`);
}

export function exerciseOf(mistake: SourceMistake): string {
  return mistake.misconception.slice(0, mistake.misconception.indexOf("/"));
}

/** The submission with a catalogued mistake written into its exercise's solution cell. */
export function withMistake(nbs: Notebooks, mistake: SourceMistake): Notebooks {
  const exercise = exerciseOf(mistake);
  let source = cellSource(nbs, exercise);
  for (const [from, to] of mistake.edits) {
    if (!source.includes(from)) throw new Error(`${mistake.misconception}: the solution of ${exercise} has no ${JSON.stringify(from)}`);
    source = source.split(from).join(to);
  }
  return withCell(nbs, exercise, source);
}

/**
 * Up to `count` catalogued mistakes for `seed`, in exercises outside `avoid` and one per
 * exercise; successive seeds start far apart in the list, so a class gets a broad mix.
 */
export function pickMistakes(assignment: Assignment, seed: number, count: number, avoid: string[]): SourceMistake[] {
  const all = sourceMistakes(assignment.name);
  const chosen: SourceMistake[] = [];
  for (let i = 0; i < all.length && chosen.length < count; i++) {
    const m = all[(seed * 13 + i * 7) % all.length];
    const exercise = exerciseOf(m);
    if (!avoid.includes(exercise) && !chosen.some((c) => exerciseOf(c) === exercise)) chosen.push(m);
  }
  return chosen;
}

/** Exercises (among `names`) whose solution calls one of `callees`, as conv2dIm2col calls im2col. */
function dependents(nbs: Notebooks, names: string[], callees: string[]): string[] {
  return names.filter((e) => !callees.includes(e) && callees.some((c) => new RegExp(`\\b${c}\\(`).test(cellSource(nbs, e))));
}

/** Replace exercise `id` by its released stub. */
export function unsolved(nbs: Notebooks, released: Notebooks, id: string): Notebooks {
  return withCell(nbs, id, cellSource(released, id));
}

export async function writeSubmission(nbs: Notebooks, dir: string): Promise<string> {
  mkdirSync(dir, { recursive: true });
  for (const [file, nb] of nbs) await writeNotebook(path.join(dir, file), nb);
  return dir;
}

/**
 * Make every solution cell of a submission textually unique (a trailing comment naming it), as
 * real learners' code is: no cache keyed by content can then make a benchmark look faster.
 */
export function distinct(nbs: Notebooks, tag: string): Notebooks {
  const out: Notebooks = new Map();
  for (const [file, nb] of nbs) {
    const cells = nb.cells.map((cell) =>
      nbgraderOfLenient(cell)?.solution && cell.cell_type === "code" ? { ...cell, source: `${sourceText(cell)}\n// ${tag}\n` } : cell,
    );
    out.set(file, { ...nb, cells });
  }
  return out;
}

export type SubmissionKind = "full" | "partial" | "broken" | "slow";

/**
 * The submission kinds used by the benchmark and the bundled samples:
 * - full: every exercise solved;
 * - partial: two exercises left as stubs, one with a bug no catalogue names (it answers with
 *   its first argument), and two with catalogued mistakes (bench/week07-mistakes.ts), which the
 *   feedback names;
 * - broken: a syntax error in one exercise, an edited locked cell, a missing notebook, and one
 *   catalogued mistake;
 * - slow: correct, but one exercise burns about 100 ms of CPU on every call (a hundred times
 *   the instructor's code on the hidden tests' inputs).
 */
export function makeSubmission(assignment: Assignment, kind: SubmissionKind, variant = 0): Notebooks {
  return generateSubmission(assignment, kind, variant).notebooks;
}

/** A generated submission and the catalogued mistakes written into it (`<exercise>/<id>`). */
export interface GeneratedSubmission {
  notebooks: Notebooks;
  mistakes: string[];
}

/** makeSubmission, saying which catalogued mistakes it planted (for tests that check they are named). */
export function generateSubmission(assignment: Assignment, kind: SubmissionKind, variant = 0): GeneratedSubmission {
  const planted: SourceMistake[] = [];
  const plant = (nbs: Notebooks, m: SourceMistake) => {
    planted.push(m);
    return withMistake(nbs, m);
  };
  const notebooks = buildSubmission(assignment, kind, variant, plant);
  return { notebooks, mistakes: planted.map((m) => m.misconception) };
}

function buildSubmission(assignment: Assignment, kind: SubmissionKind, variant: number, plant: (nbs: Notebooks, m: SourceMistake) => Notebooks): Notebooks {
  const solved = solvedNotebooks(assignment);
  const released = releasedNotebooks(assignment);
  const names = assignment.exercises.map((e) => e.name);
  const pick = (k: number) => names[(variant + k) % names.length];
  switch (kind) {
    case "full":
      return solved;
    case "partial": {
      let nbs = unsolved(unsolved(solved, released, pick(1)), released, pick(4));
      // A plausible bug: the first return statement answers with its input unchanged.
      const buggy = pick(7);
      nbs = withCell(nbs, buggy, cellSource(nbs, buggy).replace(/\n(\s*)return /, "\n$1return arguments[0] ?? "));
      // Exercises that call a stubbed or buggy one would hide a mistake of their own.
      const avoid = [pick(1), pick(4), buggy, ...dependents(solved, names, [pick(1), pick(4), buggy])];
      for (const m of pickMistakes(assignment, 2 * variant, 2, avoid)) nbs = plant(nbs, m);
      return nbs;
    }
    case "broken": {
      const target = pick(2);
      let nbs = withCell(solved, target, cellSource(solved, target).replace(/\)\s*\{/, ") {{"));
      const check = assignment.notebooks[0].lockedCells.find((c) => c.gradeId.startsWith("check-"));
      if (check) nbs = withCell(nbs, check.gradeId, "// all checks passed, trust me\n");
      const graded = assignment.notebooks.filter((n) => n.exercises.length > 0);
      const missing = graded.length > 1 ? graded[graded.length - 1] : undefined;
      const avoid = [target, ...dependents(solved, names, [target]), ...(missing?.exercises.map((e) => e.name) ?? [])];
      for (const m of pickMistakes(assignment, 2 * variant + 1, 1, avoid)) nbs = plant(nbs, m);
      if (missing) nbs.delete(missing.file);
      return nbs;
    }
    case "slow": {
      const target = pick(5);
      const burn = "{\n  for (const end = Date.now() + 100; Date.now() < end; );";
      return withCell(solved, target, cellSource(solved, target).replace(/\{/, burn));
    }
  }
}

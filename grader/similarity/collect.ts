/**
 * From an assignment and a class's submissions to what the similarity check compares: per
 * exercise, each learner's solution cell (matched by grade_id, as grading does) and the released
 * stub of that cell, which every learner started from and which must not count. Setup cells and
 * the notebooks' prose are the same for everyone and are not collected at all.
 */
import { Assignment, Exercise } from "../assignment/load";
import { releaseNotebook } from "../assign/release";
import type { SubmissionInput } from "../grading/batch";
import { sourceText } from "../notebook/io";
import { nbgraderOf } from "../notebook/nbgrader";
import { extractSubmission } from "../submission/extract";
import type { Solution } from "./compare";

export interface ExerciseSolutions {
  exercise: Exercise;
  /** The released stub of the exercise's solution cell. */
  template: string;
  solutions: Solution[];
  /** Learners whose submission has no solution cell for it. */
  missing: string[];
}

export interface ClassSolutions {
  /** Every submission read: the class's, then the earlier terms' (`archived`). */
  learners: string[];
  /** Submissions of earlier terms: compared with the class's, never with each other. */
  archived: string[];
  exercises: ExerciseSolutions[];
  /** Submissions (or notebooks of them) that could not be read, for the instructor. */
  unreadable: { learner: string; message: string }[];
}

/** The stub learners were given, made by the code that releases the assignment (a released cell already is one). */
export function releasedStub(assignment: Assignment, exercise: Exercise): string {
  const nb = assignment.notebooks.find((n) => n.file === exercise.notebook)!;
  const released = releaseNotebook(nb.notebook, nb.file);
  return sourceText(released.cells.find((c) => c.cell_type === "code" && nbgraderOf(c)?.grade_id === exercise.name)!);
}

export function collectSolutions(
  assignment: Assignment,
  submissions: SubmissionInput[],
  exercises: Exercise[] = assignment.exercises,
  onRead: (learner: string) => void = () => undefined,
  archive: SubmissionInput[] = [],
): ClassSolutions {
  const byExercise = new Map(
    exercises.map((e): [string, ExerciseSolutions] => [e.name, { exercise: e, template: releasedStub(assignment, e), solutions: [], missing: [] }]),
  );
  const unreadable: ClassSolutions["unreadable"] = [];
  for (const { name, input } of [...submissions, ...archive]) {
    // The report is the instructor's: its notes stay English whatever the learners read.
    const extracted = extractSubmission(assignment, input, name, "en");
    if (extracted.fatal) unreadable.push({ learner: name, message: extracted.fatal });
    else for (const p of extracted.problems) if (p.kind === "unreadable-submission") unreadable.push({ learner: name, message: p.message });
    const found = new Set<string>();
    for (const cell of extracted.sources) {
      const target = cell.exercise === undefined ? undefined : byExercise.get(cell.exercise);
      if (!target || cell.source === undefined) continue;
      target.solutions.push({ learner: name, source: cell.source });
      found.add(cell.exercise!);
    }
    for (const [ex, target] of byExercise) if (!found.has(ex)) target.missing.push(name);
    onRead(name);
  }
  return {
    learners: [...submissions, ...archive].map((s) => s.name),
    archived: archive.map((s) => s.name),
    exercises: [...byExercise.values()],
    unreadable,
  };
}

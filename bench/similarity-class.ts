/**
 * Generated classes for the similarity check. Every learner starts from the released notebooks;
 * solution cells are filled from genuinely different implementations of each week 7 exercise
 * (tests/fixtures/similarity-class/<exercise>/*.ts, plus the instructor's solution), and copiers
 * hand in another learner's cell disguised the usual ways (bench/disguise.ts).
 */
import { readdirSync, readFileSync } from "node:fs";
import path from "node:path";
import { Assignment } from "../grader/assignment/load";
import { releasedStub } from "../grader/similarity/collect";
import { Cell } from "../grader/notebook/schema";
import { cellSource, Notebooks, releasedNotebooks, solvedNotebooks, withCell, writeSubmission } from "./submissions";
import { disguise, Disguise } from "./disguise";

const ROOT = path.resolve(__dirname, "..", "..");
export const IMPLEMENTATIONS_DIR = path.join(ROOT, "tests", "fixtures", "similarity-class");
const CELL_MARKER = "// ---- cell ----";

export interface Implementation {
  /** "instructor" or the fixture's file name without .ts. */
  label: string;
  source: string;
}

/**
 * A learner's cell as they would hand it in: the stub's first lines (signature and the
 * exercise's comment) kept, `// YOUR CODE HERE` and the `throw` replaced by their code.
 */
function intoStub(stub: string, code: string): string {
  const stubLines = stub.split("\n");
  const header = stubLines.slice(
    0,
    stubLines.findIndex((l) => l.includes("YOUR CODE HERE")),
  );
  const body = code.trim().split("\n").slice(1);
  return [...header, ...body].join("\n") + "\n";
}

/** Every implementation of every exercise: the instructor's first, then the fixtures in name order. */
export function implementations(assignment: Assignment): Map<string, Implementation[]> {
  const solved = solvedNotebooks(assignment);
  const out = new Map<string, Implementation[]>();
  for (const ex of assignment.exercises) {
    const stub = releasedStub(assignment, ex);
    const list: Implementation[] = [{ label: "instructor", source: cellSource(solved, ex.name) }];
    const dir = path.join(IMPLEMENTATIONS_DIR, ex.name);
    for (const file of readdirSync(dir)
      .filter((f) => f.endsWith(".ts"))
      .sort()) {
      const text = readFileSync(path.join(dir, file), "utf8");
      const at = text.indexOf(CELL_MARKER);
      if (at < 0) throw new Error(`${file}: no ${CELL_MARKER} line`);
      list.push({ label: file.replace(/\.ts$/, ""), source: intoStub(stub, text.slice(at + CELL_MARKER.length)) });
    }
    out.set(ex.name, list);
  }
  return out;
}

export interface CopyPlan {
  exercise: string;
  original: string;
  copy: string;
  disguises: Disguise[];
}

export interface SimilarityClass {
  learners: string[];
  /** Learner → submission folder. */
  dirs: Map<string, string>;
  /** Learner → exercise → implementation label it holds ("stub" for the stub). */
  holds: Map<string, Map<string, string>>;
  copies: CopyPlan[];
  /** Learners who handed in every exercise as the stub. */
  stubs: string[];
  /** Learners whose notebooks share extra prose and scratch cells and a pasted comment block. */
  sharedProse: string[];
}

/** Notes pasted into notebooks by two learners: the same for both, and no evidence of copying code. */
const SHARED_NOTES = [
  "합성곱 층은 입력의 작은 창마다 같은 필터를 곱해 더합니다. 출력 크기는 floor((n + 2p - k) / s) + 1 이고,",
  "stride가 크면 출력이 작아지고 padding은 가장자리 정보를 지킵니다. pooling은 채널 수를 바꾸지 않습니다.",
  "(study group notes, week 7: conv arithmetic, im2col, backprop through conv and pool layers)",
];
const SCRATCH_CELL = [
  "// scratch: try the shapes from the study notes",
  "const trySizes = [[227, 11, 4, 0], [32, 5, 1, 2], [28, 3, 1, 1], [13, 7, 1, 3]];",
  "for (const [n, k, s, p] of trySizes) {",
  "  const manual = Math.floor((n + 2 * p - k) / s) + 1;",
  "  console.log(`n=${n} k=${k} s=${s} p=${p} -> ${manual}`);",
  "}",
].join("\n");

function withSharedProse(nbs: Notebooks, exercises: string[]): Notebooks {
  let out = nbs;
  // The same block of notes pasted as a comment into every solution cell...
  for (const ex of exercises) {
    const source = cellSource(out, ex);
    const at = source.indexOf("\n");
    out = withCell(out, ex, source.slice(0, at + 1) + SHARED_NOTES.map((l) => `  // ${l}`).join("\n") + source.slice(at));
  }
  // ...and as a markdown cell and a scratch code cell in every notebook.
  const result: Notebooks = new Map();
  for (const [file, nb] of out) {
    const extra: Cell[] = [
      { cell_type: "markdown", metadata: {}, source: SHARED_NOTES.join("\n") },
      { cell_type: "code", metadata: {}, source: SCRATCH_CELL, outputs: [], execution_count: null },
    ];
    result.set(file, { ...nb, cells: [...nb.cells, ...extra] });
  }
  return result;
}

/**
 * The test class: five independent learners (each exercise's five implementations rotated so
 * that no two of them hold the same one), five copiers (each hands in one independent learner's
 * cells, with comments changed and, per copier, renamed identifiers, reordered statements,
 * `while` loops, or all of these), and two learners who left every exercise as the stub. Two
 * independent learners also share pasted notes and scratch cells.
 */
export async function writeSimilarityClass(assignment: Assignment, dir: string): Promise<SimilarityClass> {
  const impls = implementations(assignment);
  const exercises = assignment.exercises.map((e) => e.name);
  for (const [ex, list] of impls) if (list.length < 5) throw new Error(`${ex} needs at least 5 implementations, has ${list.length}`);
  const released = releasedNotebooks(assignment);
  const holds = new Map<string, Map<string, string>>();
  const cells = new Map<string, Map<string, string>>();
  const copies: CopyPlan[] = [];

  const independents = [1, 2, 3, 4, 5].map((i) => `indep-${i}`);
  independents.forEach((learner, i) => {
    holds.set(learner, new Map());
    cells.set(learner, new Map());
    exercises.forEach((ex, e) => {
      const impl = impls.get(ex)![(i + e) % 5];
      holds.get(learner)!.set(ex, impl.label);
      cells.get(learner)!.set(ex, impl.source);
    });
  });
  const copiers: [string, Disguise[]][] = [
    ["copy-renamed", ["comments", "renamed"]],
    ["copy-reordered", ["comments", "reordered"]],
    ["copy-comments", ["comments"]],
    ["copy-while", ["comments", "while"]],
    ["copy-all", ["renamed", "reordered", "while", "comments"]],
  ];
  copiers.forEach(([learner, kinds], i) => {
    const original = independents[i];
    holds.set(learner, new Map(holds.get(original)));
    cells.set(learner, new Map());
    exercises.forEach((ex, e) => {
      cells.get(learner)!.set(ex, disguise(cells.get(original)!.get(ex)!, ex, kinds, i + e));
      copies.push({ exercise: ex, original, copy: learner, disguises: kinds });
    });
  });

  const dirs = new Map<string, string>();
  const sharedProse = ["indep-1", "indep-2"];
  for (const [learner, byExercise] of cells) {
    let nbs = released;
    for (const [ex, source] of byExercise) nbs = withCell(nbs, ex, source);
    if (sharedProse.includes(learner)) nbs = withSharedProse(nbs, exercises);
    dirs.set(learner, await writeSubmission(nbs, path.join(dir, learner)));
  }
  const stubs = ["stub-1", "stub-2"];
  for (const learner of stubs) {
    holds.set(learner, new Map(exercises.map((ex) => [ex, "stub"])));
    dirs.set(learner, await writeSubmission(released, path.join(dir, learner)));
  }
  return { learners: [...dirs.keys()], dirs, holds, copies, stubs, sharedProse };
}

/** A large class for the benchmark: every learner holds, per exercise, a randomly chosen implementation, randomly disguised. */
export async function writeLargeClass(assignment: Assignment, dir: string, learners: number, seed = 7): Promise<string[]> {
  const impls = implementations(assignment);
  const released = releasedNotebooks(assignment);
  let state = seed;
  const random = () => {
    state = (state * 1103515245 + 12345) % 2 ** 31;
    return state / 2 ** 31;
  };
  const kinds: Disguise[] = ["renamed", "reordered", "while", "comments"];
  const out: string[] = [];
  for (let l = 0; l < learners; l++) {
    let nbs = released;
    for (const ex of assignment.exercises) {
      const list = impls.get(ex.name)!;
      const impl = list[Math.floor(random() * list.length)];
      const chosen = kinds.filter(() => random() < 0.5);
      nbs = withCell(nbs, ex.name, disguise(impl.source, ex.name, chosen, l) + `// learner ${l}\n`);
    }
    out.push(await writeSubmission(nbs, path.join(dir, `learner-${String(l + 1).padStart(3, "0")}`)));
  }
  return out;
}
